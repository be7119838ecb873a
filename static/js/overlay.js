// The moving parts of an animation (the window, the current cell, the not-yet-computed mask)
// as a light SVG layer over a Plotly plot: moving a rectangle is then one attribute write,
// not a Plotly.relayout (measured: ~3-8 ms each, too slow for 30+ frames per second with
// two plots). The Plotly figure itself is drawn once per layer.

import { on } from "./plots.js";

const NS = "http://www.w3.org/2000/svg";

/** An overlay on Plotly div gd; set(rects) draws rects given in data coordinates
 *  ({r0, c0, r1, c1} cells inclusive, or {x0, x1, y0, y1}), with {color, width, fill, dash}.
 *  The data → pixel mapping comes from the figure's own ranges (gd.layout) and its plot area
 *  (the drag layer's box), measured once per drawing, not per frame. */
export function makeOverlay(gd) {
  const svg = document.createElementNS(NS, "svg");
  svg.classList.add("overlay");
  svg.setAttribute("aria-hidden", "true");
  gd.append(svg);
  const pool = [];
  let last = [];
  let map = null; // {x(v), y(v)} data → pixels in gd

  function measure() {
    const area = gd.querySelector(".nsewdrag");
    const xr = gd.layout?.xaxis?.range, yr = gd.layout?.yaxis?.range;
    if (!area || !xr || !yr) { map = null; return; }
    const box = gd.getBoundingClientRect(), a = area.getBoundingClientRect();
    const left = a.left - box.left, top = a.top - box.top;
    map = { x: (v) => left + ((v - xr[0]) / (xr[1] - xr[0])) * a.width,
      y: (v) => top + (1 - (v - yr[0]) / (yr[1] - yr[0])) * a.height, // range[0] at the bottom
      width: box.width, height: box.height };
  }

  function draw() {
    if (!map) return;
    if (!svg.isConnected) gd.append(svg);
    svg.setAttribute("width", map.width);
    svg.setAttribute("height", map.height);
    last.forEach((s, i) => {
      let el = pool[i];
      if (!el) {
        el = document.createElementNS(NS, "rect");
        svg.append(el);
        pool.push(el);
      }
      const x0 = s.x0 ?? s.c0 - 0.5, x1 = s.x1 ?? s.c1 + 0.5;
      const y0 = s.y0 ?? s.r0 - 0.5, y1 = s.y1 ?? s.r1 + 0.5;
      const a = map.x(x0), b = map.x(x1), c = map.y(y0), d = map.y(y1);
      el.setAttribute("x", Math.min(a, b));
      el.setAttribute("y", Math.min(c, d));
      el.setAttribute("width", x1 > x0 ? Math.abs(b - a) : 0);
      el.setAttribute("height", y1 > y0 ? Math.abs(d - c) : 0);
      el.setAttribute("fill", s.fill || "none");
      el.setAttribute("stroke", s.color || "none");
      el.setAttribute("stroke-width", s.width || 0);
      el.setAttribute("stroke-dasharray", s.dash || "");
      el.style.display = x1 > x0 && y1 > y0 ? "" : "none";
    });
    for (let i = last.length; i < pool.length; i++) pool[i].style.display = "none";
  }

  // After Plotly redraws or resizes the figure, the data → pixel mapping has changed.
  const redraw = () => { measure(); draw(); };
  on(gd, "plotly_afterplot", redraw);
  on(gd, "plotly_relayout", redraw);
  measure();
  return {
    set(rects) {
      last = rects;
      if (!map) measure();
      draw();
    },
  };
}
