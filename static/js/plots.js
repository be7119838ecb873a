// Shared Plotly helpers: the theme (normal or classroom), layouts, heatmaps, pictures.
// Every view draws with Plotly.react (cheap re-renders), never newPlot in a loop.
import { colorscale } from "./colors.js";

const Plotly = window.Plotly;
export { Plotly };

/** Sizes that follow the page's type size (which grows with the window, and in classroom
 * mode): big type and thick lines for a projector. */
let themeOf = { key: "", value: null };
export function theme() {
  // Read once per mode and window size: the animation asks every frame, and reading a computed
  // style right after the number grids changed would force a style pass per frame.
  const key = layoutKey();
  if (themeOf.key !== key) themeOf = { key, value: measureTheme() };
  return { ...themeOf.value };
}

function measureTheme() {
  const big = document.body.classList.contains("classroom");
  const root = Number.parseFloat(getComputedStyle(document.documentElement).fontSize) || 15;
  const font = Math.round(root * (big ? 1 : 0.87));
  return {
    big,
    font,
    title: Math.round(font * (big ? 1 : 1.15)),
    line: big ? Math.max(4, root / 4) : 3,
    thin: big ? 2.5 : 1.5,
    ink: "#111",
    accent: "#e6007e", // magenta: not confusable with the blue/red of the maps
    muted: "#d9d9d9",
  };
}

export const CONFIG = {
  displaylogo: false,
  responsive: true,
  modeBarButtonsToRemove: ["select2d", "lasso2d", "autoScale2d", "toggleSpikelines"],
  toImageButtonOptions: { format: "png", scale: 2 },
};

/** A layout for a square-pixel picture/map plot: y down, equal axes, no grid. */
export function mapLayout({ title = "", h, w, pad = 0, colorbar = true, height, small = false } = {}) {
  const t = theme();
  if (small) t.title = t.font;
  const axis = { showgrid: false, zeroline: false, ticks: "", showticklabels: false,
    constrain: "domain", fixedrange: true };
  return {
    title: { text: title, font: { size: t.title }, y: 0.98, yanchor: "top" },
    font: { size: t.font, color: t.ink, family: "Inter, Segoe UI, Arial, sans-serif" },
    margin: { l: 8, r: colorbar ? 8 : 8, t: title ? t.title + 22 : 8, b: 8 },
    // Every draw states the whole axes (range, domain, no autorange): Plotly.react then
    // leaves nothing from the previous map's size (a stale range drew white side bands).
    xaxis: { ...axis, range: [-pad - 0.5, w + pad - 0.5], autorange: false, domain: [0, 1] },
    yaxis: { ...axis, range: [h + pad - 0.5, -pad - 0.5], autorange: false, domain: [0, 1],
      scaleanchor: "x" },
    paper_bgcolor: "rgba(0,0,0,0)",
    plot_bgcolor: "#fff",
    height,
    autosize: true,
    dragmode: false,
    hoverlabel: { font: { size: t.font } },
    shapes: [],
  };
}

/** A heatmap trace with a fixed colour range and a colourbar (the legend that doesn't jump). */
export function heatmap(z, { scale = "viridis", zmin, zmax, showscale = true, hover = "%{z:.2f}",
  name = "" } = {}) {
  const t = theme();
  return {
    type: "heatmap", z, zmin, zmax, name, colorscale: colorscale(scale), showscale,
    zsmooth: false, hovertemplate: `row %{y}, col %{x}<br>${hover}<extra>${name}</extra>`,
    colorbar: { thickness: t.big ? 22 : 14, len: 0.9, tickfont: { size: t.font - 1 },
      outlinewidth: 0, tickformat: ".2f" },
  };
}

/** A data: URL of RGB pixels (u1, H×W×3): the fastest way to show a picture in Plotly. */
export function pictureUrl(u8, h, w) {
  const canvas = document.createElement("canvas");
  canvas.width = w;
  canvas.height = h;
  const ctx = canvas.getContext("2d");
  const img = ctx.createImageData(w, h);
  for (let i = 0, j = 0; i < h * w; i++, j += 3) {
    img.data[4 * i] = u8[j];
    img.data[4 * i + 1] = u8[j + 1];
    img.data[4 * i + 2] = u8[j + 2];
    img.data[4 * i + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
  return canvas.toDataURL("image/png");
}

/** Plotly image trace of a picture (data: URL), one unit per pixel. */
export function picture(source, name = "picture") {
  return { type: "image", source, x0: 0, y0: 0, dx: 1, dy: 1, name,
    hovertemplate: "row %{y}, col %{x}<extra></extra>" };
}

const handlers = new WeakMap(); // plot div → [[event, fn]]: bound again after a fresh draw

/** Listen to a Plotly event of plot div el (kept across fresh draws, see draw). */
export function on(el, event, fn) {
  if (!handlers.has(el)) handlers.set(el, []);
  handlers.get(el).push([event, fn]);
  el.on?.(event, fn);
}

// A figure follows its box: in classroom mode and on a phone the boxes are sized by the
// flex/grid layout (the space the numbers beside them leave), which can change after the
// first draw without the window resizing (Plotly's `responsive` only listens to the window).
const resized = new ResizeObserver((entries) => {
  for (const { target } of entries) {
    if (target.layout && target.isConnected && target.offsetWidth) Plotly.Plots.resize(target);
  }
});

/** Draw (or cheaply redraw) a figure. When a map's axes change size (a new stride, padding or
 * picture size), Plotly.react kept the old aspect-constrained range (white side bands), so a
 * figure whose axes change is drawn afresh, its listeners bound again. */
export async function draw(el, data, layout) {
  if (!el.dataset.sized) {
    el.dataset.sized = "1";
    resized.observe(el);
  }
  const axes = JSON.stringify([layout.xaxis?.range, layout.yaxis?.range]);
  const fresh = el.dataset.axes !== undefined && el.dataset.axes !== axes;
  el.dataset.axes = axes;
  if (!fresh) return Plotly.react(el, data, layout, CONFIG);
  await Plotly.newPlot(el, data, layout, CONFIG);
  for (const [event, fn] of handlers.get(el) || []) el.on(event, fn);
  for (const [event, fn] of handlers.get(el) || []) if (event === "plotly_afterplot") fn();
  return el;
}

/** What a drawn figure depends on besides its data: the mode and the window's size. */
export function layoutKey() {
  return `${document.body.className}|${innerWidth}x${innerHeight}`;
}
