// The lesion widget (Veit et al., 2016): train a plain and a residual net with simcore.api's
// "lesion" task in the worker, then show the test accuracy with each block deleted (bars per
// block, intact accuracy as solid lines, chance dashed) and with k random blocks deleted (mean
// over the draws, min–max band). Every number comes from the task's result; this file draws.
// The two charts are built here from plain SVG on the same frame, classes and viewBox as
// ../charts.js (that module has no bar chart); scripts/widgets/lesion.py draws the same at
// build time.

import { H, W, niceTicks } from "../charts.js";
import { frame, h, setCell } from "../widget.js";

const KINDS = ["plain", "residual"];
const CONTROLS = [
  ["dataset", "Data set"], ["depth", "Depth"], ["width", "Width"], ["layout", "Block layout"],
  ["norm", "Batch norm"], ["lr", "Learning rate"], ["epochs", "Epochs"],
  ["lesion_max_k", "Most blocks deleted (0: all)"], ["lesion_draws", "Random draws per k"],
  ["seed", "Seed"],
];
const NS = "http://www.w3.org/2000/svg";
const M = { l: 46, r: 10, t: 26, b: 36 };  // the margins of ../charts.js

const fmtAcc = (v) => (v === null ? "—" : `${(100 * v).toFixed(1)} %`);
const fmtDrop = (v) => (v === null ? "—" : `${(100 * v).toFixed(1)} pts`);

function el(name, attrs = {}, text) {
  const node = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

function tickText(v) {  // charts.js's tick format
  const a = Math.abs(v);
  if (a === 0) return "0";
  if (a >= 1000 || a < 0.01) return v.toExponential(0);
  return String(+v.toPrecision(3));
}

/** The frame of charts.js (title, y grid and ticks, x ticks, axis, labels) on a new svg. */
function axes({ title, label, xLabel, yLabel, xDomain, yDomain }) {
  const svg = el("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": label, class: "sim-chart" });
  const [x0, x1] = xDomain;
  const [y0, y1] = yDomain;
  const sx = (x) => M.l + ((x - x0) / (x1 - x0 || 1)) * (W - M.l - M.r);
  const sy = (y) => H - M.b - ((y - y0) / (y1 - y0 || 1)) * (H - M.t - M.b);
  svg.append(el("text", { x: M.l, y: 16, class: "sim-chart-title" }, title));
  for (const t of niceTicks(y0, y1, 4)) {
    svg.append(el("line", { x1: M.l, x2: W - M.r, y1: sy(t), y2: sy(t), class: "sim-gridline" }));
    svg.append(el("text", { x: M.l - 6, y: sy(t) + 4, class: "sim-tick", "text-anchor": "end" }, tickText(t)));
  }
  for (const t of niceTicks(x0, x1, 5)) {
    svg.append(el("text", { x: sx(t), y: H - M.b + 14, class: "sim-tick", "text-anchor": "middle" }, tickText(t)));
  }
  svg.append(el("line", { x1: M.l, x2: W - M.r, y1: H - M.b, y2: H - M.b, class: "sim-axis" }));
  svg.append(el("text", { x: (M.l + W - M.r) / 2, y: H - 4, class: "sim-label", "text-anchor": "middle" }, xLabel));
  svg.append(el("text", { x: 12, y: (M.t + H - M.b) / 2, class: "sim-label", "text-anchor": "middle",
    transform: `rotate(-90 12 ${(M.t + H - M.b) / 2})` }, yLabel));
  return { svg, sx, sy };
}

/** Legend in the title row, right-aligned, as charts.js's lineChart. */
function legend(svg) {
  KINDS.forEach((k, i) => {
    const lx = W - M.r - 150 + 78 * i;
    svg.append(el("line", { x1: lx, x2: lx + 16, y1: 12, y2: 12, class: `sim-line sim-${k}` }));
    svg.append(el("text", { x: lx + 20, y: 16, class: "sim-legend" }, k));
  });
}

function hline(svg, sx, sy, x0, x1, y, cls) {
  svg.append(el("line", { x1: sx(x0).toFixed(1), x2: sx(x1).toFixed(1), y1: sy(y).toFixed(1), y2: sy(y).toFixed(1), class: cls }));
}

/** Accuracy with each block deleted: grouped bars, intact lines, chance dashed. */
export function singleChart(res, split) {
  const L = res.n_blocks;
  const chance = res.chance[split];
  const label = `${split === "test" ? "Test" : "Training"} accuracy with one block deleted, per block, plain and residual; `
    + `intact: plain ${fmtAcc(res.plain.intact[split])}, residual ${fmtAcc(res.residual.intact[split])}; chance ${fmtAcc(chance)}`;
  const { svg, sx, sy } = axes({ title: "One block deleted", label, xLabel: "deleted block (lines: intact, dashed: chance)",
    yLabel: `${split} accuracy`, xDomain: [-0.5, L - 0.5], yDomain: [0, 1] });
  const bw = Math.min(0.4 * (sx(1) - sx(0)), 14);
  KINDS.forEach((k, n) => {
    const g = el("g", { class: `sim-bars sim-${k}` });
    res[k].single[split].forEach((v, i) => {
      if (v === null) return;
      const x = sx(i) + (n === 0 ? -bw : 0);
      g.append(el("rect", { x: x.toFixed(2), y: sy(v).toFixed(2), width: bw.toFixed(2),
        height: Math.max(sy(0) - sy(v), 0).toFixed(2), class: `sim-bar sim-${k}` }));
    });
    svg.append(g);
  });
  for (const k of KINDS) {
    const v = res[k].intact[split];
    if (v !== null) hline(svg, sx, sy, -0.5, L - 0.5, v, `sim-line sim-intact sim-${k}`);
  }
  if (chance !== null) hline(svg, sx, sy, -0.5, L - 0.5, chance, "sim-line sim-chance sim-dashed");
  legend(svg);
  return svg;
}

/** Mean accuracy with k random blocks deleted (k = 0: intact), min–max band, chance dashed. */
export function randomChart(res, split) {
  const ks = [0, ...res.ks];
  const K = ks[ks.length - 1];
  const chance = res.chance[split];
  const label = `${split === "test" ? "Test" : "Training"} accuracy with k random blocks deleted, k = 0 to ${K}, `
    + "mean over the draws with its minimum-to-maximum band, plain and residual";
  const { svg, sx, sy } = axes({ title: "Random lesions", label, xLabel: "k random blocks deleted (band: min–max)",
    yLabel: `${split} accuracy`, xDomain: [0, Math.max(K, 1)], yDomain: [0, 1] });
  for (const k of KINDS) {
    const r = res[k].random[split];
    const intact = res[k].intact[split];
    if (intact === null) continue;
    const lo = [intact, ...r.min];
    const hi = [intact, ...r.max];
    const upper = ks.map((kk, i) => `${i ? "L" : "M"}${sx(kk).toFixed(1)},${sy(hi[i]).toFixed(1)}`).join("");
    const lower = ks.map((kk, i) => `L${sx(kk).toFixed(1)},${sy(lo[i]).toFixed(1)}`).reverse().join("");
    svg.append(el("path", { d: `${upper}${lower}Z`, class: `sim-band sim-${k}` }));
  }
  if (chance !== null) hline(svg, sx, sy, 0, Math.max(K, 1), chance, "sim-line sim-chance sim-dashed");
  for (const k of KINDS) {
    const intact = res[k].intact[split];
    if (intact === null) continue;
    const mean = [intact, ...res[k].random[split].mean];
    svg.append(el("path", { d: ks.map((kk, i) => `${i ? "L" : "M"}${sx(kk).toFixed(1)},${sy(mean[i]).toFixed(1)}`).join(""),
      class: `sim-line sim-${k}` }));
    ks.forEach((kk, i) => svg.append(el("circle", { cx: sx(kk).toFixed(1), cy: sy(mean[i]).toFixed(1), r: 3, class: `sim-marker sim-${k}` })));
  }
  legend(svg);
  return svg;
}

export function mount(root) {
  const figure = root.querySelector(".sim-figure");
  const readout = root.querySelector(".sim-readout");
  const chanceCell = root.querySelector('[data-key="chance"]');

  function draw(res) {
    const split = res.chance.test === null ? "train" : "test";
    figure.replaceChildren(...[singleChart(res, split), randomChart(res, split)].map((svg) => h("div", { class: "sim-panel" }, svg)));
    for (const k of KINDS) {
      const row = readout.querySelector(`tr[data-kind="${k}"]`);
      setCell(row.querySelector('[data-key="intact"]'), res[k].intact[split], fmtAcc(res[k].intact[split]));
      setCell(row.querySelector('[data-key="single_median_drop"]'), res[k].single_median_drop[split],
        fmtDrop(res[k].single_median_drop[split]));
      row.querySelector('[data-key="status"]').textContent = res[k].status;
    }
    root.querySelector('[data-key="split"]').textContent = split;
    setCell(chanceCell, res.chance[split], fmtAcc(res.chance[split]));
  }

  const ui = frame(root, CONTROLS, {
    label: "Lesion study settings",
    async run(config, ui) {
      ui.progress(0, 1);
      const res = await ui.task("lesion", config);
      if (ui.stopped) return "Stopped.";
      ui.progress(1, 1);
      draw(res);
      return `Done: ${res.n_blocks} blocks per network, ${res.ks.length} values of k.`;
    },
  });
  return { root, unmount: ui.unmount };
}
