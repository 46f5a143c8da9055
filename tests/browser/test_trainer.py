"""The trainer widget end to end: the real simcore in Pyodide in a worker, compared with
native simcore.api number for number."""

from __future__ import annotations

import math
from urllib.parse import urlencode

from sim_page import (SLOW_FRAMES, assert_equal_numbers, native_record, shown_numbers, stop_and_read,
                      widget_config)

from simcore import api

ROOT = '[data-sim="trainer"]'
KINDS = ("plain", "residual")
SHOWN = ("epoch", "train_loss", "train_acc", "test_acc")  # the readout's numbers per network


def native_finals(config: dict) -> dict:
    return {k: api.train({**config, "kind": k})["final"] for k in KINDS}


def assert_finals(shown: dict, native: dict):
    """The readout (:func:`sim_page.shown_numbers`, keyed "kind.key") shows exactly each
    network's final numbers from native simcore, to rel 1e-9, and formats them as the build."""
    assert_equal_numbers(shown, {f"{k}.{key}": native[k][key] for k in KINDS for key in SHOWN})
    for k in KINDS:
        assert shown[f"{k}.train_acc"]["text"] == f"{100 * native[k]['train_acc']:.1f} %"
        assert shown[f"{k}.train_loss"]["text"] == f"{native[k]['train_loss']:.4f}"


def test_static_figure_is_native_simcore_before_any_javascript_runs(browser, base_url):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{base_url}/trainer/")
    assert page.get_attribute(ROOT, "data-state") == "static"
    assert page.locator(f"{ROOT} svg.sim-chart").count() == 4
    cfg = widget_config(page, ROOT)
    assert_finals(shown_numbers(page, ROOT), native_finals(cfg))
    context.close()


def test_pause_and_stop_mid_run(probe, base_url):
    page = probe.page
    page.goto(f"{base_url}/trainer/#trainer?" + urlencode({"epochs": 200, "depth": 8}))
    page.click(f"{ROOT} [data-action=run]")
    page.wait_for_selector(f'{ROOT}[data-state="running"]')
    # at least 4 residual epochs drawn live (records > 0: the figure and readout are no longer the
    # static ones, whose residual row says epoch 30 until the first residual record arrives)
    page.wait_for_function(f"""() => {{
        const root = document.querySelector('{ROOT}');
        const path = root.querySelector('svg.sim-chart path.sim-line.sim-residual');
        return Number(root.dataset.records) > 0 && path !== null && (path.getAttribute('d').match(/[ML]/g) || []).length >= 4;
    }}""")
    assert shown_numbers(page, ROOT)["residual.epoch"]["value"] >= 3
    page.click(f"{ROOT} [data-action=pause]")
    page.wait_for_timeout(300)  # let the epochs already asked for arrive
    before = shown_numbers(page, ROOT)["residual.epoch"]["value"]
    page.wait_for_timeout(1500)
    after = shown_numbers(page, ROOT)["residual.epoch"]["value"]
    assert after == before, "training went on while paused"
    assert page.get_attribute(ROOT, "data-state") == "running"
    # the page stays responsive while paused and while running
    assert page.evaluate("() => 1 + 1") == 2
    page.click(f"{ROOT} [data-action=pause]")  # resume
    page.wait_for_function(f"() => Number(document.querySelector('[data-sim=trainer] tr[data-kind=residual] td[data-key=epoch]').dataset.value) > {after}")
    page.click(f"{ROOT} [data-action=stop]")
    page.wait_for_selector(f'{ROOT}[data-state="done"]')
    stopped = shown_numbers(page, ROOT)["residual.epoch"]["value"]
    page.wait_for_timeout(1500)
    assert shown_numbers(page, ROOT)["residual.epoch"]["value"] == stopped < 200
    # the stopped run's numbers are still simcore's own
    cfg = {**widget_config(page, ROOT), "epochs": 200, "depth": 8}
    history = api.train({**cfg, "kind": "residual", "epochs": 200})["history"]
    want = history[stopped]["train_loss"]
    assert math.isclose(shown_numbers(page, ROOT)["residual.train_loss"]["value"], want, rel_tol=1e-9)
    # a new run starts cleanly after a stop
    page.fill(f"{ROOT} input[name=epochs]", "2")
    page.click(f"{ROOT} [data-action=run]")
    page.wait_for_function("() => document.querySelector('[data-sim=trainer]').dataset.state === 'done' && Number(document.querySelector('[data-sim=trainer] tr[data-kind=residual] td[data-key=epoch]').dataset.value) === 2")
    probe.assert_clean()


def test_stop_shows_at_once_the_epoch_it_stopped_at(probe, base_url):
    """Records arriving between two redraws are drawn at Stop, not a frame (or a computed
    epoch) later: read in the same task as the click, the figure already says the epoch the
    status line says, and nothing changes after."""
    page = probe.page
    page.add_init_script(SLOW_FRAMES)
    page.goto(f"{base_url}/trainer/#trainer?" + urlencode({"epochs": 200, "depth": 8}))
    page.click(f"{ROOT} [data-action=run]")
    page.wait_for_function(f"() => Number(document.querySelector('{ROOT}').dataset.records) > 0", timeout=180_000)
    page.wait_for_timeout(600)  # more records, not drawn yet
    status, shown, statuses = stop_and_read(page, ROOT)
    epochs = {k: shown[f"{k}.epoch"]["value"] for k in KINDS}
    assert status == f"Stopped after epoch {min(epochs.values())}.", (status, epochs)
    assert statuses == ["stopped", "stopped"]  # not the records' "running"
    page.wait_for_timeout(1500)
    assert shown_numbers(page, ROOT) == shown
    cfg = {**widget_config(page, ROOT), "epochs": 200, "depth": 8}
    for k in KINDS:
        record = native_record({**cfg, "kind": k}, epochs[k])
        assert shown[f"{k}.train_loss"]["value"] == record["train_loss"]  # bit for bit
    probe.assert_clean()


def test_bad_input_shows_a_message_and_does_not_run(probe, base_url):
    page = probe.page
    page.goto(f"{base_url}/trainer/")
    page.fill(f"{ROOT} input[name=depth]", "abc")
    page.fill(f"{ROOT} input[name=lr]", "-1")
    page.click(f"{ROOT} [data-action=run]")
    assert "depth" in page.inner_text("#trainer-depth-error")
    assert "lr: -1 is not allowed" in page.inner_text("#trainer-lr-error")
    assert page.get_attribute(f"{ROOT} input[name=depth]", "aria-invalid") == "true"
    assert page.get_attribute(ROOT, "data-state") == "static"
    # a value only simcore.api can reject (depth must be 2 + 2b) comes back from the worker
    page.fill(f"{ROOT} input[name=depth]", "9")
    page.fill(f"{ROOT} input[name=lr]", "0.05")
    page.click(f"{ROOT} [data-action=run]")
    page.wait_for_selector(f'{ROOT}[data-state="error"]')
    assert "depth: 9 is not 2 + 2·b" in page.inner_text("#trainer-depth-error")
    # a pasted hash with markup is data, never HTML
    page.goto(f"{base_url}/trainer/#trainer?dataset=%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E")
    page.wait_for_selector(f"{ROOT} form")
    assert page.locator(f"{ROOT} img").count() == 0
    assert "is not allowed" in page.inner_text("#trainer-dataset-error")
    probe.assert_clean()


def test_url_hash_round_trips(probe, base_url):
    page = probe.page
    wanted = {"depth": "12", "width": "8", "layout": "pre", "norm": "false", "lr": "0.1",
              "epochs": "3", "seed": "7", "dataset": "moons"}
    page.goto(f"{base_url}/trainer/#trainer?" + urlencode(wanted))
    page.wait_for_selector(f"{ROOT} form")
    for field, value in wanted.items():
        if field == "norm":
            assert page.is_checked(f"{ROOT} input[name=norm]") is False
        else:
            assert page.input_value(f"{ROOT} [name={field}]") == value
    page.click(f"{ROOT} [data-action=run]")
    page.wait_for_selector(f'{ROOT}[data-state="done"]')
    url = page.url
    for field, value in wanted.items():
        assert f"{field}={value}" in url
    # the shared link reproduces the run: same numbers as native for that configuration
    cfg = {**widget_config(page, ROOT), "depth": 12, "width": 8, "layout": "pre", "norm": False,
           "lr": 0.1, "epochs": 3, "seed": 7, "dataset": "moons"}
    assert_finals(shown_numbers(page, ROOT), native_finals(cfg))
    probe.assert_clean()


def test_runtime_failure_says_so_and_retry_recovers(probe, base_url):
    page = probe.page
    page.route("**/pyodide.asm.wasm", lambda route: route.abort())
    page.goto(f"{base_url}/trainer/#trainer?epochs=2")
    page.click(f"{ROOT} [data-action=run]")
    page.wait_for_selector(f'{ROOT}[data-state="error"]')
    status = page.inner_text(f"{ROOT} .sim-status")
    assert status.startswith("The simulation could not run here:")
    assert "computed when the site was built" in status
    assert page.is_visible(f"{ROOT} [data-action=retry]")
    assert page.locator(f"{ROOT} svg.sim-chart").count() == 4  # the static figure stays
    page.unroute("**/pyodide.asm.wasm")
    page.click(f"{ROOT} [data-action=retry]")
    page.wait_for_selector(f'{ROOT}[data-state="done"]')
    assert shown_numbers(page, ROOT)["residual.epoch"]["value"] == 2
    assert not page.is_visible(f"{ROOT} [data-action=retry]")


def test_over_the_work_budget_is_refused_at_the_field(probe, base_url):
    """Every field in range, together too much work: simcore.api refuses before any work, and
    the message shows beside the first field it names (the browser never lifts the budget)."""
    page = probe.page
    page.goto(f"{base_url}/trainer/#trainer?" + urlencode({"epochs": 500, "n": 5000, "depth": 128, "width": 256}))
    page.wait_for_selector(f"{ROOT} form")
    page.click(f"{ROOT} [data-action=run]")
    page.wait_for_selector(f'{ROOT}[data-state="error"]')
    message = page.inner_text("#trainer-epochs-error")
    assert "over the budget of 2.0e11" in message and "lower epochs, n, depth, width" in message
    assert page.get_attribute(f"{ROOT} [name=epochs]", "aria-invalid") == "true"
    probe.assert_clean()


WARM_UP = """async () => {
    const bridge = await import(new URL("../javascripts/sim/bridge.js", location.href).href);
    return bridge.warmUp([]);  // the first call's report: the widget's own, once it has run
}"""


def test_warm_up_while_the_reader_reads_then_the_same_numbers(probe, base_url):
    """The trainer scrolled into view starts the runtime and warms it up on the first five epochs
    of its two default runs (records for epochs 0-5 of each), which change nothing that follows:
    the run after it shows native simcore's numbers."""
    page = probe.page
    page.goto(f"{base_url}/trainer/")
    page.locator(ROOT).scroll_into_view_if_needed()
    page.wait_for_function("() => window.performance.getEntriesByType('resource').some((e) => e.name.includes('worker.js'))")
    report = page.evaluate(WARM_UP)
    assert report["epochs"] == 2 * 6 and report["interrupted"] is False, report
    page.click(f"{ROOT} [data-action=run]")
    page.wait_for_selector(f'{ROOT}[data-state="done"]')
    assert_finals(shown_numbers(page, ROOT), native_finals(widget_config(page, ROOT)))
    probe.assert_clean()


def test_run_ends_the_warm_up(probe, base_url):
    """Run pressed as soon as the runtime is ready: the warm-up stops (or never starts) and the
    run is simcore's own, number for number."""
    page = probe.page
    page.goto(f"{base_url}/trainer/#trainer?epochs=3")
    page.locator(ROOT).scroll_into_view_if_needed()
    page.evaluate("""async () => (await import(new URL("../javascripts/sim/bridge.js", location.href).href)).start()""")
    page.click(f"{ROOT} [data-action=run]")
    report = page.evaluate(WARM_UP)
    assert report["interrupted"] is True and report["epochs"] < 2 * 6, report
    page.wait_for_selector(f'{ROOT}[data-state="done"]')
    assert_finals(shown_numbers(page, ROOT), native_finals({**widget_config(page, ROOT), "epochs": 3}))
    probe.assert_clean()
