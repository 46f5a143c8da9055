"""Browser benchmarks of the trainer, self-hosted on 127.0.0.1, in Debian's Chromium.

    .venv/bin/python scripts/bench_browser.py [--runs 3] [--site DIR]

Reports, per run (each in a fresh browser context, so the HTTP cache is cold):
* click → first live result: from the click on Run to the first epoch drawn (the runtime is
  not prewarmed unless --prewarm, so this includes loading Pyodide, numpy and simcore), timed
  in the page (the click event's timestamp to the trainer's drawing of its first epoch) and,
  for comparison, from outside around Playwright's click and polling;
* the same for a second run on the same page (runtime already loaded);
* how the worker's boot went: from the build's memory snapshot or not, and when each stage
  (scripts imported, runtime started, numpy and simcore installed, simcore imported) ended;
* the full default run in the browser vs the same two api.train calls natively, side by
  side in this process (the ratio is what matters; the machine's load moves both): the first
  run from its first epoch drawn to its end, and the second run from click to end, both timed
  in the page (timed from outside, Playwright's waiting polls at growing intervals, up to
  500 ms, which rounded a run of about 1.3 s up to 1.85 s in some runs and not in others);
* with --read S, the page as a reader gets it: the trainer scrolled into view (which starts the
  runtime and then warms it up on the widget's own runs, bridge.warmUp), S seconds of reading,
  then Run; the warm-up's report (epochs, ms, interrupted) is printed;
* main-thread long tasks (over 50 ms) from the first click to the end of the second run, from
  PerformanceObserver;
* with --cpu-share F, the whole browser (every process of it) in a CPU cgroup limited to F of
  one core (as root; e.g. 0.3: 30 ms of CPU per 100 ms period), a harsher and more honest
  stand-in for a slow phone than DevTools' CPU throttling, which does not slow the worker
  (measured: 4× throttling moved the cold start only from 2.2 to 3.3 s). The native run
  beside it is not limited, so no browser ÷ native ratio is printed then;
* with --bare, Pyodide alone in the same browser: a module worker that imports pyodide.mjs,
  calls loadPyodide (no snapshot), loads numpy and imports it, with none of the site's code (no
  integrity checks, no simcore), so the runtime's own share of the cold start can be told
  apart. numpy is the one the site's lock file names: byte-compiled in a build that could.
Numbers are printed as a Markdown table for docs/runtime.md. Not a test: timings are noisy.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "browser"))
from conftest import ARGS, CHROMIUM, _Quiet, serve  # noqa: E402

from simcore import api  # noqa: E402

# --bare: served at /__bare__/ next to the site (same origin as its Pyodide copy)
BARE_PAGE = b"""<!doctype html><meta charset="utf-8"><script type="module">
const t = performance.now();
const w = new Worker("worker.js", { type: "module" });
w.onmessage = (e) => { window.result = { ...e.data, total: performance.now() - t }; };
</script>"""
BARE_WORKER = b"""const t0 = performance.now();
const { loadPyodide } = await import("../assets/pyodide/pyodide.mjs");
const py = await loadPyodide({ indexURL: new URL("../assets/pyodide/", import.meta.url).href });
const t1 = performance.now();
await py.loadPackage(["numpy"], { messageCallback: () => {} });
const t2 = performance.now();
py.runPython("import numpy");
postMessage({ boot: t1 - t0, numpy_package: t2 - t1, numpy_import: performance.now() - t2 });
"""


class _Bare(_Quiet):
    def do_GET(self):
        body = {"/__bare__/": BARE_PAGE, "/__bare__/worker.js": BARE_WORKER}.get(self.path)
        if body is None:
            return super().do_GET()
        self.send_response(200)
        self.send_header("Content-Type", "text/html" if self.path.endswith("/") else "text/javascript")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


FIRST = "() => Number(document.querySelector('[data-sim=trainer]').dataset.records || 0) > 0"
# Timed in the page, as the reader lives it: from the click event's timestamp to the moment the
# trainer draws its first epoch (it sets data-records when it draws), both on the page's clock.
# (Timing from outside, around Playwright's click and polling, adds its own 0.1-0.3 s.)
CLOCK = """
window.__clicks = []; window.__firsts = []; window.__dones = [];
document.addEventListener("click", (e) => {
  if (e.target.closest && e.target.closest("[data-action=run]")) window.__clicks.push(e.timeStamp);
}, true);
new MutationObserver((list) => {
  for (const m of list) {
    if (m.target.dataset.records !== "0" && window.__firsts.length < window.__clicks.length) {
      window.__firsts.push(performance.now());
    }
  }
}).observe(document, { subtree: true, attributes: true, attributeFilter: ["data-records"] });
new MutationObserver((list) => {
  for (const m of list) {
    if (m.target.dataset.state === "done" && window.__dones.length < window.__clicks.length) {
      window.__dones.push(performance.now());
    }
  }
}).observe(document, { subtree: true, attributes: true, attributeFilter: ["data-state"] });
"""


def warm_up_report(root: str = "../") -> str:
    """A JavaScript expression for a page ``root`` below the site's top: the warm-up's report
    (bridge.warmUp's promise) if it has ended, null if it is still running (100 ms allowed),
    "none" from a build without warm-up."""
    return f"""(async () => {{
  const bridge = await import(new URL("{root}javascripts/sim/bridge.js", location.href).href);
  if (!bridge.warmUp) return "none";
  return Promise.race([bridge.warmUp([]), new Promise((r) => setTimeout(() => r(null), 100))]);
}})()"""
BOOT = """async () => (await (await import(new URL("../javascripts/sim/bridge.js", location.href).href)).start()).boot"""
OBSERVE = """() => {
  window.__long = [];
  new PerformanceObserver((list) => { for (const e of list.getEntries()) window.__long.push([e.startTime, e.duration]); })
    .observe({ type: "longtask", buffered: false });
}"""


def cpu_limited(share: float, folder: Path) -> tuple[str, "callable"]:
    """A Chromium launcher (a script to pass as the executable) that puts the browser in a CPU
    cgroup limited to ``share`` of one core before it starts, so all its processes inherit the
    limit, and a function that removes the cgroup afterwards. cgroup v2 (``cpu.max``) or v1
    (``cpu.cfs_quota_us``); needs root."""
    period = 100_000
    quota = int(round(share * period))
    v2 = Path("/sys/fs/cgroup/cgroup.controllers")
    if v2.is_file() and "cpu" in v2.read_text().split():
        group = Path("/sys/fs/cgroup/residual-bench")
        group.mkdir(exist_ok=True)
        (group / "cpu.max").write_text(f"{quota} {period}\n")
    else:
        group = Path("/sys/fs/cgroup/cpu/residual-bench")
        group.mkdir(exist_ok=True)
        (group / "cpu.cfs_period_us").write_text(f"{period}\n")
        (group / "cpu.cfs_quota_us").write_text(f"{quota}\n")
    launcher = folder / "chromium-limited"
    launcher.write_text(f'#!/bin/sh\necho $$ > {group / "cgroup.procs"}\nexec {CHROMIUM} "$@"\n')
    launcher.chmod(0o755)

    def remove() -> None:
        for _ in range(50):  # the browser's last processes take a moment to exit
            try:
                group.rmdir()
                return
            except OSError:
                time.sleep(0.1)
    return str(launcher), remove


def build(site: Path) -> None:
    env = {**os.environ, "PYODIDE_MODE": "self", "NO_MKDOCS_2_WARNING": "1"}
    subprocess.run([str(Path(sys.executable).parent / "mkdocs"), "build", "--strict", "-q",
                    "--site-dir", str(site)], cwd=ROOT, env=env, check=True)


def native_seconds(cfg: dict) -> float:
    """Wall time of the trainer's run of ``cfg`` natively: the same two api.train calls."""
    t = time.perf_counter()
    for kind in ("plain", "residual"):
        api.train({**cfg, "kind": kind})
    return time.perf_counter() - t


def site_or_built(site: Path | None) -> Path:
    """``site`` (an already built self-mode site), or a fresh build in a temporary folder."""
    if site is None:
        site = Path(tempfile.mkdtemp(prefix="bench-site-"))
        build(site)
    return site


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--site", type=Path, help="an already built self-mode site")
    ap.add_argument("--prewarm", action="store_true",
                    help="let the widget start the runtime when it scrolls into view (as readers get "
                         "it); by default the page is opened as on a Save-Data connection, so the "
                         "click starts the runtime and 'cold' is the whole boot")
    ap.add_argument("--read", type=float, metavar="S",
                    help="scroll the trainer into view (the runtime starts and warms up, as readers get it) "
                         "and wait S seconds before Run; implies --prewarm")
    ap.add_argument("--bare", action="store_true",
                    help="also time Pyodide alone (loadPyodide, numpy's package, import numpy) in a "
                         "fresh context per run, with none of the site's code")
    ap.add_argument("--cpu-share", type=float, metavar="F",
                    help="run the whole browser in a CPU cgroup limited to F of one core (e.g. 0.3; as root)")
    args = ap.parse_args()
    server = serve(site_or_built(args.site), _Bare)
    url = f"{server.url}/trainer/"

    from playwright.sync_api import sync_playwright

    rows, bare = [], []
    executable, remove = CHROMIUM, None
    if args.cpu_share:
        executable, remove = cpu_limited(args.cpu_share, Path(tempfile.mkdtemp(prefix="bench-cgroup-")))
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=ARGS)
        for _ in range(args.runs):
            ctx = browser.new_context()
            ctx.add_init_script(CLOCK)
            if not (args.prewarm or args.read):
                ctx.add_init_script("Object.defineProperty(navigator, 'connection', "
                                    "{value: {saveData: true}, configurable: true});")
            page = ctx.new_page()
            page.set_default_timeout(180_000)
            page.goto(url)
            page.evaluate(OBSERVE)
            warm_up = None
            if args.read:
                page.locator("[data-sim=trainer]").scroll_into_view_if_needed()
                page.wait_for_timeout(args.read * 1000)
                warm_up = page.evaluate(warm_up_report())
            t0 = time.perf_counter()
            page.click("[data-action=run]")
            page.wait_for_function(FIRST, polling=5)
            outside = time.perf_counter() - t0
            page.wait_for_selector('[data-sim=trainer][data-state="done"]')
            cfg = page.evaluate("() => JSON.parse(document.querySelector('[data-sim=trainer]').dataset.config)")
            native = native_seconds(cfg)
            page.click("[data-action=run]")
            page.wait_for_function(FIRST, polling=5)
            page.wait_for_selector('[data-sim=trainer][data-state="done"]')
            clicks, firsts, dones = page.evaluate("() => [window.__clicks, window.__firsts, window.__dones]")
            # from the first click on: the page's own loading (search index, figures) may still
            # run a long task after the load event, before the reader does anything
            long_tasks = [d for t, d in page.evaluate("() => window.__long") if t >= clicks[0]]
            cold, warm = ((f - c) / 1000 for c, f in zip(clicks, firsts))
            browser_run = (dones[0] - firsts[0]) / 1000  # the first run, once it draws
            second_run = (dones[1] - clicks[1]) / 1000
            boot = page.evaluate(BOOT)
            rows.append((cold, warm, browser_run, native, long_tasks, outside, boot, second_run, warm_up))
            ctx.close()
            if args.bare:
                ctx = browser.new_context()
                page = ctx.new_page()
                page.goto(url.replace("/trainer/", "/__bare__/"))
                page.wait_for_function("() => window.result", timeout=180_000)
                bare.append(page.evaluate("() => window.result"))
                ctx.close()
        browser.close()
    server.shutdown()
    if remove:
        remove()
        print(f"The whole browser ran in a CPU cgroup limited to {args.cpu_share:g} of one core; "
              "the native runs were not limited.\n")

    print("| measure | median | runs |")
    print("|---|---:|---|")
    fmt = lambda xs: ", ".join(f"{x:.2f}" for x in xs)  # noqa: E731
    for name, i in (("click → first live epoch, cold cache (s)", 0),
                    ("the same, timed from outside the page (s)", 5),
                    ("click → first live epoch, second run (s)", 1),
                    ("default run in the browser: first run, first epoch drawn → done (s)", 2),
                    ("default run in the browser: second run, click → done (s)", 7),
                    ("same two api.train calls natively (s)", 3)):
        xs = [r[i] for r in rows]
        print(f"| {name} | {statistics.median(xs):.2f} | {fmt(xs)} |")
    if not args.cpu_share:
        for name, i in (("first run", 2), ("second run", 7)):
            ratios = [r[i] / r[3] for r in rows]
            print(f"| browser ÷ native, {name} | {statistics.median(ratios):.2f}× | {fmt(ratios)} |")
    if args.read:
        reports = ["not finished" if w is None else "none in this build" if w == "none" else
                   "{epochs} epochs in {ms} ms{}".format(", interrupted" if w["interrupted"] else "", **w)
                   for w in (r[8] for r in rows)]
        print(f"| warm-up before Run ({args.read:g} s of reading) | | {'; '.join(reports)} |")
    longs = [len(r[4]) for r in rows]
    worst = max((max(r[4]) for r in rows if r[4]), default=0)
    print(f"| main-thread tasks over 50 ms, click to end of two runs | {statistics.median(longs):.0f} | "
          f"{', '.join(map(str, longs))} (longest {worst:.0f} ms) |")
    snap = [r[6].get("snapshot") for r in rows]
    print(f"| runtime started from the build's memory snapshot | {sum(snap)} of {len(snap)} | "
          f"{', '.join('yes' if x else 'no (' + r[6].get('why', '?') + ')' for x, r in zip(snap, rows))} |")
    for stage in ("scripts_imported", "runtime", "packages", "simcore"):
        xs = [r[6]["ms"][stage] / 1000 for r in rows]
        print(f"| worker: boot start → {stage.replace('_', ' ')} (s) | {statistics.median(xs):.2f} | {fmt(xs)} |")
    for name, key in (("bare Pyodide: loadPyodide (s)", "boot"),
                      ("bare Pyodide: numpy's package (s)", "numpy_package"),
                      ("bare Pyodide: import numpy (s)", "numpy_import"),
                      ("bare Pyodide: worker start → numpy imported (s)", "total")):
        if bare:
            xs = [b[key] / 1000 for b in bare]
            print(f"| {name} | {statistics.median(xs):.2f} | {fmt(xs)} |")


if __name__ == "__main__":
    main()
