// The learn-the-identity widget: simcore.api's "identity" task (part "learn_identity") fits a
// plain and a residual stack of the same blocks to y = x in the worker. Drawn with charts.js:
// the loss against the step (log scale, the tolerance dashed), and after the fit, per block,
// the RMS of what the branch outputs and the norm of the block's weights. The readout holds
// the steps each kind needed and the losses. Every number comes from the task's result.
// view() also draws the page's static figure at build time (scripts/render.py), from the same
// call made natively (scripts/widgets/identity.py).

import { lineChart, logDomain } from "../charts.js";
import { cell, h, mountOneCall, output, table } from "../widget.js";

const KINDS = ["plain", "residual"];
const CONTROLS = [
  ["identity_blocks", "Blocks"], ["width", "Width"], ["layout", "Block layout"],
  ["activation", "Activation"], ["norm", "Batch norm"], ["zero_init", "Zero-init branches"],
  ["init", "Initialisation"], ["identity_optimizer", "Optimiser"], ["identity_lr", "Learning rate"],
  ["identity_steps", "Step budget"], ["identity_tol", "Tolerance (MSE)"],
  ["identity_points", "Points"], ["seed", "Seed"],
];
const PRIMARY = ["identity_blocks", "layout", "zero_init"];

/** The simcore.api call a run makes, for Copy as Python. */
export function calls(config) {
  return { calls: [["identity", "identity", config]], data: "identity" };
}


export const fmtExp = (v) => (v === null ? "—" : v.toExponential(2));
export const fmtSteps = (r) => (r.steps_to_tol !== null ? String(r.steps_to_tol) : r.status);

function upper(values) {
  const ok = values.filter((v) => v !== null && Number.isFinite(v));
  const m = ok.length ? Math.max(...ok) : 0;
  return m > 0 ? 1.1 * m : 1;
}

/** The three charts of one result. */
export function charts(res) {
  const li = res.learn_identity;
  const cfg = res.config;
  const tol = cfg.identity_tol;
  const last = Math.max(1, ...KINDS.map((k) => li[k].loss.length - 1));
  const loss = lineChart({ title: "MSE to y = x", xLabel: "step", yLabel: "mean squared error", logY: true,
    xDomain: [0, last], yDomain: logDomain([...KINDS.flatMap((k) => li[k].loss), tol]),
    series: [...KINDS.map((k) => ({ name: k, cls: `sim-${k}`, points: li[k].loss.map((v, i) => [i, v]) })),
      { name: "tolerance", cls: "sim-ref", dashed: true, legend: false, points: [[0, tol], [last, tol]] }] });
  loss.setAttribute("aria-label", `Mean squared error to the identity against the step, log scale: plain ${fmtSteps(li.plain)}`
    + `${li.plain.steps_to_tol !== null ? " steps" : ""}, residual ${fmtSteps(li.residual)}${li.residual.steps_to_tol !== null ? " steps" : ""}`
    + ` to reach ${tol} (dashed)`);
  const B = cfg.identity_blocks;
  const perBlock = (key, title, yLabel, label) => {
    const values = KINDS.flatMap((k) => (li[k].blocks || []).map((b) => b[key]));
    const svg = lineChart({ title, xLabel: "block (after the fit)", yLabel, xInteger: true,
      xDomain: [0.5, B + 0.5], yDomain: [0, upper(values)],
      series: KINDS.map((k) => ({ name: k, cls: `sim-${k}`, markers: true,
        points: (li[k].blocks || []).map((b, i) => [i + 1, b[key]]) })) });
    svg.setAttribute("aria-label", `${label}. ${svg.getAttribute("aria-label")}`);  // then lineChart's summary of the data
    return svg;
  };
  return [loss,
    perBlock("branch_rms", "Branch output", "RMS of the branch output",
      "RMS of each block's branch output after the fit, plain and residual: a residual branch must vanish, a plain block carries the whole signal"),
    perBlock("weight_norm", "Block weights", "weight norm ‖W‖",
      "Frobenius norm of each block's weights after the fit, plain and residual")];
}

/** Per stack: steps to the tolerance, the losses, the largest branch RMS, ‖M − I‖. */
function readout(res) {
  const rows = KINDS.map((k) => {
    const r = res.learn_identity[k];
    const rms = (r.blocks || []).map((b) => b.branch_rms).filter((v) => v !== null);
    const top = rms.length ? Math.max(...rms) : null;
    return h("tr", { "data-kind": k }, h("th", { scope: "row", text: k }),
      cell("steps_to_tol", r.steps_to_tol, fmtSteps(r)),
      cell("initial_loss", r.initial_loss, fmtExp(r.initial_loss)),
      cell("final_loss", r.final_loss, fmtExp(r.final_loss)),
      cell("max_branch_rms", top, fmtExp(top)),
      cell("end_to_end_error", r.end_to_end_error, fmtExp(r.end_to_end_error)));
  });
  return table(["stack", "steps to tolerance", "loss at step 0", "final loss", "largest branch RMS",
    "‖M − I‖ (linear stacks)"], rows);
}

/** The three charts and the readout of one identity result. */
export function view(res) {
  return output(charts(res), readout(res));
}

export function mount(root) {
  return mountOneCall(root, CONTROLS, {
    label: "Learn-the-identity settings", primary: PRIMARY, view, calls, task: "identity",
    done(res, config) {
      const li = res.learn_identity;
      return `Done: plain ${fmtSteps(li.plain)}, residual ${fmtSteps(li.residual)} (steps to MSE < ${config.identity_tol}).`;
    },
  });
}
