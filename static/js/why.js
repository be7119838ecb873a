// Inside the trained network, wired into the lesson: step 10's "why this guess" panel (the
// verdict, what the network knows, saliency / Grad-CAM over the picture, a class picker) and
// the top training patches of a filter — a clicked map in step 10, a learned tile in step 7.
// Views: explain.js, patches.js; data: data.js; the choices live in the state (URL).
import { explainFor, filterBank, pictureURL, topPatches } from "./data.js";
import * as explain from "./explain.js";
import * as patches from "./patches.js";
import { state, update } from "./state.js";

const argmax = (a) => a.reduce((best, v, i) => (v > a[best] ? i : best), 0);

/** The conv layer whose filters make the maps of `layer` (itself, or the last conv before it). */
export function convOf(m, layer) {
  const i = m.layers.findIndex((l) => l.name === layer);
  for (let j = i; j >= 0; j--) {
    if (m.layers[j].kind === "conv") return m.layers[j].name;
    if (["flatten", "fc"].includes(m.layers[j].kind)) return null;
  }
  return null;
}

/** Draw filter `index` of conv layer `layer`'s top patches into el (or say why not); with
 * `weights`, the filter's weights beside them (a first layer's k×k×3 filters can be drawn). */
export async function showPatches(el, model, layer, index, { weights = false } = {}) {
  if (!layer) {
    patches.message(el, "This layer has no filters of its own: pick a conv, ReLU or pool layer to see what its filters look for.");
    return;
  }
  try {
    const [data, bank] = await Promise.all([topPatches(model, layer, index),
      weights ? filterBank(model, layer).catch(() => null) : null]);
    patches.render(el, data, { tiles: bank && bank.shape.at(-1) === 3 ? bank.tiles : null });
  } catch (e) {
    patches.message(el, e.detail || e.message);
  }
}

const clickers = new WeakMap(); // plot div → its one plotly_click handler

/** Call fn(map index) when a map of the drawn activations figure gd is clicked; call after
 * every draw (a fresh draw drops listeners): the handler is bound exactly once. */
export function onMapClick(gd, fn) {
  const old = clickers.get(gd);
  if (old) gd.removeListener?.("plotly_click", old);
  const handler = (ev) => { const pt = ev?.points?.[0]; if (pt) fn(pt.curveNumber); };
  clickers.set(gd, handler);
  gd.on?.("plotly_click", handler);
}

/** The tabs of step 10's right-hand panel: the chosen layer's maps, why it guessed, and the
 * top patches of the filter whose map was clicked. */
export const TABS = `<div class="net-tabs" role="tablist" aria-label="Show">
  <button type="button" role="tab" data-tab="maps" aria-controls="net-acts">Its maps</button>
  <button type="button" role="tab" data-tab="why" aria-controls="net-why">Why this guess?</button>
  <button type="button" role="tab" data-tab="filter" aria-controls="why-patches">What a filter looks for</button></div>`;

const PANES = { maps: "#net-acts", why: "#net-why", filter: "#why-patches" };

/** Bind the tabs once (onPick(tab)) and show the pane of state.nv, hiding the others. */
export function tabs(el, onPick) {
  for (const b of el.querySelectorAll(".net-tabs [data-tab]")) {
    if (!b.onclick) b.onclick = () => onPick(b.dataset.tab);
    b.setAttribute("aria-selected", String(b.dataset.tab === state.nv));
  }
  for (const [tab, sel] of Object.entries(PANES)) el.querySelector(sel).hidden = tab !== state.nv;
}

/** The verdict above the probabilities: the guess, or "not sure: maybe X or Y". */
export function verdict(p, res) {
  const v = explain.verdict(res.probabilities, res.classes);
  p.textContent = v.text;
  p.classList.toggle("unsure", !v.sure);
}

/** Size the patches grid of a fixed-height pane so `cols` × `rows` cells fill it. */
function fitCells(pane, cols, rows) {
  const grid = pane.querySelector(".patches-grid");
  if (!grid) return;
  const capEl = pane.querySelector(".patches-caption");
  const cap = capEl ? capEl.offsetHeight + Number.parseFloat(getComputedStyle(capEl).marginBottom) : 0;
  const fit = () => {
    // the tallest label ("its weights" may take two lines), at least a line and a half
    const label = Math.max(1.6 * Number.parseFloat(getComputedStyle(grid).fontSize),
      ...[...grid.querySelectorAll("figcaption")].map((f) => f.offsetHeight));
    const cell = Math.min((pane.clientWidth - 8 * (cols - 1)) / cols,
      (pane.clientHeight - cap - 8 * rows) / rows - label);
    grid.style.setProperty("--cell", `${Math.max(40, Math.floor(cell))}px`);
  };
  fit();
  fit(); // again: at the new width a label may wrap differently
}

let lastImg = null;

/** Step 10's right-hand panel when it is not the maps: why (state.nv "why") or a filter's
 * top patches ("filter": filter state.pf of the conv layer behind `layer`). */
export async function renderSide(el, m, res, layer) {
  if (state.nv === "filter") {
    const conv = convOf(m, layer);
    const pane = el.querySelector("#why-patches");
    await showPatches(pane, m.name, conv, state.pf,
      { weights: conv === m.layers.find((l) => l.kind === "conv").name });
    fitCells(pane, 5, 2);
    return;
  }
  await renderWhy(el.querySelector("#net-why"), m, res);
}

/** The "why this guess" pane into el, for model info m and its predict response res. */
export async function renderWhy(el, m, res) {
  if (lastImg !== null && lastImg !== state.img && state.xc >= 0) {
    lastImg = state.img;
    update({ xc: -1 }); // a new picture: explain its guess again (this redraws the step)
    return;
  }
  lastImg = state.img;
  if (!el.querySelector(".why-explain")) {
    el.innerHTML = `<div class="why-explain"><p class="why-caption"></p><div class="plot" id="why-plot" role="figure"
        aria-label="The picture, with what made the network guess"></div></div>
      <details class="why-text"><summary>What it knows, and when it is not sure</summary>
        <p class="why-rule"></p><p class="why-knows"></p></details>`;
    // open at a desk; on a projector the picture gets the room and the teacher opens it
    el.querySelector(".why-text").open = state.mode !== "class";
  }
  el.querySelector(".why-rule").textContent = `${explain.RULE} Its probabilities are calibrated: `
    + "said with 80%, it is right about 80% of the time.";
  el.querySelector(".why-knows").textContent = explain.knows(res.classes);
  const guess = argmax(res.probabilities);
  const cls = state.xc >= 0 && state.xc < res.classes.length ? state.xc : guess;
  explain.controls(el.querySelector(".why-explain"), res.classes, { mode: state.xm, cls, guess },
    (change) => update("cls" in change ? { xc: change.cls === guess ? -1 : change.cls } : { xm: change.mode }));
  const [x, picture] = await Promise.all([
    explainFor(m.name, state.img, cls === guess ? null : cls), pictureURL(state.img)]);
  await explain.render(el.querySelector("#why-plot"), { res: x, mode: state.xm, picture });
}

/** Step 7: hovering or clicking a learned filter's tile in `tiles` shows its top patches. */
export function attachTiles(tiles, panel, model, layer) {
  const pick = (e) => {
    const i = [...tiles.children].indexOf(e.target);
    if (i < 0 || (e.type === "mouseover" && panel.dataset.filter === String(i))) return;
    for (const [j, c] of [...tiles.children].entries()) c.classList.toggle("picked", j === i);
    showPatches(panel, model, layer, i, { weights: true });
  };
  if (tiles.dataset.patches !== `${model}|${layer}`) {
    tiles.dataset.patches = `${model}|${layer}`;
    tiles.onclick = pick; // one handler per box, replaced when the model changes
    tiles.onmouseover = pick;
    showPatches(panel, model, layer, 0, { weights: true });
    tiles.children[0]?.classList.add("picked");
  }
}
