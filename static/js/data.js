// The conv layer the views share: ONE POST /api/conv per change of picture, filters or
// geometry, decoded once. Views read `current` and never fetch the layer themselves.
import { api, decode, withImage } from "./api.js";
import { kernelOf, state } from "./state.js";

export let current = null; // the decoded conv response (see decodeConv)
export let catalog = { samples: [], presets: [], models: [] };
let inflight = null;

/** The conv body of the current state (also used by exports and checks). */
export function convBody(s = state) {
  return {
    image_id: s.img, size: s.size, filters: s.f.map((t) => kernelOf(t, s.k)),
    stride: s.s, padding: s.p, dilation: s.d, pool: { op: "max", size: 2, stride: 2 },
  };
}

/** A typed 2-D map → {data, h, w, rows} (rows: nested, for Plotly's z). */
export function split(ta) {
  const { data, shape } = decode(ta);
  return mapOf(data, shape[0], shape[1]);
}

function mapOf(data, h, w) {
  const rows = [];
  for (let r = 0; r < h; r++) rows.push(Array.from(data.subarray(r * w, (r + 1) * w)));
  return { data, h, w, rows };
}

/** ReLU of a map, here: max(v, 0) is exact, so these are the engine's numbers. */
function reluOf(m) {
  const out = new Float32Array(m.data.length);
  for (let i = 0; i < out.length; i++) out[i] = m.data[i] > 0 ? m.data[i] : 0;
  return mapOf(out, m.h, m.w);
}

/** Max pooling of a map (size, stride), as the engine's (a max is exact): (Hp, Wp). */
function maxPoolOf(m, size, stride) {
  const hp = Math.floor((m.h - size) / stride) + 1, wp = Math.floor((m.w - size) / stride) + 1;
  const out = new Float32Array(hp * wp);
  for (let r = 0; r < hp; r++) {
    for (let c = 0; c < wp; c++) {
      let best = -Infinity;
      for (let i = 0; i < size; i++) {
        for (let j = 0; j < size; j++) best = Math.max(best, m.data[(r * stride + i) * m.w + c * stride + j]);
      }
      out[r * wp + c] = best;
    }
  }
  return mapOf(out, hp, wp);
}

/** The stacks POST /api/conv sends: the maps alone when the page can derive the rest (ReLU,
 * max pooling); a third of the bytes at 128² and above. */
export const outputsFor = (body) => (body.pool.op === "max" ? ["maps"] : ["maps", "pooled"]);

/** Decode the conv response: pixels as float32 in [0, 1] (exactly the server's), maps. */
export function decodeConv(body, res) {
  const img = decode(res.image);
  const [S] = img.shape;
  const x = new Float32Array(img.data.length);
  for (let i = 0; i < x.length; i++) x[i] = img.data[i] / 255; // float32 u/255, as the engine
  const filters = res.filters.map((f) => {
    const w = decode(f.weights);
    return { label: f.label, w: w.data, k: w.shape[0], bias: f.bias, tile: decode(f.tile).data };
  });
  const maps = res.maps.map(split);
  const relu = res.relu ? res.relu.map(split) : maps.map(reluOf);
  const { size, stride } = body.pool;
  const pooled = res.pooled ? res.pooled.map(split) : relu.map((m) => maxPoolOf(m, size, stride));
  return { body, geometry: res.geometry, S, u8: img.data, x, filters, maps, relu, pooled };
}

/** Fetch the layer for the current state; resolves to the decoded data (latest call wins). */
export async function loadConv() {
  const body = convBody();
  const key = JSON.stringify(body);
  if (current && JSON.stringify(current.body) === key) return current;
  if (inflight && inflight.key === key) return inflight.promise;
  inflight?.controller.abort();
  const controller = new AbortController();
  const request = { ...body, outputs: outputsFor(body) };
  const promise = withImage("/api/conv", request, { signal: controller.signal })
    .then((res) => {
      current = decodeConv(body, res);
      return current;
    })
    .finally(() => { if (inflight?.key === key) inflight = null; });
  inflight = { key, controller, promise };
  return promise;
}

/** Samples, presets and models: fetched once, at start. */
export async function loadCatalog() {
  const [samples, presets, models] = await Promise.all([
    api("/api/samples"), api("/api/presets?size=5"), api("/api/models")]);
  catalog = { samples: samples.samples, presets: presets.presets, models: models.models };
  return catalog;
}

/** One output position's dot product, computed here from the same float32 numbers as the
 * engine's conv_step (products rounded to float32, sums in float64), so it equals
 * POST /api/conv/step. pos = row·Wo + col. */
export function stepAt(d, fi, pos) {
  const { stride, padding, dilation, output } = d.geometry;
  const Wo = output[1];
  const row = Math.floor(pos / Wo), col = pos % Wo;
  const f = d.filters[fi];
  const k = f.k, S = d.S;
  const top = row * stride - padding, left = col * stride - padding;
  const n = k * k * 3;
  const patch = new Float32Array(n), products = new Float32Array(n);
  const sums = [0, 0, 0];
  for (let i = 0; i < k; i++) {
    const r = top + i * dilation;
    for (let j = 0; j < k; j++) {
      const c = left + j * dilation;
      const inside = r >= 0 && r < S && c >= 0 && c < S;
      for (let ch = 0; ch < 3; ch++) {
        const at = (i * k + j) * 3 + ch;
        const p = inside ? d.x[(r * S + c) * 3 + ch] : 0;
        patch[at] = p;
        products[at] = Math.fround(f.w[at] * p);
        sums[ch] += products[at];
      }
    }
  }
  const channelSums = sums.map(Math.fround);
  const value = Math.fround(sums[0] + sums[1] + sums[2] + Math.fround(f.bias));
  return { row, col, top, left, k, dilation, patch, weights: f.w, products, channelSums,
    bias: Math.fround(f.bias), value };
}

// --- inside the trained network (issue 12): top patches, explanations, the 32×32 picture ---
const insideCache = new Map();
function once(key, make) {
  if (!insideCache.has(key)) insideCache.set(key, make().catch((e) => { insideCache.delete(key); throw e; }));
  return insideCache.get(key);
}

/** GET /api/models/<model>/top_patches for one filter (cached). */
export function topPatches(model, layer, filter) {
  return once(`p|${model}|${layer}|${filter}`,
    () => api(`/api/models/${model}/top_patches?layer=${encodeURIComponent(layer)}&filter=${filter}`));
}

/** POST /api/models/<model>/explain for the picture and a class (null: the guess), cached. */
export function explainFor(model, image_id, cls = null) {
  const body = cls === null ? { image_id } : { image_id, class: cls };
  return once(`x|${model}|${image_id}|${cls}`, () => withImage(`/api/models/${model}/explain`, body));
}

/** The picture at the networks' 32×32 as a data: URL (for Plotly's image trace). */
export function pictureURL(image_id, size = 32) {
  return once(`i|${image_id}|${size}`, async () => {
    const blob = await api(`/api/images/${image_id}?size=${size}`, undefined, { raw: true });
    return new Promise((resolve, reject) => {
      const reader = new FileReader();
      reader.onload = () => resolve(reader.result);
      reader.onerror = () => reject(reader.error);
      reader.readAsDataURL(blob);
    });
  });
}
