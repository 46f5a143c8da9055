// The shattered-gradients widget (Balduzzi et al., 2017): simcore.api's "shattering" task builds
// plain and residual nets of several depths in the worker and records the input gradient
// g(t) = df/dt along a line through the input space, and its autocorrelation ρ(k). Drawn with
// charts.js's lineChart for one depth and one normalisation at a time, picked with the two
// view selectors (they only choose what is drawn, never recompute): g(t) of the plain and of the
// residual net (each on its own scale), ρ(k) of both, and ρ(1) against depth. The readout holds
// ρ(1) for every depth, kind and normalisation. Every number comes from the task's result.

import { lineChart } from "../charts.js";
import { frame, h, setCell } from "../widget.js";

const KINDS = ["plain", "residual"];
const NORMS = [["bn", "with batch norm"], ["no_bn", "without batch norm"]];
const CONTROLS = [
  ["dataset", "Data set (for BN statistics)"], ["depths", "Depths"], ["width", "Width"],
  ["layout", "Block layout"], ["activation", "Activation"], ["epochs", "Epochs (0: at init)"],
  ["shatter_points", "Points on the line"], ["shatter_span", "Line span ±"],
  ["shatter_offset", "Line offset"], ["shatter_max_lag", "Largest lag"],
  ["shatter_runs", "Runs (seeds) averaged"], ["seed", "Seed"],
];

export const fmtRho = (v) => (v === null ? "—" : v.toFixed(3));

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

export function mount(root) {
  const figure = root.querySelector(".sim-figure");
  const readout = root.querySelector(".sim-readout");
  const depthSelect = root.querySelector("select[name=view_depth]");
  const normSelect = root.querySelector("select[name=view_norm]");
  let result = null;

  function drawCharts() {
    const i = Number(depthSelect.value);
    figure.replaceChildren(...charts(result, i, normSelect.value).map((svg) => h("div", { class: "sim-panel" }, svg)));
    for (const row of readout.querySelectorAll("tr[data-depth]")) {
      row.classList.toggle("sim-selected", row.dataset.depth === String(result.depths[i]));
    }
  }

  function draw(res) {
    const previous = result ? result.depths[Number(depthSelect.value)] : null;
    result = res;
    depthSelect.replaceChildren(...res.depths.map((d, i) => h("option", { value: i, text: `depth ${d}` })));
    const keep = res.depths.indexOf(previous);
    depthSelect.value = String(keep >= 0 ? keep : res.depths.length - 1);
    depthSelect.disabled = false;
    normSelect.disabled = false;
    root.querySelector(".sim-view-hint").hidden = true;
    // the readout: one row per depth (and the shallow net), ρ(1) per kind and normalisation
    const body = readout.querySelector("tbody");
    const rows = [h("tr", { "data-depth": "2" }, h("th", { scope: "row", text: "2 (no blocks)" }),
      ...NORMS.map(([norm]) => {
        const cell = h("td", { colspan: 2, "data-key": `${norm}.shallow` });
        setCell(cell, res[norm].shallow.lag1, fmtRho(res[norm].shallow.lag1));
        return cell;
      }))];
    res.depths.forEach((d, i) => {
      const cells = NORMS.flatMap(([norm]) => KINDS.map((k) => {
        const cell = h("td", { "data-key": `${norm}.${k}.${d}` });
        setCell(cell, res[norm][k][i].lag1, fmtRho(res[norm][k][i].lag1));
        return cell;
      }));
      rows.push(h("tr", { "data-depth": String(d) }, h("th", { scope: "row", text: String(d) }), ...cells));
    });
    body.replaceChildren(...rows);
    for (const noise of ["brown", "white"]) {
      const cell = root.querySelector(`[data-key="reference.${noise}"]`);
      setCell(cell, res.reference[noise].lag1, fmtRho(res.reference[noise].lag1));
    }
    drawCharts();
  }

  depthSelect.addEventListener("change", () => { if (result) drawCharts(); });
  normSelect.addEventListener("change", () => { if (result) drawCharts(); });

  const ui = frame(root, CONTROLS, {
    label: "Shattered gradients settings",
    async run(config, ui) {
      ui.progress(0, 1);
      const res = await ui.task("shattering", config);
      if (ui.stopped) return "Stopped.";
      ui.progress(1, 1);
      draw(res);
      const n = res.depths.length;
      return `Done: ${4 * n * config.shatter_runs} networks (${n} depths, 2 kinds, with and without BN, ${config.shatter_runs} runs).`;
    },
  });
  return { root, unmount: ui.unmount };
}
