// The teacher's side of a live class: the "Live class" button, the join code and QR code big
// enough for the back of the room, the class bar (lock, pause, names, ask, end) and the live
// tally of answers as a Plotly bar chart.
import * as live from "./live.js";
import { build, PROMPTS } from "./live_questions.js";

let els = null;
let showError = console.warn; // eslint-disable-line no-console
let pollTimer = 0;

function h(tag, props = {}, ...children) {
  const el = Object.assign(document.createElement(tag), props);
  el.append(...children);
  return el;
}

function button(id, text, onClick, title = "") {
  const b = h("button", { id, type: "button", textContent: text, title });
  b.addEventListener("click", () => Promise.resolve(onClick()).catch(showError));
  return b;
}

function build_() {
  // One "Live" button in the top bar (it is full on a 1024-px projector): a small menu to
  // start a class or join one (live_student.js adds its item); while teaching, it folds the bar.
  const live_ = button("live-button", "Live", () => {
    if (live.live.role === "teacher") { barOpen = !barOpen; sync(live.live); } else menu.hidden = !menu.hidden;
  }, "A live class: the students' screens follow the teacher's");
  const start = button("live-start", "Start a live class", () => { menu.hidden = true; return startOrShow(); },
    "Your students' screens follow yours; they join with a code");
  const menu = h("div", { id: "live-menu", className: "live-menu", hidden: true, role: "group",
    ariaLabel: "Live class" }, start);
  document.querySelector(".topbar .tools").prepend(live_);
  document.body.append(menu);
  document.addEventListener("click", (e) => {
    if (!menu.hidden && !menu.contains(e.target) && e.target !== live_) menu.hidden = true;
  });

  const code = h("p", { className: "live-code", id: "live-code" });
  const qr = h("img", { className: "live-qr", id: "live-qr", alt: "QR code of the join address" });
  const url = h("p", { className: "live-url", id: "live-url" });
  const join = h("div", { id: "live-join", className: "live-overlay live-join", hidden: true,
    role: "dialog", ariaLabel: "Join the class" },
  h("div", { className: "live-join-card" },
    h("div", { className: "live-join-text" }, h("p", { className: "live-lead", textContent: "Join the class" }),
      code, h("p", { className: "live-or", textContent: "at" }), url,
      button("live-join-hide", "Hide the code (Esc)", () => { join.hidden = true; })),
    qr));

  const ask = h("select", { id: "live-ask", ariaLabel: "Ask the class" },
    h("option", { value: "", textContent: "Ask…" }),
    ...PROMPTS.map(([v, t]) => h("option", { value: v, textContent: t })));
  ask.addEventListener("change", () => {
    const kind = ask.value;
    ask.value = "";
    if (kind) askClass(kind).catch(showError);
  });
  const joined = h("span", { id: "live-joined", className: "live-joined" });
  const bar = h("div", { id: "live-bar", className: "live-bar", hidden: true, role: "toolbar",
    ariaLabel: "Live class" },
  button("live-show-code", "", () => { join.hidden = false; }, "Show the join code"),
  joined,
  button("live-lock", "Lock", () => live.control({ locked: !live.live.snapshot?.locked }),
    "Everyone follows strictly: no exploring"),
  button("live-pause-button", "Pause", () => live.control({ paused: !live.live.snapshot?.paused }),
    "The students see a pause screen"),
  button("live-names", "Names", async () => { await live.control({ names: !names }); names = !names; sync(live.live); },
    "Show nicknames beside the answers (off by default)"),
  ask,
  button("live-end", "End class", () => live.endClass(), "End the class for everyone"),
  button("live-bar-hide", "×", () => { barOpen = false; sync(live.live); },
    "Hide this bar (the Class button at the top brings it back)"));

  const prompt = h("p", { id: "live-tally-prompt", className: "live-tally-prompt" });
  const count = h("p", { id: "live-tally-count", className: "live-tally-count" });
  const chart = h("div", { id: "live-tally-chart", className: "live-tally-chart" });
  const list = h("ul", { id: "live-tally-names", className: "live-tally-names", hidden: true });
  const tally = h("section", { id: "live-tally", className: "live-tally", hidden: true,
    ariaLabel: "Answers" }, prompt, count, chart, list,
  h("div", { className: "row" },
    button("live-close-q", "Close answers", () => live.patchQuestion({ open: false })),
    button("live-reveal", "Reveal the answer", () => live.patchQuestion({ revealed: true })),
    button("live-hide-tally", "Hide", () => { tally.hidden = true; })));

  const free = h("dialog", { id: "live-free", className: "live-free" },
    h("form", { method: "dialog" },
      h("label", { className: "field" }, "Your question",
        h("input", { id: "live-free-prompt", maxLength: 200, value: "How many…?" })),
      h("label", { className: "field" }, "The right answer (optional)",
        h("input", { id: "live-free-answer", inputMode: "decimal" })),
      h("div", { className: "row" }, h("button", { value: "ask", textContent: "Ask" }),
        h("button", { value: "cancel", textContent: "Cancel" }))));
  free.addEventListener("close", () => {
    if (free.returnValue !== "ask") return;
    const answer = Number.parseFloat(document.getElementById("live-free-answer").value);
    askWith({ kind: "number" }, {
      prompt: document.getElementById("live-free-prompt").value, answer });
  });
  document.body.append(join, bar, tally, free);
  document.addEventListener("keydown", (e) => {
    if (e.key === "Escape" && !join.hidden) join.hidden = true;
  });
  els = { button: live_, start, menu, join, code, qr, url, bar, joined, tally, prompt, count, chart, list, free };
}

let names = false; // nicknames on the tally (not in the public snapshot: kept here)

let barOpen = true; // the class bar covers the foot of the lesson: the teacher can fold it

async function startOrShow() {
  if (live.live.role !== "teacher") await live.startClass();
  barOpen = true;
  showJoin();
}

function showJoin() {
  const t = live.teacherInfo();
  if (!t) return;
  els.code.textContent = t.code;
  els.code.setAttribute("aria-label", `Code ${t.code.split("").join(" ")}`);
  els.url.textContent = t.join_url;
  els.qr.src = t.qr_url;
  els.join.hidden = false;
}

async function askClass(kind) {
  if (kind === "number") { els.free.showModal(); return; }
  await askWith(await build(kind));
}

async function askWith(q, free) {
  const body = free ? await build("number", free) : q;
  await live.ask(body);
  els.tally.hidden = false;
  await pollTally();
}

/** The tally: counts of the answers as bars (green: right, once revealed). */
export function render(el, t) {
  const q = t.question;
  const big = document.body.classList.contains("classroom") ? 22 : 16;
  const shown = q?.revealed;
  const labels = t.bars.map((b) => b.label);
  const trace = {
    type: "bar", x: labels.map((l, i) => `${l}\u200b${"\u200b".repeat(i)}`), // keep duplicates apart
    y: t.bars.map((b) => b.count), text: t.bars.map((b) => String(b.count)),
    textposition: "outside", textfont: { size: big + 4 }, cliponaxis: false,
    marker: { color: t.bars.map((b) => (shown && b.correct ? "#1a9850" : "#3b6fb6")) },
    hovertemplate: "%{x}: %{y}<extra></extra>",
  };
  const layout = {
    margin: { l: 40, r: 10, t: 10, b: 70 }, height: 300, font: { size: big },
    xaxis: { type: "category", automargin: true, tickfont: { size: big } },
    yaxis: { rangemode: "tozero", dtick: 1, range: [0, Math.max(1, ...t.bars.map((b) => b.count)) * 1.25] },
    paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "rgba(0,0,0,0)",
  };
  return Plotly.react(el, [trace], layout, { displayModeBar: false, responsive: true });
}

function showTally(t) {
  els.joined.textContent = `${t.joined} joined`;
  const q = t.question;
  if (!q) return;
  els.prompt.textContent = q.prompt;
  const state = q.revealed ? `Answer: ${formatAnswer(q)}` : q.open ? "open" : "closed";
  els.count.textContent = `${t.answered} of ${t.joined} answered · ${state}`;
  els.count.dataset.answered = t.answered;
  els.count.dataset.joined = t.joined;
  els.list.hidden = !t.names;
  els.list.replaceChildren(...(t.names || []).map((n) =>
    h("li", { textContent: `${n.nickname}: ${n.value}` })));
  if (!els.tally.hidden) render(els.chart, t);
}

function formatAnswer(q) {
  if (q.answer === null) return "—";
  return q.options.length ? q.options[q.answer] : String(q.answer);
}

async function pollTally() {
  clearTimeout(pollTimer);
  if (live.live.role !== "teacher") return;
  try {
    showTally(await live.tally());
  } catch (e) {
    if (e.status !== 404) showError(e);
  }
  pollTimer = setTimeout(pollTally, 1000);
}

function sync(l) {
  const teaching = l.role === "teacher";
  els.button.hidden = l.role === "student";
  els.button.textContent = teaching ? "Live ●" : "Live";
  els.button.setAttribute("aria-label", teaching ? `Class ${l.code}: show or hide the class bar`
    : "Live class: start or join one");
  els.bar.hidden = !teaching || !barOpen;
  els.button.setAttribute("aria-expanded", String(teaching && barOpen));
  document.body.classList.toggle("live-teaching", teaching);
  if (!teaching) { els.join.hidden = true; els.tally.hidden = true; return; }
  const s = l.snapshot;
  document.getElementById("live-show-code").textContent = `Code ${l.code}`;
  const pressed = (id, on) => document.getElementById(id).setAttribute("aria-pressed", String(Boolean(on)));
  pressed("live-lock", s?.locked);
  pressed("live-pause-button", s?.paused);
  pressed("live-names", names);
  if (!pollTimer) pollTally();
}

export function init(errorHandler) {
  showError = errorHandler;
  build_();
  live.onLive(sync);
}
