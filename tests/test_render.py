"""scripts/render.py: the static figures are drawn by the widgets' own JavaScript in headless
Chromium, from the numbers simcore.api computed natively; cached; failing clearly."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
import render  # noqa: E402
import widgets  # noqa: E402

from simcore import api  # noqa: E402

CONFIG = {**widgets.modules()["trainer"].DEFAULTS, "n": 60, "depth": 4, "width": 4, "epochs": 2, "grid": 8}


@pytest.fixture
def cache(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    return tmp_path / "residual" / "figures"


def test_a_figure_is_the_views_markup_of_native_numbers_and_is_cached(cache, monkeypatch):
    data = widgets.modules()["trainer"].data(CONFIG)
    [html] = render.render([{"kind": "trainer", "config": CONFIG, "data": data}])
    assert html.startswith('<div class="sim-output"><div class="sim-figure">')
    assert html.count("<svg ") == 4  # loss, accuracy, two decision boundaries
    # the readout quotes the native numbers (data-value) as toFixed writes them
    last = data["residual"][-1]
    row = re.search(r'<tr data-kind="residual">.*?</tr>', html).group(0)
    assert f'data-value="{last["train_loss"]!r}">{last["train_loss"]:.4f}<' in row
    assert len(list(cache.glob("*.json"))) == 1
    # the same jobs and sources again: drawn from the cache, no browser
    monkeypatch.setattr(render.headless, "collect", lambda *a, **k: pytest.fail("drew again"))
    assert render.render([{"kind": "trainer", "config": CONFIG, "data": data}]) == [html]


def test_other_numbers_or_sources_are_drawn_anew(cache, monkeypatch):
    data = widgets.modules()["trainer"].data(CONFIG)
    first = render.render([{"kind": "trainer", "config": CONFIG, "data": data}])
    data["plain"][-1]["train_loss"] = 0.5
    second = render.render([{"kind": "trainer", "config": CONFIG, "data": data}])
    assert first != second and 'data-value="0.5">0.5000<' in second[0]
    monkeypatch.setattr(render, "sources_hash", lambda: "changed")
    monkeypatch.setattr(render.headless, "collect", lambda *a, **k: pytest.fail("no browser here"))
    with pytest.raises(pytest.fail.Exception, match="no browser here"):
        render.render([{"kind": "trainer", "config": CONFIG, "data": data}])


def test_without_chromium_the_build_stops_and_says_why(cache, monkeypatch):
    monkeypatch.setattr(render.headless, "chromium", lambda: None)
    with pytest.raises(render.RenderError, match="no Chromium found .* set CHROMIUM"):
        render.render([{"kind": "trainer", "config": CONFIG, "data": {}}])


def test_a_view_that_throws_fails_the_build_with_its_error(cache):
    with pytest.raises(render.RenderError, match=r"view\(\) failed in Chromium:\n.*TypeError"):
        render.render([{"kind": "trainer", "config": CONFIG, "data": {"plain": None}}])


def test_every_widget_module_computes_and_never_draws():
    """The build step of every widget is its simcore.api call: a module's data is plain JSON
    numbers (no markup), at its defaults, with fields simcore.api knows."""
    scripts = Path(render.__file__).parent
    for kind, module in widgets.modules().items():
        assert not hasattr(module, "render"), kind
        if not isinstance(module.FIELDS, dict):  # (variants validates fields of its own)
            assert set(module.FIELDS) <= set(api.FIELDS), kind
        assert set(module.DEFAULTS) >= set(module.FIELDS), kind
    # no Python anywhere in scripts/ writes SVG
    for path in scripts.rglob("*.py"):
        source = path.read_text()
        for mark in ("<svg", "<rect", "<path", "<circle", "<polyline"):
            assert mark not in source, f"{path.name} writes {mark}"


def test_figures_never_see_how_long_the_run_took():
    """Timings are the one thing that differs between two builds of a commit: they are taken out
    before drawing, so two builds draw the same pages and the second is drawn from the cache."""
    assert render.timeless({"elapsed": 1.5, "history": [{"epoch": 0, "elapsed": 0.1}], "n": [1]}) == {
        "history": [{"epoch": 0}], "n": [1]}


def test_a_widgets_default_data_is_computed_once_per_simcore(cache, monkeypatch):
    """widgets.job computes a module's data once and keeps it beside the figures, keyed by every
    simcore file, the module and its defaults: the same numbers from the cache, bit for bit; a
    change of simcore computes anew."""
    module = widgets.modules()["transformer"]
    small = {**module.DEFAULTS, "layers": 1, "width": 4, "n": 20, "epochs": 1, "length": 2}
    monkeypatch.setattr(module, "DEFAULTS", small)
    calls = []
    real = module.data
    monkeypatch.setattr(module, "data", lambda cfg: calls.append(cfg) or real(cfg))
    first = widgets.job(module)
    assert calls == [small] and render.timeless(first["data"]) == render.timeless(real(small))
    again = widgets.job(module)
    assert calls == [small] and again == first  # from the cache
    [stored] = (cache.parent / "data").glob("transformer-*.json")
    assert stored.name == f"transformer-{widgets.data_key(module)}.json"
    monkeypatch.setattr(widgets, "SIMCORE", widgets.SIMCORE / "analysis")  # other sources
    assert widgets.data_key(module) not in stored.name
    widgets.job(module)
    assert len(calls) == 2
