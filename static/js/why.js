// Inside the trained network, wired into the lesson: step 10's "why this guess" panel (the
// verdict, what the network knows, saliency / Grad-CAM over the picture, a class picker) and
// the top training patches of a filter — a clicked map in step 10, a learned tile in step 7.
// Views: explain.js, patches.js; data: data.js; the choices live in the state (URL).
import { explainFor, pictureURL, topPatches } from "./data.js";
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

/** Draw filter `index` of conv layer `layer`'s top patches into el (or say why not). */
export async function showPatches(el, model, layer, index) {
  if (!layer) {
    patches.message(el, "This layer has no filters of its own: pick a conv, ReLU or pool layer to see what its filters look for.");
    return;
  }
  try {
    patches.render(el, await topPatches(model, layer, index));
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

let lastImg = null;

/** Step 10's panel into el, for model info m, its predict response res and the layer shown. */
export async function renderWhy(el, m, res, layer) {
  if (lastImg !== null && lastImg !== state.img && state.xc >= 0) {
    lastImg = state.img;
    update({ xc: -1 }); // a new picture: explain its guess again (this redraws the step)
    return;
  }
  lastImg = state.img;
  if (!el.querySelector(".why-verdict")) {
    el.innerHTML = `<div class="why-text"><p class="why-verdict" role="status"></p>
        <p class="why-rule"></p><p class="why-knows"></p></div>
      <div class="why-explain"><div class="plot" id="why-plot" role="figure"
        aria-label="The picture, with what made the network guess"></div></div>
      <div class="why-patches" id="why-patches" aria-live="polite"></div>`;
  }
  const v = explain.verdict(res.probabilities, res.classes);
  const verdict = el.querySelector(".why-verdict");
  verdict.textContent = v.text;
  verdict.classList.toggle("unsure", !v.sure);
  el.querySelector(".why-rule").textContent = explain.RULE + " The probabilities are calibrated: "
    + "on pictures it never trained on, a guess said with 80% is right about 80% of the time.";
  el.querySelector(".why-knows").textContent = explain.knows(res.classes);
  const guess = argmax(res.probabilities);
  const cls = state.xc >= 0 && state.xc < res.classes.length ? state.xc : guess;
  const box = el.querySelector(".why-explain");
  explain.controls(box, res.classes, { mode: state.xm, cls, guess },
    (change) => update("cls" in change ? { xc: change.cls === guess ? -1 : change.cls } : { xm: change.mode }));
  const [x, picture] = await Promise.all([
    explainFor(m.name, state.img, cls === guess ? null : cls), pictureURL(state.img),
    showPatches(el.querySelector("#why-patches"), m.name, convOf(m, layer), state.pf)]);
  await explain.render(el.querySelector("#why-plot"), { res: x, mode: state.xm, picture });
}

/** Step 7: hovering or clicking a learned filter's tile in `tiles` shows its top patches. */
export function attachTiles(tiles, panel, model, layer) {
  const pick = (e) => {
    const i = [...tiles.children].indexOf(e.target);
    if (i < 0 || (e.type === "mouseover" && panel.dataset.filter === String(i))) return;
    for (const [j, c] of [...tiles.children].entries()) c.classList.toggle("picked", j === i);
    showPatches(panel, model, layer, i);
  };
  if (tiles.dataset.patches !== `${model}|${layer}`) {
    tiles.dataset.patches = `${model}|${layer}`;
    tiles.onclick = pick; // one handler per box, replaced when the model changes
    tiles.onmouseover = pick;
    showPatches(panel, model, layer, 0);
    tiles.children[0]?.classList.add("picked");
  }
}
