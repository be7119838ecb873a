// The trained network: its architecture as the lesson draws it (CONV → RELU → POOL … → FC)
// with every layer's shape and parameter count, its activations for the current picture, and
// the class probabilities (step 10); the first layers' maps in sequence (step 5).
import { decode } from "./api.js";
import { layerShapes, modelInfo, predict } from "./data.js";
import { mapsFigure } from "./figures.js";
import { draw, theme } from "./plots.js";
import { state, update } from "./state.js";
import { modelPicker, rangeToggle } from "./widgets.js";
import * as why from "./why.js";

const n = (v) => Number(v).toLocaleString("en-US");

/** The layer whose activations step 10 shows (state.lay, else the first conv layer). */
function chosen() {
  const m = modelInfo();
  return m.layers.some((l) => l.name === state.lay) ? state.lay
    : m.layers.find((l) => l.kind === "conv").name;
}

/** An activation's maps as {data, h, w}. */
const mapsOf = (a) => a.maps.map((t) => {
  const { data, shape } = decode(t);
  return { data, h: shape[0], w: shape[1] };
});

/** The architecture as a row of boxes; a click on a box shows that layer's activations. */
function architecture(box, m, onPick, { poolNote = false } = {}) {
  box.replaceChildren();
  const shapes = layerShapes(m);
  const add = (kind, name, shape, params, pickable, filters) => {
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
    if (kind === "relu") b.title = `${s.textContent}: a ReLU keeps the shape, it changes values`;
    const p = document.createElement("small");
    p.textContent = params ? `${n(params)} params` : name;
    b.append(k, s, p);
    if (filters) {
      const f = document.createElement("small");
      f.className = "filter-shape";
      f.textContent = `${filters.count} filters of ${filters.k}×${filters.k}×${filters.depth}`;
      b.append(f);
    }
    if (kind === "pool" && poolNote) {
      const f = document.createElement("small");
      f.className = "coming";
      f.textContent = "coming in step 9";
      b.append(f);
    }
    box.append(b);
  };
  // a deep network's ReLU boxes may drop their shape (the box before says it) on a projector
  box.classList.toggle("deep", shapes.length > 12);
  add("input", "input", m.input, 0, false);
  for (const l of shapes) if (l.kind !== "flatten") add(l.kind, l.name, l.output_shape, l.params, true, l.filters);
  const total = document.createElement("p");
  total.className = "arch-total";
  const hint = document.createElement("span");
  hint.className = "hint";
  hint.textContent = " · click a layer to see its maps";
  total.append(`${n(m.total_params)} parameters in all`, hint);
  box.append(total);
}

function probabilities(gd, res) {
  const t = theme();
  const order = res.probabilities.map((p, i) => [p, res.classes[i]]).sort((a, b) => a[0] - b[0]);
  const big = state.mode === "class"; // the verdict above says the guess: the bars get the room
  return draw(gd, [{ type: "bar", orientation: "h", x: order.map((o) => o[0]), y: order.map((o) => o[1]),
    marker: { color: order.map((_, i) => (i === order.length - 1 ? "#e6007e" : "#31688e")) },
    text: order.map((o) => `${(100 * o[0]).toFixed(1)}%`), textposition: "outside", cliponaxis: false,
    hovertemplate: "%{y}: %{x:.1%}<extra></extra>" }], {
    title: big ? undefined : { text: `Its guess: ${order.at(-1)[1]}`, font: { size: t.title } },
    font: { size: t.font, color: t.ink },
    margin: { l: t.font * 7, r: t.font * 4.5, t: big ? t.font : t.title * 3, b: t.font * 2.5 },
    xaxis: { range: [0, 1.12], tickformat: ".0%", gridcolor: "#ccc", fixedrange: true },
    yaxis: { fixedrange: true, tickmode: "array", tickvals: order.map((o) => o[1]), automargin: true },
    paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "#fff", dragmode: false });
}

/** Step 10: architecture, probabilities, the chosen layer's activations. */
export async function render(el) {
  if (!el.querySelector(".network")) {
    el.innerHTML = `<div class="network"><div class="arch" id="net-arch" role="group" aria-label="The network's layers"></div>
      <div class="net-row"><div class="net-left"><p class="why-verdict" role="status"></p>
        <div class="plot" id="net-probs" role="figure" aria-label="Class probabilities"></div>
        <details class="softmax" id="net-softmax-box"><summary>How softmax makes these numbers</summary>
        <p id="net-softmax"></p></details></div>
      <div class="net-side">${why.TABS}
        <div class="plot" id="net-acts" role="figure" aria-label="The chosen layer's activations"></div>
        <div class="net-why" id="net-why" role="tabpanel"></div>
        <div class="why-patches" id="why-patches" role="tabpanel" aria-live="polite"></div></div></div></div>`;
    // open at a desk; on a projector the chart gets the room and the teacher opens it
    el.querySelector("#net-softmax-box").open = state.mode !== "class";
  }
  why.tabs(el, (tab) => update({ nv: tab }));
  el.querySelector(".network").dataset.nv = state.nv; // the open tab sets the columns (CSS)
  modelPicker(el);
  rangeToggle(el);
  const m = modelInfo();
  const res = await predict(m.name);
  architecture(el.querySelector("#net-arch"), m, (name) => update({ lay: name, pf: 0, nv: "maps" }));
  why.verdict(el.querySelector(".why-verdict"), res);
  await probabilities(el.querySelector("#net-probs"), res);
  softmax(el.querySelector("#net-softmax"), res);
  if (state.nv !== "maps") {
    await why.renderSide(el, m, res, chosen()); // why this guess, or the chosen filter's patches
    return;
  }
  const a = res.activations.find((x) => x.layer === chosen());
  const acts = el.querySelector("#net-acts");
  if (a && a.shape.length === 3) {
    // As many columns as make the maps largest in this plot's box (less mapsFigure's margins).
    const f = theme().font;
    const n = a.maps.length, W = acts.clientWidth - 5 * f, H = acts.clientHeight - 2 * f - 10;
    let cols = 1, best = 0;
    for (let c = 1; c <= n; c++) {
      const size = Math.min(W / c, H / Math.ceil(n / c));
      if (size > best) [best, cols] = [size, c];
    }
    const rows = Math.ceil(n / cols);
    const maps = mapsOf(a);
    const layers = Array.from({ length: rows }, (_, r) => ({ ...a, maps: maps.slice(r * cols, r * cols + cols),
      layer: r ? "" : a.layer, label: r === 0, note: n < a.shape[2] ? `first ${n} maps` : "" }));
    const { traces, layout } = mapsFigure(layers, cols, { above: true });
    await draw(acts, traces, layout);
    why.onMapClick(acts, (i) => update({ pf: i, nv: "filter" })); // a map's filter → its top patches
  } else if (a) {
    const { data } = decode(a.maps);
    await draw(acts, [{ type: "bar", y: Array.from(data), marker: { color: "#31688e" },
      hovertemplate: "unit %{x}: %{y:.2f}<extra></extra>" }], { title: { text: `${a.layer}: ${a.shape[0]} numbers` },
      font: { size: theme().font }, margin: { l: 50, r: 10, t: 50, b: 30 }, dragmode: false,
      paper_bgcolor: "rgba(0,0,0,0)" });
  }
}

/** Step 10: how softmax turns the last layer's scores into the probabilities, with the
 * numbers of the three likeliest classes. */
function softmax(el, res) {
  const last = res.activations.at(-1);
  const t = res.temperature || 1;
  const scores = Array.from(decode(last.maps).data, (s) => s / t);
  const top = Math.max(...scores);
  const sum = scores.reduce((a, s) => a + Math.exp(s - top), 0);
  const order = scores.map((s, i) => i).sort((i, j) => scores[j] - scores[i]).slice(0, 3);
  const num = (v) => v.toFixed(2).replace("-", "−");
  const scaled = t === 1 ? "" : ` divided by ${t.toFixed(2)} (one number fitted so that how sure it says it is matches how often it is right)`;
  el.textContent = `Softmax: the ${last.layer} scores${scaled}, ` +
    order.map((i) => `${res.classes[i]} ${num(scores[i])}`).join(", ") + ", … become " +
    order.map((i) => `e^${num(scores[i] - top)} / ${sum.toFixed(3)} = ${(100 * Math.exp(scores[i] - top) / sum).toFixed(1)} %`).join("; ") +
    ` (each e^(score − ${num(top)}) over their sum, ${sum.toFixed(3)}: all positive, adding up to 100 %).`;
}

/** Step 5: the first conv and pool layers' maps, in order and to scale, with their shapes;
 * pooling is marked as coming in step 9. */
export async function renderSequence(el) {
  if (!el.querySelector(".sequence")) {
    el.innerHTML = `<div class="sequence"><div class="arch compact" id="seq-arch" role="group" aria-label="The network's layers"></div>
      <div class="plot" id="seq-plot" role="figure" aria-label="Each layer's maps for the picture"></div>
      <p class="hint" id="seq-note"></p></div>`;
  }
  modelPicker(el);
  rangeToggle(el);
  const m = modelInfo();
  const res = await predict(m.name);
  architecture(el.querySelector("#seq-arch"), m, (name) => update({ lay: name, step: 10 }), { poolNote: true });
  const shapes = layerShapes(m);
  const layers = res.activations.filter((a) => a.kind === "conv" || a.kind === "pool").slice(0, 4)
    .map((a) => {
      const f = shapes.find((l) => l.name === a.layer)?.filters;
      return { ...a, maps: mapsOf(a).slice(0, 8),
        note: f ? `${f.count} filters of ${f.k}×${f.k}×${f.depth}` : "pooling: step 9" };
    });
  const { traces, layout } = mapsFigure(layers, 8);
  await draw(el.querySelector("#seq-plot"), traces, layout);
  el.querySelector("#seq-note").textContent = layers.some((a) => a.shape[2] > 8)
    ? "Each row shows its layer's first 8 maps, all drawn to the same scale." : "";
}
