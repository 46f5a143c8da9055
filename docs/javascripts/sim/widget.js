// What every widget shares: controls built from the simcore.api field spec, validation with a
// message next to the control, the configuration in the URL hash (parsed as data, never HTML),
// the action buttons, the progress bar and status line, and the data-state contract:
//   static | loading | running | done | error, with a [data-action="run"] button.
// A widget supplies its controls and a run(config, ui) function; see widgets/trainer.js.
//
// The URL hash is data, never HTML or code: `#<id>?field=value&...` (any other hash, such as a
// heading's anchor, is left alone) is read with URLSearchParams, whose percent-decoding never
// throws, and each value is checked by parseField and only ever set as a control's value.
// A value that is bad, longer than HASH_VALUE_MAX characters or given twice leaves its control
// at the default, with the message next to it; keys that are not controls of this widget are
// ignored, and the status line names them. Messages are set as text (textContent), never HTML.

import * as bridge from "./bridge.js";

const HASH_VALUE_MAX = 200;
// Points (a field of kind "points", the reader's own data) travel compactly: four base64url
// characters a point, x and y on a 0.01 grid in [-5, 5] and the class, 0 to 2 (see encodePoints).
const POINT_CHARS = 4;
const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const GRID = 100;      // steps per unit
const COORD = 5;       // |x|, |y| at most (simcore.data.COORD_MAX)
const LEVELS = 2 * COORD * GRID + 1;
const CLASSES = 3;

/** A coordinate on the points' 0.01 grid (the value simcore gets, the same double in Python). */
export const snap = (v) => (Math.round((Math.min(COORD, Math.max(-COORD, v)) + COORD) * GRID) - COORD * GRID) / GRID;

/** Points [[x, y, class], ...] (on the grid of snap) as text, four characters a point. */
export function encodePoints(points) {
  return points.map(([x, y, c]) => {
    const v = ((Math.round((x + COORD) * GRID) * LEVELS) + Math.round((y + COORD) * GRID)) * CLASSES + c;
    return [18, 12, 6, 0].map((s) => B64[(v >> s) & 63]).join("");
  }).join("");
}

/** The points of encodePoints' text; throws on text that is not such points. */
export function decodePoints(text) {
  if (text.length % POINT_CHARS) throw new Error("not whole points");
  const points = [];
  for (let i = 0; i < text.length; i += POINT_CHARS) {
    let v = 0;
    for (const ch of text.slice(i, i + POINT_CHARS)) {
      const d = B64.indexOf(ch);
      if (d < 0) throw new Error(`${JSON.stringify(ch)} is not a point character`);
      v = v * 64 + d;
    }
    const c = v % CLASSES;
    const q = (v - c) / CLASSES;
    const qy = q % LEVELS;
    const qx = (q - qy) / LEVELS;
    if (qx >= LEVELS) throw new Error(`point ${i / POINT_CHARS} is off the grid`);
    points.push([(qx - COORD * GRID) / GRID, (qy - COORD * GRID) / GRID, c]);
  }
  return points;
}

/** The longest value a link may give a field (a drawing of the most points allowed). */
const hashMax = ([kind, allowed]) => (kind === "points" ? POINT_CHARS * allowed[1] : HASH_VALUE_MAX);
const SHOWN_MAX = 80;  // characters of a bad value repeated in its message
// A number as a reader types it: decimal, optional sign, fraction and exponent. Not "0x10",
// "1_000", "Infinity" or "１２", which Number() would take or a reader would not mean.
const DECIMAL = /^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i;

export function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === false || v === null || v === undefined) continue;
    if (k === "text") node.textContent = v;
    else node.setAttribute(k, v === true ? "" : String(v));
  }
  node.append(...children);
  return node;
}

function describe(kind, allowed) {
  if (kind === "choice") return `one of ${allowed.join(", ")}`;
  if (kind === "bool") return "true or false";
  if (kind === "bits") return `a string of at most ${allowed[1]} characters 0 or 1`;
  if (kind === "points") return `at most ${allowed[1]} points drawn (${POINT_CHARS} characters each)`;
  const what = { int: "an integer", float: "a number", ints: "a list of integers" }[kind];
  return `${what} in [${allowed[0]}, ${allowed[1]}]`;
}

/** Parse one control's text into the JSON value simcore.api expects, or throw its message. */
export function parseField(field, spec, raw) {
  const [kind, allowed] = spec;
  const text = String(raw).trim();
  const numeric = kind !== "choice" && text !== "" && /^[-+0-9.,eE]+$/.test(text);
  const whole = numeric ? text : String(raw);
  const cut = whole.length > SHOWN_MAX ? `… (${whole.length} characters)` : "";
  const shown = (numeric ? whole.slice(0, SHOWN_MAX) : JSON.stringify(whole.slice(0, SHOWN_MAX))) + cut;
  const bad = (why) => new Error(`${field}: ${shown} is not allowed${why ? ` (${why})` : ""}; expected ${describe(kind, allowed)}`);
  if (kind === "bool") {
    if (raw === true || raw === "true") return true;
    if (raw === false || raw === "false") return false;
    throw bad();
  }
  if (kind === "choice") {
    if (!allowed.includes(raw)) throw bad();
    return raw;
  }
  if (kind === "bits") {
    if (!/^[01]*$/.test(text) || text.length > allowed[1]) throw bad();
    return text;
  }
  if (kind === "points") {
    let points;
    try {
      points = decodePoints(text);
    } catch (err) {
      throw bad(err.message);
    }
    if (points.length > allowed[1]) throw bad(`${points.length} points`);
    return points;
  }
  const number = (text) => {
    const t = String(text).trim();
    if (!DECIMAL.test(t)) throw bad(t === "" ? "empty" : "not a number");
    const v = Number(t);
    if (!Number.isFinite(v)) throw bad("out of range");  // 1e999
    if ((kind === "int" || kind === "ints") && !Number.isInteger(v)) throw bad("not an integer");
    if (v < allowed[0] || v > allowed[1]) throw bad("out of range");
    return v;
  };
  if (kind === "ints") {
    const values = String(raw).split(",").map(number);
    if (values.some((v, i) => i > 0 && v <= values[i - 1])) throw bad("must be strictly ascending");
    if (values.length < 1 || values.length > 8) throw bad("need 1 to 8 values");
    return values;
  }
  return number(raw);
}

/**
 * Build the shared frame inside root and return the ui a widget drives.
 * controls: [[field, label], ...] whose specs are in root's data-fields.
 * options.run(config, ui): async, the widget's work; ui.running/ui.stopped tell it to stop.
 * options.actions: extra buttons, e.g. ["pause"] to show Pause/Resume (ui.paused).
 * options.runtime: false for a widget that draws without Python (no prewarm of the runtime).
 * options.onStop(ui), options.stoppedMessage(ui): at Stop, before and for the status line.
 */
export function frame(root, controls, options) {
  const defaults = JSON.parse(root.dataset.config);
  const fields = JSON.parse(root.dataset.fields);
  const id = root.id || root.dataset.sim;
  const form = h("form", { class: "sim-controls", novalidate: true, "aria-label": options.label || "Settings" });
  // the settings that carry the widget's point stay in view; the rest go under "More settings"
  const primary = options.primary || controls.map(([field]) => field);
  const moreFields = h("div", { class: "sim-more-fields" });
  const more = h("details", { class: "sim-more" }, h("summary", { text: "More settings" }), moreFields);
  const inputs = {};
  const errors = {};
  for (const [field, label] of controls) {
    const [kind, allowed] = fields[field];
    const inputId = `${id}-${field}`;
    let input;
    if (kind === "choice") {
      input = h("select", { id: inputId, name: field });
      // "custom" (the reader's own points) needs a way to draw them: only where a widget has one
      for (const option of allowed) {
        if (field === "dataset" && option === "custom" && !options.customData) continue;
        input.append(h("option", { value: option, text: option }));
      }
    } else if (kind === "bool") {
      input = h("input", { id: inputId, name: field, type: "checkbox" });
    } else if (kind === "points") {
      // drawn, not typed: the widget draws them (options.customData) and sets this value
      input = h("input", { id: inputId, name: field, type: "hidden" });
    } else {
      input = h("input", { id: inputId, name: field, type: "text", autocomplete: "off", spellcheck: "false",
        inputmode: kind === "float" ? "decimal" : kind === "int" ? "numeric" : "text" });
    }
    const error = h("span", { class: "sim-error", id: `${inputId}-error`, role: "alert" });
    input.setAttribute("aria-describedby", error.id);
    inputs[field] = input;
    errors[field] = error;
    const name = kind === "points" ? h("span", { class: "sim-field-name", text: label }) : h("label", { for: inputId, text: label });
    const count = kind === "points" ? h("output", { class: "sim-point-count", for: inputId }) : "";
    (primary.includes(field) ? form : moreFields)
      .append(h("div", { class: `sim-field sim-field-${kind}` }, name, input, count, error));
  }
  if (moreFields.children.length) form.append(more);
  const buttons = {
    run: h("button", { type: "submit", class: "md-button md-button--primary", "data-action": "run", text: "Run" }),
  };
  if ((options.actions || []).includes("pause")) {
    buttons.pause = h("button", { type: "button", class: "md-button", "data-action": "pause", text: "Pause", disabled: true });
  }
  buttons.stop = h("button", { type: "button", class: "md-button", "data-action": "stop", text: "Stop", disabled: true });
  buttons.reset = h("button", { type: "button", class: "md-button", "data-action": "reset", text: "Reset" });
  buttons.retry = h("button", { type: "button", class: "md-button", "data-action": "retry", text: "Retry", hidden: true });
  const bar = h("progress", { class: "sim-progress", max: 1, value: 0, "aria-label": "Progress" });
  const status = h("span", { class: "sim-status", role: "status", "aria-live": "polite" });
  form.append(h("div", { class: "sim-actions" }, ...Object.values(buttons).filter((b) => b !== buttons.retry), bar, status, buttons.retry));
  root.prepend(form);
  const tools = options.view ? reproduce(root, options) : null;

  const ui = {
    root, defaults, fields, inputs, errors, buttons, bar, status,
    running: false, stopped: false, paused: false, handles: [],
    setState(state, message = "") {
      const focused = Object.values(buttons).find((b) => b && b === document.activeElement);
      root.dataset.state = state;
      status.textContent = message;
      buttons.run.disabled = state === "loading" || state === "running";
      buttons.stop.disabled = state !== "running" && state !== "loading";
      if (buttons.pause) {
        buttons.pause.disabled = state !== "running";
        if (state !== "running") { ui.paused = false; buttons.pause.textContent = "Pause"; }
      }
      buttons.retry.hidden = state !== "error" || !root.dataset.runtimeError;
      // a button that becomes disabled under the keyboard's focus would drop the focus to the
      // page: hand it to the button that does the next thing (Run → Pause or Stop → Retry or Run)
      if (focused && (focused.disabled || focused.hidden)) {
        const next = focused === buttons.run ? [buttons.pause, buttons.stop] : [buttons.retry, buttons.run];
        const to = next.find((b) => b && !b.disabled && !b.hidden);
        if (to) to.focus();
      }
    },
    progress(done, total) { bar.max = Math.max(total, 1); bar.value = done; },
    onProgress(p) {
      if (root.dataset.state !== "loading") return;
      ui.progress(p.done, p.total);
      if (p.stage === "ready") {
        if (!ui.stopped) ui.setState("running", "Running…");  // the call is on its way to Python
      } else {
        status.textContent = `Loading ${p.stage} (${p.done + 1} of ${p.total})…`;
      }
    },
    /** Run one simcore.api task in the worker (loading the runtime first if needed). */
    async task(name, config) {
      const call = { busy: true };
      inflight = call;
      try {
        const result = await bridge.run(name, config, ui.onProgress);
        if (root.dataset.state === "loading" && !ui.stopped) ui.setState("running", "Running…");
        return result;
      } finally {
        call.busy = false;
      }
    },
    /** Load the runtime, then show "running" (for widgets that make several calls). */
    async begin() {
      await bridge.start(ui.onProgress);
      if (root.dataset.state === "loading" && !ui.stopped) ui.setState("running", "Running…");
    },
    fieldError(field, message) {
      if (!errors[field]) return false;
      errors[field].textContent = message;
      inputs[field].setAttribute("aria-invalid", "true");
      if (moreFields.contains(inputs[field])) more.open = true;  // a message is never hidden
      return true;
    },
    /** Tell the frame a control's value was set by the widget (a drawing's points): the
     * point counts follow, then options.onChange. */
    changed() {
      for (const [field] of controls) {
        if (fields[field][0] !== "points") continue;
        let n = 0;
        try { n = parseField(field, fields[field], inputs[field].value).length; } catch { n = null; }
        const out = inputs[field].parentNode.querySelector("output");
        if (out) out.textContent = n === null ? "—" : n === 1 ? "1 point" : `${n} points`;
      }
      if (options.onChange) options.onChange();
    },
    /** Draw what the run computed (options.view, or a node the widget drew from it) and keep
     * it for Copy as Python and Download data. */
    draw(data, config, node = options.view(data, config)) {
      show(root, node);
      if (tools) tools.update(data, config);
    },
  };

  /** The text a control holds for value v of field. */
  const textOf = (field, v) => (fields[field][0] === "points" ? encodePoints(v) : Array.isArray(v) ? v.join(",") : String(v));

  function write(config) {
    for (const [field] of controls) {
      const input = inputs[field];
      const v = config[field];
      if (input.type === "checkbox") input.checked = Boolean(v);
      else input.value = textOf(field, v);
    }
    ui.changed();
  }

  function read() {
    const config = { ...defaults };
    let ok = true;
    for (const [field] of controls) {
      const input = inputs[field];
      try {
        config[field] = parseField(field, fields[field], input.type === "checkbox" ? input.checked : input.value);
        errors[field].textContent = "";
        input.removeAttribute("aria-invalid");
      } catch (err) {
        ui.fieldError(field, err.message);
        ok = false;
      }
    }
    return ok ? config : null;
  }

  /** Apply the link's settings (see the top of this file); return a note for the status line. */
  function fromHash() {
    const prefix = `#${id}?`;
    if (!location.hash.startsWith(prefix)) return "";
    const params = new URLSearchParams(location.hash.slice(prefix.length));
    let bad = 0;
    for (const [field] of controls) {
      const values = params.getAll(field);
      if (!values.length) continue;
      const value = values[0];
      const input = inputs[field];
      try {
        if (values.length > 1) throw new Error(`${field}: given ${values.length} times in the link; expected once, ${describe(...fields[field])}`);
        if (value.length > hashMax(fields[field])) {
          throw new Error(`${field}: ${JSON.stringify(value.slice(0, 40))}… (${value.length} characters) is not allowed (too long); expected ${describe(...fields[field])}`);
        }
        parseField(field, fields[field], value);
      } catch (err) {
        ui.fieldError(field, err.message);
        bad += 1;
        continue;
      }
      if (input.type === "checkbox") input.checked = value === "true";
      else input.value = value;
      if (moreFields.contains(input) && value !== textOf(field, defaults[field])) more.open = true;
    }
    ui.changed();
    const unknown = [...new Set(params.keys())].filter((k) => !controls.some(([field]) => field === k));
    const notes = [];
    if (bad) notes.push("The link's settings marked below were not used.");
    if (unknown.length) {
      const names = unknown.slice(0, 5).map((k) => JSON.stringify(k.slice(0, 40))).join(", ");
      notes.push(`Ignored in the link (not settings of this simulation): ${names}${unknown.length > 5 ? ", …" : ""}.`);
    }
    return notes.join(" ");
  }

  function toHash(config) {
    const params = new URLSearchParams();
    for (const [field] of controls) {
      params.set(field, textOf(field, config[field]));
    }
    history.replaceState(null, "", `#${id}?${params}`);
  }

  let inflight = null;  // {busy} of this widget's call in the worker
  const builtChart = root.querySelector(".sim-figure svg");  // the build-time figure's first chart
  function stopAll() {
    ui.stopped = true;
    ui.running = false;
    for (const handle of ui.handles) handle.stop();
    ui.handles = [];
    const call = inflight;
    if (call && call.busy) bridge.restartIfStillBusy(() => call.busy);
  }

  async function start() {
    const config = read();
    if (!config) {
      status.textContent = "Fix the highlighted setting first.";
      return;
    }
    stopAll();
    toHash(config);
    delete root.dataset.runtimeError;
    if (inflight && inflight.busy) bridge.restart();  // a stopped call still computing: start afresh
    ui.stopped = false;
    ui.running = true;
    const loaded = options.runtime === false || bridge.isReady();  // nothing to load, or loaded
    ui.setState(loaded ? "running" : "loading", loaded ? "Running…" : "Loading the Python runtime…");
    const token = {};
    ui.token = token;
    try {
      const message = await options.run(config, ui);
      if (ui.token === token && !ui.stopped) ui.setState("done", message || "Done.");
    } catch (err) {
      if (ui.token !== token) return;
      if (err.field && ui.fieldError(err.field, err.message)) {
        ui.setState("error", "Fix the highlighted setting first.");
      } else if (/restarted/.test(err.message)) {
        // another widget on this page stopped a long call and the shared worker restarted
        if (!ui.stopped) ui.setState("done", "The simulation was interrupted when the runtime restarted; press Run to start again.");
      } else {
        root.dataset.runtimeError = "true";
        // a run that failed part-way (the worker crashed) may have drawn live epochs already
        const built = builtChart && root.querySelector(".sim-figure svg") === builtChart;
        ui.setState("error", `The simulation could not run here: ${err.message} ${built || !builtChart
          ? "The figure below was computed when the site was built." : "The figure shows what was computed before it stopped."}`);
      }
    } finally {
      if (ui.token === token) ui.running = false;
    }
  }

  form.addEventListener("submit", (e) => { e.preventDefault(); start(); });
  buttons.stop.addEventListener("click", () => {
    stopAll();
    if (options.onStop) options.onStop(ui);  // e.g. draw the records received, before the message
    ui.setState("done", options.stoppedMessage ? options.stoppedMessage(ui) : "Stopped.");
  });
  if (buttons.pause) {
    buttons.pause.addEventListener("click", () => {
      ui.paused = !ui.paused;
      for (const handle of ui.handles) (ui.paused ? handle.pause() : handle.resume());
      buttons.pause.textContent = ui.paused ? "Resume" : "Pause";
      status.textContent = ui.paused ? "Paused." : "Running…";
    });
  }
  buttons.reset.addEventListener("click", () => {
    stopAll();
    write(defaults);
    for (const f in errors) { errors[f].textContent = ""; inputs[f].removeAttribute("aria-invalid"); }
    history.replaceState(null, "", location.pathname + location.search);
    if (root.dataset.state !== "static") ui.setState("done", "Settings reset; press Run.");
  });
  buttons.retry.addEventListener("click", () => { bridge.restart(); start(); });

  // Start the runtime once the widget is well in view, so Run answers sooner; errors are
  // reported when the reader presses Run (start() retries from scratch after a failure). Not
  // on a connection where the reader asked to save data: then only Run downloads the runtime.
  const saveData = Boolean(navigator.connection && navigator.connection.saveData);
  const observer = options.runtime !== false && !saveData && "IntersectionObserver" in window ? new IntersectionObserver((entries) => {
    if (entries.some((e) => e.isIntersecting)) {
      observer.disconnect();
      // and, where the widget trains, warm the runtime up on its own default runs
      const calls = options.calls ? options.calls(defaults, JSON.parse(root.dataset.taskDefaults || "{}")).calls : [];
      const train = calls.filter(([, task]) => task === "train").map(([, , config]) => config);
      (train.length ? bridge.warmUp(train) : bridge.start()).catch(() => {});
    }
  }, { threshold: 0.3 }) : null;
  if (observer) observer.observe(root);

  // A link with another configuration opened in the same tab changes only the hash: apply it.
  const onHash = () => {
    if (!location.hash.startsWith(`#${id}?`)) return;
    write(defaults);
    for (const f in errors) { errors[f].textContent = ""; inputs[f].removeAttribute("aria-invalid"); }
    const note = fromHash();
    // a note about this link, or none: then the note of an earlier link goes
    if (note || linkNote) status.textContent = note || "Settings from the link applied; press Run.";
    linkNote = note;
  };
  window.addEventListener("hashchange", onHash);

  write(defaults);
  let linkNote = fromHash();
  ui.setState("static", [options.staticMessage || "The figure was computed when the site was built. Press Run to compute it in your browser.", linkNote].filter(Boolean).join(" "));
  ui.unmount = () => {
    stopAll();
    if (observer) observer.disconnect();
    window.removeEventListener("hashchange", onHash);
  };
  return ui;
}

/**
 * Mount a widget whose Run is one call of one simcore task: the frame (options as for frame,
 * with view and calls), the progress bar at 0 then 1 around the call, the result drawn by
 * view, and options.done(result, config) the sentence that ends the run.
 */
export function mountOneCall(root, controls, { task, done, ...options }) {
  const ui = frame(root, controls, {
    ...options,
    async run(config, ui) {
      ui.progress(0, 1);
      const res = await ui.task(task, config);
      if (ui.stopped) return "Stopped.";
      ui.progress(1, 1);
      ui.draw(res, config);
      return done(res, config);
    },
  });
  return { root, unmount: ui.unmount };
}

/** Fill the readout cells ([data-key] inside rows [data-kind]) with values and their text. */
export function setCell(cell, value, text) {
  cell.dataset.value = JSON.stringify(value);
  cell.textContent = text;
}

// --- a widget's output: what view(data, config) returns, live and at build time ----------
// A widget module's view(data, config) draws its whole output (figure and readout) from the
// numbers simcore.api returned; the build runs the same function in headless Chromium on the
// numbers computed natively (scripts/render.py), so the page's static figure and the live one
// are the same markup from the same code.

/** A readout cell: its value as JSON in data-value (what the tests read), its text shown. */
export function cell(key, value, text, tag = "td") {
  return h(tag, { "data-key": key, "data-value": JSON.stringify(value === undefined ? null : value), text });
}

/** A readout table: header cells (a text, or a list of texts and nodes), body rows, an
 * optional caption. */
export function table(headers, rows, caption) {
  return h("table", { class: "sim-readout" }, ...(caption ? [h("caption", { text: caption })] : []),
    h("thead", {}, h("tr", {}, ...headers.map((t) => h("th", {}, ...[t].flat())))), h("tbody", {}, ...rows));
}

/** A readout of per-depth results: a row per network kind, a column per depth of
 * config.depths; a depth computed (results: each {depths: [d], ...}) shows what
 * of(result, kind) gives, {value, text, status}; the others "…" until their result arrives. */
export function depthReadout(config, results, kinds, of, caption) {
  const done = new Map(results.map((r) => [r.depths[0], r]));
  const rows = kinds.map((k) => h("tr", { "data-kind": k }, h("th", { scope: "row", text: k }),
    ...config.depths.map((d) => {
      const r = done.get(d);
      if (!r) return h("td", { "data-key": `d${d}`, text: "…" });
      const { value, text, status } = of(r, k);
      const td = cell(`d${d}`, value, text);
      td.dataset.status = status;
      return td;
    })));
  return table(["network", ...config.depths.map((d) => `depth ${d}`)], rows, caption);
}

/**
 * x with `digits` digits after the point, as Python's format(x, f".{digits}f") writes it, the
 * prose, the tests and the build's tables alike: the decimal nearest to the double x and, on an
 * exact tie, the even one. toFixed breaks exact ties away from zero (46.25.toFixed(1) is "46.3",
 * Python's "46.2"), and ties are common here: with 80 training points an error is a multiple of
 * 1.25 %. A tie is found exactly: x = m·2^e is one when 2·m·10^digits·2^e is an odd integer.
 */
export function fixed(x, digits) {
  const shown = x.toFixed(digits);
  if (!Number.isFinite(x) || x === 0 || Math.abs(x) >= 1e21) {
    return Object.is(x, -0) ? `-${shown}` : shown;  // Python keeps the sign of -0.0
  }
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, Math.abs(x));
  const bits = view.getBigUint64(0);
  const biased = Number(bits >> 52n);
  const m = (bits & ((1n << 52n) - 1n)) | (biased ? 1n << 52n : 0n);
  const shift = BigInt(1075 - (biased || 1));  // |x| = m / 2^shift
  if (shift <= 0n) return shown;  // an integer: no tie
  const scaled = m * 10n ** BigInt(digits);
  const unit = 1n << shift;
  const tie = (2n * scaled) % unit === 0n && ((2n * scaled) / unit) % 2n === 1n;
  const down = scaled / unit;  // the value truncated to `digits` places (floor: it is positive)
  if (!tie || down % 2n === 1n) return shown;  // no tie, or the tie's even neighbour is above
  const text = down.toString().padStart(digits + 1, "0");
  const body = digits ? `${text.slice(0, -digits)}.${text.slice(-digits)}` : text;
  return x < 0 ? `-${body}` : body;
}

/** A share in [0, 1] as the readouts show it, fixed(100 v, 1) and " %"; "—" when missing. */
export const percent = (v) => (v === null || v === undefined ? "—" : `${fixed(100 * v, 1)} %`);
/** A difference of two shares, in percentage points: fixed(100 v, 1) and " pts"; "—" when missing. */
export const points = (v) => (v === null || v === undefined ? "—" : `${fixed(100 * v, 1)} pts`);

/** A figure's lines, one per [key, name] of items, defined once per widget: {key, name, cls:
 * prefix + key, dashed} (the keys in dashed drawn dashed). The widget's CSS gives each cls the
 * --line colour (sim.css's .sim-line stroke and .sim-swatch-line use it); keyedSeries draws
 * them in a chart, lineLegend keys them once for all the figure's charts. */
export const keyedLines = (items, prefix, dashed = []) => items.map(([key, name]) => (
  { key, name, cls: `${prefix}${key}`, dashed: dashed.includes(key) }));

/** The lines as lineChart series (no legend in the chart), points(key) giving each one's points. */
export const keyedSeries = (lines, points) => lines.map(({ name, cls, dashed, key }) => (
  { name, cls, dashed, legend: false, points: points(key) }));

/** One legend for the lines of keyedLines: a short line in each one's colour, and its name. */
export function lineLegend(lines) {
  return h("p", { class: "sim-note sim-line-legend" }, ...lines.map(({ cls, name, dashed }) => h("span", { class: "sim-key" },
    h("span", { class: `sim-swatch-line ${cls}${dashed ? " sim-dashed-swatch" : ""}` }), ` ${name}`)));
}

/** One chart's place in the figure. */
export const panel = (svg) => h("div", { class: "sim-panel" }, svg);

/** A widget's output: its figure (charts side by side) and what follows it (readouts, notes). */
export function output(charts, ...after) {
  return h("div", { class: "sim-output" }, h("div", { class: "sim-figure" }, ...charts.map(panel)), ...after);
}

/** Show a new output in place of the root's current one. */
export function show(root, node) {
  root.querySelector(".sim-output").replaceWith(node);
}

// --- reproduce: Copy as Python and Download data, the same for every widget -------------
// A widget passes frame() its view and calls(config): {calls: [[name, task, config], ...],
// data: "a Python expression of the names"}, the simcore.api calls its run makes and how the
// figure's data is made of their results. The page's "Reproduce in Python" shows them as a
// script (and the command lines) that give that data natively, bit for bit; "Download data"
// gives the numbers behind the figure: every plotted point as CSV (or the widget's own
// options.csv(data), for a figure that plots no points), or the data as JSON.
// Before any run they are the build's (the root's template.sim-data and data-config).

/** A JSON value written as a Python literal (numbers as JavaScript's shortest round trip,
 * which Python reads back to the same double). */
export function pyLiteral(v) {
  if (v === null || v === undefined) return "None";
  if (v === true) return "True";
  if (v === false) return "False";
  if (Array.isArray(v)) return `[${v.map(pyLiteral).join(", ")}]`;
  if (typeof v === "object") return `{${Object.entries(v).map(([k, x]) => `${JSON.stringify(k)}: ${pyLiteral(x)}`).join(", ")}}`;
  return typeof v === "number" ? String(v) : JSON.stringify(v);
}

const shellWord = (s) => (/^[\w.,+-]+$/.test(s) ? s : `'${s.replace(/'/g, "'\\''")}'`);

/** The fields of config that differ from the task's defaults (what the call must say). */
function changed(config, defaults) {
  return Object.fromEntries(Object.entries(config)
    .filter(([k, v]) => !(k in defaults) || JSON.stringify(v) !== JSON.stringify(defaults[k])));
}

/** The Python script and the command lines of calls(config) (see above). */
export function pythonOf(plan, taskDefaults) {
  const lines = ["from simcore import api", ""];
  const cli = [];
  for (const [name, task, config] of plan.calls) {
    const diff = changed(config, taskDefaults[task] || {});
    lines.push(`${name} = api.run(${JSON.stringify(task)}, ${pyLiteral(diff)})`);
    const flagText = (v) => (Array.isArray(v) ? v.map((x) => (Array.isArray(x) ? x.join(",") : x)).join(Array.isArray(v[0]) ? ";" : ",") : String(v));
    const flags = Object.entries(diff).map(([k, v]) => `--${k.replace(/_/g, "-")} ${shellWord(flagText(v))}`);
    cli.push(["python -m simcore", task, ...flags, "--json"].join(" "));
  }
  lines.push(`data = ${plan.data}  # the numbers the figure shows`);
  return { python: `${lines.join("\n")}\n`, cli: `${cli.join("\n")}\n` };
}

/** Every chart's plotted rows as CSV: chart, series, x, y, value. */
export function csvOf(node) {
  const cellText = (v) => (v === null || v === undefined ? "" : /[",\n]/.test(String(v)) ? `"${String(v).replace(/"/g, '""')}"` : String(v));
  const rows = [["chart", "series", "x", "y", "value"]];
  for (const svg of node.querySelectorAll("svg.sim-chart")) {
    const title = svg.querySelector(".sim-chart-title");
    for (const row of svg.plotted || []) rows.push([title ? title.textContent : "", ...row]);
  }
  return `${rows.map((r) => r.map(cellText).join(",")).join("\n")}\n`;
}

function reproduce(root, options) {
  const id = root.id || root.dataset.sim;
  const taskDefaults = JSON.parse(root.dataset.taskDefaults || "{}");
  const builtData = root.querySelector("template.sim-data");
  // the build's numbers are parsed when first wanted (Download), not at mount: some are large
  let current = builtData ? {
    config: JSON.parse(root.dataset.config),
    get data() { const data = JSON.parse(builtData.content.textContent); Object.defineProperty(this, "data", { value: data }); return data; },
  } : null;
  const code = h("code", { class: "language-python" });
  const cli = h("code", { class: "language-bash" });
  const copy = h("button", { type: "button", class: "md-button", "data-action": "copy-python", text: "Copy as Python" });
  const copied = h("span", { class: "sim-status", role: "status", "aria-live": "polite" });
  const csv = h("button", { type: "button", class: "md-button", "data-action": "download-csv", text: "Download data (CSV)" });
  const json = h("button", { type: "button", class: "md-button", "data-action": "download-json", text: "Download data (JSON)" });
  const note = h("p", { class: "sim-note" });
  const box = h("details", { class: "sim-python" }, h("summary", { text: "Reproduce in Python" }), note,
    h("pre", {}, code), h("p", { class: "sim-note", text: "Or on the command line (each prints one JSON object):" }), h("pre", {}, cli),
    h("div", { class: "sim-actions" }, copy, copied));
  const tools = h("div", { class: "sim-tools" }, box, h("div", { class: "sim-actions" }, csv, json));
  root.append(tools);

  function update(data, config) {
    current = { data, config };
    describeRun(config);
  }

  function describeRun(config) {
    const text = pythonOf(options.calls(config, taskDefaults), taskDefaults);
    code.textContent = text.python;
    cli.textContent = text.cli;
    note.textContent = "simcore.api calls that give the numbers of the figure above, bit for bit (pip install the project, see the README):";
    for (const b of [copy, csv, json]) b.disabled = false;
  }

  function save(name, type, text) {
    const url = URL.createObjectURL(new Blob([text], { type }));
    const a = h("a", { href: url, download: name });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  }

  copy.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(code.textContent);
      copied.textContent = "Copied.";
    } catch {
      copied.textContent = "Select the code above and copy it (this browser did not allow the page to).";
    }
  });
  // the charts shown, if drawn here (each keeps its rows); the build's figure, drawn again
  const drawn = () => [...root.querySelectorAll(".sim-output svg.sim-chart")].some((svg) => svg.plotted);
  csv.addEventListener("click", () => save(`${id}.csv`, "text/csv", options.csv ? options.csv(current.data)
    : csvOf(drawn() ? root.querySelector(".sim-output") : options.view(current.data, current.config))));
  json.addEventListener("click", () => save(`${id}.json`, "application/json",
    `${JSON.stringify({ config: current.config, calls: options.calls(current.config, taskDefaults).calls, data: current.data }, null, 1)}\n`));
  if (current) describeRun(current.config);
  else for (const b of [copy, csv, json]) b.disabled = true;
  return { update };
}
