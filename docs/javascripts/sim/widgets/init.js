// The initialisation widget: simcore.api's "identity" task (part "init") builds a plain and a
// residual net (ReLU, no normalisation) with Xavier and with He initialisation in the worker,
// records one forward and backward pass at initialisation, and trains each for a few epochs.
// Drawn with charts.js as small multiples, plain left and residual right: the RMS of the
// signal entering each weight layer, the gradient norm ‖∂L/∂W‖ per layer (both log scale),
// and the training loss per epoch; Xavier and He in two colours. The readout holds the factor
// per layer, the signal and gradient at both ends, the loss drop and whether training starts.
// view() also draws the page's static figure at build time (scripts/render.py).

import { lineChart, logDomain } from "../charts.js";
import { cell, fixed, h, mountOneCall, output, percent, table } from "../widget.js";

const KINDS = ["plain", "residual"];
const INITS = [["xavier_normal", "Xavier", "sim-xavier"], ["he_normal", "He", "sim-he"]];
const CONTROLS = [
  ["dataset", "Data set"], ["n", "Points"], ["depth", "Depth"], ["width", "Width"],
  ["layout", "Block layout"], ["optimizer", "Optimiser"], ["lr", "Learning rate"],
  ["epochs", "Epochs"], ["batch_size", "Batch size"],
  ["identity_min_drop", "Start threshold (loss drop)"], ["seed", "Seed"],
];
const PRIMARY = ["depth", "layout", "lr"];

/** The simcore.api call a run makes, for Copy as Python. */
export function calls(config) {
  return { calls: [["identity", "identity", config]], data: "identity" };
}

const NAME = { plain: "Plain", residual: "Residual" };

export const fmtExp = (v) => (v === null ? "—" : v.toExponential(2));
export const fmtFactor = (v) => (v === null ? "—" : fixed(v, 3));
export const fmtStarts = (r) => (r.started ? "yes" : r.status === "diverged" ? "no (diverged)" : "no");

/** The six charts of one result: signal, gradient and loss rows; plain and residual columns. */
export function charts(res) {
  const out = [];
  const r = res.init;
  const depth = res.config.depth;
  const layers = (kind, key) => INITS.map(([init, name, cls]) => ({ name, cls,
    points: r[kind][init].profile[key].map((v, i) => [i + 1, v]) }));
  for (const [key, title, yLabel, what] of [
    ["signal", "signal", "RMS of the layer input", "RMS of the signal entering each weight layer"],
    ["grad_w", "gradient", "‖∂L/∂W‖", "Norm of the loss gradient of each weight layer"]]) {
    const all = KINDS.flatMap((k) => INITS.flatMap(([init]) => r[k][init].profile[key]));
    for (const kind of KINDS) {
      const svg = lineChart({ title: `${NAME[kind]}: ${title}`, xLabel: "weight layer, at initialisation", yLabel,
        logY: true, xInteger: true, xDomain: [1, depth], yDomain: logDomain(all), series: layers(kind, key) });
      svg.setAttribute("aria-label", `${what} of the ${kind} net at initialisation, log scale, Xavier and He: factor per layer `
        + `${fmtFactor(r[kind].xavier_normal.ratio)} (Xavier) and ${fmtFactor(r[kind].he_normal.ratio)} (He)`);
      out.push(svg);
    }
  }
  const epochs = res.config.epochs;
  const losses = KINDS.flatMap((k) => INITS.flatMap(([init]) => r[k][init].curve));
  for (const kind of KINDS) {
    const svg = lineChart({ title: `${NAME[kind]}: training`, xLabel: "epoch", yLabel: "training loss",
      logY: true, xInteger: true, xDomain: [0, Math.max(epochs, 1)], yDomain: logDomain(losses),
      series: INITS.map(([init, name, cls]) => ({ name, cls, markers: epochs <= 20,
        points: r[kind][init].curve.map((v, i) => [i, v]) })) });
    svg.setAttribute("aria-label", `Training loss per epoch of the ${kind} net, Xavier and He: training starts `
      + `${fmtStarts(r[kind].xavier_normal)} (Xavier), ${fmtStarts(r[kind].he_normal)} (He). ${svg.getAttribute("aria-label")}`);
    out.push(svg);
  }
  return out;
}

/** Each net and initialisation: the factor per layer, both ends of the signal and the gradient,
 * the loss drop and whether training starts (value in data-value). */
function readout(res) {
  const rows = KINDS.flatMap((kind) => INITS.map(([init, name]) => {
    const r = res.init[kind][init];
    const p = r.profile;
    const last = (a) => a[a.length - 1];
    return h("tr", { "data-kind": `${kind}.${init}`, class: `sim-row-${kind}` },
      h("th", { scope: "row", text: `${kind}, ${name}` }),
      cell("ratio", r.ratio, fmtFactor(r.ratio)),
      cell("signal_in", p.signal[1], fmtExp(p.signal[1])),
      cell("signal_out", last(p.signal), fmtExp(last(p.signal))),
      cell("grad_first", p.grad_w[0], fmtExp(p.grad_w[0])),
      cell("grad_last", last(p.grad_w), fmtExp(last(p.grad_w))),
      cell("drop", r.drop, percent(r.drop)),
      cell("started", r.started, fmtStarts(r)));
  }));
  return table(["net, init", "factor per layer", "signal, layer 2", "signal, last layer",
    "‖∂L/∂W‖, first layer", "‖∂L/∂W‖, last layer", "loss drop", "training starts"], rows);
}

/** The six charts, the readout and the theory's factor per layer of an identity result (part init). */
export function view(res) {
  const expected = (init) => cell(`expected.${init}`, res.init.expected_ratio[init], fmtFactor(res.init.expected_ratio[init]), "span");
  const note = h("p", { class: "sim-note" }, "Factor per layer: the geometric mean by which the signal's RMS "
    + "changes from one square layer to the next. Theory for a plain ReLU net: ", expected("xavier_normal"),
    " under Xavier, ", expected("he_normal"), " under He.");
  return output(charts(res), readout(res), note);
}

export function mount(root) {
  return mountOneCall(root, CONTROLS, {
    label: "Initialisation settings", primary: PRIMARY, view, calls, task: "identity",
    done(res, config) {
      const started = KINDS.flatMap((k) => INITS.filter(([init]) => res.init[k][init].started).map(([, name]) => `${k} ${name}`));
      return `Done: four nets of depth ${config.depth}; training started for ${started.length ? started.join(", ") : "none"}.`;
    },
  });
}
