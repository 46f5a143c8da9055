"""Browser benchmark of the playground, self-hosted on 127.0.0.1, in Debian's Chromium.

    .venv/bin/python scripts/bench_playground.py [--runs 3] [--site DIR]

Reports, per run (each in a fresh browser context, the runtime loaded before the clock starts):
* epochs per second: the default run (30 epochs of both networks, the boundaries and every
  layer's colour redrawn as epochs arrive) from the click on Run to the last epoch drawn, timed
  in the page; beside it the same two api.train calls natively, in this process, one after the
  other (the ratio is what matters: the machine's load moves both);
* how many of the epochs were drawn (a redraw waits for the next animation frame, so two epochs
  arriving within one frame are drawn together);
* main-thread long tasks (over 50 ms, PerformanceObserver) from the click to the end of the run;
* how soon the page answers Pause, Step, Resume, a shortcut's switch and Reset: from the click
  (dispatched in the page) to the next frame after it, on the page's clock.
Numbers are printed as a Markdown table for docs/runtime.md. Not a test: timings are noisy.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "browser"))
sys.path.insert(0, str(ROOT / "scripts"))
from bench_browser import OBSERVE, site_or_built  # noqa: E402
from conftest import ARGS, CHROMIUM, _Quiet, serve  # noqa: E402
from widgets import playground  # noqa: E402

from simcore import api  # noqa: E402

R = 'div[data-sim="playground"]'
BOOT = """async () => (await import(new URL("/javascripts/sim/bridge.js", location.href).href)).start()"""
# every redraw's epoch and time, and the click's time, on the page's clock
CLOCK = """
window.__drawn = []; window.__click = null;
document.addEventListener("click", (e) => {
  if (e.target.closest && e.target.closest("[data-action=run]")) { window.__click = e.timeStamp; window.__drawn = []; }
}, true);
new MutationObserver((list) => {
  for (const m of list) if (m.target.dataset.epoch) window.__drawn.push([Number(m.target.dataset.epoch), performance.now()]);
}).observe(document, { subtree: true, attributes: true, attributeFilter: ["data-epoch"] });
"""
# click a control in the page and time until the frame after it has been drawn
ANSWER = """async (selector) => {
  const el = document.querySelector(selector);
  const t = performance.now();
  el.dispatchEvent(new MouseEvent("click", { bubbles: true }));
  await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
  return performance.now() - t;
}"""
CONTROLS = {"Pause": f"{R} [data-action=pause]", "Step": f"{R} [data-action=step]",
            "Resume": f"{R} [data-action=pause]",
            "shortcut switch": f'{R} svg.sim-residual g.sim-arch-shortcut[data-block="3"] .sim-arch-hit',
            "Reset": f"{R} [data-action=reset]"}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--site", type=Path, help="an already built self-mode site")
    args = ap.parse_args()
    server = serve(site_or_built(args.site), _Quiet)
    config = playground.DEFAULTS

    from playwright.sync_api import sync_playwright

    rows = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for _ in range(args.runs):
            ctx = browser.new_context(viewport={"width": 1200, "height": 900})
            ctx.add_init_script(CLOCK)
            page = ctx.new_page()
            page.set_default_timeout(180_000)
            page.goto(f"{server.url}/lab/playground/")
            page.wait_for_selector(f"{R} svg.sim-residual g.sim-arch-shortcut[role]", state="attached")
            page.evaluate(BOOT)  # the runtime loaded: this times training and drawing, not the boot
            page.evaluate(OBSERVE)
            page.click(f"{R} [data-action=run]")
            page.wait_for_selector(f'{R}[data-state="done"]')
            click, drawn = page.evaluate("() => [window.__click, window.__drawn]")
            last = max(t for e, t in drawn if e == config["epochs"])
            browser_s = (last - click) / 1000
            epochs_drawn = len({e for e, _ in drawn})
            long_tasks = [d for t, d in page.evaluate("() => window.__long") if t >= click]
            t0 = time.perf_counter()
            for c in playground.configs(config).values():
                api.train(c)
            native_s = time.perf_counter() - t0
            # the controls, during a run: Pause, Step, Resume; then a switch (a new run) and Reset
            page.click(f"{R} [data-action=run]")
            page.wait_for_function(f"() => Number(document.querySelector('{R}').dataset.epoch) >= 2", polling=5)
            answers = {name: page.evaluate(ANSWER, sel) for name, sel in CONTROLS.items()}
            rows.append((browser_s, native_s, epochs_drawn, long_tasks, answers))
            ctx.close()
        browser.close()
    server.shutdown()

    epochs = config["epochs"]
    fmt = lambda xs: ", ".join(f"{x:.2f}" for x in xs)  # noqa: E731
    print(f"Default playground (depth {config['depth']}, width {config['width']}, {config['n']} points, "
          f"{epochs} epochs of both networks), runtime loaded:\n")
    print("| measure | median | runs |")
    print("|---|---:|---|")
    for name, xs in (("epochs per second in the browser (both networks, drawn)", [epochs / r[0] for r in rows]),
                     ("epochs per second natively (the same two api.train calls)", [epochs / r[1] for r in rows])):
        print(f"| {name} | {statistics.median(xs):.1f} | {fmt(xs)} |")
    ratios = [r[0] / r[1] for r in rows]
    print(f"| browser ÷ native | {statistics.median(ratios):.1f}× | {fmt(ratios)} |")
    drawn = [r[2] for r in rows]
    print(f"| epochs drawn, of {epochs + 1} (0 to {epochs}) | {statistics.median(drawn):.0f} | {', '.join(map(str, drawn))} |")
    longs = [len(r[3]) for r in rows]
    worst = max((max(r[3]) for r in rows if r[3]), default=0)
    print(f"| main-thread tasks over 50 ms during the run | {statistics.median(longs):.0f} | "
          f"{', '.join(map(str, longs))} (longest {worst:.0f} ms) |")
    for name in CONTROLS:
        xs = [r[4][name] for r in rows]
        print(f"| {name}: click → next frame (ms) | {statistics.median(xs):.0f} | {', '.join(f'{x:.0f}' for x in xs)} |")


if __name__ == "__main__":
    main()
