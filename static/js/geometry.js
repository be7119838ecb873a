// Stride, padding and dilation sliders (explorer sidebar), and the output-size formula with
// the actual numbers, from the server's geometry.
import { current } from "./data.js";
import { sizeFormula } from "./lesson.js";
import { state, update } from "./state.js";

const KEYS = ["s", "p", "d"];
const $ = (id) => document.getElementById(id);

export function init() {
  for (const k of KEYS) {
    const input = $(`${k}-input`);
    input.addEventListener("input", () => { $(`${k}-out`).textContent = input.value; });
    input.addEventListener("change", () => update({ [k]: Number(input.value), pos: 0, pp: 0 }));
  }
  sync();
}

export function sync() {
  for (const k of KEYS) {
    $(`${k}-input`).value = state[k];
    $(`${k}-out`).textContent = state[k];
  }
  const g = current?.geometry;
  $("formula-side").textContent = g ? `Output: ${sizeFormula(g.input[0], g.kernel[0], g)}` : "";
}
