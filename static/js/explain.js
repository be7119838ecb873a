// Why this guess (step 10): the picture with a saliency map or Grad-CAM over it, for the
// guessed class or one the student picks; what the network knows; a clear "not sure".
import { decode } from "./api.js";
import { colorscale } from "./colors.js";
import { draw, mapLayout, theme } from "./plots.js";

/** The rule for an unsure guess, as the page states it. */
export const UNSURE = { top: 0.5, gap: 0.2 };
export const RULE = `“Not sure” when its top probability is under ${100 * UNSURE.top}% `
  + `or the top two are less than ${100 * UNSURE.gap} points apart.`;

/** {sure, text} for probabilities (K,) and their class names. */
export function verdict(probabilities, classes) {
  const order = probabilities.map((p, i) => [p, classes[i]]).sort((a, b) => b[0] - a[0]);
  const [[p1, c1], [p2, c2]] = order;
  const pct = (p) => `${Math.round(100 * p)}%`;
  if (p1 < UNSURE.top || p1 - p2 < UNSURE.gap) {
    return { sure: false, text: `Not sure: maybe ${c1} (${pct(p1)}) or ${c2} (${pct(p2)}).` };
  }
  return { sure: true, text: `It says ${c1} (${pct(p1)}).` };
}

/** What the network knows, in the page's words. */
export function knows(classes) {
  return `It knows only ten kinds of things (${classes.join(", ")}), from small 32×32 photos `
    + "where the object fills the frame. Anything else still gets one of these ten names; "
    + "a small object in a big scene is often missed.";
}

/** The 2-D map of an explain response for a mode, scaled to 0..1 (peak 1), or null. */
export function overlay(res, mode) {
  if (mode === "none") return null;
  const { data, shape } = decode(mode === "saliency" ? res.saliency : res.grad_cam);
  let peak = 0;
  for (const v of data) peak = Math.max(peak, v);
  const rows = [];
  for (let r = 0; r < shape[0]; r++) {
    rows.push(Array.from(data.subarray(r * shape[1], (r + 1) * shape[1]), (v) => (peak ? v / peak : 0)));
  }
  return { rows, peak, h: shape[0], w: shape[1] };
}

/**
 * Draw the picture and the chosen map over it into the plot div gd.
 * data: {picture: data URL of the 32×32 picture, res: explain response, mode: "none" |
 * "saliency" | "gradcam", classes}.
 */
export function render(gd, data) {
  const { res, mode, picture } = data;
  const t = theme();
  const S = decode(res.saliency).shape[0];
  const traces = [{ type: "image", source: picture, x0: 0, y0: 0, dx: 1, dy: 1, hoverinfo: "skip" }];
  const m = overlay(res, mode);
  if (m) {
    traces.push({ type: "heatmap", z: m.rows, zmin: 0, zmax: 1, opacity: 0.6, zsmooth: false,
      colorscale: colorscale("viridis"), showscale: true,
      colorbar: { thickness: 12, len: 0.8, tickvals: [0, 1], ticktext: ["0", "most"], tickfont: { size: t.big ? t.font : t.font * 0.85 } },
      hovertemplate: `${mode === "saliency" ? "saliency" : "Grad-CAM"} %{z:.2f} of its peak<extra></extra>` });
  }
  const what = mode === "saliency" ? "Saliency: where a small change moves its score most"
    : mode === "gradcam" ? `Grad-CAM: where ${res.layer}'s maps raised its score` : "The picture it saw (32×32)";
  const layout = mapLayout({ h: S, w: S, small: true });
  const caption = gd.parentElement.querySelector(".why-caption");
  if (caption) caption.textContent = `Why “${res.class_name}”? ${what}.`;
  gd.dataset.mode = mode;
  gd.dataset.cls = String(res.class);
  return draw(gd, traces, layout);
}

/** The toggle (none / saliency / Grad-CAM) and the class picker, built once into el. */
export function controls(el, classes, { mode, cls, guess }, onChange) {
  let box = el.querySelector(".explain-controls");
  if (!box) {
    box = document.createElement("div");
    box.className = "explain-controls";
    const group = document.createElement("div");
    group.setAttribute("role", "radiogroup");
    group.setAttribute("aria-label", "Show over the picture");
    for (const [value, label] of [["none", "Picture"], ["saliency", "Saliency"], ["gradcam", "Grad-CAM"]]) {
      const b = document.createElement("button");
      b.type = "button";
      b.dataset.mode = value;
      b.textContent = label;
      b.setAttribute("role", "radio");
      b.addEventListener("click", () => onChange({ mode: value }));
      group.append(b);
    }
    const pick = document.createElement("label");
    pick.className = "field inline";
    pick.textContent = "Explain ";
    const sel = document.createElement("select");
    sel.className = "explain-class";
    sel.addEventListener("change", () => onChange({ cls: Number(sel.value) }));
    pick.append(sel);
    box.append(group, pick);
    el.prepend(box);
  }
  for (const b of box.querySelectorAll("button[data-mode]")) b.setAttribute("aria-checked", String(b.dataset.mode === mode));
  const sel = box.querySelector("select");
  sel.replaceChildren(...classes.map((c, i) => new Option(i === guess ? `${c} (its guess)` : c, String(i))));
  sel.value = String(cls);
}
