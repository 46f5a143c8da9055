"""The playground (docs/lab/playground.md) in Chromium: stepped to an epoch, with a shortcut
switched off, on the reader's own points and after reloading its address, by keyboard alone and
at phone width; every number against native simcore, bit for bit."""

from __future__ import annotations

import csv
import io
import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
from widgets import playground  # noqa: E402

from sim_page import SLOW_FRAMES, native_record, shown_numbers, stop_and_read, widget_config  # noqa: E402

from simcore import api  # noqa: E402
from test_accessibility import AUDIT, PALETTES, TAGS, axe_source, inject_axe, serious  # noqa: E402
from test_pages import SAVE_DATA  # noqa: E402
from test_reproduce import download, strict  # noqa: E402

ROOT = 'div[data-sim="playground"]'
PAGE = "/lab/playground/"
SMALL = "depth=8&epochs=4&seed=3"  # 3 blocks; a few seconds natively
READY = f"{ROOT} svg.sim-residual g.sim-arch-shortcut[role]"  # mounted: the switches work


SHOWN = ("epoch", "train_loss", "train_acc", "test_acc")  # the readout's numbers, per network
B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def encode_points(points) -> str:
    """Points [[x, y, class], ...] on the 0.01 grid as the page writes them in its address:
    four base64url characters a point, ((x index · 1001 + y index) · 3 + class) in 24 bits."""
    out = []
    for x, y, c in points:
        v = (round((x + 5) * 100) * 1001 + round((y + 5) * 100)) * 3 + c
        out.append("".join(B64[(v >> s) & 63] for s in (18, 12, 6, 0)))
    return "".join(out)


def native_numbers(config: dict, epoch: int | None = None) -> dict:
    """The readout's numbers at an epoch (the last by default), natively, keyed kind.key."""
    runs = native(config)
    return {f"{k}.{key}": runs[k][-1 if epoch is None else epoch][key] for k in ("plain", "residual") for key in SHOWN}


def native(config: dict) -> dict:
    """What the page should show for config (its download's): both networks' records."""
    return strict({k: api.train(c)["history"] for k, c in playground.configs(config).items()})


def drawn(page) -> dict:
    """The page's numbers and config, from its Download data (JSON)."""
    return json.loads(download(page, ROOT, "download-json"))


def epoch_shown(page, kind: str = "residual"):
    cell = page.locator(f'{ROOT} tr[data-kind="{kind}"] [data-key="epoch"]')
    return json.loads(cell.get_attribute("data-value")) if cell.count() else None


def wait_epoch(page, epoch: int):
    page.wait_for_function(
        "([root, e]) => [...document.querySelectorAll(root + ' tr[data-kind] [data-key=epoch]')]"
        ".filter((c) => JSON.parse(c.dataset.value) === e).length === 2", arg=[ROOT, epoch])


def wait_done(page):
    page.wait_for_selector(f'{ROOT}[data-state="done"], {ROOT}[data-state="error"]', timeout=180_000)
    assert page.get_attribute(ROOT, "data-state") == "done", page.inner_text(f"{ROOT} .sim-status")


def test_step_plays_one_epoch_at_a_time_and_every_number_is_native(probe, base_url):
    page = probe.page
    page.goto(f"{base_url}{PAGE}#playground?{SMALL}")
    page.wait_for_selector(READY, state="attached")
    page.click(f"{ROOT} [data-action=step]")  # no run yet: one starts, paused after epoch 0
    wait_epoch(page, 0)
    for epoch in (1, 2):
        page.click(f"{ROOT} [data-action=step]")
        wait_epoch(page, epoch)
    page.wait_for_timeout(600)  # paused: nothing more arrives
    assert epoch_shown(page, "plain") == 2 and epoch_shown(page, "residual") == 2
    assert page.get_attribute(ROOT, "data-state") == "running"
    assert page.text_content(f"{ROOT} [data-action=pause]") == "Resume"
    assert "Paused at epoch 2" in page.text_content(f"{ROOT} .sim-status")
    got = drawn(page)
    want = native(got["config"])
    assert strict(got["data"]["plain"]) == want["plain"][:3] and strict(got["data"]["residual"]) == want["residual"][:3]
    # every weight layer's colour note is that epoch's gradient norm
    layers = page.locator(f"{ROOT} svg.sim-residual rect[data-layer]")
    assert layers.count() == 8
    norm = want["residual"][2]["grad_norms"][4]
    assert f"‖∂L/∂W‖ = {norm:.1e}".replace("e-0", "e-").replace("e+0", "e+") in layers.nth(4).get_attribute("aria-label")
    # Download data (CSV): the curves, the boundaries and every layer's gradient at every epoch shown
    rows = list(csv.reader(io.StringIO(download(page, ROOT, "download-csv"))))
    grads = [r for r in rows if r[1] == "gradient norm by layer"]
    assert len(grads) == 2 * 3 * 8 and {r[0] for r in grads} == {"Plain network", "Residual network"}
    assert ["Residual network", "gradient norm by layer", "2", "5", repr(want["residual"][2]["grad_norms"][4])] in grads
    page.click(f"{ROOT} [data-action=pause]")  # Resume: on to the end
    wait_done(page)
    got = drawn(page)
    assert strict(got["data"]) == {**native(got["config"]), "plans": strict(api.plan(playground.arch(got["config"]))["plans"])}
    probe.assert_clean()


def test_a_shortcut_switched_off_trains_the_network_simcore_trains(probe, base_url):
    page = probe.page
    page.goto(f"{base_url}{PAGE}#playground?{SMALL}")
    page.wait_for_selector(READY, state="attached")
    arc = f'{ROOT} svg.sim-residual g.sim-arch-shortcut[data-block="1"]'
    assert page.get_attribute(arc, "aria-checked") == "true"
    page.click(f"{arc} .sim-arch-hit")  # the static figure's switch starts a run of that network
    assert page.get_attribute(arc, "aria-checked") == "false"  # at once, before any record
    wait_done(page)
    assert page.input_value("#playground-skips") == "101"
    assert "skips=101" in page.evaluate("location.hash")
    got = drawn(page)
    assert got["config"]["skips"] == "101"
    want = native(got["config"])
    assert strict(got["data"]["residual"]) == want["residual"]
    assert want["residual"] != native({**got["config"], "skips": ""})["residual"]  # a different network
    assert page.get_attribute(arc, "aria-checked") == "false"
    assert page.locator(f"{arc} circle.sim-arch-add").count() == 0
    assert "2 of 3 shortcuts on" in page.get_attribute(f"{ROOT} svg.sim-residual", "aria-label")
    # switched on again: the residual network of the defaults, and the address says so
    page.click(f"{arc} .sim-arch-hit")
    wait_done(page)
    assert page.input_value("#playground-skips") == ""
    got = drawn(page)
    assert strict(got["data"]["residual"]) == native(got["config"])["residual"]
    probe.assert_clean()


def test_drawn_points_train_natively_the_same_and_survive_a_reload(probe, base_url):
    page = probe.page
    page.goto(f"{base_url}{PAGE}#playground?{SMALL}")
    page.wait_for_selector(READY, state="attached")
    assert page.locator(f"{ROOT} .sim-pg-draw").is_hidden()
    page.select_option("#playground-dataset", "custom")
    canvas = page.locator(f"{ROOT} svg.sim-pg-canvas")
    assert canvas.is_visible()
    box = canvas.bounding_box()
    spots = [(0.2 + 0.05 * (i % 4), 0.2 + 0.15 * (i // 4), 0) for i in range(8)]
    spots += [(0.7 + 0.05 * (i % 4), 0.2 + 0.15 * (i // 4), 1) for i in range(8)]
    for x, y, c in spots:
        page.check(f'{ROOT} .sim-pg-classes input[value="{c}"]')
        canvas.click(position={"x": x * box["width"], "y": y * box["height"]})
    assert page.text_content(f"{ROOT} .sim-point-count") == "16 points"
    page.click(f"{ROOT} [data-action=undo]")
    assert page.text_content(f"{ROOT} .sim-point-count") == "15 points"
    page.click(f"{ROOT} [data-action=run]")
    wait_done(page)
    got = drawn(page)
    points = got["config"]["points"]
    assert len(points) == 15 and all(p[2] == (0 if p[0] < 0 else 1) for p in points)
    assert all(round(v * 100) == v * 100 for p in points for v in p[:2])  # on the 0.01 grid
    want = native(got["config"])
    assert strict(got["data"]["plain"]) == want["plain"] and strict(got["data"]["residual"]) == want["residual"]
    # Reproduce in Python says the same points
    assert '"dataset": "custom"' in page.text_content(f"{ROOT} .sim-python code.language-python")
    assert "--points " in page.text_content(f"{ROOT} .sim-python code.language-bash")
    # the address holds the drawing: reloaded, the same points give the same run
    address = page.url
    assert "points=" in address and len(address) < 400
    page.goto("about:blank")
    page.goto(address)
    page.wait_for_selector(READY, state="attached")
    assert page.input_value("#playground-dataset") == "custom"
    assert page.text_content(f"{ROOT} .sim-point-count") == "15 points"
    page.click(f"{ROOT} [data-action=run]")
    wait_done(page)
    again = drawn(page)
    assert again["config"]["points"] == points and strict(again["data"]) == strict(got["data"])
    probe.assert_clean()


def tab_until(page, selector: str, limit: int = 200) -> None:
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"{selector} not reached with {limit} presses of Tab")


def test_switches_and_drawing_work_by_keyboard_alone(probe, base_url):
    page = probe.page
    page.goto(f"{base_url}{PAGE}#playground?{SMALL}")
    page.wait_for_selector(READY, state="attached")
    # the shortcuts: one tab stop, the arrow keys move along them, Space switches one
    tab_until(page, f"{ROOT} svg.sim-residual g.sim-arch-shortcut")
    assert page.evaluate("() => document.activeElement.dataset.block") == "0"
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    assert page.evaluate("() => document.activeElement.getAttribute('aria-label')") == "Shortcut around block 3"
    page.keyboard.press(" ")
    wait_done(page)
    assert page.input_value("#playground-skips") == "110"
    # the focus stayed on the switch through the redraws, and says it is off
    assert page.evaluate("() => [document.activeElement.dataset.block, document.activeElement.getAttribute('aria-checked')]") == ["2", "false"]
    # the drawing: choose custom, then points from the keyboard
    page.keyboard.press("Shift+Tab")
    for _ in range(400):
        if page.evaluate("() => document.activeElement.id") == "playground-dataset":
            break
        page.keyboard.press("Shift+Tab")
    page.select_option("#playground-dataset", "custom")  # (a select's own keys differ by platform)
    tab_until(page, f"{ROOT} svg.sim-pg-canvas")
    page.keyboard.press("Enter")                    # (0, 0), class 0
    for _ in range(5):
        page.keyboard.press("ArrowLeft")
    page.keyboard.press("Space")                    # (-0.5, 0), class 0
    page.keyboard.press("2")
    page.keyboard.press("Shift+ArrowRight")
    page.keyboard.press("Shift+ArrowRight")
    page.keyboard.press("Shift+ArrowUp")
    page.keyboard.press("Enter")                    # (0.5, 0.5), class 1
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")                    # (0.5, 0.4), class 1
    page.keyboard.press("Enter")
    page.keyboard.press("Backspace")                # undone
    tab_until(page, f"{ROOT} [data-action=run]")
    page.keyboard.press("Enter")
    wait_done(page)
    got = drawn(page)
    assert got["config"]["points"] == [[0, 0, 0], [-0.5, 0, 0], [0.5, 0.5, 1], [0.5, 0.4, 1]]
    assert strict(got["data"]["residual"]) == native(got["config"])["residual"]
    probe.assert_clean()


def test_points_in_a_link_are_the_points_simcore_trains_on(probe, base_url):
    page = probe.page
    points = [[-1.5, 0.25, 0], [-1.2, -0.7, 0], [1.3, 0.4, 1], [0.9, -1.1, 1], [0.05, 2.5, 2], [-0.01, -2.99, 2]]
    page.goto(f"{base_url}{PAGE}#playground?{SMALL}&dataset=custom&points={encode_points(points)}")
    page.wait_for_selector(READY, state="attached")
    page.click(f"{ROOT} [data-action=run]")
    wait_done(page)
    got = drawn(page)
    assert got["config"]["points"] == points
    assert strict(got["data"]["residual"]) == native(got["config"])["residual"]
    probe.assert_clean()


def test_points_in_the_address_are_checked_and_capped(probe, base_url):
    page = probe.page
    page.context.add_init_script(SAVE_DATA)  # no runtime: these pages only read their links
    one = "AAAA"  # (-5, -5), class 0
    page.goto(f"{base_url}{PAGE}#playground?dataset=custom&points={'AAAB' * 1000}")
    page.wait_for_selector(READY, state="attached")
    assert page.text_content(f"{ROOT} .sim-point-count") == "1000 points"
    assert page.text_content("#playground-points-error") == ""
    for bad, why in ((one * 1001, "too long"), ("AAA", "not whole points"), ("AA*A", "not a point character"),
                     ("____", "off the grid")):
        page.goto("about:blank")
        page.goto(f"{base_url}{PAGE}#playground?dataset=custom&points={bad}")
        page.wait_for_selector(READY, state="attached")
        message = page.text_content("#playground-points-error")
        assert message.startswith("points: ") and why in message, (bad[:8], message)
        assert page.text_content(f"{ROOT} .sim-point-count") == "0 points"
    probe.assert_clean()


@pytest.mark.parametrize("width", [1200, 390])
def test_both_networks_side_by_side_or_stacked_and_axe_clean_after_a_run(browser, base_url, width):
    source = axe_source()
    for scheme in PALETTES:
        context = browser.new_context(color_scheme=scheme, bypass_csp=True, viewport={"width": width, "height": 900})
        page = context.new_page()
        page.set_default_timeout(180_000)
        page.goto(f"{base_url}{PAGE}#playground?{SMALL}&dataset=custom&points=AAAAAAAB")
        page.wait_for_selector(READY, state="attached")
        page.select_option("#playground-dataset", "moons")
        page.click(f"{ROOT} [data-action=run]")
        wait_done(page)
        page.select_option("#playground-dataset", "custom")  # the drawing area shown too
        nets = page.locator(f"{ROOT} .sim-pg-net")
        first, second = nets.nth(0).bounding_box(), nets.nth(1).bounding_box()
        if width >= 1000:
            assert abs(first["y"] - second["y"]) < 1 and second["x"] >= first["x"] + first["width"]
        else:
            assert second["y"] >= first["y"] + first["height"]
        assert page.evaluate("() => document.scrollingElement.scrollWidth") <= width
        inject_axe(page, source)
        found = serious(page.evaluate(AUDIT, [ROOT, TAGS]))
        assert found == [], (scheme, found)
        context.close()


def test_stop_shows_at_once_the_epoch_it_stopped_at(probe, base_url):
    """As the trainer's: records arriving between two redraws are drawn at Stop, so the figure
    says the epoch the status line says from the moment it says it."""
    page = probe.page
    page.add_init_script(SLOW_FRAMES)
    page.goto(f"{base_url}{PAGE}#playground?depth=8&epochs=200")
    page.wait_for_selector(READY)
    page.click(f"{ROOT} [data-action=run]")
    page.wait_for_function(f"() => Number(document.querySelector('{ROOT}').dataset.epoch) >= 0", timeout=180_000)
    page.wait_for_timeout(600)  # more records, not drawn yet
    status, shown, statuses = stop_and_read(page, ROOT)
    epochs = {k: shown[f"{k}.epoch"]["value"] for k in ("plain", "residual")}
    assert status == f"Stopped after epoch {min(epochs.values())}.", (status, epochs)
    assert statuses == ["stopped", "stopped"]  # not the records' "running"
    page.wait_for_timeout(1500)
    assert shown_numbers(page, ROOT) == shown
    for k, config in playground.configs({**widget_config(page, ROOT), "depth": 8, "epochs": 200}).items():
        assert shown[f"{k}.train_loss"]["value"] == native_record(config, epochs[k])["train_loss"]  # bit for bit
    probe.assert_clean()
