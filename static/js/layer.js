// Step 4: a conv layer: every filter (as a colour tile), its feature map, the map after ReLU
// and after 2×2 max pooling, in one Plotly figure (one column per filter), and the maps
// stacked as the volume the next layer reads.
import { colorscale, rgbOf, symmetric } from "./colors.js";
import { draw, layoutKey, picture, pictureUrl, theme } from "./plots.js";
import { update } from "./state.js";

let drawn = "";
let shown = null;
const ROWS = ["Filter", "Feature map", "After ReLU", "After 2×2 max pool"];

function scaled(m, peak) {
  return m.rows.map((row) => row.map((v) => v / peak));
}

function axes(layout, n, h, w) {
  const base = { showgrid: false, zeroline: false, showticklabels: false, ticks: "",
    constrain: "domain", fixedrange: true };
  layout[`xaxis${n}`] = { ...base, range: [-0.5, w - 0.5] };
  layout[`yaxis${n}`] = { ...base, range: [h - 0.5, -0.5], scaleanchor: `x${n}` };
}

/** The layer figure: row 0 tiles, 1 maps, 2 ReLU, 3 pooled; one column per filter. */
export function figure(d) {
  const t = theme();
  const F = d.filters.length;
  const traces = [];
  // long names ("Green detector", "lenet conv1 #2") take two lines: columns are narrow;
  // on a phone the columns are too narrow even for that: the names stand upright
  const upright = innerWidth <= 600;
  const names = d.filters.map((f) => (f.label.length > 9 && !upright ? f.label.replace(" ", "<br>") : f.label));
  const lines = names.some((s) => s.includes("<br>")) ? 3 : 2;
  const longest = Math.max(...d.filters.map((f) => f.label.length + 3));
  const layout = {
    grid: { rows: 4, columns: F, pattern: "independent", xgap: 0.08, ygap: 0.12 },
    margin: { l: t.font * (upright ? 5.5 : 8.5), r: t.font * (upright ? 3.5 : 5),
      t: upright ? t.font * (0.62 * longest + 1) : t.font * (1.2 * lines + 0.8), b: 10 },
    showlegend: false,
    font: { size: t.font, color: t.ink }, paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "#fff",
    annotations: [], dragmode: false, hoverlabel: { font: { size: t.font } },
  };
  const bar = (ticks) => ({ thickness: t.big ? 20 : 12, len: 0.22, x: 1.01, tickvals: ticks[0],
    ticktext: ticks[1], tickfont: { size: t.font - 1 }, outlinewidth: 0 });
  d.filters.forEach((f, i) => {
    const m = d.maps[i], r = d.relu[i], p = d.pooled[i];
    const peak = symmetric(m.data);
    let rpeak = 0;
    for (const v of r.data) rpeak = Math.max(rpeak, v);
    rpeak = rpeak || 1;
    const n = (row) => (row * F + i ? row * F + i + 1 : ""); // Plotly names the first axes x, y
    const ax = (row) => ({ xaxis: `x${n(row)}`, yaxis: `y${n(row)}` });
    traces.push({ ...picture(pictureUrl(f.tile, f.k, f.k), f.label), ...ax(0),
      hovertemplate: `${f.label}<extra></extra>` });
    axes(layout, n(0), f.k, f.k);
    const last = i === F - 1;
    const hm = (src, z, scale, lo, hi, row, ticks) => {
      traces.push({ type: "heatmap", z, customdata: src.rows, zmin: lo, zmax: hi, ...ax(row),
        colorscale: colorscale(scale), zsmooth: false, showscale: last && row !== 3,
        colorbar: { ...bar(ticks), y: 1 - (row + 0.5) / 4 },
        hovertemplate: `${f.label}<br>row %{y}, col %{x}: %{customdata:.2f}<extra></extra>` });
      axes(layout, n(row), src.h, src.w);
    };
    hm(m, scaled(m, peak), "diverging", -1, 1, 1, [[-1, 0, 1], ["−max", "0", "+max"]]);
    hm(r, scaled(r, rpeak), "viridis", 0, 1, 2, [[0, 1], ["0", "max"]]);
    hm(p, scaled(p, rpeak), "viridis", 0, 1, 3, [[0, 1], ["0", "max"]]);
    layout.annotations.push({ text: `<b>${i + 1}</b> ${names[i]}<br>±${peak.toFixed(2)}`,
      xref: `x${n(0)} domain`, yref: `y${n(0)} domain`, x: 0.5, y: 1.02, yanchor: "bottom",
      showarrow: false, font: { size: t.font - 1 }, textangle: upright ? -90 : 0 });
  });
  (upright ? ["Filter", "Map", "ReLU", "Pool 2×2"] : ROWS).forEach((label, row) => layout.annotations.push({
    text: `<b>${label.replace(" ", "<br>")}</b>`, xref: "paper", yref: "paper", x: 0, xanchor: "right",
    xshift: -10, y: 1 - (row + 0.5) / 4, showarrow: false, align: "right" }));
  return { traces, layout };
}

/** The maps stacked like a deck: the volume the next layer reads (H×W×F). */
function volume(el, d) {
  el.replaceChildren();
  const F = d.maps.length, m0 = d.maps[0];
  const step = Math.max(6, Math.min(18, 120 / F));
  d.maps.forEach((m, i) => {
    const c = document.createElement("canvas");
    c.width = m.w;
    c.height = m.h;
    const ctx = c.getContext("2d");
    const img = ctx.createImageData(m.w, m.h);
    const peak = symmetric(m.data);
    m.data.forEach((v, j) => {
      const [r, g, b] = rgbOf("diverging", v, -peak, peak);
      img.data.set([r, g, b, 255], 4 * j);
    });
    ctx.putImageData(img, 0, 0);
    c.style.transform = `translate(${i * step}px, ${-i * step}px)`;
    c.style.zIndex = String(F - i);
    el.append(c);
  });
  el.style.setProperty("--depth", `${(F - 1) * step}px`);
  const cap = document.createElement("p");
  cap.className = "volume-caption";
  cap.textContent = `${m0.h} × ${m0.w} × ${F}`;
  el.append(cap);
}

export async function render(el, d) {
  if (!el.querySelector(".layer")) {
    el.innerHTML = `<div class="layer">
      <div class="plot" id="layer-plot" role="figure" aria-label="Each filter with its map, ReLU and pooling"></div>
      <figure class="deck-box"><div class="deck" id="layer-volume" role="img"
        aria-label="The feature maps stacked as a volume"></div>
        <figcaption>the maps stacked: the next layer's input volume</figcaption></figure>
    </div>`;
  }
  const key = `${JSON.stringify(d.body)}|${layoutKey()}`;
  if (key === drawn) return;
  drawn = key;
  const { traces, layout } = figure(d);
  const gd = el.querySelector("#layer-plot");
  shown = d;
  await draw(gd, traces, layout);
  if (!gd.dataset.bound) {
    gd.dataset.bound = "1";
    // A click on a map follows that filter in the step-through.
    gd.on("plotly_click", (ev) => {
      const n = Number(ev.points[0].xaxis._id.slice(1) || 1); // "x" is axis 1
      update({ fi: (n - 1) % shown.filters.length, pos: 0, step: 2 });
    });
  }
  volume(el.querySelector("#layer-volume"), d);
}
