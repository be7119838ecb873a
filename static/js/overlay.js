// The moving parts of an animation (the window, the current cell, the not-yet-computed mask)
// as a light SVG layer over a Plotly plot: moving a rectangle is then one attribute write,
// not a Plotly.relayout (measured: ~3-8 ms each, too slow for 30+ frames per second with
// two plots). The Plotly figure itself is drawn once per layer.

const NS = "http://www.w3.org/2000/svg";

/** An overlay on Plotly div gd; set(rects) draws rects given in data coordinates
 *  ({r0, c0, r1, c1} cells inclusive, or {x0, x1, y0, y1}), with {color, width, fill, dash}. */
export function makeOverlay(gd) {
  const svg = document.createElementNS(NS, "svg");
  svg.classList.add("overlay");
  svg.setAttribute("aria-hidden", "true");
  gd.append(svg);
  const pool = [];
  let last = [];

  function px(v, axis) {
    return axis._offset + axis.l2p(v);
  }

  function draw() {
    const full = gd._fullLayout;
    if (!full || !full.xaxis || !full.yaxis) return;
    if (!svg.isConnected) gd.append(svg);
    const xa = full.xaxis, ya = full.yaxis;
    svg.setAttribute("width", full.width);
    svg.setAttribute("height", full.height);
    last.forEach((s, i) => {
      let el = pool[i];
      if (!el) {
        el = document.createElementNS(NS, "rect");
        svg.append(el);
        pool.push(el);
      }
      const x0 = s.x0 ?? s.c0 - 0.5, x1 = s.x1 ?? s.c1 + 0.5;
      const y0 = s.y0 ?? s.r0 - 0.5, y1 = s.y1 ?? s.r1 + 0.5;
      const a = px(x0, xa), b = px(x1, xa), c = px(y0, ya), d = px(y1, ya);
      const w = Math.abs(b - a), h = Math.abs(d - c);
      el.setAttribute("x", Math.min(a, b));
      el.setAttribute("y", Math.min(c, d));
      el.setAttribute("width", x1 > x0 ? w : 0);
      el.setAttribute("height", y1 > y0 ? h : 0);
      el.setAttribute("fill", s.fill || "none");
      el.setAttribute("stroke", s.color || "none");
      el.setAttribute("stroke-width", s.width || 0);
      el.setAttribute("stroke-dasharray", s.dash || "");
      el.style.display = x1 > x0 && y1 > y0 ? "" : "none";
    });
    for (let i = last.length; i < pool.length; i++) pool[i].style.display = "none";
  }

  // After Plotly redraws or resizes the figure, the axes' pixel mapping has changed.
  gd.on("plotly_afterplot", draw);
  gd.on("plotly_relayout", draw);
  return {
    set(rects) {
      last = rects;
      draw();
    },
  };
}
