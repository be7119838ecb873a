// The dot product as numbers: for each channel (R, G, B) the patch's k×k grid × the filter's
// k×k grid = the products, summed; then the three sums + bias = the output value.
// Plain DOM (not Plotly): 150 numbers change every frame, and the DOM does that in < 1 ms.
import { paint, symmetric } from "./colors.js";
import { fmt } from "./plots.js";

const CHANNELS = ["Red", "Green", "Blue"];

function grid(k, label, kind, ch) {
  const el = document.createElement("div");
  el.className = `grid ${k > 7 ? "no-numbers" : ""}`;
  el.style.setProperty("--k", k);
  el.setAttribute("role", "img");
  el.setAttribute("aria-label", label);
  el.dataset.grid = `${kind}-${ch}`;
  const cells = [];
  for (let i = 0; i < k * k; i++) {
    const c = document.createElement("span");
    el.append(c);
    cells.push(c);
  }
  return { el, cells };
}

function span(cls, text = "") {
  const s = document.createElement("span");
  s.className = cls;
  s.textContent = text;
  return s;
}

/** Build the panel for k×k filters into el; returns an object with update(step). */
export function buildMath(el, k) {
  el.replaceChildren();
  el.classList.add("math");
  el.style.setProperty("--k", k);
  const head = document.createElement("div");
  head.className = "math-row math-head";
  head.append(span("ch"), span("col-title", "Patch of the picture"), span("op"),
    span("col-title", "Filter weights"), span("op"), span("col-title", "Products"), span("op"),
    span("col-title sum-title", "Sum"));
  el.append(head);
  const g = { k, patch: [], weights: [], products: [], sums: [] };
  CHANNELS.forEach((name, ch) => {
    const row = document.createElement("div");
    row.className = "math-row";
    const p = grid(k, `${name} channel of the patch`, "patch", ch);
    const w = grid(k, `${name} channel of the filter`, "weights", ch);
    const pr = grid(k, `${name} channel products`, "products", ch);
    const sum = span("sum");
    sum.dataset.testid = `sum-${ch}`;
    row.append(span(`ch ch-${ch}`, name[0]), p.el, span("op", "×"), w.el, span("op", "="),
      pr.el, span("op", "Σ"), sum);
    row.firstChild.title = `${name} channel`;
    el.append(row);
    g.patch.push(p);
    g.weights.push(w);
    g.products.push(pr);
    g.sums.push(sum);
  });
  const total = document.createElement("p");
  total.className = "math-total";
  g.totalParts = [span("sum"), span("sum"), span("sum"), span("sum bias")];
  g.value = span("value");
  g.value.id = "step-value";
  total.append(g.totalParts[0], " + ", g.totalParts[1], " + ", g.totalParts[2], " + bias ",
    g.totalParts[3], " = ", g.value);
  el.append(total);
  return g;
}

function fill(gridObj, arr, ch, k, scale, lo, hi) {
  for (let i = 0; i < k * k; i++) {
    const v = arr[i * 3 + ch];
    const cell = gridObj.cells[i];
    cell.textContent = fmt(v);
    paint(cell, scale, v, lo, hi);
  }
}

/** Paint the filter's weights (once per filter): fixed symmetric range ±max|w|. */
export function setWeights(g, w) {
  g.wRange = symmetric(w);
  for (let ch = 0; ch < 3; ch++) fill(g.weights[ch], w, ch, g.k, "diverging", -g.wRange, g.wRange);
}

/** Show one step (from data.stepAt): patch, products, sums, value. */
export function setStep(g, st, valueRange) {
  // Pixels are in [0, 1]; products are bounded by the weights' range: fixed colours.
  for (let ch = 0; ch < 3; ch++) {
    fill(g.patch[ch], st.patch, ch, g.k, "viridis", 0, 1);
    fill(g.products[ch], st.products, ch, g.k, "diverging", -g.wRange, g.wRange);
    g.sums[ch].textContent = fmt(st.channelSums[ch]);
    g.totalParts[ch].textContent = fmt(st.channelSums[ch]);
  }
  g.totalParts[3].textContent = fmt(st.bias);
  g.value.textContent = fmt(st.value);
  paint(g.value, "diverging", st.value, -valueRange, valueRange);
}
