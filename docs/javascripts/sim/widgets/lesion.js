// The lesion widget (Veit et al., 2016): train a plain and a residual net with simcore.api's
// "lesion" task in the worker, then show the test accuracy with each block deleted (bars per
// block, intact accuracy as solid lines, chance dashed) and with k random blocks deleted (mean
// over the draws, min–max band). Every number comes from the task's result; this file only
// chooses what to draw: both charts are ../charts.js's lineChart (bars, hlines, bands).
// view() also draws the page's static figure at build time (scripts/render.py).

import { lineChart } from "../charts.js";
import { cell, h, mountOneCall, output, percent, points, table } from "../widget.js";

const KINDS = ["plain", "residual"];
const CONTROLS = [
  ["dataset", "Data set"], ["depth", "Depth"], ["width", "Width"], ["layout", "Block layout"],
  ["norm", "Batch norm"], ["lr", "Learning rate"], ["epochs", "Epochs"],
  ["lesion_max_k", "Most blocks deleted (0: all)"], ["lesion_draws", "Random draws per k"],
  ["seed", "Seed"],
];

const PRIMARY = ["depth", "layout", "norm"];

/** The simcore.api call a run makes, for Copy as Python. */
export function calls(config) {
  return { calls: [["lesion", "lesion", config]], data: "lesion" };
}

const chanceLine = (chance) => ({ y: chance, cls: "sim-chance", dashed: true });

/** Accuracy with each block deleted: grouped bars, intact lines, chance dashed. */
export function singleChart(res, split) {
  const L = res.n_blocks;
  const chance = res.chance[split];
  const label = `${split === "test" ? "Test" : "Training"} accuracy with one block deleted, per block, plain and residual; `
    + `intact: plain ${percent(res.plain.intact[split])}, residual ${percent(res.residual.intact[split])}; chance ${percent(chance)}`;
  return lineChart({
    title: "One block deleted", label, xLabel: "deleted block (lines: intact, dashed: chance)", yLabel: `${split} accuracy`,
    xDomain: [-0.5, L - 0.5], yDomain: [0, 1], xInteger: true,
    bars: KINDS.map((k) => ({ name: k, cls: `sim-${k}`, points: res[k].single[split].map((v, i) => [i, v]) })),
    hlines: [...KINDS.map((k) => ({ y: res[k].intact[split], cls: `sim-intact sim-${k}` })), chanceLine(chance)],
  });
}

/** Mean accuracy with k random blocks deleted (k = 0: intact), min–max band, chance dashed. */
export function randomChart(res, split) {
  const ks = [0, ...res.ks];
  const K = ks[ks.length - 1];
  const label = `${split === "test" ? "Test" : "Training"} accuracy with k random blocks deleted, k = 0 to ${K}, `
    + "mean over the draws with its minimum-to-maximum band, plain and residual";
  const kinds = KINDS.filter((k) => res[k].intact[split] !== null);
  const r = (k) => res[k].random[split];
  const intact = (k) => res[k].intact[split];
  return lineChart({
    title: "Random lesions", label, xLabel: "k random blocks deleted (band: min–max)", yLabel: `${split} accuracy`,
    xDomain: [0, Math.max(K, 1)], yDomain: [0, 1], xInteger: true,
    bands: kinds.map((k) => ({ cls: `sim-${k}`,
      points: ks.map((kk, i) => (i ? [kk, r(k).min[i - 1], r(k).max[i - 1]] : [kk, intact(k), intact(k)])) })),
    hlines: [chanceLine(res.chance[split])],
    series: kinds.map((k) => ({ name: k, cls: `sim-${k}`, markers: true, points: ks.map((kk, i) => [kk, i ? r(k).mean[i - 1] : intact(k)]) })),
  });
}

function readout(res, split) {
  const rows = KINDS.map((k) => h("tr", { "data-kind": k }, h("th", { scope: "row", text: k }),
    cell("intact", res[k].intact[split], percent(res[k].intact[split])),
    cell("single_median_drop", res[k].single_median_drop[split], points(res[k].single_median_drop[split])),
    h("td", { "data-key": "status", text: res[k].status })));
  return table(["network", "intact accuracy", "median drop, one block deleted", "status"], rows);
}

/** Both charts and the readout of a lesion result (on the test split, or the training split
 * when the data set has no test split). */
export function view(res) {
  const split = res.chance.test === null ? "train" : "test";
  const note = h("p", { class: "sim-note" }, "Accuracies on the ", h("span", { "data-key": "split", text: split }),
    " split; chance (the largest class share): ", cell("chance", res.chance[split], percent(res.chance[split]), "span"), ".");
  return output([singleChart(res, split), randomChart(res, split)], readout(res, split), note);
}

export function mount(root) {
  return mountOneCall(root, CONTROLS, {
    label: "Lesion study settings", primary: PRIMARY, view, calls, task: "lesion",
    done(res, config) {
      return `Done: ${res.n_blocks} blocks per network, ${res.ks.length} values of k.`;
    },
  });
}
