"""The block explorer end to end: simcore.api.blocks_demo in Pyodide in a worker, compared with
native simcore.api number for number; the live diagram equals the build-time one (both drawn by
the widget's own view())."""

from __future__ import annotations

import json
import math
from urllib.parse import urlencode

from sim_page import record_determinism

from simcore import api

ROOT = '[data-sim="block-explorer"]'
MODULE = "/javascripts/sim/widgets/block-explorer.js"
KEYS = {"zero_branch": "max_abs_diff", "decomposition": "max_abs_error", "structure": "params"}


def widget_config(page) -> dict:
    return json.loads(page.get_attribute(ROOT, "data-config"))


def readout(page) -> dict:
    return page.evaluate("""() => Object.fromEntries([...document.querySelectorAll('[data-sim=block-explorer] .sim-readout tr[data-kind]')]
        .map((tr) => { const td = tr.querySelector('td[data-value]');
                       return [tr.dataset.kind, {key: td.dataset.key, value: JSON.parse(td.dataset.value), text: td.textContent,
                                                 compare: tr.querySelector('[data-key=compare]').textContent}]; }))""")


def assert_small(text: str, value: float):
    """A measured difference as the page writes it: 0 exactly, or three significant digits."""
    if value == 0:
        assert text == "0 (exactly)"
    else:
        assert math.isclose(float(text), value, rel_tol=5e-3), (text, value)


def assert_native(page, config: dict) -> dict:
    res = api.blocks_demo(config)
    got = readout(page)
    for kind, key in KEYS.items():
        part = res[kind]
        assert got[kind]["key"] == key
        assert math.isclose(got[kind]["value"], part[key], rel_tol=1e-9, abs_tol=0), (kind, got[kind], part[key])
        if kind != "structure":
            assert got[kind]["compare"] == part["compare"]
            assert_small(got[kind]["text"], part[key])
    assert page.locator(f"{ROOT} .sim-figure svg.sim-chart[aria-label]").count() == 3
    # the plotted points are simcore's values: one marker per sample in each scatter
    markers = page.evaluate("""() => [...document.querySelectorAll('[data-sim=block-explorer] .sim-figure svg')]
        .slice(1).map((svg) => svg.querySelectorAll('circle.sim-marker').length)""")
    assert markers == [len(res["zero_branch"]["output"]), len(res["decomposition"]["lhs"])]
    return res


def diagram_html(page) -> str:
    return page.eval_on_selector(f"{ROOT} svg.sim-block-diagram", "e => e.outerHTML")


def test_static_figure_is_native_simcore_without_javascript(browser, base_url):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{base_url}/lab/block-explorer/")
    assert page.get_attribute(ROOT, "data-state") == "static"
    cfg = widget_config(page)
    assert cfg == api.defaults("blocks_demo")
    res = assert_native(page, cfg)
    assert res["zero_branch"]["max_abs_diff"] == 0.0  # the default: pre-activation, identity
    context.close()


def test_default_run_equals_native_simcore(probe, base_url, tally):
    page = probe.page
    page.goto(f"{base_url}/lab/block-explorer/")
    page.wait_for_selector(f"{ROOT} form")
    static = diagram_html(page)
    page.click(f"{ROOT} [data-action=run]")
    page.wait_for_selector(f'{ROOT}[data-state="loading"], {ROOT}[data-state="running"], {ROOT}[data-state="done"]')
    page.wait_for_selector(f'{ROOT}[data-state="done"]')
    assert_native(page, widget_config(page))
    assert diagram_html(page) == static  # the live diagram equals the build-time one exactly
    # every block kind: the page draws each dense layer of simcore's structure, and the
    # projection shortcut exactly when simcore's block has one
    for kind in ("residual", "bottleneck", "projection", "plain", "highway", "dense"):
        for layout in ("post", "pre"):
            cfg = {**widget_config(page), "block_kind": kind, "layout": layout, "block_width": 16}
            st = api.blocks_demo(cfg)["structure"]
            text = page.evaluate("""async ([module, cfg, st]) => {
                const { diagram } = await import(module);
                return diagram(cfg, st).textContent;
            }""", [MODULE, cfg, st])
            for op in st["branch"] + st["shortcut"]["ops"] + st["gate"]:
                if op["op"] == "dense":
                    assert f"dense {op['in']}→{op['out']}" in text, (kind, layout, op)
            assert ("projection" in text) == (st["shortcut"]["type"] == "projection"), (kind, layout)
            assert f"y · {st['d_out']} features" in text, (kind, layout)
    probe.assert_clean()
    record_determinism(tally, page, ROOT)


def test_url_hash_round_trips(probe, base_url):
    page = probe.page
    wanted = {"block_kind": "plain", "layout": "post", "block_width": "12", "norm": "false",
              "activation": "tanh", "seed": "3"}
    page.goto(f"{base_url}/lab/block-explorer/#block-explorer?" + urlencode(wanted))
    page.wait_for_selector(f"{ROOT} form")
    for field, value in wanted.items():
        if field == "norm":
            assert page.is_checked(f"{ROOT} [name=norm]") is False
        else:
            assert page.input_value(f"{ROOT} [name={field}]") == value
    page.click(f"{ROOT} [data-action=run]")
    page.wait_for_selector(f'{ROOT}[data-state="done"]')
    for field, value in wanted.items():
        assert f"{field}={value}" in page.url
    cfg = {**widget_config(page), "block_kind": "plain", "layout": "post", "block_width": 12, "norm": False,
           "activation": "tanh", "seed": 3}
    res = assert_native(page, cfg)
    assert res["zero_branch"]["max_abs_diff"] > 0  # a plain block is not the identity
    # a second run through the controls: the projection shortcut
    page.select_option(f"{ROOT} [name=block_kind]", "projection")
    page.select_option(f"{ROOT} [name=layout]", "pre")
    page.click(f"{ROOT} [data-action=run]")
    page.wait_for_function("() => document.querySelector('[data-sim=block-explorer]').dataset.state === 'done' && document.querySelector('[data-sim=block-explorer] svg.sim-block-diagram').textContent.includes('projection')")
    res = assert_native(page, {**cfg, "block_kind": "projection", "layout": "pre"})
    assert res["zero_branch"]["max_abs_diff"] == 0.0 and res["decomposition"]["max_abs_error"] < 1e-12
    probe.assert_clean()


def test_bad_input_shows_a_message_and_does_not_run(probe, base_url):
    page = probe.page
    page.goto(f"{base_url}/lab/block-explorer/#block-explorer?block_kind=wide&layout=sideways&activation=swish&norm=maybe")
    page.wait_for_selector(f"{ROOT} form")
    for field, value in (("block_kind", "wide"), ("layout", "sideways"), ("activation", "swish"), ("norm", "maybe")):
        assert f'{field}: "{value}" is not allowed' in page.inner_text(f"#block-explorer-{field}-error")
    page.fill(f"{ROOT} [name=block_width]", "1")
    page.fill(f"{ROOT} [name=seed]", "-1")
    page.click(f"{ROOT} [data-action=run]")
    assert "block_width: 1 is not allowed (out of range)" in page.inner_text("#block-explorer-block_width-error")
    assert "seed: -1 is not allowed (out of range)" in page.inner_text("#block-explorer-seed-error")
    assert page.get_attribute(f"{ROOT} [name=seed]", "aria-invalid") == "true"
    assert page.get_attribute(ROOT, "data-state") == "static"
    assert page.inner_text(f"{ROOT} .sim-status") == "Fix the highlighted setting first."
    probe.assert_clean()


def test_phone_width_screenshot(browser, base_url, tmp_path_factory):
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2)
    page = context.new_page()
    page.goto(f"{base_url}/lab/block-explorer/")
    page.wait_for_selector(f"{ROOT} form")
    out = tmp_path_factory.getbasetemp() / "block-explorer-390.png"
    page.locator(ROOT).screenshot(path=str(out))
    print(f"screenshot: {out}")
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    context.close()
