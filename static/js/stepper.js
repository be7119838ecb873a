// The step-through, the heart of the lesson: the k×k×3 window moves over the picture; beside
// it the dot product's numbers; the output map fills in cell by cell.
// Per frame only the window and the mask move (an SVG overlay, overlay.js) and the number
// grids change (DOM); the Plotly figures themselves are drawn once per layer.
import { stepAt, wholeUnit } from "./arith.js";
import { symmetric } from "./colors.js";
import { sizeFormula } from "./lesson.js";
import { makePlayer, playerKey } from "./player.js";
import { makeOverlay } from "./overlay.js";
import { draw, heatmap, layoutKey, mapLayout, on, picture, pictureUrl, theme } from "./plots.js";
import { state, update } from "./state.js";
import { buildMath, setStep, setWeights } from "./stepgrids.js";
import { describe, followed, guessToggle, jumpStrongest as jump, makeGuess, showPosition } from "./stepthrough.js";

let ui = null; // DOM, built once
let d = null; // the conv data drawn
let drawnKey = "";
let pictureCache = { u8: null, url: "" };

function build(el) {
  el.innerHTML = `
    <div class="stepper">
      <div class="st-plots">
        <div class="plot" id="st-input" role="figure" aria-label="The picture with the filter's window"></div>
        <div class="plot" id="st-output" role="figure" aria-label="The output feature map filling in"></div>
      </div>
      <div class="st-math" id="st-math"></div>
    </div>
    <p class="formula big" id="st-formula"></p>
    <p class="sr-only" aria-live="polite" id="st-live"></p>`;
  const pick = document.createElement("label");
  pick.className = "field inline";
  pick.textContent = "Filter ";
  const select = document.createElement("select");
  select.id = "st-filter";
  select.addEventListener("change", () => update({ fi: Number(select.value), pos: 0 }));
  pick.append(select);
  const strongest = document.createElement("button");
  strongest.type = "button";
  strongest.textContent = "Strongest";
  strongest.title = "Jump to the largest output value (S)";
  strongest.addEventListener("click", jumpStrongest);
  const whole = document.createElement("label");
  whole.className = "field inline whole-toggle";
  const box = document.createElement("input");
  box.type = "checkbox";
  box.id = "st-whole";
  box.addEventListener("change", () => update({ whole: box.checked ? 1 : 0 }));
  whole.append(box, " Whole numbers (pixels 0–255)");
  const guessBox = guessToggle();
  const player = makePlayer({
    name: "Step-through",
    count: () => (d ? d.maps[fi()].h * d.maps[fi()].w : 1),
    get: () => state.pos,
    set: (p) => update({ pos: p }),
    speed: () => state.speed,
    setSpeed: (n) => update({ speed: n }),
    describe: (p) => (d ? describe(p, d.maps[fi()].h, d.maps[fi()].w) : ""),
    onStop: announce,
    extra: [pick, strongest, whole, guessBox.el],
  });
  el.querySelector(".stepper").before(player.el);
  ui = { el, player, select, input: el.querySelector("#st-input"),
    output: el.querySelector("#st-output"), math: el.querySelector("#st-math"),
    formula: el.querySelector("#st-formula"), live: el.querySelector("#st-live"), g: null,
    whole: box, guessBox };
}

const fi = () => followed(d);

function windowRects(st) {
  const t = theme();
  const span = (st.k - 1) * st.dilation;
  const rects = [{ r0: st.top, c0: st.left, r1: st.top + span, c1: st.left + span,
    color: t.accent, width: t.line, fill: "rgba(230,0,126,0.12)" }];
  if (st.dilation > 1) {
    for (let i = 0; i < st.k; i++) {
      for (let j = 0; j < st.k; j++) {
        const r = st.top + i * st.dilation, c = st.left + j * st.dilation;
        rects.push({ r0: r, c0: c, r1: r, c1: c, color: t.accent, width: t.thin });
      }
    }
  }
  return rects;
}

function drawFigures() {
  const g = d.geometry, f = fi(), m = d.maps[f], filt = d.filters[f];
  const P = g.padding, S = d.S;
  if (pictureCache.u8 !== d.u8) pictureCache = { u8: d.u8, url: pictureUrl(d.u8, S, S) };
  const t = theme();
  const inLayout = mapLayout({ title: `Picture ${S}×${S}×3${P ? `, padding ${P}` : ""}`, h: S, w: S, pad: P,
    colorbar: false, small: true });
  inLayout.shapes = [
    { type: "rect", x0: -P - 0.5, x1: S + P - 0.5, y0: -P - 0.5, y1: S + P - 0.5, layer: "below",
      fillcolor: "#f0f0f0", line: { color: "#777", width: P ? t.thin : 0, dash: "dot" } }];
  draw(ui.input, [picture(pictureCache.url)], inLayout);
  const range = symmetric(m.data);
  const outLayout = mapLayout({ title: `Feature map ${m.h}×${m.w}`, h: m.h, w: m.w, small: true });
  const trace = heatmap(m.rows, { scale: "diverging", zmin: -range, zmax: range, name: filt.label });
  // A horizontal colourbar below: the map keeps the column's whole width.
  Object.assign(trace.colorbar, { orientation: "h", y: -0.02, yanchor: "top", len: 1, x: 0.5,
    thickness: t.big ? 14 : 10, nticks: 3 });
  outLayout.margin.b = t.big ? 48 : 40;
  draw(ui.output, [trace], outLayout);
  if (!ui.bound) {
    on(ui.input, "plotly_click", (ev) => clickInput(ev.points[0]));
    on(ui.output, "plotly_click", (ev) => clickOutput(ev.points[0]));
    ui.inOverlay = makeOverlay(ui.input);
    ui.outOverlay = makeOverlay(ui.output);
    ui.bound = true;
  }
  if (!ui.g || ui.g.k !== filt.k) ui.g = buildMath(ui.math, filt.k);
  setWeights(ui.g, filt.w);
  ui.range = range;
  const span = (filt.k - 1) * g.dilation + 1;
  ui.formula.textContent = `Output size = (W − F + 2P)/S + 1 = ${sizeFormula(S, filt.k, g)}` +
    (g.dilation > 1 ? `  (F = ${span}: dilation ${g.dilation} spreads the ${filt.k}×${filt.k} taps)` : "");
}

function clickOutput(pt) {
  const m = d.maps[fi()];
  update({ pos: Math.round(pt.y) * m.w + Math.round(pt.x) });
  ui.player.stop();
}

function clickInput(pt) {
  // The output position whose window is centred nearest the clicked pixel.
  const g = d.geometry, m = d.maps[fi()], k = d.filters[fi()].k;
  const half = ((k - 1) * g.dilation) / 2;
  const clampTo = (v, n) => Math.min(n - 1, Math.max(0, v));
  const row = clampTo(Math.round((Math.round(pt.y) + g.padding - half) / g.stride), m.h);
  const col = clampTo(Math.round((Math.round(pt.x) + g.padding - half) / g.stride), m.w);
  update({ pos: row * m.w + col });
  ui.player.stop();
}

export function jumpStrongest() {
  if (d) jump(ui.player, d.maps[fi()], "pos");
}

function announce() {
  if (!d || !ui) return;
  const st = stepAt(d, fi(), clampPos());
  ui.live.textContent = `Row ${st.row}, column ${st.col}: ${ui.shown.liveText}`;
}

function clampPos() {
  const m = d.maps[fi()];
  return Math.min(state.pos, m.h * m.w - 1);
}

/** Fast path: show position state.pos (window, mask, numbers). */
export function show() {
  if (!d || !ui) return;
  const f = fi(), m = d.maps[f];
  const st = stepAt(d, f, clampPos());
  showPosition(ui, { windowRects: windowRects(st), row: st.row, col: st.col, h: m.h, w: m.w,
    announce, fill: () => {
      ui.shown = setStep(ui.g, st, ui.range, Boolean(state.whole));
      if (!ui.guess || !ui.g.value.isConnected) ui.guess = makeGuess(ui.g.value, "Your prediction of the value here");
      ui.guess.ask(ui.shown.value, Boolean(state.guess) && !ui.player.playing());
    } });
}

/** Draw the step-through for conv data `data` (re-draws figures only when something changed). */
export function render(el, data) {
  if (!ui || !el.contains(ui.player.el)) build(el);
  d = data;
  ui.select.replaceChildren(...d.filters.map((f, i) => new Option(`${i + 1}. ${f.label}`, i)));
  ui.select.value = String(fi());
  ui.guessBox.sync();
  const canWhole = wholeUnit(d.filters[fi()].w) > 0;
  ui.whole.disabled = !canWhole;
  ui.whole.checked = canWhole && Boolean(state.whole);
  ui.whole.parentElement.title = canWhole ? "Pixels as 0–255 and the weights as whole numbers: every number exact"
    : "This filter's weights are not whole numbers (a learned or random filter): shown to 2 decimals";
  const key = `${JSON.stringify(d.body)}|${fi()}|${layoutKey()}`;
  if (key !== drawnKey) {
    drawFigures();
    drawnKey = key;
  }
  show();
}

export function key(e) {
  return Boolean(ui) && playerKey(ui.player, e, d?.maps[fi()]?.w || 0, jumpStrongest);
}

export const stop = () => ui?.player.stop();
export const play = () => ui?.player.play();
