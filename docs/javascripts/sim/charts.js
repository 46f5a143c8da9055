// The one small SVG chart module every widget uses. Its output mirrors scripts/figures.py,
// which draws the same charts at build time for readers without JavaScript, so the live
// figure replaces the static one without a layout jump.

const NS = "http://www.w3.org/2000/svg";
export const W = 320;
export const H = 220;
const M = { l: 46, r: 10, t: 26, b: 36 };

function el(name, attrs = {}, text) {
  const node = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

export function niceTicks(lo, hi, count = 5) {
  if (!(hi > lo)) hi = lo + 1;
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((f) => f * mag).find((s) => s >= raw);
  const ticks = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) ticks.push(+v.toPrecision(12));
  return ticks;
}

function fmt(v) {
  const a = Math.abs(v);
  if (a === 0) return "0";
  if (a >= 1000 || a < 0.01) return v.toExponential(0);
  return String(+v.toPrecision(3));
}

export function logTicks(lo, hi) {
  const ticks = [];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) {
    const v = 10 ** e;
    if (v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9)) ticks.push(v);
  }
  const step = Math.ceil(ticks.length / 6);
  return ticks.filter((_, i) => i % step === 0);
}

/** Whole decades around the positive finite values, at least one wide; [0.1, 10] if none. */
export function logDomain(values, floor = 1e-300) {
  const ok = values.filter((v) => v !== null && Number.isFinite(v) && v > floor);
  if (!ok.length) return [0.1, 10];
  const lo = Math.floor(Math.log10(Math.min(...ok)));
  const hi = Math.ceil(Math.log10(Math.max(...ok)));
  return [10 ** lo, 10 ** Math.max(hi, lo + 1)];
}

function frame(svg, title, xDomain, yDomain, xLabel, yLabel, logY = false, xInteger = false) {
  const [x0, x1] = xDomain;
  const [y0, y1] = logY ? yDomain.map(Math.log10) : yDomain;
  const sx = (x) => M.l + ((x - x0) / (x1 - x0 || 1)) * (W - M.l - M.r);
  const sy = (y) => H - M.b - (((logY ? Math.log10(y) : y) - y0) / (y1 - y0 || 1)) * (H - M.t - M.b);
  svg.append(el("text", { x: M.l, y: 16, class: "sim-chart-title" }, title));
  for (const t of logY ? logTicks(...yDomain) : niceTicks(y0, y1, 4)) {
    svg.append(el("line", { x1: M.l, x2: W - M.r, y1: sy(t), y2: sy(t), class: "sim-gridline" }));
    svg.append(el("text", { x: M.l - 6, y: sy(t) + 4, class: "sim-tick", "text-anchor": "end" }, fmt(t)));
  }
  for (const t of niceTicks(x0, x1, 5)) {
    if (xInteger && !Number.isInteger(t)) continue;
    svg.append(el("text", { x: sx(t), y: H - M.b + 14, class: "sim-tick", "text-anchor": "middle" }, fmt(t)));
  }
  svg.append(el("line", { x1: M.l, x2: W - M.r, y1: H - M.b, y2: H - M.b, class: "sim-axis" }));
  svg.append(el("text", { x: (M.l + W - M.r) / 2, y: H - 4, class: "sim-label", "text-anchor": "middle" }, xLabel));
  svg.append(el("text", { x: 12, y: (M.t + H - M.b) / 2, class: "sim-label", "text-anchor": "middle",
    transform: `rotate(-90 12 ${(M.t + H - M.b) / 2})` }, yLabel));
  return { sx, sy };
}

function svgRoot(label) {
  return el("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": label, class: "sim-chart" });
}

/**
 * Line chart. series: [{name, cls, points: [[x, y], ...], dashed, markers, legend}]; a y of
 * null is a gap; legend: false leaves a series (e.g. a reference line) out of the legend.
 * logY draws the y axis in powers of ten (yDomain must then be positive); xInteger keeps only
 * whole-number x ticks (for counts such as layers or blocks).
 */
export function lineChart({ title, xLabel, yLabel, series, xDomain, yDomain, logY = false, xInteger = false }) {
  const svg = svgRoot(title);
  const { sx, sy } = frame(svg, title, xDomain, yDomain, xLabel, yLabel, logY, xInteger);
  let i = 0;  // legend slot
  for (const s of series) {
    const parts = [];
    const dots = [];
    let pen = "M";
    for (const [x, y] of s.points) {
      if (y === null || !Number.isFinite(y) || (logY && y <= 0)) { pen = "M"; continue; }
      const yc = Math.min(Math.max(y, yDomain[0]), yDomain[1]);
      parts.push(`${pen}${sx(x).toFixed(1)},${sy(yc).toFixed(1)}`);
      if (s.markers) dots.push([sx(x), sy(yc)]);
      pen = "L";
    }
    svg.append(el("path", { d: parts.join(""), class: `sim-line ${s.cls}${s.dashed ? " sim-dashed" : ""}` }));
    for (const [cx, cy] of dots) svg.append(el("circle", { cx: cx.toFixed(1), cy: cy.toFixed(1), r: 3, class: `sim-marker ${s.cls}` }));
    if (s.legend === false) continue;
    const lx = W - M.r - 150 + 78 * i++;  // legend in the title row, right-aligned
    const ly = 12;
    svg.append(el("line", { x1: lx, x2: lx + 16, y1: ly, y2: ly, class: `sim-line ${s.cls}${s.dashed ? " sim-dashed" : ""}` }));
    svg.append(el("text", { x: lx + 20, y: ly + 4, class: "sim-legend" }, s.name));
  }
  return svg;
}

/** Decision boundary: predicted class per grid cell, training points on top. */
export function boundaryChart({ title, boundary, data }) {
  const svg = svgRoot(title);
  svg.append(el("text", { x: M.l, y: 16, class: "sim-chart-title" }, title));
  const size = H - M.t - 8;
  const x0 = (W - size) / 2;
  const y0 = M.t;
  const n = boundary.n;
  const cell = size / n;
  const g = el("g", { class: "sim-boundary" });
  boundary.classes.forEach((c, k) => {
    const i = k % n;
    const j = Math.floor(k / n);
    g.append(el("rect", { x: (x0 + i * cell).toFixed(2), y: (y0 + size - (j + 1) * cell).toFixed(2),
      width: (cell + 0.3).toFixed(2), height: (cell + 0.3).toFixed(2), class: `sim-cell sim-class-${c}` }));
  });
  svg.append(g);
  const [lx, ly] = boundary.lo;
  const [hx, hy] = boundary.hi;
  const pts = el("g", { class: "sim-points" });
  data.X_train.forEach(([x, y], k) => {
    pts.append(el("circle", { cx: (x0 + ((x - lx) / (hx - lx)) * size).toFixed(1),
      cy: (y0 + size - ((y - ly) / (hy - ly)) * size).toFixed(1), r: 2.2, class: `sim-point sim-class-${data.y_train[k]}` }));
  });
  svg.append(pts);
  svg.append(el("rect", { x: x0, y: y0, width: size, height: size, class: "sim-box" }));
  return svg;
}

/** Sequential colour for t in [0, 1] (cividis-like: readable with colour-vision deficiency). */
export function sequential(t) {
  const stops = [[0, 32, 76], [87, 92, 109], [124, 123, 120], [188, 175, 111], [253, 231, 55]];
  const u = Math.min(Math.max(t, 0), 1) * (stops.length - 1);
  const i = Math.min(Math.floor(u), stops.length - 2);
  const f = u - i;
  const c = stops[i].map((a, k) => Math.round(a + f * (stops[i + 1][k] - a)));
  return `rgb(${c[0]},${c[1]},${c[2]})`;
}

/**
 * Heat map of values[j][i] over x (columns) and y (rows, increasing upwards); colour by
 * value, on a log scale when logScale (values must be positive), with its colour range noted.
 */
export function heatmap({ title, xLabel, yLabel, x, y, values, logScale = false }) {
  const svg = svgRoot(title);
  const flat = values.flat().filter((v) => v !== null && Number.isFinite(v) && (!logScale || v > 0));
  const f = (v) => (logScale ? Math.log10(v) : v);
  const lo = Math.min(...flat.map(f));
  const hi = Math.max(...flat.map(f));
  const { sx, sy } = frame(svg, title, [x[0], x[x.length - 1]], [y[0], y[y.length - 1]], xLabel, yLabel);
  const dx = (sx(x[x.length - 1]) - sx(x[0])) / Math.max(x.length - 1, 1);
  const dy = (sy(y[0]) - sy(y[y.length - 1])) / Math.max(y.length - 1, 1);
  const g = el("g", { class: "sim-heat" });
  values.forEach((row, j) => row.forEach((v, i) => {
    const ok = v !== null && Number.isFinite(v) && (!logScale || v > 0);
    g.append(el("rect", { x: (sx(x[i]) - dx / 2).toFixed(2), y: (sy(y[j]) - dy / 2).toFixed(2),
      width: (dx + 0.3).toFixed(2), height: (dy + 0.3).toFixed(2),
      fill: ok ? sequential((f(v) - lo) / (hi - lo || 1)) : "none" }));
  }));
  svg.insertBefore(g, svg.children[1]);
  const note = logScale ? `colour: 10^${lo.toFixed(1)} … 10^${hi.toFixed(1)}` : `colour: ${fmt(lo)} … ${fmt(hi)}`;
  svg.append(el("text", { x: W - M.r, y: 16, class: "sim-legend", "text-anchor": "end" }, note));
  return svg;
}
