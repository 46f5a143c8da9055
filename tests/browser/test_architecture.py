"""The architecture diagram end to end. It draws without Python, from rules looked up in
simcore at build time; these tests hold the page's layer plans to simcore.nets itself
(nets.plan, Network(cfg).weight_layers() and its blocks) and its depth messages to
simcore.api's."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest
from sim_page import record_determinism

from simcore import api
from simcore.blocks import ResidualBlock
from simcore.nets import NetConfig, Network, plan

ROOT = '[data-sim="architecture"]'
MODULE = "/javascripts/sim/widgets/architecture.js"


def native(cfg: dict, kind: str) -> dict:
    net = Network(NetConfig(kind=kind, depth=cfg["depth"], width=cfg["width"], layout=cfg["layout"],
                            bottleneck=cfg["bottleneck"]))
    return {
        "shapes": [[d.d_in, d.d_out] for d in net.weight_layers()],
        "blocks": len(net.blocks),
        "shortcuts": [None if not isinstance(b, ResidualBlock) else "identity" if b.shortcut is None
                      else "projection" for b in net.blocks],
    }


def native_message(cfg: dict) -> str:
    with pytest.raises(ValueError) as err:
        api.validate({k: cfg[k] for k in ("depth", "width", "layout", "bottleneck")}, api.TRAIN_DEFAULTS)
    return str(err.value)


def readout(page) -> dict:
    return page.evaluate("""() => Object.fromEntries([...document.querySelectorAll('[data-sim=architecture] .sim-readout tr[data-kind]')]
        .map((tr) => [tr.dataset.kind, Object.fromEntries([...tr.querySelectorAll('td[data-value]')]
            .map((td) => [td.dataset.key, JSON.parse(td.dataset.value)]))]))""")


def assert_readout_native(page, cfg: dict):
    got = readout(page)
    for kind in ("plain", "residual"):
        ref = native(cfg, kind)
        assert got[kind]["weight_layers"] == len(ref["shapes"]) == cfg["depth"]
        assert got[kind]["blocks"] == ref["blocks"]
        assert got[kind]["identity"] == ref["shortcuts"].count("identity")
        assert got[kind]["projection"] == ref["shortcuts"].count("projection")
    boxes = page.evaluate("""() => {
        const titles = [...document.querySelectorAll('[data-sim=architecture] .sim-figure rect.sim-arch-layer > title')];
        return Object.fromEntries(['plain', 'residual'].map((k) => [k, titles.filter((t) => t.textContent.startsWith(k + ' ')).length]));
    }""")
    assert boxes == {"plain": cfg["depth"], "residual": cfg["depth"]}
    arcs = page.locator(f"{ROOT} .sim-figure path.sim-arch-skip:not(.sim-arch-legend)").count()
    assert arcs == native(cfg, "residual")["blocks"]


def diagram_html(page) -> str:
    return page.eval_on_selector(f"{ROOT} svg.sim-arch-diagram", "e => e.outerHTML")


def test_static_figure_is_native_simcore_without_javascript(browser, base_url):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{base_url}/lab/architecture/")
    assert page.get_attribute(ROOT, "data-state") == "static"
    cfg = json.loads(page.get_attribute(ROOT, "data-config"))
    assert page.locator(f"{ROOT} svg.sim-arch-diagram[aria-label]").count() == 1
    assert_readout_native(page, cfg)
    context.close()


def test_page_layer_lists_equal_simcore_nets(probe, base_url):
    """The page's plans, from the embedded rules, against nets.plan and Network(cfg) for many
    configs."""
    page = probe.page
    page.goto(f"{base_url}/lab/architecture/")
    page.wait_for_selector(f"{ROOT} form")
    defaults = json.loads(page.get_attribute(ROOT, "data-config"))
    configs = [{"depth": d, "width": w, "layout": lay, "bottleneck": b}
               for d in (8, 20, 56) for lay in ("post", "pre") for b in (False, True) for w in (16, 6, 3)]
    got = page.evaluate("""async ([module, configs]) => {
        const { plan } = await import(module);
        const rules = JSON.parse(document.querySelector('[data-sim=architecture]').dataset.rules);
        return configs.map((cfg) => Object.fromEntries(['plain', 'residual'].map((kind) => {
            const p = plan(cfg, rules, kind);
            return [kind, { shapes: p.layers.map((l) => [l.in, l.out]), blocks: p.blocks.length,
                            shortcuts: p.blocks.map((b) => b.shortcut), plan: p }];
        })));
    }""", [MODULE, configs])
    for cfg, page_plans in zip(configs, got):
        for kind in ("plain", "residual"):
            ref = native(cfg, kind)
            mine = page_plans[kind]
            assert len(mine["shapes"]) == len(ref["shapes"]) == cfg["depth"], (cfg, kind)
            assert mine["shapes"] == ref["shapes"], (cfg, kind)
            assert mine["blocks"] == ref["blocks"], (cfg, kind)
            assert mine["shortcuts"] == ref["shortcuts"], (cfg, kind)
            # and the whole plan, what each layer is made of included, as simcore gives it
            full = {**defaults, **cfg, "kind": kind}
            assert mine["plan"] == plan(full), (cfg, kind)
    # depths that cannot be built: the page throws simcore.api's own message
    bad = [{"depth": d, "width": 16, "layout": "post", "bottleneck": b}
           for d, b in ((9, False), (21, False), (10, True), (4, True), (3, False))]
    messages = page.evaluate("""async ([module, configs]) => {
        const { plan } = await import(module);
        const rules = JSON.parse(document.querySelector('[data-sim=architecture]').dataset.rules);
        return configs.map((cfg) => { try { plan(cfg, rules, 'residual'); return null; }
                                      catch (e) { return [e.field, e.message]; } });
    }""", [MODULE, bad])
    for cfg, msg in zip(bad, messages):
        assert msg == ["depth", native_message(cfg)], cfg
    probe.assert_clean()


def test_default_run_redraws_the_static_figure_exactly(probe, base_url, tally):
    page = probe.page
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(f"{base_url}/lab/architecture/")
    page.wait_for_selector(f"{ROOT} form")
    static = diagram_html(page)
    page.click(f"{ROOT} [data-action=run]")
    page.wait_for_selector(f'{ROOT}[data-state="done"]')
    assert diagram_html(page) == static  # the live drawing equals the build-time one exactly
    defaults = json.loads(page.get_attribute(ROOT, "data-config"))
    assert_readout_native(page, defaults)
    # other configurations too: what the page draws from its rules is what view() draws from
    # simcore's own plans
    for cfg in ({"depth": 11, "width": 8, "layout": "pre", "bottleneck": True},
                {"depth": 56, "width": 16, "layout": "post", "bottleneck": False}):
        full = {**defaults, **cfg}
        plans = {k: plan({**full, "kind": k}) for k in ("plain", "residual")}
        page.goto("about:blank")  # a new page load, not a same-document hash change
        page.goto(f"{base_url}/lab/architecture/#architecture?" + urlencode({k: str(v).lower() for k, v in cfg.items()}))
        page.wait_for_selector(f"{ROOT} form")
        page.click(f"{ROOT} [data-action=run]")
        page.wait_for_selector(f'{ROOT}[data-state="done"]')
        native = page.evaluate("""async ([module, plans, cfg]) => {
            const { view } = await import(module);
            return view({ plans }, cfg).outerHTML;
        }""", [MODULE, plans, full])
        assert page.eval_on_selector(f"{ROOT} .sim-output", "e => e.outerHTML") == native, cfg
    assert not any("pyodide" in url for url in requests), "the diagram must not load the Python runtime"
    probe.assert_clean()
    record_determinism(tally, page, ROOT)


def test_url_hash_round_trips_and_controls_redraw(probe, base_url):
    page = probe.page
    wanted = {"depth": "56", "width": "8", "layout": "pre", "bottleneck": "true"}
    page.goto(f"{base_url}/lab/architecture/#architecture?" + urlencode(wanted))
    page.wait_for_selector(f"{ROOT} form")
    assert page.input_value(f"{ROOT} [name=depth]") == "56"
    assert page.input_value(f"{ROOT} [name=layout]") == "pre"
    assert page.is_checked(f"{ROOT} [name=bottleneck]")
    page.click(f"{ROOT} [data-action=run]")
    page.wait_for_selector(f'{ROOT}[data-state="done"]')
    for field, value in wanted.items():
        assert f"{field}={value}" in page.url
    cfg = {"depth": 56, "width": 8, "layout": "pre", "bottleneck": True}
    assert_readout_native(page, cfg)
    assert readout(page)["residual"]["blocks"] == 18
    # changing a control redraws at once (no Run needed)
    page.uncheck(f"{ROOT} [name=bottleneck]")
    page.wait_for_function("() => document.querySelector('[data-sim=architecture] tr[data-kind=residual] [data-key=blocks]').dataset.value === '27'")
    assert_readout_native(page, {**cfg, "bottleneck": False})
    assert "bottleneck=false" in page.url
    page.select_option(f"{ROOT} [name=layout]", "post")
    page.wait_for_function("() => location.hash.includes('layout=post')")
    assert page.get_attribute(ROOT, "data-state") == "done"
    probe.assert_clean()


def test_bad_input_shows_a_message_and_does_not_draw(probe, base_url):
    page = probe.page
    page.goto(f"{base_url}/lab/architecture/#architecture?layout=diagonal&bottleneck=maybe")
    page.wait_for_selector(f"{ROOT} form")
    assert "layout: \"diagonal\" is not allowed" in page.inner_text("#architecture-layout-error")
    assert "bottleneck: \"maybe\" is not allowed" in page.inner_text("#architecture-bottleneck-error")
    static = diagram_html(page)
    page.fill(f"{ROOT} [name=depth]", "abc")
    page.fill(f"{ROOT} [name=width]", "0")
    page.click(f"{ROOT} [data-action=run]")
    assert "depth" in page.inner_text("#architecture-depth-error")
    assert "width: 0 is not allowed (out of range)" in page.inner_text("#architecture-width-error")
    assert page.get_attribute(f"{ROOT} [name=width]", "aria-invalid") == "true"
    assert page.get_attribute(ROOT, "data-state") == "static"
    assert diagram_html(page) == static
    # a depth the network cannot be built with: simcore.api's own message next to the control
    page.fill(f"{ROOT} [name=width]", "16")
    page.fill(f"{ROOT} [name=depth]", "9")
    page.press(f"{ROOT} [name=depth]", "Enter")
    page.wait_for_selector(f'{ROOT}[data-state="error"]')
    want = native_message({"depth": 9, "width": 16, "layout": "post", "bottleneck": False})
    assert want == "depth: 9 is not 2 + 2·b with b >= 1 blocks for kind 'residual'"
    assert page.inner_text("#architecture-depth-error") == want
    assert diagram_html(page) == static
    page.check(f"{ROOT} [name=bottleneck]")  # 9 is not 2 + 3·b either
    page.wait_for_function("() => document.querySelector('#architecture-depth-error').textContent.includes('(bottleneck)')")
    assert page.inner_text("#architecture-depth-error") == native_message(
        {"depth": 9, "width": 16, "layout": "post", "bottleneck": True})
    page.fill(f"{ROOT} [name=depth]", "11")
    page.press(f"{ROOT} [name=depth]", "Enter")
    page.wait_for_selector(f'{ROOT}[data-state="done"]')
    assert page.inner_text("#architecture-depth-error") == ""
    assert_readout_native(page, {"depth": 11, "width": 16, "layout": "post", "bottleneck": True})
    probe.assert_clean()


def test_phone_width_screenshot(browser, base_url, tmp_path_factory):
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2)
    page = context.new_page()
    page.goto(f"{base_url}/lab/architecture/")
    page.wait_for_selector(f"{ROOT} form")
    out = tmp_path_factory.getbasetemp() / "architecture-390.png"
    page.locator(ROOT).screenshot(path=str(out))
    print(f"screenshot: {out}")
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    context.close()
