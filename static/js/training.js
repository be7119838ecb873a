// Steps 6 and 7: the trained network's first-layer filters, evolving from random noise over
// the training epochs (slider + play), the training curves, and the final filters at work.
import { decode } from "./api.js";
import { filtersAt, modelInfo, predict, split, trainingHistory } from "./data.js";
import { layerFigure } from "./figures.js";
import { draw, layoutKey, Plotly, theme } from "./plots.js";
import { state, update } from "./state.js";
import { modelPicker, rangeToggle, tiles } from "./widgets.js";
import { attachTiles } from "./why.js";

let ui = null, epochs = [], timer = 0;

function curves(gd, hist, epoch) {
  const t = theme();
  const e = hist.epochs;
  const x = e.map((r) => r.epoch);
  return draw(gd, [
    { x, y: e.map((r) => r.val_acc), name: "accuracy (held-out)", line: { width: t.line, color: "#2166ac" } },
    { x, y: e.map((r) => r.train_loss), name: "training loss", yaxis: "y2", line: { width: t.line, color: "#b2182b", dash: "dash" } },
  ], {
    font: { size: t.font, color: t.ink }, margin: { l: t.font * 4, r: t.font * 4, t: t.font * 3.5, b: t.font * 3.5 }, dragmode: false,
    legend: { orientation: "h", y: 1.02, yanchor: "bottom", x: 0 }, paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "#fff",
    xaxis: { title: { text: "epoch" }, gridcolor: "#ddd", fixedrange: true },
    yaxis: { tickformat: ".0%", range: [0, 1], gridcolor: "#ddd", fixedrange: true },
    yaxis2: { overlaying: "y", side: "right", showgrid: false, fixedrange: true, rangemode: "tozero" },
    shapes: [{ type: "line", x0: epoch, x1: epoch, yref: "paper", y0: 0, y1: 1, line: { color: "#e6007e", width: t.line } }],
  });
}

function build(el) {
  el.innerHTML = `<div class="training">
    <div class="epoch-bar" role="group" aria-label="Training epochs">
      <button type="button" id="ep-play" aria-label="Play the training (Space)">▶ Play</button>
      <label class="field inline">Epoch <output id="ep-out">0</output>
        <input type="range" id="ep-range" min="0" max="0" value="0" aria-label="Epoch"></label>
    </div>
    <div class="tiles" id="ep-tiles"></div>
    <div class="plot" id="ep-curves" role="figure" aria-label="Accuracy and loss over the epochs"></div></div>`;
  ui = { el, range: el.querySelector("#ep-range"), out: el.querySelector("#ep-out"),
    play: el.querySelector("#ep-play"), tiles: el.querySelector("#ep-tiles"), curves: el.querySelector("#ep-curves") };
  ui.range.addEventListener("input", () => { stop(); update({ ep: epochs[Number(ui.range.value)] }); });
  ui.play.addEventListener("click", () => (timer ? stop() : play()));
}

function play() {
  let i = epochs.indexOf(state.ep);
  if (i < 0 || i >= epochs.length - 1) i = -1;
  ui.play.textContent = "❚❚ Pause";
  timer = setInterval(() => {
    i += 1;
    if (i >= epochs.length) return stop();
    update({ ep: epochs[i] });
  }, 450);
}

export function stop() {
  clearInterval(timer);
  timer = 0;
  if (ui) ui.play.textContent = "▶ Play";
}

/** Step 6. */
export async function render(el) {
  if (!ui || !el.contains(ui.range)) build(el);
  modelPicker(el);
  const m = modelInfo();
  const first = await filtersAt(m, -1);
  epochs = first.epochs;
  const ep = state.ep < 0 || !epochs.includes(state.ep) ? epochs.at(-1) : state.ep;
  ui.range.max = String(epochs.length - 1);
  ui.range.value = String(Math.max(0, epochs.indexOf(ep)));
  ui.out.textContent = ep === 0 ? "0 (random start)" : `${ep} of ${epochs.at(-1)}`;
  tiles(ui.tiles, await filtersAt(m, ep));
  ui.tiles.classList.toggle("many", ui.tiles.children.length > 16);
  ui.tiles.classList.toggle("big", ui.tiles.children.length <= 9);
  const hist = await trainingHistory(m);
  const gd = ui.curves;
  if (gd.data && gd.dataset.model === m.name && gd.dataset.mode === layoutKey()) {
    Plotly.relayout(gd, { "shapes[0].x0": ep, "shapes[0].x1": ep });
  } else {
    await curves(gd, hist, ep);
    gd.dataset.model = m.name;
    gd.dataset.mode = layoutKey();
  }
  for (const e of epochs) filtersAt(m, e); // prefetch: playing is then instant
}

/** Space plays / pauses; → ← one epoch (past the last or the first: the lesson's next step). */
export function key(e) {
  if (e.key === " ") { timer ? stop() : play(); return true; }
  const i = epochs.indexOf(state.ep < 0 ? epochs.at(-1) : state.ep);
  const to = { ArrowRight: i + 1, ArrowLeft: i - 1 }[e.key];
  if (to === undefined || i < 0 || to < 0 || to >= epochs.length) return false;
  stop();
  update({ ep: epochs[to] });
  return true;
}

/** Step 7: the final filters, big, and their maps on the current picture. */
export async function renderLearned(el) {
  if (!el.querySelector(".learned")) {
    el.innerHTML = `<div class="learned"><div class="learned-side"><div class="tiles" id="learned-tiles"></div>
      <button type="button" id="learned-use">Use these filters in the layer view</button>
      <div class="why-patches" id="learned-patches" aria-live="polite"></div></div>
      <div class="plot" id="layer-plot-learned" role="figure" aria-label="The learned filters applied to the picture"></div></div>`;
    el.querySelector("#learned-use").addEventListener("click", () => {
      const m = modelInfo(), conv = m.layers.find((l) => l.kind === "conv");
      update({ f: Array.from({ length: Math.min(conv.output_shape[2], 8) }, (_, i) => `${m.name}.${conv.name}.${i}`), fi: 0, step: 4 });
    });
  }
  modelPicker(el);
  rangeToggle(el);
  const m = modelInfo(), conv = m.layers.find((l) => l.kind === "conv");
  const box = el.querySelector("#learned-tiles");
  tiles(box, await filtersAt(m, -1));
  box.classList.toggle("big", box.children.length <= 9);
  box.classList.toggle("many", box.children.length > 16);
  attachTiles(box, el.querySelector("#learned-patches"), m.name, conv.name); // tile → top patches
  // The network's own first layers on the picture (its input normalised as in training):
  // conv → ReLU → pool, as the layer view draws a hand-made layer.
  const [res, bank] = await Promise.all([predict(m.name), filtersAt(m, -1)]);
  const at = res.activations.findIndex((a) => a.layer === conv.name);
  // conv1, relu1 and the pool after them, if the network pools there (a deeper one convolves
  // again first: its next maps are not these filters' and are left out)
  const stages = res.activations.slice(at, at + 3).filter((a, i) => i < 2 || a.kind === "pool");
  const [cmaps, rmaps, pmaps] = stages.map((a) => a.maps.slice(0, 6).map(split));
  const { data: tileData, shape: [, k] } = decode(bank.tiles);
  const d = {
    filters: cmaps.map((_, i) => ({ label: `${conv.name} filter ${i + 1}`, head: "", k,
      tile: tileData.subarray(i * k * k * 3, (i + 1) * k * k * 3) })),
    maps: cmaps, relu: rmaps, pooled: pmaps,
  };
  const { traces, layout } = layerFigure(d, ["Filter", ...stages.map((a) => `${a.layer} ${a.shape.join("×")}`)]);
  await draw(el.querySelector("#layer-plot-learned"), traces, layout);
}
