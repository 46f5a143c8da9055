"""Every widget at its defaults, one parametrised test each: the live run in the reader's browser
redraws the page's static figure exactly, mark for mark and number for number.

The chain this closes: the static figure is the widget's own view() of the numbers the build
computed natively (scripts/render.py), those numbers are native simcore's (test_reproduce.py
runs the page's own "Reproduce in Python" and compares), and here the live run, computed by
simcore in Pyodide and drawn by the same view(), gives the same markup. Each widget's own test
file checks what is particular to it (its readout's meaning, links, Stop, bad input)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from sim_page import WIDGET_PAGES as PAGES, built_data, record_determinism

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
import render  # noqa: E402

KINDS = list(PAGES)  # every widget (test_reproduce.py checks the list is whole)

# what a run redraws: the figure, the readouts and the notes under it (not the controls a
# widget puts in its output, such as the shattering widget's view selectors, enabled by a run)
DRAWN = """(root) => [...document.querySelectorAll(`${root} .sim-output > :is(.sim-figure, table, .sim-note, .sim-variants-layers)`)]
  .map((el) => el.outerHTML)"""


@pytest.mark.parametrize("kind", KINDS)
def test_default_run_redraws_the_static_figure_exactly(probe, base_url, tally, kind):
    page = probe.page
    root = f'[data-sim="{kind}"]'
    page.goto(base_url + PAGES[kind])
    page.wait_for_selector(f"{root} form")
    static = page.evaluate(DRAWN, root)
    assert static and any("<svg" in html for html in static), kind
    built = built_data(page, root)
    page.click(f"{root} [data-action=run]")
    page.wait_for_selector(f'{root}[data-state="done"]', timeout=300_000)
    live = page.evaluate(DRAWN, root)
    assert len(live) == len(static)
    for a, b in zip(live, static):
        assert a == b, f"{kind}: the live figure differs from the build's:\n{a[:400]}\n{b[:400]}"
    # and what the live run drew is what it downloads: the build's numbers, bit for bit
    with page.expect_download() as got:
        page.click(f"{root} [data-action=download-json]")
    drawn = json.loads(Path(got.value.path()).read_text())["data"]
    assert render.timeless(drawn) == built
    probe.assert_clean()
    record_determinism(tally, page, root)


def test_tick_labels_are_the_ticks_exactly(probe, base_url):
    """charts.js labels every axis tick with its value exactly, whatever digits its step needs
    (three significant digits wrote the tick at 102.5 as "103" and the one at 0.0025 as
    "3e-3"); a chart's text gives plotted values to three significant digits."""
    import random
    rng = random.Random(1)
    ranges = [(100, 112.5), (0, 0.01), (1000, 2500), (1, 1.2), (-0.03, 0.07), (0, 0.3), (0, 1), (0, 60)]
    ranges += [sorted((rng.uniform(-50, 50) * 10 ** e, rng.uniform(-50, 50) * 10 ** e))
               for e in range(-6, 7) for _ in range(40)]
    page = probe.page
    page.goto(f"{base_url}/trainer/")
    ticks, summary = page.evaluate("""async (ranges) => {
        const c = await import(new URL("../javascripts/sim/charts.js", location.href).href);
        const ticks = ranges.flatMap(([lo, hi]) => [4, 5].flatMap((n) => c.niceTicks(lo, hi, n)))
          .concat(c.logTicks(1e-12, 1e6)).map((t) => [t, c.tickLabel(t)]);
        const summary = c.lineSummary("T", "x", "y", [], [{ name: "a", points: [[0, 0.00123456], [1500, 2.5]] }]);
        return [ticks, summary];
    }""", ranges)
    wrong = [(t, label) for t, label in ticks if float(label) != t]
    assert wrong == [] and len(ticks) > 3000
    labels = dict(ticks)
    assert [labels[t] for t in (102.5, 0.0025, 1500, 2.5, 1e-12, 1e6)] == \
        ["102.5", "2.5e-3", "1.5e+3", "2.5", "1e-12", "1e+6"]
    assert summary == "T: y against x; a from 1.23e-3 at 0 to 2.5 at 1.5e+3."


def test_numbers_are_written_as_python_writes_them(probe, base_url):
    """widget.js's fixed(x, d), which every readout uses, is Python's format(x, f".{d}f")
    character for character, exact ties to even included (toFixed breaks them away from zero:
    with 80 training points every odd multiple of 1.25 % is one)."""
    import random
    import struct
    rng = random.Random(0)
    values = [100 * k / n for n in (80, 240, 120, 7) for k in range(n + 1)]
    values += [rng.uniform(-1000, 1000) for _ in range(2000)] + [rng.uniform(-1, 1) for _ in range(1000)]
    values += [0.125, -0.125, 2.5, -2.5, 0.0, -0.0, 5e-324, -1e-310, 1e20, 123456789.125, 1.005]
    cases = [(v, d) for v in values for d in (0, 1, 2, 3, 4)]
    bits = [str(struct.unpack("<q", struct.pack("<d", v))[0]) for v, _ in cases]
    page = probe.page
    page.goto(f"{base_url}/trainer/")
    got, differ = page.evaluate("""async ([bits, digits]) => {
        const { fixed } = await import(new URL("../javascripts/sim/widget.js", location.href).href);
        const view = new DataView(new ArrayBuffer(8));
        let differ = 0;
        const got = bits.map((b, i) => {
            view.setBigInt64(0, BigInt(b));
            const x = view.getFloat64(0);
            const text = fixed(x, digits[i]);
            if (text !== x.toFixed(digits[i])) differ += 1;
            return text;
        });
        return [got, differ];
    }""", [bits, [d for _, d in cases]])
    want = [format(v, f".{d}f") for v, d in cases]
    assert [(v, d, g, w) for (v, d), g, w in zip(cases, got, want) if g != w] == []
    assert differ > 50  # the ties toFixed gets wrong are there, and fixed gets them right
