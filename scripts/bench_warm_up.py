"""A widget's own call, the first after the page started the runtime and the next, in each engine.

    .venv/bin/python scripts/bench_warm_up.py [--runs 2] [--site DIR] [--widget degradation]
        [--engines chromium,webkit] [--read 5]

Each run starts a fresh browser, opens the widget's page served on 127.0.0.1, scrolls the
widget into view (which starts the runtime and, in a build with bridge.warmUp, warms it up),
waits --read seconds as a reader would, then times the widget's task at its defaults
(``bridge.run``, the data-config the page carries) twice, in the page. It prints the warm-up's
report and both times: the first call pays for whatever the browser has not yet compiled to
optimised code, the second shows the engine's own pace. Run it on two builds to compare them.
Not a test: timings are noisy; run it on a quiet machine.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "tests" / "browser"))
import bench_browser  # noqa: E402
import engines  # noqa: E402
from conftest import serve  # noqa: E402
from sim_page import WIDGET_PAGES  # noqa: E402

TIMED = """(async () => {
  const bridge = await import(new URL("%(root)sjavascripts/sim/bridge.js", location.href).href);
  await bridge.start();
  const config = JSON.parse(document.querySelector('[data-sim="%(kind)s"]').dataset.config);
  const ms = [];
  for (let i = 0; i < 2; i++) {
    const t = performance.now();
    await bridge.run(%(task)s, config);
    ms.push(performance.now() - t);
  }
  return ms;
})()"""


def one_run(engine: str, url: str, kind: str, task: str, read: float) -> dict:
    e = engines.EVERY_ENGINE[engine]()
    try:
        e.goto(url)
        e.wait_for(f"document.querySelector('[data-sim=\"{kind}\"] form.sim-controls') !== null", 60)
        e.evaluate(f"(document.querySelector('[data-sim=\"{kind}\"]').scrollIntoView(), true)")
        time.sleep(read)
        root = "../" * url.rstrip("/").count("/", url.index("//") + 2)
        warm_up = e.evaluate(bench_browser.warm_up_report(root))
        return {"warmUp": warm_up, "ms": e.evaluate(TIMED % {"root": root, "kind": kind, "task": json.dumps(task)})}
    finally:
        e.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=2)
    ap.add_argument("--site", type=Path, help="an already built self-mode site")
    ap.add_argument("--widget", default="degradation", help=f"one of {', '.join(WIDGET_PAGES)}")
    ap.add_argument("--task", help="the widget's task, if not named as the widget")
    ap.add_argument("--engines", default="chromium,webkit")
    ap.add_argument("--read", type=float, default=5.0, help="seconds with the widget in view before its calls")
    args = ap.parse_args()
    server = serve(bench_browser.site_or_built(args.site))
    url = server.url + WIDGET_PAGES[args.widget]
    rows: dict[str, list[dict]] = {n: [] for n in args.engines.split(",")}
    for i in range(args.runs):
        for name in rows:
            r = one_run(name, url, args.widget, args.task or args.widget, args.read)
            rows[name].append(r)
            print(f"{name} run {i + 1}: warm-up {r['warmUp']}, calls {[round(m) for m in r['ms']]} ms", flush=True)
    server.shutdown()
    print("\n| engine | first call (ms) | second call (ms) | warm-up |")
    print("|---|---:|---:|---|")
    for name, rs in rows.items():
        first = [r["ms"][0] for r in rs]
        second = [r["ms"][1] for r in rs]
        print(f"| {name} | {statistics.median(first):.0f} ({', '.join(f'{x:.0f}' for x in first)}) | "
              f"{statistics.median(second):.0f} ({', '.join(f'{x:.0f}' for x in second)}) | "
              f"{'; '.join(str(r['warmUp']) for r in rs)} |")


if __name__ == "__main__":
    main()
