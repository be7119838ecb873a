// Figures more than one view draws: the conv layer's grid (filter, map, ReLU, pooled; steps 4
// and 7), rows of activation maps (steps 5 and 10), and a stack of maps as a volume (steps 1
// and 4). Maps are drawn to scale (a 14×14 pooled map half as wide as its 28×28 map) and
// coloured per map (each its own ±max) or shared (one range per row), as state.range says.
import { colorscale, rgbOf, symmetric } from "./colors.js";
import { picture, pictureUrl, theme } from "./plots.js";
import { state } from "./state.js";

const peakOf = (data, signed) => {
  let m = 0;
  for (const v of data) m = Math.max(m, signed ? Math.abs(v) : v);
  return m || 1;
};

/** Axes of one cell of a grid figure, showing an h×w map at the scale of a `full`-wide map
 * (centred in its cell). */
function axes(layout, n, h, w, full = Math.max(h, w)) {
  const base = { showgrid: false, zeroline: false, showticklabels: false, ticks: "",
    constrain: "domain", fixedrange: true };
  const dx = (full - w) / 2, dy = (full - h) / 2;
  layout[`xaxis${n}`] = { ...base, range: [-dx - 0.5, w + dx - 0.5] };
  layout[`yaxis${n}`] = { ...base, range: [h + dy - 0.5, -dy - 0.5], scaleanchor: `x${n}` };
}

/** A colour bar for one row of a grid figure: ±max (per map) or the shared range's numbers. */
function bar(t, row, rows, lo, hi, shared, span = 1) {
  const ticks = lo < 0 ? [-1, 0, 1] : [0, 1];
  const text = shared ? ticks.map((v) => (v * hi).toFixed(2)) : ticks.map((v) => ({ "-1": "−max", 0: "0", 1: "max" })[v]);
  return { thickness: t.big ? 20 : 12, len: 0.85 * span / rows, x: 1.01, y: 1 - (row + span / 2) / rows,
    tickvals: ticks, ticktext: text, tickfont: { size: t.font - 1 }, outlinewidth: 0 };
}

/** The conv layer figure: row 0 tiles, 1 maps, 2 ReLU, 3 pooled (if d.pooled); one column per
 * filter, headed by its number and f.head (default: its label). */
export function layerFigure(d, rowNames = ["Filter", "Feature map", "After ReLU", "After 2×2 max pool"]) {
  const t = theme();
  const F = d.filters.length;
  const R = d.pooled ? 4 : 3;
  const shared = state.range === "layer";
  const traces = [];
  // long names ("Green detector", "lenet conv1 #2") take two lines: columns are narrow;
  // on a phone the columns are too narrow even for that: the names stand upright
  const upright = innerWidth <= 600;
  const heads = d.filters.map((f) => f.head ?? f.label);
  const names = heads.map((h) => (h.length > 9 && !upright ? h.replace(" ", "<br>") : h));
  const lines = names.some((s) => s.includes("<br>")) ? 3 : 2;
  const longest = Math.max(...heads.map((h) => h.length + 3));
  const layout = {
    grid: { rows: R, columns: F, pattern: "independent", xgap: 0.08, ygap: 0.12 },
    margin: { l: t.font * (upright ? 5.5 : 8.5), r: t.font * (upright ? 3.5 : 5),
      t: upright ? t.font * (0.62 * longest + 1) : t.font * (1.2 * lines + 0.8), b: 10 },
    showlegend: false,
    font: { size: t.font, color: t.ink }, paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "#fff",
    annotations: [], dragmode: false, hoverlabel: { font: { size: t.font } },
  };
  const all = { map: Math.max(...d.maps.map((m) => peakOf(m.data, true))),
    relu: Math.max(...d.relu.map((m) => peakOf(m.data, false))) };
  d.filters.forEach((f, i) => {
    const m = d.maps[i], r = d.relu[i], p = d.pooled?.[i];
    const peak = shared ? all.map : peakOf(m.data, true);
    const rpeak = shared ? all.relu : peakOf(r.data, false);
    const n = (row) => (row * F + i ? row * F + i + 1 : ""); // Plotly names the first axes x, y
    const ax = (row) => ({ xaxis: `x${n(row)}`, yaxis: `y${n(row)}` });
    traces.push({ ...picture(pictureUrl(f.tile, f.k, f.k), f.label), ...ax(0),
      hovertemplate: `${f.label}<extra></extra>` });
    axes(layout, n(0), f.k, f.k);
    const last = i === F - 1;
    const hm = (src, scale, lo, top, row) => {
      traces.push({ type: "heatmap", z: src.rows.map((row_) => row_.map((v) => v / top)),
        customdata: src.rows, zmin: lo, zmax: 1, ...ax(row),
        colorscale: colorscale(scale), zsmooth: false, showscale: last && row !== 3,
        colorbar: bar(t, row, R, lo, top, shared),
        hovertemplate: `${f.label}<br>row %{y}, col %{x}: %{customdata:.2f}<extra></extra>` });
      axes(layout, n(row), src.h, src.w, m.w); // to the scale of the feature map
    };
    hm(m, "diverging", -1, peak, 1);
    hm(r, "viridis", 0, rpeak, 2);
    if (p) hm(p, "viridis", 0, rpeak, 3);
    layout.annotations.push({ text: `<b>${i + 1}</b> ${names[i]}<br>±${peakOf(m.data, true).toFixed(2)}`,
      xref: `x${n(0)} domain`, yref: `y${n(0)} domain`, x: 0.5, y: 1.02, yanchor: "bottom",
      showarrow: false, font: { size: t.font - 1 }, textangle: upright ? -90 : 0 });
  });
  const short = ["Filter", "Map", "ReLU", "Pool 2×2"];
  const labels = upright && rowNames[1] === "Feature map" ? short : rowNames;
  labels.slice(0, R).forEach((label, row) => layout.annotations.push({
    text: `<b>${label.replace(" ", "<br>")}</b>`, xref: "paper", yref: "paper", x: 0, xanchor: "right",
    xshift: -10, y: 1 - (row + 0.5) / R, showarrow: false, align: "right" }));
  return { traces, layout };
}

/** Rows of activation maps: rows = [{layer, kind, shape, maps: [{data, h, w}], label, note}],
 * up to `cols` maps each, all drawn at the scale of the largest map; one colour bar per layer.
 * A row with label === false continues the one above (a layer's maps wrapped onto more rows):
 * it shares that layer's range ("one range for the layer") and its colour bar. With `above`
 * (one layer) its name and shape head the maps instead of standing to their left: wider maps. */
export function mapsFigure(rows, cols, { above = false } = {}) {
  const t = theme();
  const shared = state.range === "layer";
  const full = Math.max(...rows.map((a) => Math.max(a.shape[0], a.shape[1])));
  const first = rows.map((a, r) => (a.label === false && r > 0 ? null : r)); // each row's layer's first row
  first.forEach((f, r) => { if (f === null) first[r] = first[r - 1]; });
  const span = (r) => first.filter((f) => f === r).length;
  const layerPeak = rows.map((a, r) => Math.max(...rows.filter((_, q) => first[q] === first[r])
    .flatMap((b) => b.maps.map((m) => peakOf(m.data, a.kind === "conv")))));
  const traces = [], annotations = [];
  const layout = { grid: { rows: rows.length, columns: cols, pattern: "independent", xgap: 0.05, ygap: 0.12 },
    margin: above ? { l: t.font * 0.5, r: t.font * 4.5, t: t.font * 2, b: 10 }
      : { l: t.font * 10, r: t.font * 4.5, t: 10, b: 10 }, showlegend: false, dragmode: false,
    font: { size: t.font, color: t.ink }, paper_bgcolor: "rgba(0,0,0,0)", annotations };
  rows.forEach((a, r) => {
    const signed = a.kind === "conv";
    const rowPeak = layerPeak[r];
    for (let c = 0; c < cols; c++) {
      const n = r * cols + c + 1, i = n === 1 ? "" : n; // Plotly names the first axes x, y
      const [h, w] = a.shape;
      axes(layout, i, h, w, full);
      layout[`xaxis${i}`].visible = c < a.maps.length;
      layout[`yaxis${i}`].visible = c < a.maps.length;
      if (c >= a.maps.length) continue;
      const { data } = a.maps[c];
      const peak = shared ? rowPeak : peakOf(data, signed);
      const z = [];
      for (let y = 0; y < h; y++) z.push(Array.from(data.subarray(y * w, (y + 1) * w), (v) => v / peak));
      traces.push({ type: "heatmap", z, zmin: signed ? -1 : 0, zmax: 1, xaxis: `x${i}`, yaxis: `y${i}`,
        colorscale: colorscale(signed ? "diverging" : "viridis"), showscale: c === 0 && first[r] === r,
        zsmooth: false, colorbar: bar(t, r, rows.length, signed ? -1 : 0, rowPeak, shared, span(r)),
        hovertemplate: `${a.layer} map ${c + 1}<extra></extra>` });
    }
    if (a.label === false) return;
    if (above) {
      annotations.push({ text: `<b>${a.layer}</b> ${a.shape.join("×")}${a.note ? ` · <i>${a.note}</i>` : ""}`,
        xref: "paper", yref: "paper", x: 0, xanchor: "left", y: 1, yanchor: "bottom", yshift: 4,
        showarrow: false });
      return;
    }
    const note = a.note ? `<br><i>${a.note.replace(" of ", "<br>of ")}</i>` : "";
    annotations.push({ text: `<b>${a.layer}</b><br>${a.shape.join("×")}${note}`, xref: "paper", yref: "paper",
      x: 0, xanchor: "right", xshift: -8, y: 1 - (r + 0.5) / rows.length, showarrow: false, align: "right" });
  });
  return { traces, layout };
}

/** Maps (each {data, h, w}) stacked like a deck, one canvas each, with the volume's size;
 * colour(v, i) gives a map value's [r, g, b]. */
export function deck(el, maps, colour, caption) {
  el.replaceChildren();
  const F = maps.length, m0 = maps[0];
  const step = Math.max(6, Math.min(18, 120 / F));
  maps.forEach((m, i) => {
    const c = document.createElement("canvas");
    c.width = m.w;
    c.height = m.h;
    const ctx = c.getContext("2d");
    const img = ctx.createImageData(m.w, m.h);
    m.data.forEach((v, j) => img.data.set([...colour(v, i), 255], 4 * j));
    ctx.putImageData(img, 0, 0);
    c.style.transform = `translate(${i * step}px, ${-i * step}px)`;
    c.style.zIndex = String(F - i);
    el.append(c);
  });
  el.style.setProperty("--depth", `${(F - 1) * step}px`);
  const cap = document.createElement("p");
  cap.className = "volume-caption";
  cap.textContent = caption ?? `${m0.h} × ${m0.w} × ${F}`;
  el.append(cap);
}

/** A signed map's colour: RdBu over ±max|map|. */
export const signedColour = (maps) => {
  const peaks = maps.map((m) => symmetric(m.data));
  return (v, i) => rgbOf("diverging", v, -peaks[i], peaks[i]);
};
