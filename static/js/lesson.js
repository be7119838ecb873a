// The guided lesson: ten steps, each a live view with a title and a few plain sentences.
// Texts are functions of the live numbers (picture size, filters, geometry), so what the
// teacher says matches what the screen shows.

import { argmax, poolAt } from "./arith.js";

const n = (v) => Number(v).toLocaleString("en-US");

export const STEPS = [
  {
    view: "volume", short: "Volume",
    title: "A picture is a volume of numbers",
    text: (c) => [
      `To the computer this picture is ${c.S} × ${c.S} × 3 = ${n(c.S * c.S * 3)} numbers: ${c.S} rows, ${c.S} columns, and three colour channels (red, green, blue), each number a brightness from 0 (none) to 1 (full).`,
      "A convolutional network keeps that shape. It reads the picture as a volume, not as one long list, so pixels that are neighbours stay neighbours.",
    ],
  },
  {
    view: "stepper", short: "Slide",
    title: "A filter slides over it: one dot product per position",
    text: (c) => [
      `The filter is a small volume of weights, ${c.k} × ${c.k} × 3: as deep as the picture. At each position, each of the ${c.k * c.k * 3} pixel values under it is multiplied by the weight at the same place.`,
      "The products are added up (per channel, then together) and the bias is added: that single number is the output here. Press Space to play, ← → to step, or click a pixel.",
    ],
  },
  {
    view: "stepper", short: "Map", emphasis: "formula",
    title: "Every position gives one number: a feature map",
    text: (c) => [
      `Sliding the filter to every place where it fits fills a map. Along one side of the ${c.S}-wide picture a ${c.k}-wide filter fits ${c.formula} times${c.padding || c.stride > 1 || c.dilation > 1 ? ` (padding ${c.padding}, stride ${c.stride}${c.dilation > 1 ? `, dilation ${c.dilation}` : ""})` : ""}, so the map is ${c.Ho} × ${c.Wo}.`,
      "Padding P adds a border of zeros; stride S is how far the filter jumps: output = (W − F + 2P)/S + 1. Change them under Geometry in the controls (C shows them) and watch the map and the formula.",
    ],
  },
  {
    view: "layer", short: "Layer",
    title: "A conv layer is a set of filters",
    text: (c) => [
      `One filter looks for one thing. A conv layer applies several independent filters to the same picture and stacks their maps: ${c.F} filters give ${c.F} maps of ${c.Ho} × ${c.Wo}, a ${c.Ho} × ${c.Wo} × ${c.F} volume.`,
      "Under each map: the same map after ReLU (negative values set to 0), and after 2 × 2 max pooling (step 9 shows how), drawn to scale: half as wide and half as tall.",
    ],
  },
  {
    view: "sequence", short: "Stack",
    title: "Conv layers in sequence",
    text: () => [
      "The output volume of one layer is the input of the next. So the next filters are as deep as that volume: after 6 maps, the filters are 5 × 5 × 6.",
      "Here is the trained network on your picture: each layer's maps, and their shapes shrinking in width and height while growing in depth.",
    ],
  },
  {
    view: "training", short: "Learn",
    title: "Filters start random and are learned",
    text: () => [
      "Nobody designs a network's filters. Training starts them as random noise; then, picture after picture, backpropagation nudges every weight to make the network's answers a little less wrong.",
      "Drag the slider or press Play to watch the first-layer filters take shape, epoch by epoch, while the accuracy climbs.",
    ],
  },
  {
    view: "learned", short: "Filters",
    title: "Trained first-layer filters: blobs and edges",
    text: () => [
      "After training, first-layer filters look like coloured blobs and oriented edges, much like the hand-made Sobel and colour filters.",
      "Below, each learned filter (red, green and blue weights as colour; grey is zero) and what it finds in your picture.",
    ],
  },
  {
    view: "params", short: "Sharing",
    title: "Parameter sharing and local connectivity",
    text: (c) => [
      `Each output looks only at a small patch (local connectivity), and every position uses the same weights (parameter sharing). So this layer needs just ${c.F} × (${c.k}·${c.k}·3 + 1) = ${n(c.paramsConv)} numbers.`,
      `A fully connected layer giving the same ${c.Ho} × ${c.Wo} × ${c.F} outputs from all ${n(c.S * c.S * 3)} inputs would need ${n(c.paramsFc)}.`,
    ],
  },
  {
    view: "pooling", short: "Pool",
    title: "Pooling shrinks each map",
    text: (c) => [
      `Max pooling slides a 2 × 2 window, stride 2, over each map (after ReLU) and keeps only the largest value: ${c.Ho} × ${c.Wo} becomes ${c.Hp} × ${c.Wp}.`,
      "Each map is pooled on its own, so the depth stays the same. The strongest responses survive; their exact positions blur a little.",
    ],
  },
  {
    view: "network", short: "Network",
    title: "The whole network: CONV → RELU → POOL … → FC",
    text: () => [
      "A typical CNN repeats CONV → RELU, with a POOL now and then, and ends with fully connected layers that turn the last volume into one score per class.",
      "Trained by Convscope's own engine on CIFAR-10 (32 × 32 photos of ten kinds of things). Its last layer gives one score per class; softmax turns the scores into probabilities (eˢᶜᵒʳᵉ over the sum of them all: positive, adding up to 100 %), charted for your picture.",
    ],
  },
];

/** The output-size formula along one side with the actual numbers; a stride that does not
 * divide evenly is said, not silently floored:
 * "(32 − 5 + 2·0)/2 + 1 = 14.5 → 14: the last column is not covered". */
export function sizeFormula(n, k, { stride = 1, padding = 0, dilation = 1 } = {}) {
  const F = dilation * (k - 1) + 1;
  const span = n - F + 2 * padding;
  const lhs = `(${n} − ${F} + 2·${padding})/${stride} + 1`;
  if (span < 0) return `${lhs} < 1: the ${F}-wide filter does not fit`;
  const out = Math.floor(span / stride) + 1;
  const left = span % stride;
  if (!left) return `${lhs} = ${out}`;
  const exact = Number((span / stride + 1).toFixed(2));
  const what = left === 1 ? "the last column (and row) is" : `the last ${left} columns (and rows) are`;
  return `${lhs} = ${exact} → ${out}: ${what} not covered`;
}

/** Numbers the texts use, from the conv data (or sensible values before it arrives). */
export function context(d, state) {
  const g = d?.geometry;
  return {
    S: state.size, k: g ? g.kernel[0] : state.k, F: g ? g.filters : state.f.length,
    Ho: g ? g.output[0] : state.size - state.k + 1, Wo: g ? g.output[1] : state.size - state.k + 1,
    Hp: g ? g.pooled[0] : "?", Wp: g ? g.pooled[1] : "?",
    stride: g ? g.stride : state.s, padding: g ? g.padding : state.p,
    dilation: g ? g.dilation : state.d,
    formula: sizeFormula(state.size, g ? g.kernel[0] : state.k,
      g ? { stride: g.stride, padding: g.padding, dilation: g.dilation } : {}),
    paramsConv: g ? g.params.conv : 0, paramsFc: g ? g.params.fully_connected : 0,
  };
}

/** Fill the lesson header for step i (1-based). */
export function renderText(i, ctx) {
  const step = STEPS[i - 1];
  const set = (id, text) => {
    const el = document.getElementById(id);
    if (el.textContent !== text) el.textContent = text;
  };
  set("step-count", `Step ${i} of ${STEPS.length}`);
  set("step-title", step.title);
  const body = document.getElementById("step-body");
  const texts = step.text(ctx);
  // The text is a live region: touch it only when it changes, or it is read out again.
  if (body.dataset.text === texts.join("\n")) return;
  body.dataset.text = texts.join("\n");
  body.replaceChildren(...texts.map((t) => {
    const p = document.createElement("p");
    p.textContent = t;
    return p;
  }));
}

// --- openings: every step opens on a telling moment -----------------------------------------

/** The pooled position whose window has the clearest max (the largest gap to the runner-up). */
function clearestPool(d, f) {
  const p = d.pooled[f];
  let best = 0, gap = -1;
  for (let i = 0; i < p.h * p.w; i++) {
    const v = [...poolAt(d, f, i).values].sort((a, b) => b - a);
    if (v[0] - v[1] > gap) [best, gap] = [i, v[0] - v[1]];
  }
  return best;
}

/** What step `step` opens on for conv data d (the followed filter f): state changes, and
 * whether it plays (`ready`: it needs no data). Step 2: the window where the filter responds most strongly; step 3: half
 * the map drawn, the window moving; step 6: epoch 0 (random noise), ready to play; step 9: a
 * window with a clear max. */
export function openingOf(step, d, f) {
  if (step === 6) return { changes: { ep: 0 }, ready: true }; // needs no data: applied at once
  if (!d?.maps?.[f]) return { changes: {} };
  const m = d.maps[f];
  if (step === 2) return { changes: { pos: argmax(m.data, true) } };
  if (step === 3) {
    const from = Math.floor(m.h / 2) * m.w, left = m.h * m.w - from;
    const speed = [8, 15, 30, 60, 120, 240, 480].find((v) => left / v <= 5) || 960;
    return { changes: { pos: from, speed }, play: true };
  }
  if (step === 9) return { changes: { pp: clearestPool(d, f) } };
  return { changes: {} };
}
