// Small controls more than one view uses: the network picker (steps 5, 6, 7, 10), the colour
// range toggle (each map its own range, or one shared range; steps 4, 5, 7, 10), and filter
// tiles (steps 6, 7).
import { decode } from "./api.js";
import { catalog, modelInfo } from "./data.js";
import { state, update } from "./state.js";

/** A labelled select at the top of el (made once, by its class), writing state[key]. */
function stateSelect(el, cls, text, key, options) {
  let sel = el.querySelector(`.${cls} select`);
  if (!sel) {
    const label = document.createElement("label");
    label.className = `field inline ${cls}`;
    label.textContent = text;
    sel = document.createElement("select");
    sel.append(...options());
    sel.addEventListener("change", () => update({ [key]: sel.value }));
    label.append(sel);
    el.prepend(label);
  }
  return sel;
}

/** A "Network" select at the top of el. */
export function modelPicker(el) {
  stateSelect(el, "model-pick", "Network ", "model", () => catalog.models.map((m) =>
    new Option(`${m.title} (${Math.round(100 * (m.accuracy || 0))}% right)`, m.name)))
    .value = modelInfo()?.name;
}

/** "Colours: each map / shared" (as CNN Explainer): state.range "map" or "layer". */
export function rangeToggle(el) {
  stateSelect(el, "range-pick", "Colour range ", "range", () =>
    [new Option("each map its own", "map"), new Option("shared by the layer", "layer")])
    .value = state.range;
}

/** Tiles (F, k, k, 3) u1 as enlarged canvases (pixelated: every weight a crisp square). */
export function tiles(box, res) {
  const { data, shape } = decode(res.tiles);
  const [F, k] = shape;
  while (box.children.length > F) box.lastChild.remove();
  for (let f = 0; f < F; f++) {
    let c = box.children[f];
    if (!c) {
      c = document.createElement("canvas");
      c.width = k;
      c.height = k;
      c.setAttribute("role", "img");
      c.setAttribute("aria-label", `Filter ${f + 1}`);
      box.append(c);
    }
    const ctx = c.getContext("2d");
    const img = ctx.createImageData(k, k);
    for (let i = 0; i < k * k; i++) img.data.set([...data.subarray((f * k * k + i) * 3, (f * k * k + i) * 3 + 3), 255], 4 * i);
    ctx.putImageData(img, 0, 0);
  }
}
