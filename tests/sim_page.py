"""What the browser tests share: reading a widget's numbers and figure off the page, comparing
them with native simcore, and waiting for a run. Every function takes the widget's root
selector, e.g. ``'[data-sim="identity"]'``."""

from __future__ import annotations

import json
import math
import re

from simcore import api

NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:e[-+]?\d+)?")


# Every readout value inside a widget, as a JavaScript function of the widget's root selector
# (Playwright evaluates it in Chromium; tests/engines.py in Firefox and WebKit)
SHOWN_NUMBERS = """(root) => {
    const out = {};
    for (const cell of document.querySelector(root).querySelectorAll('[data-key][data-value]')) {
        const row = cell.closest('tr[data-kind]');
        out[(row ? row.dataset.kind + '.' : '') + cell.dataset.key] =
            {value: JSON.parse(cell.dataset.value), text: cell.textContent};
    }
    return out;
}"""


def shown_numbers(page, root: str) -> dict:
    """Every readout value inside the widget: ``{key: {"value", "text"}}`` where key is the
    cell's ``data-key``, prefixed by ``kind.`` when the cell sits in a ``tr[data-kind]``."""
    return page.evaluate(SHOWN_NUMBERS, root)


def assert_equal_numbers(shown: dict, native: dict, rel: float = 0.0):
    """``shown`` (from :func:`shown_numbers`) holds exactly ``native``'s keys, and each value
    equals native simcore's: bit for bit by default, or to ``rel`` where a widget shows a number
    that no portable code computes (``None`` stays ``None``; lists element-wise)."""
    assert set(shown) == set(native), (sorted(shown), sorted(native))
    for key, want in native.items():
        got = shown[key]["value"]
        _assert_close(got, want, rel, key)


def _assert_close(got, want, rel, key):
    if isinstance(want, list):
        assert isinstance(got, list) and len(got) == len(want), (key, got, want)
        for g, w in zip(got, want):
            _assert_close(g, w, rel, key)
    elif want is None or isinstance(want, (bool, str)):
        assert got == want, (key, got, want)
    else:
        if rel == 0:
            assert got == want, (key, got, want)  # bit for bit
        else:
            assert got is not None and math.isclose(got, want, rel_tol=rel, abs_tol=1e-15), (key, got, want)


def figure_geometry(page, root: str) -> list:
    """The drawn marks and texts of every chart: tag, class, numeric attributes, text."""
    return page.evaluate("""(root) => [...document.querySelector(root).querySelectorAll('svg.sim-chart')].map((svg) =>
        [svg.getAttribute('aria-label'), ...[...svg.querySelectorAll('rect, circle, path, line, text')].map((n) => [n.tagName,
            n.getAttribute('class'), ['x', 'y', 'width', 'height', 'cx', 'cy', 'r', 'x1', 'x2', 'y1', 'y2', 'd', 'fill']
              .map((a) => n.getAttribute(a)).filter((v) => v !== null).join(' '),
            n.tagName === 'text' ? n.textContent : ''])])""", root)


def assert_same_geometry(live: list, static: list):
    """The live figure is the build-time figure: same marks in the same order, coordinates
    equal up to one unit of the last printed digit (JS and Python round ties differently),
    same texts."""
    assert len(live) == len(static)
    for chart_a, chart_b in zip(live, static):
        assert chart_a[0] == chart_b[0]  # aria-label
        assert len(chart_a) == len(chart_b), chart_a[0]
        for (tag_a, cls_a, num_a, text_a), (tag_b, cls_b, num_b, text_b) in zip(chart_a[1:], chart_b[1:]):
            assert (tag_a, cls_a, text_a) == (tag_b, cls_b, text_b)
            xs = [float(v) for v in NUMBER.findall(num_a)]
            ys = [float(v) for v in NUMBER.findall(num_b)]
            assert len(xs) == len(ys) and all(abs(x - y) <= 0.11 for x, y in zip(xs, ys)), (cls_a, num_a, num_b)


def wait_done(page, root: str):
    """Wait for the run to end; fail at once (with the status) if it ended in an error."""
    page.wait_for_selector(f'{root}[data-state="done"], {root}[data-state="error"]')
    assert page.get_attribute(root, "data-state") == "done", page.inner_text(f"{root} .sim-status")


# animation frames one second apart (an init script): records arrive many times between two redraws
SLOW_FRAMES = """window.requestAnimationFrame = (cb) => setTimeout(() => cb(performance.now()), 1000);
window.cancelAnimationFrame = (id) => clearTimeout(id);"""


def stop_and_read(page, root: str) -> tuple[str, dict, list[str]]:
    """Click the widget's Stop and, in the click's own task (no frame or message in between),
    read its status line, its readout (:func:`shown_numbers`) and each network's status cell."""
    return page.evaluate("""(root) => {
        document.querySelector(root + ' [data-action=stop]').click();
        const statuses = [...document.querySelectorAll(root + ' tr[data-kind] td[data-key=status]')].map((c) => c.textContent);
        return [document.querySelector(root + ' .sim-status').textContent, (%s)(root), statuses];
    }""" % SHOWN_NUMBERS, root)


def native_record(config: dict, epoch: int) -> dict:
    """Native simcore's record at ``epoch`` of the training run ``config`` (its schedule spans
    the config's epochs), computed only that far."""
    stream = api.train_stream(config)
    try:
        return next(r for r in stream if r["epoch"] == epoch)
    finally:
        stream.close()


def widget_config(page, root: str) -> dict:
    """The defaults the widget was built with (its ``data-config``)."""
    return json.loads(page.get_attribute(root, "data-config"))


def chart_labels(page, root: str) -> list[str]:
    return page.eval_on_selector_all(f"{root} svg.sim-chart",
                                     "(svgs) => svgs.map((s) => s.getAttribute('aria-label'))")


def record_determinism(tally, page, root: str) -> None:
    """Count, for the Reliability page, one widget whose default run was just checked equal to
    native simcore, and the readout numbers it shows."""
    n = page.evaluate("(root) => document.querySelector(root).querySelectorAll('[data-key][data-value]').length", root)
    tally.count("Determinism", "widgets whose default run equals native simcore (relative 1e-9)")
    tally.count("Determinism", "readout numbers shown by those runs", n)


def assert_bad_inputs(page, root: str, bad, *, reset: bool = True) -> int:
    """Type each bad value into its control and press Run: the message appears next to that
    control (``#<id>-<field>-error``), the control is marked ``aria-invalid``, and the widget
    does not start (its ``data-state`` stays as it was). With ``reset``, Reset then clears the
    message before the next value. ``bad`` is ``{field: (value, message fragment)}`` or a list
    of ``(field, value, message fragment)``; returns how many values were tried."""
    cases = [(f, v, m) for f, (v, m) in bad.items()] if isinstance(bad, dict) else list(bad)
    widget = page.get_attribute(root, "id")
    state = page.get_attribute(root, "data-state")
    for field, value, message in cases:
        control = f"{root} [name={field}]"
        page.fill(control, value)
        page.click(f"{root} [data-action=run]")
        shown = page.inner_text(f"#{widget}-{field}-error")
        assert message in shown, (field, value[:80], shown)
        assert page.get_attribute(control, "aria-invalid") == "true", field
        assert page.get_attribute(root, "data-state") == state, field
        if reset:
            page.click(f"{root} [data-action=reset]")
            assert page.inner_text(f"#{widget}-{field}-error") == "", field
    return len(cases)


def open_more(page, root: str) -> None:
    """Open the widget's "More settings" as a reader does (a click on its summary), so the
    secondary controls can be typed into."""
    if page.locator(f"{root} details.sim-more").count() and not page.evaluate(
            f"document.querySelector('{root} details.sim-more').open"):
        page.click(f"{root} details.sim-more > summary")


# the page each widget kind is tested on (a kind may stand on several pages)
WIDGET_PAGES = {"trainer": "/trainer/", "lesion": "/lab/lesion/", "gradient-flow": "/lab/gradient-flow/",
                "degradation": "/lab/degradation/", "convergence": "/lab/convergence/",
                "identity": "/lab/identity/", "init": "/lab/init/", "shattering": "/lab/shattering/",
                "landscape": "/lab/landscape/", "block-explorer": "/lab/block-explorer/",
                "variants": "/lab/variants/", "architecture": "/lab/architecture/",
                "playground": "/lab/playground/", "normfree": "/lab/normfree/",
                "stochastic-depth": "/lab/stochastic-depth/", "shortcuts": "/lab/shortcuts/",
                "transformer": "/transformer/"}


def built_data(page, root: str):
    """The numbers the build drew the widget's static figure from (its template.sim-data)."""
    return json.loads(page.evaluate(f"document.querySelector('{root} template.sim-data').content.textContent"))
