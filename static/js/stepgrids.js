// The dot product as numbers: for each channel (R, G, B) the patch's k×k grid × the filter's
// k×k grid = the products, summed; then the three sums + bias = the output value; and the same
// numbers as one long vector, wᵀx + b. The printed numbers add up (arith.shownStep).
// Plain DOM (not Plotly): 150 numbers change every frame, and the DOM does that in < 1 ms.
import { shownStep, signed } from "./arith.js";
import { paint, symmetric } from "./colors.js";

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
  const g = { k, patch: [], weights: [], products: [], sums: [], head };
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
  g.terms = span("terms");
  g.value = span("value");
  g.value.id = "step-value";
  g.scale = span("whole-scale");
  total.append(g.terms, " = ", g.value, g.scale);
  el.append(total);
  g.vector = vector(k);
  el.append(g.vector.el);
  return g;
}

/** The k·k·3 numbers as one vector each (x the pixels, w the weights, their products). */
function vector(k) {
  const n = k * k * 3;
  const el = document.createElement("figure");
  el.className = "vector";
  const rows = {};
  const names = { x: "the patch's", w: "the filter's", p: "the products'" };
  for (const [key, label] of [["x", "x"], ["w", "w"], ["p", "w·x"]]) {
    const row = document.createElement("div");
    row.className = "vector-row";
    row.dataset.vector = key;
    row.setAttribute("role", "img");
    row.setAttribute("aria-label", `${names[key]} ${n} numbers in one row, coloured by value`);
    row.append(span("vector-label", label));
    const cells = [];
    for (let i = 0; i < n; i++) row.append((cells[i] = span("")));
    el.append(row);
    rows[key] = { row, cells };
  }
  const cap = document.createElement("figcaption");
  el.append(cap);
  return { el, rows, cap, n };
}

function fill(gridObj, texts, values, ch, k, scale, lo, hi) {
  for (let i = 0; i < k * k; i++) {
    const cell = gridObj.cells[i];
    const text = texts[i * 3 + ch];
    if (cell.textContent !== text) cell.textContent = text;
    paint(cell, scale, values[i * 3 + ch], lo, hi);
  }
}

function fillVector(row, values, scale, lo, hi) {
  row.cells.forEach((c, i) => paint(c, scale, values[i], lo, hi));
}

/** Paint the filter's weights (once per filter): fixed symmetric range ±max|w|. */
export function setWeights(g, w) {
  g.w = w;
  g.wRange = symmetric(w);
  g.shownWeights = null;
  fillVector(g.vector.rows.w, w, "diverging", -g.wRange, g.wRange);
}

/** Show one step (from arith.stepAt): patch, products, sums, value; `whole`: whole numbers
 * (pixels 0..255, whole-number weights) when the filter has them. */
export function setStep(g, st, valueRange, whole = false) {
  const shown = shownStep(st, whole);
  g.head.parentElement?.classList.toggle("whole", Boolean(shown.whole));
  if (g.shownWeights !== shown.weights.join()) {
    g.shownWeights = shown.weights.join();
    for (let ch = 0; ch < 3; ch++) fill(g.weights[ch], shown.weights, g.w, ch, g.k, "diverging", -g.wRange, g.wRange);
  }
  // Pixels are in [0, 1]; the products' colours use the weights' range ±max|w| (a pixel is at
  // most 1): fixed while the window moves.
  for (let ch = 0; ch < 3; ch++) {
    fill(g.patch[ch], shown.patch, st.patch, ch, g.k, "viridis", 0, 1);
    fill(g.products[ch], shown.products, st.products, ch, g.k, "diverging", -g.wRange, g.wRange);
    g.sums[ch].textContent = shown.sums[ch];
  }
  const bias = shown.bias.startsWith("−") ? `− bias ${shown.bias.slice(1)}` : `+ bias ${shown.bias}`;
  if (shown.whole) {
    const per = 255 / shown.whole;
    const div = Math.abs(per - Math.round(per)) < 1e-3 ? `÷ ${Math.round(per).toLocaleString("en-US")}`
      : `× ${(shown.whole / 255).toPrecision(3)}`;
    g.terms.textContent = `${signed(shown.sums)} = ${String(shown.total).replace("-", "−")};  ` +
      `${String(shown.total).replace("-", "−")} ${div} ${bias}`;
    g.value.textContent = shown.value;
    g.scale.textContent = `  (the map's value: pixels ÷ 255, weights × ${fmtUnit(shown.whole)})`;
  } else {
    g.terms.textContent = `${signed(shown.sums)} ${bias}`;
    g.value.textContent = shown.value;
    g.scale.textContent = "";
  }
  paint(g.value, "diverging", st.value, -valueRange, valueRange);
  shown.liveText = `${g.terms.textContent} = ${shown.value}`;
  const v = g.vector;
  fillVector(v.rows.x, st.patch, "viridis", 0, 1);
  fillVector(v.rows.p, st.products, "diverging", -g.wRange, g.wRange);
  v.cap.textContent = `The same ${v.n} numbers as one long vector each: wᵀx + b = ` +
    `w₁x₁ + w₂x₂ + … + w${sub(v.n)}x${sub(v.n)} + b = ${shown.value}`;
  return shown;
}

const fmtUnit = (u) => {
  const inv = 1 / u;
  return Math.abs(inv - Math.round(inv)) < 1e-3 ? `1/${Math.round(inv)}` : u.toPrecision(3);
};

const sub = (n) => String(n).replace(/\d/g, (c) => "₀₁₂₃₄₅₆₇₈₉"[c]);
