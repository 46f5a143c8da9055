"""The gradient-flow widget end to end: gradflow calls in Pyodide, compared with native
simcore.api number for number, and the animation bar stepping through the frames."""

from __future__ import annotations

import json
import math
from urllib.parse import urlencode

from sim_page import record_determinism, open_more

from simcore import api
from simcore.analysis.gradflow import checkpoints

ROOT = '[data-sim="gradient-flow"]'
PAGE = "/lab/gradient-flow/"
KINDS = ("plain", "residual")


def native(config: dict) -> list[dict]:
    """The frames of one native gradflow run, as the widget asks for them."""
    return api.gradflow({**config, "frames": True})["frames"]


def shown(page) -> dict:
    return page.evaluate("""() => {
        const out = {};
        for (const row of document.querySelectorAll('[data-sim=gradient-flow] .sim-readout tr[data-kind]')) {
            out[row.dataset.kind] = {};
            for (const td of row.querySelectorAll('td[data-value]'))
                out[row.dataset.kind][td.dataset.key] = {value: JSON.parse(td.dataset.value), text: td.textContent};
        }
        return out;
    }""")


def widget_config(page) -> dict:
    return json.loads(page.get_attribute(ROOT, "data-config"))


def assert_frame(cells: dict, frame: dict):
    for kind in KINDS:
        g = frame[kind]["grad_x"]
        want = {"epoch": frame["epoch"], "grad_first": g[0], "grad_last": g[-1], "ratio": g[0] / g[-1],
                "loss": frame[kind]["loss"]}
        for key, value in want.items():
            got = cells[kind][key]["value"]
            assert math.isclose(got, value, rel_tol=1e-9, abs_tol=0), (kind, key, got, value)
        assert cells[kind]["loss"]["text"] == f"{want['loss']:.4f}"


def frame_index(page) -> int:
    return int(page.get_attribute(ROOT, "data-frame"))


def test_static_figure_is_native_simcore_before_any_javascript_runs(browser, base_url):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{base_url}{PAGE}")
    assert page.get_attribute(ROOT, "data-state") == "static"
    assert page.locator(f"{ROOT} svg.sim-chart").count() == 3
    assert all(page.locator(f"{ROOT} svg.sim-chart").nth(i).get_attribute("aria-label") for i in range(3))
    cfg = widget_config(page)
    frames = native(cfg)
    assert_frame(shown(page), frames[-1])
    # every build-time frame is native gradflow's, bit for bit
    assert json.loads(page.get_attribute(ROOT, "data-frames")) == frames
    assert [f["epoch"] for f in frames] == checkpoints(cfg["epochs"]) == [0, 1, 2, 4, 8]
    context.close()


def test_default_run_equals_native_and_the_animation_steps(probe, base_url, tally):
    page = probe.page
    page.goto(f"{base_url}{PAGE}")
    page.wait_for_selector(f"{ROOT} [data-anim=play]")
    # before any run the bar steps through the build-time frames
    page.click(f"{ROOT} [data-anim=rewind]")
    assert frame_index(page) == 0
    assert page.get_attribute(ROOT, "data-state") == "static"
    page.click(f"{ROOT} [data-action=run]")
    page.wait_for_selector(f'{ROOT}[data-state="loading"], {ROOT}[data-state="running"]')
    page.wait_for_selector(f'{ROOT}[data-state="done"]', timeout=180_000)
    cfg = widget_config(page)
    frames = native(cfg)
    epochs = [f["epoch"] for f in frames]
    assert frame_index(page) == len(epochs) - 1
    assert_frame(shown(page), frames[-1])
    assert page.locator(f"{ROOT} svg.sim-chart").count() == 3
    # step back through every frame: each is native gradflow's at its checkpoint
    for i in range(len(epochs) - 2, -1, -1):
        page.click(f"{ROOT} [data-anim=back]")
        assert frame_index(page) == i
        assert_frame(shown(page), frames[i])
    assert page.is_disabled(f"{ROOT} [data-anim=back]")
    page.click(f"{ROOT} [data-anim=step]")
    assert frame_index(page) == 1
    # play at 4x runs to the last frame and stops there; pause stops it midway
    page.select_option(f"{ROOT} [data-anim=speed]", "4")
    page.click(f"{ROOT} [data-anim=play]")
    page.wait_for_function(f"() => document.querySelector('{ROOT}').dataset.frame === '{len(epochs) - 1}'")
    page.wait_for_selector(f"{ROOT} [data-anim=play]:not([disabled])")
    page.click(f"{ROOT} [data-anim=rewind]")
    page.select_option(f"{ROOT} [data-anim=speed]", "0.5")
    page.click(f"{ROOT} [data-anim=play]")
    page.click(f"{ROOT} [data-anim=pause]")
    held = frame_index(page)
    page.wait_for_timeout(2200)
    assert frame_index(page) == held < len(epochs) - 1
    # the slider is a keyboard-operable way to the same frames
    page.focus(f"{ROOT} [data-anim=frame]")
    page.keyboard.press("End")
    assert frame_index(page) == len(epochs) - 1
    assert_frame(shown(page), frames[-1])
    probe.assert_clean()
    record_determinism(tally, page, ROOT)


def test_url_hash_round_trips(probe, base_url):
    page = probe.page
    wanted = {"dataset": "moons", "n": "120", "depth": "12", "width": "8", "layout": "post",
              "norm": "false", "activation": "tanh", "init": "xavier_normal", "lr": "0.1",
              "epochs": "2", "seed": "3"}
    page.goto(f"{base_url}{PAGE}#gradient-flow?" + urlencode(wanted))
    page.wait_for_selector(f"{ROOT} form")
    for field, value in wanted.items():
        if field == "norm":
            assert page.is_checked(f"{ROOT} input[name=norm]") is False
        else:
            assert page.input_value(f"{ROOT} [name={field}]") == value
    page.click(f"{ROOT} [data-action=run]")
    page.wait_for_selector(f'{ROOT}[data-state="done"]', timeout=180_000)
    for field, value in wanted.items():
        assert f"{field}={value}" in page.url
    cfg = {**widget_config(page), "dataset": "moons", "n": 120, "depth": 12, "width": 8,
           "layout": "post", "norm": False, "activation": "tanh", "init": "xavier_normal",
           "lr": 0.1, "epochs": 2, "seed": 3}
    frames = native(cfg)
    assert_frame(shown(page), frames[-1])
    assert "not He et al.'s exact decomposition" in page.inner_text(f"{ROOT} [data-key=split-note]")
    page.click(f"{ROOT} [data-anim=rewind]")
    assert_frame(shown(page), frames[0])
    probe.assert_clean()


def test_bad_input_shows_a_message_and_does_not_run(probe, base_url):
    page = probe.page
    page.goto(f"{base_url}{PAGE}")
    page.wait_for_selector(f"{ROOT} form")
    bad = {"n": "10", "depth": "abc", "width": "0", "lr": "-1", "epochs": "2.5", "seed": "-3"}
    for field, value in bad.items():
        open_more(page, ROOT)
        page.fill(f"{ROOT} input[name={field}]", value)
    page.click(f"{ROOT} [data-action=run]")
    for field in bad:
        assert field in page.inner_text(f"#gradient-flow-{field}-error"), field
        assert page.get_attribute(f"{ROOT} input[name={field}]", "aria-invalid") == "true"
    assert "lr: -1 is not allowed" in page.inner_text("#gradient-flow-lr-error")
    assert page.get_attribute(ROOT, "data-state") == "static"
    # choices and the checkbox can only be wrong in a pasted link
    page.goto(f"{base_url}{PAGE}#gradient-flow?dataset=%3Cimg%20src%3Dx%3E&layout=side&norm=maybe"
              "&activation=cube&init=ones")
    page.wait_for_selector(f"{ROOT} form")
    for field in ("dataset", "layout", "norm", "activation", "init"):
        assert "is not allowed" in page.inner_text(f"#gradient-flow-{field}-error"), field
    assert page.locator(f"{ROOT} img").count() == 0
    assert page.get_attribute(ROOT, "data-state") == "static"
    # a value only simcore.api can reject comes back from the worker, next to its control
    page.fill(f"{ROOT} input[name=depth]", "9")
    page.click(f"{ROOT} [data-action=run]")
    page.wait_for_selector(f'{ROOT}[data-state="error"]', timeout=180_000)
    assert "depth: 9 is not 2 + 2·b" in page.inner_text("#gradient-flow-depth-error")
    probe.assert_clean()


def test_stop_mid_run(probe, base_url):
    page = probe.page
    page.goto(f"{base_url}{PAGE}#gradient-flow?epochs=200&n=1000")
    page.wait_for_selector(f"{ROOT} form")
    static = shown(page)
    page.click(f"{ROOT} [data-action=run]")
    page.wait_for_function(f"() => document.querySelector('{ROOT} .sim-status').textContent === 'Running…'",
                           timeout=180_000)
    page.wait_for_timeout(300)
    page.click(f"{ROOT} [data-action=stop]")
    page.wait_for_selector(f'{ROOT}[data-state="done"]')
    assert page.inner_text(f"{ROOT} .sim-status") == "Stopped."
    page.wait_for_timeout(500)
    assert shown(page) == static  # the stopped run drew nothing: the frames are the build's
    # a new run starts cleanly after a stop
    open_more(page, ROOT)
    page.fill(f"{ROOT} input[name=epochs]", "1")
    page.fill(f"{ROOT} input[name=n]", "200")
    page.click(f"{ROOT} [data-action=run]")
    page.wait_for_function(f"() => document.querySelector('{ROOT}').dataset.state === 'done' && document.querySelector('{ROOT}').dataset.frame === '1'", timeout=180_000)
    assert_frame(shown(page), native({**widget_config(page), "epochs": 1})[1])
    probe.assert_clean()
