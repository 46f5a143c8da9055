// The playground: a plain and a residual network with the same layers and initial weights,
// trained side by side in the reader's browser by simcore (through the worker), each drawn as
// its architecture with every weight layer coloured by its gradient norm at the epoch shown
// (‖∂L/∂W‖, the mean over the epoch's steps; one log scale for both networks, so colours
// compare), beside the decision boundaries and the loss and accuracy curves on shared axes.
// Every number comes from simcore.api: the plans from "plan", the records from "train"
// streams. view() also draws the page's static figure at build time (scripts/render.py).
// Shared contract and controls: ../widget.js; the charts are the trainer's and the diagram
// the architecture widget's.

import { logDomain, sequential } from "../charts.js";
import { frame, h, output } from "../widget.js";
import { draw as diagram } from "./architecture.js";
import { accuracyChart, boundaryOf, finished, lossChart, readout, stoppedAfter, trainBoth } from "./trainer.js";

const KINDS = ["plain", "residual"];
const CONTROLS = [
  ["dataset", "Data set"], ["depth", "Depth"], ["lr", "Learning rate"], ["width", "Width"],
  ["layout", "Block layout"], ["norm", "Batch norm"], ["activation", "Activation"],
  ["init", "Initialisation"], ["optimizer", "Optimiser"], ["batch_size", "Batch size"],
  ["epochs", "Epochs"], ["noise", "Noise"], ["seed", "Seed"],
];
const PRIMARY = ["dataset", "depth", "lr"];
const fmtE = (v) => (v === null || v === undefined || !Number.isFinite(v) ? "—" : v.toExponential(1));

/** The fields of config that define the networks (the plan task's fields). */
const arch = (config, taskDefaults) => Object.fromEntries(Object.entries(config).filter(([k]) => k in taskDefaults.plan));

/** The simcore.api calls a run makes (the plans, then a "train" stream per network). */
export function calls(config, taskDefaults) {
  return { calls: [["plan", "plan", arch(config, taskDefaults)], ...KINDS.map((k) => [k, "train", { ...config, kind: k }])],
    data: '{"plain": plain["history"], "residual": residual["history"], "plans": plan["plans"]}' };
}

/** One log colour scale for both networks' layer gradients over every epoch recorded. */
function scale(data) {
  const all = KINDS.flatMap((k) => data[k].flatMap((r) => r.grad_norms || []));
  const [lo, hi] = logDomain(all);
  const t = (v) => (Math.log10(v) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo));
  return { lo, hi, colour: (v) => (v !== null && Number.isFinite(v) && v > 0 ? sequential(t(v)) : "none") };
}

function legend({ lo, hi, colour }) {
  const steps = 9;
  const swatches = Array.from({ length: steps }, (_, i) => {
    const v = 10 ** (Math.log10(lo) + (i / (steps - 1)) * (Math.log10(hi) - Math.log10(lo)));
    return h("span", { class: "sim-swatch", style: `background: ${colour(v)}`, title: fmtE(v) });
  });
  return h("p", { class: "sim-note sim-colour-legend" }, "Layer colour: ‖∂L/∂W‖ of the epoch shown, log scale, ",
    h("span", { "data-key": "grad_lo", text: fmtE(lo) }), " ", ...swatches, " ", h("span", { "data-key": "grad_hi", text: fmtE(hi) }),
    " (the same scale for both networks).");
}

/** The figure and readouts of both networks' records ({plain, residual, plans}) at their last
 * epoch: the two architectures coloured by gradient, the boundaries, the shared curves. */
export function view(data, config) {
  const s = scale(data);
  const last = (k) => data[k][data[k].length - 1];
  const first = data.plans.plain.blocks[0];
  const k = first.last - first.first + 1;
  const paint = (kind, i) => {
    const v = last(kind) && last(kind).grad_norms ? last(kind).grad_norms[i] : null;
    return { fill: s.colour(v), note: `‖∂L/∂W‖ = ${fmtE(v)} at epoch ${last(kind) ? last(kind).epoch : "—"}` };
  };
  const charts = [diagram(data.plans, config, k, paint), lossChart(data, config), accuracyChart(data, config),
    ...KINDS.map((kind) => boundaryOf(data, kind)).filter(Boolean)];
  return output(charts, legend(s), readout(data));
}

export function mount(root) {
  let data = null;
  let pending = null;  // one redraw per animation frame at most

  function schedule(config, ui) {
    if (!data.plain.length || !data.residual.length) return;
    if (pending === null) pending = requestAnimationFrame(() => { pending = null; ui.draw(data, config); });
  }

  const ui = frame(root, CONTROLS, {
    label: "Playground settings",
    actions: ["pause"],
    primary: PRIMARY, view, calls,
    stoppedMessage: () => stoppedAfter(data),
    async run(config, ui) {
      if (pending !== null) { cancelAnimationFrame(pending); pending = null; }
      const taskDefaults = JSON.parse(root.dataset.taskDefaults);
      const plans = (await ui.task("plan", arch(config, taskDefaults))).plans;
      if (ui.stopped) return "Stopped.";
      data = { plain: [], residual: [], plans };
      await trainBoth(root, config, ui, data, () => schedule(config, ui));
      if (pending !== null) { cancelAnimationFrame(pending); pending = null; }
      if (data.plain.length && data.residual.length) ui.draw(data, config);
      return finished(data, config);
    },
  });
  return { root, unmount: ui.unmount };
}
