"""The convergence widget end to end: one convergence call per depth in Pyodide, compared with
native simcore.api; runs that never reach the target are drawn as such, never as a number."""

from __future__ import annotations

from urllib.parse import urlencode

from sim_page import widget_config, open_more

from simcore import api

ROOT = '[data-sim="convergence"]'
PAGE = "/lab/convergence/"
KINDS = ("plain", "residual")


def native(config: dict) -> dict:
    """Per depth and kind: (epochs_to_target, status), from one call per depth."""
    out = {}
    for d in config["depths"]:
        r = api.convergence({**config, "depths": [d]})
        out[d] = {k: (r[k]["epochs_to_target"][0], r[k]["status"][0]) for k in KINDS}
    return out


def shown(page) -> dict:
    return page.evaluate("""() => {
        const out = {};
        for (const row of document.querySelectorAll('[data-sim=convergence] .sim-readout tr[data-kind]')) {
            out[row.dataset.kind] = {};
            for (const td of row.querySelectorAll('td[data-value]'))
                out[row.dataset.kind][td.dataset.key] = {value: JSON.parse(td.dataset.value), text: td.textContent, status: td.dataset.status};
        }
        return out;
    }""")


def assert_equal(cells: dict, want: dict, depths=None):
    for d in depths or want:
        for k in KINDS:
            e, status = want[d][k]
            cell = cells[k][f"d{d}"]
            assert cell["value"] == e and cell["status"] == status, (k, d, cell, want[d][k])
            assert cell["text"] == (str(e) if e is not None else status)
            if e is not None:
                assert isinstance(e, int)


def unreached_markers(page) -> int:
    return page.locator(f"{ROOT} circle.sim-unreached").count()


def test_static_figure_is_native_simcore_before_any_javascript_runs(browser, base_url):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{base_url}{PAGE}")
    assert page.get_attribute(ROOT, "data-state") == "static"
    assert page.locator(f"{ROOT} svg.sim-chart").count() == 2
    cfg = widget_config(page, ROOT)
    want = native(cfg)
    assert_equal(shown(page), want)
    missing = sum(want[d][k][0] is None for d in want for k in KINDS)
    assert missing >= 1, "the default should show a run that does not reach the target"
    assert unreached_markers(page) == missing
    context.close()


def test_url_hash_round_trips(probe, base_url):
    page = probe.page
    wanted = {"dataset": "spirals", "n": "100", "depths": "4,8", "width": "8", "layout": "pre",
              "norm": "false", "lr": "0.1", "epochs": "5", "convergence_target_acc": "0.7",
              "seed": "2"}
    page.goto(f"{base_url}{PAGE}#convergence?" + urlencode(wanted))
    page.wait_for_selector(f"{ROOT} form")
    for field, value in wanted.items():
        if field == "norm":
            assert page.is_checked(f"{ROOT} input[name=norm]") is False
        else:
            assert page.input_value(f"{ROOT} [name={field}]") == value
    page.click(f"{ROOT} [data-action=run]")
    page.wait_for_selector(f'{ROOT}[data-state="done"]')
    for field, value in wanted.items():
        assert f"{field}={value.replace(',', '%2C')}" in page.url
    cfg = {**widget_config(page, ROOT), "dataset": "spirals", "n": 100, "depths": [4, 8], "width": 8,
           "layout": "pre", "norm": False, "lr": 0.1, "epochs": 5, "convergence_target_acc": 0.7,
           "seed": 2}
    assert_equal(shown(page), native(cfg))
    probe.assert_clean()


def test_bad_input_shows_a_message_and_does_not_run(probe, base_url):
    page = probe.page
    page.goto(f"{base_url}{PAGE}")
    page.wait_for_selector(f"{ROOT} form")
    bad = {"n": "10", "depths": "12,4", "width": "0", "lr": "-1", "epochs": "1000",
           "convergence_target_acc": "1.5", "seed": "x"}
    for field, value in bad.items():
        open_more(page, ROOT)
        page.fill(f"{ROOT} input[name={field}]", value)
    page.click(f"{ROOT} [data-action=run]")
    for field in bad:
        assert field in page.inner_text(f"#convergence-{field}-error"), field
        assert page.get_attribute(f"{ROOT} input[name={field}]", "aria-invalid") == "true"
    assert "strictly ascending" in page.inner_text("#convergence-depths-error")
    assert page.get_attribute(ROOT, "data-state") == "static"
    page.goto(f"{base_url}{PAGE}#convergence?dataset=%3Cimg%20src%3Dx%3E&layout=side&norm=maybe")
    page.wait_for_selector(f"{ROOT} form")
    for field in ("dataset", "layout", "norm"):
        assert "is not allowed" in page.inner_text(f"#convergence-{field}-error"), field
    assert page.locator(f"{ROOT} img").count() == 0
    assert page.get_attribute(ROOT, "data-state") == "static"
    probe.assert_clean()


def test_stop_mid_run_and_run_again(probe, base_url):
    page = probe.page
    page.goto(f"{base_url}{PAGE}#convergence?" + urlencode({"depths": "4,32,64", "n": "300", "epochs": "40"}))
    page.wait_for_selector(f"{ROOT} form")
    page.click(f"{ROOT} [data-action=run]")
    page.wait_for_function(f"() => document.querySelector('{ROOT}').dataset.depthsDone === '1'")
    page.click(f"{ROOT} [data-action=stop]")
    page.wait_for_selector(f'{ROOT}[data-state="done"]')
    assert page.inner_text(f"{ROOT} .sim-status") == "Stopped after 1 depth."
    page.wait_for_timeout(4000)  # the depth-32 call still computing is abandoned after 3 s
    assert page.get_attribute(ROOT, "data-depths-done") == "1"
    assert page.get_attribute(ROOT, "data-state") == "done"
    cfg = {**widget_config(page, ROOT), "depths": [4, 32, 64], "n": 300, "epochs": 40}
    cells = shown(page)
    assert_equal(cells, native({**cfg, "depths": [4]}))
    assert cells["plain"].keys() == {"d4"}  # nothing drawn for the depths never computed
    # a new run starts cleanly after a stop
    open_more(page, ROOT)
    page.fill(f"{ROOT} input[name=depths]", "4")
    page.fill(f"{ROOT} input[name=epochs]", "3")
    page.click(f"{ROOT} [data-action=run]")
    page.wait_for_function(f"() => document.querySelector('{ROOT}').dataset.state === 'done' && document.querySelector('{ROOT}').dataset.depthsDone === '1'")
    assert_equal(shown(page), native({**cfg, "depths": [4], "epochs": 3}))
    probe.assert_clean()
