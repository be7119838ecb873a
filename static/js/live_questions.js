// The questions a teacher can put to the class, made from the moment on the screen: the
// geometry, the window's next position, the layer's filters, the network's guess.
import { api } from "./api.js";
import { stepAt } from "./arith.js";
import { catalog, current } from "./data.js";
import { state } from "./state.js";

export const PROMPTS = [
  ["output_size", "What is the output size?"],
  ["next_value", "What number comes next?"],
  ["which_filter", "Which filter made this map?"],
  ["which_class", "Which class will the network guess?"],
  ["number", "A free number…"],
];

const round2 = (v) => Math.round(v * 100) / 100;

function outputSize() {
  const g = current.geometry;
  const [S] = g.input;
  const k = g.kernel[0];
  const dil = g.dilation > 1 ? `, dilation ${g.dilation}` : "";
  return {
    kind: "output_size", answer: g.output[1],
    prompt: `A ${S}×${S} picture, a ${k}×${k} filter, stride ${g.stride}, padding ` +
      `${g.padding}${dil}: how many columns wide is the feature map?`,
  };
}

function nextValue() {
  const [Ho, Wo] = current.geometry.output;
  const next = (state.pos + 1) % (Ho * Wo);
  const s = stepAt(current, Math.min(state.fi, current.filters.length - 1), next);
  return {
    kind: "next_value", answer: round2(s.value), tolerance: 0.01,
    prompt: `The window moves on to row ${s.row}, column ${s.col}. ` +
      "What number comes out there? (two decimals)",
  };
}

function whichFilter() {
  return {
    kind: "which_filter", options: current.filters.map((f) => f.label.slice(0, 60)),
    answer: Math.min(state.fi, current.filters.length - 1),
    prompt: "Which filter made this map?",
  };
}

async function whichClass() {
  const model = catalog.models.find((m) => m.name === state.model) || catalog.models[0];
  const p = await api(`/api/models/${model.name}/predict`, { image_id: state.img });
  const best = p.probabilities.indexOf(Math.max(...p.probabilities));
  return {
    kind: "which_class", options: p.classes.map((c) => c.slice(0, 60)), answer: best,
    prompt: `Which class will the network (${model.title || model.name}) guess for this picture?`,
  };
}

/** The question body for POST /api/classes/<code>/questions. */
export async function build(kind, free = {}) {
  if (kind === "output_size") return outputSize();
  if (kind === "next_value") return nextValue();
  if (kind === "which_filter") return whichFilter();
  if (kind === "which_class") return whichClass();
  const q = { kind: "number", prompt: (free.prompt || "Your number?").slice(0, 200) };
  if (Number.isFinite(free.answer)) Object.assign(q, { answer: free.answer, tolerance: 0.01 });
  return q;
}
