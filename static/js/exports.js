// Exports: the sliding animation as a GIF (POST /api/conv/gif), a map as CSV
// (POST /api/conv/csv), the link to this moment of the lesson. PNGs come from each plot's
// camera button (Plotly.downloadImage).
import { withImage } from "./api.js";
import { convBody } from "./data.js";
import { state } from "./state.js";

let report = console.error; // eslint-disable-line no-console
const RETRY_MAX_S = 10; // a busy server (503) that asks for at most this long: wait, try again once

function save(blob, name) {
  const a = document.createElement("a");
  a.href = URL.createObjectURL(blob);
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10000);
}

/** The export's file; when the server is busy (503: its few heavy-job slots are taken) and
 * says to come back within RETRY_MAX_S, once more after its Retry-After, the button counting
 * down meanwhile. A longer wait, or a second refusal, is reported. */
async function fetchExport(button, path, body) {
  try {
    return await withImage(path, body, { raw: true });
  } catch (e) {
    if (e.status !== 503 || e.retryAfter === null || e.retryAfter > RETRY_MAX_S) throw e;
    for (let left = e.retryAfter; left > 0; left--) {
      button.textContent = `Busy: retry in ${left} s`; // as short as the labels: it fits
      await new Promise((resolve) => { setTimeout(resolve, 1000); });
    }
    button.textContent = "Working…";
    return withImage(path, body, { raw: true });
  }
}

async function run(button, path, extra, name) {
  button.disabled = true;
  const text = button.textContent;
  button.textContent = "Working…";
  try {
    save(await fetchExport(button, path, { ...convBody(), filter: state.fi, ...extra }), name);
  } catch (e) {
    report(e);
  } finally {
    button.disabled = false;
    button.textContent = text;
  }
}

export function init(onError) {
  report = onError;
  const $ = (id) => document.getElementById(id);
  $("export-gif").addEventListener("click", (e) =>
    run(e.currentTarget, "/api/conv/gif", { frames: 120 }, `convscope-filter${state.fi + 1}.gif`));
  $("export-csv").addEventListener("click", (e) =>
    run(e.currentTarget, "/api/conv/csv", { stage: "maps" }, `convscope-filter${state.fi + 1}-map.csv`));
  $("copy-link").addEventListener("click", async (e) => {
    const b = e.currentTarget;
    try {
      await navigator.clipboard.writeText(location.href);
      b.textContent = "Link copied";
    } catch {
      report({ title: "Could not copy", detail: `Copy this address instead: ${location.href}` });
    }
    setTimeout(() => { b.textContent = "Copy link"; }, 2000);
  });
}
