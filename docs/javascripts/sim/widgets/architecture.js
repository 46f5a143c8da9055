// The architecture diagram: plain and residual nets of one configuration side by side, one box
// per weight layer, shortcuts as dashed arcs. view() draws the plans of simcore.nets.plan,
// which scripts/widgets/architecture.py computes at build time (scripts/render.py draws the
// page's static figure with view()). It redraws as the controls change, without Python: plan()
// puts each plan together from the rules that module looked up in simcore for every setting of
// the controls (root's data-rules): the blocks a depth makes, the widths through a block and
// the ops of the stem, block and head.
// Shared contract and controls: ../widget.js (Run simply redraws; data-state done after).

import { cell, frame, h, output, table } from "../widget.js";

const NS = "http://www.w3.org/2000/svg";
const CONTROLS = [["depth", "Depth"], ["width", "Width"], ["layout", "Block layout"], ["bottleneck", "Bottleneck"]];
const KINDS = ["plain", "residual"];

/** Download data: every weight layer of both plans, one row each. */
export function csv({ plans }) {
  const rows = [["network", "layer", "role", "block", "in", "out", "ops"]];
  for (const k of KINDS) plans[k].layers.forEach((l, i) => rows.push([k, i, l.role, l.block ?? "", l.in, l.out, l.ops.join(" ")]));
  return `${rows.map((r) => r.join(",")).join("\n")}\n`;
}

/** The simcore.api call that gives the plans natively, for Copy as Python. */
export function calls(config) {
  return { calls: [["plan", "plan", config]], data: '{"plans": plan["plans"]}' };
}
const W = 320;
const H = 220;
const X0 = 8;
const X1 = 312;
const ROWS = { plain: [34, 64], residual: [108, 168] };  // label baseline, wire
const BOX_MAX = 40;
const BOX_MIN = 6;
const ARC_GAP = 22;
const ONE_H = 140;   // network(): one row
const ONE_MID = 82;

/** A coordinate rounded to 1/100. */
const num = (v) => String(Math.floor(v * 100 + 0.5) / 100);

function el(name, attrs = {}, ...children) {
  const node = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  node.append(...children);
  return node;
}

function depthError(message) {
  const err = new Error(message);
  err.field = "depth";
  return err;
}

/**
 * The plan of the plain or residual network of config cfg, as simcore.nets.plan gives it
 * ({layers: [{role, block, index, in, out, ops}], blocks: [{first, last, shortcut, after}]}),
 * put together from the rules: the stem, the block as many times as the depth makes, the head.
 * Throws simcore's own message (field "depth") when the depth cannot be built.
 */
export function plan(cfg, rules, kind) {
  const type = cfg.bottleneck ? "bottleneck" : "basic";
  const count = rules.depths[type][cfg.depth];
  if (typeof count === "string") throw depthError(count);
  const widths = rules.widths[type][cfg.width];
  const u = rules.units[cfg.layout][type][kind];
  const layers = [{ role: "stem", block: null, index: null, in: rules.d_in, out: widths[0], ops: u.stem }];
  const blocks = [];
  for (let b = 0; b < count; b++) {
    const first = layers.length;
    u.block.forEach((ops, j) => layers.push({ role: "block", block: b, index: j, in: widths[j], out: widths[j + 1], ops }));
    blocks.push({ first, last: layers.length - 1, shortcut: u.shortcut, after: u.after });
  }
  layers.push({ role: "head", block: null, index: null, in: widths[widths.length - 1], out: rules.n_classes, ops: u.head });
  return { layers, blocks };
}

function layerText(layer, p, k, i) {
  let ops = layer.ops.map((op) => (op === "dense" ? `dense ${layer.in}→${layer.out}` : op)).join(" → ");
  let where;
  if (layer.role === "stem") where = `layer ${i} (stem)`;
  else if (layer.role === "head") where = `layer ${i} (head)`;
  else {
    where = `layer ${i} (block ${layer.block + 1}, layer ${layer.index + 1} of ${k})`;
    const block = p.blocks[layer.block];
    if (layer.index === k - 1) {
      if (block.shortcut) ops += ` → + ${block.shortcut} shortcut`;
      ops += block.after.map((a) => ` → ${a}`).join("");
    }
  }
  return `${where}: ${ops}`;
}

/** The layer boxes and shortcut arcs of plan p (a network of the given kind) along the wire
 * at height mid of svg, n boxes of step units from X0. paint(kind, i), when given, colours
 * layer i: {fill, note} (note ends its title). skips, when given (simcore's field: "0" removes
 * block b's shortcut), draws a removed shortcut faint, without its addition, and gives every
 * shortcut a wide transparent path to point at. Each box carries
 * data-layer, each shortcut a group with data-block (what the playground makes interactive). */
function row(svg, p, kind, mid, k, cfg, paint, skips = null) {
  const n = p.layers.length;
  const step = (X1 - X0) / n;
  const bw = Math.max(0.8, step * 0.72);
  svg.append(el("line", { x1: X0, x2: X1, y1: mid, y2: mid, class: "sim-arch-wire" }));
  p.layers.forEach((layer, i) => {
    const bh = Math.max(BOX_MIN, BOX_MAX * Math.min(1, layer.out / cfg.width));
    const odd = layer.role === "block" && layer.block % 2 ? " sim-arch-odd" : "";
    const painted = paint ? paint(kind, i) : null;
    svg.append(el("rect", { x: num(X0 + i * step + (step - bw) / 2), y: num(mid - bh / 2), width: num(bw), height: num(bh),
      class: `sim-arch-layer sim-arch-${layer.role}${odd}`, "data-layer": i, ...(painted ? { style: `fill: ${painted.fill}` } : {}) },
    el("title", {}, `${kind} ${layerText(layer, p, k, i + 1)}${painted ? `; ${painted.note}` : ""}`)));
  });
  p.blocks.forEach((b, index) => {
    if (!b.shortcut) return;
    const off = skips !== null && skips[index] === "0";
    const xa = X0 + b.first * step;
    const xb = X0 + (b.last + 1) * step;
    const top = mid - ARC_GAP;
    const a = Math.min(14, Math.max(4, (xb - xa) * 0.35));
    const xm = (xa + xb) / 2;
    const proj = b.shortcut === "projection";
    const d = `M${num(xa)},${num(mid)}L${num(xa)},${num(top)}Q${num(xm)},${num(top - 2 * a)} `
      + `${num(xb)},${num(top)}L${num(xb)},${num(mid)}`;
    const g = el("g", { class: `sim-arch-shortcut${off ? " sim-arch-off" : ""}`, "data-block": index });
    // a target to point at: the cap between the arc and its chord, and a wide band along the arc
    if (skips !== null) g.append(el("path", { d: `M${num(xa)},${num(top)}Q${num(xm)},${num(top - 2 * a)} ${num(xb)},${num(top)}Z`, class: "sim-arch-hit" }));
    g.append(el("path", { d, class: "sim-arch-skip" + (proj ? " sim-arch-projection" : "") }));
    if (proj) {
      g.append(el("rect", { x: num(xm - 3), y: num(top - a - 3), width: 6, height: 6, class: "sim-arch-proj" },
        el("title", {}, "projection shortcut")));
    }
    if (!off) {
      g.append(el("circle", { cx: num(xb), cy: num(mid), r: num(Math.min(3.5, step * 0.4)),
        class: "sim-arch-add" + (b.after.length ? " sim-arch-post" : "") }));
    }
    svg.append(g);
  });
}

/** The diagram: one row per kind, one box per weight layer (height ∝ output width), the
 * residual row's shortcuts as dashed arcs ending in the addition; k layers per block.
 * paint(kind, i), when given, colours layer i of that kind: {fill, note} (note ends its title). */
export function draw(plans, cfg, k, paint = null) {
  const n = plans.plain.layers.length;
  const nb = plans.plain.blocks.length;
  const label = `Plain and residual networks of depth ${cfg.depth}, width ${cfg.width}, `
    + `${cfg.layout}-activation${cfg.bottleneck ? ", bottleneck" : ""}: `
    + `${n} weight layers each, ${nb} blocks; the residual one has ${nb} shortcuts`;
  const svg = el("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": label, class: "sim-chart sim-arch-diagram" });
  svg.append(el("text", { x: X0, y: 16, class: "sim-chart-title" }, `Depth ${cfg.depth} = stem + ${nb} blocks × ${k} + head`));
  for (const kind of KINDS) {
    const p = plans[kind];
    const [ly, mid] = ROWS[kind];
    const shortcuts = p.blocks.filter((b) => b.shortcut).length;
    const note = `${kind}: ${n} weight layers` + (shortcuts ? `, ${shortcuts} shortcuts` : ", no shortcuts");
    svg.append(el("text", { x: X0, y: ly, class: `sim-legend sim-arch-name sim-${kind}` }, note));
    row(svg, p, kind, mid, k, cfg, paint);
  }
  svg.append(legend(plans.residual, 204));
  return svg;
}

/** The key under a diagram at height y: weight layer, shortcut, addition. */
function legend(residual, y) {
  const after = residual.blocks.length ? residual.blocks[0].after : [];
  const g = el("g", { class: "sim-arch-key" });
  g.append(
    el("rect", { x: X0, y: y, width: 8, height: 10, class: "sim-arch-layer sim-arch-block" }),
    el("text", { x: X0 + 12, y: y + 9, class: "sim-legend" }, "weight layer (height ∝ width)"),
    el("path", { d: `M162,${y + 5}L180,${y + 5}`, class: "sim-arch-skip sim-arch-legend" }),
    el("text", { x: 184, y: y + 9, class: "sim-legend" }, "shortcut"),
    el("circle", { cx: 236, cy: y + 5, r: 3.5, class: "sim-arch-add" + (after.length ? " sim-arch-post" : "") }),
    el("text", { x: 243, y: y + 9, class: "sim-legend" }, "add" + after.map((x) => `, then ${x}`).join("")),
  );
  return g;
}

/**
 * One network of a configuration as its own diagram (the playground's): plan p of that kind
 * in one row under title, layers painted as in draw(), removed shortcuts (skips) faint, and
 * the key. role "group": the page may make its layers and shortcuts focusable.
 */
export function network(p, kind, cfg, k, { title, paint = null, skips = "" }) {
  const n = p.layers.length;
  const shortcuts = p.blocks.filter((b) => b.shortcut).length;
  const on = p.blocks.filter((b, i) => b.shortcut && skips[i] !== "0").length;
  const note = `${n} weight layers` + (shortcuts ? `, ${on} of ${shortcuts} shortcuts on` : ", no shortcuts");
  const svg = el("svg", { viewBox: `0 0 ${W} ${ONE_H}`, role: "group", "aria-label": `${title}: ${note}`,
    class: `sim-chart sim-arch-diagram sim-arch-one sim-${kind}` });
  svg.append(el("text", { x: X0, y: 16, class: "sim-chart-title" }, title));
  svg.append(el("text", { x: X0, y: 32, class: `sim-legend sim-arch-name sim-${kind}` }, note));
  row(svg, p, kind, ONE_MID, k, cfg, paint, skips);
  svg.append(legend(p, ONE_H - 16));
  return svg;
}

function readout(plans) {
  const rows = KINDS.map((kind) => {
    const p = plans[kind];
    const values = { weight_layers: p.layers.length, blocks: p.blocks.length,
      identity: p.blocks.filter((b) => b.shortcut === "identity").length,
      projection: p.blocks.filter((b) => b.shortcut === "projection").length };
    return h("tr", { "data-kind": kind }, h("th", { scope: "row", text: kind }),
      ...Object.entries(values).map(([key, v]) => cell(key, v, String(v))));
  });
  return table(["network", "weight layers", "blocks", "identity shortcuts", "projection shortcuts"], rows);
}

/** The diagram and readout of data.plans ({plain, residual}, as simcore.nets.plan gives them). */
export function view(data, cfg) {
  const { plans } = data;
  const first = plans.plain.blocks[0];
  return output([draw(plans, cfg, first.last - first.first + 1)], readout(plans));
}

export function mount(root) {
  const rules = JSON.parse(root.dataset.rules);

  const ui = frame(root, CONTROLS, {
    label: "Network configuration",
    runtime: false,  // drawing needs no Python: never start the runtime for this widget
    view, calls, csv,
    staticMessage: "The diagram was drawn when the site was built; it redraws as you change the settings.",
    async run(config, ui) {
      ui.setState("running", "Drawing…");
      const plans = Object.fromEntries(KINDS.map((kind) => [kind, plan(config, rules, kind)]));
      ui.draw({ plans }, config);
      ui.progress(1, 1);
      return `Drawn: ${plans.plain.layers.length} weight layers, ${plans.plain.blocks.length} blocks.`;
    },
  });
  // Redraw as the controls change (a text field changes when it is committed: Enter or blur).
  root.querySelector("form.sim-controls").addEventListener("change", () => ui.buttons.run.click());
  ui.buttons.reset.addEventListener("click", () => ui.buttons.run.click());  // after the frame's reset
  return { root, unmount: ui.unmount };
}
