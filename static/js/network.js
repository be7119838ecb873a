// The trained network: its architecture as the lesson draws it (CONV → RELU → POOL … → FC)
// with every layer's shape and parameter count, its activations for the current picture, and
// the class probabilities (step 10); the first layers' maps in sequence (step 5).
import { decode, withImage } from "./api.js";
import { colorscale, symmetric } from "./colors.js";
import { catalog } from "./data.js";
import { draw, theme } from "./plots.js";
import { state, update } from "./state.js";
import * as why from "./why.js";

const cache = new Map(); // `${model}|${image}` → predict response
const n = (v) => Number(v).toLocaleString("en-US");

/** The layer whose activations step 10 shows (state.lay, else the first conv layer). */
function chosen() {
  const m = modelInfo();
  return m.layers.some((l) => l.name === state.lay) ? state.lay
    : m.layers.find((l) => l.kind === "conv").name;
}

export const modelInfo = () => catalog.models.find((m) => m.name === state.model) || catalog.models[0];

/** POST /api/models/<name>/predict for the current picture (cached per model and picture). */
export async function predict(name) {
  const key = `${name}|${state.img}`;
  if (!cache.has(key)) {
    cache.set(key, withImage(`/api/models/${name}/predict`, { image_id: state.img, dtype: "f2" })
      .catch((e) => { cache.delete(key); throw e; }));
  }
  return cache.get(key);
}

/** A "Network" select at the top of el (steps 5, 6, 7, 10). */
export function modelPicker(el) {
  let sel = el.querySelector(".model-pick select");
  if (!sel) {
    const label = document.createElement("label");
    label.className = "field inline model-pick";
    label.textContent = "Network ";
    sel = document.createElement("select");
    for (const m of catalog.models) sel.append(new Option(`${m.title} (${Math.round(100 * (m.accuracy || 0))}% right)`, m.name));
    sel.addEventListener("change", () => update({ model: sel.value }));
    label.append(sel);
    el.prepend(label);
  }
  sel.value = modelInfo()?.name;
}

/** The architecture as a row of boxes; a click on a box shows that layer's activations. */
function architecture(box, m, onPick) {
  box.replaceChildren();
  const add = (kind, name, shape, params, pickable) => {
    const b = document.createElement(pickable ? "button" : "div");
    b.className = `arch-box kind-${kind}${name === chosen() ? " chosen" : ""}`;
    if (pickable) {
      b.type = "button";
      b.addEventListener("click", () => onPick(name));
      b.setAttribute("aria-pressed", String(name === chosen()));
    }
    const k = document.createElement("strong");
    k.textContent = kind === "fc" ? "FC" : kind.toUpperCase();
    const s = document.createElement("span");
    s.textContent = shape.join("×");
    const p = document.createElement("small");
    p.textContent = params ? `${n(params)} params` : name;
    b.append(k, s, p);
    box.append(b);
  };
  add("input", "input", m.input, 0, false);
  for (const l of m.layers) if (l.kind !== "flatten") add(l.kind, l.name, l.output_shape, l.params, true);
  const total = document.createElement("p");
  total.className = "arch-total";
  total.textContent = `${n(m.total_params)} parameters in all · click a layer to see its maps`;
  box.append(total);
}

/** One figure of activation maps: rows = layers, up to `cols` maps each (own ±max range). */
function mapsFigure(gd, layers, cols) {
  const t = theme();
  const traces = [], annotations = [];
  const layout = { grid: { rows: layers.length, columns: cols, pattern: "independent", xgap: 0.05, ygap: 0.12 },
    margin: { l: t.font * 8.5, r: 10, t: 10, b: 10 }, showlegend: false, dragmode: false,
    font: { size: t.font, color: t.ink }, paper_bgcolor: "rgba(0,0,0,0)", annotations };
  const base = { showgrid: false, zeroline: false, showticklabels: false, ticks: "", constrain: "domain", fixedrange: true };
  layers.forEach((a, r) => {
    for (let c = 0; c < cols; c++) {
      const n = r * cols + c + 1, i = n === 1 ? "" : n; // Plotly names the first axes x, y
      const [h, w] = a.shape;
      layout[`xaxis${i}`] = { ...base, range: [-0.5, w - 0.5], visible: c < a.maps.length };
      layout[`yaxis${i}`] = { ...base, range: [h - 0.5, -0.5], scaleanchor: `x${i}`, visible: c < a.maps.length };
      if (c >= a.maps.length) continue;
      const { data, shape } = decode(a.maps[c]);
      const peak = symmetric(data);
      const z = [];
      for (let y = 0; y < shape[0]; y++) z.push(Array.from(data.subarray(y * shape[1], (y + 1) * shape[1]), (v) => v / peak));
      const signed = a.kind === "conv";
      traces.push({ type: "heatmap", z, zmin: signed ? -1 : 0, zmax: 1, xaxis: `x${i}`, yaxis: `y${i}`,
        colorscale: colorscale(signed ? "diverging" : "viridis"), showscale: false, zsmooth: false,
        hovertemplate: `${a.layer} map ${c + 1}<extra></extra>` });
    }
    if (a.label === false) return;
    const note = a.note ? `<br><i>${a.note}</i>` : "";
    annotations.push({ text: `<b>${a.layer}</b><br>${a.shape.join("×")}${note}`, xref: "paper", yref: "paper",
      x: 0, xanchor: "right", xshift: -8, y: 1 - (r + 0.5) / layers.length, showarrow: false, align: "right" });
  });
  return draw(gd, traces, layout);
}

function probabilities(gd, res) {
  const t = theme();
  const order = res.probabilities.map((p, i) => [p, res.classes[i]]).sort((a, b) => a[0] - b[0]);
  return draw(gd, [{ type: "bar", orientation: "h", x: order.map((o) => o[0]), y: order.map((o) => o[1]),
    marker: { color: order.map((_, i) => (i === order.length - 1 ? "#e6007e" : "#31688e")) },
    text: order.map((o) => `${(100 * o[0]).toFixed(1)}%`), textposition: "outside", cliponaxis: false,
    hovertemplate: "%{y}: %{x:.1%}<extra></extra>" }], {
    title: { text: `Its guess: ${order.at(-1)[1]}`, font: { size: t.title } },
    font: { size: t.font, color: t.ink }, margin: { l: t.font * 7, r: t.font * 4.5, t: t.title * 3, b: t.font * 2.5 },
    xaxis: { range: [0, 1.12], tickformat: ".0%", gridcolor: "#ccc", fixedrange: true },
    yaxis: { fixedrange: true, tickmode: "array", tickvals: order.map((o) => o[1]), automargin: true },
    paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "#fff", dragmode: false });
}

/** Step 10: architecture, probabilities, the chosen layer's activations. */
export async function render(el) {
  if (!el.querySelector(".network")) {
    el.innerHTML = `<div class="network"><div class="arch" id="net-arch" role="group" aria-label="The network's layers"></div>
      <div class="net-row"><div class="plot" id="net-probs" role="figure" aria-label="Class probabilities"></div>
      <div class="plot" id="net-acts" role="figure" aria-label="The chosen layer's activations"></div></div>
      <div class="net-why" id="net-why"></div></div>`;
  }
  modelPicker(el);
  const m = modelInfo();
  const res = await predict(m.name);
  architecture(el.querySelector("#net-arch"), m, (name) => update({ lay: name, pf: 0 }));
  await probabilities(el.querySelector("#net-probs"), res);
  const a = res.activations.find((x) => x.layer === chosen());
  const acts = el.querySelector("#net-acts");
  if (a && a.shape.length === 3) {
    // As many columns as make the maps largest in this plot's box.
    const n = a.maps.length, W = acts.clientWidth - 150, H = acts.clientHeight - 20;
    let cols = 1, best = 0;
    for (let c = 1; c <= n; c++) {
      const size = Math.min(W / c, H / Math.ceil(n / c));
      if (size > best) [best, cols] = [size, c];
    }
    const rows = Math.ceil(n / cols);
    const layers = Array.from({ length: rows }, (_, r) => ({ ...a, maps: a.maps.slice(r * cols, r * cols + cols),
      layer: r ? "" : a.layer, label: r === 0, note: n < a.shape[2] ? `first ${n} maps` : "" }));
    await mapsFigure(acts, layers, cols);
    why.onMapClick(acts, (i) => { // a map's filter → its top patches, brought into view
      update({ pf: i });
      el.querySelector("#why-patches")?.scrollIntoView({ block: "nearest", behavior: "smooth" });
    });
  } else if (a) {
    const { data } = decode(a.maps);
    await draw(acts, [{ type: "bar", y: Array.from(data), marker: { color: "#31688e" },
      hovertemplate: "unit %{x}: %{y:.2f}<extra></extra>" }], { title: { text: `${a.layer}: ${a.shape[0]} numbers` },
      font: { size: theme().font }, margin: { l: 50, r: 10, t: 50, b: 30 }, dragmode: false,
      paper_bgcolor: "rgba(0,0,0,0)" });
  }
  await why.renderWhy(el.querySelector("#net-why"), m, res, chosen());
}

/** Step 5: the first conv and pool layers' maps, in order, with their shapes. */
export async function renderSequence(el) {
  if (!el.querySelector(".sequence")) {
    el.innerHTML = `<div class="sequence"><div class="arch compact" id="seq-arch" role="group" aria-label="The network's layers"></div>
      <div class="plot" id="seq-plot" role="figure" aria-label="Each layer's maps for the picture"></div></div>`;
  }
  modelPicker(el);
  const m = modelInfo();
  const res = await predict(m.name);
  architecture(el.querySelector("#seq-arch"), m, (name) => update({ lay: name, step: 10 }));
  const layers = res.activations.filter((a) => a.kind === "conv" || a.kind === "pool").slice(0, 4)
    .map((a) => ({ ...a, maps: a.maps.slice(0, 8), note: a.shape[2] > 8 ? "first 8 maps" : "" }));
  await mapsFigure(el.querySelector("#seq-plot"), layers, 8);
}
