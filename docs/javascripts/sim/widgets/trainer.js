// The trainer widget: plain and residual networks trained side by side in the reader's
// browser by simcore (through the worker), curves drawn as epochs arrive.
// Shared contract and controls: ../widget.js. While a run draws, data-records counts the
// epoch records drawn so far (both networks).

import * as bridge from "../bridge.js";
import { boundaryChart, lineChart, updateBoundary } from "../charts.js";
import { cell, fixed, frame, h, output, panel, percent, table } from "../widget.js";

const KINDS = ["plain", "residual"];
const CONTROLS = [
  ["dataset", "Data set"], ["depth", "Depth"], ["width", "Width"], ["layout", "Block layout"],
  ["activation", "Activation"], ["init", "Initialisation"], ["norm", "Batch norm"],
  ["optimizer", "Optimiser"], ["lr", "Learning rate"], ["batch_size", "Batch size"],
  ["epochs", "Epochs"], ["seed", "Seed"],
];

const PRIMARY = ["dataset", "depth", "norm", "lr"];

/** The simcore.api calls a run makes (two streams of "train"), for Copy as Python. */
export function calls(config) {
  return { calls: KINDS.map((k) => [k, "train", { ...config, kind: k }]),
    data: '{"plain": plain["history"], "residual": residual["history"]}' };
}

const fmtLoss = (v) => (v === null ? "—" : fixed(v, 4));

export function lossChart(histories, config) {
  const losses = KINDS.flatMap((k) => histories[k].map((r) => r.train_loss)).filter((v) => v !== null);
  const yMax = Math.max(1, ...losses.map((v) => Math.min(v, 5)));
  return lineChart({ title: "Training loss", xLabel: "epoch", yLabel: "loss", xDomain: [0, config.epochs], yDomain: [0, yMax],
    series: KINDS.map((k) => ({ name: k, cls: `sim-${k}`, points: histories[k].map((r) => [r.epoch, r.train_loss]) })) });
}

export function accuracyChart(histories, config) {
  return lineChart({ title: "Training accuracy", xLabel: "epoch", yLabel: "accuracy", xDomain: [0, config.epochs], yDomain: [0, 1],
    series: KINDS.map((k) => ({ name: k, cls: `sim-${k}`, points: histories[k].map((r) => [r.epoch, r.train_acc]) })) });
}

/** The network's latest decision boundary, or null before its first record with one. */
export function boundaryOf(histories, k) {
  const last = histories[k][histories[k].length - 1];
  const data = histories[k][0] && histories[k][0].data;
  return last && last.boundary && data
    ? boundaryChart({ title: `Decision boundary, ${k}`, boundary: last.boundary, data }) : null;
}

/** Each network's last record: epoch, loss, accuracies (value in data-value) and status; after
 * a Stop (stopped), a network that was still training says "stopped", not its record's "running". */
export function readout(histories, stopped = false) {
  const cells = [["epoch", String], ["train_loss", fmtLoss], ["train_acc", percent], ["test_acc", percent]];
  return table(["network", "epochs", "training loss", "training accuracy", "test accuracy", "status"],
    KINDS.filter((k) => histories[k].length).map((k) => {
      const last = histories[k][histories[k].length - 1];
      return h("tr", { "data-kind": k }, h("th", { scope: "row", text: k }),
        ...cells.map(([key, fmt]) => cell(key, last[key], fmt(last[key]))),
        h("td", { "data-key": "status", text: stopped && last.status === "running" ? "stopped" : last.status }));
    }));
}

/** The figure and readout of both networks' histories ({plain: [records], residual: [...]});
 * stopped: the run was stopped (see readout). */
export function view(histories, config, stopped = false) {
  const charts = [lossChart(histories, config), accuracyChart(histories, config),
    ...KINDS.map((k) => boundaryOf(histories, k)).filter(Boolean)];
  return output(charts, readout(histories, stopped));
}

/** "Stopped after epoch n." of the epochs both networks reached (histories: by kind, or null). */
export function stoppedAfter(histories) {
  const n = histories ? Math.min(histories.plain.length, histories.residual.length) - 1 : -1;
  return n >= 0 ? `Stopped after epoch ${n}.` : "Stopped.";
}

/** Train both networks of config side by side (a "train" stream each): every record goes into
 * histories[kind] as it arrives, then onRecords() runs; resolves to the streams' outcomes
 * (ui.stopped set when one did not finish). configs[kind], when given, is that network's config
 * in place of {...config, kind}; options go to bridge.stream (e.g. paused). */
export async function trainBoth(root, config, ui, histories, onRecords, { configs = null, ...options } = {}) {
  const total = 2 * (config.epochs + 1);
  ui.handles = KINDS.map((kind) => bridge.stream(configs ? configs[kind] : { ...config, kind }, {
    ...options,
    onProgress: ui.onProgress,
    onEpochs: (records) => {
      if (root.dataset.state === "loading") ui.setState("running", "Training…");
      histories[kind].push(...records);
      ui.progress(histories.plain.length + histories.residual.length, total);
      onRecords();
    },
  }));
  const outcomes = await Promise.all(ui.handles.map((x) => x.done));
  if (outcomes.some((o) => o !== "done")) ui.stopped = true;
  return outcomes;
}

/** The status line once both streams ended: a loss that blew up (or became NaN) ends that
 * network's run, so say so, not "Done". */
export function finished(histories, config) {
  const diverged = KINDS.map((k) => [k, histories[k][histories[k].length - 1]])
    .filter(([, last]) => last && last.status === "diverged")
    .map(([k, last]) => `the ${k} network at epoch ${last.epoch}`);
  if (diverged.length) {
    return `Diverged: ${diverged.join(" and ")} (the loss became NaN or grew without bound, so training stopped there); try a smaller learning rate.`;
  }
  return `Done: ${config.epochs} epochs each.`;
}

export function mount(root) {
  let histories = null;
  let boundaries = {};  // kind -> its boundary chart, kept for the run: only its cells change
  let pending = null;   // the animation frame a redraw waits for: records arriving in between
                        // are drawn together, so the page does one redraw per frame at most

  let current = null;  // the run's config
  let wholeAt = 0;     // how many records the whole figure was last drawn with

  // The whole figure, as the build draws it, from every record received: when the run ends,
  // and at once at Stop (records arriving later are dropped, so these are the run's last, and
  // the figure says the epoch the status line says from the moment it says it).
  function drawWhole() {
    if (pending !== null) { cancelAnimationFrame(pending); pending = null; }
    const n = histories ? histories.plain.length + histories.residual.length : 0;
    if (!n || n === wholeAt) return;
    ui.draw(histories, current, view(histories, current, ui.stopped));
    root.dataset.records = String(n);
    wholeAt = n;
  }

  function schedule(config) {
    // the static figure stays until both networks have a record: one layout change, not two
    if (!histories.plain.length || !histories.residual.length) return;
    if (pending === null) pending = requestAnimationFrame(() => { pending = null; draw(config); });
  }

  // While records arrive, the static figure gives way one chart per animation frame: a new
  // decision-boundary chart (its cells and points) is built in a frame of its own, so no
  // frame does all four charts' building and layout at once; after the last record, view()
  // draws the whole figure, as the build drew it.
  function draw(config) {
    const figure = root.querySelector(".sim-figure");
    const panels = [lossChart(histories, config), accuracyChart(histories, config)];
    const holders = [...figure.children];
    let built = false;
    let deferred = false;
    for (const k of KINDS) {
      const last = histories[k][histories[k].length - 1];
      if (!last || !last.boundary) continue;
      const keep = holders[panels.length] && holders[panels.length].firstChild;
      if (boundaries[k]) updateBoundary(boundaries[k], last.boundary);
      else if (built && keep) { deferred = true; panels.push(keep); continue; }
      else if ((boundaries[k] = boundaryOf(histories, k))) built = true;
      else continue;
      panels.push(boundaries[k]);
    }
    if (holders.length === panels.length) {  // same layout: swap the charts in place
      panels.forEach((svg, i) => { if (holders[i].firstChild !== svg) holders[i].replaceChildren(svg); });
    } else {
      figure.replaceChildren(...panels.map(panel));
    }
    if (deferred) schedule(config);  // the next frame builds the next boundary chart
    root.querySelector(".sim-readout").replaceWith(readout(histories));
    root.dataset.records = String(histories.plain.length + histories.residual.length);
  }

  const ui = frame(root, CONTROLS, {
    label: "Training settings",
    primary: PRIMARY, view, calls,
    actions: ["pause"],
    onStop: drawWhole,
    stoppedMessage: () => stoppedAfter(histories),
    async run(config, ui) {
      const mine = { plain: [], residual: [] };
      histories = mine;
      boundaries = {};
      current = config;
      wholeAt = 0;
      if (pending !== null) { cancelAnimationFrame(pending); pending = null; }
      root.dataset.records = "0";
      await trainBoth(root, config, ui, histories, () => schedule(config));
      if (histories === mine) drawWhole();  // (a run started after Stop draws its own)
      return finished(histories, config);
    },
  });
  return { root, unmount: ui.unmount };
}
