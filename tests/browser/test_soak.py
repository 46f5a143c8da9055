"""Soak (issue 12): fifty training runs of the trainer widget, one after the other, in one page
without a reload. No error, every run ends done with the numbers of the first (same seed, same
numbers, equal to native simcore), and the worker's memory after the last run within 1.5× of
its value after the first, by the worker's own accounting (bridge.memory(): the page is not
cross-origin isolated, so performance.measureUserAgentSpecificMemory is not available)."""

from __future__ import annotations

from urllib.parse import urlencode

from sim_page import shown_numbers, wait_done, widget_config
from test_trainer import assert_finals, native_finals

ROOT = '[data-sim="trainer"]'
RUNS = 50
# short, so fifty runs take seconds: two networks of depth 4, width 8, three epochs each
SHORT = {"depth": "4", "width": "8", "epochs": "3"}
# the page's own bridge module (the same URL, so the same instance and worker)
MEMORY = """async () => {
    const base = document.getElementById('sim-config').dataset.base.replace(/\\/?$/, '/');
    return (await import(new URL(base + 'javascripts/sim/bridge.js', location.href).href)).memory();
}"""
# counts the runs that ended: each time the widget's data-state becomes "done"
COUNT_DONE = """(root) => {
    window.runsDone = 0;
    new MutationObserver(() => { if (document.querySelector(root).dataset.state === 'done') window.runsDone += 1; })
        .observe(document.querySelector(root), {attributes: true, attributeFilter: ['data-state']});
}"""


def test_fifty_runs_in_one_page(probe, base_url, tally):
    page = probe.page
    page.goto(f"{base_url}/trainer/#trainer?" + urlencode(SHORT))
    page.wait_for_selector(f"{ROOT} form")
    cfg = {**widget_config(page, ROOT), "depth": 4, "width": 8, "epochs": 3}
    page.evaluate(COUNT_DONE, ROOT)
    first = memory = None
    for run in range(1, RUNS + 1):
        page.click(f"{ROOT} [data-action=run]")
        page.wait_for_function(f"() => window.runsDone >= {run} || document.querySelector('{ROOT}').dataset.state === 'error'")
        wait_done(page, ROOT)
        assert page.evaluate("window.runsDone") == run
        assert page.inner_text(f"{ROOT} .sim-status") == "Done: 3 epochs each.", run
        assert page.get_attribute(ROOT, "data-records") == str(2 * (cfg["epochs"] + 1)), run
        shown = shown_numbers(page, ROOT)
        if run == 1:
            first = shown
            assert_finals(shown, native_finals(cfg))
            memory = page.evaluate(MEMORY)
        else:
            assert shown == first, f"run {run} shows other numbers than run 1"
        tally.count("Soak", "training runs in one page without reload")
    last = page.evaluate(MEMORY)
    assert last["open_streams"] == 0 == memory["open_streams"]
    for key in ("wasm_heap_bytes", "malloc_in_use_bytes", "python_objects"):
        assert 0 < last[key] <= 1.5 * memory[key], (key, memory[key], last[key])
    assert memory["malloc_in_use_bytes"] <= memory["malloc_arena_bytes"] <= memory["wasm_heap_bytes"]
    mib = lambda b: f"{b / 2**20:.1f} MiB"  # noqa: E731
    tally.note(f"worker memory after run 1 → after run {RUNS} (after a Python collection): malloc in use "
               f"{mib(memory['malloc_in_use_bytes'])} → {mib(last['malloc_in_use_bytes'])}; WebAssembly heap "
               f"{mib(memory['wasm_heap_bytes'])} → {mib(last['wasm_heap_bytes'])} (a high-water mark: it never "
               f"shrinks); objects tracked by Python's collector {memory['python_objects']:,} → {last['python_objects']:,}")
    probe.assert_clean()
