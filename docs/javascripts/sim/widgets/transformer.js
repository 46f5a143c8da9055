// The Transformer widget: simcore.api's "transformer" task trains a small Transformer to sort
// digits in three layouts (pre-LN, post-LN, no residual) from the same initial weights, on the
// same batches, one call per layout (its "layouts" field), so each layout is drawn as it ends,
// about a third of the run after the last. Drawn with charts.js: the training loss and the
// test accuracy per epoch; each layer's gradient norm at initialisation and after the last
// epoch (log scale); the residual stream's RMS at every layer boundary, at initialisation and
// after the last epoch. One colour per layout, one legend for all six charts; the readout holds
// each layout's final numbers ("…" for a layout still training).
// view() also draws the page's static figure at build time (scripts/render.py).

import { lineChart, logDomain } from "../charts.js";
import { cell, frame, h, keyedLines, keyedSeries, lineLegend, output, percent, table } from "../widget.js";

const LAYOUTS = [["pre_ln", "pre-LN"], ["post_ln", "post-LN"], ["no_residual", "no residual"]];
const LINES = keyedLines(LAYOUTS, "sim-tf-", ["post_ln"]);
const CONTROLS = [
  ["layers", "Layers"], ["warmup", "Warm-up (epochs)"], ["lr", "Learning rate"], ["width", "Width"],
  ["heads", "Heads"], ["length", "Digits to sort"], ["epochs", "Epochs"], ["n", "Sequences"],
  ["batch_size", "Batch size"], ["seed", "Seed"],
];
const PRIMARY = ["layers", "warmup", "lr"];

/** The simcore.api calls a run makes (one per layout), for Copy as Python. */
export function calls(config) {
  return { calls: LAYOUTS.map(([k]) => [k, "transformer", { ...config, layouts: k }]),
    data: `{"variants": {${LAYOUTS.map(([k]) => `**${k}["variants"]`).join(", ")}}}` };
}

const fmtNum = (v) => (v === null || v === undefined || !Number.isFinite(v) ? "—" : v.toPrecision(3));
// the layouts trained so far (a run draws each as it ends), in LAYOUTS' order
const trained = (res) => LAYOUTS.filter(([k]) => res.variants[k]).map(([k]) => res.variants[k]);
const seriesOf = (res, points) => keyedSeries(LINES.filter(({ key }) => res.variants[key]), (k) => points(res.variants[k]));

function curves(res, config) {
  const losses = trained(res).flatMap((v) => v.history.map((r) => r.train_loss)).filter((v) => v !== null);
  const yMax = Math.max(1, ...losses.map((v) => Math.min(v, 4)));
  return [
    lineChart({ title: "Training loss", xLabel: "epoch", yLabel: "cross-entropy", xDomain: [0, config.epochs], yDomain: [0, yMax],
      series: seriesOf(res, (v) => v.history.map((r) => [r.epoch, r.train_loss])) }),
    lineChart({ title: "Test accuracy", xLabel: "epoch", yLabel: "digits right", xDomain: [0, config.epochs], yDomain: [0, 1],
      series: seriesOf(res, (v) => v.history.map((r) => [r.epoch, r.test_acc])) }),
  ];
}

/** A per-layer quantity of the first and the last record, on one log scale for both charts. */
function byLayer(res, key, titles, xLabel, yLabel, first) {
  const last = (v) => v.final[key];
  const values = trained(res).flatMap((v) => [...v.init[key], ...last(v)]);
  const n = trained(res)[0].init[key].length;
  const x = (l) => l + first;
  const chart = (title, of) => lineChart({ title, xLabel, yLabel, xDomain: [first, n - 1 + first], xInteger: true,
    yDomain: logDomain(values), logY: true, series: seriesOf(res, (v) => of(v).map((y, l) => [x(l), y])) });
  return [chart(titles[0], (v) => v.init[key]), chart(titles[1], last)];
}

function readout(res) {
  const rows = LAYOUTS.map(([k, name]) => {
    const v = res.variants[k];
    if (!v) {  // still to train in this run
      return h("tr", { "data-kind": k }, h("th", { scope: "row", text: name }),
        ...["train_acc", "test_acc", "status", "grad_ratio", "stream_last"].map((key) => h("td", { "data-key": key, text: "…" })));
    }
    const f = v.final;
    const g = v.init.grad_norms;
    const s = f.stream;
    return h("tr", { "data-kind": k }, h("th", { scope: "row", text: name }),
      cell("train_acc", f.train_acc, percent(f.train_acc)), cell("test_acc", f.test_acc, percent(f.test_acc)),
      h("td", { "data-key": "status", text: f.status }),
      cell("grad_ratio", g[g.length - 1] / g[0], fmtNum(g[g.length - 1] / g[0])),
      cell("stream_last", s[s.length - 1], fmtNum(s[s.length - 1])));
  });
  return table(["layout", "training accuracy (last epoch)", "test accuracy", "status",
    "gradient, last ÷ first layer (init)", "stream after the last layer (end)"], rows,
  "Final numbers; the ratio of the last layer's gradient norm to the first's at initialisation, "
  + "and the RMS of the residual stream after the last layer at the end");
}

/** The figure and readout of a transformer result. */
export function view(res, config) {
  const grads = byLayer(res, "grad_norms", ["Gradient norm by layer, at initialisation", "Gradient norm by layer, after training"],
    "layer", "‖∂L/∂θ_l‖", 1);
  const stream = byLayer(res, "stream", ["Residual stream at initialisation", "Residual stream after training"],
    "layer boundary (0: embeddings)", "RMS of x_l", 0);
  return output([...curves(res, config), ...grads, ...stream],
    lineLegend(LINES),
    h("p", { class: "sim-note", text: "Accuracy counts the digits of the sorted half predicted right (10 % is chance). "
      + "Gradients and the stream are measured on the same 64 training sequences for every layout." }),
    readout(res));
}

export function mount(root) {
  let done = 0;
  const ui = frame(root, CONTROLS, {
    label: "Transformer settings", primary: PRIMARY, view, calls,
    stoppedMessage: () => `Stopped after ${done} of ${LAYOUTS.length} layouts.`,
    async run(config, ui) {
      await ui.begin();  // "running" from the first call on, not after it
      if (ui.stopped) return "";
      const variants = {};
      done = 0;
      ui.progress(0, LAYOUTS.length);
      for (const [i, [k, name]] of LAYOUTS.entries()) {
        const res = await ui.task("transformer", { ...config, layouts: k });
        if (ui.stopped) return "";
        Object.assign(variants, res.variants);
        done = i + 1;
        ui.draw({ variants: { ...variants } }, config);
        ui.progress(done, LAYOUTS.length);
        if (done < LAYOUTS.length) ui.status.textContent = `${name} done (${done} of ${LAYOUTS.length}); training ${LAYOUTS[done][1]}…`;
      }
      const diverged = LAYOUTS.filter(([k]) => variants[k].final.status === "diverged").map(([, name]) => name);
      return `Done: three Transformers of ${config.layers} layers${diverged.length ? `; diverged: ${diverged.join(", ")}` : ""}.`;
    },
  });
  return { root, unmount: ui.unmount };
}
