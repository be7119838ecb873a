// fetch() for the JSON API: problem+json errors become ApiError with the server's plain words;
// typed arrays ({dtype, shape, bdata}) are decoded here for the numbers we show.

export class ApiError extends Error {
  constructor(status, title, detail, type = "about:blank", field = null) {
    super(detail || title);
    Object.assign(this, { status, title, detail, type, field });
  }
}

async function problem(response) {
  let body = {};
  try { body = await response.json(); } catch { /* not JSON: use the status line */ }
  const error = new ApiError(response.status, body.title || response.statusText,
    body.detail || `The server answered ${response.status}.`, body.type, body.field);
  // Retry-After in seconds (what this server sends with its 503s and 429s), else null
  const after = response.headers.get("Retry-After");
  error.retryAfter = /^\d+$/.test(after ?? "") ? Number(after) : null;
  return error;
}

/** GET or POST JSON; resolves to the parsed body, rejects with ApiError. */
export async function api(path, body = undefined, { signal, raw = false } = {}) {
  const init = { signal, headers: { Accept: "application/json" } };
  if (body instanceof FormData) Object.assign(init, { method: "POST", body });
  else if (body !== undefined) {
    Object.assign(init, { method: "POST", body: JSON.stringify(body) });
    init.headers["Content-Type"] = "application/json";
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (e) {
    if (e.name === "AbortError") throw e;
    throw new ApiError(0, "No connection", "Convscope's server did not answer. Is it running?");
  }
  if (!response.ok) throw await problem(response);
  return raw ? response.blob() : response.json();
}

const DTYPES = { f4: Float32Array, u1: Uint8Array };

let HALF = null; // float16 bit pattern → its value, all 65536 (built on first use)

function halfTable() {
  const t = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = h & 0x8000 ? -1 : 1, e = (h >> 10) & 0x1f, m = h & 0x3ff;
    t[h] = sign * (e === 0 ? m * 2 ** -24 : e === 31 ? (m ? NaN : Infinity) : (1024 + m) * 2 ** (e - 25));
  }
  return t;
}

/** A typed-array object → {data: TypedArray, shape}. "f2" (float16, which Plotly does not
 * read) becomes a Float32Array of the same values. */
export function decode(ta) {
  const bin = atob(ta.bdata);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  if (ta.dtype === "f2") {
    HALF ??= halfTable();
    const bits = new Uint16Array(bytes.buffer), data = new Float32Array(bits.length);
    for (let i = 0; i < bits.length; i++) data[i] = HALF[bits[i]];
    return { data, shape: ta.shape };
  }
  return { data: new DTYPES[ta.dtype](bytes.buffer), shape: ta.shape };
}

// --- pictures: keep what the user gave us, so an image the server forgot can be re-sent ---
const blobs = new Map(); // image_id → Blob
const tokens = new Map(); // image_id → delete_token: only this page may delete its uploads

/** Upload a picture (File or Blob); resolves to {image_id, width, height, format, …}. */
export async function upload(blob, name = "picture.png") {
  const form = new FormData();
  form.append("image", blob, name);
  const info = await api("/api/images", form);
  blobs.set(info.image_id, blob);
  tokens.set(info.image_id, info.delete_token);
  return info;
}

/** True if this page uploaded the picture (so it may delete it). */
export const canDelete = (imageId) => tokens.has(imageId);

/** Delete our upload from the server now, and forget our copy (no re-upload after this). */
export async function deleteUpload(imageId) {
  const response = await fetch(`/api/images/${imageId}`,
    { method: "DELETE", headers: { "X-Delete-Token": tokens.get(imageId) || "" } });
  if (!response.ok) throw await problem(response);
  blobs.delete(imageId);
  tokens.delete(imageId);
}

const reuploads = new Map(); // image_id → its upload under way

/** POST that re-uploads a kept picture once when the server answers unknown-image. */
export async function withImage(path, body, opts = {}) {
  try {
    return await api(path, body, opts);
  } catch (e) {
    const blob = blobs.get(body.image_id);
    if (e.type !== "/problems/unknown-image" || !blob) throw e;
    // Requests that fail together (the map and the prediction) send the picture once.
    if (!reuploads.has(body.image_id)) {
      reuploads.set(body.image_id, upload(blob).finally(() => reuploads.delete(body.image_id)));
    }
    await reuploads.get(body.image_id);
    return api(path, body, opts);
  }
}
