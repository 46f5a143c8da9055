"""The learn-the-identity widget end to end: simcore's identity task (part learn_identity) in
Pyodide in a worker, compared with native simcore.api number for number, and its live figure
with the build-time one."""

from __future__ import annotations

from urllib.parse import urlencode

from sim_page import (assert_bad_inputs, assert_equal_numbers, chart_labels, shown_numbers, wait_done, widget_config)

from simcore import api

ROOT = '[data-sim="identity"]'
URL = "/lab/identity/"
KINDS = ("plain", "residual")


def native_numbers(cfg: dict) -> dict:
    li = api.identity(cfg)["learn_identity"]
    out = {}
    for k in KINDS:
        r = li[k]
        rms = [b["branch_rms"] for b in r["blocks"] or [] if b["branch_rms"] is not None]
        out.update({f"{k}.steps_to_tol": r["steps_to_tol"], f"{k}.initial_loss": r["initial_loss"],
                    f"{k}.final_loss": r["final_loss"], f"{k}.max_branch_rms": max(rms) if rms else None,
                    f"{k}.end_to_end_error": r["end_to_end_error"]})
    return out


def test_static_figure_is_native_simcore_before_any_javascript_runs(browser, base_url):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(base_url + URL)
    assert page.get_attribute(ROOT, "data-state") == "static"
    cfg = widget_config(page, ROOT)
    assert cfg == {**api.defaults("identity"), "identity_part": "learn_identity", "zero_init": False}
    assert page.locator(f"{ROOT} svg.sim-chart[aria-label]").count() == 3
    native = native_numbers(cfg)
    assert_equal_numbers(shown_numbers(page, ROOT), native)
    # the residual stack needs fewer steps than the plain one, and both reach the tolerance
    assert native["residual.steps_to_tol"] < native["plain.steps_to_tol"]
    assert chart_labels(page, ROOT)[0].endswith(
        f"plain {native['plain.steps_to_tol']} steps, residual {native['residual.steps_to_tol']} steps to reach 0.001 (dashed)")
    context.close()


def test_url_hash_round_trips(probe, base_url):
    page = probe.page
    wanted = {"identity_blocks": "3", "width": "8", "layout": "post", "activation": "relu",
              "norm": "false", "zero_init": "true", "init": "he_normal", "identity_optimizer": "momentum",
              "identity_lr": "0.05", "identity_steps": "300", "identity_tol": "0.0001",
              "identity_points": "64", "seed": "4"}
    page.goto(base_url + URL + "#identity?" + urlencode(wanted))
    page.wait_for_selector(f"{ROOT} form")
    for field, value in wanted.items():
        if field in ("norm", "zero_init"):
            assert page.is_checked(f"{ROOT} [name={field}]") == (value == "true")
        else:
            assert page.input_value(f"{ROOT} [name={field}]") == value
    page.click(f"{ROOT} [data-action=run]")
    wait_done(page, ROOT)
    for field, value in wanted.items():
        assert f"{field}={value}" in page.url
    cfg = {**widget_config(page, ROOT), "identity_blocks": 3, "width": 8, "layout": "post",
           "activation": "relu", "norm": False, "zero_init": True, "init": "he_normal",
           "identity_optimizer": "momentum", "identity_lr": 0.05, "identity_steps": 300,
           "identity_tol": 1e-4, "identity_points": 64, "seed": 4}
    assert_equal_numbers(shown_numbers(page, ROOT), native_numbers(cfg))
    probe.assert_clean()


BAD = {"identity_blocks": ("0", "identity_blocks: 0 is not allowed"),
       "width": ("2.5", "width: 2.5 is not allowed (not an integer)"),
       "identity_lr": ("fast", 'identity_lr: "fast" is not allowed'),
       "identity_steps": ("9999", "identity_steps: 9999 is not allowed"),
       "identity_tol": ("NaN", 'identity_tol: "NaN" is not allowed'),
       "identity_points": ("4", "identity_points: 4 is not allowed"),
       "seed": ("-1", "seed: -1 is not allowed")}


def test_bad_input_shows_a_message_and_does_not_run(probe, base_url):
    page = probe.page
    page.goto(base_url + URL + "#identity?layout=%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E&init=lecun")
    page.wait_for_selector(f"{ROOT} form")
    assert page.locator(f"{ROOT} img").count() == 0
    for field in ("layout", "init"):
        assert "is not allowed" in page.inner_text(f"#identity-{field}-error")
    assert_bad_inputs(page, ROOT, BAD)
    probe.assert_clean()


LOAD = 'const glue = pyodide.pyimport("simcore.worker");'  # where worker.js loads simcore.worker
INJECT = ("\nimport simcore.api as _api\n"
          "def _boom(task, config=None):\n"
          "    raise RuntimeError('injected fault')\n"
          "_api.run = _boom\n")


def test_python_failure_inside_a_simulation_is_one_sentence_and_retry_recovers(probe, base_url, tally):
    """A non-validation exception in Python (injected into the worker's glue) ends in a clear
    error with Retry, the settings stay, and Retry with a healthy worker runs normally."""
    page = probe.page
    body = probe_worker = {}  # set once the page asked for the worker and got the patched one

    def patch(route):
        response = route.fetch()
        text = response.text()
        assert LOAD in text
        body["patched"] = True
        route.fulfill(response=response, body=text.replace(LOAD, f"pyodide.runPython({INJECT!r}); {LOAD}"))

    page.route("**/javascripts/sim/worker.js", patch)
    page.goto(base_url + URL + "#identity?identity_blocks=1&width=8")
    page.wait_for_selector(f"{ROOT} form")
    static = shown_numbers(page, ROOT)
    page.click(f"{ROOT} [data-action=run]")
    page.wait_for_selector(f'{ROOT}[data-state="error"]')
    assert probe_worker["patched"]
    status = page.inner_text(f"{ROOT} .sim-status")
    assert status.startswith("The simulation could not run here: simcore failed (RuntimeError: injected fault).")
    assert "Traceback" not in status
    assert page.is_visible(f"{ROOT} [data-action=retry]")
    assert page.input_value(f"{ROOT} [name=identity_blocks]") == "1"
    assert shown_numbers(page, ROOT) == static  # the static figure stays
    tally.count("Faults", "Python exceptions raised inside a simulation (one sentence, no traceback)")
    page.unroute("**/javascripts/sim/worker.js")
    page.click(f"{ROOT} [data-action=retry]")
    wait_done(page, ROOT)
    cfg = {**widget_config(page, ROOT), "identity_blocks": 1, "width": 8}
    assert_equal_numbers(shown_numbers(page, ROOT), native_numbers(cfg))
    assert not page.is_visible(f"{ROOT} [data-action=retry]")
    tally.count("Faults", "recovered: the next run (Retry) equals native simcore")
    probe.assert_clean()


def test_stop_ends_a_long_single_call_by_restarting_the_worker(probe, base_url):
    """Python cannot be interrupted mid-call: Stop returns the widget at once, and the worker,
    still computing after the grace period (3 s), is terminated, so the next Run loads a fresh
    runtime instead of queueing behind the abandoned call."""
    page = probe.page
    # within the work budget (4e10 of 2e11: about 8 s natively, longer here), never converging
    long = {"identity_blocks": "4", "width": "64", "identity_points": "500",
            "identity_steps": "400", "identity_tol": "1e-12"}
    page.goto(base_url + URL + "#identity?" + urlencode(long))
    page.wait_for_selector(f"{ROOT} form")
    page.click(f"{ROOT} [data-action=run]")
    page.wait_for_function(f"() => document.querySelector('{ROOT} .sim-status').textContent === 'Running…'")
    page.wait_for_timeout(500)
    assert page.get_attribute(ROOT, "data-state") == "running"
    page.click(f"{ROOT} [data-action=stop]")
    assert page.get_attribute(ROOT, "data-state") == "done"
    assert page.inner_text(f"{ROOT} .sim-status") == "Stopped."
    page.wait_for_timeout(3500)  # past the grace period: the busy worker has been terminated
    page.click(f"{ROOT} [data-action=reset]")
    page.click(f"{ROOT} [data-action=run]")
    assert page.get_attribute(ROOT, "data-state") == "loading"  # a fresh runtime boots
    wait_done(page, ROOT)
    assert_equal_numbers(shown_numbers(page, ROOT), native_numbers(widget_config(page, ROOT)))
    # Run right after Stop, without waiting: the runtime restarts at once
    for field, value in long.items():
        page.fill(f"{ROOT} [name={field}]", value)
    page.click(f"{ROOT} [data-action=run]")
    page.wait_for_function(f"() => document.querySelector('{ROOT} .sim-status').textContent === 'Running…'")
    page.click(f"{ROOT} [data-action=stop]")
    page.click(f"{ROOT} [data-action=reset]")
    page.click(f"{ROOT} [data-action=run]")
    assert page.get_attribute(ROOT, "data-state") == "loading"
    wait_done(page, ROOT)
    assert_equal_numbers(shown_numbers(page, ROOT), native_numbers(widget_config(page, ROOT)))
    probe.assert_clean()
