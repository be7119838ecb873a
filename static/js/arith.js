// The step arithmetic (part of the data layer; no DOM): one output position's dot product and
// one pooling window, computed from the same float32 numbers as the engine, and the numbers
// to SHOW for them, chosen so that what the page prints adds up:
//  - "real" numbers: every value to 2 decimals, the terms of each sum rounded by the largest
//    remainder method so that they add up to the shown (correctly rounded) total;
//  - "whole" numbers: pixels 0..255 and whole-number weights (w = n·unit, Sobel's −1/0/1/±2),
//    so every product and sum is an exact integer; the map's value = Σ × unit/255 + bias.

/** One output position's dot product, as the engine's conv_step (products rounded to float32,
 * sums in float64), so it equals POST /api/conv/step. pos = row·Wo + col. */
export function stepAt(d, fi, pos) {
  const { stride, padding, dilation, output } = d.geometry;
  const Wo = output[1];
  const row = Math.floor(pos / Wo), col = pos % Wo;
  const f = d.filters[fi];
  const k = f.k, S = d.S;
  const top = row * stride - padding, left = col * stride - padding;
  const n = k * k * 3;
  const patch = new Float32Array(n), products = new Float32Array(n), pixels = new Uint8Array(n);
  const sums = [0, 0, 0];
  for (let i = 0; i < k; i++) {
    const r = top + i * dilation;
    for (let j = 0; j < k; j++) {
      const c = left + j * dilation;
      const inside = r >= 0 && r < S && c >= 0 && c < S;
      for (let ch = 0; ch < 3; ch++) {
        const at = (i * k + j) * 3 + ch;
        const src = (r * S + c) * 3 + ch;
        patch[at] = inside ? d.x[src] : 0;
        pixels[at] = inside ? d.u8[src] : 0;
        products[at] = Math.fround(f.w[at] * patch[at]);
        sums[ch] += products[at];
      }
    }
  }
  const channelSums = sums.map(Math.fround);
  const value = Math.fround(sums[0] + sums[1] + sums[2] + Math.fround(f.bias));
  return { row, col, top, left, k, dilation, patch, pixels, weights: f.w, products, channelSums,
    bias: Math.fround(f.bias), value };
}

/** One pooled position's window (as pool_step): values, max, argmax (row-major FIRST max). */
export function poolAt(d, f, pp) {
  const { size, stride } = d.body.pool;
  const r = d.relu[f], p = d.pooled[f];
  const row = Math.floor(pp / p.w), col = pp % p.w;
  const top = row * stride, left = col * stride;
  const values = [];
  let best = -Infinity, arg = [top, left];
  for (let i = 0; i < size; i++) {
    for (let j = 0; j < size; j++) {
      const v = r.data[(top + i) * r.w + left + j];
      values.push(v);
      if (v > best) { best = v; arg = [top + i, left + j]; }
    }
  }
  return { row, col, top, left, size, values, value: best, argmax: arg };
}

/** Index of the largest value (the first of equals); `magnitude`: of the largest |value|. */
export function argmax(data, magnitude = false) {
  let best = 0;
  const at = magnitude ? (i) => Math.abs(data[i]) : (i) => data[i];
  for (let i = 1; i < data.length; i++) if (at(i) > at(best)) best = i;
  return best;
}

/** v in hundredths, rounded as fmt prints it (toFixed: halves away from zero). */
const cents = (v) => Math.round(Number(v.toFixed(2)) * 100);

/** Integers (hundredths) for `values` that add up to `target` hundredths, each the floor or
 * the ceiling of its value when the target allows (largest remainder method; among equal
 * remainders the earlier term first). */
export function addUp(values, target) {
  const scaled = Array.from(values, (v) => v * 100);
  const out = scaled.map(Math.floor);
  const order = scaled.map((v, i) => i).sort((i, j) =>
    (scaled[j] - out[j]) - (scaled[i] - out[i]) || i - j);
  let left = target - out.reduce((x, y) => x + y, 0);
  for (let i = 0; left > 0; i++, left--) out[order[i % order.length]] += 1;
  for (let i = order.length - 1; left < 0; i--, left++) out[order[(i + order.length * 99) % order.length]] -= 1;
  return out;
}

/** The unit of whole-number weights (w = n·unit, |n| ≤ 99), or 0 when there is none. */
export function wholeUnit(w) {
  let small = Infinity;
  for (const v of w) if (v !== 0) small = Math.min(small, Math.abs(v));
  if (!Number.isFinite(small)) return 0;
  for (let m = 1; m <= 12; m++) {
    const unit = small / m;
    if (Array.from(w).every((v) => Math.abs(v / unit - Math.round(v / unit)) < 1e-3 &&
      Math.abs(v / unit) <= 99.5)) return unit;
  }
  return 0;
}

/** A number as printed: 2 decimals, a true minus sign, never "−0.00". */
export function fmt(v) {
  if (!Number.isFinite(v)) return "–";
  const s = v.toFixed(2);
  return s === "-0.00" ? "0.00" : s.replace("-", "−");
}

/** Hundredths as printed ("−0.03"). */
export const fmtCents = (c) => fmt(c / 100);

/** What the step-through prints for step st (from stepAt) with weights w:
 * {patch, weights, products: strings per tap, sums: [R, G, B], bias, value, total (the sum of
 * the three sums), whole (the unit, or 0)}. Whole numbers need a whole-number filter. */
export function shownStep(st, whole = false) {
  const n = st.products.length;
  const unit = whole ? wholeUnit(st.weights) : 0;
  if (unit) {
    const weights = Array.from(st.weights, (v) => Math.round(v / unit));
    const products = weights.map((v, i) => v * st.pixels[i]);
    const sums = [0, 1, 2].map((ch) => products.filter((_, i) => i % 3 === ch)
      .reduce((a, b) => a + b, 0));
    const str = (v) => String(v).replace("-", "−");
    return { whole: unit, patch: Array.from(st.pixels, String), weights: weights.map(str),
      products: products.map(str), sums: sums.map(str), total: sums[0] + sums[1] + sums[2],
      bias: fmt(st.bias), value: fmt(st.value) };
  }
  // The shown value is the value correctly rounded; the sums add up to it (bias as shown);
  // each channel's products add up to its shown sum.
  const bias = cents(st.bias);
  const sums = addUp(st.channelSums, cents(st.value) - bias);
  const products = new Array(n);
  for (let ch = 0; ch < 3; ch++) {
    const idx = [];
    for (let i = ch; i < n; i += 3) idx.push(i);
    const got = addUp(idx.map((i) => st.products[i]), sums[ch]);
    idx.forEach((i, j) => { products[i] = fmtCents(got[j]); });
  }
  return { whole: 0, patch: Array.from(st.patch, fmt), weights: Array.from(st.weights, fmt),
    products, sums: sums.map(fmtCents), bias: fmtCents(bias),
    value: fmtCents(sums[0] + sums[1] + sums[2] + bias) };
}

/** "a + b − c": terms (strings, possibly "−…") joined with their signs. */
export function signed(terms) {
  return terms.map((t, i) => {
    const neg = t.startsWith("−");
    const abs = neg ? t.slice(1) : t;
    if (i === 0) return t;
    return `${neg ? "−" : "+"} ${abs}`;
  }).join(" ");
}
