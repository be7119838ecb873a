// The student's side of a live class: the join card (/join/<code>, or a typed code), the
// "following" bar with "Back to teacher" (key T), the pause screen and the question card.
import * as live from "./live.js";

let els = null;

function h(tag, props = {}, ...children) {
  const el = Object.assign(document.createElement(tag), props);
  el.append(...children);
  return el;
}

function build() {
  const open = h("button", { id: "live-open-join", type: "button", textContent: "Join a class (student)",
    title: "Follow your teacher's screen with a class code" });
  open.addEventListener("click", () => {
    const menu = document.getElementById("live-menu");
    if (menu) menu.hidden = true;
    showJoin("");
  });
  // in the "Live" menu of live_teacher.js when it is there, else in the top bar
  (document.getElementById("live-menu") || document.querySelector(".topbar .tools")).append(open);

  const code = h("input", { id: "live-code-input", className: "live-code-input", maxLength: 6,
    autocomplete: "off", autocapitalize: "characters", spellcheck: false, required: true,
    pattern: "[A-Za-z2-9]{6}", ariaLabel: "Class code", placeholder: "ABC234" });
  const nick = h("input", { id: "live-nick-input", maxLength: 20, autocomplete: "off",
    ariaLabel: "Nickname (optional)", placeholder: "optional" });
  const err = h("p", { id: "live-join-error", className: "live-error", role: "alert" });
  const form = h("form", { id: "live-join-form", className: "live-card" },
    h("h2", { textContent: "Join the class" }),
    h("label", { className: "field" }, "Class code", code),
    h("label", { className: "field" }, "Nickname", nick),
    h("p", { className: "hint", textContent: "Your nickname is never shown on the projector unless your teacher turns names on. No account, nothing else is asked." }),
    err,
    h("div", { className: "row" },
      h("button", { id: "live-join-button", textContent: "Join" }),
      h("button", { id: "live-join-cancel", type: "button", textContent: "Not now" })));
  const card = h("div", { id: "live-joincard", className: "live-overlay", hidden: true }, form);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    err.textContent = "";
    try {
      await live.joinClass(code.value, nick.value.trim());
      card.hidden = true;
    } catch (x) {
      err.textContent = x.status === 404 ? "No class has this code: check it on the projector."
        : x.detail || x.message;
    }
  });
  form.querySelector("#live-join-cancel").addEventListener("click", () => { card.hidden = true; });

  const status = h("span", { id: "live-status", className: "live-status", role: "status" });
  const back = h("button", { id: "live-back", type: "button", textContent: "Back to teacher (B)",
    hidden: true });
  back.addEventListener("click", () => live.backToTeacher());
  const sbar = h("div", { id: "live-sbar", className: "live-sbar", hidden: true }, status, back);

  const pause = h("div", { id: "live-pause", className: "live-overlay live-pause", hidden: true },
    h("div", { className: "live-card" }, h("p", { className: "live-lead", textContent: "⏸ Paused" }),
      h("p", { textContent: "Eyes on the teacher for a moment." })));

  const qPrompt = h("p", { id: "live-q-prompt", className: "live-q-prompt" });
  const qInput = h("input", { id: "live-q-input", className: "live-q-input",
    inputMode: "decimal", autocomplete: "off", ariaLabel: "Your answer" });
  const qChoices = h("div", { id: "live-q-choices", className: "live-q-choices" });
  const qSend = h("button", { id: "live-q-send", textContent: "Send" });
  const qState = h("p", { id: "live-q-state", className: "live-q-state", role: "status" });
  const qForm = h("form", { id: "live-q-form", className: "row" }, qInput, qSend);
  qForm.addEventListener("submit", (e) => {
    e.preventDefault();
    const v = Number.parseFloat(qInput.value.replace(",", "."));
    if (!Number.isFinite(v)) { qState.textContent = "Type a number."; return; }
    send(v);
  });
  const qClose = h("button", { id: "live-q-close", type: "button", textContent: "×",
    className: "live-q-close", title: "Put the question away", ariaLabel: "Put the question away" });
  qClose.addEventListener("click", () => {
    dismissed.add(shownQuestion);
    els.question.hidden = true;
  });
  const question = h("section", { id: "live-question", className: "live-question live-card",
    hidden: true, ariaLabel: "The teacher's question" }, qClose, qPrompt, qChoices, qForm, qState);

  const ended = h("div", { id: "live-ended", className: "live-sbar", hidden: true },
    h("span", { textContent: "The class has ended. You can go on exploring here." }));
  document.body.append(card, sbar, pause, question, ended);
  // Capture, before the page's keys: a student's B is "back to the teacher", never the
  // projector's black screen (a clicker's B, classroom.js).
  document.addEventListener("keydown", (e) => {
    if (live.live.role !== "student" || e.target.closest?.("input, select, textarea")) return;
    if (["b", "B", "t", "T"].includes(e.key)) { // B (or T): back to the teacher
      e.preventDefault();
      e.stopImmediatePropagation();
      if (live.live.exploring) live.backToTeacher();
    }
  }, true);
  els = { open, card, code, nick, err, sbar, status, back, pause, question, qPrompt, qInput,
    qChoices, qForm, qState, ended };
}

async function send(value) {
  try {
    const d = await live.answer(value);
    els.qState.textContent = `Sent: ${d.value}. You can change it until the teacher closes it.`;
  } catch (e) {
    els.qState.textContent = e.detail || e.message;
  }
}

/** Open the join card, the code filled in (a /join/<code> address). */
export function showJoin(code) {
  els.code.value = code;
  els.err.textContent = "";
  els.card.hidden = false;
  (code ? els.nick : els.code).focus();
}

let shownQuestion = "";
let seenFirst = false;
const dismissed = new Set(); // questions put away: by the student, or over before they came
function syncQuestion(q, l) {
  if (q && !seenFirst && !q.open) dismissed.add(q.id); // joined after it closed
  if (l.snapshot) seenFirst = true;
  els.question.hidden = !q || dismissed.has(q.id);
  if (!q) { shownQuestion = ""; return; }
  const fresh = shownQuestion !== q.id;
  shownQuestion = q.id;
  const sent = l.answered[q.id];
  if (fresh) {
    els.qPrompt.textContent = q.prompt;
    els.qInput.value = "";
    els.qState.textContent = "";
    els.qChoices.replaceChildren(...q.options.map((label, i) => {
      const b = h("button", { type: "button", textContent: label, className: "live-choice" });
      b.dataset.value = i;
      b.addEventListener("click", () => send(i));
      return b;
    }));
  }
  const choices = q.options.length > 0;
  els.qForm.hidden = choices;
  els.qChoices.hidden = !choices;
  for (const b of els.qChoices.children) {
    b.disabled = !q.open;
    b.setAttribute("aria-pressed", String(Number(b.dataset.value) === sent));
  }
  els.qInput.disabled = !q.open;
  els.qForm.querySelector("button").disabled = !q.open;
  if (q.revealed) {
    const right = choices ? q.options[q.answer] : q.answer;
    const mine = sent === undefined ? "" : sent === q.answer ? " ✓ You got it." : " (yours: " +
      (choices ? q.options[sent] : sent) + ")";
    els.qState.textContent = `The answer: ${right}.${mine}`;
  } else if (!q.open) els.qState.textContent = "Answers are closed.";
  if (fresh && !choices && q.open) els.qInput.focus({ preventScroll: true });
}

function sync(l) {
  const student = l.role === "student";
  els.open.hidden = l.role === "teacher" || student;
  els.sbar.hidden = !student;
  els.ended.hidden = !l.ended || student || l.role === "teacher";
  document.body.classList.toggle("live-following", student);
  document.body.classList.toggle("live-locked", Boolean(student && l.snapshot?.locked));
  if (!student) { els.pause.hidden = true; els.question.hidden = true; return; }
  const s = l.snapshot;
  els.status.textContent = !l.connected ? `Class ${l.code}: reconnecting…`
    : s?.locked ? `Class ${l.code}: following (locked)`
      : l.exploring ? `Class ${l.code}: exploring on your own` : `Class ${l.code}: following`;
  els.status.dataset.connected = String(l.connected);
  els.back.hidden = !l.exploring;
  els.pause.hidden = !s?.paused;
  syncQuestion(s?.question || null, l);
}

export function init() {
  build();
  live.onLive(sync);
}
