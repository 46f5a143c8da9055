// Page side of the simulation runtime: one lazily started module worker per page session,
// id-matched typed messages, run(task, config) -> Promise and a pausable training stream.
// It never computes anything itself: every number comes from simcore.api in the worker.

const GRACE_MS = 3000;   // a worker that does not answer a stop within this is restarted
const BOOT_MS = 120000;  // a runtime that is not ready within this counts as failed
let worker = null;
let ready = null;
let nextId = 1;
const pending = new Map();        // id -> {resolve, reject, onEpochs}
const progressListeners = new Set();
let lastProgress = null;

export function simConfig() {
  const el = document.getElementById("sim-config");
  const cfg = JSON.parse(el.textContent);
  const root = new URL(el.dataset.base.replace(/\/?$/, "/"), location.href);
  return {
    ...cfg,
    root: root.href,
    indexURL: new URL(cfg.indexURL, root).href,
    wheelURL: new URL(cfg.wheelURL, root).href,
  };
}

function post(message, handlers) {
  const id = nextId++;
  return new Promise((resolve, reject) => {
    pending.set(id, { resolve, reject, ...handlers });
    worker.postMessage({ ...message, id });
  });
}

function onMessage(event) {
  const msg = event.data;
  if (msg.type === "fatal") {
    failAll(`The Python runtime failed to load (${msg.message}).`);
    return;
  }
  if (msg.type === "progress") {
    lastProgress = msg;
    progressListeners.forEach((fn) => fn(msg));
    return;
  }
  const entry = pending.get(msg.id);
  if (!entry) return;
  pending.delete(msg.id);
  if (msg.type === "error") {
    const err = new Error(msg.message);
    err.field = msg.field || null;
    entry.reject(err);
  } else {
    entry.resolve(msg);
  }
}

function failAll(message) {
  for (const [, entry] of pending) entry.reject(new Error(message));
  pending.clear();
}

/** Start the worker (once) and resolve when Pyodide, numpy and simcore are loaded. */
export function start(onProgress) {
  if (onProgress) {
    progressListeners.add(onProgress);
    if (lastProgress) onProgress(lastProgress);
  }
  if (ready) return ready;
  const cfg = simConfig();
  worker = new Worker(new URL("javascripts/sim/worker.js", cfg.root), { type: "module" });
  worker.onmessage = onMessage;
  worker.onerror = (e) => failAll(`The simulation runtime failed to start (${e.message || "worker error"}).`);
  const booting = post({ type: "init", config: cfg });
  const timeout = new Promise((_, reject) => setTimeout(
    () => reject(new Error("The Python runtime did not load within two minutes.")), BOOT_MS));
  ready = Promise.race([booting, timeout]).catch((err) => {
    restart();  // the next start() tries again from scratch (Retry)
    throw err;
  });
  return ready;
}

/** Terminate the worker; the next call starts a fresh one. */
export function restart() {
  if (worker) worker.terminate();
  failAll("The simulation was restarted.");
  worker = null;
  ready = null;
  lastProgress = null;
}

export function isReady() {
  return lastProgress !== null && lastProgress.stage === "ready";
}

/** Run one simcore.api task; resolves with its plain-JSON result. */
export async function run(task, config, onProgress) {
  await start(onProgress);
  const msg = await post({ type: "run", task, config });
  return msg.result;
}

/**
 * Stream a training run: records arrive through onEpochs(records) a few at a time, between
 * which the page stays free. Returns {pause(), resume(), stop(), done: Promise<"done"|"stopped">}.
 */
export function stream(config, { onEpochs, onProgress, budgetMs = 40, maxPerCall = 5 } = {}) {
  const sid = `s${nextId++}`;
  let paused = false;
  let stopped = false;
  let wake = null;
  const done = (async () => {
    await start(onProgress);
    await post({ type: "stream-start", sid, task: "train", config });
    for (;;) {
      if (stopped) return "stopped";
      if (paused) {
        await new Promise((r) => { wake = r; });
        continue;
      }
      const msg = await post({ type: "stream-next", sid, max: maxPerCall, budgetMs });
      if (stopped) return "stopped";
      if (msg.records.length) onEpochs(msg.records);
      if (msg.done) return "done";
    }
  })();
  return {
    done,
    pause() { paused = true; },
    resume() { paused = false; if (wake) { wake(); wake = null; } },
    async stop() {
      stopped = true;
      if (wake) { wake(); wake = null; }
      if (!worker) return;
      const answered = post({ type: "stream-stop", sid }).then(() => true, () => true);
      const late = new Promise((r) => setTimeout(() => r(false), GRACE_MS));
      if (!(await Promise.race([answered, late]))) restart();
    },
  };
}
