// The shortcuts widget (He et al. 2016b, Table 1): simcore.api's "shortcuts" task trains the same
// residual net with each kind of shortcut (identity, scaled, exclusive and shortcut-only gates,
// a 1×1 map, dropout), one run per seed, in the worker. Drawn with charts.js: each kind's
// training loss (first seed) and, at initialisation, the gradient ‖∂L/∂x_l‖ at every block
// boundary (log scale); one colour per kind, one legend for both charts. The readout is the
// paper's table: training error per seed and on average, and the mean test error.
// view() also draws the page's static figure at build time (scripts/render.py).

import { lineChart, logDomain } from "../charts.js";
import { cell, h, keyedLines, keyedSeries, lineLegend, mountOneCall, output, percent, table } from "../widget.js";

const KINDS = [
  ["identity", "identity"], ["scaled", "scaled (× 0.5)"], ["exclusive_gate", "exclusive gating"],
  ["shortcut_gate", "shortcut-only gating"], ["conv", "1×1 (dense) shortcut"], ["dropout", "dropout on the shortcut"],
];
const CONTROLS = [
  ["depth", "Depth"], ["shortcut_seeds", "Seeds"], ["epochs", "Epochs"], ["layout", "Block layout"],
  ["width", "Width"], ["norm", "Batch norm"], ["lr", "Learning rate"], ["shortcut_scale", "Scale (scaled)"],
  ["carry_bias", "Gate bias b_g"], ["dataset", "Data set"], ["n", "Points"], ["seed", "First seed"],
];
const PRIMARY = ["depth", "shortcut_seeds", "epochs"];
const LINES = keyedLines(KINDS, "sim-sc-", ["dropout", "conv"]);

/** The simcore.api call a run makes, for Copy as Python. */
export function calls(config) {
  return { calls: [["shortcuts", "shortcuts", config]], data: "shortcuts" };
}

const mean = (xs) => (xs.some((x) => x === null) ? null : xs.reduce((a, b) => a + b, 0) / xs.length);
const seriesOf = (res, points) => keyedSeries(LINES, (k) => points(res.kinds[k]));

function loss(res, config) {
  const all = KINDS.flatMap(([k]) => res.kinds[k].train_loss[0]).filter((v) => v !== null);
  return lineChart({ title: `Training loss (seed ${res.seeds[0]})`, xLabel: "epoch", yLabel: "loss", xDomain: [0, config.epochs],
    yDomain: [0, Math.max(1, ...all.map((v) => Math.min(v, 3)))],
    series: seriesOf(res, (r) => r.train_loss[0].map((v, e) => [e, v])) });
}

function gradient(res) {
  const values = KINDS.flatMap(([k]) => res.kinds[k].grad_x);
  return lineChart({ title: "Gradient at initialisation", xLabel: "block boundary l", yLabel: "‖∂L/∂x_l‖",
    xDomain: [0, res.kinds.identity.grad_x.length - 1], xInteger: true, yDomain: logDomain(values), logY: true,
    series: seriesOf(res, (r) => r.grad_x.map((v, l) => [l, v])) });
}

function readout(res) {
  const rows = KINDS.map(([k, name]) => {
    const r = res.kinds[k];
    const diverged = r.status.filter((s) => s === "diverged").length;
    return h("tr", { "data-kind": k }, h("th", { scope: "row", text: name }),
      ...r.train_error.map((e, i) => cell(`train_error_${i}`, e, percent(e))),
      cell("train_error_mean", mean(r.train_error), percent(mean(r.train_error))),
      cell("test_error_mean", mean(r.test_error), percent(mean(r.test_error))),
      h("td", { "data-key": "status", text: diverged ? `${diverged} diverged` : "done" }));
  });
  return table(["shortcut", ...res.seeds.map((s) => `training error, seed ${s}`), "mean", "mean test error", "status"], rows,
    "Final training error per seed and on average, and the mean test error (He et al. 2016b, Table 1, compared CIFAR-10 test errors)");
}

/** The figure and readout of a shortcuts result. */
export function view(res, config) {
  return output([loss(res, config), gradient(res)], lineLegend(LINES), readout(res));
}

export function mount(root) {
  return mountOneCall(root, CONTROLS, {
    label: "Shortcut settings", primary: PRIMARY, view, calls, task: "shortcuts",
    done(res, config) {
      return `Done: six shortcuts, ${res.seeds.length} seed${res.seeds.length > 1 ? "s" : ""} each.`;
    },
  });
}
