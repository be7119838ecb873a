// Step 4: a conv layer: every filter (as a colour tile), its feature map, the map after ReLU
// and after 2×2 max pooling (drawn to scale), in one Plotly figure (one column per filter),
// and the maps stacked as the volume the next layer reads.
import { deck, layerFigure, signedColour } from "./figures.js";
import { draw, layoutKey, on } from "./plots.js";
import { state, update } from "./state.js";
import { rangeToggle } from "./widgets.js";

let drawn = "";

export async function render(el, d) {
  if (!el.querySelector(".layer")) {
    el.innerHTML = `<div class="layer">
      <div class="plot" id="layer-plot" role="figure" aria-label="Each filter with its map, ReLU and pooling"></div>
      <figure class="deck-box"><div class="deck" id="layer-volume" role="img"
        aria-label="The feature maps stacked as a volume"></div>
        <figcaption>the maps stacked: the next layer's input volume</figcaption></figure>
    </div>`;
  }
  rangeToggle(el);
  const key = `${JSON.stringify(d.body)}|${layoutKey()}|${state.range}`;
  if (key === drawn) return;
  drawn = key;
  const { traces, layout } = layerFigure(d);
  const gd = el.querySelector("#layer-plot");
  await draw(gd, traces, layout);
  if (!gd.dataset.bound) {
    gd.dataset.bound = "1";
    // A click on a map follows that filter in the step-through: four traces per filter
    // (its tile, map, ReLU, pooled map), in filter order.
    on(gd, "plotly_click", (ev) => update({ fi: Math.floor(ev.points[0].curveNumber / 4), pos: 0, step: 2 }));
  }
  deck(el.querySelector("#layer-volume"), d.maps, signedColour(d.maps));
}
