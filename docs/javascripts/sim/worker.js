// The simulation worker: Pyodide, numpy and simcore live here, never on the page's main thread.
// Messages in:  {id, type: "init", config} | {type: "snapshot-port", port} | {type: "snapshot", bytes}
//               {id, type: "run", task, config}
//               {id, type: "stream-start", task, config} | {id, type: "stream-next", max, budgetMs}
//               {id, type: "stream-stop"} | {id, type: "memory"}
// Messages out: {type: "progress", stage, done, total} | {id, type: "ready", boot}
//               {id, type: "result", result} | {id, type: "epochs", records, done}
//               {id, type: "error", message, field?} | {type: "alive", lock}
// The init message names a Web Lock (config.lock) that the worker holds for as long as it
// lives: the page queues for the same lock, which it gets only once this worker has ended
// (closed, crashed or terminated), so a worker that dies silently is noticed without pings.
// After a fatal error of the runtime itself (a WebAssembly trap, an abort) the worker answers
// the call with "The Python runtime crashed (…)" and closes itself, so the page starts afresh.
// Every value crosses the boundary as JSON text produced by Python's json module, so numbers
// arrive exactly as simcore computed them and no Python proxy outlives a call.

// The Python this worker calls lives in simcore itself (simcore/worker.py, tested natively by
// tests/test_worker.py): run_json, stream_start, stream_next, stream_stop and memory_json,
// each taking plain values and returning one JSON text.

let booting = null;
let py = null;
let runtime = null;  // the Pyodide instance, once simcore is loaded

// After a fatal error Pyodide replaces its API with getters that throw ("Pyodide already
// fatally failed and can no longer be used").
function runtimeDead() {
  if (!runtime) return false;
  try { runtime.globals; return false; } catch (_) { return true; }
}

function progress(stage, done, total) {
  self.postMessage({ type: "progress", stage, done, total });
}

async function sha256Hex(buffer) {
  const digest = await crypto.subtle.digest("SHA-256", buffer);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

// Subresource Integrity for the runtime (cfg.integrity: file name -> "sha384-…", computed at
// build time by scripts/sri.py). Pyodide fetches pyodide.asm.wasm, python_stdlib.zip and
// pyodide-lock.json itself: every GET of one of those names under indexURL gets its integrity,
// so the browser refuses different bytes (and the packages are pinned by the lock file's
// sha256, which Pyodide passes as their integrity). The two script files are fetched and
// checked here, then imported from memory.
let plainFetch = null;
// Pyodide only logs a warning when the .wasm cannot be instantiated, and then waits forever:
// a refused or failed runtime file rejects this too, and boot() races it.
let failRuntime = null;
let runtimeFailure = null;  // the error runtimeFailed rejected with, once it has
const runtimeFailed = new Promise((_, reject) => {
  failRuntime = (err) => { runtimeFailure = runtimeFailure || err; reject(err); };
});
runtimeFailed.catch(() => {});

function pinFetches(cfg) {
  const integrity = cfg.integrity || {};
  plainFetch = plainFetch || self.fetch.bind(self);
  self.fetch = async (input, init) => {
    const url = String(input instanceof Request ? input.url : input);
    const name = url.startsWith(cfg.indexURL) ? url.slice(cfg.indexURL.length) : "";
    const method = ((init && init.method) || (input instanceof Request && input.method) || "GET").toUpperCase();
    if (!integrity[name] || method !== "GET" || (init && init.integrity)) return plainFetch(input, init);
    try {
      return await plainFetch(input, { ...(init || {}), integrity: integrity[name] });
    } catch (err) {
      // The same request without the check, read to the end, tells a changed file from a
      // broken network: a download cut off mid-way fails only while its body arrives.
      let why = "unreachable";
      try {
        const again = await plainFetch(input, init);
        why = "cut";
        if (again.ok) { await again.arrayBuffer(); why = "changed"; } else why = "unreachable";
      } catch (_) { /* offline, or the connection dropped again */ }
      const failure = new Error({
        changed: `Pyodide's ${name} at ${cfg.indexURL} is not the file this site was built with (integrity check failed).`,
        cut: `Pyodide's ${name} stopped downloading part-way from ${cfg.indexURL} (the connection dropped).`,
        unreachable: `Pyodide's ${name} could not be downloaded from ${cfg.indexURL}.`,
      }[why]);
      failRuntime(failure);
      throw failure;
    }
  };
}

// The bytes of one of Pyodide's two scripts, fetched under its integrity hash (pinFetches adds
// it); null when the page has no hash for it (it is then imported straight from its URL).
async function fetchScript(cfg, name) {
  if (!(cfg.integrity || {})[name]) return null;
  const response = await fetch(cfg.indexURL + name);
  if (!response.ok) throw new Error(`Pyodide's ${name} is missing at ${cfg.indexURL} (${response.status}).`);
  return response.arrayBuffer();
}

async function importScript(cfg, name, fetched) {
  const bytes = await fetched;
  if (bytes === null) return import(cfg.indexURL + name);
  const url = URL.createObjectURL(new Blob([bytes], { type: "text/javascript" }));
  try {
    return await import(url);
  } finally {
    URL.revokeObjectURL(url);
  }
}

// loadPackage reports a package it could not fetch or verify (each is fetched with the lock
// file's sha256 as its integrity) through errorCallback and carries on: make that an error,
// and say which file does not match the lock file's hash when that is why (the browser only
// says "Failed to fetch").
async function loadPackages(pyodide, names, cfg) {
  const errors = [];
  await Promise.race([
    pyodide.loadPackage(names, { messageCallback: () => {}, errorCallback: (m) => errors.push(String(m)) }),
    runtimeFailed,
  ]);
  if (!errors.length) return;
  let why = errors[0].split("\n")[0];
  let failed = names;
  try {
    const lock = await (await fetch(cfg.indexURL + "pyodide-lock.json", { cache: "no-cache" })).json();
    for (const name of names) {
      const entry = lock.packages[name];
      const response = entry && await plainFetch(cfg.indexURL + entry.file_name, { cache: "no-cache" });
      if (response && response.ok && (await sha256Hex(await response.arrayBuffer())) !== entry.sha256) {
        why = `${entry.file_name} at ${cfg.indexURL} is not the file this site was built with: its sha256 does not match the lock file's`;
        failed = [name];
        break;
      }
    }
  } catch (_) { /* the network is down: Pyodide's own message stands */ }
  throw new Error(`${failed.join(", ")} could not be loaded (${why}).`);
}

// The build's memory snapshot of Pyodide after start-up (scripts/snapshot.py), when it has one.
// The page's helper fetches and gunzips it beside this worker (inflate.js) and sends the bytes
// through a port of their own (cfg.snapshotFromPage); otherwise it is fetched and gunzipped here. Either
// way under its SRI hash, and null on any failure: the runtime then boots from scratch, only
// slower.
let snapshotArrived = null;
let snapshotMessage = new Promise((resolve) => { snapshotArrived = resolve; });

async function fetchSnapshot(cfg) {
  if (cfg.snapshotFromPage) {
    const bytes = snapshotMessage;
    snapshotMessage = null;  // held no longer than the boot needs it (30-50 MB)
    return bytes;
  }
  if (!cfg.snapshot || typeof DecompressionStream !== "function") return null;
  try {
    const response = await fetch(cfg.snapshot.url, { integrity: cfg.snapshot.integrity });
    if (!response.ok) return null;
    const unzipped = response.body.pipeThrough(new DecompressionStream("gzip"));
    return new Uint8Array(await new Response(unzipped).arrayBuffer());
  } catch (_) {
    return null;
  }
}

// How the last boot went (sent with "ready"): from the snapshot or from scratch, and why not;
// packages: true when numpy and simcore came imported in the snapshot.
let bootInfo = null;

// A snapshot with numpy and simcore in it (scripts/snapshot.py, "a snapshot with numpy and
// simcore in it"): a container of Pyodide's snapshot and numpy's libraries, with a JSON header
// saying where each library's memory and table entries were. null for a plain snapshot.
function readPackaged(bytes) {
  if (bytes.length < 8 || String.fromCharCode(...bytes.subarray(0, 4)) !== "RSNP") return null;
  const size = new DataView(bytes.buffer, bytes.byteOffset, 8).getUint32(4, true);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + size)));
  const base = Math.ceil((8 + size) / 16) * 16;  // every part starts at a multiple of 16
  const part = ([at, length]) => bytes.subarray(base + at, base + at + length);
  return { header, snapshot: part(header.snapshot), libs: header.libs.map((lib) => ({ ...lib, bytes: part(lib.part) })),
           files: header.files.map((file) => ({ ...file, bytes: part(file.part) })) };
}

// Pyodide from a snapshot with numpy and simcore imported. Pyodide copies the saved memory in
// after creating its module; just before, each of numpy's libraries is instantiated at the
// memory address and table index it had when the snapshot was taken (Emscripten's loader takes
// them from a handle marked "loaded"), in the same order, so that the function pointers in the
// saved memory find the same functions. The table's length before and after must be what it
// was then; anything else refuses the snapshot.
async function restorePackaged(cfg, loadPyodide, packaged) {
  const { header, libs } = packaged;
  const compiled = libs.map((lib) => WebAssembly.compile(lib.bytes));  // all at once, off this thread
  for (const c of compiled) c.catch(() => {});  // awaited (and reported) below
  if (typeof globalThis._createPyodideModule !== "function") await import(cfg.indexURL + "pyodide.asm.js");
  const create = globalThis._createPyodideModule;
  globalThis._createPyodideModule = async (settings) => {
    const M = await create(settings);
    const table = () => M.wasmTable.length;
    if (table() !== header.tableStart) throw new Error(`the function table has ${table()} entries, not ${header.tableStart}`);
    const handle = M.HEAPU8.length - 64;  // scratch room: the saved memory is copied over it next
    for (const [i, lib] of libs.entries()) {
      M.HEAPU8.fill(0, handle, handle + 64);
      M.HEAPU8[handle + 8] = 1;  // loaded already: at these addresses
      M.HEAPU32[(handle + 12) >> 2] = lib.memoryBase;
      M.HEAPU32[(handle + 16) >> 2] = lib.memorySize;
      M.HEAPU32[(handle + 20) >> 2] = lib.tableBase;
      M.HEAPU32[(handle + 24) >> 2] = lib.tableSize;
      const dso = M.newDSO(lib.name, undefined, "loading");
      dso.global = false;
      const flags = { loadAsync: true, nodelete: true, allowUndefined: true, global: false };
      dso.exports = await M.loadWebAssemblyModule(await compiled[i], flags, lib.name, {}, handle);
      M.LDSO.loadedLibsByName[lib.name.split("/").at(-1)] = dso;
    }
    for (const [h, name] of header.handles) M.LDSO.loadedLibsByHandle[h] = M.LDSO.loadedLibsByName[name];
    if (table() !== header.tableEnd) throw new Error(`numpy's libraries left ${table()} table entries, not ${header.tableEnd}`);
    return M;
  };
  let pyodide;
  try {
    pyodide = await loadPyodide({ indexURL: cfg.indexURL, _loadSnapshot: packaged.snapshot });
  } finally {
    globalThis._createPyodideModule = create;
  }
  // the modules are in memory; simcore's data files (the digits) go where simcore reads them
  for (const file of packaged.files) {
    const path = `${header.site}/${file.path}`;
    pyodide.FS.mkdirTree(path.slice(0, path.lastIndexOf("/")));
    pyodide.FS.writeFile(path, file.bytes);
  }
  return pyodide;
}

async function startPyodide(cfg, loadPyodide, snapshot) {
  const bytes = await snapshot;
  if (bytes) {
    try {
      const packaged = readPackaged(bytes);
      if (packaged && packaged.header.simcore !== cfg.wheelSha256) {
        throw new Error("it holds another simcore wheel than this page's");
      }
      const pyodide = await Promise.race([packaged ? restorePackaged(cfg, loadPyodide, packaged)
        : loadPyodide({ indexURL: cfg.indexURL, _loadSnapshot: bytes }), runtimeFailed]);
      bootInfo = { snapshot: true, packages: !!packaged };
      return pyodide;
    } catch (err) {
      if (runtimeFailure) throw err;  // the runtime's own files failed: no second try can help
      bootInfo = { snapshot: false, why: `the snapshot was refused (${String(err && err.message || err).split("\n")[0]})` };
    }
  } else {
    bootInfo = { snapshot: false, why: cfg.snapshotSkipped
      || (cfg.snapshot ? "the snapshot could not be fetched" : "this build has no snapshot") };
  }
  return Promise.race([loadPyodide({ indexURL: cfg.indexURL }), runtimeFailed]);
}

async function fetchWheel(cfg) {
  const response = await fetch(cfg.wheelURL, { cache: "no-cache" });
  if (!response.ok) throw new Error(`Could not fetch the simcore wheel (${response.status}).`);
  const buffer = await response.arrayBuffer();
  if ((await sha256Hex(buffer)) !== cfg.wheelSha256) {
    throw new Error("The simcore wheel on the server does not match this page (stale build); reload the page.");
  }
  return buffer;
}

async function boot(cfg) {
  const total = 3;
  progress("runtime", 0, total);
  const t0 = performance.now();
  const ms = {};  // milliseconds from the start of boot to the end of each stage
  const lap = (stage) => { ms[stage] = Math.round(performance.now() - t0); };
  const snapshot = fetchSnapshot(cfg);  // downloads while the runtime's files do
  snapshot.then(() => lap("snapshot_fetched"));
  pinFetches(cfg);
  // Both scripts download (and are checked) at once, while the probe below gets its answer.
  const mjs = fetchScript(cfg, "pyodide.mjs");
  const asmJs = fetchScript(cfg, "pyodide.asm.js");
  for (const p of [mjs, asmJs]) p.catch(() => {});  // awaited (and reported) below
  // Fail fast (and clearly) when the runtime cannot be reached: offline in cdn mode, a
  // blocked host, a missing self-hosted copy. A HEAD request costs nothing to download.
  let probe;
  try {
    probe = await fetch(cfg.indexURL + "pyodide.asm.wasm", { method: "HEAD", cache: "no-cache" });
    await probe.arrayBuffer();  // finish the (empty) response, or it counts as aborted
  } catch (err) {
    throw new Error(`Pyodide ${cfg.pyodideVersion} could not be reached at ${cfg.indexURL}.`);
  }
  if (!probe.ok) throw new Error(`Pyodide ${cfg.pyodideVersion} is missing at ${cfg.indexURL} (${probe.status}).`);
  // what the runtime needs next downloads while it starts: self-hosted, the lock file (to check
  // that it names this page's wheel); from the CDN, the simcore wheel itself (checked here).
  // Nothing when the snapshot holds numpy and simcore (fetched later if it cannot be used).
  const fetchLock = () => fetch(cfg.indexURL + "pyodide-lock.json", { cache: "no-cache" }).then((r) => r.json());
  const early = !(cfg.snapshot && cfg.snapshot.packages);
  const lockFile = early && cfg.mode === "self" ? fetchLock() : null;
  const wheel = early && cfg.mode !== "self" ? fetchWheel(cfg) : null;
  for (const p of [lockFile, wheel]) if (p) p.catch(() => {});  // awaited (and reported) below
  const { loadPyodide } = await importScript(cfg, "pyodide.mjs", mjs);
  // Defines globalThis._createPyodideModule, so loadPyodide does not import it again unchecked.
  if ((cfg.integrity || {})["pyodide.asm.js"]) await importScript(cfg, "pyodide.asm.js", asmJs);
  lap("scripts_imported");
  const pyodide = await startPyodide(cfg, loadPyodide, snapshot);
  pyodide._api.config._loadSnapshot = null;  // Pyodide keeps its options: let the bytes go
  lap("runtime");
  progress("numpy", 1, total);
  if (bootInfo.packages) {
    // numpy and simcore came imported in the snapshot (whose simcore is this page's wheel)
  } else if (cfg.mode === "self") {
    // The lock file must name exactly the wheel this page was built with.
    const entry = (await (lockFile || fetchLock())).packages.simcore;
    if (!entry || entry.sha256 !== cfg.wheelSha256) {
      throw new Error("The simcore wheel on the server does not match this page (stale build); reload the page.");
    }
    // one call: Pyodide downloads both at once (the lock file pins each by its sha256)
    await loadPackages(pyodide, ["numpy", "simcore"], cfg);
  } else {
    await loadPackages(pyodide, ["numpy"], cfg);
    pyodide.unpackArchive(await (wheel || fetchWheel(cfg)), "wheel");
  }
  lap("packages");
  progress("simcore", 2, total);
  const version = pyodide.runPython("import simcore; simcore.__version__");
  if (version !== cfg.simcoreVersion) {
    throw new Error(`simcore ${version} loaded, but this page expects ${cfg.simcoreVersion}; reload the page.`);
  }
  const glue = pyodide.pyimport("simcore.worker");
  py = {
    run: glue.run_json,
    start: glue.stream_start,
    next: glue.stream_next,
    stop: glue.stream_stop,
    memory: glue.memory_json,
  };
  runtime = pyodide;
  lap("simcore");
  bootInfo.ms = ms;
  progress("ready", total, total);
}

// Warming up. A browser first runs WebAssembly through a quick compiler and recompiles the
// functions that turn out hot with its optimising one, in the background: in Chromium the
// trainer's first default run after a start took 1.7-1.8 s, the next ones 1.4 s (docs/runtime.md).
// When the page started the runtime ahead of the reader (the widget came into view), it asks
// the worker to spend that wait running the first few epochs of the widget's own training runs
// and discarding them, so the compiling is done before Run. Nothing of it is kept (each run has
// its own seed; its stream is closed), and any request of the page ends it: the page waits at
// most one epoch.
let requested = false;  // a request arrived: no warming up from now on
let warmed = false;     // once per worker
async function warmUp(configs, maxMs) {
  const t0 = performance.now();
  let epochs = 0;
  for (const [i, config] of configs.entries()) {
    if (requested || performance.now() - t0 >= maxMs) break;
    const sid = `warm-up-${i}`;
    if (JSON.parse(py.start(sid, "train", JSON.stringify(config))).error) continue;
    try {
      while (performance.now() - t0 < maxMs) {
        await new Promise((resolve) => setTimeout(resolve, 0));  // the page's messages go first
        if (requested) break;
        const d = JSON.parse(py.next(sid, 1, 1));
        if (d.error) break;
        epochs += d.records.length;
        if (d.done) break;
      }
    } finally {
      py.stop(sid);
    }
  }
  return { epochs, ms: Math.round(performance.now() - t0), interrupted: requested };
}

function reply(id, text, ok) {
  const data = JSON.parse(text);
  if (data.error) self.postMessage({ id, type: "error", message: data.error, field: data.field });
  else ok(data);
}

// Emscripten reports some load failures (e.g. the .wasm file cannot be fetched) by rejecting
// a promise nobody awaits; pass those on so the page can say so instead of waiting forever.
self.addEventListener("unhandledrejection", (event) => {
  const reason = event.reason;
  self.postMessage({ type: "fatal", message: String(reason && reason.message ? reason.message : reason) });
});

self.onmessage = async (event) => {
  const msg = event.data;
  if (msg.type === "snapshot-port") {
    // the page's helper sends the snapshot's bytes here, straight from its thread
    msg.port.onmessage = (e) => snapshotArrived(e.data.bytes ? new Uint8Array(e.data.bytes) : null);
    return;
  }
  if (msg.type === "snapshot") {  // the helper failed: boot from scratch
    snapshotArrived(msg.bytes ? new Uint8Array(msg.bytes) : null);
    return;
  }
  try {
    if (msg.type === "init") {
      const lock = msg.config.lock;
      if (lock && self.navigator.locks) {
        navigator.locks.request(lock, () => {
          self.postMessage({ type: "alive", lock });
          return new Promise(() => {});  // held until this worker ends
        });
      }
      booting = booting || boot(msg.config);
      await booting;
      self.postMessage({ id: msg.id, type: "ready", boot: bootInfo });
      return;
    }
    if (msg.type === "warm-up") {
      await booting;
      const skip = requested || warmed;
      warmed = true;
      const report = skip ? { epochs: 0, ms: 0, interrupted: requested } : await warmUp(msg.configs, msg.maxMs);
      self.postMessage({ id: msg.id, type: "result", result: report });
      return;
    }
    requested = true;
    await booting;
    if (msg.type === "run") {
      reply(msg.id, py.run(msg.task, JSON.stringify(msg.config)), (d) =>
        self.postMessage({ id: msg.id, type: "result", result: d.result }));
    } else if (msg.type === "stream-start") {
      reply(msg.id, py.start(msg.sid, msg.task, JSON.stringify(msg.config)), () =>
        self.postMessage({ id: msg.id, type: "result", result: null }));
    } else if (msg.type === "stream-next") {
      reply(msg.id, py.next(msg.sid, msg.max, msg.budgetMs / 1000), (d) =>
        self.postMessage({ id: msg.id, type: "epochs", records: d.records, done: d.done }));
    } else if (msg.type === "stream-stop") {
      py.stop(msg.sid);
      self.postMessage({ id: msg.id, type: "result", result: null });
    } else if (msg.type === "memory") {
      const result = JSON.parse(py.memory());  // collects first, so malloc sees only live data
      const m = runtime._module;
      // mallinfo() fills a struct of ten 32-bit words: arena is [0], uordblks (bytes in use) [7]
      const info = m._calloc(10, 4);
      m._mallinfo(info);
      result.malloc_in_use_bytes = m.HEAPU32[(info >> 2) + 7];
      result.malloc_arena_bytes = m.HEAPU32[info >> 2];
      m._free(info);
      result.wasm_heap_bytes = m.HEAPU8.byteLength;  // only grows: a high-water mark
      self.postMessage({ id: msg.id, type: "result", result });
    }
  } catch (err) {
    const text = String(err && err.message ? err.message : err);
    if (runtimeDead()) {
      // Emscripten's advice to its own developers is no help to a reader
      const why = text.split("\n")[0].replace(/\s*Build with -s\w+ for more info\.?/, "").replace(/\.$/, "").slice(0, 200);
      self.postMessage({ id: msg.id, type: "error", message: `The Python runtime crashed (${why}).` });
      self.close();  // the page sees this worker end (its lock is released) and starts afresh
      return;
    }
    self.postMessage({ id: msg.id, type: "error", message: text });
  }
};
