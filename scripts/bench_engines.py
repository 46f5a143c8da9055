"""Click → first live epoch of the trainer in Chromium, Firefox and WebKit, self-hosted, cold.

    .venv/bin/python scripts/bench_engines.py [--runs 3] [--site DIR] [--engines chromium,firefox,webkit] [--read S]

Each run starts a fresh browser (so its HTTP cache is cold), opens the trainer page served on
127.0.0.1, and presses Run (``element.click()`` in the page, the same in every engine). The time
is measured in the page, from the click event's timestamp to the trainer's drawing of its first
epoch (it sets ``data-records``), on the page's own clock; the worker's boot report says whether
it started from the build's memory snapshot and when each stage ended. Then the default run is
waited for to the end, for its total, and the same two ``api.train`` calls are timed natively
beside it (the first run from its first epoch drawn to its end, ÷ native).

With ``--read S`` the page is used as a reader uses it: the trainer is scrolled into view (which
starts the runtime and then warms it up on the widget's own runs, ``bridge.warmUp``), S seconds
pass, then Run; the warm-up's report is printed with the run.

The engines are driven as the tests drive them (``tests/engines.py``). Without ``--site`` the
site is built first (self mode). Prints a Markdown table for docs/runtime.md. Not a test:
timings are noisy; run it on a quiet machine.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "tests" / "browser"))
import bench_browser  # noqa: E402  (its in-page clock)
import engines  # noqa: E402
from conftest import serve  # noqa: E402

TRAINER = '[data-sim="trainer"]'
# bench_browser's in-page clock, as one expression (each engine runs it after the page loads)
CLOCK = f"(() => {{ {bench_browser.CLOCK} return true; }})()"


def one_run(name: str, base: str, read: float | None = None) -> dict:
    e = engines.EVERY_ENGINE[name]()
    try:
        e.goto(base + "/trainer/")
        e.wait_for(f"document.querySelector('{TRAINER} form.sim-controls [data-action=run]') !== null", 60)
        e.evaluate(CLOCK)
        warm_up = None
        if read:
            e.evaluate(f"(document.querySelector('{TRAINER}').scrollIntoView(), true)")
            time.sleep(read)
            warm_up = e.evaluate(bench_browser.warm_up_report())
        e.click(f"{TRAINER} [data-action=run]")
        e.wait_for("window.__firsts.length > 0", 300, poll=0.02)
        clicks, firsts = e.evaluate("[window.__clicks, window.__firsts]")
        e.wait_for(f"document.querySelector('{TRAINER}').dataset.state === 'done'", 300)
        done = e.evaluate("performance.now()")
        boot = e.evaluate(engines.BOOT)
        cfg = e.evaluate(f"JSON.parse(document.querySelector('{TRAINER}').dataset.config)")
        native = bench_browser.native_seconds(cfg)
        return {"version": e.version, "first": (firsts[0] - clicks[0]) / 1000,
                "done": (done - clicks[0]) / 1000, "run": (done - firsts[0]) / 1000, "native": native,
                "snapshot": boot["snapshot"], "why": boot.get("why"), "ms": boot.get("ms", {}),
                "warm_up": warm_up}
    finally:
        e.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--site", type=Path)
    ap.add_argument("--engines", default="chromium,firefox,webkit")
    ap.add_argument("--read", type=float, metavar="S",
                    help="scroll the trainer into view (the runtime starts and warms up) and wait S seconds before Run")
    args = ap.parse_args()
    server = serve(bench_browser.site_or_built(args.site))
    base = server.url
    names = args.engines.split(",")
    results: dict[str, list[dict]] = {n: [] for n in names}
    for i in range(args.runs):           # engines in turn, so a slow spell hits all alike
        for name in names:
            r = one_run(name, base, args.read)
            results[name].append(r)
            print(f"{name} run {i + 1}: first epoch {r['first']:.2f} s, done {r['done']:.2f} s, "
                  f"the run {r['run']:.2f} s (natively {r['native']:.2f} s), warm-up {r['warm_up']}, "
                  f"snapshot {r['snapshot']} {r['why'] or ''} {r['ms']}", flush=True)
    print("\n| engine | version | click → first epoch, median (runs) | click → run done, median | "
          "first epoch → done ÷ native, median (runs) | from a snapshot |")
    print("|---|---|---:|---:|---:|---|")
    for name in names:
        rs = results[name]
        firsts = ", ".join(f"{r['first']:.2f}" for r in rs)
        print(f"| {name} | {rs[0]['version']} | {statistics.median(r['first'] for r in rs):.2f} s ({firsts}) | "
              f"{statistics.median(r['done'] for r in rs):.2f} s | "
              f"{statistics.median(r['run'] / r['native'] for r in rs):.2f}× "
              f"({', '.join(format(r['run'] / r['native'], '.2f') for r in rs)}) | "
              f"{'yes' if all(r['snapshot'] for r in rs) else 'no: ' + str(rs[0]['why'])} |")
    server.shutdown()


if __name__ == "__main__":
    main()
