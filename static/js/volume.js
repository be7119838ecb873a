// Step 1: the picture as a volume: the picture itself, its three channels, each an S×S grid
// of numbers in [0, 1] drawn in its own colour (black = 0 … full red, green or blue = 1, fixed),
// and the three stacked as the S×S×3 volume the network reads.
import { fmt } from "./arith.js";
import { paint, rgbOf } from "./colors.js";
import { deck } from "./figures.js";
import { draw, heatmap, layoutKey, mapLayout, on, picture, pictureUrl } from "./plots.js";

const NAMES = ["Red", "Green", "Blue"];
const SCALES = ["red", "green", "blue"];
const N = 5; // the numbers shown: an N×N corner of each channel around the chosen pixel
let drawn = "";
let data = null;
let at = null; // [row, col] of the chosen pixel

/** The three channels' numbers around pixel `at`, as the computer holds them. */
function numbers(el) {
  const S = data.S;
  if (!at || at[0] >= S || at[1] >= S) at = [Math.floor(S / 2), Math.floor(S / 2)];
  const top = Math.max(0, Math.min(S - N, at[0] - 2)), left = Math.max(0, Math.min(S - N, at[1] - 2));
  const n = Math.min(N, S);
  const box = el.querySelector("#vol-numbers");
  box.replaceChildren();
  NAMES.forEach((name, ch) => {
    const fig = document.createElement("figure");
    const grid = document.createElement("div");
    grid.className = "grid";
    grid.style.setProperty("--k", n);
    grid.setAttribute("role", "img");
    grid.setAttribute("aria-label", `${name} channel, rows ${top}–${top + n - 1}, columns ${left}–${left + n - 1}`);
    for (let r = top; r < top + n; r++) {
      for (let c = left; c < left + n; c++) {
        const v = data.x[(r * S + c) * 3 + ch];
        const cell = document.createElement("span");
        cell.textContent = fmt(v);
        paint(cell, SCALES[ch], v, 0, 1);
        grid.append(cell);
      }
    }
    const cap = document.createElement("figcaption");
    cap.className = `ch-${ch}`;
    cap.textContent = name;
    fig.append(cap, grid);
    box.append(fig);
  });
  el.querySelector("#vol-where").textContent =
    `The numbers of rows ${top}–${top + n - 1}, columns ${left}–${left + n - 1} (click a picture to move):`;
}

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
      <figure class="deck-box vol-deck"><div class="deck" id="vol-deck" role="img"
        aria-label="The three channels stacked: the picture as a volume"></div>
        <figcaption>the three channels stacked: a volume, not a flat list</figcaption></figure>
      <p class="formula big" id="vol-count"></p>
      <p class="hint" id="vol-where"></p>
      <div class="vol-numbers" id="vol-numbers"></div>`;
  }
  data = d;
  const key = `${d.body.image_id}|${d.S}|${layoutKey()}`;
  if (key === drawn) return numbers(el);
  drawn = key;
  const S = d.S;
  const layout = (title) => {
    const l = mapLayout({ title, h: S, w: S });
    l.margin.b = 50; // room for the colourbar below: all four pictures the same size
    return l;
  };
  draw(el.querySelector("#vol-picture"), [picture(pictureUrl(d.u8, S, S))], layout(`Picture ${S}×${S}`));
  NAMES.forEach((name, ch) => {
    const trace = heatmap(channel(d, ch), { scale: SCALES[ch], zmin: 0, zmax: 1, name });
    Object.assign(trace.colorbar, { orientation: "h", y: -0.02, yanchor: "top", len: 1, thickness: 10,
      tickvals: [0, 0.5, 1], ticktext: ["0", "0.5", "1"] });
    draw(el.querySelector(`#vol-${ch}`), [trace], layout(`${name} channel`));
  });
  const planes = [0, 1, 2].map((ch) => ({ h: S, w: S,
    data: Float32Array.from({ length: S * S }, (_, i) => d.x[i * 3 + ch]) }));
  deck(el.querySelector("#vol-deck"), planes, (v, ch) => rgbOf(SCALES[ch], v, 0, 1), `${S} × ${S} × 3`);
  el.querySelector("#vol-count").textContent =
    `${S} × ${S} × 3 = ${(S * S * 3).toLocaleString("en-US")} numbers`;
  for (const id of ["vol-picture", "vol-0", "vol-1", "vol-2"]) {
    const gd = el.querySelector(`#${id}`);
    if (gd.dataset.bound) continue;
    gd.dataset.bound = "1";
    on(gd, "plotly_click", (ev) => {
      at = [Math.round(ev.points[0].y), Math.round(ev.points[0].x)];
      numbers(el);
    });
  }
  numbers(el);
}
