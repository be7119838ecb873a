// Step 8: parameter sharing and local connectivity: the conv layer's parameter count against
// a locally connected layer's (the same small windows, but every position with its own
// weights: no sharing) and a fully connected layer's, with the same input and output. On a
// linear scale, each bar labelled with its count and its ratio to the conv layer's.
import { draw, layoutKey, theme } from "./plots.js";

const n = (v) => Number(v).toLocaleString("en-US");
let drawn = "";

/** The three counts for an S×S×C input, k×k filters, F of them, an Ho×Wo output. */
export function counts(g) {
  const [S, , C] = g.input, k = g.kernel[0], F = g.filters, [Ho, Wo] = g.output;
  const perFilter = k * k * C + 1;
  return { conv: g.params.conv, local: Ho * Wo * F * perFilter, fc: g.params.fully_connected,
    S, C, k, F, Ho, Wo, perFilter };
}

export function render(el, d) {
  if (!el.querySelector(".params")) {
    el.innerHTML = `<div class="params">
      <div class="plot" id="params-plot" role="figure" aria-label="Parameter counts, linear scale"></div>
      <div class="params-sums">
        <p class="formula big"><span class="tag conv">Conv</span> <span id="params-conv"></span></p>
        <p class="formula big"><span class="tag local">Locally connected</span> <span id="params-local"></span></p>
        <p class="formula big"><span class="tag fc">Fully connected</span> <span id="params-fc"></span></p>
        <p class="formula big" id="params-ratio"></p>
      </div></div>`;
  }
  const key = `${JSON.stringify(d.geometry)}|${layoutKey()}`;
  if (key === drawn) return;
  drawn = key;
  const t = theme();
  const c = counts(d.geometry);
  const times = (v) => `${n(Math.round(v / c.conv))}× the conv layer's`;
  el.querySelector("#params-conv").textContent =
    `${c.F} filters × (${c.k}·${c.k}·${c.C} weights + 1 bias) = ${n(c.conv)}`;
  el.querySelector("#params-local").textContent =
    `no sharing: ${c.Ho}·${c.Wo} positions × ${c.F} × ${c.perFilter} = ${n(c.local)} (${times(c.local)})`;
  el.querySelector("#params-fc").textContent =
    `${n(c.S * c.S * c.C)} inputs × ${n(c.Ho * c.Wo * c.F)} outputs + ${n(c.Ho * c.Wo * c.F)} biases = ${n(c.fc)} (${times(c.fc)})`;
  el.querySelector("#params-ratio").textContent =
    `Sharing the weights saves ${n(Math.round(c.local / c.conv))}×; looking only at a small window saves another ${n(Math.round(c.fc / c.local))}×.`;
  const names = ["Fully connected", "Locally connected", "Conv layer"];
  const values = [c.fc, c.local, c.conv];
  draw(el.querySelector("#params-plot"), [{
    type: "bar", orientation: "h", y: names, x: values,
    marker: { color: ["#b2182b", "#f4a582", "#2166ac"] },
    text: values.map((v) => `${n(v)} = ${n(Math.round(v / c.conv))}×`),
    textposition: ["inside", "outside", "outside"], insidetextanchor: "end",
    cliponaxis: false, textfont: { size: t.font }, hovertemplate: "%{y}: %{x:,}<extra></extra>",
  }], {
    title: { text: "Parameters (linear scale; × = times the conv layer's)", font: { size: t.title } },
    font: { size: t.font, color: t.ink }, margin: { l: t.font * 10, r: t.font * 10, t: t.title * 3, b: t.font * 3.5 },
    xaxis: { title: { text: "number of weights and biases" }, gridcolor: "#ccc", range: [0, c.fc * 1.02],
      fixedrange: true },
    yaxis: { automargin: true, fixedrange: true }, paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "#fff",
    bargap: 0.35, dragmode: false,
  });
}
