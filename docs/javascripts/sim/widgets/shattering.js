// The shattered-gradients widget (Balduzzi et al., 2017): simcore.api's "shattering" task builds
// plain and residual nets of several depths in the worker and records the input gradient
// g(t) = df/dt along a line through the input space, and its autocorrelation ρ(k). Drawn with
// charts.js's lineChart for one depth and one normalisation at a time, picked with the two
// view selectors (they only choose what is drawn, never recompute): g(t) of the plain and of the
// residual net (each on its own scale), ρ(k) of both, and ρ(1) against depth. The readout holds
// ρ(1) for every depth, kind and normalisation. Every number comes from the task's result.
// view() also draws the page's static figure at build time (scripts/render.py): the default
// view (the deepest net, with batch norm), its selectors disabled until a run in the page has
// results to switch between.

import { lineChart } from "../charts.js";
import { cell, fixed, frame, h, output, panel } from "../widget.js";

const KINDS = ["plain", "residual"];
const NORMS = [["bn", "with batch norm"], ["no_bn", "without batch norm"]];
const CONTROLS = [
  ["dataset", "Data set (for BN statistics)"], ["depths", "Depths"], ["width", "Width"],
  ["layout", "Block layout"], ["activation", "Activation"], ["epochs", "Epochs (0: at init)"],
  ["shatter_points", "Points on the line"], ["shatter_span", "Line span ±"],
  ["shatter_offset", "Line offset"], ["shatter_max_lag", "Largest lag"],
  ["shatter_runs", "Runs (seeds) averaged"], ["seed", "Seed"],
];
const PRIMARY = ["depths", "layout", "epochs"];

/** The simcore.api call a run makes, for Copy as Python. */
export function calls(config) {
  return { calls: [["shattering", "shattering", config]], data: "shattering" };
}


export const fmtRho = (v) => (v === null ? "—" : fixed(v, 3));

/** A y range from the lowest value (down to a multiple of 0.25, at most −0.25) up to 1. */
function rhoDomain(values) {
  const ok = values.filter((v) => v !== null && Number.isFinite(v));
  const lo = ok.length ? Math.min(...ok) : 0;
  return [Math.min(-0.25, Math.floor(lo * 4) / 4), 1];
}

/** The four charts for depth index i (-1: none) and normalisation norm. */
export function charts(res, i, norm) {
  const r = res[norm];
  const depth = res.depths[i];
  const span = res.t[res.t.length - 1];
  const bnText = norm === "bn" ? "with BN" : "no BN";
  const offset = res.config.shatter_offset;
  const grad = (kind) => {
    const g = r[kind][i].gradients;
    const ok = g.filter((v) => v !== null && Number.isFinite(v)).map(Math.abs);
    const m = ok.length && Math.max(...ok) > 0 ? Math.max(...ok) : 1;
    const svg = lineChart({ title: `g(t), depth ${depth}`, xLabel: `t, input (t, ${offset}), ${bnText}`, yLabel: "df/dt",
      xDomain: [-span, span], yDomain: [-m, m],
      series: [{ name: kind, cls: `sim-${kind}`, points: res.t.map((t, j) => [t, g[j]]) }] });
    svg.setAttribute("aria-label", `Input gradient df/dt along the line of the ${kind} net of depth ${depth}, ${bnText}; `
      + `lag-1 autocorrelation ${fmtRho(r[kind][i].lag1)}`);
    return svg;
  };
  const acfs = KINDS.flatMap((k) => r[k][i].acf);
  const acf = lineChart({ title: `ρ(k), depth ${depth}`, xLabel: `lag k (points), ${bnText}`, yLabel: "autocorrelation ρ(k)",
    xDomain: [0, res.lags[res.lags.length - 1]], yDomain: rhoDomain(acfs),
    series: KINDS.map((k) => ({ name: k, cls: `sim-${k}`, points: res.lags.map((lag, j) => [lag, r[k][i].acf[j]]) })) });
  acf.setAttribute("aria-label", `Autocorrelation of the gradient against lag at depth ${depth}, ${bnText}, plain and residual`);
  const lag1 = KINDS.map((k) => [[2, r.shallow.lag1], ...r[k].map((e) => [e.depth, e.lag1])]);
  const trend = lineChart({ title: "ρ(1) vs depth", xLabel: `depth (2: no blocks), ${bnText}`, yLabel: "lag-1 autocorrelation",
    xDomain: [0, res.depths[res.depths.length - 1]], yDomain: rhoDomain(lag1.flat().map((p) => p[1])),
    series: KINDS.map((k, n) => ({ name: k, cls: `sim-${k}`, markers: true, points: lag1[n] })) });
  trend.setAttribute("aria-label", `Lag-1 autocorrelation of the gradient against depth, ${bnText}, plain and residual`);
  return [grad("plain"), grad("residual"), acf, trend];
}

/** The two view selectors: depth index i and normalisation norm; disabled (with a hint) when
 * there is no result in the page to switch between, as in the build-time figure. */
function selectors(res, i, norm, live) {
  const select = (name, label, options) => [h("label", { for: `shattering-view-${name}`, text: label }),
    h("select", { id: `shattering-view-${name}`, name: `view_${name}`, disabled: !live },
      ...options.map(([value, text, selected]) => h("option", { value, text, selected })))];
  return h("div", { class: "sim-view" },
    ...select("depth", "Show", res.depths.map((d, j) => [j, `depth ${d}`, j === i])),
    ...select("norm", "Normalisation", NORMS.map(([n, text]) => [n, text, n === norm])),
    h("span", { class: "sim-view-hint", text: "(choose after a run)", hidden: live }));
}

/** ρ(1) per depth (the shallow net first), kind and normalisation; depth index i marked. */
function readout(res, i) {
  const head = h("thead", {},
    h("tr", {}, h("th", { rowspan: 2, text: "depth" }), ...NORMS.map(([, text]) => h("th", { colspan: 2, text }))),
    h("tr", {}, ...NORMS.flatMap(() => KINDS.map((k) => h("th", { class: `sim-${k}`, text: k })))));
  const shallow = h("tr", { "data-depth": "2" }, h("th", { scope: "row", text: "2 (no blocks)" }),
    ...NORMS.map(([norm]) => {
      const td = cell(`${norm}.shallow`, res[norm].shallow.lag1, fmtRho(res[norm].shallow.lag1));
      td.setAttribute("colspan", "2");
      return td;
    }));
  const rows = res.depths.map((d, j) => h("tr", { "data-depth": String(d), class: j === i ? "sim-selected" : null },
    h("th", { scope: "row", text: String(d) }),
    ...NORMS.flatMap(([norm]) => KINDS.map((k) => cell(`${norm}.${k}.${d}`, res[norm][k][j].lag1, fmtRho(res[norm][k][j].lag1))))));
  return h("table", { class: "sim-readout" }, head, h("tbody", {}, shallow, ...rows));
}

/** The selectors, the four charts and the readout of a shattering result, at depth index
 * choice.i and normalisation choice.norm; without a choice, the default view (the deepest net,
 * with batch norm) with its selectors disabled. */
export function view(res, config, choice = null) {
  const i = choice ? choice.i : res.depths.length - 1;
  const norm = choice ? choice.norm : "bn";
  const ref = (noise) => cell(`reference.${noise}`, res.reference[noise].lag1, fmtRho(res.reference[noise].lag1), "span");
  const note = h("p", { class: "sim-note" }, "Lag-1 autocorrelation ρ(1) of the gradient, mean over the runs: "
    + "near 1 it is smooth like brown noise (", ref("brown"), " for brown noise of the same length), near 0 it is "
    + "shattered like white noise (", ref("white"), ").");
  const node = output(charts(res, i, norm), readout(res, i), note);
  node.prepend(selectors(res, i, norm, Boolean(choice)));
  return node;
}

export function mount(root) {
  let result = null;
  const select = (name) => root.querySelector(`select[name=view_${name}]`);

  // A selector only chooses what is drawn: the charts and the marked row change, the selectors
  // stay (and keep the keyboard's focus); the result is what view() draws for that choice.
  function redraw() {
    const i = Number(select("depth").value);
    root.querySelector(".sim-figure").replaceChildren(...charts(result, i, select("norm").value).map(panel));
    for (const row of root.querySelectorAll(".sim-readout tr[data-depth]")) {
      if (row.dataset.depth === String(result.depths[i])) row.setAttribute("class", "sim-selected");
      else row.removeAttribute("class");
    }
  }
  root.addEventListener("change", (e) => {
    if (result && e.target.closest(".sim-view")) redraw();
  });

  const ui = frame(root, CONTROLS, {
    label: "Shattered gradients settings",
    primary: PRIMARY, view, calls,
    async run(config, ui) {
      ui.progress(0, 1);
      const res = await ui.task("shattering", config);
      if (ui.stopped) return "Stopped.";
      ui.progress(1, 1);
      // keep the depth shown if the new run has it (else the deepest) and the normalisation
      const keep = result ? res.depths.indexOf(result.depths[Number(select("depth").value)]) : -1;
      const choice = { i: keep >= 0 ? keep : res.depths.length - 1, norm: result ? select("norm").value : "bn" };
      result = res;
      ui.draw(res, config, view(res, config, choice));
      const n = res.depths.length;
      return `Done: ${4 * n * config.shatter_runs} networks (${n} depths, 2 kinds, with and without BN, ${config.shatter_runs} runs).`;
    },
  });
  return { root, unmount: ui.unmount };
}
