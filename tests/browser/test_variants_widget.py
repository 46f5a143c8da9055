"""The variants calculator end to end: simcore.api.variants in Pyodide in a worker, compared
with native simcore.api.variants number for number (exact integers); the live figure equals the
build-time one."""

from __future__ import annotations

import json
import math
from urllib.parse import urlencode

import pytest
from sim_page import record_determinism

from simcore import api

ROOT = '[data-sim="variants"]'


def widget_config(page) -> dict:
    return json.loads(page.get_attribute(ROOT, "data-config"))


def shown(page) -> dict:
    return page.evaluate("""(root) => {
        const r = document.querySelector(root);
        const totals = {};
        for (const row of r.querySelectorAll('.sim-variants-totals tr[data-kind]')) {
            const name = row.querySelector('[data-key=name]');
            totals[row.dataset.kind] = {name: name ? name.textContent : null};
            for (const td of row.querySelectorAll('td[data-value]'))
                totals[row.dataset.kind][td.dataset.key] = {value: JSON.parse(td.dataset.value), text: td.textContent};
        }
        const layers = [...r.querySelectorAll('.sim-variants-layers tbody tr')].map((tr) => ({
            stage: tr.dataset.stage,
            block: tr.querySelector('[data-key=block]').textContent,
            layer: tr.querySelector('[data-key=layer]').textContent,
            output_shape: JSON.parse(tr.querySelector('[data-key=output_shape]').dataset.value),
            params: JSON.parse(tr.querySelector('[data-key=params]').dataset.value),
            macs: JSON.parse(tr.querySelector('[data-key=macs]').dataset.value),
        }));
        const stages = [...r.querySelectorAll('details.sim-variants-stage')].map((d) => ({
            stage: d.dataset.stage, open: d.open,
            params: JSON.parse(d.querySelector('summary [data-key=params]').dataset.value),
            macs: JSON.parse(d.querySelector('summary [data-key=macs]').dataset.value),
        }));
        return {totals, layers, stages, charts: r.querySelectorAll('.sim-figure svg.sim-chart[aria-label]').length};
    }""", ROOT)


def assert_native(page, config: dict):
    """Everything the widget shows equals native api.variants for config's two calls."""
    a = api.variants({"name": config["name"], "resolution": config["resolution"]})
    b = api.variants({"name": config["compare"], "resolution": config["resolution"]})
    got = shown(page)
    assert got["charts"] == 2
    for kind, ref in (("model", a), ("compare", b)):
        row = got["totals"][kind]
        assert row["name"] == ref["name"]
        assert row["params"]["value"] == ref["params"] and isinstance(row["params"]["value"], int)
        assert row["macs"]["value"] == ref["macs"]
        assert row["resolution"]["value"] == ref["resolution"]
        assert row["params"]["text"] == f"{ref['params']:,}"
        assert row["macs"]["text"] == f"{ref['macs']:,}"
    ratio = got["totals"]["ratio"]
    assert math.isclose(ratio["params"]["value"], a["params"] / b["params"], rel_tol=1e-9)
    assert math.isclose(ratio["macs"]["value"], a["macs"] / b["macs"], rel_tol=1e-9)
    assert ratio["params"]["text"] == f"{a['params'] / b['params']:.3f}×"
    want = [{"stage": r["stage"], "block": "" if r["block"] is None else str(r["block"]), "layer": r["layer"],
             "output_shape": r["output_shape"], "params": r["params"], "macs": r["macs"]} for r in a["layers"]]
    assert got["layers"] == want
    stages: dict = {}
    for r in a["layers"]:
        s = stages.setdefault(r["stage"], {"params": 0, "macs": 0, "rows": 0})
        s["params"] += r["params"]
        s["macs"] += r["macs"]
        s["rows"] += 1
    assert [s["stage"] for s in got["stages"]] == list(stages)
    for s in got["stages"]:
        assert (s["params"], s["macs"]) == (stages[s["stage"]]["params"], stages[s["stage"]]["macs"])
        assert s["open"] == (stages[s["stage"]]["rows"] <= 8)
    return a, b


def test_static_figure_is_native_simcore_without_javascript(browser, base_url):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{base_url}/lab/variants/")
    assert page.get_attribute(ROOT, "data-state") == "static"
    cfg = widget_config(page)
    assert cfg == {"name": "resnet50", "resolution": 224, "compare": "resnet34"}
    a, _ = assert_native(page, cfg)
    assert a["params"] == 25557032
    # the field spec mirrors simcore.variants: every name, and the union of the resolution ranges
    fields = json.loads(page.get_attribute(ROOT, "data-fields"))
    from simcore import variants
    assert fields["name"] == ["choice", list(variants.NAMES)] == fields["compare"]
    assert fields["resolution"] == ["int", [variants.CIFAR_RESOLUTIONS[0], variants.IMAGENET_RESOLUTIONS[1]]]
    context.close()


def test_default_run_equals_native_simcore(probe, base_url, tally):
    page = probe.page
    page.goto(f"{base_url}/lab/variants/")
    page.wait_for_selector(f"{ROOT} form")
    static = page.eval_on_selector(f"{ROOT} .sim-output", "e => e.outerHTML")
    page.click(f"{ROOT} [data-action=run]")
    page.wait_for_selector(f'{ROOT}[data-state="done"]')
    assert_native(page, widget_config(page))
    # the live figure is the build-time one: the same view() of the same (exact) counts
    assert page.eval_on_selector(f"{ROOT} .sim-output", "e => e.outerHTML") == static
    # a long stage is collapsed and opens from the keyboard
    summary = page.locator(f'{ROOT} details[data-stage="layer3"] > summary')
    assert page.locator(f'{ROOT} details[data-stage="layer3"]').get_attribute("open") is None
    summary.focus()
    page.keyboard.press("Enter")
    assert page.locator(f'{ROOT} details[data-stage="layer3"]').get_attribute("open") == ""
    probe.assert_clean()
    record_determinism(tally, page, ROOT)


def test_url_hash_round_trips(probe, base_url):
    page = probe.page
    wanted = {"name": "densenet121", "resolution": "160", "compare": "cifar_resnet56"}
    page.goto(f"{base_url}/lab/variants/#variants?" + urlencode(wanted))
    page.wait_for_selector(f"{ROOT} form")
    for field, value in wanted.items():
        assert page.input_value(f"{ROOT} [name={field}]") == value
    page.click(f"{ROOT} [data-action=run]")
    page.wait_for_selector(f'{ROOT}[data-state="done"]')
    for field, value in wanted.items():
        assert f"{field}={value}" in page.url
    assert_native(page, {"name": "densenet121", "resolution": 160, "compare": "cifar_resnet56"})
    # a second run in the same page, set through the controls
    page.select_option(f"{ROOT} [name=name]", "cifar_plain20")
    page.fill(f"{ROOT} [name=resolution]", "32")
    page.select_option(f"{ROOT} [name=compare]", "cifar_resnet20")
    page.click(f"{ROOT} [data-action=run]")
    page.wait_for_function("() => document.querySelector('[data-sim=variants] tr[data-kind=model] [data-key=name]').textContent === 'cifar_plain20' && document.querySelector('[data-sim=variants]').dataset.state === 'done'")
    assert_native(page, {"name": "cifar_plain20", "resolution": 32, "compare": "cifar_resnet20"})
    probe.assert_clean()


def test_bad_input_shows_a_message_and_does_not_run(probe, base_url):
    page = probe.page
    page.goto(f"{base_url}/lab/variants/#variants?name=vgg16")
    page.wait_for_selector(f"{ROOT} form")
    assert "name: \"vgg16\" is not allowed" in page.inner_text("#variants-name-error")
    page.fill(f"{ROOT} [name=resolution]", "abc")
    page.click(f"{ROOT} [data-action=run]")
    assert "resolution" in page.inner_text("#variants-resolution-error")
    assert page.get_attribute(f"{ROOT} [name=resolution]", "aria-invalid") == "true"
    page.fill(f"{ROOT} [name=resolution]", "5000")
    page.click(f"{ROOT} [data-action=run]")
    assert "resolution: 5000 is not allowed (out of range)" in page.inner_text("#variants-resolution-error")
    assert page.get_attribute(ROOT, "data-state") == "static"
    # a resolution only simcore.api can reject for this network comes back from the worker,
    # with the api's own message, next to the control
    page.fill(f"{ROOT} [name=resolution]", "31")
    page.click(f"{ROOT} [data-action=run]")
    page.wait_for_selector(f'{ROOT}[data-state="error"]')
    with pytest.raises(ValueError) as native:
        api.variants({"name": "resnet50", "resolution": 31})
    assert page.inner_text("#variants-resolution-error") == str(native.value)
    assert page.inner_text(f"{ROOT} .sim-status") == "Fix the highlighted setting first."
    # fixing it clears the message and runs
    page.fill(f"{ROOT} [name=resolution]", "64")
    page.click(f"{ROOT} [data-action=run]")
    page.wait_for_selector(f'{ROOT}[data-state="done"]')
    assert page.inner_text("#variants-resolution-error") == ""
    assert_native(page, {"name": "resnet50", "resolution": 64, "compare": "resnet34"})
    probe.assert_clean()


def test_phone_width_screenshot(browser, base_url, tmp_path_factory):
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=1)
    page = context.new_page()
    page.goto(f"{base_url}/lab/variants/")
    page.wait_for_selector(f"{ROOT} form")
    out = tmp_path_factory.getbasetemp() / "variants-390.png"
    page.locator(ROOT).screenshot(path=str(out))
    print(f"screenshot: {out}")
    # nothing wider than the phone: the widget does not scroll the page sideways
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    context.close()
