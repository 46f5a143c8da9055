"""The loss-landscape widget end to end: simcore's landscape task in Pyodide in a worker,
compared with native simcore.api number for number, and its live figure with the build-time
one (iso-lines included)."""

from __future__ import annotations

from urllib.parse import urlencode

from sim_page import (assert_bad_inputs, assert_equal_numbers, shown_numbers, wait_done, widget_config)

from simcore import api

ROOT = '[data-sim="landscape"]'
URL = "/lab/landscape/"
KINDS = ("plain", "residual")
PATHS = (("train_loss",), ("train_acc",), ("summary_1d", "rise"), ("summary_1d", "curvature"),
         ("summary_1d", "local_minima"), ("summary_2d", "rise"), ("summary_2d", "local_minima"),
         ("summary_2d", "nonconvex_fraction"))


def native_numbers(cfg: dict) -> dict:
    res = api.landscape(cfg)
    out = {}
    for k in KINDS:
        for path in PATHS:
            v = res[k]
            for key in path:
                v = v[key]
            out[f"{k}.{'.'.join(path)}"] = v
    return out


def test_static_figure_is_native_simcore_before_any_javascript_runs(browser, base_url):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(base_url + URL)
    assert page.get_attribute(ROOT, "data-state") == "static"
    assert page.locator(f"{ROOT} svg.sim-chart[aria-label]").count() == 4
    assert page.locator(f"{ROOT} svg.sim-chart .sim-heat").count() == 2
    assert page.locator(f"{ROOT} svg.sim-chart path.sim-iso-line").count() >= 2
    cfg = widget_config(page, ROOT)
    assert cfg["n"] == 300
    assert_equal_numbers(shown_numbers(page, ROOT), native_numbers(cfg))
    context.close()


def test_url_hash_round_trips_and_stop_works_mid_run(probe, base_url):
    page = probe.page
    wanted = {"dataset": "moons", "depth": "8", "width": "8", "layout": "pre", "norm": "false",
              "lr": "0.02", "epochs": "3", "landscape_span": "0.5", "landscape_points_1d": "9",
              "landscape_points_2d": "5", "seed": "4"}
    # a long run first, stopped mid-way: the figure stays the static one, a new run works
    page.goto(base_url + URL + "#landscape?" + urlencode({**wanted, "epochs": "40", "depth": "20"}))
    page.wait_for_selector(f"{ROOT} form")
    static = shown_numbers(page, ROOT)
    page.click(f"{ROOT} [data-action=run]")
    page.wait_for_function(f"() => document.querySelector('{ROOT} .sim-status').textContent === 'Running…'")
    page.wait_for_timeout(300)
    assert page.get_attribute(ROOT, "data-state") in ("loading", "running")
    page.click(f"{ROOT} [data-action=stop]")
    page.wait_for_selector(f'{ROOT}[data-state="done"]')
    assert page.inner_text(f"{ROOT} .sim-status") == "Stopped."
    page.fill(f"{ROOT} input[name=epochs]", wanted["epochs"])
    page.fill(f"{ROOT} input[name=depth]", wanted["depth"])
    for field, value in wanted.items():
        if field == "norm":
            assert page.is_checked(f"{ROOT} input[name=norm]") is False
        else:
            assert page.input_value(f"{ROOT} [name={field}]") == value
    assert shown_numbers(page, ROOT) == static  # the stopped run drew nothing
    page.click(f"{ROOT} [data-action=run]")
    wait_done(page, ROOT)
    assert page.inner_text(f"{ROOT} .sim-status").startswith("Done: 9 points")
    for field, value in wanted.items():
        assert f"{field}={value}" in page.url
    cfg = {**widget_config(page, ROOT), "dataset": "moons", "depth": 8, "width": 8, "layout": "pre",
           "norm": False, "lr": 0.02, "epochs": 3, "landscape_span": 0.5, "landscape_points_1d": 9,
           "landscape_points_2d": 5, "seed": 4}
    assert_equal_numbers(shown_numbers(page, ROOT), native_numbers(cfg))
    assert page.locator(f"{ROOT} svg.sim-chart .sim-heat rect").count() == 2 * 5 * 5
    probe.assert_clean()


BAD = {"depth": ("abc", 'depth: "abc" is not allowed'), "width": ("1", "width: 1 is not allowed"),
       "lr": ("-1", "lr: -1 is not allowed"), "epochs": ("1.5", "epochs: 1.5 is not allowed"),
       "landscape_span": ("6", "landscape_span: 6 is not allowed"),
       "landscape_points_1d": ("2", "landscape_points_1d: 2 is not allowed"),
       "landscape_points_2d": ("33", "landscape_points_2d: 33 is not allowed"),
       "seed": ("-3", "seed: -3 is not allowed")}


def test_bad_input_shows_a_message_and_does_not_run(probe, base_url):
    page = probe.page
    # choices and the checkbox can only be wrong in a pasted link: shown, nothing runs, and a
    # pasted hash with markup is data, never HTML
    page.goto(base_url + URL + "#landscape?dataset=%3Cimg%20src%3Dx%3E&layout=mid&norm=maybe")
    page.wait_for_selector(f"{ROOT} form")
    assert page.locator(f"{ROOT} img").count() == 0
    for field in ("dataset", "layout", "norm"):
        assert f"{field}: " in page.inner_text(f"#landscape-{field}-error")
        assert "is not allowed" in page.inner_text(f"#landscape-{field}-error")
    assert page.get_attribute(ROOT, "data-state") == "static"
    assert_bad_inputs(page, ROOT, BAD)
    # an even grid (0 would not be on it) is rejected by simcore.api in the worker
    page.fill(f"{ROOT} input[name=landscape_points_2d]", "10")
    page.click(f"{ROOT} [data-action=run]")
    page.wait_for_selector(f'{ROOT}[data-state="error"]')
    assert "landscape_points_2d: 10 is not allowed (must be odd" in page.inner_text("#landscape-landscape_points_2d-error")
    probe.assert_clean()
