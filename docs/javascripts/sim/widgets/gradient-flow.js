// The gradient-flow widget: |∂L/∂x_l| per block boundary, plain vs residual, at initialisation
// and at checkpoints of one training run, plus He et al.'s (2016b) highway/residual split of
// the residual net's gradient. Shared contract and controls: ../widget.js.
//
// Frames: Run makes one simcore.api gradflow call per checkpoint, epochs = 0, 1, 2, 4, …,
// epochs (checkpoints() below, mirrored by scripts/widgets/gradient_flow.py). With the constant
// learning rate of the defaults, the call with epochs = k trains exactly the first k epochs of
// the longer run, so the frames are snapshots of one run. The animation bar (play, pause,
// step, speed, rewind, a frame slider) only moves between frames already computed; before a
// run it animates the frames computed when the site was built (root's data-frames).
// data-frame on the root is the index of the frame shown.

import { lineChart } from "../charts.js";
import { frame, h, setCell } from "../widget.js";

const KINDS = ["plain", "residual"];
const CONTROLS = [
  ["dataset", "Data set"], ["n", "Points"], ["depth", "Depth"], ["width", "Width"],
  ["layout", "Block layout"], ["norm", "Batch norm"], ["activation", "Activation"],
  ["init", "Initialisation"], ["lr", "Learning rate"], ["epochs", "Epochs (last frame)"],
  ["seed", "Seed"],
];
const SPEEDS = [["0.5", "0.5×"], ["1", "1×"], ["2", "2×"], ["4", "4×"]];
const FRAME_MS = 900;

/** The epochs shown as frames: 0, 1, 2, 4, 8, … below epochs, then epochs. */
export function checkpoints(epochs) {
  const out = [0];
  for (let e = 1; e < epochs; e *= 2) out.push(e);
  if (epochs > 0) out.push(epochs);
  return out;
}

/** What one frame draws, picked from one gradflow result (no arithmetic). */
function pick(result, epoch) {
  const out = { epoch };
  for (const k of KINDS) {
    const r = result[k];
    out[k] = { grad_x: r.final.grad_x, loss: r.final.loss, status: r.status };
  }
  const d = result.residual.decomposition;
  out.split = { exact: d.exact, highway: d.highway, residual: d.residual };
  return out;
}

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

export function mount(root) {
  const figure = root.querySelector(".sim-figure");
  const readout = root.querySelector(".sim-readout");
  const note = root.querySelector('[data-key="split-note"]');
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
  figure.before(bar);

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
    const cur = frames[index];
    const first = frames[0];
    const blocks = first.plain.grad_x.length - 1;
    const gdom = logDomain(frames.flatMap((f) => KINDS.flatMap((k) => f[k].grad_x)));
    const sdom = logDomain(frames.flatMap((f) => [...f.split.highway, ...f.split.residual]));
    const xDomain = [0, blocks];
    const yLabel = "|∂L/∂x_l|";
    const xLabel = "block boundary l (0 = input end)";
    const series = (f) => KINDS.map((k) => ({ name: k, cls: `sim-${k}`, points: f[k].grad_x.map((v, l) => [l, v]) }));
    const panels = [
      lineChart({ title: "At initialisation", xLabel, yLabel, series: series(first), xDomain, yDomain: gdom, logY: true }),
      lineChart({ title: `At epoch ${cur.epoch}`, xLabel, yLabel, series: series(cur), xDomain, yDomain: gdom, logY: true }),
      lineChart({ title: `Split, epoch ${cur.epoch}`, xLabel: "block l (residual net)", yLabel: "norm", xDomain, yDomain: sdom, logY: true,
        series: [
          { name: "highway", cls: "sim-highway", dashed: true, points: cur.split.highway.map((v, l) => [l, v]) },
          { name: "branches", cls: "sim-residual", points: cur.split.residual.map((v, l) => [l, v]) },
        ] }),
    ];
    figure.replaceChildren(...panels.map((svg) => h("div", { class: "sim-panel" }, svg)));
    if (note) note.textContent = splitNote(cur.split);
    for (const k of KINDS) {
      const row = readout.querySelector(`tr[data-kind="${k}"]`);
      if (!row) continue;
      const g = cur[k].grad_x;
      const first0 = g[0];
      const last = g[g.length - 1];
      const ratio = last ? first0 / last : null;  // the readout's one division: a display ratio
      setCell(row.querySelector('[data-key="epoch"]'), cur.epoch, String(cur.epoch));
      setCell(row.querySelector('[data-key="grad_first"]'), first0, fmtE(first0));
      setCell(row.querySelector('[data-key="grad_last"]'), last, fmtE(last));
      setCell(row.querySelector('[data-key="ratio"]'), ratio, fmtE(ratio));
      setCell(row.querySelector('[data-key="loss"]'), cur[k].loss, cur[k].loss === null ? "—" : cur[k].loss.toFixed(4));
    }
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

  let planned = 0;
  let computed = 0;
  const ui = frame(root, CONTROLS, {
    label: "Gradient-flow settings",
    staticMessage: "The frames were computed when the site was built: step through them below, or press Run to compute them in your browser.",
    stoppedMessage: () => `Stopped after ${computed} of ${planned} frames.`,
    async run(config, ui) {
      stopPlaying();
      await ui.begin();  // "running" from the first call on, not after it
      if (ui.stopped) return "";
      const list = checkpoints(config.epochs);
      planned = list.length;
      const fresh = [];  // replaces the frames shown once its first frame is in
      computed = 0;
      ui.progress(0, list.length);
      for (const [i, epoch] of list.entries()) {
        const result = await ui.task("gradflow", { ...config, epochs: epoch });
        if (ui.stopped) return "";
        fresh.push(pick(result, epoch));
        if (fresh.length === 1) stopPlaying();  // the old frames are gone: no playing through them
        frames = fresh;
        computed = fresh.length;
        ui.progress(i + 1, list.length);
        if (i + 1 < list.length) ui.status.textContent = `Computed epoch ${epoch} (frame ${i + 1} of ${list.length})…`;
        if (timer === null) show(frames.length - 1);
        else syncBar();
      }
      return `Done: ${list.length} frames, epochs ${list.join(", ")}.${list.length > 1 ? " Press Play to animate." : ""}`;
    },
  });
  syncBar();
  const unmount = ui.unmount;
  return { root, unmount: () => { stopPlaying(); unmount(); } };
}
