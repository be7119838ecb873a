// Classroom mode (big type, thick lines, controls hidden until wanted), full screen, and the
// keyboard / presentation clicker (arrows, space, Page Up/Down).
import { state, update } from "./state.js";

const KEYS = [
  ["Page Down / Page Up", "next / previous lesson step (a clicker's buttons)"],
  ["→ / ←", "step the window forward / back (else: next / previous step)"],
  ["↓ / ↑", "move the window one row down / up"],
  ["Space", "play / pause"],
  ["Home / End", "first / last position"],
  ["S", "jump to the strongest response"],
  ["1 … 9, 0", "go to lesson step 1 … 9, 10"],
  ["K", "classroom mode on / off"],
  ["C", "show / hide the controls"],
  ["F", "full screen"],
  ["B or .", "black screen on / off (a clicker's blank key)"],
  ["?", "this help"],
];

let hooks = null;
const NARROW = "(max-width: 1100px)"; // as app.css: the lesson first, the controls a drawer

export function apply() {
  const on = state.mode === "class";
  document.body.classList.toggle("classroom", on);
  document.documentElement.classList.toggle("classroom", on); // rem units scale too
  document.body.classList.toggle("hide-controls", !state.ctl);
  const b = document.getElementById("toggle-classroom");
  b.setAttribute("aria-pressed", String(on));
  const c = document.getElementById("toggle-controls");
  c.setAttribute("aria-pressed", String(Boolean(state.ctl)));
  document.getElementById("controls").hidden = !state.ctl;
}

function toggleClassroom() {
  const on = state.mode !== "class";
  // Entering classroom mode hides the controls: the keyboard or clicker drives the lesson.
  update({ mode: on ? "class" : "", ctl: on ? 0 : 1 });
  const hint = document.getElementById("hint");
  hint.hidden = !on;
  clearTimeout(toggleClassroom.timer);
  toggleClassroom.timer = setTimeout(() => { hint.hidden = true; }, 4000);
}

function toggleControls() {
  update({ ctl: state.ctl ? 0 : 1 });
  apply();
}

function toggleFullscreen() {
  if (document.fullscreenElement) document.exitFullscreen?.();
  else document.documentElement.requestFullscreen?.().catch(() => {});
}

function toggleHelp(show) {
  const help = document.getElementById("help");
  const open = show ?? help.hidden;
  help.hidden = !open;
  document.getElementById("toggle-help").setAttribute("aria-expanded", String(open));
  if (open) document.getElementById("help-close").focus();
}

// The keys a presentation clicker sends (Page Down/Up, arrows, Space, B and "." for a black
// screen) always drive the lesson, wherever the focus is (after a click on a button or on the
// scrubber too), except while typing a number or a name.

const PAGE_KEYS = ["PageDown", "PageUp", "b", "B", "."];

/** True when the key belongs to the focused control: a text field, a dialog; a list or an
 * explorer slider keeps its arrows and Space (a clicker's page and blank keys stay ours). */
function ownedByControl(target, key) {
  if (target.closest?.("textarea, dialog, [contenteditable]")) return true;
  const input = target.closest?.("input");
  if (input && !["range", "button", "checkbox", "radio", "file"].includes(input.type)) return true;
  const list = target.closest?.("select") || (input?.type === "range" && input.closest("#controls"));
  return Boolean(list) && !PAGE_KEYS.includes(key);
}

function toggleBlank() {
  const blank = document.getElementById("blank");
  blank.hidden = !blank.hidden;
}

function onKey(e) {
  if (e.ctrlKey || e.metaKey || e.altKey || ownedByControl(e.target, e.key)) return;
  // A student following a live class: B is theirs (back to the teacher, live_student.js).
  if ((e.key === "b" || e.key === "B") && document.body.classList.contains("live-following")) return;
  // Enter keeps its meaning on a focused control, and Space presses a button the keyboard
  // focused (a click leaves no focus behind: see below); every other key is the lesson's.
  if (e.target.closest?.("button, input, a") && (e.key === "Enter" ||
    (e.key === " " && e.target.closest("button")))) return;
  const key = e.key;
  let handled = true;
  if (!document.getElementById("blank").hidden && key !== "b" && key !== "B" && key !== ".") {
    toggleBlank(); // any key brings the lesson back
  } else if (key === "PageDown") hooks.goStep(state.step + 1);
  else if (key === "PageUp") hooks.goStep(state.step - 1);
  else if (key === "b" || key === "B" || key === ".") toggleBlank();
  else if (hooks.viewKey(e)) handled = true;
  else if (key === "ArrowRight") hooks.goStep(state.step + 1);
  else if (key === "ArrowLeft") hooks.goStep(state.step - 1);
  else if (/^[0-9]$/.test(key)) hooks.goStep(key === "0" ? 10 : Number(key));
  else if (key === "k" || key === "K") toggleClassroom();
  else if (key === "c" || key === "C") toggleControls();
  else if (key === "f" || key === "F") toggleFullscreen();
  else if (key === "?") toggleHelp();
  else if (key === "Escape") toggleHelp(false);
  else handled = false;
  if (handled) e.preventDefault();
}

/** A mouse or touch click leaves no focus behind on a button or a scrubber, so a later Space
 * (or a clicker's key) drives the lesson instead of pressing that button again. Keyboard
 * activation (detail 0) keeps the focus where the user put it. */
function dropPointerFocus(e) {
  const el = e.target.closest?.("button, input[type=range]");
  if (el && e.detail > 0 && !el.closest("dialog")) el.blur();
}

export function init(h) {
  hooks = h;
  // On a narrow screen the controls are a drawer over the lesson: closed unless the URL says.
  if (matchMedia(NARROW).matches && !new URLSearchParams(location.search).has("ctl")) {
    update({ ctl: 0 });
  }
  const list = document.getElementById("key-list");
  for (const [k, what] of KEYS) {
    const dt = document.createElement("dt");
    dt.textContent = k;
    const dd = document.createElement("dd");
    dd.textContent = what;
    list.append(dt, dd);
  }
  document.getElementById("toggle-classroom").addEventListener("click", toggleClassroom);
  document.getElementById("toggle-controls").addEventListener("click", toggleControls);
  document.getElementById("close-controls").addEventListener("click", toggleControls);
  document.getElementById("toggle-fullscreen").addEventListener("click", toggleFullscreen);
  document.getElementById("toggle-help").addEventListener("click", () => toggleHelp());
  document.getElementById("help-close").addEventListener("click", () => toggleHelp(false));
  document.addEventListener("keydown", onKey);
  document.addEventListener("click", dropPointerFocus);
  document.addEventListener("pointerup", (e) => {
    if (e.target.closest?.("input[type=range]")) setTimeout(() => e.target.blur(), 0);
  });
  document.getElementById("blank").addEventListener("click", toggleBlank);
  apply();
}
