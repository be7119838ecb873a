// Step 9: max pooling, step by step: the 2×2 window on the ReLU'd map, its four values, the
// max (kept), and the pooled map filling in. Same numbers as POST /api/pool/step.
import { fmt, poolAt } from "./arith.js";
import { paint } from "./colors.js";
import { makePlayer, playerKey } from "./player.js";
import { makeOverlay } from "./overlay.js";
import { draw, heatmap, layoutKey, mapLayout, theme } from "./plots.js";
import { state, update } from "./state.js";
import { describe, followed, guessToggle, jumpStrongest as jump, makeGuess, showPosition } from "./stepthrough.js";

let ui = null, d = null, drawn = "";
const fi = () => followed(d);

function build(el) {
  el.innerHTML = `<div class="pooling">
      <div class="plot" id="pool-in" role="figure" aria-label="The feature map after ReLU with the pooling window"></div>
      <div class="pool-mid"><p class="col-title">Window</p><div class="grid pool-grid" id="pool-grid"
        role="img" aria-label="The window's values"></div>
        <p class="math-total">max = <span class="value" id="pool-value"></span></p></div>
      <div class="plot" id="pool-out" role="figure" aria-label="The pooled map filling in"></div>
    </div><p class="sr-only" aria-live="polite" id="pool-live"></p>`;
  const guessBox = guessToggle();
  const player = makePlayer({
    name: "Pooling", extra: [guessBox.el], count: () => (d ? d.pooled[fi()].h * d.pooled[fi()].w : 1),
    get: () => state.pp, set: (p) => update({ pp: p }), speed: () => state.speed,
    setSpeed: (n) => update({ speed: n }), onStop: announce,
    describe: (p) => (d ? describe(p, d.pooled[fi()].h, d.pooled[fi()].w) : ""),
  });
  el.prepend(player.el);
  ui = { player, input: el.querySelector("#pool-in"), output: el.querySelector("#pool-out"),
    grid: el.querySelector("#pool-grid"), value: el.querySelector("#pool-value"),
    live: el.querySelector("#pool-live"), guessBox };
  ui.guess = makeGuess(ui.value, "Your prediction of the window's max");
}

function windowRects(st) {
  const t = theme();
  return [{ r0: st.top, c0: st.left, r1: st.top + st.size - 1, c1: st.left + st.size - 1,
    color: t.accent, width: t.line },
  { r0: st.argmax[0], c0: st.argmax[1], r1: st.argmax[0], c1: st.argmax[1], color: "#fff",
    width: t.thin, dash: "4 3" }];
}

function announce() {
  if (!d) return;
  const st = poolAt(d, fi(), clampPos());
  ui.live.textContent = `Pooled row ${st.row}, column ${st.col}: the max of ${st.values.map(fmt).join(", ")} is ${fmt(st.value)}`;
}

const clampPos = () => Math.min(state.pp, d.pooled[fi()].h * d.pooled[fi()].w - 1);

export function show() {
  if (!d || !ui) return;
  const f = fi(), p = d.pooled[f];
  const st = poolAt(d, f, clampPos());
  showPosition(ui, { windowRects: windowRects(st), row: st.row, col: st.col, h: p.h, w: p.w,
    announce, fill: () => fill(st) });
}

function fill(st) {
  ui.grid.replaceChildren();
  ui.grid.style.setProperty("--k", st.size);
  st.values.forEach((v, i) => {
    const c = document.createElement("span");
    c.textContent = fmt(v);
    paint(c, "viridis", v, 0, ui.peak);
    if (i === (st.argmax[0] - st.top) * st.size + (st.argmax[1] - st.left)) c.classList.add("max");
    ui.grid.append(c);
  });
  ui.value.textContent = fmt(st.value);
  ui.guess.ask(fmt(st.value), Boolean(state.guess) && !ui.player.playing());
}

export function render(el, data) {
  if (!ui || !el.contains(ui.player.el)) build(el);
  d = data;
  ui.guessBox.sync();
  const key = `${JSON.stringify(d.body)}|${fi()}|${layoutKey()}`;
  if (key !== drawn) {
    drawn = key;
    const f = fi(), r = d.relu[f], p = d.pooled[f];
    let peak = 0;
    for (const v of r.data) peak = Math.max(peak, v);
    ui.peak = peak || 1;
    const inL = mapLayout({ title: `After ReLU ${r.h}×${r.w}: ${d.filters[f].label}`, h: r.h, w: r.w });
    const bar = (tr) => Object.assign(tr.colorbar, { orientation: "h", y: -0.02, yanchor: "top",
      len: 1, thickness: 10 }) && tr;
    inL.margin.b = outL0(inL);
    draw(ui.input, [bar(heatmap(r.rows, { zmin: 0, zmax: ui.peak }))], inL);
    // to scale: a pooled cell is as big as a map cell, so the pooled map is drawn smaller
    const outL = mapLayout({ title: `Max-pooled ${p.h}×${p.w}`, h: p.h, w: p.w,
      pad: Math.max(0, (r.w - p.w) / 2) });
    outL.margin.b = outL0(outL);
    draw(ui.output, [bar(heatmap(p.rows, { zmin: 0, zmax: ui.peak }))], outL);
    if (!ui.inOverlay) {
      ui.inOverlay = makeOverlay(ui.input);
      ui.outOverlay = makeOverlay(ui.output);
    }
  }
  show();
}

const outL0 = () => (theme().big ? 56 : 46); // room for the colourbar below the map

/** Jump to the pooled map's largest value. */
const jumpStrongest = () => jump(ui.player, d.pooled[fi()], "pp");

export function key(e) {
  return Boolean(ui) && playerKey(ui.player, e, d?.pooled[fi()]?.w || 1, jumpStrongest);
}

export const stop = () => ui?.player.stop();
