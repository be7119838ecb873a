// The ONE view state, mirrored in the URL's query string so a teacher can bookmark or share
// a moment of the lesson. Keys are short and readable:
//   ?img=sample-car&size=32&k=5&f=sobel_x,red&fi=0&s=1&p=0&d=1&pos=57&step=2&mode=class
// Filter tokens (f): a preset name ("sobel_x"), a seeded random filter ("random:7"), a trained
// network's filter ("lenet.conv1.3", or "lenet.conv1.3@5" after epoch 5), or hand-made
// weights ("w_k_v1_v2_…_bias", k·k·3 values in [row][col][r, g, b] order).

const DEFAULTS = {
  img: "sample-car", size: 32, k: 5, f: ["sobel_x", "sobel_y", "red", "green", "blue", "laplacian"],
  fi: 0, s: 1, p: 0, d: 1, pos: 0, pp: 0, step: 1, mode: "", ctl: 1, speed: 8,
  model: "lenet", ep: -1, lay: "", whole: 0, range: "map", guess: 0,
  // step 10: its right-hand panel (maps | why | filter), the explanation shown, its class
  // (-1: the guess), the filter whose top patches are shown
  nv: "maps", xm: "gradcam", xc: -1, pf: 0,
};
const INTS = ["size", "k", "fi", "s", "p", "d", "pos", "pp", "step", "ctl", "speed", "ep", "whole",
  "xc", "pf", "guess"];
const LIMITS = { size: [8, 512], k: [1, 15], s: [1, 16], p: [0, 16], d: [1, 8], step: [1, 10],
  fi: [0, 15], pos: [0, 1 << 20], pp: [0, 1 << 20], ctl: [0, 1], whole: [0, 1], guess: [0, 1], speed: [1, 4000],
  ep: [-1, 1000], xc: [-1, 999], pf: [0, 4095] };

export const state = structuredClone(DEFAULTS);
const listeners = [];

/** Call fn(changedKeys: Set) after every change. */
export function subscribe(fn) { listeners.push(fn); }

function clamp(key, v) {
  const lim = LIMITS[key];
  return lim ? Math.min(lim[1], Math.max(lim[0], v)) : v;
}

function clean(key, value) {
  if (INTS.includes(key)) {
    const n = Number.parseInt(value, 10);
    return Number.isFinite(n) ? clamp(key, n) : DEFAULTS[key];
  }
  if (key === "f") {
    const list = (Array.isArray(value) ? value : String(value).split(","))
      .map((t) => t.trim()).filter((t) => /^[\w.:@~-]{1,800}$/.test(t)).slice(0, 16);
    return list.length ? list : [...DEFAULTS.f];
  }
  if (key === "img") return /^[\w-]{1,80}$/.test(value) ? value : DEFAULTS.img;
  if (key === "mode") return value === "class" ? "class" : "";
  if (key === "model") return /^[\w-]{1,40}$/.test(value) ? value : DEFAULTS.model;
  if (key === "range") return value === "layer" ? "layer" : "map";
  if (key === "lay") return /^\w{0,40}$/.test(value) ? value : "";
  if (key === "nv") return ["maps", "why", "filter"].includes(value) ? value : DEFAULTS.nv;
  if (key === "xm") return ["none", "saliency", "gradcam"].includes(value) ? value : DEFAULTS.xm;
  return value;
}

/** Change some keys; listeners hear which ones really changed; the URL follows: a new lesson
 * step is a new history entry (Back goes to the previous step), anything else replaces the
 * current one. `fromHistory`: the change came from the URL (Back/Forward), leave it alone. */
export function update(changes, { fromHistory = false } = {}) {
  const changed = new Set();
  const before = "step" in changes && !fromHistory ? toQuery() : "";
  for (const [key, raw] of Object.entries(changes)) {
    if (!(key in DEFAULTS)) continue;
    const value = clean(key, raw);
    if (JSON.stringify(state[key]) !== JSON.stringify(value)) {
      state[key] = value;
      changed.add(key);
    }
  }
  if (!changed.size) return changed;
  if (!fromHistory) writeUrl(changed.has("step"), before);
  for (const fn of listeners) fn(changed);
  return changed;
}

/** A copy of the whole state (for a shared lesson: the teacher's screen sent to students). */
export const snapshot = () => structuredClone(state);

/** Apply a whole state at once (keys left out take their defaults): one update, one redraw. */
export function applySnapshot(snap, opts = {}) {
  return update({ ...structuredClone(DEFAULTS), ...snap }, opts);
}

/** The query string of the current state (defaults left out, except the lesson step). */
export function toQuery() {
  const q = new URLSearchParams();
  for (const key of Object.keys(DEFAULTS)) {
    const v = key === "f" ? state.f.join(",") : String(state[key]);
    const d = key === "f" ? DEFAULTS.f.join(",") : String(DEFAULTS[key]);
    if (v !== d || key === "step" || key === "img") q.set(key, v);
  }
  return q.toString().replaceAll("%2C", ",").replaceAll("%40", "@").replaceAll("%3A", ":");
}

let urlTimer = 0;
function writeUrl(newEntry, before) {
  const url = () => `${location.pathname}?${toQuery()}`;
  if (newEntry) {
    // The step we leave keeps its last moment (a write may still be waiting), then a new entry.
    if (urlTimer) history.replaceState(null, "", `${location.pathname}?${before}`);
    clearTimeout(urlTimer);
    urlTimer = 0;
    history.pushState(null, "", url());
    return;
  }
  clearTimeout(urlTimer);
  // replaceState is rate-limited by browsers: write at most every 100 ms while playing.
  urlTimer = setTimeout(() => {
    urlTimer = 0;
    history.replaceState(null, "", url());
  }, 100);
}

/** The state a query string describes (every key: defaults where it says nothing). */
export function parseQuery(search) {
  const q = new URLSearchParams(search);
  const snap = structuredClone(DEFAULTS);
  for (const key of Object.keys(DEFAULTS)) if (q.has(key)) snap[key] = clean(key, q.get(key));
  return snap;
}

/** Read the URL into the state (on load). */
export function readUrl(search = location.search) {
  Object.assign(state, parseQuery(search));
}

/** Back / Forward: the state of that history entry, drawn at once. */
export function followHistory() {
  window.addEventListener("popstate", () => applySnapshot(parseQuery(location.search),
    { fromHistory: true }));
}

// --- filter tokens -----------------------------------------------------------------------

/** The API's KERNEL for a filter token; k is the preset size. */
export function kernelOf(token, k) {
  if (token.startsWith("w_")) {
    const parts = token.slice(2).split("_").map(Number);
    const n = parts[0];
    const vals = parts.slice(1, 1 + n * n * 3);
    const bias = parts[1 + n * n * 3] || 0;
    const weights = [];
    for (let r = 0; r < n; r++) {
      const row = [];
      for (let c = 0; c < n; c++) {
        const i = (r * n + c) * 3;
        row.push([vals[i] || 0, vals[i + 1] || 0, vals[i + 2] || 0]);
      }
      weights.push(row);
    }
    return { weights, bias };
  }
  const m = /^([\w-]+)\.(\w+)\.(\d+)(?:@(\d+))?$/.exec(token);
  if (m) {
    const kernel = { model: m[1], layer: m[2], index: Number(m[3]) };
    if (m[4] !== undefined) kernel.epoch = Number(m[4]);
    return kernel;
  }
  const [preset, seed] = token.split(":");
  const kernel = { preset, size: k };
  if (seed !== undefined) kernel.seed = Number(seed) || 0;
  return kernel;
}

/** The token of hand-made weights: Float32Array (k·k·3) in [row][col][rgb] order, and bias. */
export function weightsToken(values, k, bias) {
  const r = (v) => String(Math.round(v * 100) / 100);
  return ["w", k, ...Array.from(values, r), r(bias)].join("_");
}
