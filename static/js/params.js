// Step 8: parameter sharing and local connectivity: the conv layer's parameter count against
// a fully connected layer's with the same input and output, for the current sizes.
import { draw, layoutKey, theme } from "./plots.js";

const n = (v) => Number(v).toLocaleString("en-US");
let drawn = "";

export function render(el, d) {
  if (!el.querySelector(".params")) {
    el.innerHTML = `<div class="params">
      <div class="plot" id="params-plot" role="figure" aria-label="Parameter counts, logarithmic scale"></div>
      <div class="params-sums">
        <p class="formula big"><span class="tag conv">Conv</span> <span id="params-conv"></span></p>
        <p class="formula big"><span class="tag fc">Fully connected</span> <span id="params-fc"></span></p>
        <p class="formula big" id="params-ratio"></p>
      </div></div>`;
  }
  const key = `${JSON.stringify(d.geometry)}|${layoutKey()}`;
  if (key === drawn) return;
  drawn = key;
  const g = d.geometry, t = theme();
  const [S, , C] = g.input, k = g.kernel[0], F = g.filters, [Ho, Wo] = g.output;
  const { conv, fully_connected: fc } = g.params;
  el.querySelector("#params-conv").textContent =
    `${F} filters × (${k}·${k}·${C} weights + 1 bias) = ${n(conv)}`;
  el.querySelector("#params-fc").textContent =
    `${n(S * S * C)} inputs × ${n(Ho * Wo * F)} outputs + ${n(Ho * Wo * F)} biases = ${n(fc)}`;
  el.querySelector("#params-ratio").textContent =
    `The conv layer needs ${n(Math.round(fc / conv))} times fewer numbers.`;
  draw(el.querySelector("#params-plot"), [{
    type: "bar", orientation: "h", y: ["Fully connected", "Conv layer"], x: [fc, conv],
    marker: { color: ["#b2182b", "#2166ac"] }, text: [n(fc), n(conv)], textposition: "outside",
    cliponaxis: false, textfont: { size: t.title }, hovertemplate: "%{y}: %{x:,}<extra></extra>",
  }], {
    title: { text: "Parameters (log scale)", font: { size: t.title } },
    font: { size: t.font, color: t.ink }, margin: { l: t.font * 9, r: t.font * 7, t: t.title * 3, b: t.font * 3.5 },
    xaxis: { type: "log", title: { text: "number of weights and biases" }, gridcolor: "#ccc",
      range: [0, Math.log10(fc) + 0.6] },
    yaxis: { automargin: true }, paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "#fff",
    bargap: 0.35, dragmode: false,
  });
}
