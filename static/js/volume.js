// Step 1: the picture as a volume: the picture itself and its three channels, each an S×S
// grid of numbers in [0, 1] (Viridis, fixed range 0..1: the same colour means the same value).
import { draw, heatmap, layoutKey, mapLayout, picture, pictureUrl } from "./plots.js";

const NAMES = ["Red", "Green", "Blue"];
let drawn = "";

function channel(d, ch) {
  const rows = [];
  for (let r = 0; r < d.S; r++) {
    const row = new Array(d.S);
    for (let c = 0; c < d.S; c++) row[c] = d.x[(r * d.S + c) * 3 + ch];
    rows.push(row);
  }
  return rows;
}

export function render(el, d) {
  if (!el.querySelector(".volume")) {
    el.innerHTML = `
      <div class="volume">
        <div class="plot" id="vol-picture" role="figure" aria-label="The picture"></div>
        <div class="plot" id="vol-0" role="figure" aria-label="Red channel"></div>
        <div class="plot" id="vol-1" role="figure" aria-label="Green channel"></div>
        <div class="plot" id="vol-2" role="figure" aria-label="Blue channel"></div>
      </div>
      <p class="formula big" id="vol-count"></p>`;
  }
  const key = `${d.body.image_id}|${d.S}|${layoutKey()}`;
  if (key === drawn) return;
  drawn = key;
  const S = d.S;
  const layout = (title) => {
    const l = mapLayout({ title, h: S, w: S });
    l.margin.b = 50; // room for the colourbar below: all four pictures the same size
    return l;
  };
  draw(el.querySelector("#vol-picture"), [picture(pictureUrl(d.u8, S, S))], layout(`Picture ${S}×${S}`));
  NAMES.forEach((name, ch) => {
    const trace = heatmap(channel(d, ch), { zmin: 0, zmax: 1, name });
    Object.assign(trace.colorbar, { orientation: "h", y: -0.02, yanchor: "top", len: 1, thickness: 10 });
    draw(el.querySelector(`#vol-${ch}`), [trace], layout(`${name} channel`));
  });
  el.querySelector("#vol-count").textContent =
    `${S} × ${S} × 3 = ${(S * S * 3).toLocaleString("en-US")} numbers`;
}
