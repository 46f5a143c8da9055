// The one small SVG chart module every widget uses, live and, for the page's static figure,
// at build time (scripts/render.py runs the widgets' view() in headless Chromium).
// Every chart keeps the numbers it plots as rows (svg.plotted: [series, x, y, value]) for the
// widget's "Download data" (widget.js).

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

/** A plotted value in a chart's text: three significant digits ("0.507", "1.23e-3"). */
function fmt(v) {
  const a = Math.abs(v);
  if (a === 0) return "0";
  if (a >= 1000 || a < 0.01) return v.toExponential(2).replace(/\.?0+e/, "e");
  return String(+v.toPrecision(3));
}

/** A tick's label: the tick's value exactly, however many digits its step needs (a step of
 * 2.5 puts ticks at 102.5 and 0.0025, which three significant digits would write as 103 and
 * 3e-3), without the float noise of computing it (0.1 + 0.2). */
export function tickLabel(v) {
  const a = Math.abs(v);
  if (a === 0) return "0";
  const clean = +v.toPrecision(12);
  return a >= 1000 || a < 0.01 ? clean.toExponential() : String(clean);
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
    svg.append(el("text", { x: M.l - 6, y: sy(t) + 4, class: "sim-tick", "text-anchor": "end" }, tickLabel(t)));
  }
  for (const t of niceTicks(x0, x1, 5)) {
    if (xInteger && !Number.isInteger(t)) continue;
    svg.append(el("text", { x: sx(t), y: H - M.b + 14, class: "sim-tick", "text-anchor": "middle" }, tickLabel(t)));
  }
  svg.append(el("line", { x1: M.l, x2: W - M.r, y1: H - M.b, y2: H - M.b, class: "sim-axis" }));
  svg.append(el("text", { x: (M.l + W - M.r) / 2, y: H - 4, class: "sim-label", "text-anchor": "middle" }, xLabel));
  svg.append(el("text", { x: 12, y: (M.t + H - M.b) / 2, class: "sim-label", "text-anchor": "middle",
    transform: `rotate(-90 12 ${(M.t + H - M.b) / 2})` }, yLabel));
  return { sx, sy };
}

/**
 * A line chart's text alternative, read in place of the picture: the title, what is plotted
 * against what, and each named bar group's and line's first and last value with their x,
 * e.g. "Training loss: loss against epoch; plain from 0.856 at 0 to 0.507 at 30; residual …".
 */
export function lineSummary(title, xLabel, yLabel, bars = [], series = [], logY = false) {
  const parts = [];
  for (const s of [...bars, ...series]) {
    if (s.name === undefined || s.name === null) continue;
    const pts = s.points.filter(([, y]) => finite(y, logY));
    if (!pts.length) parts.push(`${s.name}: no values`);
    else if (pts.length === 1) parts.push(`${s.name} ${fmt(pts[0][1])} at ${fmt(pts[0][0])}`);
    else {
      const [[xa, ya], [xb, yb]] = [pts[0], pts[pts.length - 1]];
      parts.push(`${s.name} from ${fmt(ya)} at ${fmt(xa)} to ${fmt(yb)} at ${fmt(xb)}`);
    }
  }
  return `${title}: ${yLabel} against ${xLabel}${parts.length ? `; ${parts.join("; ")}` : ""}.`;
}

/** A decision-boundary chart's text alternative: how much of the plane each class takes. */
function boundarySummary(title, boundary, points) {
  const counts = new Map();
  for (const c of boundary.classes) counts.set(c, (counts.get(c) || 0) + 1);
  const shares = [...counts.keys()].sort((a, b) => a - b)
    .map((c) => `class ${c} on ${Math.round((100 * counts.get(c)) / boundary.classes.length)} %`).join(", ");
  return `${title}: the class the network predicts at each point of the input plane, with the ${points} `
    + `training points on top; it predicts ${shares} of the plane.`;
}

function svgRoot(label) {
  return el("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": label, class: "sim-chart" });
}

const finite = (v, logY = false) => v !== null && v !== undefined && Number.isFinite(v) && (!logY || v > 0);

/**
 * Line chart on the shared frame (title, y grid and ticks, x ticks, axis labels, legend in the
 * title row). All marks are optional; they are drawn in this order, each layer over the last:
 *
 * - bands: [{cls, points: [[x, lo, hi], ...]}]: a filled range (path, class "sim-band cls"),
 *   e.g. min–max over draws; points with a missing lo or hi are left out.
 * - bars: [{name, cls, points: [[x, y], ...], legend}]: grouped bars, one group per entry,
 *   side by side around each x (x one unit apart: a slot is 1 wide in x, the groups share 0.8
 *   of it, at most 14 px a bar), from y = 0 (the bottom of the y domain on a log axis); each
 *   group is a <g class="sim-bars cls"> of rects "sim-bar cls"; a y of null draws no bar.
 * - hlines: [{y, cls, dashed}]: horizontal reference lines across the plot ("sim-line cls"),
 *   e.g. an intact accuracy, chance, a budget or a target; a y of null draws nothing.
 * - series: [{name, cls, points: [[x, y], ...], dashed, markers, legend}]: lines ("sim-line
 *   cls"); a y of null is a gap; markers puts a dot (r 3, "sim-marker cls") on every point.
 * - hollow: [{x, y, cls, dx, title}]: free hollow markers (r 3.5, "sim-marker sim-hollow
 *   cls"), shifted dx px sideways (to set markers at one x apart), with a tooltip title; e.g.
 *   runs that never reached a target, drawn in a band above the axis rather than as numbers.
 * - yNotes: [{y, lines: [text, ...]}]: words in the y-tick column centred on y (class
 *   "sim-tick"), one line each, to name a region of the y axis that is not a number.
 *
 * Bar groups and series with a name (and legend not false) enter the legend, in that order.
 * Values are clamped to yDomain. logY draws the y axis in powers of ten (yDomain must then be
 * positive); xInteger keeps only whole-number x ticks (for counts such as layers or blocks);
 * label is the aria-label, the chart's text alternative (default: lineSummary's sentence).
 */
export function lineChart({ title, label, xLabel, yLabel, xDomain, yDomain, logY = false, xInteger = false,
  series = [], bands = [], bars = [], hlines = [], hollow = [], yNotes = [] }) {
  const svg = svgRoot(label === undefined ? lineSummary(title, xLabel, yLabel, bars, series, logY) : label);
  const name = (s) => s.name ?? s.cls;
  svg.plotted = [
    ...bands.flatMap((b) => b.points.flatMap(([x, lo, hi]) => [[`${name(b)} low`, x, lo, null], [`${name(b)} high`, x, hi, null]])),
    ...bars.flatMap((b) => b.points.map(([x, y]) => [name(b), x, y, null])),
    ...hlines.map((l) => [name(l), null, l.y, null]),
    ...series.flatMap((s) => s.points.map(([x, y]) => [name(s), x, y, null])),
    ...hollow.map((m) => [name(m), m.x, m.y, null]),
  ];
  const { sx, sy } = frame(svg, title, xDomain, yDomain, xLabel, yLabel, logY, xInteger);
  const clampY = (y) => Math.min(Math.max(y, yDomain[0]), yDomain[1]);
  const px = (v) => v.toFixed(1);
  let i = 0;  // legend slot
  const legend = (name, cls) => {
    const lx = W - M.r - 150 + 78 * i++;  // legend in the title row, right-aligned
    const ly = 12;
    svg.append(el("line", { x1: lx, x2: lx + 16, y1: ly, y2: ly, class: cls }));
    svg.append(el("text", { x: lx + 20, y: ly + 4, class: "sim-legend" }, name));
  };
  for (const b of bands) {
    const pts = b.points.filter(([, lo, hi]) => finite(lo, logY) && finite(hi, logY));
    if (!pts.length) continue;
    const upper = pts.map(([x, , hi], k) => `${k ? "L" : "M"}${px(sx(x))},${px(sy(clampY(hi)))}`).join("");
    const lower = pts.map(([x, lo]) => `L${px(sx(x))},${px(sy(clampY(lo)))}`).reverse().join("");
    svg.append(el("path", { d: `${upper}${lower}Z`, class: `sim-band ${b.cls}` }));
  }
  const bw = Math.min((0.8 / (bars.length || 1)) * ((W - M.l - M.r) / (xDomain[1] - xDomain[0] || 1)), 14);
  const base = sy(logY ? yDomain[0] : clampY(0));
  bars.forEach((b, n) => {
    const g = el("g", { class: `sim-bars ${b.cls}` });
    for (const [x, y] of b.points) {
      if (!finite(y, logY)) continue;
      const top = sy(clampY(y));
      g.append(el("rect", { x: (sx(x) + (n - bars.length / 2) * bw).toFixed(2), y: top.toFixed(2), width: bw.toFixed(2),
        height: Math.max(base - top, 0).toFixed(2), class: `sim-bar ${b.cls}` }));
    }
    svg.append(g);
    if (b.legend !== false && b.name !== undefined) legend(b.name, `sim-line ${b.cls}`);
  });
  for (const l of hlines) {
    if (!finite(l.y, logY)) continue;
    const y = px(sy(clampY(l.y)));
    svg.append(el("line", { x1: M.l, x2: W - M.r, y1: y, y2: y, class: `sim-line ${l.cls}${l.dashed ? " sim-dashed" : ""}` }));
  }
  for (const s of series) {
    const parts = [];
    const dots = [];
    let pen = "M";
    for (const [x, y] of s.points) {
      if (!finite(y, logY)) { pen = "M"; continue; }
      const yc = clampY(y);
      parts.push(`${pen}${px(sx(x))},${px(sy(yc))}`);
      if (s.markers) dots.push([sx(x), sy(yc)]);
      pen = "L";
    }
    const cls = `sim-line ${s.cls}${s.dashed ? " sim-dashed" : ""}`;
    svg.append(el("path", { d: parts.join(""), class: cls }));
    for (const [cx, cy] of dots) svg.append(el("circle", { cx: px(cx), cy: px(cy), r: 3, class: `sim-marker ${s.cls}` }));
    if (s.legend !== false) legend(s.name, cls);
  }
  for (const m of hollow) {
    if (!finite(m.y, logY)) continue;
    const dot = el("circle", { cx: px(sx(m.x) + (m.dx || 0)), cy: px(sy(clampY(m.y))), r: 3.5, class: `sim-marker sim-hollow ${m.cls}` });
    if (m.title !== undefined) dot.append(el("title", {}, m.title));
    svg.append(dot);
  }
  for (const note of yNotes) {
    note.lines.forEach((text, k) => svg.append(el("text", { x: M.l - 6, y: px(sy(clampY(note.y)) + 4 + 9 * (k - (note.lines.length - 1) / 2)),
      class: "sim-tick", "text-anchor": "end" }, text)));
  }
  return svg;
}

const BOUNDARY_SIZE = H - M.t - 8;

/** The grid's cells as one rect per run of equal class along each row (far fewer elements
 * than one per cell, the same picture). */
function boundaryCells(boundary) {
  const size = BOUNDARY_SIZE;
  const x0 = (W - size) / 2;
  const y0 = M.t;
  const n = boundary.n;
  const cell = size / n;
  const g = el("g", { class: "sim-boundary" });
  for (let j = 0; j < n; j++) {
    let i = 0;
    while (i < n) {
      const c = boundary.classes[j * n + i];
      let end = i + 1;
      while (end < n && boundary.classes[j * n + end] === c) end++;
      g.append(el("rect", { x: (x0 + i * cell).toFixed(2), y: (y0 + size - (j + 1) * cell).toFixed(2),
        width: ((end - i) * cell + 0.3).toFixed(2), height: (cell + 0.3).toFixed(2), class: `sim-cell sim-class-${c}` }));
      i = end;
    }
  }
  return g;
}

/** Decision boundary: predicted class per grid cell, training points on top; the aria-label
 * says how much of the plane each class takes. */
export function boundaryChart({ title, boundary, data }) {
  const svg = svgRoot(boundarySummary(title, boundary, data.X_train.length));
  svg.summarize = (b) => boundarySummary(title, b, data.X_train.length);  // for updateBoundary
  const [gx0, gy0] = boundary.lo;
  const [gx1, gy1] = boundary.hi;
  const at = (i, lo, hi) => lo + (i * (hi - lo)) / Math.max(boundary.n - 1, 1);  // the lattice simcore evaluated
  svg.plotted = [
    ...boundary.classes.map((c, k) => ["predicted class", at(k % boundary.n, gx0, gx1), at(Math.floor(k / boundary.n), gy0, gy1), c]),
    ...data.X_train.map(([x, y], k) => ["training point", x, y, data.y_train[k]]),
  ];
  svg.append(el("text", { x: M.l, y: 16, class: "sim-chart-title" }, title));
  const size = BOUNDARY_SIZE;
  const x0 = (W - size) / 2;
  const y0 = M.t;
  svg.append(boundaryCells(boundary));
  const [lx, ly] = boundary.lo;
  const [hx, hy] = boundary.hi;
  // the training points: one path of small circles per class (two elements, not hundreds)
  const pts = el("g", { class: "sim-points" });
  const byClass = new Map();
  data.X_train.forEach(([x, y], k) => {
    const cx = x0 + ((x - lx) / (hx - lx)) * size;
    const cy = y0 + size - ((y - ly) / (hy - ly)) * size;
    const c = data.y_train[k];
    if (!byClass.has(c)) byClass.set(c, []);
    byClass.get(c).push(`M${(cx - 2.2).toFixed(1)},${cy.toFixed(1)}a2.2,2.2 0 1,0 4.4,0a2.2,2.2 0 1,0 -4.4,0`);
  });
  for (const c of [...byClass.keys()].sort((a, b) => a - b)) {
    pts.append(el("path", { d: byClass.get(c).join(""), class: `sim-point sim-class-${c}` }));
  }
  svg.append(pts);
  svg.append(el("rect", { x: x0, y: y0, width: size, height: size, class: "sim-box" }));
  return svg;
}

/** Redraw only the cells of a boundaryChart (same grid geometry, e.g. the next epoch's). */
export function updateBoundary(svg, boundary) {
  svg.querySelector("g.sim-boundary").replaceWith(boundaryCells(boundary));
  svg.setAttribute("aria-label", svg.summarize(boundary));
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
 * contours: [{text, segments: [[[x, y], [x, y]], ...]}] draws iso-lines on top (in data
 * coordinates, e.g. traced by marching squares), each a haloed path ("sim-iso-halo",
 * "sim-iso-line") labelled text at its rightmost end ("sim-iso-label"), all in a
 * <g class="sim-iso">. label is the aria-label (default: the title, the axes and the colour
 * range).
 */
export function heatmap({ title, label, xLabel, yLabel, x, y, values, logScale = false, contours = [] }) {
  const flat = values.flat().filter((v) => v !== null && Number.isFinite(v) && (!logScale || v > 0));
  const f = (v) => (logScale ? Math.log10(v) : v);
  const lo = Math.min(...flat.map(f));
  const hi = Math.max(...flat.map(f));
  const note = logScale ? `colour: 10^${lo.toFixed(1)} … 10^${hi.toFixed(1)}` : `colour: ${fmt(lo)} … ${fmt(hi)}`;
  const svg = svgRoot(label === undefined ? `${title}: ${yLabel} against ${xLabel}, ${note}.` : label);
  svg.plotted = values.flatMap((row, j) => row.map((v, i) => ["value", x[i], y[j], v]));
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
  svg.append(el("text", { x: W - M.r, y: 16, class: "sim-legend", "text-anchor": "end" }, note));
  if (contours.length) {
    const iso = el("g", { class: "sim-iso" });
    const pt = ([a, b]) => `${sx(a).toFixed(1)},${sy(b).toFixed(1)}`;
    for (const { text, segments } of contours) {
      const d = segments.map(([p, q]) => `M${pt(p)}L${pt(q)}`).join("");
      iso.append(el("path", { d, class: "sim-iso-halo" }), el("path", { d, class: "sim-iso-line" }));
      let best = segments[0][0];  // the label at the rightmost end (the topmost of ties)
      for (const [p, q] of segments) for (const r of [p, q]) if (r[0] > best[0] || (r[0] === best[0] && r[1] > best[1])) best = r;
      iso.append(el("text", { x: (sx(best[0]) - 2).toFixed(1), y: (sy(best[1]) - 2).toFixed(1), class: "sim-iso-label",
        "text-anchor": "end" }, text));
    }
    svg.append(iso);
  }
  return svg;
}
