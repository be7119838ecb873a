// A horizontal swipe over the lesson changes the step on a touch screen (a phone, a tablet,
// a whiteboard): left → next, right → previous. Sliders, selects and plots keep their own
// gestures; a mostly vertical swipe scrolls the page as usual.
const MIN_DX = 60; // px

export function init(next, previous) {
  const main = document.getElementById("main");
  let start = null;
  main.addEventListener("touchstart", (e) => {
    const t = e.touches[0];
    const own = e.target.closest?.("input, select, textarea, .st-math, .arch");
    start = e.touches.length === 1 && !own ? { x: t.clientX, y: t.clientY } : null;
  }, { passive: true });
  main.addEventListener("touchend", (e) => {
    if (!start) return;
    const t = e.changedTouches[0];
    const dx = t.clientX - start.x, dy = t.clientY - start.y;
    start = null;
    if (Math.abs(dx) >= MIN_DX && Math.abs(dx) > 2 * Math.abs(dy)) (dx < 0 ? next : previous)();
  }, { passive: true });
}
