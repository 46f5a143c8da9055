// The trainer widget: plain and residual networks trained side by side in the reader's
// browser by simcore (through the worker), curves drawn as epochs arrive.
//
// Contract (tests rely on it): the root [data-sim="trainer"] carries data-state in
// static | loading | running | done | error, and has a button [data-action="run"]; while a
// run draws, data-records counts the epoch records drawn so far (both networks).
// The configuration lives in the URL hash as #<root id>?field=value&..., parsed as data,
// validated against the field spec simcore.api exported at build time, never put into HTML.

import * as bridge from "../bridge.js";
import { boundaryChart, lineChart } from "../charts.js";

const KINDS = ["plain", "residual"];
const LABEL = { plain: "plain", residual: "residual" };
const CONTROLS = [
  ["dataset", "Data set"], ["depth", "Depth"], ["width", "Width"], ["layout", "Block layout"],
  ["activation", "Activation"], ["init", "Initialisation"], ["norm", "Batch norm"],
  ["optimizer", "Optimiser"], ["lr", "Learning rate"], ["batch_size", "Batch size"],
  ["epochs", "Epochs"], ["seed", "Seed"],
];

function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === false || v === null || v === undefined) continue;
    if (k === "text") node.textContent = v;
    else node.setAttribute(k, v === true ? "" : String(v));
  }
  node.append(...children);
  return node;
}

/** Parse one control's text into the JSON value simcore.api expects, or throw a message. */
export function parseField(field, spec, raw) {
  const [kind, allowed] = spec;
  if (kind === "bool") return raw === true || raw === "true";
  if (kind === "choice") {
    if (!allowed.includes(raw)) throw new Error(`${field}: ${JSON.stringify(raw)} is not allowed; expected one of ${allowed.join(", ")}`);
    return raw;
  }
  const text = String(raw).trim();
  const value = text === "" ? NaN : Number(text);
  const [lo, hi] = allowed;
  const what = kind === "int" ? "an integer" : "a number";
  if (!Number.isFinite(value)) throw new Error(`${field}: ${JSON.stringify(text)} is not allowed; expected ${what} in [${lo}, ${hi}]`);
  if (kind === "int" && !Number.isInteger(value)) throw new Error(`${field}: ${text} is not allowed (not an integer); expected ${what} in [${lo}, ${hi}]`);
  if (value < lo || value > hi) throw new Error(`${field}: ${text} is not allowed (out of range); expected ${what} in [${lo}, ${hi}]`);
  return value;
}

function fmtLoss(v) { return v === null ? "—" : v.toFixed(4); }
function fmtAcc(v) { return v === null ? "—" : `${(100 * v).toFixed(1)} %`; }

export function mount(root) {
  const defaults = JSON.parse(root.dataset.config);
  const fields = JSON.parse(root.dataset.fields);
  const id = root.id || "trainer";
  const figure = root.querySelector(".sim-figure");
  const readout = root.querySelector(".sim-readout");
  let handles = [];
  let histories = null;
  let paused = false;

  // ---- controls ------------------------------------------------------------------------
  const form = h("form", { class: "sim-controls", novalidate: true, "aria-label": "Training settings" });
  const inputs = {};
  const errors = {};
  for (const [field, label] of CONTROLS) {
    const [kind, allowed] = fields[field];
    const inputId = `${id}-${field}`;
    let input;
    if (kind === "choice") {
      input = h("select", { id: inputId, name: field });
      for (const option of allowed) input.append(h("option", { value: option, text: option }));
    } else if (kind === "bool") {
      input = h("input", { id: inputId, name: field, type: "checkbox" });
    } else {
      input = h("input", { id: inputId, name: field, type: "text", inputmode: kind === "int" ? "numeric" : "decimal",
        autocomplete: "off", spellcheck: "false" });
    }
    const error = h("span", { class: "sim-error", id: `${inputId}-error`, role: "alert" });
    input.setAttribute("aria-describedby", error.id);
    inputs[field] = input;
    errors[field] = error;
    form.append(h("div", { class: "sim-field" }, h("label", { for: inputId, text: label }), input, error));
  }
  const runButton = h("button", { type: "submit", class: "md-button md-button--primary", "data-action": "run", text: "Run" });
  const pauseButton = h("button", { type: "button", class: "md-button", "data-action": "pause", text: "Pause", disabled: true });
  const stopButton = h("button", { type: "button", class: "md-button", "data-action": "stop", text: "Stop", disabled: true });
  const resetButton = h("button", { type: "button", class: "md-button", "data-action": "reset", text: "Reset" });
  const bar = h("progress", { class: "sim-progress", max: 1, value: 0, "aria-label": "Progress" });
  const status = h("span", { class: "sim-status", role: "status", "aria-live": "polite" });
  const retry = h("button", { type: "button", class: "md-button", "data-action": "retry", text: "Retry", hidden: true });
  form.append(h("div", { class: "sim-actions" }, runButton, pauseButton, stopButton, resetButton, bar, status, retry));
  root.prepend(form);

  function setState(state, message = "") {
    root.dataset.state = state;
    status.textContent = message;
    runButton.disabled = state === "loading" || state === "running";
    pauseButton.disabled = state !== "running";
    stopButton.disabled = state !== "running" && state !== "loading";
    if (state !== "running") { paused = false; pauseButton.textContent = "Pause"; }
    retry.hidden = state !== "error" || !root.dataset.runtimeError;
  }

  function write(config) {
    for (const [field] of CONTROLS) {
      const input = inputs[field];
      if (input.type === "checkbox") input.checked = Boolean(config[field]);
      else input.value = String(config[field]);
    }
  }

  function read() {
    const config = { ...defaults };
    let ok = true;
    for (const [field] of CONTROLS) {
      const input = inputs[field];
      const raw = input.type === "checkbox" ? input.checked : input.value;
      try {
        config[field] = parseField(field, fields[field], raw);
        errors[field].textContent = "";
        input.removeAttribute("aria-invalid");
      } catch (err) {
        errors[field].textContent = err.message;
        input.setAttribute("aria-invalid", "true");
        ok = false;
      }
    }
    return ok ? config : null;
  }

  // ---- URL hash: #<id>?field=value&... ---------------------------------------------------
  function fromHash() {
    const prefix = `#${id}?`;
    if (!location.hash.startsWith(prefix)) return;
    const params = new URLSearchParams(location.hash.slice(prefix.length));
    for (const [field] of CONTROLS) {
      if (!params.has(field)) continue;
      const input = inputs[field];
      const value = params.get(field);
      if (input.type === "checkbox") input.checked = value === "true";
      else if (input.tagName === "SELECT" && !fields[field][1].includes(value)) {
        errors[field].textContent = parseErr(field, value);
      } else input.value = value;
    }
  }
  function parseErr(field, value) {
    try { parseField(field, fields[field], value); return ""; } catch (e) { return e.message; }
  }
  function toHash(config) {
    const params = new URLSearchParams();
    for (const [field] of CONTROLS) params.set(field, String(config[field]));
    history.replaceState(null, "", `#${id}?${params}`);
  }

  // ---- drawing ---------------------------------------------------------------------------
  function draw(config) {
    const epochs = config.epochs;
    const losses = KINDS.flatMap((k) => histories[k].map((r) => r.train_loss)).filter((v) => v !== null);
    const yMax = Math.max(1, ...losses.slice(0, 200).map((v) => Math.min(v, 5)));
    const panels = [
      lineChart({ title: "Training loss", xLabel: "epoch", yLabel: "loss", xDomain: [0, epochs], yDomain: [0, yMax],
        series: KINDS.map((k) => ({ name: LABEL[k], cls: `sim-${k}`, points: histories[k].map((r) => [r.epoch, r.train_loss]) })) }),
      lineChart({ title: "Training accuracy", xLabel: "epoch", yLabel: "accuracy", xDomain: [0, epochs], yDomain: [0, 1],
        series: KINDS.map((k) => ({ name: LABEL[k], cls: `sim-${k}`, points: histories[k].map((r) => [r.epoch, r.train_acc]) })) }),
    ];
    for (const k of KINDS) {
      const last = histories[k][histories[k].length - 1];
      const data = histories[k][0] && histories[k][0].data;
      if (last && last.boundary && data) {
        panels.push(boundaryChart({ title: `Decision boundary, ${LABEL[k]}`, boundary: last.boundary, data }));
      }
    }
    figure.replaceChildren(...panels.map((svg) => h("div", { class: "sim-panel" }, svg)));
    root.dataset.records = String(histories.plain.length + histories.residual.length);
    for (const k of KINDS) {
      const last = histories[k][histories[k].length - 1];
      const row = readout.querySelector(`tr[data-kind="${k}"]`);
      if (!row || !last) continue;
      for (const [key, fmt] of [["epoch", String], ["train_loss", fmtLoss], ["train_acc", fmtAcc], ["test_acc", fmtAcc]]) {
        const cell = row.querySelector(`[data-key="${key}"]`);
        cell.dataset.value = String(last[key]);
        cell.textContent = fmt(last[key]);
      }
      row.querySelector('[data-key="status"]').textContent = last.status;
    }
  }

  // ---- running ---------------------------------------------------------------------------
  async function run() {
    const config = read();
    if (!config) { setState(root.dataset.state === "static" ? "static" : "done", "Fix the highlighted setting first."); return; }
    stopAll();
    toHash(config);
    histories = { plain: [], residual: [] };
    root.dataset.records = "0";
    paused = false;
    pauseButton.textContent = "Pause";
    delete root.dataset.runtimeError;
    setState(bridge.isReady() ? "running" : "loading", bridge.isReady() ? "Training…" : "Loading the Python runtime…");
    bar.max = 2 * (config.epochs + 1);
    bar.value = 0;
    const onProgress = (p) => {
      if (root.dataset.state !== "loading") return;
      status.textContent = p.stage === "ready" ? "Training…" : `Loading ${p.stage} (${p.done + 1} of ${p.total})…`;
      bar.max = p.total; bar.value = p.done;
    };
    try {
      handles = KINDS.map((kind) => bridge.stream({ ...config, kind }, {
        onProgress,
        onEpochs: (records) => {
          if (root.dataset.state === "loading") { setState("running", "Training…"); bar.max = 2 * (config.epochs + 1); }
          histories[kind].push(...records);
          bar.value = histories.plain.length + histories.residual.length;
          draw(config);
        },
      }));
      const outcomes = await Promise.all(handles.map((x) => x.done));
      if (outcomes.every((o) => o === "done")) {
        setState("done", `Done: ${config.epochs} epochs each.`);
      }
    } catch (err) {
      if (err.field && errors[err.field]) {
        errors[err.field].textContent = err.message;
        inputs[err.field].setAttribute("aria-invalid", "true");
        setState("error", "Fix the highlighted setting first.");
      } else if (!/restarted/.test(err.message)) {
        root.dataset.runtimeError = "true";
        setState("error", `The simulation could not run here: ${err.message} The figure below was computed when the site was built.`);
      }
    }
  }

  function stopAll() {
    for (const x of handles) x.stop();
    handles = [];
  }

  form.addEventListener("submit", (e) => { e.preventDefault(); run(); });
  pauseButton.addEventListener("click", () => {
    paused = !paused;
    for (const x of handles) (paused ? x.pause() : x.resume());
    pauseButton.textContent = paused ? "Resume" : "Pause";
    status.textContent = paused ? "Paused." : "Training…";
  });
  stopButton.addEventListener("click", () => {
    stopAll();
    const n = histories ? Math.min(histories.plain.length, histories.residual.length) - 1 : -1;
    setState("done", n >= 0 ? `Stopped after epoch ${n}.` : "Stopped.");
  });
  resetButton.addEventListener("click", () => {
    stopAll();
    write(defaults);
    for (const f in errors) { errors[f].textContent = ""; inputs[f].removeAttribute("aria-invalid"); }
    history.replaceState(null, "", location.pathname + location.search);
    if (root.dataset.state !== "static") setState("done", "Settings reset; press Run to train.");
  });
  retry.addEventListener("click", () => { bridge.restart(); run(); });

  // Start the runtime once the widget is well in view, so Run answers sooner; errors are
  // reported when the reader presses Run (start() retries from scratch after a failure).
  const observer = "IntersectionObserver" in window ? new IntersectionObserver((entries) => {
    if (entries.some((e) => e.isIntersecting)) {
      observer.disconnect();
      bridge.start().catch(() => {});
    }
  }, { threshold: 0.3 }) : null;
  if (observer) observer.observe(root);

  write(defaults);
  fromHash();
  setState("static", "The figure was computed when the site was built. Press Run to train in your browser.");
  return { root, unmount() { stopAll(); if (observer) observer.disconnect(); } };
}
