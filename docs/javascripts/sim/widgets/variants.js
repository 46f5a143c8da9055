// The variants calculator: exact parameters and MACs of a real architecture, its layer table,
// and a second network compared, from two simcore.api.variants calls in the worker.
// view() also draws the page's static figure at build time (scripts/render.py, from the same
// two calls made natively by scripts/widgets/variants.py).
// Shared contract and controls: ../widget.js.

import { lineChart } from "../charts.js";
import { cell, fixed, frame, h, output } from "../widget.js";

const CONTROLS = [["name", "Network"], ["resolution", "Input side (pixels)"], ["compare", "Compared with"]];
const OPEN_ROWS = 8;

/** The two simcore.api calls a run makes, for Copy as Python. */
export function calls(config) {
  return { calls: [["model", "variants", { name: config.name, resolution: config.resolution }],
    ["compare", "variants", { name: config.compare, resolution: config.resolution }]],
  data: '{"model": model, "compare": compare}' };
}

const fmtInt = (v) => v.toLocaleString("en-US");

function unit(v) {
  return v >= 1e9 ? [1e9, "G", "billions"] : v >= 1e6 ? [1e6, "M", "millions"] : [1e3, "k", "thousands"];
}

function cumulative(rows, key, scale) {
  const points = [[0, 0]];
  let total = 0;
  rows.forEach((r, i) => {
    total += r[key];
    points.push([i + 1, total / scale]);
  });
  return points;
}

function panels(a, b) {
  const n = Math.max(a.layers.length, b.layers.length);
  return [["params", "Parameters"], ["macs", "MACs"]].map(([key, title]) => {
    const top = Math.max(a[key], b[key]);
    const [scale, suffix, label] = unit(top);
    return lineChart({
      title: `${title} (${suffix})`, xLabel: "row of the layer table", yLabel: `cumulative, ${label}`,
      xDomain: [0, n], yDomain: [0, top / scale],
      series: [
        { name: "network", cls: "sim-residual", points: cumulative(a.layers, key, scale) },
        { name: "compared", cls: "sim-plain", dashed: true, points: cumulative(b.layers, key, scale) },
      ],
    });
  });
}

function totalsTable(a, b) {
  const rows = [["model", a], ["compare", b]].map(([kind, r]) => h("tr", { "data-kind": kind },
    h("th", { scope: "row", "data-key": "name", text: r.name }),
    cell("resolution", r.resolution, `${r.resolution}×${r.resolution}`),
    cell("params", r.params, fmtInt(r.params)),
    cell("macs", r.macs, fmtInt(r.macs))));
  const p = a.params / b.params;
  const m = a.macs / b.macs;
  rows.push(h("tr", { "data-kind": "ratio" },
    h("th", { scope: "row", text: "ratio" }), h("td"),
    cell("params", p, `${fixed(p, 3)}×`), cell("macs", m, `${fixed(m, 3)}×`)));
  const head = h("thead", {}, h("tr", {}, ...["network", "input", "parameters", "MACs"].map((t) => h("th", { text: t }))));
  return h("table", { class: "sim-readout sim-variants-totals" }, head, h("tbody", {}, ...rows));
}

function stages(rows) {
  const out = [];
  for (const r of rows) {
    if (!out.length || out[out.length - 1][0] !== r.stage) out.push([r.stage, []]);
    out[out.length - 1][1].push(r);
  }
  return out;
}

/** One collapsible section per stage: its rows with exact params and MACs. */
function layerTables(result) {
  const parts = [h("p", { class: "sim-variants-caption" }, "Layer by layer: ",
    h("strong", { text: result.name }), ` at ${result.resolution}×${result.resolution}`)];
  const head = () => h("thead", {}, h("tr", {}, ...["block", "layer", "output shape", "parameters", "MACs"]
    .map((t) => h("th", { text: t }))));
  for (const [stage, rows] of stages(result.layers)) {
    const blocks = new Set(rows.filter((r) => r.block !== null).map((r) => r.block)).size;
    const params = rows.reduce((s, r) => s + r.params, 0);
    const macs = rows.reduce((s, r) => s + r.macs, 0);
    const span = (key, v) => cell(key, v, fmtInt(v), "span");
    const body = rows.map((r) => h("tr", { "data-stage": stage },
      h("td", { "data-key": "block", text: r.block === null ? "" : String(r.block) }),
      h("td", { "data-key": "layer", text: r.layer }),
      cell("output_shape", r.output_shape, r.output_shape.join("×")),
      cell("params", r.params, fmtInt(r.params)),
      cell("macs", r.macs, fmtInt(r.macs))));
    parts.push(h("details", { class: "sim-variants-stage", "data-stage": stage, open: rows.length <= OPEN_ROWS },
      h("summary", {}, h("strong", { text: stage }),
        ` · ${blocks ? `${blocks} block${blocks !== 1 ? "s" : ""} · ` : ""}${rows.length} row${rows.length !== 1 ? "s" : ""} · `,
        span("params", params), " parameters · ", span("macs", macs), " MACs"),
      h("table", { class: "sim-readout sim-variants-layers-table" }, head(), h("tbody", {}, ...body))));
  }
  return h("div", { class: "sim-variants-layers" }, ...parts);
}

/** The cumulative charts, the totals and the layer table of data.model compared with
 * data.compare (two api.variants results). */
export function view(data) {
  const { model: a, compare: b } = data;
  return output(panels(a, b), totalsTable(a, b), layerTables(a));
}

export function mount(root) {
  const ui = frame(root, CONTROLS, {
    label: "Network settings",
    view, calls,
    staticMessage: "These counts were computed when the site was built. Pick networks and press Run to count them in your browser.",
    async run(config, ui) {
      const a = await ui.task("variants", { name: config.name, resolution: config.resolution });
      if (ui.stopped) return "";
      ui.progress(1, 2);
      const b = await ui.task("variants", { name: config.compare, resolution: config.resolution });
      if (ui.stopped) return "";
      ui.progress(2, 2);
      ui.draw({ model: a, compare: b }, config);
      return `Counted ${a.name} and ${b.name} at ${a.resolution}×${a.resolution}.`;
    },
  });
  return { root, unmount: ui.unmount };
}
