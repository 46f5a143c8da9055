"""The "Things to try" numbers of the lab pages (docs/lab/*.md), each re-run with the settings the
page names on top of the widget's own defaults. The widgets' default figures are checked by the
page tests; this file checks what the reader is told to expect from a changed setting.

Every configuration here runs in a second or three natively.
"""

from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pytest

from simcore import api
from simcore.nets import NetConfig, Network
from simcore.variants import count

LESION = {**api.defaults("lesion"), "epochs": 15, "lesion_draws": 5}      # the lesion widget's
LANDSCAPE = {**api.defaults("landscape"), "n": 300}                       # the landscape widget's


def pct(v: float) -> float:
    """A share in per cent as the widgets' readouts show it: JavaScript's (100 * v).toFixed(1),
    which rounds the exact double half up."""
    return float(Decimal(100 * v).quantize(Decimal("0.1"), ROUND_HALF_UP))


def pts(v: float) -> int:
    """A share as whole percentage points, as the pages round them."""
    return round(100 * v)


# --- docs/lab/architecture.md --------------------------------------------------------------

def test_architecture_page_claims():
    assert len(Network(NetConfig(kind="residual", depth=56)).blocks) == 27
    bottleneck = Network(NetConfig(kind="residual", depth=20, bottleneck=True)).blocks
    assert len(bottleneck) == 6
    assert len(Network(NetConfig(kind="residual", depth=11, bottleneck=True)).blocks) == 3
    with pytest.raises(ValueError, match=r"^depth: 11 is not 2 \+ 2·b"):
        api.train({"depth": 11, "epochs": 1})


# --- docs/lab/variants.md ------------------------------------------------------------------

def _stage(c: dict, stage: str, key: str) -> int:
    return sum(r[key] for r in c["layers"] if r["stage"] == stage)


def test_variants_page_claims():
    r50 = count("resnet50")
    assert _stage(r50, "layer4", "params") > r50["params"] / 2
    assert _stage(r50, "layer4", "macs") < r50["macs"] / 5
    r18, p18 = count("resnet18"), count("plain18")
    extra = [r for r in r18["layers"] if r["layer"].startswith("downsample")]
    assert len([r for r in extra if r["kind"] == "conv"]) == 3
    assert r18["params"] - p18["params"] == sum(r["params"] for r in extra)
    assert r18["macs"] - p18["macs"] == sum(r["macs"] for r in extra)
    c, p = count("cifar_resnet56"), count("cifar_plain56")
    assert (c["params"], c["macs"]) == (p["params"], p["macs"])
    r34 = count("resnet34")
    main = lambda n: sum(1 for r in count(n)["layers"]  # noqa: E731
                         if r["kind"] != "bn" and not r["layer"].startswith("downsample"))
    assert main("resnet50") - main("resnet34") == 16
    assert round(100 * (r50["params"] / r34["params"] - 1)) == 17
    big = count("resnet50", 448)
    assert big["params"] == r50["params"]
    assert round(big["macs"] / r50["macs"], 2) == 4.0
    with pytest.raises(ValueError, match=r"^resolution: 31 is not allowed \(out of range\); expected an integer in \[32,"):
        api.run("variants", {"name": "resnet50", "resolution": 31})


# --- docs/lab/shattering.md ----------------------------------------------------------------

def _rho(res: dict, norm: str, kind: str) -> list[float]:
    return [round(e["lag1"], 2) for e in res[norm][kind]]


def test_shattering_page_claims():
    deep = api.run("shattering", {"depths": [4, 8, 16, 32, 64]})
    plain = _rho(deep, "bn", "plain")
    assert plain[1] == 0.84 and plain[3] == 0.01          # collapses between depth 8 and 32
    assert _rho(deep, "bn", "residual")[1:] == [0.95, 0.82, 0.59, 0.29]
    pre = api.run("shattering", {"layout": "pre"})
    assert pre["depths"] == [4, 10, 24, 50]
    assert _rho(pre, "bn", "residual")[2:] == [0.81, 0.52]
    tanh = api.run("shattering", {"activation": "tanh"})
    for norm in ("bn", "no_bn"):
        for kind in ("plain", "residual"):
            assert min(_rho(tanh, norm, kind)[:2]) >= 0.98, (norm, kind)
    assert _rho(tanh, "bn", "residual")[3] == 0.09 and _rho(tanh, "no_bn", "residual")[3] == 0.03
    flat = api.run("shattering", {"shatter_offset": 0.0})
    for kind in ("plain", "residual"):
        for e in flat["no_bn"][kind] + [flat["no_bn"]["shallow"]]:
            g = np.array(e["gradients"])
            jumps = np.abs(np.diff(g)) > 1e-9 * np.abs(g).max()
            assert jumps.sum() == 1, (kind, e["depth"])     # a single jump, at the origin


# --- docs/lab/landscape.md -----------------------------------------------------------------

def test_landscape_page_claims():
    deep = api.run("landscape", {**LANDSCAPE, "depth": 56})
    assert deep["plain"]["summary_1d"]["rise"] > 1e7
    assert deep["residual"]["summary_1d"]["rise"] < 100
    assert deep["residual"]["summary_2d"]["local_minima"] == 1
    zoom = api.run("landscape", {**LANDSCAPE, "landscape_span": 0.25})
    assert pts(zoom["residual"]["summary_2d"]["nonconvex_fraction"]) == 11
    assert pts(zoom["plain"]["summary_2d"]["nonconvex_fraction"]) == 67
    assert zoom["plain"]["summary_1d"]["curvature"] < 0 < zoom["residual"]["summary_1d"]["curvature"]
    pre = api.run("landscape", {**LANDSCAPE, "layout": "pre"})
    assert pre["residual"]["summary_1d"]["local_minima"] == 1
    assert pre["residual"]["summary_2d"]["local_minima"] == 1


# --- docs/lab/lesion.md (and docs/takeaways.md, 8) -------------------------------------------

def test_lesion_page_claims():
    base = api.run("lesion", LESION)
    p, r = base["plain"]["single_median_drop"]["test"], base["residual"]["single_median_drop"]["test"]
    assert (pts(p), pts(r)) == (31, 5)                   # "loses about 30 points" / "about 5"
    longer = api.run("lesion", {**LESION, "epochs": 30})
    assert pts(longer["residual"]["single_median_drop"]["test"]) == 1   # shrinks towards zero
    assert longer["plain"]["single_median_drop"]["test"] > 0.4          # stays large
    pre = api.run("lesion", {**LESION, "layout": "pre"})
    assert pts(pre["residual"]["single_median_drop"]["test"]) == 1      # "about 1 point"
    deep = api.run("lesion", {**LESION, "depth": 32})
    assert deep["n_blocks"] == 15
    intact = deep["plain"]["intact"]
    assert round(100 * intact["train"], 1) == 61.9 and round(100 * intact["test"], 1) == 52.5
    assert round(100 * deep["residual"]["intact"]["test"], 1) == 97.5
    assert min(deep["residual"]["single"]["test"][3:]) >= 0.9           # after the first few


# --- docs/lab/identity.md ------------------------------------------------------------------

def test_identity_page_zero_init_deep():
    """"Eight blocks … Zero-init makes it a non-issue": the residual stack starts exactly there."""
    deep = api.identity({"identity_part": "learn_identity", "identity_blocks": 8,
                         "zero_init": True})["learn_identity"]["residual"]
    assert deep["steps_to_tol"] == 0 and deep["initial_loss"] == 0.0


# --- docs/lab/playground.md ----------------------------------------------------------------

def test_playground_page_claims():
    import sys
    from pathlib import Path
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
    from widgets import playground

    base = playground.DEFAULTS
    assert (base["depth"], base["width"], base["norm"], base["n"], base["lr"], base["epochs"]) == (20, 12, True, 200, 0.05, 30)
    data = playground.data(base)
    plain, res = data["plain"], data["residual"]
    g0, r0 = plain[0]["grad_norms"], res[0]["grad_norms"]
    assert (round(g0[-1], 2), round(g0[0], 1), round(g0[0] / g0[-1])) == (0.42, 6.7, 16)
    assert (round(r0[0], 1), round(r0[-1], 1)) == (2.8, 4.0) and max(r0[0], r0[-1]) / min(r0[0], r0[-1]) < 1.5
    assert [pct(h[-1]["train_acc"]) for h in (res, plain)] == [86.3, 70.0]
    assert [pct(h[-1]["test_acc"]) for h in (res, plain)] == [85.0, 57.5]

    def fit(**change):
        kind = change.pop("kind", "residual")
        return pct(api.train({**base, "kind": kind, **change})["history"][-1]["train_acc"])

    assert (fit(kind="plain", depth=32), fit(depth=32)) == (50.0, 87.5)
    assert (fit(skips="000011111"), fit(skips="111110000")) == (73.1, 78.8)
    assert api.train({**base, "kind": "residual", "skips": "0" * 9})["history"][-1]["train_acc"] == plain[-1]["train_acc"]
    assert (fit(kind="plain", depth=8), fit(depth=8)) == (93.8, 95.0)


# --- docs/lab/normfree.md (and the sentence of docs/blocks.md) -----------------------------

def test_normfree_page_claims():
    base = api.defaults("normfree")
    assert (base["depth"], base["width"], base["layout"], base["n"], base["optimizer"], base["lr"],
            base["epochs"], base["seed"]) == (32, 16, "pre", 300, "momentum", 0.1, 40, 0)
    res = api.normfree(base)
    v = res["variants"]
    acc = {k: (pct(x["final"]["train_acc"]), pct(x["final"]["test_acc"])) for k, x in v.items()}
    assert acc["plain"] == (50.0, 50.0)
    assert v["residual"]["final"]["status"] == "diverged" and v["residual"]["final"]["epoch"] == 1
    assert (acc["batchnorm"], acc["skipinit"], acc["fixup"]) == ((94.2, 96.7), (95.8, 95.0), (57.5, 58.3))
    signal = {k: x["init"]["signal"] for k, x in v.items()}
    assert len(signal["plain"]) == 16 and round(signal["plain"][0], 2) == 1.11
    assert [f"{signal[k][-1]:.3g}" for k in ("plain", "residual", "batchnorm", "skipinit", "fixup")] == \
        ["0.124", "284", "4.14", "1.11", "1.11"]
    assert round((signal["residual"][-1] / signal["residual"][0]) ** (2 / 15), 2) == 2.09  # variance per block
    bn = [s * s for s in signal["batchnorm"]]
    assert (round(bn[0], 2), round(bn[-1], 1), round((bn[-1] - bn[0]) / 15, 2)) == (1.23, 17.2, 1.06)
    assert not any(v["fixup"]["init"]["grad_x"]) and v["fixup"]["init"]["grad_w"][-1] > 0  # only the classifier
    seeds = [api.normfree({**base, "seed": s})["variants"] for s in (1, 2)]
    assert [pct(r["batchnorm"]["final"]["train_acc"]) for r in seeds] == [97.9, 97.5]
    assert [pct(r["skipinit"]["final"]["train_acc"]) for r in seeds] == [72.1, 96.3]
    assert [pct(r["fixup"]["final"]["train_acc"]) for r in seeds] == [69.2, 60.8]
    tries = {name: api.normfree({**base, **change})["variants"]
             for name, change in (("depth 8", {"depth": 8}), ("post", {"layout": "post"}), ("lr", {"lr": 0.01}))}
    fin = lambda r, k: pct(r[k]["final"]["train_acc"])  # noqa: E731
    d8 = tries["depth 8"]
    assert d8["residual"]["final"]["status"] == "done"
    assert [fin(d8, k) for k in ("residual", "plain", "batchnorm", "skipinit", "fixup")] == [77.5, 95.8, 94.6, 95.0, 74.6]
    assert [fin(tries["post"], k) for k in ("batchnorm", "skipinit", "fixup")] == [82.9, 95.4, 62.1]
    assert [fin(tries["lr"], k) for k in ("plain", "batchnorm", "skipinit", "fixup")] == [87.9, 94.2, 60.4, 60.4]


# --- docs/lab/stochastic-depth.md (and the sentence of docs/why-it-works.md) ---------------

def test_stochastic_depth_page_claims():
    base = api.defaults("stochastic_depth")
    assert (base["depth"], base["width"], base["norm"], base["n"], base["epochs"], base["sd_survival"]) == \
        (20, 32, True, 400, 30, 0.5)
    res = api.stochastic_depth(base)
    std, sd = res["standard"], res["stochastic"]
    assert res["split"] == "test" and res["n_blocks"] == 9
    assert (pct(std["intact"]), pct(sd["intact"])) == (98.8, 98.8)
    assert (pct(std["single_median_drop"]), pct(sd["single_median_drop"])) == (1.3, 2.5)
    assert [pct(r["random"]["mean"][2]) for r in (std, sd)] == [79.4, 82.9]
    assert [pct(r["random"]["mean"][3]) for r in (std, sd)] == [60.2, 64.8]
    assert (pct(std["single"][0]), pct(sd["single"][0])) == (51.2, 50.0)
    assert round(100 * sd["survival"][0]) == 94
    three = {1: (64.4, 67.0, 3.7, 1.3), 2: (69.1, 83.4, 2.5, 1.2)}
    for seed, want in three.items():
        r = api.stochastic_depth({**base, "seed": seed})
        assert (pct(r["standard"]["random"]["mean"][2]), pct(r["stochastic"]["random"]["mean"][2]),
                pct(r["standard"]["single_median_drop"]), pct(r["stochastic"]["single_median_drop"])) == want
    low = api.stochastic_depth({**base, "sd_survival": 0.2})
    assert (pct(low["stochastic"]["intact"]), pct(low["stochastic"]["random"]["mean"][2])) == (97.5, 87.6)
    deep = api.stochastic_depth({**base, "depth": 56})
    assert (pct(deep["standard"]["intact"]), pct(deep["stochastic"]["intact"])) == (97.5, 87.5)
    assert [pct(r["random"]["mean"][2]) for r in (deep["standard"], deep["stochastic"])] == [86.3, 81.1]
    assert pct(deep["stochastic"]["single_median_drop"]) == -1.2


# --- docs/lab/shortcuts.md (and the sentence of docs/blocks.md) ----------------------------

def test_shortcuts_page_claims():
    base = api.defaults("shortcuts")
    assert (base["depth"], base["width"], base["layout"], base["norm"], base["n"], base["epochs"],
            base["shortcut_seeds"], base["carry_bias"], base["shortcut_scale"]) == (32, 16, "pre", True, 300, 30, 3, -2.0, 0.5)
    k = api.shortcuts(base)["kinds"]
    per_seed = {name: [pct(e) for e in r["train_error"]] for name, r in k.items()}
    assert per_seed == {"identity": [5.0, 1.7, 2.1], "scaled": [25.0, 22.5, 38.7],
                        "exclusive_gate": [6.7, 4.2, 3.3], "shortcut_gate": [5.8, 2.9, 9.6],
                        "conv": [10.4, 7.1, 6.7], "dropout": [50.0, 59.2, 50.0]}
    mean = lambda xs: sum(xs) / len(xs)  # noqa: E731
    assert {n: (pct(mean(r["train_error"])), pct(mean(r["test_error"]))) for n, r in k.items()} == {
        "identity": (2.9, 4.4), "exclusive_gate": (4.7, 6.7), "shortcut_gate": (6.1, 5.0),
        "conv": (8.1, 9.4), "scaled": (28.7, 36.7), "dropout": (53.1, 51.7)}
    for i in range(3):  # the identity is best on every seed
        assert min(k, key=lambda n: k[n]["train_error"][i]) == "identity"
    ratio = {n: r["grad_x"][0] / r["grad_x"][-1] for n, r in k.items()}
    assert {n: round(ratio[n]) for n in ("identity", "shortcut_gate", "conv", "scaled")} == \
        {"identity": 37, "shortcut_gate": 98, "conv": 258, "scaled": 365}
    assert round(ratio["exclusive_gate"], 1) == 1.9 and min(ratio, key=ratio.get) == "exclusive_gate"
    open_gates = api.shortcuts({**base, "carry_bias": 0.0})["kinds"]
    assert [pct(mean(open_gates[n]["train_error"])) for n in ("exclusive_gate", "shortcut_gate")] == [22.5, 30.7]
    d8 = api.shortcuts({**base, "depth": 8})["kinds"]
    errs = {n: pct(mean(r["train_error"])) for n, r in d8.items()}
    assert (errs["scaled"], errs["identity"], errs["dropout"]) == (2.9, 3.3, 35.7)
    assert all(2.9 <= e <= 5.1 for n, e in errs.items() if n != "dropout") and errs["exclusive_gate"] == 5.1
    one = api.train({"depth": 8, "epochs": 2, "shortcut": "scaled", "shortcut_scale": 1.0})["history"]
    assert [r["train_loss"] for r in one] == [r["train_loss"] for r in api.train({"depth": 8, "epochs": 2})["history"]]
