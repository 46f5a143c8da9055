// The normalisation-free widget: simcore.api's "normfree" task trains, at one depth, a plain and
// a residual net without batch norm, the residual net with batch norm, and the residual net
// without it under SkipInit/ReZero (a learned α per branch, from 0) and under Fixup's
// initialisation. Drawn with charts.js: the training loss and accuracy per epoch, and at
// initialisation the signal (RMS of x_l) and the gradient ‖∂L/∂x_l‖ at every block boundary
// (log scale); one colour per network, with one legend for all four charts. The readout holds
// each network's final numbers and its signal and gradient at the ends of the stack.
// view() also draws the page's static figure at build time (scripts/render.py).

import { lineChart, logDomain } from "../charts.js";
import { cell, h, keyedLines, keyedSeries, lineLegend, mountOneCall, output, percent, table } from "../widget.js";

const NETS = [
  ["plain", "plain, no BN"], ["residual", "residual, no BN"], ["batchnorm", "residual + BN"],
  ["skipinit", "SkipInit/ReZero"], ["fixup", "Fixup"],
];
const CONTROLS = [
  ["depth", "Depth"], ["layout", "Block layout"], ["lr", "Learning rate"], ["width", "Width"],
  ["optimizer", "Optimiser"], ["epochs", "Epochs"], ["dataset", "Data set"], ["n", "Points"],
  ["batch_size", "Batch size"], ["seed", "Seed"],
];
const PRIMARY = ["depth", "layout", "lr"];
const LINES = keyedLines(NETS, "sim-nf-", ["skipinit", "fixup"]);

/** The simcore.api call a run makes, for Copy as Python. */
export function calls(config) {
  return { calls: [["normfree", "normfree", config]], data: "normfree" };
}

const fmtExp = (v) => (v === null || v === undefined || !Number.isFinite(v) ? "—" : v.toExponential(2));
const seriesOf = (res, points) => keyedSeries(LINES, (k) => points(res.variants[k]));

function curves(res, config) {
  const losses = NETS.flatMap(([k]) => res.variants[k].history.map((r) => r.train_loss)).filter((v) => v !== null);
  const yMax = Math.max(1, ...losses.map((v) => Math.min(v, 3)));
  return [
    lineChart({ title: "Training loss", xLabel: "epoch", yLabel: "loss", xDomain: [0, config.epochs], yDomain: [0, yMax],
      series: seriesOf(res, (v) => v.history.map((r) => [r.epoch, r.train_loss])) }),
    lineChart({ title: "Training accuracy", xLabel: "epoch", yLabel: "accuracy", xDomain: [0, config.epochs], yDomain: [0, 1],
      series: seriesOf(res, (v) => v.history.map((r) => [r.epoch, r.train_acc])) }),
  ];
}

function atInit(res, key, title, yLabel) {
  const values = NETS.flatMap(([k]) => res.variants[k].init[key]);
  const blocks = res.variants.plain.init[key].length - 1;
  return lineChart({ title, xLabel: "block boundary l", yLabel, xDomain: [0, blocks], xInteger: true,
    yDomain: logDomain(values), logY: true,
    series: seriesOf(res, (v) => v.init[key].map((y, l) => [l, y])) });
}

function readout(res) {
  const rows = NETS.map(([k, name]) => {
    const v = res.variants[k];
    const f = v.final;
    const signal = v.init.signal;
    const grad = v.init.grad_x;
    return h("tr", { "data-kind": k }, h("th", { scope: "row", text: name }),
      cell("train_acc", f.train_acc, percent(f.train_acc)), cell("test_acc", f.test_acc, percent(f.test_acc)),
      h("td", { "data-key": "status", text: f.status }),
      cell("signal_last", signal[signal.length - 1], fmtExp(signal[signal.length - 1])),
      cell("grad_first", grad[0], fmtExp(grad[0])));
  });
  return table(["network", "training accuracy", "test accuracy", "status", "signal at the last block (init)", "‖∂L/∂x₀‖ (init)"],
    rows, "Final numbers, and at initialisation the signal's RMS after the last block and the gradient at the first");
}

/** The figure and readout of a normfree result. */
export function view(res, config) {
  return output([...curves(res, config),
    atInit(res, "signal", "Signal at initialisation", "RMS of x_l"),
    atInit(res, "grad_x", "Gradient at initialisation", "‖∂L/∂x_l‖")], lineLegend(LINES),
  h("p", { class: "sim-note", text: "A line missing from a log-scale chart has no positive value to draw: Fixup's "
    + "gradient below its zero classifier is exactly zero at initialisation (its first step trains the classifier alone)." }),
  readout(res));
}

export function mount(root) {
  return mountOneCall(root, CONTROLS, {
    label: "Normalisation-free settings", primary: PRIMARY, view, calls, task: "normfree",
    done(res, config) {
      const diverged = NETS.filter(([k]) => res.variants[k].final.status === "diverged").map(([, name]) => name);
      return `Done: five networks of depth ${config.depth}${diverged.length ? `; diverged: ${diverged.join(", ")}` : ""}.`;
    },
  });
}
