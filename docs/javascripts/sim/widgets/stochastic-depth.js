// The stochastic-depth widget (Huang et al., 2016): simcore.api's "stochastic_depth" task trains
// one residual net twice in the worker, without and with stochastic depth (same data, same first
// weights), then runs the lesion study on both: test accuracy with each block deleted (bars,
// intact accuracy as lines) and with k random blocks deleted (mean over the draws, min–max
// band), beside the training curves. Every number comes from the task's result; the charts are
// ../charts.js's lineChart. view() also draws the page's static figure at build time.

import { lineChart } from "../charts.js";
import { cell, h, mountOneCall, output, percent, points, table } from "../widget.js";

const NETS = [["standard", "standard", "sim-residual"], ["stochastic", "stochastic depth", "sim-sd"]];
const CONTROLS = [
  ["depth", "Depth"], ["sd_survival", "Last block's survival p_L"], ["epochs", "Epochs"],
  ["dataset", "Data set"], ["n", "Points"], ["width", "Width"], ["layout", "Block layout"],
  ["norm", "Batch norm"], ["lr", "Learning rate"], ["sd_draws", "Random draws per k"], ["seed", "Seed"],
];
const PRIMARY = ["depth", "sd_survival", "epochs"];

/** The simcore.api call a run makes, for Copy as Python. */
export function calls(config) {
  return { calls: [["stochastic_depth", "stochastic_depth", config]], data: "stochastic_depth" };
}


function curves(res, config) {
  return lineChart({ title: "Training accuracy", xLabel: "epoch", yLabel: "accuracy", xDomain: [0, config.epochs], yDomain: [0, 1],
    series: NETS.map(([k, name, cls]) => ({ name, cls, dashed: k === "stochastic", points: res[k].history.map((r) => [r.epoch, r.train_acc]) })) });
}

function single(res) {
  const L = res.n_blocks;
  const label = `${res.split} accuracy with one block deleted, per block, without and with stochastic depth; intact: `
    + NETS.map(([k, name]) => `${name} ${percent(res[k].intact)}`).join(", ");
  return lineChart({ title: "One block deleted", label, xLabel: "deleted block (lines: intact)", yLabel: `${res.split} accuracy`,
    xDomain: [-0.5, L - 0.5], yDomain: [0, 1], xInteger: true,
    bars: NETS.map(([k, name, cls]) => ({ name, cls, points: res[k].single.map((v, i) => [i, v]) })),
    hlines: NETS.map(([k, , cls]) => ({ y: res[k].intact, cls: `sim-intact ${cls}` })) });
}

function random(res) {
  const ks = [0, ...res.ks];
  const K = ks[ks.length - 1];
  const label = `${res.split} accuracy with k random blocks deleted, k = 0 to ${K}, mean over the draws with its `
    + "minimum-to-maximum band, without and with stochastic depth";
  const r = (k) => res[k].random;
  return lineChart({ title: "Random lesions", label, xLabel: "k random blocks deleted (band: min–max)", yLabel: `${res.split} accuracy`,
    xDomain: [0, Math.max(K, 1)], yDomain: [0, 1], xInteger: true,
    bands: NETS.map(([k, , cls]) => ({ cls, points: ks.map((kk, i) => (i ? [kk, r(k).min[i - 1], r(k).max[i - 1]] : [kk, res[k].intact, res[k].intact])) })),
    series: NETS.map(([k, name, cls]) => ({ name, cls, markers: true, dashed: k === "stochastic",
      points: ks.map((kk, i) => [kk, i ? r(k).mean[i - 1] : res[k].intact]) })) });
}

function readout(res) {
  const half = Math.max(1, Math.floor(res.n_blocks / 2));
  const rows = NETS.map(([k, name]) => h("tr", { "data-kind": k }, h("th", { scope: "row", text: name }),
    cell("intact", res[k].intact, percent(res[k].intact)),
    cell("single_median_drop", res[k].single_median_drop, points(res[k].single_median_drop)),
    cell("half_deleted", res[k].random.mean[half - 1], percent(res[k].random.mean[half - 1])),
    h("td", { "data-key": "status", text: res[k].final.status })));
  return table(["network", "intact accuracy", "median drop, one block deleted", `mean, ${half} blocks deleted`, "status"], rows);
}

/** The figure and readout of a stochastic_depth result. */
export function view(res, config) {
  return output([curves(res, config), single(res), random(res)], readout(res));
}

export function mount(root) {
  return mountOneCall(root, CONTROLS, {
    label: "Stochastic depth settings", primary: PRIMARY, view, calls, task: "stochastic_depth",
    done(res, config) {
      return `Done: trained twice and lesioned on the ${res.split} split, ${res.n_blocks} blocks.`;
    },
  });
}
