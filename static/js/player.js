// Play / pause / step / speed / scrubber for anything that walks through positions
// (the conv step-through and the pooling step-through). Animation runs on
// requestAnimationFrame: each frame advances speed·dt positions and draws once.

const SPEEDS = [1, 2, 4, 8, 15, 30, 60, 120, 240, 480, 960, 2000];
export const stats = { frames: 0, draws: 0, since: 0 }; // read by benchmarks/frontend_speed.py

function button(text, label, cls = "") {
  const b = document.createElement("button");
  b.type = "button";
  b.textContent = text;
  b.className = cls;
  b.setAttribute("aria-label", label);
  b.title = label;
  return b;
}

/**
 * opts: {name, count(): number, get(): pos, set(pos), speed(): n, setSpeed(n), extra: [nodes]}
 * Returns {el, sync(), toggle(), step(delta), stop(), play(), playing(), first(), last()}.
 */
export function makePlayer(opts) {
  const el = document.createElement("div");
  el.className = "player";
  el.setAttribute("role", "group");
  el.setAttribute("aria-label", `${opts.name} controls`);
  const first = button("|◀", "First position (Home)");
  const back = button("◀", "Step back (Left arrow)");
  const play = button("▶ Play", "Play or pause (Space)", "play");
  const fwd = button("▶", "Step forward (Right arrow)");
  const last = button("▶|", "Last position (End)");
  const speedLabel = document.createElement("label");
  speedLabel.className = "field inline";
  speedLabel.textContent = "Speed ";
  const speed = document.createElement("select");
  for (const s of SPEEDS) speed.append(new Option(`${s}/s`, s));
  speedLabel.append(speed);
  const scrub = document.createElement("input");
  scrub.type = "range";
  scrub.min = 0;
  scrub.className = "scrubber";
  scrub.setAttribute("aria-label", `${opts.name} position`);
  const where = document.createElement("span");
  where.className = "where";
  el.append(first, back, play, fwd, last, speedLabel, scrub, where, ...(opts.extra || []));

  let raf = 0, last_t = 0, acc = 0;
  const count = () => Math.max(1, opts.count());
  const go = (p) => opts.set(Math.min(count() - 1, Math.max(0, p)));

  function tick(t) {
    stats.frames++;
    acc += ((t - last_t) / 1000) * opts.speed();
    last_t = t;
    const n = Math.floor(acc);
    if (n > 0) {
      acc -= n;
      const next = Math.min(count() - 1, opts.get() + n);
      go(next);
      stats.draws++;
      if (next >= count() - 1) return stop();
    }
    raf = requestAnimationFrame(tick);
  }
  function start() {
    if (raf) return;
    if (opts.get() >= count() - 1) go(0);
    acc = 0;
    last_t = performance.now();
    stats.frames = 0;
    stats.draws = 0;
    stats.since = last_t;
    raf = requestAnimationFrame(tick);
    sync();
  }
  function stop() {
    cancelAnimationFrame(raf);
    raf = 0;
    sync();
    opts.onStop?.();
  }
  const toggle = () => (raf ? stop() : start());
  const step = (delta) => { stop(); go(opts.get() + delta); };

  function sync() {
    const n = count(), p = opts.get();
    scrub.max = n - 1;
    scrub.value = p;
    play.textContent = raf ? "❚❚ Pause" : "▶ Play";
    play.setAttribute("aria-pressed", raf ? "true" : "false");
    speed.value = String(SPEEDS.reduce((a, b) => (Math.abs(b - opts.speed()) < Math.abs(a - opts.speed()) ? b : a)));
    where.textContent = opts.describe ? opts.describe(p) : `${p + 1} of ${n}`;
  }

  first.addEventListener("click", () => { stop(); go(0); });
  last.addEventListener("click", () => { stop(); go(count() - 1); });
  back.addEventListener("click", () => step(-1));
  fwd.addEventListener("click", () => step(1));
  play.addEventListener("click", toggle);
  speed.addEventListener("change", () => opts.setSpeed(Number(speed.value)));
  // Read the scrubber before stop(): stop() syncs the scrubber back to the current position.
  scrub.addEventListener("input", () => { const to = Number(scrub.value); stop(); go(to); });

  return { el, sync, toggle, step, stop, play: start, first: () => { stop(); go(0); },
    last: () => { stop(); go(count() - 1); }, playing: () => raf !== 0 };
}

// The step-through keys, shared by every view with a player: ← → one position, ↑ ↓ one row
// of `width`, Space play/pause, Home/End, S the strongest. True when the key was ours.
export function playerKey(player, e, width, jumpStrongest) {
  const moves = { ArrowRight: 1, ArrowLeft: -1, ArrowDown: width, ArrowUp: -width };
  if (e.key in moves) player.step(moves[e.key]);
  else if (e.key === " ") player.toggle();
  else if (e.key === "Home") player.first();
  else if (e.key === "End") player.last();
  else if (e.key === "s" || e.key === "S") jumpStrongest();
  else return false;
  return true;
}
