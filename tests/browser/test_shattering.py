"""The shattered-gradients widget end to end: simcore's shattering task in Pyodide in a
worker, compared with native simcore.api number for number, its live figure with the
build-time one, and the view selectors (depth, normalisation)."""

from __future__ import annotations

from urllib.parse import urlencode

from sim_page import (assert_bad_inputs, assert_equal_numbers, assert_same_geometry, chart_labels,
                      figure_geometry, record_determinism, shown_numbers, wait_done, widget_config)

from simcore import api

ROOT = '[data-sim="shattering"]'
URL = "/lab/shattering/"
KINDS = ("plain", "residual")


def native_numbers(cfg: dict) -> dict:
    res = api.shattering(cfg)
    out = {f"reference.{n}": res["reference"][n]["lag1"] for n in ("brown", "white")}
    for norm in ("bn", "no_bn"):
        out[f"{norm}.shallow"] = res[norm]["shallow"]["lag1"]
        for k in KINDS:
            for e in res[norm][k]:
                out[f"{norm}.{k}.{e['depth']}"] = e["lag1"]
    return out


def test_static_figure_is_native_simcore_before_any_javascript_runs(browser, base_url):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(base_url + URL)
    assert page.get_attribute(ROOT, "data-state") == "static"
    assert page.locator(f"{ROOT} svg.sim-chart[aria-label]").count() == 4
    cfg = widget_config(page, ROOT)
    assert cfg == api.defaults("shattering")
    assert_equal_numbers(shown_numbers(page, ROOT), native_numbers(cfg))
    # the default view: the deepest net, with batch norm; the selectors wait for a run
    assert page.is_disabled(f"{ROOT} select[name=view_depth]")
    assert "depth 50, with BN" in chart_labels(page, ROOT)[0]
    context.close()


def test_default_run_equals_native_simcore_and_the_view_switches(probe, base_url, tally):
    page = probe.page
    page.goto(base_url + URL)
    page.wait_for_selector(f"{ROOT} form")
    static = figure_geometry(page, ROOT)
    static_numbers = shown_numbers(page, ROOT)
    page.click(f"{ROOT} [data-action=run]")
    page.wait_for_selector(f'{ROOT}[data-state="loading"], {ROOT}[data-state="running"]')
    wait_done(page, ROOT)
    # the same texts as the build, and the same values (to rel 1e-9)
    live_numbers = shown_numbers(page, ROOT)
    assert {k: v["text"] for k, v in live_numbers.items()} == {k: v["text"] for k, v in static_numbers.items()}
    assert_equal_numbers(live_numbers, {k: v["value"] for k, v in static_numbers.items()})
    cfg = widget_config(page, ROOT)
    native = native_numbers(cfg)
    shown = shown_numbers(page, ROOT)
    assert_equal_numbers(shown, native)
    assert shown["bn.plain.24"]["text"] == f"{native['bn.plain.24']:.3f}"
    # the live figure is the build-time figure, mark for mark
    assert_same_geometry(figure_geometry(page, ROOT), static)
    # the view selectors now choose what is drawn (keyboard: they are native selects)
    assert page.is_enabled(f"{ROOT} select[name=view_depth]")
    page.focus(f"{ROOT} select[name=view_depth]")
    page.select_option(f"{ROOT} select[name=view_depth]", label="depth 10")
    page.select_option(f"{ROOT} select[name=view_norm]", value="no_bn")
    labels = chart_labels(page, ROOT)
    assert labels[0].startswith("Input gradient df/dt along the line of the plain net of depth 10, no BN")
    assert labels[0].endswith(f"lag-1 autocorrelation {native['no_bn.plain.10']:.3f}")
    assert labels[1].endswith(f"lag-1 autocorrelation {native['no_bn.residual.10']:.3f}")
    assert page.get_attribute(f'{ROOT} tr[data-depth="10"]', "class") == "sim-selected"
    # the gradient drawn is simcore's, point for point (run 0 of the config)
    res = api.shattering(cfg)
    d = page.get_attribute(f"{ROOT} .sim-panel:nth-child(2) path.sim-line.sim-residual", "d")
    assert d.count("L") + d.count("M") == sum(v is not None for v in res["no_bn"]["residual"][1]["gradients"])
    probe.assert_clean()
    record_determinism(tally, page, ROOT)


def test_url_hash_round_trips_and_stop_works_mid_run(probe, base_url):
    page = probe.page
    wanted = {"dataset": "moons", "depths": "4,12", "width": "16", "layout": "pre",
              "activation": "tanh", "epochs": "0", "shatter_points": "64", "shatter_span": "1.5",
              "shatter_offset": "0.5", "shatter_max_lag": "8", "shatter_runs": "1", "seed": "3"}
    # a long run first, stopped mid-way: the figure stays the static one, a new run works
    page.goto(base_url + URL + "#shattering?" + urlencode({**wanted, "depths": "4,10,24,50", "shatter_runs": "4"}))
    page.wait_for_selector(f"{ROOT} form")
    static = shown_numbers(page, ROOT)
    page.click(f"{ROOT} [data-action=run]")
    page.wait_for_function(f"() => document.querySelector('{ROOT} .sim-status').textContent === 'Running…'")
    page.wait_for_timeout(300)
    assert page.get_attribute(ROOT, "data-state") in ("loading", "running")
    page.click(f"{ROOT} [data-action=stop]")
    page.wait_for_selector(f'{ROOT}[data-state="done"]')
    assert page.inner_text(f"{ROOT} .sim-status") == "Stopped."
    page.fill(f"{ROOT} input[name=depths]", wanted["depths"])
    page.fill(f"{ROOT} input[name=shatter_runs]", wanted["shatter_runs"])
    for field, value in wanted.items():
        assert page.input_value(f"{ROOT} [name={field}]") == value
    assert shown_numbers(page, ROOT) == static  # the stopped run drew nothing
    page.click(f"{ROOT} [data-action=run]")
    wait_done(page, ROOT)
    assert page.inner_text(f"{ROOT} .sim-status").startswith("Done: 8 networks")
    for field, value in wanted.items():
        assert f"{field}={value.replace(',', '%2C')}" in page.url
    cfg = {**widget_config(page, ROOT), "dataset": "moons", "depths": [4, 12], "width": 16, "layout": "pre",
           "activation": "tanh", "epochs": 0, "shatter_points": 64, "shatter_span": 1.5,
           "shatter_offset": 0.5, "shatter_max_lag": 8, "shatter_runs": 1, "seed": 3}
    assert_equal_numbers(shown_numbers(page, ROOT), native_numbers(cfg))
    assert "depth 12, with BN" in chart_labels(page, ROOT)[0]  # the deepest of the new depths
    probe.assert_clean()


BAD = {"depths": ("4,3", "depths: 4,3 is not allowed (must be strictly ascending)"),
       "width": ("1", "width: 1 is not allowed"), "epochs": ("-1", "epochs: -1 is not allowed"),
       "shatter_points": ("15", "shatter_points: 15 is not allowed"),
       "shatter_span": ("0", "shatter_span: 0 is not allowed"),
       "shatter_offset": ("x", 'shatter_offset: "x" is not allowed'),
       "shatter_max_lag": ("0", "shatter_max_lag: 0 is not allowed"),
       "shatter_runs": ("9", "shatter_runs: 9 is not allowed"), "seed": ("-3", "seed: -3 is not allowed")}


def test_bad_input_shows_a_message_and_does_not_run(probe, base_url):
    page = probe.page
    # choices can only be wrong in a pasted link: shown, nothing runs, and a pasted hash with
    # markup is data, never HTML
    page.goto(base_url + URL + "#shattering?dataset=%3Cimg%20src%3Dx%3E&layout=mid&activation=swish")
    page.wait_for_selector(f"{ROOT} form")
    assert page.locator(f"{ROOT} img").count() == 0
    for field in ("dataset", "layout", "activation"):
        assert f"{field}: " in page.inner_text(f"#shattering-{field}-error")
        assert "is not allowed" in page.inner_text(f"#shattering-{field}-error")
    assert page.get_attribute(ROOT, "data-state") == "static"
    assert_bad_inputs(page, ROOT, BAD)
    # combinations only simcore.api rejects come back from the worker, next to their control
    page.select_option(f"{ROOT} select[name=dataset]", "digits")
    page.click(f"{ROOT} [data-action=run]")
    page.wait_for_selector(f'{ROOT}[data-state="error"]')
    assert "dataset: 'digits' is not allowed" in page.inner_text("#shattering-dataset-error")
    page.select_option(f"{ROOT} select[name=dataset]", "spirals")
    page.fill(f"{ROOT} input[name=shatter_points]", "16")
    page.fill(f"{ROOT} input[name=shatter_max_lag]", "20")
    page.click(f"{ROOT} [data-action=run]")
    page.wait_for_function("() => document.querySelector('#shattering-shatter_max_lag-error').textContent !== ''")
    assert "shatter_max_lag: 20 is not allowed" in page.inner_text("#shattering-shatter_max_lag-error")
    assert page.get_attribute(ROOT, "data-state") == "error"
    probe.assert_clean()
