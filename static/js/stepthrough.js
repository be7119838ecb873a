// What the two step-throughs (the conv window, step 2–3, and the pooling window, step 9)
// share: the followed filter, the output map's mask, the player's description, the jump to
// the strongest position, and the drawing of one position.
import { argmax } from "./arith.js";
import { theme } from "./plots.js";
import { state, update } from "./state.js";

/** The filter the step-through follows, within the layer's filters. */
export const followed = (d) => Math.min(state.fi, (d?.filters.length || 1) - 1);

/** The output map: cells not computed yet are masked grey; the current cell is outlined. */
export function maskRects(row, col, h, w) {
  const t = theme();
  const grey = "#e6e6e6";
  return [{ r0: row, c0: col + 1, r1: row, c1: w - 1, fill: grey },
    { r0: row + 1, c0: 0, r1: h - 1, c1: w - 1, fill: grey },
    { r0: row, c0: col, r1: row, c1: col, color: t.accent, width: t.line }];
}

/** "row 2, col 3 · 60 of 784" for position p of an h×w map. */
export const describe = (p, h, w) => `row ${Math.floor(p / w)}, col ${p % w} · ${p + 1} of ${h * w}`;

/** Stop the player and move `key` (pos or pp) to the map's largest value. */
export function jumpStrongest(player, map, key) {
  player.stop();
  update({ [key]: argmax(map.data) });
}

/** Draw position `pos` of a step-through: the window on the input, the mask on the output,
 * the numbers (fill), the player; the result is announced when the player stops. */
export function showPosition(ui, { windowRects, row, col, h, w, fill, announce }) {
  ui.inOverlay.set(windowRects);
  ui.outOverlay.set(maskRects(row, col, h, w));
  fill();
  ui.player.sync();
  if (!ui.player.playing()) announce();
}

/** "Predict before you reveal" (state.guess): the result of the position (valueEl's text) is
 * hidden behind a box where the student types what it will be; Enter reveals it, saying
 * whether the guess was right (to the printed 2 decimals). */
export function makeGuess(valueEl, label) {
  const form = document.createElement("form");
  form.className = "guess";
  form.hidden = true;
  const input = document.createElement("input");
  input.inputMode = "decimal";
  input.autocomplete = "off";
  input.size = 6;
  input.id = `${valueEl.id}-guess`;
  input.setAttribute("aria-label", label);
  const said = document.createElement("span");
  said.className = "guess-said";
  said.setAttribute("aria-live", "polite");
  form.append(input, said);
  valueEl.after(form);
  let answer = "";
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const typed = Number(input.value.replace("−", "-").replace(",", "."));
    const right = Number.isFinite(typed) && Math.abs(typed - Number(answer.replace("−", "-"))) < 0.0051;
    said.textContent = right ? "✓ right" : `✗ it is ${answer}`;
    valueEl.textContent = answer;
    input.blur();
  });
  return {
    /** Hide `text` (the shown result) until the student guesses; off: just show it. */
    ask(text, on) {
      answer = text;
      form.hidden = !on;
      if (!on) return;
      valueEl.textContent = "?";
      input.value = "";
      said.textContent = "";
    },
  };
}

/** The "Predict first" box of a player. */
export function guessToggle() {
  const label = document.createElement("label");
  label.className = "field inline guess-toggle";
  const box = document.createElement("input");
  box.type = "checkbox";
  box.addEventListener("change", () => update({ guess: box.checked ? 1 : 0 }));
  label.append(box, " Predict first");
  label.title = "Hide each result until the class has said (typed) what it will be";
  return { el: label, sync: () => { box.checked = Boolean(state.guess); } };
}
