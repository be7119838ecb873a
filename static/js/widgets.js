// Small controls more than one view uses: the network picker (steps 5, 6, 7, 10), the colour
// range toggle (each map its own range, or one shared range; steps 4, 5, 7, 10), and filter
// tiles (steps 6, 7).
import { decode } from "./api.js";
import { catalog, modelInfo } from "./data.js";
import { state, update } from "./state.js";

/** A "Network" select at the top of el. */
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

/** "Colours: each map / shared" (as CNN Explainer): state.range "map" or "layer". */
export function rangeToggle(el) {
  let sel = el.querySelector(".range-pick select");
  if (!sel) {
    const label = document.createElement("label");
    label.className = "field inline range-pick";
    label.textContent = "Colour range ";
    sel = document.createElement("select");
    sel.append(new Option("each map its own", "map"), new Option("shared by the layer", "layer"));
    sel.addEventListener("change", () => update({ range: sel.value }));
    label.append(sel);
    el.prepend(label);
  }
  sel.value = state.range;
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
