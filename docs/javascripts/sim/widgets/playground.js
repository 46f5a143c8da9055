// The playground: a plain and a residual network with the same layers and initial weights,
// trained side by side in the reader's browser by simcore (through the worker). Each is drawn
// as its architecture with every weight layer coloured by its gradient norm at the epoch shown
// (‖∂L/∂W‖, the mean over the epoch's steps; one log scale for both networks, so colours
// compare), above its decision boundary; the loss and accuracy curves share axes below.
// The reader can switch single shortcuts of the residual network off and on (simcore's
// `skips`), draw a data set of their own (dataset "custom" with `points`), step one epoch at
// a time and set the pace. Every number comes from simcore.api: the plans from "plan", the
// records from "train" streams. view() also draws the page's static figure at build time
// (scripts/render.py). Shared contract and controls: ../widget.js; the charts are the
// trainer's and the diagrams the architecture widget's.

import { logDomain, sequential } from "../charts.js";
import { encodePoints, frame, h, panel, parseField, snap } from "../widget.js";
import { network } from "./architecture.js";
import { accuracyChart, boundaryOf, finished, lossChart, readout, stoppedAfter, trainBoth } from "./trainer.js";

const KINDS = ["plain", "residual"];
const TITLES = { plain: "Plain network", residual: "Residual network" };
const CONTROLS = [
  ["dataset", "Data set"], ["depth", "Depth"], ["lr", "Learning rate"], ["points", "Your points"],
  ["width", "Width"], ["layout", "Block layout"], ["norm", "Batch norm"], ["activation", "Activation"],
  ["init", "Initialisation"], ["optimizer", "Optimiser"], ["batch_size", "Batch size"],
  ["epochs", "Epochs"], ["noise", "Noise"], ["seed", "Seed"], ["skips", "Shortcuts (1 on, 0 off)"],
];
const PRIMARY = ["dataset", "depth", "lr", "points"];
const SPEEDS = [[0, "full speed"], [100, "10 epochs/s"], [250, "4 epochs/s"], [1000, "1 epoch/s"]];
const fmtE = (v) => (v === null || v === undefined || !Number.isFinite(v) ? "—" : v.toExponential(1));

/** The fields of config that define the networks (the plan task's), every shortcut drawn. */
const arch = (config, taskDefaults) => ({
  ...Object.fromEntries(Object.entries(config).filter(([k]) => k in taskDefaults.plan)), skips: "" });

/** Each network's "train" config: the plain one has no shortcuts to remove; only the custom
 * data set takes the drawn points. */
function configs(config) {
  const c = { ...config, points: config.dataset === "custom" ? config.points : [] };
  return { plain: { ...c, kind: "plain", skips: "" }, residual: { ...c, kind: "residual" } };
}

/** The simcore.api calls a run makes (the plans, then a "train" stream per network). */
export function calls(config, taskDefaults) {
  const each = configs(config);
  return { calls: [["plan", "plan", arch(config, taskDefaults)], ...KINDS.map((k) => [k, "train", each[k]])],
    data: '{"plain": plain["history"], "residual": residual["history"], "plans": plan["plans"]}' };
}

/** One log colour scale for both networks' layer gradients over every epoch recorded. */
function scale(data) {
  const all = KINDS.flatMap((k) => data[k].flatMap((r) => r.grad_norms || []));
  const [lo, hi] = logDomain(all);
  const t = (v) => (Math.log10(v) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo));
  return { lo, hi, colour: (v) => (v !== null && Number.isFinite(v) && v > 0 ? sequential(t(v)) : "none") };
}

function legend({ lo, hi, colour }, epoch) {
  const steps = 9;
  const swatches = Array.from({ length: steps }, (_, i) => {
    const v = 10 ** (Math.log10(lo) + (i / (steps - 1)) * (Math.log10(hi) - Math.log10(lo)));
    return h("span", { class: "sim-swatch", style: `background: ${colour(v)}`, title: fmtE(v) });
  });
  return h("p", { class: "sim-note sim-colour-legend" }, `Layer colour: ‖∂L/∂W‖ at epoch ${epoch}, log scale, `,
    h("span", { "data-key": "grad_lo", text: fmtE(lo) }), " ", ...swatches, " ", h("span", { "data-key": "grad_hi", text: fmtE(hi) }),
    " (one scale for both networks and every epoch).");
}

/** A network's diagram, its layers painted by the gradient of its last record; its CSV rows
 * are every epoch's gradient norm of every layer. */
function diagram(data, config, kind, s, k) {
  const records = data[kind];
  const last = records[records.length - 1];
  const paint = (_, i) => {
    const v = last && last.grad_norms ? last.grad_norms[i] : null;
    return { fill: s.colour(v), note: `‖∂L/∂W‖ = ${fmtE(v)} at epoch ${last ? last.epoch : "—"}` };
  };
  const svg = network(data.plans[kind], kind, config, k,
    { title: TITLES[kind], paint, skips: kind === "residual" ? config.skips : "" });
  svg.plotted = records.flatMap((r) => (r.grad_norms || []).map((v, i) => ["gradient norm by layer", r.epoch, i + 1, v]));
  return svg;
}

/** The figure and readouts of both networks' records ({plain, residual, plans}) at their last
 * epoch: each architecture coloured by gradient above its boundary, then the shared curves
 * (stopped: the run was stopped, see trainer.js's readout). */
export function view(data, config, stopped = false) {
  const s = scale(data);
  const first = data.plans.plain.blocks[0];
  const k = first ? first.last - first.first + 1 : 1;
  const epoch = Math.min(...KINDS.map((kind) => (data[kind].length ? data[kind][data[kind].length - 1].epoch : 0)));
  const nets = h("div", { class: "sim-figure sim-pg-nets" }, ...KINDS.map((kind) => {
    const boundary = boundaryOf(data, kind);
    return h("div", { class: "sim-pg-net", "data-kind": kind },
      h("div", { class: "sim-panel sim-pg-arch" }, diagram(data, config, kind, s, k)), ...(boundary ? [panel(boundary)] : []));
  }));
  const curves = h("div", { class: "sim-figure" }, panel(lossChart(data, config)), panel(accuracyChart(data, config)));
  return h("div", { class: "sim-output" }, nets, legend(s, epoch), curves, readout(data, stopped));
}

// --- the reader's own data: a drawing area for dataset "custom" ---------------------------
const SPAN = 3;    // the area shows [-SPAN, SPAN]² (simcore takes up to ±5)
const SIZE = 240;  // its SVG units
const NS = "http://www.w3.org/2000/svg";
const svgEl = (name, attrs = {}) => {
  const node = document.createElementNS(NS, name);
  for (const [key, v] of Object.entries(attrs)) node.setAttribute(key, String(v));
  return node;
};
const toPx = (v) => ((v + SPAN) / (2 * SPAN)) * SIZE;

/**
 * The drawing area (shown while the data set is "custom"): click or tap adds a point of the
 * chosen class, as do Enter or Space at the cross the arrow keys move; 1–3 choose the class,
 * Backspace undoes. The points live in the frame's "points" control (encoded), so they go into
 * the address and to simcore like any setting.
 */
function drawing(ui) {
  const input = ui.inputs.points;
  const spec = ui.fields.points;
  let cls = 0;
  let cursor = [0, 0];
  const points = () => { try { return parseField("points", spec, input.value); } catch { return []; } };
  const help = h("p", { class: "sim-note", id: `${ui.root.id}-draw-help`,
    text: "Click or tap to add a point of the chosen class. Keyboard: the arrow keys move the cross (Shift: further), "
      + "Enter or Space adds a point there, 1, 2 or 3 chooses the class, Backspace undoes." });
  const area = svgEl("svg", { viewBox: `0 0 ${SIZE} ${SIZE}`, class: "sim-pg-canvas", tabindex: 0, role: "application",
    "aria-label": `Drawing area, x and y from ${-SPAN} to ${SPAN}`, "aria-describedby": help.id });
  const said = h("p", { class: "sim-note", role: "status", "aria-live": "polite" });
  const classes = h("fieldset", { class: "sim-pg-classes" }, h("legend", { text: "Class of new points" }),
    ...[0, 1, 2].map((c) => h("label", {}, h("input", { type: "radio", name: `${ui.root.id}-class`, value: c, checked: c === 0 }),
      h("span", { class: `sim-swatch sim-class-swatch sim-class-${c}` }), ` class ${c}`)));
  const undo = h("button", { type: "button", class: "md-button", "data-action": "undo", text: "Undo" });
  const clear = h("button", { type: "button", class: "md-button", "data-action": "clear", text: "Clear" });
  const box = h("div", { class: "sim-pg-draw", hidden: true }, help,
    h("div", { class: "sim-pg-draw-row" }, area, h("div", {}, classes, h("div", { class: "sim-actions" }, undo, clear), said)));

  function render() {
    const pts = points();
    const marks = [svgEl("rect", { x: 0, y: 0, width: SIZE, height: SIZE, class: "sim-box" })];
    for (let v = -SPAN; v <= SPAN; v += 1) {
      marks.push(svgEl("line", { x1: toPx(v), x2: toPx(v), y1: 0, y2: SIZE, class: v ? "sim-gridline" : "sim-axis" }),
        svgEl("line", { y1: toPx(v), y2: toPx(v), x1: 0, x2: SIZE, class: v ? "sim-gridline" : "sim-axis" }));
    }
    for (const [x, y, c] of pts) marks.push(svgEl("circle", { cx: toPx(x), cy: SIZE - toPx(y), r: 3.2, class: `sim-point sim-class-${c}` }));
    const [cx, cy] = [toPx(cursor[0]), SIZE - toPx(cursor[1])];
    marks.push(svgEl("path", { d: `M${cx - 7},${cy}h14M${cx},${cy - 7}v14`, class: `sim-pg-cursor sim-class-${cls}` }));
    area.replaceChildren(...marks);
    undo.disabled = clear.disabled = !pts.length;
  }

  function set(pts, message) {
    input.value = encodePoints(pts);
    ui.changed();
    said.textContent = message;
  }

  function add(x, y) {
    const pts = points();
    if (pts.length >= spec[1][1]) { said.textContent = `At most ${spec[1][1]} points.`; return; }
    const p = [snap(x), snap(y), cls];
    set([...pts, p], `Added (${p[0]}, ${p[1]}), class ${cls}: ${pts.length + 1} points. Press Run to train on them.`);
  }

  area.addEventListener("click", (e) => {
    const at = new DOMPoint(e.clientX, e.clientY).matrixTransform(area.getScreenCTM().inverse());
    const v = (px) => -SPAN + (px / SIZE) * 2 * SPAN;
    cursor = [snap(v(at.x)), snap(-v(at.y))];
    add(cursor[0], cursor[1]);
  });
  area.addEventListener("keydown", (e) => {
    const d = e.shiftKey ? 0.5 : 0.1;
    const move = { ArrowLeft: [-d, 0], ArrowRight: [d, 0], ArrowUp: [0, d], ArrowDown: [0, -d] }[e.key];
    if (move) {
      cursor = cursor.map((v, i) => snap(Math.min(SPAN, Math.max(-SPAN, v + move[i]))));
      said.textContent = `Cross at (${cursor[0]}, ${cursor[1]}).`;
      render();
    } else if (e.key === "Enter" || e.key === " ") {
      add(cursor[0], cursor[1]);
    } else if (["1", "2", "3"].includes(e.key)) {
      cls = Number(e.key) - 1;
      classes.querySelectorAll("input")[cls].checked = true;
      said.textContent = `New points: class ${cls}.`;
      render();
    } else if (e.key === "Backspace" || e.key === "Delete") {
      undo.click();
    } else {
      return;
    }
    e.preventDefault();
  });
  classes.addEventListener("change", (e) => { cls = Number(e.target.value); render(); });
  undo.addEventListener("click", () => {
    const pts = points();
    if (pts.length) set(pts.slice(0, -1), `Removed the last point: ${pts.length - 1} left.`);
  });
  clear.addEventListener("click", () => set([], "Cleared."));

  return {
    box,
    /** Show the area while the data set is custom; draw the points the control holds. */
    update() {
      const custom = ui.inputs.dataset.value === "custom";
      box.hidden = !custom;
      input.closest(".sim-field").hidden = !custom;
      render();
    },
  };
}

// --- the live page -------------------------------------------------------------------------
export function mount(root) {
  let data = null;       // the run's records and plans
  let pending = null;    // one redraw per animation frame at most
  let current = null;    // the run's config (for a redraw at Stop)
  let stepStart = false; // Step pressed with no run going: start one, paused after its first record
  let pace = 0;
  let pad = null;
  const focusLine = h("p", { class: "sim-note sim-pg-focus", "aria-live": "polite",
    text: "Point at a layer (or Tab to one and use the arrow keys) for its numbers. "
      + "Click a shortcut of the residual network (or press Enter on it) to remove or restore it." });

  const ui = frame(root, CONTROLS, {
    label: "Playground settings",
    actions: ["pause"],
    primary: PRIMARY, view, calls, customData: true,
    onChange: () => { if (pad) pad.update(); },
    // at Stop, draw at once the records received (later ones are dropped): the figure then
    // says the epoch the status line says from the moment it says it
    onStop: () => { if (pending !== null) { cancelAnimationFrame(pending); pending = null; redraw(current); } },
    stoppedMessage: () => stoppedAfter(data),
    async run(config, ui) {
      current = config;
      if (pending !== null) { cancelAnimationFrame(pending); pending = null; }
      const startPaused = stepStart;
      stepStart = false;
      const taskDefaults = JSON.parse(root.dataset.taskDefaults);
      const plans = (await ui.task("plan", arch(config, taskDefaults))).plans;
      if (ui.stopped) return "Stopped.";
      data = { plain: [], residual: [], plans };
      const trained = trainBoth(root, config, ui, data, () => schedule(config), { configs: configs(config), paused: startPaused, maxPerCall: 1 });
      for (const handle of ui.handles) handle.pace(pace);
      if (startPaused) stepAll();
      await trained;
      if (pending !== null) { cancelAnimationFrame(pending); pending = null; }
      if (data.plain.length && data.residual.length) redraw(config);
      return finished(data, config);
    },
  });
  const form = root.querySelector("form.sim-controls");

  // the figure: drawn whole each frame, then made interactive; the focus stays where it was
  function redraw(config) {
    const key = focusKey(document.activeElement);
    ui.draw(data, config, view(data, config, ui.stopped));
    enhance();
    // the epoch both networks are drawn at (what a benchmark or a test can wait for)
    root.dataset.epoch = String(Math.min(data.plain.length, data.residual.length) - 1);
    if (key) {
      const back = root.querySelector(key);
      if (back) back.focus({ preventScroll: true });
    }
    if (ui.paused && root.dataset.state === "running") {
      ui.status.textContent = `Paused at epoch ${Math.min(data.plain.length, data.residual.length) - 1}: Step for one more, Resume to go on.`;
    }
  }

  function schedule(config) {
    if (!data.plain.length || !data.residual.length) return;
    if (pending === null) pending = requestAnimationFrame(() => { pending = null; redraw(config); });
  }

  /** A selector for the layer or shortcut el is (to focus it again after a redraw). */
  function focusKey(el) {
    if (!el || !root.contains(el)) return null;
    const svg = el.closest("svg.sim-arch-one");
    if (!svg) return null;
    const kind = svg.classList.contains("sim-plain") ? "plain" : "residual";
    if (el.dataset.layer !== undefined) return `svg.sim-${kind} rect[data-layer="${el.dataset.layer}"]`;
    if (el.dataset.block !== undefined) return `svg.sim-${kind} g[data-block="${el.dataset.block}"]`;
    return null;
  }

  // layers: one tab stop per network, the arrow keys move along it (roving tabindex);
  // shortcuts: one tab stop, arrows move, Enter or Space switches (role switch)
  const at = { plain: 0, residual: 0, arc: 0 };
  function enhance() {
    for (const svg of root.querySelectorAll(".sim-output svg.sim-arch-one")) {
      const kind = svg.classList.contains("sim-plain") ? "plain" : "residual";
      svg.querySelectorAll("rect[data-layer]").forEach((r, i) => {
        r.setAttribute("tabindex", i === at[kind] ? "0" : "-1");
        r.setAttribute("role", "img");
        r.setAttribute("aria-label", r.querySelector("title").textContent);
      });
      svg.querySelectorAll("g.sim-arch-shortcut").forEach((g, i) => {
        const on = !g.classList.contains("sim-arch-off");
        g.setAttribute("tabindex", i === at.arc ? "0" : "-1");
        g.setAttribute("role", "switch");
        g.setAttribute("aria-checked", String(on));
        g.setAttribute("aria-label", `Shortcut around block ${Number(g.dataset.block) + 1}`);
      });
    }
    if (selected) say(selected);
  }

  let selected = null;  // the selector of the layer whose numbers the line below shows
  function say(selector) {
    const r = root.querySelector(selector);
    if (r) focusLine.textContent = r.querySelector("title").textContent;
  }

  const pickLayer = (e) => {
    const r = e.target.closest && e.target.closest("rect[data-layer]");
    if (!r || !root.contains(r)) return;
    selected = focusKey(r);
    say(selected);
  };
  root.addEventListener("pointerover", pickLayer);
  root.addEventListener("focusin", pickLayer);

  /** Remove or restore the shortcut of block b, then train that network: the network of the
   * settings, whose depth may differ from the figure's (a link's, not yet run). */
  function toggle(g) {
    const b = Number(g.dataset.block);
    const svg = g.ownerSVGElement;
    const shown = svg.querySelectorAll("g.sim-arch-shortcut").length;
    const k = (svg.querySelectorAll("rect[data-layer]").length - 2) / shown;  // layers per block
    const nb = (Number(ui.inputs.depth.value) - 2) / k;
    if (!Number.isInteger(nb) || b >= nb) {
      ui.status.textContent = `Block ${b + 1} is not in the network of the depth set; press Run to draw that network first.`;
      return;
    }
    const now = ui.inputs.skips.value.length === nb ? ui.inputs.skips.value : "1".repeat(nb);
    const next = now.slice(0, b) + (now[b] === "0" ? "1" : "0") + now.slice(b + 1);
    ui.inputs.skips.value = /^1*$/.test(next) ? "" : next;
    // the switch answers at once; the network trains from scratch (a different network)
    g.classList.toggle("sim-arch-off", next[b] === "0");
    g.setAttribute("aria-checked", String(next[b] === "1"));
    ui.status.textContent = `Shortcut around block ${b + 1} ${next[b] === "1" ? "restored" : "removed"}: training that network…`;
    form.requestSubmit();
  }

  root.addEventListener("click", (e) => {
    const g = e.target.closest && e.target.closest("g.sim-arch-shortcut");
    if (g && root.contains(g) && g.hasAttribute("role")) toggle(g);
  });
  root.addEventListener("keydown", (e) => {
    const el = e.target;
    const svg = el.closest && el.closest("svg.sim-arch-one");
    if (!svg) return;
    const arc = el.dataset.block !== undefined;
    const items = [...svg.querySelectorAll(arc ? "g.sim-arch-shortcut" : "rect[data-layer]")];
    const i = items.indexOf(el);
    if (i < 0) return;
    if (arc && (e.key === "Enter" || e.key === " ")) {
      e.preventDefault();
      toggle(el);
      return;
    }
    const to = { ArrowRight: i + 1, ArrowDown: i + 1, ArrowLeft: i - 1, ArrowUp: i - 1, Home: 0, End: items.length - 1 }[e.key];
    if (to === undefined) return;
    e.preventDefault();
    const j = Math.min(items.length - 1, Math.max(0, to));
    items[i].setAttribute("tabindex", "-1");
    items[j].setAttribute("tabindex", "0");
    if (arc) at.arc = j;
    else at[svg.classList.contains("sim-plain") ? "plain" : "residual"] = j;
    items[j].focus();
  });

  // depth changes the number of blocks: the shortcut switches start again all on
  form.addEventListener("change", (e) => {
    if (e.target === ui.inputs.depth) ui.inputs.skips.value = "";
    pad.update();
  });

  // Step: one more epoch of both networks, then paused (a new run when none is going)
  const stepButton = h("button", { type: "button", class: "md-button", "data-action": "step", text: "Step" });
  function stepAll() {
    for (const handle of ui.handles) handle.step();
    ui.paused = true;
    ui.buttons.pause.textContent = "Resume";
  }
  stepButton.addEventListener("click", () => {
    if (root.dataset.state === "running" && ui.handles.length) {
      stepAll();
      ui.status.textContent = "Stepping one epoch…";
    } else if (root.dataset.state !== "loading") {
      stepStart = true;
      form.requestSubmit();
    }
  });
  const speed = h("select", { class: "sim-pg-speed", "aria-label": "Speed" },
    ...SPEEDS.map(([ms, text]) => h("option", { value: ms, text })));
  speed.addEventListener("change", () => {
    pace = Number(speed.value);
    for (const handle of ui.handles) handle.pace(pace);
  });
  ui.buttons.pause.after(stepButton);
  ui.buttons.reset.after(h("label", { class: "sim-pg-speed-label" }, "Speed ", speed));
  new MutationObserver(() => { stepButton.disabled = root.dataset.state === "loading"; })
    .observe(root, { attributes: true, attributeFilter: ["data-state"] });

  pad = drawing(ui);
  form.after(pad.box);
  pad.update();
  root.querySelector(".sim-output").before(focusLine);
  enhance();
  return { root, unmount: ui.unmount };
}
