// The loss-landscape widget (Li et al., 2018): simcore.api's "landscape" task trains a plain and
// a residual net in the worker and slices their training loss along filter-normalised random
// directions. Drawn by ../charts.js: the 1-D slices (loss, log axis; accuracy) with lineChart,
// and the 2-D slices as heat maps (log colour) with iso-lines at powers of ten (heatmap's
// contours), which this file traces on the returned grid (marching squares). Every number comes
// from the task's result. view() also draws the page's static figure at build time
// (scripts/render.py), iso-lines included: the build hands it the same grid.

import { heatmap, lineChart, logDomain } from "../charts.js";
import { cell, fixed, h, mountOneCall, output, percent } from "../widget.js";

const KINDS = ["plain", "residual"];
const CONTROLS = [
  ["dataset", "Data set"], ["depth", "Depth"], ["width", "Width"], ["layout", "Block layout"],
  ["norm", "Batch norm"], ["lr", "Learning rate"], ["epochs", "Epochs"],
  ["landscape_span", "Span ±"], ["landscape_points_1d", "Points, 1-D (odd)"],
  ["landscape_points_2d", "Points, 2-D (odd)"], ["seed", "Seed"],
];
const PRIMARY = ["depth", "norm", "landscape_span"];

/** The simcore.api call a run makes, for Copy as Python. */
export function calls(config) {
  return { calls: [["landscape", "landscape", config]], data: "landscape" };
}


/** A number with 4 significant digits (exponent form when very large or small). */
export function fmtNum(v) {
  if (v === null) return "—";
  const a = Math.abs(v);
  if (a !== 0 && (a >= 1e5 || a < 1e-3)) {
    const [m, e] = v.toExponential(2).split("e");
    return `${m}e${Number(e)}`;
  }
  return fixed(v, a === 0 ? 3 : Math.max(0, 3 - Math.floor(Math.log10(a))));
}
const fmtInt = (v) => (v === null ? "—" : String(v));

// [label, path into the kind's result, format]
export const ROWS = [
  ["training loss", ["train_loss"], fmtNum],
  ["training accuracy", ["train_acc"], percent],
  ["1-D rise (edges − centre)", ["summary_1d", "rise"], fmtNum],
  ["1-D curvature at 0", ["summary_1d", "curvature"], fmtNum],
  ["1-D local minima", ["summary_1d", "local_minima"], fmtInt],
  ["2-D rise (edge mean − centre)", ["summary_2d", "rise"], fmtNum],
  ["2-D local minima", ["summary_2d", "local_minima"], fmtInt],
  ["2-D non-convex share", ["summary_2d", "nonconvex_fraction"], percent],
];

/**
 * Iso-lines of log10(values[j][i]) (x[i] across, y[j] up) at integer levels (every decade, or
 * every n-th so that there are at most 6) by marching squares; a saddle is split by the mean
 * of its four corners. Returns
 * [{level, segments: [[[x, y], [x, y]], ...]}] in data coordinates.
 */
export function isolines(x, y, values) {
  const g = values.map((row) => row.map((v) => (v !== null && Number.isFinite(v) && v > 0 ? Math.log10(v) : null)));
  const flat = g.flat().filter((v) => v !== null);
  if (!flat.length) return [];
  const out = [];
  const first = Math.ceil(Math.min(...flat));
  const last = Math.floor(Math.max(...flat));
  const step = Math.max(1, Math.ceil((last - first + 1) / 6));  // at most 6 levels
  for (let level = first; level <= last; level += step) {
    const segments = [];
    for (let j = 0; j + 1 < y.length; j++) {
      for (let i = 0; i + 1 < x.length; i++) {
        const a = g[j][i];
        const b = g[j][i + 1];
        const c = g[j + 1][i + 1];
        const d = g[j + 1][i];
        if (a === null || b === null || c === null || d === null) continue;
        const cross = (p, q, P, Q) => {
          if ((p >= level) === (q >= level)) return null;
          const f = (level - p) / (q - p);
          return [P[0] + f * (Q[0] - P[0]), P[1] + f * (Q[1] - P[1])];
        };
        const A = [x[i], y[j]];
        const B = [x[i + 1], y[j]];
        const C = [x[i + 1], y[j + 1]];
        const D = [x[i], y[j + 1]];
        const pB = cross(a, b, A, B);
        const pR = cross(b, c, B, C);
        const pT = cross(d, c, D, C);
        const pL = cross(a, d, A, D);
        const pts = [pB, pR, pT, pL].filter((p) => p !== null);
        if (pts.length === 2) segments.push(pts);
        else if (pts.length === 4) {
          if (((a + b + c + d) / 4 >= level) === (a >= level)) segments.push([pB, pR], [pT, pL]);
          else segments.push([pB, pL], [pR, pT]);
        }
      }
    }
    if (segments.length) out.push({ level, segments });
  }
  return out;
}

function levelText(level) {
  if (level >= 0 && level < 4) return String(10 ** level);
  if (level < 0 && level >= -2) return (10 ** level).toFixed(-level);
  return `1e${level}`;
}

/** A heat map of one kind's 2-D slice (log colour) with its iso-lines and their labels. */
export function surfaceChart(res, kind) {
  const a = res.alphas_2d;
  const L = res[kind].slice_2d.loss;  // [i][j] at (α_i, β_j)
  const values = a.map((_, j) => a.map((__, i) => L[i][j]));  // rows β, columns α
  const contours = isolines(a, a, values).map(({ level, segments }) => ({ text: levelText(level), segments }));
  const shown = contours.map((c) => c.text).join(", ");
  return heatmap({ title: `Loss surface, ${kind}`, xLabel: "α (along δ)", yLabel: "β (along η)", x: a, y: a, values,
    logScale: true, contours,
    label: `Training loss of the ${kind} net on the plane θ* + αδ + βη, log colour scale` + (shown ? `, iso-lines at ${shown}` : "") });
}

export function sliceCharts(res) {
  const a = res.alphas_1d;
  const span = a[a.length - 1];
  const losses = KINDS.flatMap((k) => res[k].slice_1d.loss);
  return [
    lineChart({ title: "Loss along δ", xLabel: "α", yLabel: "training loss (log)", xDomain: [-span, span],
      yDomain: logDomain(losses), logY: true,
      series: KINDS.map((k) => ({ name: k, cls: `sim-${k}`, points: a.map((x, i) => [x, res[k].slice_1d.loss[i]]) })) }),
    lineChart({ title: "Accuracy along δ", xLabel: "α", yLabel: "training accuracy", xDomain: [-span, span],
      yDomain: [0, 1],
      series: KINDS.map((k) => ({ name: k, cls: `sim-${k}`, points: a.map((x, i) => [x, res[k].slice_1d.acc[i]]) })) }),
  ];
}

/** Each measure of ROWS for both nets (value in data-value), then their status. */
function readout(res) {
  const rows = ROWS.map(([label, path, fmt]) => h("tr", {}, h("th", { scope: "row", text: label }),
    ...KINDS.map((k) => {
      const v = path.reduce((o, key) => o[key], res[k]);
      return cell(`${k}.${path.join(".")}`, v, fmt(v));
    })));
  rows.push(h("tr", {}, h("th", { scope: "row", text: "status" }),
    ...KINDS.map((k) => h("td", { "data-key": `${k}.status`, text: res[k].status }))));
  return h("table", { class: "sim-readout" },
    h("thead", {}, h("tr", {}, h("th", { text: "measure" }), ...KINDS.map((k) => h("th", { class: `sim-${k}`, text: k })))),
    h("tbody", {}, ...rows));
}

/** The 1-D slices, both 2-D surfaces and the readout of a landscape result. */
export function view(res) {
  return output([...sliceCharts(res), ...KINDS.map((k) => surfaceChart(res, k))], readout(res));
}

export function mount(root) {
  return mountOneCall(root, CONTROLS, {
    label: "Loss landscape settings", primary: PRIMARY, view, calls, task: "landscape",
    done(res, config) {
      return `Done: ${res.alphas_1d.length} points along δ, ${res.alphas_2d.length}×${res.alphas_2d.length} on the plane, per network.`;
    },
  });
}
