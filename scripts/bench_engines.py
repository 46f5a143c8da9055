"""Click → first live epoch of the trainer in Chromium, Firefox and WebKit, self-hosted, cold.

    .venv/bin/python scripts/bench_engines.py [--runs 3] [--site DIR] [--engines chromium,firefox,webkit]

Each run starts a fresh browser (so its HTTP cache is cold), opens the trainer page served on
127.0.0.1, and presses Run (``element.click()`` in the page, the same in every engine). The time
is measured in the page, from the click event's timestamp to the trainer's drawing of its first
epoch (it sets ``data-records``), on the page's own clock; the worker's boot report says whether
it started from the build's memory snapshot and when each stage ended. Then the default run is
waited for to the end, for its total.

The engines are driven as the tests drive them (``tests/engines.py``). Without ``--site`` the
site is built first (self mode). Prints a Markdown table for docs/runtime.md. Not a test:
timings are noisy; run it on a quiet machine.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
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


def one_run(name: str, base: str) -> dict:
    e = engines.EVERY_ENGINE[name]()
    try:
        e.goto(base + "/trainer/")
        e.wait_for(f"document.querySelector('{TRAINER} form.sim-controls [data-action=run]') !== null", 60)
        e.evaluate(CLOCK)
        e.click(f"{TRAINER} [data-action=run]")
        e.wait_for("window.__firsts.length > 0", 300, poll=0.02)
        clicks, firsts = e.evaluate("[window.__clicks, window.__firsts]")
        e.wait_for(f"document.querySelector('{TRAINER}').dataset.state === 'done'", 300)
        done = e.evaluate("performance.now()")
        boot = e.evaluate(engines.BOOT)
        return {"version": e.version, "first": (firsts[0] - clicks[0]) / 1000,
                "done": (done - clicks[0]) / 1000, "snapshot": boot["snapshot"],
                "why": boot.get("why"), "ms": boot.get("ms", {})}
    finally:
        e.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--site", type=Path)
    ap.add_argument("--engines", default="chromium,firefox,webkit")
    args = ap.parse_args()
    site = args.site
    if site is None:
        site = Path(tempfile.mkdtemp(prefix="bench-site-"))
        bench_browser.build(site)
    server = serve(site)
    base = server.url
    names = args.engines.split(",")
    results: dict[str, list[dict]] = {n: [] for n in names}
    for i in range(args.runs):           # engines in turn, so a slow spell hits all alike
        for name in names:
            r = one_run(name, base)
            results[name].append(r)
            print(f"{name} run {i + 1}: first epoch {r['first']:.2f} s, done {r['done']:.2f} s, "
                  f"snapshot {r['snapshot']} {r['why'] or ''} {r['ms']}", flush=True)
    print("\n| engine | version | click → first epoch, median (runs) | click → run done, median | from a snapshot |")
    print("|---|---|---:|---:|---|")
    for name in names:
        rs = results[name]
        firsts = ", ".join(f"{r['first']:.2f}" for r in rs)
        print(f"| {name} | {rs[0]['version']} | {statistics.median(r['first'] for r in rs):.2f} s ({firsts}) | "
              f"{statistics.median(r['done'] for r in rs):.2f} s | "
              f"{'yes' if all(r['snapshot'] for r in rs) else 'no: ' + str(rs[0]['why'])} |")
    server.shutdown()


if __name__ == "__main__":
    main()
