// The convergence widget: epochs to reach a target training accuracy vs depth, plain vs
// residual, filled in depth by depth: one simcore.api convergence call per depth
// (depths: [d]), Stop checked between calls. A run that never reaches the target is a hollow
// marker in the band above the epoch budget ("not reached"), never a number. Both charts are
// ../charts.js's lineChart (hlines, hollow, yNotes).
// Shared contract and controls: ../widget.js. view() also draws the page's static figure at
// build time (scripts/render.py), from the same per-depth calls made natively
// (scripts/widgets/convergence.py). data-depths-done on the root counts the depths drawn.

import { lineChart, niceTicks } from "../charts.js";
import { depthReadout, frame, output } from "../widget.js";

const KINDS = ["plain", "residual"];
const CONTROLS = [
  ["dataset", "Data set"], ["n", "Points"], ["depths", "Depths"], ["width", "Width"],
  ["layout", "Block layout"], ["norm", "Batch norm"], ["lr", "Learning rate"],
  ["epochs", "Epochs (budget)"], ["convergence_target_acc", "Target accuracy"], ["seed", "Seed"],
];

const PRIMARY = ["depths", "norm", "lr"];

/** The simcore.api calls a run makes (one per depth), for Copy as Python. */
export function calls(config) {
  return { calls: config.depths.map((d) => [`depth_${d}`, "convergence", { ...config, depths: [d] }]),
    data: `{"results": [${config.depths.map((d) => `depth_${d}`).join(", ")}]}` };
}

/** Top of the y axis: room for the "not reached" band, and no tick above the budget. */
function yTop(epochs) {
  const e = Math.max(epochs, 1);
  for (let k = 25; k <= 60; k += 5) {
    const top = e + e * k / 100;
    if (!niceTicks(0, top, 4).some((t) => t > e * (1 + 1e-9))) return top;
  }
  return e * 1.25;
}

const xDomainOf = (depths) => (depths.length > 1 ? [depths[0], depths[depths.length - 1]] : [depths[0] - 1, depths[0] + 1]);

const fmtPct = (v) => String(+(100 * v).toPrecision(6));  // as Python's f"{100 * v:g}"

export function chart(config, results) {
  const { depths, epochs } = config;
  const top = yTop(epochs);
  const band = (Math.max(epochs, 1) + top) / 2;
  const hollow = [];
  for (const r of results) {
    KINDS.forEach((k, i) => {
      if (r[k].epochs_to_target[0] !== null) return;
      hollow.push({ x: r.depths[0], y: band, dx: i === 0 ? -4 : 4, cls: `sim-unreached sim-${k}`,
        title: `${k}, depth ${r.depths[0]}: ${r[k].status[0]}` });
    });
  }
  return lineChart({
    title: `Epochs to ${fmtPct(config.convergence_target_acc)} %`, xLabel: "depth (layers)", yLabel: "epochs to target",
    xDomain: xDomainOf(depths), yDomain: [0, top],
    series: KINDS.map((k) => ({ name: k, cls: `sim-${k}`, markers: true, points: results.map((r) => [r.depths[0], r[k].epochs_to_target[0]]) })),
    hlines: [{ y: epochs, cls: "sim-budget" }], hollow, yNotes: [{ y: band, lines: ["not", "reached"] }],
  });
}

export function curvesChart(config, results) {
  const r = results[results.length - 1];
  return lineChart({
    title: `Curves, depth ${r.depths[0]}`, xLabel: "epoch", yLabel: "training accuracy",
    xDomain: [0, Math.max(config.epochs, 1)], yDomain: [0, 1],
    series: KINDS.map((k) => ({ name: k, cls: `sim-${k}`, points: r[k].train_acc[0].map((v, e) => [e, v]) })),
    hlines: [{ y: config.convergence_target_acc, cls: "sim-budget" }],
  });
}

/** Epochs to target per depth and network (the status when not reached); "…" for the depths
 * not computed yet. */
function readout(config, results) {
  return depthReadout(config, results, KINDS, (r, k) => {
    const e = r[k].epochs_to_target[0];
    return { value: e, text: e === null ? r[k].status[0] : String(e), status: r[k].status[0] };
  }, `Epochs to ${fmtPct(config.convergence_target_acc)} % training accuracy (at most ${config.epochs})`);
}

/** Both charts and the readout of the per-depth results done so far ({results: [...]}, at
 * least one, in the order of config.depths). */
export function view(data, config) {
  return output([chart(config, data.results), curvesChart(config, data.results)], readout(config, data.results));
}

export function mount(root) {
  let results = [];

  const ui = frame(root, CONTROLS, {
    label: "Convergence settings",
    primary: PRIMARY, view, calls,
    stoppedMessage: () => `Stopped after ${results.length} ${results.length === 1 ? "depth" : "depths"}.`,
    async run(config, ui) {
      await ui.begin();  // "running" from the first call on, not after it
      if (ui.stopped) return "";
      results = [];
      root.querySelector(".sim-readout").replaceWith(readout(config, results));  // all "…"
      ui.progress(0, config.depths.length);
      for (const [i, d] of config.depths.entries()) {
        const result = await ui.task("convergence", { ...config, depths: [d] });
        if (ui.stopped) return "";
        results.push(result);
        ui.draw({ results: [...results] }, config);
        root.dataset.depthsDone = String(results.length);
        ui.progress(i + 1, config.depths.length);
        if (i + 1 < config.depths.length) ui.status.textContent = `Depth ${d} done (${i + 1} of ${config.depths.length})…`;
      }
      return `Done: ${config.depths.length} ${config.depths.length === 1 ? "depth" : "depths"}, plain and residual.`;
    },
  });
  return { root, unmount: ui.unmount };
}
