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
