// Page side of the simulation runtime: one lazily started module worker per page session,
// id-matched typed messages, run(task, config) -> Promise and a pausable training stream.
// It never computes anything itself: every number comes from simcore.api in the worker.
//
// A worker that dies is noticed, never waited for: an uncaught error in it (its "error"
// event) or a message that cannot be read ("messageerror") counts as a crash, and a worker
// that ends silently (closed, killed) is seen through a Web Lock it holds while it lives
// (see worker.js): the page queues for that lock and gets it only when the worker has ended.
// No ping with a timeout: a slow machine computing one long epoch is not a dead worker. Every
// call still waiting then fails with one sentence, and the next call starts a fresh worker.

// A call still computing this long after Stop is abandoned: the worker is restarted (Python
// cannot be interrupted from outside without cross-origin isolation, which static hosting
// lacks), and Run right after Stop restarts it at once. The one grace period, for streams
// (stream().stop) and single calls (restartIfStillBusy) alike.
const GRACE_MS = 3000;
const BOOT_MS = 120000;  // a runtime that is not ready within this counts as failed
// warmUp(): five epochs of each of the trainer's two default runs bring its first run to the
// speed of later ones in Chromium (measured: docs/runtime.md); on a slow device, at most 3 s
const WARM_UP_EPOCHS = 5;
const WARM_UP_MS = 3000;
let worker = null;
let ready = null;
let ended = null;                 // why the last worker ended, when it was not restart()
let nextId = 1;
const pending = new Map();        // id -> {resolve, reject, onEpochs}
const progressListeners = new Set();
const sleepers = new Set();       // wake-up calls of paused streams: a worker that ends wakes them
let lastProgress = null;
let warming = null;               // warmUp()'s promise, for this worker

export function simConfig() {
  const el = document.getElementById("sim-config");
  const cfg = JSON.parse(el.textContent);
  const root = new URL(el.dataset.base.replace(/\/?$/, "/"), location.href);
  return {
    ...cfg,
    root: root.href,
    indexURL: new URL(cfg.indexURL, root).href,
    wheelURL: new URL(cfg.wheelURL, root).href,
    snapshot: cfg.snapshot ? { ...cfg.snapshot, url: new URL(cfg.snapshot.url, root).href } : null,
    snapshotNoJspi: cfg.snapshotNoJspi
      ? { ...cfg.snapshotNoJspi, url: new URL(cfg.snapshotNoJspi.url, root).href } : null,
  };
}

function post(message, handlers) {
  const id = nextId++;
  if (!worker) return Promise.reject(new Error(ended || "The simulation was restarted."));
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
  if (msg.type === "alive") {
    const w = event.target;  // it holds msg.lock until it ends: queue for that lock
    navigator.locks.request(msg.lock, () => {
      if (w === worker) crashed("The simulation runtime stopped unexpectedly (its worker ended).");
    });
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
  for (const wakeUp of sleepers) wakeUp(message);  // a paused run has no call waiting: tell it
  sleepers.clear();
}

/** The worker died: fail every call with message; the next start() boots a fresh one. */
function crashed(message) {
  const w = worker;
  worker = null;
  ready = null;
  warming = null;
  lastProgress = null;
  ended = message;
  if (w) w.terminate();
  failAll(message);
}

/**
 * The build's memory snapshot of Pyodide, fetched and gunzipped by a helper worker of its own
 * (inflate.js) while the simulation worker w starts. The helper hands the bytes to w through a
 * message channel of their own (transferred, not copied), so the 30-50 MB never pass through
 * this page's thread; if the helper fails, the page tells w (null: w then boots from scratch).
 * False when no helper can be started.
 */
function fetchSnapshotBeside(cfg, w) {
  if (typeof DecompressionStream !== "function" || typeof MessageChannel !== "function") return false;
  let helper;
  try {
    helper = new Worker(new URL("javascripts/sim/inflate.js", cfg.root), { type: "module" });
  } catch (_) {
    return false;
  }
  const channel = new MessageChannel();
  w.postMessage({ type: "snapshot-port", port: channel.port2 }, [channel.port2]);
  const failed = () => {
    helper.terminate();
    if (w === worker) w.postMessage({ type: "snapshot", bytes: null });
  };
  helper.onmessage = (e) => { if (!e.data.sent) failed(); };  // the helper closes itself once sent
  helper.onerror = failed;
  helper.postMessage({ url: cfg.snapshot.url, integrity: cfg.snapshot.integrity, port: channel.port1 }, [channel.port1]);
  return true;
}

/** Whether this browser has WebAssembly's JavaScript Promise Integration (JSPI), which decides
 * which of the build's memory snapshots Pyodide can start from. */
export function hasJspi() {
  return typeof WebAssembly === "object" && "Suspending" in WebAssembly;
}

/** Start the worker (once) and resolve when Pyodide, numpy and simcore are loaded. */
export function start(onProgress) {
  if (onProgress) {
    progressListeners.add(onProgress);
    if (lastProgress) onProgress(lastProgress);
  }
  if (ready) return ready;
  const cfg = simConfig();
  const w = new Worker(new URL("javascripts/sim/worker.js", cfg.root), { type: "module" });
  worker = w;
  ended = null;
  w.onmessage = onMessage;
  w.onerror = (e) => {
    if (w !== worker) return;
    const why = e.message || "worker error";
    crashed(isReady() ? `The simulation runtime crashed (${why}).` : `The simulation runtime failed to start (${why}).`);
  };
  w.onmessageerror = () => { if (w === worker) crashed("The simulation runtime sent a message that could not be read."); };
  const lock = "navigator" in self && navigator.locks ? `residual-sim-worker-${Date.now()}-${nextId}-${Math.random()}` : null;
  // Pyodide lays out its function table differently in a browser with JSPI than in one without,
  // and refuses a snapshot made in the other kind ("call_indirect to a signature that does not
  // match"): the build makes one in Chromium (JSPI) and, when it can, one in WebKit (no JSPI).
  const jspi = hasJspi();
  const snapshot = jspi ? cfg.snapshot : cfg.snapshotNoJspi;
  const skipped = !snapshot && cfg.snapshot
    ? "this build has no snapshot for browsers without JSPI (WebAssembly.Suspending)" : null;
  const snapshotFromPage = snapshot ? fetchSnapshotBeside({ ...cfg, snapshot }, w) : false;
  const booting = post({ type: "init", config: { ...cfg, snapshot, snapshotSkipped: skipped, lock, snapshotFromPage } });
  const timeout = new Promise((_, reject) => setTimeout(
    () => reject(new Error("The Python runtime did not load within two minutes.")), BOOT_MS));
  const current = Promise.race([booting, timeout]).catch((err) => {
    if (w === worker) restart();  // the next start() tries again from scratch (Retry)
    throw err;
  });
  ready = current;
  return current;
}

/**
 * Start the runtime ahead of the reader and, once it is ready, let the worker run the first
 * WARM_UP_EPOCHS epochs of each of these training configs and discard them, so the browser
 * has compiled its hot code to optimised code before the reader's first run (see worker.js).
 * Any call of the page stops it. Once per worker: a later call gets the first one's promise,
 * which resolves with the worker's report {epochs, ms, interrupted}.
 */
export function warmUp(configs) {
  if (!warming) {
    const capped = configs.map((c) => ({ ...c, epochs: Math.min(c.epochs ?? WARM_UP_EPOCHS, WARM_UP_EPOCHS) }));
    warming = start().then(() => post({ type: "warm-up", configs: capped, maxMs: WARM_UP_MS })).then((m) => m.result);
  }
  return warming;
}

/** After Stop of a single call: restart the worker if `busy()` still says so after the grace
 * period (a stream's stop() applies the same rule itself). */
export function restartIfStillBusy(busy) {
  setTimeout(() => { if (busy()) restart(); }, GRACE_MS);
}

/** Terminate the worker; the next call starts a fresh one. */
export function restart() {
  if (worker) worker.terminate();
  failAll("The simulation was restarted.");
  worker = null;
  ready = null;
  warming = null;
  lastProgress = null;
  ended = null;
}

export function isReady() {
  return lastProgress !== null && lastProgress.stage === "ready";
}

/**
 * The worker's own memory accounting (no cross-origin isolation, so no
 * performance.measureUserAgentSpecificMemory), taken after a Python garbage collection:
 * {malloc_in_use_bytes} held by malloc (Python's objects, numpy's arrays) out of
 * {malloc_arena_bytes} it has taken, {wasm_heap_bytes} the WebAssembly heap, which only grows
 * (a high-water mark), {python_objects} tracked by Python's collector, {open_streams} the
 * training runs still open.
 */
export async function memory() {
  await start();
  return (await post({ type: "memory" })).result;
}

/** Run one simcore.api task; resolves with its plain-JSON result. */
export async function run(task, config, onProgress) {
  await start(onProgress);
  const msg = await post({ type: "run", task, config });
  return msg.result;
}

/**
 * Stream a training run: records arrive through onEpochs(records) a few at a time, between
 * which the page stays free. Returns {pause(), resume(), step(), pace(ms), stop(),
 * done: Promise<"done"|"stopped">}: step() lets a paused stream (or one started with
 * paused: true) compute one more record and pause again; pace(ms) > 0 asks for one record at a
 * time, at most one every ms milliseconds (0: as fast as the worker goes).
 */
export function stream(config, { onEpochs, onProgress, budgetMs = 40, maxPerCall = 5, paused: startPaused = false } = {}) {
  const sid = `s${nextId++}`;
  let paused = startPaused;
  let stopped = false;
  let steps = 0;      // records still to compute while paused (Step)
  let paceMs = 0;
  let last = 0;       // when the last paced call began
  let wake = null;
  const sleep = async (ms) => {
    let wakeUp = null;
    const why = await new Promise((r) => {
      wake = wakeUp = r;
      sleepers.add(r);
      if (ms !== null) setTimeout(() => r(null), ms);
    });
    sleepers.delete(wakeUp);
    if (why && !stopped) throw new Error(why);  // the worker ended while this run waited
  };
  const done = (async () => {
    await start(onProgress);
    await post({ type: "stream-start", sid, task: "train", config });
    for (;;) {
      if (stopped) return "stopped";
      if (paused && steps === 0) {
        await sleep(null);
        continue;
      }
      const wait = paused ? 0 : last + paceMs - performance.now();
      if (paceMs > 0 && wait > 0) {
        await sleep(wait);
        continue;
      }
      const one = paused || paceMs > 0;
      if (paused) steps -= 1;
      last = performance.now();
      const msg = await post({ type: "stream-next", sid, max: one ? 1 : maxPerCall, budgetMs });
      if (stopped) return "stopped";
      if (msg.records.length) onEpochs(msg.records);
      if (msg.done) return "done";
    }
  })();
  const wakeNow = () => { if (wake) { const w = wake; wake = null; w(null); } };
  return {
    done,
    pause() { paused = true; steps = 0; },
    resume() { paused = false; steps = 0; wakeNow(); },
    step() { paused = true; steps += 1; wakeNow(); },
    pace(ms) { paceMs = Math.max(0, ms); wakeNow(); },
    async stop() {
      stopped = true;
      wakeNow();
      if (!worker) return;
      const answered = post({ type: "stream-stop", sid }).then(() => true, () => true);
      const late = new Promise((r) => setTimeout(() => r(false), GRACE_MS));
      if (!(await Promise.race([answered, late]))) restart();
    },
  };
}
