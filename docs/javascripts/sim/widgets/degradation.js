// The degradation widget: final training error vs depth, plain vs residual (He et al. 2016a,
// Figure 1, in miniature), filled in depth by depth: one simcore.api degradation call per
// depth (depths: [d]), Stop checked between calls, progress and a time estimate from the
// compute time of the calls done so far. Two preset buttons fill the controls (depths, n,
// epochs, width) with the quick preset (the default) or the full default experiment; the
// presets are not api fields, the controls are. Shared contract: ../widget.js. view() also
// draws the page's static figure at build time (scripts/render.py), from the same per-depth
// calls made natively (scripts/widgets/degradation.py). data-depths-done on the root counts
// depths drawn.

import { lineChart } from "../charts.js";
import { depthReadout, fixed, frame, h, output } from "../widget.js";

const KINDS = ["plain", "residual"];
const CONTROLS = [
  ["dataset", "Data set"], ["n", "Points"], ["depths", "Depths"], ["width", "Width"],
  ["layout", "Block layout"], ["norm", "Batch norm"], ["lr", "Learning rate"],
  ["epochs", "Epochs"], ["seed", "Seed"],
];

const PRIMARY = ["depths", "norm", "epochs"];

/** The simcore.api calls a run makes (one per depth), for Copy as Python. */
export function calls(config) {
  return { calls: config.depths.map((d) => [`depth_${d}`, "degradation", { ...config, depths: [d] }]),
    data: `{"results": [${config.depths.map((d) => `depth_${d}`).join(", ")}]}` };
}

const yMax = (results) => {
  const worst = Math.max(0, ...results.flatMap((r) => KINDS.map((k) => 100 * r[`${k}_train_error`][0])));
  return worst <= 60 ? 60 : 100;
};
const xDomainOf = (depths) => (depths.length > 1 ? [depths[0], depths[depths.length - 1]] : [depths[0] - 1, depths[0] + 1]);

function charts(config, results) {
  const top = yMax(results);
  const last = results[results.length - 1];
  return [
    lineChart({ title: "Training error", xLabel: "depth (layers)", yLabel: "final training error (%)",
      xDomain: xDomainOf(config.depths), yDomain: [0, top],
      series: KINDS.map((k) => ({ name: k, cls: `sim-${k}`, markers: true,
        points: results.map((r) => [r.depths[0], 100 * r[`${k}_train_error`][0]]) })) }),
    lineChart({ title: `Curves, depth ${last.depths[0]}`, xLabel: "epoch", yLabel: "training error (%)",
      xDomain: [0, Math.max(config.epochs, 1)], yDomain: [0, top],
      series: KINDS.map((k) => ({ name: k, cls: `sim-${k}`, points: last[`${k}_curves`][0].map((v, e) => [e, 100 * v]) })) }),
  ];
}

function cellText(r, k) {
  return `${fixed(100 * r[`${k}_train_error`][0], 1)} %${r[`${k}_status`][0] === "diverged" ? " †" : ""}`;
}

/** Final training error per depth and network; "…" for the depths not computed yet. */
function readout(config, results) {
  return depthReadout(config, results, KINDS,
    (r, k) => ({ value: r[`${k}_train_error`][0], text: cellText(r, k), status: r[`${k}_status`][0] }),
    `Final training error after ${config.epochs} epochs († the run diverged; its last error is shown)`);
}

/** Both charts and the readout of the per-depth results done so far ({results: [...]}, at
 * least one, in the order of config.depths). */
export function view(data, config) {
  return output(charts(config, data.results), readout(config, data.results));
}

function duration(seconds) {
  if (seconds < 60) return `${Math.max(1, Math.round(seconds))} s`;
  const m = Math.floor(seconds / 60);
  const s = Math.round(seconds - 60 * m);
  return s ? `${m} min ${s} s` : `${m} min`;
}

/**
 * Seconds left for the pending depths, from the compute time of the calls done: a least-squares
 * line t = a + b·depth (a, b ≥ 0) through the calls so far; one call: time ∝ depth.
 */
function estimate(done, pending) {
  const n = done.length;
  const mx = done.reduce((s, c) => s + c.depth, 0) / n;
  const my = done.reduce((s, c) => s + c.seconds, 0) / n;
  const sxx = done.reduce((s, c) => s + (c.depth - mx) ** 2, 0);
  let a = 0;
  let b = my / mx;
  if (n > 1 && sxx > 0) {
    b = Math.max(0, done.reduce((s, c) => s + (c.depth - mx) * (c.seconds - my), 0) / sxx);
    a = Math.max(0, my - b * mx);
  }
  return pending.reduce((s, d) => s + a + b * d, 0);
}

export function mount(root) {
  const presets = JSON.parse(root.dataset.presets);
  const built = root.dataset.builtSeconds;
  let results = [];
  let planned = 0;
  const ui = frame(root, CONTROLS, {
    label: "Degradation settings",
    primary: PRIMARY, view, calls,
    staticMessage: "The figure shows the quick preset, computed when the site was built. Press Run to compute it in your browser.",
    stoppedMessage: () => `Stopped after ${results.length} of ${planned} depths.`,
    async run(config, ui) {
      await ui.begin();  // "running" from the first call on, not after it
      if (ui.stopped) return "";
      results = [];
      planned = config.depths.length;
      const timings = [];
      root.querySelector(".sim-readout").replaceWith(readout(config, results));  // all "…"
      ui.progress(0, config.depths.length);
      for (const [i, d] of config.depths.entries()) {
        const result = await ui.task("degradation", { ...config, depths: [d] });
        if (ui.stopped) return "";
        results.push(result);
        timings.push({ depth: d, seconds: result.elapsed });
        ui.draw({ results: [...results] }, config);
        root.dataset.depthsDone = String(results.length);
        ui.progress(i + 1, config.depths.length);
        const pending = config.depths.slice(i + 1);
        const spent = timings.reduce((s, c) => s + c.seconds, 0);
        if (pending.length) {
          ui.status.textContent = `Depth ${d} done (${i + 1} of ${config.depths.length}, ${duration(spent)} of computing); `
            + `about ${duration(estimate(timings, pending))} left, estimated from the depths done so far.`;
        } else {
          return `Done: ${config.depths.length} ${config.depths.length === 1 ? "depth" : "depths"}, plain and residual, in ${duration(spent)} of computing.`;
        }
      }
      return "Done.";
    },
  });

  // The presets: buttons that fill the controls (an ordinary, keyboard-operable button each).
  const describe = (p) => `${p.n.toLocaleString("en")} points, width ${p.width}, depths ${p.depths.join(", ")}, ${p.epochs} epochs`;
  const fill = (p) => {
    for (const [field, value] of Object.entries(p)) {
      const input = ui.inputs[field];
      input.value = Array.isArray(value) ? value.join(",") : String(value);
      ui.errors[field].textContent = "";
      input.removeAttribute("aria-invalid");
    }
    ui.status.textContent = "Preset filled in; press Run.";
  };
  const quick = h("button", { type: "button", class: "md-button", "data-preset": "quick", text: "Quick preset" });
  const full = h("button", { type: "button", class: "md-button", "data-preset": "full", text: "Full experiment" });
  quick.addEventListener("click", () => fill(presets.quick));
  full.addEventListener("click", () => fill(presets.full));
  const quickText = `${describe(presets.quick)}: the default${built ? `, ${built} s of computing natively when this site was built; expect two to four times that in your browser` : ""}.`;
  const fullText = `${describe(presets.full)}: the full default experiment, minutes of computing; the status line estimates the time left.`;
  const box = h("div", { class: "sim-presets", role: "group", "aria-label": "Presets" },
    h("p", {}, quick, h("span", { text: ` ${quickText}` })),
    h("p", {}, full, h("span", { text: ` ${fullText}` })));
  root.querySelector(".sim-controls").after(box);
  return { root, unmount: ui.unmount };
}
