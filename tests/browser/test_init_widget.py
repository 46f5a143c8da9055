"""The initialisation widget end to end: simcore's identity task (part init) in Pyodide in a
worker, compared with native simcore.api number for number, and its live figure with the
build-time one."""

from __future__ import annotations

from urllib.parse import urlencode

from sim_page import (assert_bad_inputs, assert_equal_numbers, chart_labels, shown_numbers, wait_done, widget_config)

from simcore import api

ROOT = '[data-sim="init"]'
URL = "/lab/init/"
KINDS = ("plain", "residual")
INITS = ("xavier_normal", "he_normal")


def native_numbers(cfg: dict) -> dict:
    res = api.identity(cfg)["init"]
    out = {f"expected.{i}": res["expected_ratio"][i] for i in INITS}
    for k in KINDS:
        for i in INITS:
            r, p = res[k][i], res[k][i]["profile"]
            out.update({f"{k}.{i}.ratio": r["ratio"], f"{k}.{i}.signal_in": p["signal"][1],
                        f"{k}.{i}.signal_out": p["signal"][-1], f"{k}.{i}.grad_first": p["grad_w"][0],
                        f"{k}.{i}.grad_last": p["grad_w"][-1], f"{k}.{i}.drop": r["drop"],
                        f"{k}.{i}.started": r["started"]})
    return out


def test_static_figure_is_native_simcore_before_any_javascript_runs(browser, base_url):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(base_url + URL)
    assert page.get_attribute(ROOT, "data-state") == "static"
    cfg = widget_config(page, ROOT)
    assert cfg == {**api.defaults("identity"), "identity_part": "init"}
    assert page.locator(f"{ROOT} svg.sim-chart[aria-label]").count() == 6
    native = native_numbers(cfg)
    assert_equal_numbers(shown_numbers(page, ROOT), native)
    # what the page's prose says: Xavier starves a deep plain ReLU net, He does not
    assert not native["plain.xavier_normal.started"] and native["plain.he_normal.started"]
    assert abs(native["plain.xavier_normal.ratio"] - 0.5 ** 0.5) < 0.05
    assert chart_labels(page, ROOT)[0].startswith("RMS of the signal entering each weight layer of the plain net")
    context.close()


def test_url_hash_round_trips(probe, base_url):
    page = probe.page
    wanted = {"dataset": "circles", "n": "120", "depth": "8", "width": "16", "layout": "post",
              "optimizer": "adam", "lr": "0.01", "epochs": "3", "batch_size": "32",
              "identity_min_drop": "0.2", "seed": "2"}
    page.goto(base_url + URL + "#init?" + urlencode(wanted))
    page.wait_for_selector(f"{ROOT} form")
    for field, value in wanted.items():
        assert page.input_value(f"{ROOT} [name={field}]") == value
    page.click(f"{ROOT} [data-action=run]")
    wait_done(page, ROOT)
    for field, value in wanted.items():
        assert f"{field}={value}" in page.url
    cfg = {**widget_config(page, ROOT), "dataset": "circles", "n": 120, "depth": 8, "width": 16,
           "layout": "post", "optimizer": "adam", "lr": 0.01, "epochs": 3, "batch_size": 32,
           "identity_min_drop": 0.2, "seed": 2}
    assert_equal_numbers(shown_numbers(page, ROOT), native_numbers(cfg))
    assert page.locator(f"{ROOT} svg.sim-chart").count() == 6
    probe.assert_clean()


BAD = {"n": ("5", "n: 5 is not allowed"), "depth": ("129", "depth: 129 is not allowed"),
       "width": ("", 'width: "" is not allowed'), "lr": ("-0.1", "lr: -0.1 is not allowed"),
       "epochs": ("1e9", "epochs: 1e9 is not allowed"),
       "batch_size": ("0", "batch_size: 0 is not allowed"),
       "identity_min_drop": ("2", "identity_min_drop: 2 is not allowed"),
       "seed": ("1.5", "seed: 1.5 is not allowed")}


def test_bad_input_shows_a_message_and_does_not_run(probe, base_url):
    page = probe.page
    page.goto(base_url + URL + "#init?dataset=%3Cscript%3Ewindow.pwned%3D1%3C%2Fscript%3E&optimizer=rmsprop")
    page.wait_for_selector(f"{ROOT} form")
    assert page.evaluate("() => window.pwned === undefined")
    for field in ("dataset", "optimizer"):
        assert "is not allowed" in page.inner_text(f"#init-{field}-error")
    assert_bad_inputs(page, ROOT, BAD)
    probe.assert_clean()
