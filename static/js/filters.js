// The filter list of the explorer: presets, seeded random filters, the trained network's
// filters, hand-edited weights; which one the step-through follows.
import { catalog, current, loadConv } from "./data.js";
import { pictureUrl } from "./plots.js";
import { state, update, weightsToken } from "./state.js";

const $ = (id) => document.getElementById(id);
let report = console.error; // eslint-disable-line no-console
let shown = "";

function label(token) {
  if (token.startsWith("w_")) return "Hand-made";
  const m = /^([\w-]+)\.(\w+)\.(\d+)(?:@(\d+))?$/.exec(token);
  if (m) return `${m[1]} ${m[2]} #${m[3]}${m[4] ? ` (epoch ${m[4]})` : ""}`;
  const [name, seed] = token.split(":");
  const p = catalog.presets.find((x) => x.name === name);
  return `${p ? p.title : name}${seed ? ` #${seed}` : ""}`;
}

function tileOf(i) {
  const f = current?.filters[i];
  if (!current || current.body.filters.length !== state.f.length || !f) return null;
  return pictureUrl(f.tile, f.k, f.k);
}

function rebuild() {
  const list = $("filter-list");
  list.replaceChildren();
  state.f.forEach((token, i) => {
    const li = document.createElement("li");
    li.classList.toggle("selected", i === state.fi);
    const pick = document.createElement("button");
    pick.type = "button";
    pick.className = "filter-pick";
    pick.setAttribute("aria-pressed", String(i === state.fi));
    pick.setAttribute("aria-label", `Follow filter ${i + 1}: ${label(token)}`);
    const url = tileOf(i);
    if (url) {
      const img = document.createElement("img");
      img.src = url;
      img.alt = "";
      img.className = "tile";
      pick.append(img);
    }
    pick.append(`${i + 1}. ${label(token)}`);
    pick.addEventListener("click", () => update({ fi: i, pos: 0, pp: 0 }));
    const remove = document.createElement("button");
    remove.type = "button";
    remove.className = "remove";
    remove.textContent = "×";
    remove.setAttribute("aria-label", `Remove filter ${i + 1}`);
    remove.disabled = state.f.length <= 1;
    remove.addEventListener("click", () => {
      const f = state.f.filter((_, j) => j !== i);
      update({ f, fi: Math.min(state.fi, f.length - 1) });
    });
    li.append(pick, remove);
    list.append(li);
  });
}

function buildAdd() {
  const add = $("add-filter");
  add.replaceChildren(new Option("choose…", ""));
  const presets = document.createElement("optgroup");
  presets.label = "Hand-made presets";
  for (const p of catalog.presets) presets.append(new Option(p.title, p.name === "random" ? "random:new" : p.name));
  add.append(presets);
  for (const m of catalog.models) {
    const conv = m.layers.find((l) => l.kind === "conv");
    if (!conv) continue;
    const g = document.createElement("optgroup");
    g.label = `${m.title}, ${conv.name}`;
    for (let i = 0; i < Math.min(conv.output_shape[2], 16); i++) {
      g.append(new Option(`${m.name} ${conv.name} #${i}`, `${m.name}.${conv.name}.${i}`));
    }
    add.append(g);
  }
  add.addEventListener("change", () => {
    let token = add.value;
    add.value = "";
    if (!token) return;
    if (state.f.length >= 16) return report({ title: "Too many filters", detail: "A layer here has at most 16 filters; remove one first." });
    if (token === "random:new") token = `random:${Math.floor(Math.random() * 10000)}`;
    update({ f: [...state.f, token], fi: state.f.length });
  });
}

async function openEditor() {
  let f;
  try {
    f = (await loadConv()).filters[state.fi]; // the layer as the state says, even mid-change
  } catch (e) {
    return report(e);
  }
  const box = $("weights-editor");
  box.replaceChildren();
  const k = f.k;
  ["Red", "Green", "Blue"].forEach((name, ch) => {
    const fs = document.createElement("fieldset");
    const lg = document.createElement("legend");
    lg.textContent = `${name} weights`;
    const grid = document.createElement("div");
    grid.className = "edit-grid";
    grid.style.setProperty("--k", k);
    for (let i = 0; i < k * k; i++) {
      const inp = document.createElement("input");
      inp.type = "number";
      inp.step = "0.1";
      inp.value = String(Math.round(f.w[i * 3 + ch] * 100) / 100);
      inp.dataset.at = String(i * 3 + ch);
      inp.setAttribute("aria-label", `${name}, row ${Math.floor(i / k) + 1}, column ${(i % k) + 1}`);
      grid.append(inp);
    }
    fs.append(lg, grid);
    box.append(fs);
  });
  const bias = document.createElement("label");
  bias.className = "field inline";
  bias.textContent = "Bias ";
  const b = document.createElement("input");
  b.type = "number";
  b.step = "0.1";
  b.id = "edit-bias";
  b.value = String(Math.round(f.bias * 100) / 100);
  bias.append(b);
  box.append(bias);
  const dlg = $("weights-dialog");
  dlg.dataset.k = k;
  dlg.showModal();
}

function applyEditor() {
  const dlg = $("weights-dialog");
  if (dlg.returnValue !== "apply") return;
  const k = Number(dlg.dataset.k);
  const values = new Float32Array(k * k * 3);
  for (const inp of dlg.querySelectorAll("[data-at]")) values[Number(inp.dataset.at)] = Number(inp.value) || 0;
  const token = weightsToken(values, k, Number($("edit-bias").value) || 0);
  const f = [...state.f];
  f[state.fi] = token;
  update({ f });
}

export function init(onError) {
  report = onError;
  buildAdd();
  $("kernel-size").addEventListener("change", (e) => update({ k: Number(e.target.value), pos: 0 }));
  $("use-trained").addEventListener("click", () => {
    const m = catalog.models.find((x) => x.name === state.model) || catalog.models[0];
    if (!m) return;
    const conv = m.layers.find((l) => l.kind === "conv");
    const n = Math.min(conv.output_shape[2], 8);
    update({ f: Array.from({ length: n }, (_, i) => `${m.name}.${conv.name}.${i}`), fi: 0, pos: 0 });
  });
  $("edit-filter").addEventListener("click", openEditor);
  $("weights-dialog").addEventListener("close", applyEditor);
  sync();
}

/** Rebuild the list when the filters (or their drawn tiles) changed. */
export function sync() {
  $("kernel-size").value = String(state.k);
  const key = `${state.f.join(",")}|${state.fi}|${current ? JSON.stringify(current.body.filters) : ""}`;
  if (key !== shown && catalog.presets.length) {
    shown = key;
    rebuild();
  }
}
