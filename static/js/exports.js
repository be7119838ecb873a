// Exports: the sliding animation as a GIF (POST /api/conv/gif), a map as CSV
// (POST /api/conv/csv), the link to this moment of the lesson. PNGs come from each plot's
// camera button (Plotly.downloadImage).
import { withImage } from "./api.js";
import { convBody } from "./data.js";
import { state } from "./state.js";

let report = console.error; // eslint-disable-line no-console

function save(blob, name) {
  const a = document.createElement("a");
  a.href = URL.createObjectURL(blob);
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10000);
}

async function run(button, path, extra, name) {
  button.disabled = true;
  const text = button.textContent;
  button.textContent = "Working…";
  try {
    save(await withImage(path, { ...convBody(), filter: state.fi, ...extra }, { raw: true }), name);
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
