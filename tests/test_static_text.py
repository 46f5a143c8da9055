"""The build-time readouts write numbers as the live widgets' JavaScript does (``toFixed``: the
exact binary value rounded, ties away from zero), so the static and the live text agree."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))

import figures  # noqa: E402


def test_js_fixed_rounds_ties_away_from_zero_like_to_fixed():
    # 96.25 and 0.125 are exact in binary: a true tie, which Python's format rounds to even
    assert (f"{96.25:.1f}", figures.js_fixed(96.25, 1)) == ("96.2", "96.3")
    assert (f"{0.125:.2f}", figures.js_fixed(0.125, 2)) == ("0.12", "0.13")
    assert figures.js_fixed(2.675, 2) == "2.67"  # 2.675 is 2.67499999… in binary: no tie
    assert figures.js_fixed(-0.125, 2) == "-0.13"
