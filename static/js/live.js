// The live class (issue 10): the teacher's page drives, the students' pages follow.
// Teacher: POST /api/classes, then every change of the view state is PUT (throttled) with
// the X-Class-Secret header; the secret stays in this tab's sessionStorage, never in a URL.
// Student: /join/<code> (or a typed code) → POST …/students → a token; then an EventSource
// on …/events?token=…; each event is the class's whole snapshot, applied to the state at once.
// The views (live_teacher.js, live_student.js) only draw what this module tells them.
import { applySnapshot, snapshot, state, subscribe, update } from "./state.js";

const SHARED_SKIP = new Set(["mode", "ctl"]); // the device's own: classroom mode, drawer
const TEACH_KEY = "convscope.teach";
const FOLLOW_KEY = "convscope.follow";
const SEND_MS = 100; // the teacher sends at most ten states a second (playing: ~every frame)

export const live = {
  role: "", // "", "teacher" or "student"
  code: "",
  snapshot: null, // the last snapshot from the server (student) or the last ack (teacher)
  exploring: false, // student: changed the view on their own
  connected: false,
  lastId: null,
  answered: {}, // student: qid → the value sent
};
const listeners = [];
/** fn(live) after every change of the class (connection, snapshot, exploring). */
export function onLive(fn) { listeners.push(fn); }
const emit = () => { for (const fn of listeners) fn(live); };

export class LiveError extends Error {
  constructor(status, title, detail, type = "") {
    super(detail || title);
    Object.assign(this, { status, title, detail, type });
  }
}

async function call(method, path, body, headers = {}) {
  let response;
  try {
    response = await fetch(path, {
      method, headers: { Accept: "application/json", "Content-Type": "application/json", ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new LiveError(0, "No connection", "The server did not answer; check the Wi-Fi.");
  }
  if (response.status === 204) return {};
  const data = await response.json().catch(() => ({}));
  if (!response.ok) {
    throw new LiveError(response.status, data.title || response.statusText,
      data.detail || `The server answered ${response.status}.`, data.type);
  }
  return data;
}

/** The view state to share: the state module's snapshot, less the device's own keys. */
export function sharedState() {
  const out = snapshot();
  for (const k of SHARED_SKIP) delete out[k];
  return out;
}

// --- teacher ------------------------------------------------------------------------------

let teach = null; // {code, secret, join_url, qr_url}
const secretHeader = () => ({ "X-Class-Secret": teach.secret });

export async function startClass() {
  teach = await call("POST", "/api/classes", { state: sharedState() });
  sessionStorage.setItem(TEACH_KEY, JSON.stringify(teach));
  Object.assign(live, { role: "teacher", code: teach.code, connected: true });
  emit();
  return teach;
}

export const teacherInfo = () => teach;

let sendTimer = 0;
let sending = false;
let sendAgain = false;
async function sendState() {
  if (sending) { sendAgain = true; return; }
  sending = true;
  try {
    live.snapshot = await call("PUT", `/api/classes/${teach.code}/state`,
      { state: sharedState() }, secretHeader());
    live.connected = true;
  } catch (e) {
    live.connected = false;
    if (e.status === 404) endedByServer();
  } finally {
    sending = false;
    emit();
    if (sendAgain) { sendAgain = false; sendState(); }
  }
}

function queueSend() {
  if (sendTimer) return;
  sendTimer = setTimeout(() => { sendTimer = 0; sendState(); }, SEND_MS);
}

export async function control(changes) {
  live.snapshot = await call("PATCH", `/api/classes/${teach.code}`, changes, secretHeader());
  emit();
}

export async function ask(question) {
  live.snapshot = await call("POST", `/api/classes/${teach.code}/questions`, question,
    secretHeader());
  emit();
  return live.snapshot.question;
}

export async function patchQuestion(changes) {
  const q = live.snapshot?.question;
  if (!q) return;
  live.snapshot = await call("PATCH", `/api/classes/${teach.code}/questions/${q.id}`, changes,
    secretHeader());
  emit();
}

export const tally = () => call("GET", `/api/classes/${teach.code}/tally`, undefined,
  secretHeader());

export async function endClass() {
  await call("DELETE", `/api/classes/${teach.code}`, undefined, secretHeader()).catch(() => {});
  endedByServer();
}

function endedByServer() {
  sessionStorage.removeItem(TEACH_KEY);
  sessionStorage.removeItem(FOLLOW_KEY);
  teach = null;
  source?.close();
  source = null;
  Object.assign(live, { role: "", code: "", snapshot: null, exploring: false, connected: false,
    ended: true });
  emit();
}

// --- student ------------------------------------------------------------------------------

let follow = null; // {code, token}
let source = null;
let teacherState = null;
let applying = false;

/** Join the class `code` (a nickname is optional); then follow it. */
export async function joinClass(code, nickname = "") {
  const c = code.trim().toUpperCase();
  const d = await call("POST", `/api/classes/${c}/students`, { nickname });
  follow = { code: c, token: d.token };
  sessionStorage.setItem(FOLLOW_KEY, JSON.stringify(follow));
  update({ ctl: 0 }); // the lesson first; the controls open for exploring
  startFollowing();
}

function applyTeacher() {
  if (!teacherState) return;
  applying = true;
  // the whole state at once (one redraw); this device keeps its own classroom mode and drawer
  const own = Object.fromEntries([...SHARED_SKIP].map((k) => [k, state[k]]));
  try { applySnapshot({ ...teacherState, ...own }); } finally { applying = false; }
}

/** Drop the student's own exploring: the teacher's view again. */
export function backToTeacher() {
  live.exploring = false;
  applyTeacher();
  emit();
}

function onSnapshot(snap) {
  if (snap.kind === "end") { endedByServer(); return; }
  const stepChanged = teacherState && snap.state.step !== teacherState.step;
  live.snapshot = snap;
  teacherState = snap.state;
  if (snap.locked || stepChanged) live.exploring = false; // exploring lasts within a step
  if (!live.exploring) applyTeacher();
  emit();
}

function startFollowing() {
  Object.assign(live, { role: "student", code: follow.code });
  source?.close();
  // EventSource cannot send headers: the student's token goes in the query string (the
  // server's access logs leave it out), and so does Last-Event-ID for a new EventSource
  // (?last=; EventSource's own reconnections send the header).
  const q = new URLSearchParams({ token: follow.token });
  if (live.lastId) q.set("last", live.lastId);
  source = new EventSource(`/api/classes/${follow.code}/events?${q}`);
  source.onopen = () => { live.connected = true; emit(); };
  source.onmessage = (ev) => {
    live.lastId = ev.lastEventId || live.lastId;
    onSnapshot(JSON.parse(ev.data));
  };
  source.addEventListener("end", () => endedByServer());
  source.onerror = () => {
    live.connected = false;
    emit();
    if (source.readyState === EventSource.CLOSED) {
      // the server refused (a replica down, the store away): try again by ourselves
      clearTimeout(startFollowing.timer);
      startFollowing.timer = setTimeout(checkAndFollow, 2000);
    }
  };
  emit();
}

async function checkAndFollow() {
  try {
    await call("GET", `/api/classes/${follow.code}`);
  } catch (e) {
    if (e.status === 404) { endedByServer(); return; }
  }
  startFollowing();
}

/** Send the student's answer to the open question (a later one replaces it). */
export async function answer(value) {
  const q = live.snapshot?.question;
  const d = await call("POST", `/api/classes/${follow.code}/questions/${q.id}/answers`,
    { value }, { "X-Student-Token": follow.token });
  live.answered[q.id] = d.value;
  emit();
  return d;
}

// --- start ----------------------------------------------------------------------------------

/** The code in a /join/<code> path, if any. */
export function joinCodeInPath(path = location.pathname) {
  const m = /^\/join\/([A-Za-z0-9]{6})\/?$/.exec(path);
  return m ? m[1].toUpperCase() : "";
}

/** Resume a class after a reload (this tab's sessionStorage), and share or follow changes. */
let lastInput = -1e9;
const INPUT_MS = 1500; // a student's change counts as exploring if their own input just came

export function init() {
  // A step's opening moment and its animation change the state too, with no one touching
  // anything: for a student only a change shortly after their own key, click or touch is
  // exploring.
  for (const type of ["keydown", "pointerdown", "wheel", "input"]) {
    document.addEventListener(type, () => { lastInput = performance.now(); },
      { capture: true, passive: true });
  }
  subscribe((changed) => {
    if (applying || !live.role) return;
    const own = [...changed].filter((k) => !SHARED_SKIP.has(k));
    if (!own.length) return;
    if (live.role === "student" && performance.now() - lastInput > INPUT_MS) {
      if (!live.exploring) applyTeacher(); // not theirs: keep to the teacher's view
      return;
    }
    if (live.role === "teacher") queueSend();
    else if (live.snapshot?.locked) applyTeacher(); // locked: straight back
    else if (!live.exploring) { live.exploring = true; emit(); }
  });
  const saved = (key) => { try { return JSON.parse(sessionStorage.getItem(key)); } catch { return null; } };
  const t = saved(TEACH_KEY);
  const f = saved(FOLLOW_KEY);
  const inPath = joinCodeInPath();
  if (t && !inPath) {
    teach = t;
    Object.assign(live, { role: "teacher", code: t.code, connected: true });
    sendState(); // resumes (or finds the class gone: 404)
  } else if (f && (!inPath || inPath === f.code)) {
    follow = f;
    startFollowing();
  }
  emit();
  return inPath && live.role !== "student" ? inPath : "";
}
