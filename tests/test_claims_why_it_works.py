"""Claims of docs/why-it-works.md, checked against the simcore.api calls the page states:
``paths`` with its defaults, and the lesion and landscape widgets' defaults
(scripts/widgets/lesion.py, scripts/widgets/landscape.py)."""

from __future__ import annotations

import math
import sys
from functools import lru_cache
from pathlib import Path

from simcore import api

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
from widgets.landscape import DEFAULTS as LANDSCAPE_DEFAULTS  # noqa: E402
from widgets.lesion import DEFAULTS as LESION_DEFAULTS  # noqa: E402


@lru_cache(maxsize=None)
def paths() -> dict:
    return api.run("paths", api.defaults("paths"))


def share(values, lo: int, hi: int) -> float:
    return sum(values[lo: hi + 1])


def test_paths_counts():
    r = paths()
    assert r["config"]["depth"] == 56 and r["config"]["epochs"] == 10 and r["config"]["width"] == 16
    assert r["n_blocks"] == 27 and sum(r["counts"]) == 2 ** 27 and r["binomial_peak"] == 13.5
    assert round(2 ** 27 / 1e8, 1) == 1.3
    counts = [c / 2 ** 27 for c in r["counts"]]
    assert [round(100 * share(counts, a, b), 1) for a, b in ((0, 5),)] == [0.1]
    assert [round(100 * share(counts, a, b)) for a, b in ((6, 10), (11, 16), (17, 27))] == [12, 75, 12]
    assert round(100 * share(counts, 0, 10)) == 12


def test_paths_gradient_shares():
    r = paths()
    i, f = r["init"], r["final"]
    rows = {"sampled": (i["share"], f["share"]), "exact": (i["exact_share"], f["exact_share"])}
    want = {"sampled": [(3, 6), (60, 72), (37, 22)], "exact": [(29, 48), (59, 47), (13, 5)]}
    for name, (a, b) in rows.items():
        got = [(round(100 * share(a, lo, hi)), round(100 * share(b, lo, hi)))
               for lo, hi in ((0, 5), (6, 10), (11, 16))]
        assert got == want[name], f"{name} shares: {got}"
    assert round(100 * share(i["share"], 17, 27), 1) == 0.1 and round(100 * share(f["share"], 17, 27), 1) == 0.1
    assert round(100 * share(i["exact_share"], 17, 27), 1) == 0.2 and round(100 * share(f["exact_share"], 17, 27), 1) == 0.0
    assert (i["peak"], i["exact_peak"], f["peak"], f["exact_peak"]) == (10, 6, 10, 6)
    assert f["mean_length"] < i["mean_length"] and f["exact_mean_length"] < i["exact_mean_length"]
    assert round(i["per_path"][0], 3) == 0.018 and round(i["per_path"][10], 5) == 0.00017
    assert round(f["per_path"][0], 3) == 0.013 and round(f["per_path"][10], 6) == 0.000026
    # paths of equal length largely cancel: the exact norm is far below the sampled sum
    assert all(e < t for e, t in zip(i["exact"][1:-1], i["total"][1:-1]))
    assert round(i["exact"][10], 2) == 0.57 and round(i["total"][10], -2) == 1400


@lru_cache(maxsize=None)
def lesion() -> dict:
    return api.lesion(LESION_DEFAULTS)


def test_lesion():
    r = lesion()
    cfg = r["config"]
    assert (cfg["depth"], cfg["width"], cfg["layout"], cfg["epochs"], cfg["n"]) == (20, 32, "post", 15, 400)
    assert r["n_blocks"] == 9 and r["chance"]["test"] == 0.5
    p, q = r["plain"], r["residual"]
    assert round(100 * p["intact"]["test"], 1) == 85.0 and round(100 * q["intact"]["test"], 1) == 97.5
    assert round(100 * p["single_median_drop"]["test"]) == 31 and round(100 * q["single_median_drop"]["test"]) == 5
    # the table quotes the widget's readout: JavaScript's toFixed(1), which takes the larger of
    # two equally near values (31.25 is exact in binary: 31.3)
    assert 100 * p["single_median_drop"]["test"] == 31.25 and round(100 * q["single_median_drop"]["test"], 1) == 5.0
    ps, qs = [100 * v for v in p["single"]["test"]], [100 * v for v in q["single"]["test"]]
    assert round(ps[0]) == 54 and round(qs[0], 1) == 52.5
    assert 50 <= min(ps[-3:]) and round(max(ps[-3:])) == 54
    assert all(round(v, 1) == 97.5 for v in qs[-3:])
    assert 32 <= min(ps) < 33 and round(max(ps)) == 69
    assert sorted(ps)[4] <= 55, "most plain lesions at about chance"
    drops = [round(100 * q["intact"]["test"] - v) for v in qs[1:6]]
    assert min(drops) == 4 and max(drops) == 19
    assert qs[0] <= sorted(ps)[4], "the first residual block costs as much as a typical plain lesion"
    m = [100 * v for v in q["random"]["test"]["mean"]]
    assert (round(m[0]), round(m[1]), round(m[3])) == (86, 79, 57)


def test_landscape():
    r = api.landscape(LANDSCAPE_DEFAULTS)
    cfg = r["config"]
    assert (cfg["depth"], cfg["width"], cfg["epochs"], cfg["n"]) == (20, 16, 20, 300)
    p, q = r["plain"], r["residual"]
    assert (round(p["train_loss"], 2), round(100 * p["train_acc"], 1)) == (0.48, 78.8)
    assert (round(q["train_loss"], 2), round(100 * q["train_acc"], 1)) == (0.13, 94.6)
    assert round(p["summary_1d"]["rise"]) == 72 and round(q["summary_1d"]["rise"]) == 12
    assert round(p["summary_2d"]["rise"]) == 356 and round(q["summary_2d"]["rise"], 1) == 35.5
    assert (p["summary_1d"]["local_minima"], q["summary_1d"]["local_minima"]) == (2, 1)
    assert round(100 * p["summary_2d"]["nonconvex_fraction"]) == 56
    assert round(100 * q["summary_2d"]["nonconvex_fraction"]) == 40
    assert round(p["summary_1d"]["rise"] / q["summary_1d"]["rise"]) == 6
    assert round(p["summary_2d"]["rise"] / q["summary_2d"]["rise"]) == 10
    assert math.isfinite(p["summary_2d"]["max"])
