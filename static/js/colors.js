// Colour-blind-safe scales, one definition for Plotly (colorscale) and for the DOM grids
// (colour of a number): Viridis for pixels and activations, ColorBrewer RdBu (blue negative,
// white zero, red positive) for weights and signed maps.

const HEX = {
  viridis: ["#440154", "#482878", "#3e4989", "#31688e", "#26828e", "#1f9e89", "#35b779",
    "#6ece58", "#b5de2b", "#fde725"],
  // One colour channel, from none (black) to full: step 1 draws the red channel in red.
  red: ["#000000", "#ff0000"],
  green: ["#000000", "#00ff00"],
  blue: ["#000000", "#0000ff"],
  diverging: ["#053061", "#2166ac", "#4393c3", "#92c5de", "#d1e5f0", "#f7f7f7", "#fddbc7",
    "#f4a582", "#d6604d", "#b2182b", "#67001f"],
};

const RGB = Object.fromEntries(Object.entries(HEX).map(([k, list]) => [k,
  list.map((h) => [1, 3, 5].map((i) => Number.parseInt(h.slice(i, i + 2), 16)))]));

/** Plotly colorscale [[0, "#…"], …, [1, "#…"]]. */
export function colorscale(name) {
  const list = HEX[name];
  return list.map((c, i) => [i / (list.length - 1), c]);
}

/** [r, g, b] of value v on scale `name` over [lo, hi]. */
export function rgbOf(name, v, lo, hi) {
  const stops = RGB[name];
  const t = hi > lo ? Math.min(1, Math.max(0, (v - lo) / (hi - lo))) : 0.5;
  const x = t * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(x));
  const f = x - i;
  return [0, 1, 2].map((j) => Math.round(stops[i][j] + f * (stops[i + 1][j] - stops[i][j])));
}

/** WCAG relative luminance of an sRGB colour. */
function luminance(rgb) {
  const [r, g, b] = rgb.map((v) => {
    const c = v / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/** Black or white: whichever has the higher WCAG contrast on background rgb (always ≥ 4.5). */
export function inkOn(rgb) {
  const L = luminance(rgb);
  return (L + 0.05) / 0.05 >= 1.05 / (L + 0.05) ? "#000" : "#fff";
}

/** Paint a DOM cell with value v: background from the scale, ink for contrast. */
export function paint(cell, name, v, lo, hi) {
  const rgb = rgbOf(name, v, lo, hi);
  cell.style.backgroundColor = `rgb(${rgb[0]},${rgb[1]},${rgb[2]})`;
  cell.style.color = inkOn(rgb);
}

/** Symmetric range ±max|values| (never zero-width), so 0 is always the middle colour. */
export function symmetric(values) {
  let m = 0;
  for (const v of values) m = Math.max(m, Math.abs(v));
  return m > 0 ? m : 1;
}
