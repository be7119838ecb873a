// What a filter looks for: the 9 training patches that excite it most (Zeiler & Fergus, 2014),
// each cropped to the receptive field of the unit that fired. Where that window crosses the
// picture's edge, the padding is drawn hatched grey (never wrapped pixels).
import { decode } from "./api.js";

const n = (v) => Number(v).toLocaleString("en-US");

/** One patch (s, s, 3) u1 on a canvas, `scale` screen pixels a pixel, padding hatched. */
function patchCanvas(data, offset, s, inside, scale) {
  const [t0, l0, t1, l1] = inside;
  const c = document.createElement("canvas");
  c.width = c.height = s * scale;
  const ctx = c.getContext("2d");
  const small = new ImageData(s, s);
  for (let i = 0; i < s * s; i++) {
    const y = Math.floor(i / s), x = i % s;
    const pad = y < t0 || y >= t1 || x < l0 || x >= l1;
    small.data.set(pad ? [200, 200, 200, 255] : [...data.subarray(offset + 3 * i, offset + 3 * i + 3), 255], 4 * i);
  }
  const tmp = document.createElement("canvas");
  tmp.width = tmp.height = s;
  tmp.getContext("2d").putImageData(small, 0, 0);
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(tmp, 0, 0, s * scale, s * scale);
  if (t0 > 0 || l0 > 0 || t1 < s || l1 < s) {
    ctx.save(); // hatch everything outside the picture
    ctx.beginPath();
    ctx.rect(0, 0, s * scale, s * scale);
    ctx.rect(l0 * scale, t0 * scale, (l1 - l0) * scale, (t1 - t0) * scale);
    ctx.clip("evenodd");
    ctx.strokeStyle = "#777";
    ctx.lineWidth = Math.max(1, scale / 3);
    for (let d = -s * scale; d < s * scale; d += Math.max(4, scale * 1.5)) {
      ctx.beginPath();
      ctx.moveTo(d, s * scale);
      ctx.lineTo(d + s * scale, 0);
      ctx.stroke();
    }
    ctx.restore();
  }
  return c;
}

/** The filter's weights (k, k, 3) u1 tile, enlarged: its colours as the tiles draw them. */
function weightsCanvas(tile, k) {
  const c = document.createElement("canvas");
  c.width = c.height = k;
  const img = new ImageData(k, k);
  for (let i = 0; i < k * k; i++) img.data.set([...tile.subarray(3 * i, 3 * i + 3), 255], 4 * i);
  c.getContext("2d").putImageData(img, 0, 0);
  c.className = "patches-weights";
  c.setAttribute("role", "img");
  c.setAttribute("aria-label", "The filter's weights");
  return c;
}

/** Render a GET /api/models/<name>/top_patches response into el (caption + 3×3 grid); with
 * `tiles` (a filters response's tiles, typed (F, k, k, 3) u1) the filter's weights beside. */
export function render(el, data, { tiles = null } = {}) {
  const { data: px, shape } = decode(data.patches);
  const [count, s] = shape;
  const scale = Math.max(2, Math.ceil(96 / s));
  el.replaceChildren();
  el.classList.add("top-patches");
  el.dataset.layer = data.layer;
  el.dataset.filter = String(data.filter);
  const cap = document.createElement("p");
  cap.className = "patches-caption";
  const what = document.createElement("strong");
  what.textContent = `${data.layer}, filter ${data.filter + 1}: what excites it most`;
  cap.append(what, ` — the ${count} patches of ${n(data.searched)} training pictures with its strongest response. `
    + `Each is the unit's receptive field: ${s}×${s} pixels of the 32×32 picture`
    + (s > 5 ? " (hatched: padding outside the picture)." : "."));
  const grid = document.createElement("div");
  grid.className = "patches-grid";
  for (let k = 0; k < count; k++) {
    const fig = document.createElement("figure");
    const canvas = patchCanvas(px, k * s * s * 3, s, data.inside[k], scale);
    canvas.setAttribute("role", "img");
    canvas.setAttribute("aria-label", `Patch ${k + 1}: response ${data.activations[k].toFixed(2)}`);
    const label = document.createElement("figcaption");
    label.textContent = data.activations[k].toFixed(2);
    fig.dataset.activation = String(data.activations[k]);
    fig.append(canvas, label);
    grid.append(fig);
  }
  if (tiles) {
    const { data: t, shape: [, k] } = decode(tiles);
    const fig = document.createElement("figure");
    fig.className = "patches-filter";
    const label = document.createElement("figcaption");
    label.textContent = "its weights";
    fig.append(weightsCanvas(t.subarray(data.filter * k * k * 3, (data.filter + 1) * k * k * 3), k), label);
    grid.prepend(fig);
    el.classList.add("with-weights");
  } else el.classList.remove("with-weights");
  el.append(cap, grid);
}

/** A message in el instead of patches (none computed, or an error). */
export function message(el, text) {
  el.replaceChildren();
  const p = document.createElement("p");
  p.className = "patches-caption";
  p.textContent = text;
  el.append(p);
}
