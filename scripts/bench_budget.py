"""How long a call within the work budget takes, per task: natively and in the browser.

    .venv/bin/python scripts/bench_budget.py [--fraction 0.05] [--browser-fraction 0.05] [--no-browser]

For each task, two shapes of config that the budget counts differently: *wide* (width 256,
mini-batches of 256: the time goes to multiply-accumulates) and *narrow* (width 2, batch 1:
the time goes to NumPy's per-call overhead, which the budget counts as ``STEP``/``PASS``). In
each shape the task's scale field (``epochs``; ``identity_steps`` for identity, ``n`` for
blocks_demo) is raised until the config's work is ``--fraction`` of the budget; the call is
timed natively (portable arithmetic, one core) and the seconds per budget are extrapolated
linearly (the work is linear in the scale field). The slower shape is then timed in headless
Chromium through the site's own worker (``bridge.run``), at ``--browser-fraction``.

Prints a Markdown table for docs/simcore.md. Not a test: timings are noisy.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "browser"))

from simcore import api, budget  # noqa: E402

SHAPES = {"wide": {"width": 256, "batch_size": 256, "n": 2000},
          "narrow": {"width": 2, "batch_size": 1, "n": 400}}
SCALE = {"identity": "identity_steps", "blocks_demo": "n"}


def scaled(task: str, shape: str, fraction: float) -> tuple[dict, float] | None:
    """The config of ``shape`` whose work is closest to (at most) ``fraction`` of the budget."""
    defaults = api.TASKS[task][1]
    base = {k: v for k, v in SHAPES[shape].items() if k in defaults}
    if task == "identity":
        base = {"identity_part": "learn_identity", "width": SHAPES[shape]["width"],
                "identity_tol": 1e-12, "identity_points": 1000 if shape == "wide" else 8}
    if task == "blocks_demo":
        base = {"block_width": 64 if shape == "wide" else 2}
    if task == "transformer" and shape == "narrow":
        base["heads"] = 1  # width 2 in heads of at least 2 features
    field = SCALE.get(task, "epochs")
    lo, hi = api.FIELDS[field][1]
    target = fraction * budget.BUDGET
    best = None
    while lo <= hi:                    # the largest value of the field within the target
        mid = (lo + hi) // 2
        try:
            w = api.work(task, {**base, field: mid})
        except ValueError:
            hi = mid - 1
            continue
        if w <= target:
            best, lo = ({**base, field: mid}, w), mid + 1
        else:
            hi = mid - 1
    return best


def native(task: str, cfg: dict) -> float:
    start = time.perf_counter()
    api.run(task, cfg, budget=None)
    return time.perf_counter() - start


def browser_runner(site: Path):
    from playwright.sync_api import sync_playwright
    from conftest import ARGS, CHROMIUM, serve

    server = serve(site)
    pw = sync_playwright().start()
    browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
    page = browser.new_page()
    page.set_default_timeout(900_000)
    page.goto(f"{server.url}/trainer/")
    page.evaluate('async () => { window.bridge = await import(new URL("../javascripts/sim/bridge.js", location.href).href); await window.bridge.start(); }')

    def run(task: str, cfg: dict) -> float:
        return page.evaluate("""async ([task, cfg]) => {
            const t = performance.now(); await window.bridge.run(task, cfg); return (performance.now() - t) / 1000;
        }""", [task, cfg])
    return run


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--fraction", type=float, default=0.05)
    ap.add_argument("--browser-fraction", type=float, default=0.05)
    ap.add_argument("--no-browser", action="store_true")
    ap.add_argument("--site", type=Path)
    ap.add_argument("--tasks", default=",".join(t for t in api.TASKS if t != "variants"))
    args = ap.parse_args()
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    run_in_browser = None
    if not args.no_browser:
        from bench_browser import site_or_built
        run_in_browser = browser_runner(site_or_built(args.site))
    rows = []
    for task in args.tasks.split(","):
        per_budget = {}
        for shape in SHAPES:
            found = scaled(task, shape, args.fraction)
            if found is None:
                continue
            cfg, w = found
            s = native(task, cfg)
            per_budget[shape] = (s * budget.BUDGET / w, cfg, w)
            print(f"{task} {shape}: {json.dumps(cfg)} work {w:.2e}: {s:.2f} s native "
                  f"-> {per_budget[shape][0]:.0f} s per budget", flush=True)
        if not per_budget:
            print(f"{task}: no config of either shape fits {args.fraction} of the budget", flush=True)
            continue
        shape = max(per_budget, key=lambda k: per_budget[k][0])
        full_native, cfg, w = per_budget[shape]
        full_browser = None
        if run_in_browser:
            bcfg, bw = scaled(task, shape, args.browser_fraction) or (cfg, w)
            s = run_in_browser(task, bcfg)
            full_browser = s * budget.BUDGET / bw
            print(f"{task} {shape} in the browser: {bw:.2e}: {s:.2f} s -> {full_browser:.0f} s per budget", flush=True)
        rows.append((task, shape, full_native, full_browser))
    print("\n| task | slowest shape | a whole budget natively | in Chromium |")
    print("|---|---|---:|---:|")
    for task, shape, n, b in rows:
        print(f"| `{task}` | {shape} | {n:.0f} s | {'—' if b is None else f'{b:.0f} s'} |")


if __name__ == "__main__":
    main()
