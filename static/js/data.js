// The data layer: everything the views show comes from here, fetched once and cached; views
// only render. The conv layer: ONE POST /api/conv per change of picture, filters or geometry,
// decoded once. The catalogue (samples, presets, networks), a network's predictions for a
// picture, its first-layer filters at an epoch, its training history. (The step arithmetic
// is arith.js, also data: no DOM.)
import { api, decode, withImage } from "./api.js";
import { kernelOf, state } from "./state.js";

export let current = null; // the decoded conv response (see decodeConv)
export let catalog = { samples: [], presets: [], models: [] };
let inflight = null;
const cache = new Map(); // request key → promise of the response (predictions, filters, history)

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

/** A request's promise, cached under key (a failed one is forgotten, to be asked again). */
function once(key, ask) {
  if (!cache.has(key)) cache.set(key, ask().catch((e) => { cache.delete(key); throw e; }));
  return cache.get(key);
}

/** The network the state names (else the first). */
export const modelInfo = () => catalog.models.find((m) => m.name === state.model) || catalog.models[0];

/** The first conv layer's name. */
export const firstConv = (m) => m.layers.find((l) => l.kind === "conv").name;

/** Each layer of network m with its input depth and, for a conv layer, its filters' shape
 * ({count, k, depth}: "16 filters of 5×5×6", from the parameter count F·(k·k·C + 1)). */
export function layerShapes(m) {
  let depth = m.input[2];
  return m.layers.map((l) => {
    const out = { ...l, inDepth: depth };
    if (l.kind === "conv") {
      const F = l.output_shape[2];
      out.filters = { count: F, k: Math.round(Math.sqrt((l.params / F - 1) / depth)), depth };
    }
    if (l.output_shape.length === 3) depth = l.output_shape[2];
    return out;
  });
}

/** POST /api/models/<name>/predict for the current picture (activations as float16). */
export const predict = (name) => once(`predict|${name}|${state.img}`,
  () => withImage(`/api/models/${name}/predict`, { image_id: state.img, dtype: "f2" }));

/** Network m's first-layer filters after `epoch` (−1: the end). */
export const filtersAt = (m, epoch) => once(`filters|${m.name}|${epoch}`,
  () => api(`/api/models/${m.name}/filters?layer=${firstConv(m)}${epoch < 0 ? "" : `&epoch=${epoch}`}`));

/** Network m's training history (accuracy and loss per epoch). */
export const trainingHistory = (m) => once(`history|${m.name}`, () => api(`/api/models/${m.name}/history`));

// --- inside the trained network (issue 12): top patches, explanations, the 32×32 picture ---

/** GET /api/models/<model>/top_patches for one filter (cached). */
export function topPatches(model, layer, filter) {
  return once(`p|${model}|${layer}|${filter}`,
    () => api(`/api/models/${model}/top_patches?layer=${encodeURIComponent(layer)}&filter=${filter}`));
}

/** GET /api/models/<model>/filters of a conv layer (its weights and colour tiles), cached. */
export function filterBank(model, layer) {
  return once(`f|${model}|${layer}`, () => api(`/api/models/${model}/filters?layer=${encodeURIComponent(layer)}`));
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
