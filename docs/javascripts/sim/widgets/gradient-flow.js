// The gradient-flow widget: |∂L/∂x_l| per block boundary, plain vs residual, at initialisation
// and at checkpoints of one training run, plus He et al.'s (2016b) highway/residual split of
// the residual net's gradient. Shared contract and controls: ../widget.js.
//
// Frames: Run makes one simcore.api gradflow call with frames: true, which returns the run
// seen at epochs 0, 1, 2, 4, …, epochs (simcore.analysis.gradflow.checkpoints). The animation
// bar (play, pause, step, speed, rewind, a frame slider) moves between those frames; before a
// run it animates the frames computed when the site was built (root's data-frames).
// data-frame on the root is the index of the frame shown. view() draws a frame, live and, for
// the page's static figure, at build time (scripts/render.py).

import { lineChart } from "../charts.js";
import { cell, fixed, frame, h, output, show as showOutput, table } from "../widget.js";

const KINDS = ["plain", "residual"];
const CONTROLS = [
  ["dataset", "Data set"], ["n", "Points"], ["depth", "Depth"], ["width", "Width"],
  ["layout", "Block layout"], ["norm", "Batch norm"], ["activation", "Activation"],
  ["init", "Initialisation"], ["lr", "Learning rate"], ["epochs", "Epochs (last frame)"],
  ["seed", "Seed"],
];
const PRIMARY = ["depth", "layout", "norm", "epochs"];

/** The simcore.api call a run makes (one gradflow call, its frames), for Copy as Python. */
export function calls(config) {
  return { calls: [["gradflow", "gradflow", { ...config, frames: true }]], data: '{"frames": gradflow["frames"]}' };
}

const SPEEDS = [["0.5", "0.5×"], ["1", "1×"], ["2", "2×"], ["4", "4×"]];
const FRAME_MS = 900;

function logDomain(values) {
  const vals = values.filter((v) => v !== null && Number.isFinite(v) && v > 0);
  if (!vals.length) return [0.1, 10];
  const lo = Math.floor(Math.log10(Math.min(...vals)));
  const hi = Math.ceil(Math.log10(Math.max(...vals)));
  return [10 ** lo, 10 ** Math.max(hi, lo + 1)];
}

const fmtE = (v) => (v === null || v === undefined || !Number.isFinite(v) ? "—" : v.toExponential(2));

function splitNote(split) {
  return split.exact
    ? "Split exact: pre-activation blocks with identity shortcuts, so ∂L/∂x_l = ∂L/∂x_L (highway) + the term through the branches."
    : "Post-activation layout: the split shown is only ∂L/∂x_L and the difference total − ∂L/∂x_L, not He et al.'s exact decomposition (choose layout pre).";
}

/** The figure, split note and readout of frame `index` (default: the last) of `frames`. */
export function view({ frames }, config, index = frames.length - 1) {
  const cur = frames[index];
  const first = frames[0];
  const blocks = first.plain.grad_x.length - 1;
  const gdom = logDomain(frames.flatMap((f) => KINDS.flatMap((k) => f[k].grad_x)));
  const sdom = logDomain(frames.flatMap((f) => [...f.split.highway, ...f.split.residual]));
  const xDomain = [0, blocks];
  const yLabel = "|∂L/∂x_l|";
  const xLabel = "block boundary l (0 = input end)";
  const series = (f) => KINDS.map((k) => ({ name: k, cls: `sim-${k}`, points: f[k].grad_x.map((v, l) => [l, v]) }));
  const charts = [
    lineChart({ title: "At initialisation", xLabel, yLabel, series: series(first), xDomain, yDomain: gdom, logY: true }),
    lineChart({ title: `At epoch ${cur.epoch}`, xLabel, yLabel, series: series(cur), xDomain, yDomain: gdom, logY: true }),
    lineChart({ title: `Split, epoch ${cur.epoch}`, xLabel: "block l (residual net)", yLabel: "norm", xDomain, yDomain: sdom, logY: true,
      series: [
        { name: "highway", cls: "sim-highway", dashed: true, points: cur.split.highway.map((v, l) => [l, v]) },
        { name: "branches", cls: "sim-residual", points: cur.split.residual.map((v, l) => [l, v]) },
      ] }),
  ];
  const rows = KINDS.map((k) => {
    const g = cur[k].grad_x;
    const first0 = g[0];
    const last = g[g.length - 1];
    const ratio = last ? first0 / last : null;  // the readout's one division: a display ratio
    return h("tr", { "data-kind": k }, h("th", { scope: "row", text: k }),
      cell("epoch", cur.epoch, String(cur.epoch)), cell("grad_first", first0, fmtE(first0)),
      cell("grad_last", last, fmtE(last)), cell("ratio", ratio, fmtE(ratio)),
      cell("loss", cur[k].loss, cur[k].loss === null ? "—" : fixed(cur[k].loss, 4)));
  });
  const sub = (i) => ["|∂L/∂x", h("sub", { text: i }), "|"];
  return output(charts, h("p", { class: "sim-note", "data-key": "split-note", text: splitNote(cur.split) }),
    table(["network", "epoch", sub("0"), sub("L"), "first / last", "loss"], rows));
}

export function mount(root) {
  let frames = root.dataset.frames ? JSON.parse(root.dataset.frames) : [];
  let index = frames.length ? Number(root.dataset.frame || frames.length - 1) : 0;
  let timer = null;

  // --- the animation bar -----------------------------------------------------------------
  const id = root.id || root.dataset.sim;
  const btn = (action, text) => h("button", { type: "button", class: "md-button", "data-anim": action, text });
  const anim = {
    rewind: btn("rewind", "Rewind"),
    back: btn("back", "Step back"),
    play: btn("play", "Play"),
    pause: btn("pause", "Pause"),
    step: btn("step", "Step forward"),
  };
  const speed = h("select", { id: `${id}-speed`, "data-anim": "speed" });
  for (const [value, text] of SPEEDS) speed.append(h("option", { value, text, selected: value === "1" }));
  const slider = h("input", { id: `${id}-frame`, type: "range", min: 0, max: 0, step: 1, value: 0, "data-anim": "frame" });
  const where = h("span", { class: "sim-anim-where" });
  const bar = h("div", { class: "sim-anim", role: "group", "aria-label": "Animation over the training epochs" },
    anim.rewind, anim.back, anim.play, anim.pause, anim.step,
    h("span", { class: "sim-anim-field" }, h("label", { for: speed.id, text: "Speed" }), speed),
    h("span", { class: "sim-anim-field sim-anim-slider" }, h("label", { for: slider.id, text: "Frame" }), slider),
    where);
  root.querySelector(".sim-output").before(bar);

  function syncBar() {
    const n = frames.length;
    index = Math.min(index, Math.max(n - 1, 0));
    const playing = timer !== null;
    anim.back.disabled = n < 2 || index <= 0;
    anim.step.disabled = n < 2 || index >= n - 1;
    anim.rewind.disabled = n < 2 || index === 0;
    anim.play.disabled = n < 2 || playing;
    anim.pause.disabled = !playing;
    slider.disabled = n < 2;
    slider.max = String(Math.max(n - 1, 0));
    slider.value = String(index);
    const text = n ? `epoch ${frames[index].epoch} (frame ${index + 1} of ${n})` : "no frames yet";
    slider.setAttribute("aria-valuetext", text);
    where.textContent = text;
  }

  function draw() {
    showOutput(root, view({ frames }, null, index));
    root.dataset.frame = String(index);
  }

  function show(i) {
    if (!frames.length) { syncBar(); return; }
    index = Math.min(Math.max(i, 0), frames.length - 1);
    draw();
    syncBar();
  }

  function stopPlaying() {
    if (timer !== null) clearInterval(timer);
    timer = null;
    syncBar();
  }

  function play() {
    if (frames.length < 2) return;
    stopPlaying();
    if (index >= frames.length - 1) show(0);
    timer = setInterval(() => {
      if (index >= frames.length - 1) stopPlaying();
      else show(index + 1);
    }, FRAME_MS / Number(speed.value));
    syncBar();
  }

  anim.play.addEventListener("click", play);
  anim.pause.addEventListener("click", stopPlaying);
  anim.step.addEventListener("click", () => { stopPlaying(); show(index + 1); });
  anim.back.addEventListener("click", () => { stopPlaying(); show(index - 1); });
  anim.rewind.addEventListener("click", () => { stopPlaying(); show(0); });
  speed.addEventListener("change", () => { if (timer !== null) play(); });
  slider.addEventListener("input", () => { const i = Number(slider.value); stopPlaying(); show(i); });

  const ui = frame(root, CONTROLS, {
    label: "Gradient-flow settings",
    primary: PRIMARY, view, calls,
    staticMessage: "The frames were computed when the site was built: step through them below, or press Run to compute them in your browser.",
    async run(config, ui) {
      stopPlaying();
      ui.progress(0, 1);
      const result = await ui.task("gradflow", { ...config, frames: true });
      if (ui.stopped) return "";
      frames = result.frames;
      ui.progress(1, 1);
      ui.draw({ frames }, config);  // the last frame, and the data Copy as Python and Download give
      show(frames.length - 1);
      const epochs = frames.map((f) => f.epoch);
      return `Done: ${epochs.length} frames, epochs ${epochs.join(", ")}.${epochs.length > 1 ? " Press Play to animate." : ""}`;
    },
  });
  syncBar();
  const unmount = ui.unmount;
  return { root, unmount: () => { stopPlaying(); unmount(); } };
}
