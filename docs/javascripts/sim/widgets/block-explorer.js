// The block explorer: one block of simcore.blocks, its diagram drawn from the structure
// simcore reports, and two measurements made live by simcore.api.blocks_demo in the worker:
// a zero branch gives the identity (pre-activation), and the branch computes F(x) = H(x) − x.
// view() also draws the page's static figure at build time (scripts/render.py, from the same
// call made natively by scripts/widgets/block_explorer.py).
// Shared contract and controls: ../widget.js.

import { lineChart } from "../charts.js";
import { cell, frame, h, output, table } from "../widget.js";

const NS = "http://www.w3.org/2000/svg";
const CONTROLS = [["block_kind", "Block"], ["layout", "Layout"], ["block_width", "Width"],
  ["norm", "Batch norm"], ["activation", "Activation"], ["seed", "Seed"]];
const PRIMARY = ["block_kind", "layout", "norm"];

/** The simcore.api call a run makes, for Copy as Python. */
export function calls(config) {
  return { calls: [["blocks_demo", "blocks_demo", config]], data: "blocks_demo" };
}

const W = 320;
const H = 220;
const CX = 120;
const UNIT_W = 150;
const UNIT_H = 20;
const UNIT_Y0 = 46;
const UNIT_STEP = 28;
const SIDE_X = 250;
const COMBINE_Y = 158;
const ACT_Y = 172;
const OUT_Y = 210;

function el(name, attrs = {}, ...children) {
  const node = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  node.append(...children);
  return node;
}

/** One unit per dense layer: BN/activation after it (post) or before it (pre). */
export function units(ops) {
  const out = [];
  const post = ops.length > 0 && ops[0].op === "dense";
  let pending = [];
  for (const op of ops) {
    if (op.op === "dense") {
      if (post) out.push([op]);
      else { out.push([...pending, op]); pending = []; }
    } else if (post) out[out.length - 1].push(op);
    else pending.push(op);
  }
  if (pending.length) out.push(pending);
  return out;
}

const opText = (op) => (op.op === "dense" ? `dense ${op.in}→${op.out}` : op.op === "bn" ? "BN" : op.name);
const unitText = (unit) => unit.map(opText).join(" → ");

function title(cfg) {
  const layout = `${cfg.layout[0].toUpperCase()}${cfg.layout.slice(1)}-activation`;
  return {
    residual: `${layout} residual block`, bottleneck: `${layout} bottleneck block`,
    projection: `${layout} block, projection shortcut`, plain: `${layout} plain block (no shortcut)`,
    highway: "Highway layer", dense: "Dense layer (DenseNet)",
  }[cfg.block_kind];
}

function text(attrs, content) {
  return el("text", attrs, content);
}

/** The block drawn from its structure: x on top, the branch's layers down the middle, the
 * shortcut (dashed) on the right, the combination, any final activation, y. */
export function diagram(cfg, st) {
  const shortcut = st.shortcut.type;
  const cls = cfg.block_kind === "plain" ? "sim-plain" : "sim-residual";
  const label = `${title(cfg)}: branch ${units(st.branch).map(unitText).join("; ")}; `
    + `shortcut ${shortcut}; output ${st.d_out} features`;
  const svg = el("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": label, class: "sim-chart sim-block-diagram" });
  svg.append(
    text({ x: 8, y: 16, class: "sim-chart-title" }, title(cfg)),
    el("line", { x1: CX, x2: CX, y1: 38, y2: OUT_Y - 12, class: "sim-block-wire" }),
    text({ x: CX, y: 32, class: "sim-block-io", "text-anchor": "middle" }, `x · ${st.d_in} features`),
  );
  if (shortcut !== "none") {
    svg.append(el("path", { d: `M${CX},38L${SIDE_X},38L${SIDE_X},${COMBINE_Y}L${CX + 8},${COMBINE_Y}`, class: "sim-block-skip" }));
  }
  const side = { identity: "identity", carry: "carry (1 − T)·x", concat: "x copied", none: "no shortcut" };
  if (shortcut === "projection") {
    svg.append(
      el("rect", { x: SIDE_X - 46, y: 88, width: 92, height: 20, rx: 3, class: "sim-block-unit sim-block-proj" }),
      text({ x: SIDE_X, y: 101, class: "sim-block-op", "text-anchor": "middle" }, unitText(st.shortcut.ops)),
      text({ x: SIDE_X, y: 120, class: "sim-block-note", "text-anchor": "middle" }, "projection"),
    );
  } else if (shortcut === "carry") {
    svg.append(
      el("rect", { x: SIDE_X - 55, y: 88, width: 110, height: 20, rx: 3, class: "sim-block-unit sim-block-gate" }),
      text({ x: SIDE_X, y: 101, class: "sim-block-op", "text-anchor": "middle" }, unitText(st.gate)),
      text({ x: SIDE_X - 6, y: 121, class: "sim-block-note", "text-anchor": "end" }, "gate T(x)"),
      text({ x: SIDE_X - 6, y: 140, class: "sim-block-note", "text-anchor": "end" }, side[shortcut]),
    );
  } else {
    svg.append(text({ x: SIDE_X + 4, y: 102, class: "sim-block-note" }, side[shortcut]));
  }
  units(st.branch).forEach((unit, i) => {
    const y = UNIT_Y0 + i * UNIT_STEP;
    svg.append(
      el("rect", { x: CX - UNIT_W / 2, y, width: UNIT_W, height: UNIT_H, rx: 3, class: `sim-block-unit ${cls}` }),
      text({ x: CX, y: y + 13, class: "sim-block-op", "text-anchor": "middle" }, unitText(unit)),
    );
  });
  if (st.combine === "add") {
    svg.append(
      el("circle", { cx: CX, cy: COMBINE_Y, r: 8, class: "sim-block-node" }),
      text({ x: CX, y: COMBINE_Y + 4, class: "sim-block-op", "text-anchor": "middle" }, "+"),
    );
    if (st.alpha !== 1) {
      svg.append(text({ x: CX - 12, y: COMBINE_Y - 10, class: "sim-block-note", "text-anchor": "end" }, `α = ${st.alpha}`));
    }
  } else if (st.combine === "gate" || st.combine === "concat") {
    svg.append(
      el("rect", { x: CX - 50, y: COMBINE_Y - 9, width: 100, height: 18, rx: 3, class: "sim-block-unit sim-block-node" }),
      text({ x: CX, y: COMBINE_Y + 4, class: "sim-block-op", "text-anchor": "middle" },
        st.combine === "gate" ? "T·H + (1 − T)·x" : "concat [x, G(x)]"),
    );
  }
  if (st.out_act) {
    svg.append(
      el("rect", { x: CX - 24, y: ACT_Y, width: 48, height: 16, rx: 3, class: `sim-block-unit ${cls}` }),
      text({ x: CX, y: ACT_Y + 11, class: "sim-block-op", "text-anchor": "middle" }, st.out_act),
    );
  }
  svg.append(text({ x: CX, y: OUT_Y, class: "sim-block-io", "text-anchor": "middle" }, `y · ${st.d_out} features`));
  return svg;
}

/** Points with a gap after each, so the shared line chart draws markers only. */
function scatter(xs, ys) {
  return xs.flatMap((x, i) => [[x, ys[i]], [x, null]]);
}

function domain(...lists) {
  let lo = Math.min(...lists.map((v) => Math.min(...v)));
  let hi = Math.max(...lists.map((v) => Math.max(...v)));
  if (hi - lo < 1e-9) { lo -= 1; hi += 1; }
  return [lo, hi];
}

function panels(cfg, res) {
  const cls = cfg.block_kind === "plain" ? "sim-plain" : "sim-residual";
  const z = res.zero_branch;
  const dec = res.decomposition;
  let [lo, hi] = domain(z.reference, z.output);
  const zero = lineChart({ title: "Zero branch", xLabel: z.reference_label, yLabel: "y", xDomain: [lo, hi], yDomain: [lo, hi],
    series: [{ name: "y", cls, markers: true, points: scatter(z.reference, z.output) },
      { name: `y = ${z.reference_label}`, cls: "sim-ref", dashed: true, points: [[lo, lo], [hi, hi]] }] });
  [lo, hi] = domain(dec.rhs, dec.lhs);
  const resid = lineChart({ title: "Residual", xLabel: dec.rhs_label, yLabel: dec.lhs_label, xDomain: [lo, hi], yDomain: [lo, hi],
    series: [{ name: "values", cls, markers: true, points: scatter(dec.rhs, dec.lhs) },
      { name: "equal", cls: "sim-ref", dashed: true, points: [[lo, lo], [hi, hi]] }] });
  return [diagram(cfg, res.structure), zero, resid];
}

const fmtSmall = (v) => (v === 0 ? "0 (exactly)" : v.toExponential(2));

function readout(res) {
  const z = res.zero_branch;
  const dec = res.decomposition;
  const st = res.structure;
  const rows = [
    ["zero_branch", "zero branch", z.compare, "max_abs_diff", z.max_abs_diff, fmtSmall(z.max_abs_diff)],
    ["decomposition", "residual", dec.compare, "max_abs_error", dec.max_abs_error, fmtSmall(dec.max_abs_error)],
    ["structure", "block", `parameters (width ${st.d_in} → ${st.d_out})`, "params", st.params, String(st.params)],
  ].map(([kind, name, what, key, value, text]) => h("tr", { "data-kind": kind }, h("th", { scope: "row", text: name }),
    h("td", { "data-key": "compare", text: what }), cell(key, value, text)));
  return table(["measured", "quantity", "value"], rows);
}

/** The block's diagram, both scatter plots and the readout of a blocks_demo result. */
export function view(res, cfg) {
  return output(panels(cfg, res), readout(res));
}

export function mount(root) {
  const ui = frame(root, CONTROLS, {
    label: "Block settings",
    primary: PRIMARY, view, calls,
    staticMessage: "The block was measured when the site was built. Pick a block and press Run to measure it in your browser.",
    async run(config, ui) {
      const res = await ui.task("blocks_demo", config);
      if (ui.stopped) return "";
      ui.draw(res, config);
      ui.progress(1, 1);
      return `Measured: ${title(config)}.`;
    },
  });
  return { root, unmount: ui.unmount };
}
