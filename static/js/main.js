// Wires the page: state ⇄ URL, the lesson's steps, the views, errors in plain words.
import * as classroom from "./classroom.js";
import { current, loadCatalog, loadConv } from "./data.js";
import * as exportsUi from "./exports.js";
import * as filters from "./filters.js";
import * as geometry from "./geometry.js";
import * as input from "./input.js";
import * as layer from "./layer.js";
import { context, openingOf, renderText, STEPS } from "./lesson.js";
import * as live from "./live.js";
import * as liveStudent from "./live_student.js";
import * as liveTeacher from "./live_teacher.js";
import * as network from "./network.js";
import * as params from "./params.js";
import * as pooling from "./pooling.js";
import { followHistory, readUrl, state, subscribe, update } from "./state.js";
import * as stepper from "./stepper.js";
import * as swipe from "./swipe.js";
import * as training from "./training.js";
import * as volume from "./volume.js";

const VIEWS = {
  volume, stepper, layer, params, pooling: { render: pooling.render, key: pooling.key, stop: pooling.stop },
  sequence: { render: network.renderSequence },
  network: { render: network.render },
  training: { render: training.render, key: training.key, stop: training.stop },
  learned: { render: training.renderLearned },
};
const NEEDS_CONV = new Set(["volume", "stepper", "layer", "params", "pooling"]);
const LAYER_KEYS = ["img", "size", "k", "f", "s", "p", "d"];
const sections = {};

/** Show an error in plain words; it goes away by itself or on a click. */
export function showError(e) {
  if (e?.name === "AbortError") return;
  console.warn(e); // eslint-disable-line no-console
  const toast = document.getElementById("toast");
  toast.replaceChildren();
  const strong = document.createElement("strong");
  strong.textContent = e.title && e.title !== e.detail ? `${e.title}. ` : "";
  toast.append(strong, e.detail || e.message || String(e));
  toast.hidden = false;
  toast.dataset.view = e.fromView ? "1" : ""; // a view's failure: gone once the view draws
  clearTimeout(showError.timer);
  showError.timer = setTimeout(() => { toast.hidden = true; }, 9000);
}

const viewName = () => STEPS[state.step - 1].view;

function section(name) {
  if (!sections[name]) {
    const el = document.createElement("section");
    el.className = `view view-${name}`;
    el.dataset.view = name;
    document.getElementById("views").append(el);
    sections[name] = el;
  }
  return sections[name];
}

let refreshToken = 0;
let opening = 0; // the step that opens on its telling moment once drawn (lesson.openingOf)
/** Draw the current step's view with fresh data. */
async function refresh() {
  const name = viewName();
  const token = ++refreshToken;
  const el = section(name);
  for (const [n, s] of Object.entries(sections)) s.hidden = n !== name;
  document.body.dataset.view = name;
  document.body.dataset.emphasis = STEPS[state.step - 1].emphasis || "";
  renderText(state.step, context(current, state));
  document.getElementById("busy").hidden = false;
  try {
    const d = NEEDS_CONV.has(name) ? await loadConv() : await loadConv().catch(() => current);
    if (token !== refreshToken) return;
    renderText(state.step, context(d, state));
    await VIEWS[name].render(el, d);
    if (opening === state.step) {
      opening = 0;
      const { changes, play } = openingOf(state.step, d, Math.min(state.fi, d.filters.length - 1));
      update(changes);
      if (play) VIEWS[name].play?.();
    }
    filters.sync();
    geometry.sync();
    const toast = document.getElementById("toast");
    if (toast.dataset.view) toast.hidden = true; // the problem it told of is over
    if (!document.body.dataset.ready) performance.mark("convscope-ready");
    document.body.dataset.ready = "1";
  } catch (e) {
    if (token !== refreshToken) return;
    if (e.type === "/problems/unknown-image" && state.img !== "sample-car") {
      showError({ title: "Picture not found", detail: "The server no longer has this picture (it was uploaded elsewhere or cleaned up), so here is a built-in one. Upload it again to use it." });
      update({ img: "sample-car" });
    } else if (e && typeof e === "object") showError(Object.assign(e, { fromView: true }));
    else showError(e);
  } finally {
    if (token === refreshToken) document.getElementById("busy").hidden = true;
    syncNav();
  }
}

let refreshTimer = 0;
function refreshSoon() {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(refresh, 30);
}

function buildNav() {
  const list = document.getElementById("step-list");
  STEPS.forEach((s, i) => {
    const li = document.createElement("li");
    const b = document.createElement("button");
    b.type = "button";
    const num = document.createElement("span");
    num.textContent = String(i + 1);
    const short = document.createElement("span");
    short.className = "short";
    short.textContent = ` ${s.short}`;
    b.append(num, short);
    b.dataset.step = i + 1;
    b.setAttribute("aria-label", `Step ${i + 1}: ${s.title}`);
    b.addEventListener("click", () => goStep(i + 1));
    li.append(b);
    list.append(li);
  });
  document.getElementById("prev-step").addEventListener("click", () => goStep(state.step - 1));
  document.getElementById("next-step").addEventListener("click", () => goStep(state.step + 1));
}

/** On a narrow screen the step list scrolls sideways: keep the current step in it. */
function keepInView(b) {
  const list = document.getElementById("step-list");
  const r = b.getBoundingClientRect(), box = list.getBoundingClientRect();
  if (r.left < box.left || r.right > box.right) {
    list.scrollLeft += r.left - box.left - (box.width - r.width) / 2;
  }
}

function syncNav() {
  for (const b of document.querySelectorAll("#step-list button")) {
    const on = Number(b.dataset.step) === state.step;
    b.classList.toggle("current", on);
    if (on) keepInView(b);
    if (on) b.setAttribute("aria-current", "step");
    else b.removeAttribute("aria-current");
  }
  document.getElementById("prev-step").disabled = state.step <= 1;
  document.getElementById("next-step").disabled = state.step >= STEPS.length;
}

export function goStep(i) {
  if (i < 1 || i > STEPS.length) return;
  VIEWS[viewName()].stop?.();
  const first = openingOf(i, null, 0);
  opening = first.ready ? 0 : i;
  update({ step: i, ...first.changes });
}

/** Keys of the current view first (stepping, playing), then the page's (classroom.js). */
function viewKey(e) {
  const v = VIEWS[viewName()];
  const handled = v.key ? v.key(e) : false;
  if (handled) opening = 0; // the teacher moved first: the step's opening is not wanted
  return handled;
}

subscribe((changed) => {
  if (changed.has("step")) for (const v of Object.values(VIEWS)) v.stop?.(); // Back, a link…
  if (changed.has("mode") || changed.has("ctl")) classroom.apply();
  if (LAYER_KEYS.some((k) => changed.has(k)) || changed.has("step") || changed.has("mode") ||
      changed.has("fi") || changed.has("model") || changed.has("ctl") || changed.has("lay") ||
      ["nv", "xm", "xc", "pf", "range"].some((k) => changed.has(k))) {
    refreshSoon();
  } else if ((changed.has("pos") || changed.has("whole")) && viewName() === "stepper") stepper.show();
  else if (changed.has("pp") && viewName() === "pooling") pooling.show();
  else if (changed.has("ep") && viewName() === "training") {
    training.render(section("training")).catch(showError);
  }
  if ([...changed].every((k) => k === "pos" || k === "pp")) return; // the animation's hot path
  filters.sync();
  input.sync();
  geometry.sync();
});

async function start() {
  readUrl();
  followHistory();
  // A link that names the moment (pos, pp, ep) lands on it; one that doesn't gets the opening.
  const named = { 2: "pos", 3: "pos", 6: "ep", 9: "pp" }[state.step];
  if (named && !new URLSearchParams(location.search).has(named)) opening = state.step;
  const first = opening ? openingOf(opening, null, 0) : null;
  if (first?.ready) [opening] = [0, Object.assign(state, first.changes)];
  classroom.init({ goStep, viewKey, refresh: refreshSoon });
  buildNav();
  swipe.init(() => goStep(state.step + 1), () => goStep(state.step - 1));
  input.init(showError);
  geometry.init();
  exportsUi.init(showError);
  liveTeacher.init(showError);
  liveStudent.init();
  const joinCode = live.init(); // resumes a class after a reload
  if (joinCode) liveStudent.showJoin(joinCode);
  document.getElementById("toast").addEventListener("click", (e) => { e.currentTarget.hidden = true; });
  window.addEventListener("resize", () => {
    clearTimeout(start.resize);
    start.resize = setTimeout(refreshSoon, 150); // type sizes follow the window: redraw
  });
  window.addEventListener("unhandledrejection", (ev) => { ev.preventDefault(); showError(ev.reason); });
  try {
    await loadCatalog();
  } catch (e) {
    showError(e);
  }
  filters.init(showError);
  input.sync();
  await refresh();
  window.convscope = { state, update, current: () => current, stats: (await import("./player.js")).stats,
    live: live.live };
}

start();
