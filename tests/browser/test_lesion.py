"""The lesion widget end to end: simcore's lesion task in Pyodide in a worker, compared with
native simcore.api number for number, and its live figure with the build-time one."""

from __future__ import annotations

from urllib.parse import urlencode

from sim_page import (assert_bad_inputs, assert_equal_numbers, shown_numbers, wait_done, widget_config)

from simcore import api

ROOT = '[data-sim="lesion"]'
URL = "/lab/lesion/"
KINDS = ("plain", "residual")


def native_numbers(cfg: dict) -> dict:
    res = api.lesion(cfg)
    split = "train" if res["chance"]["test"] is None else "test"
    out = {"chance": res["chance"][split]}
    for k in KINDS:
        out[f"{k}.intact"] = res[k]["intact"][split]
        out[f"{k}.single_median_drop"] = res[k]["single_median_drop"][split]
    return out


def test_static_figure_is_native_simcore_before_any_javascript_runs(browser, base_url):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(base_url + URL)
    assert page.get_attribute(ROOT, "data-state") == "static"
    assert page.locator(f"{ROOT} svg.sim-chart[aria-label]").count() == 2
    cfg = widget_config(page, ROOT)
    assert cfg["epochs"] == 15 and cfg["lesion_draws"] == 5
    assert_equal_numbers(shown_numbers(page, ROOT), native_numbers(cfg))
    assert page.locator(f"{ROOT} svg.sim-chart rect.sim-bar").count() == 2 * 9
    context.close()


def test_url_hash_round_trips_and_stop_works_mid_run(probe, base_url):
    page = probe.page
    wanted = {"dataset": "moons", "depth": "14", "width": "16", "layout": "pre", "norm": "true",
              "lr": "0.1", "epochs": "4", "lesion_max_k": "3", "lesion_draws": "2", "seed": "7"}
    # a long run first, stopped mid-way: the figure stays the static one, a new run works
    page.goto(base_url + URL + "#lesion?" + urlencode({**wanted, "epochs": "40"}))
    page.wait_for_selector(f"{ROOT} form")
    static = shown_numbers(page, ROOT)
    page.click(f"{ROOT} [data-action=run]")
    # the task is in the worker once the runtime is ready (the state turns to running only
    # when its one result arrives)
    page.wait_for_function(f"() => document.querySelector('{ROOT} .sim-status').textContent === 'Running…'")
    page.wait_for_timeout(300)
    assert page.get_attribute(ROOT, "data-state") in ("loading", "running")
    page.click(f"{ROOT} [data-action=stop]")
    page.wait_for_selector(f'{ROOT}[data-state="done"]')
    assert page.inner_text(f"{ROOT} .sim-status") == "Stopped."
    assert page.is_enabled(f"{ROOT} [data-action=run]")
    page.fill(f"{ROOT} input[name=epochs]", wanted["epochs"])
    for field, value in wanted.items():
        if field == "norm":
            assert page.is_checked(f"{ROOT} input[name=norm]") is True
        else:
            assert page.input_value(f"{ROOT} [name={field}]") == value
    assert shown_numbers(page, ROOT) == static  # the stopped run drew nothing
    page.click(f"{ROOT} [data-action=run]")
    wait_done(page, ROOT)
    assert page.inner_text(f"{ROOT} .sim-status").startswith("Done: 6 blocks")
    for field, value in wanted.items():
        assert f"{field}={value}" in page.url
    cfg = {**widget_config(page, ROOT), "dataset": "moons", "depth": 14, "width": 16, "layout": "pre",
           "norm": True, "lr": 0.1, "epochs": 4, "lesion_max_k": 3, "lesion_draws": 2, "seed": 7}
    assert_equal_numbers(shown_numbers(page, ROOT), native_numbers(cfg))
    assert page.locator(f"{ROOT} svg.sim-chart rect.sim-bar").count() == 2 * 6
    probe.assert_clean()


BAD = {"depth": ("abc", "depth: \"abc\" is not allowed"), "width": ("1", "width: 1 is not allowed"),
       "lr": ("-1", "lr: -1 is not allowed"), "epochs": ("1.5", "epochs: 1.5 is not allowed"),
       "lesion_max_k": ("64", "lesion_max_k: 64 is not allowed"),
       "lesion_draws": ("0", "lesion_draws: 0 is not allowed"), "seed": ("-3", "seed: -3 is not allowed")}


def test_bad_input_shows_a_message_and_does_not_run(probe, base_url):
    page = probe.page
    # choices and the checkbox can only be wrong in a pasted link: shown, nothing runs, and a
    # pasted hash with markup is data, never HTML
    page.goto(base_url + URL + "#lesion?dataset=%3Cimg%20src%3Dx%3E&layout=mid&norm=maybe")
    page.wait_for_selector(f"{ROOT} form")
    assert page.locator(f"{ROOT} img").count() == 0
    for field in ("dataset", "layout", "norm"):
        assert f"{field}: " in page.inner_text(f"#lesion-{field}-error")
        assert "is not allowed" in page.inner_text(f"#lesion-{field}-error")
    assert page.get_attribute(ROOT, "data-state") == "static"
    # every text field: its own message next to it, and no run starts
    assert_bad_inputs(page, ROOT, BAD)
    # a value only simcore.api can reject (depth must be 2 + 2b) comes back from the worker
    page.fill(f"{ROOT} input[name=depth]", "9")
    page.click(f"{ROOT} [data-action=run]")
    page.wait_for_selector(f'{ROOT}[data-state="error"]')
    assert "depth: 9 is not 2 + 2·b" in page.inner_text("#lesion-depth-error")
    probe.assert_clean()
