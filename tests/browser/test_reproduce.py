"""What every widget gives from the shared widget module (docs/javascripts/sim/widget.js):
"Reproduce in Python" runs natively to the very numbers the figure shows, bit for bit;
"Download data" gives them as CSV and JSON; the settings that carry the widget's point are in
view and the rest under "More settings", opened when a link or an error concerns them."""

from __future__ import annotations

import csv
import io
import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
import render  # noqa: E402
import widgets  # noqa: E402

from sim_page import WIDGET_PAGES as PAGES, built_data  # noqa: E402

MODULES = widgets.modules()
KINDS = list(PAGES)  # every widget: each names the simcore.api tasks that reproduce it (TASKS)


def test_every_widget_is_tested_and_names_its_tasks():
    assert set(PAGES) == set(MODULES)
    assert all(MODULES[k].TASKS for k in KINDS)


def strict(value):
    """As the page holds it: strict JSON, timings left out."""
    return json.loads(json.dumps(render.timeless(value), allow_nan=False))


def python_of(page, root: str) -> str:
    return page.text_content(f"{root} .sim-python code.language-python")


def run_copied(code: str):
    namespace: dict = {}
    exec(compile(code, "<copied from the page>", "exec"), namespace)  # noqa: S102  (the test's point)
    return strict(namespace["data"])


def download(page, root: str, action: str) -> str:
    with page.expect_download() as got:
        page.click(f"{root} [data-action={action}]")
    return Path(got.value.path()).read_text()


@pytest.mark.parametrize("kind", KINDS)
def test_copied_python_gives_the_static_figures_numbers_bit_for_bit(probe, base_url, kind):
    page = probe.page
    root = f'[data-sim="{kind}"]'
    page.goto(base_url + PAGES[kind])
    page.wait_for_selector(f"{root} .sim-python code", state="attached")
    code = python_of(page, root)
    assert code.startswith("from simcore import api\n")
    built = built_data(page, root)
    assert run_copied(code) == built
    # the JSON download is the same data, with the configuration and the calls that made it
    got = json.loads(download(page, root, "download-json"))
    assert got["data"] == built and got["config"] == json.loads(page.get_attribute(root, "data-config"))
    assert [c[1] for c in got["calls"]] and {c[1] for c in got["calls"]} <= set(MODULES[kind].TASKS)
    # the CSV: every plotted point of every chart, one row each, under one header
    rows = list(csv.reader(io.StringIO(download(page, root, "download-csv"))))
    if kind == "architecture":  # a diagram, no plotted points: its layers, one row each
        assert rows[0] == ["network", "layer", "role", "block", "in", "out", "ops"]
        assert len(rows) == 1 + sum(len(p["layers"]) for p in built["plans"].values())
    else:
        assert rows[0] == ["chart", "series", "x", "y", "value"] and len(rows) > 10
        titles = {r[0] for r in rows[1:]}
        charts = {t.strip() for t in page.locator(f"{root} .sim-figure svg .sim-chart-title").all_text_contents()}
        assert titles and titles <= charts  # (a diagram, such as a block's, plots no numbers)
    probe.assert_clean()


def test_after_a_live_run_the_copied_python_gives_what_it_drew(probe, base_url):
    page = probe.page
    root = '[data-sim="trainer"]'
    page.goto(base_url + "/trainer/#trainer?depth=6&epochs=3&dataset=moons&seed=4")
    page.wait_for_selector(f"{root} form")
    page.click(f"{root} [data-action=run]")
    page.wait_for_selector(f'{root}[data-state="done"]', timeout=180_000)
    code = python_of(page, root)
    assert '"depth": 6' in code and '"epochs": 3' in code and '"seed": 4' in code and '"moons"' in code
    drawn = json.loads(download(page, root, "download-json"))["data"]
    assert run_copied(code) == strict(drawn)
    # the readout shows the last record of what the copied code computes
    last = run_copied(code)["residual"][-1]
    cell = page.locator(f'{root} tr[data-kind="residual"] [data-key="train_loss"]')
    assert json.loads(cell.get_attribute("data-value")) == last["train_loss"]
    # the command lines say the same, one per call
    cli = page.text_content(f"{root} .sim-python code.language-bash").splitlines()
    assert cli[0].startswith("python -m simcore train ") and "--kind plain" in cli[0] and "--depth 6" in cli[0]
    assert len(cli) == 2 and all(line.endswith(" --json") for line in cli)
    probe.assert_clean()


def test_copy_as_python_puts_the_code_on_the_clipboard(browser, base_url):
    context = browser.new_context()
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base_url)
    page = context.new_page()
    root = '[data-sim="lesion"]'
    page.goto(base_url + "/lab/lesion/")
    page.wait_for_selector(f"{root} .sim-python code", state="attached")
    page.click(f"{root} .sim-python summary")
    page.click(f"{root} [data-action=copy-python]")
    page.wait_for_function(f"() => document.querySelector('{root} .sim-python [role=status]').textContent === 'Copied.'")
    assert page.evaluate("navigator.clipboard.readText()") == python_of(page, root)
    context.close()


def test_primary_settings_in_view_the_rest_under_more_settings(probe, base_url):
    page = probe.page
    root = '[data-sim="trainer"]'
    page.goto(base_url + "/trainer/")
    page.wait_for_selector(f"{root} form")
    shown = page.locator(f"{root} form > .sim-field [name]").evaluate_all("els => els.map(e => e.name)")
    assert shown == ["dataset", "depth", "norm", "lr"]
    more = page.locator(f"{root} details.sim-more")
    assert more.get_attribute("open") is None
    assert page.locator(f"{root} details.sim-more [name=width]").count() == 1
    # a link that sets a secondary setting opens the disclosure, so the reader sees it
    page.goto(base_url + "/trainer/#trainer?width=8")
    page.reload()
    page.wait_for_selector(f"{root} form")
    assert page.locator(f"{root} details.sim-more").get_attribute("open") == ""
    assert page.input_value(f"{root} [name=width]") == "8"
    # an error in a hidden setting opens it too
    page.goto(base_url + "/trainer/")
    page.reload()
    page.wait_for_selector(f"{root} form")
    page.evaluate(f"document.querySelector('{root} [name=epochs]').value = '0.5'")
    page.click(f"{root} [data-action=run]")
    assert page.locator(f"{root} details.sim-more").get_attribute("open") == ""
    assert page.is_visible("#trainer-epochs-error")
    # (reloading cuts the runtime's prewarm downloads short: only the console must be clean)
    assert probe.console_errors == []
