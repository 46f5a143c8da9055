"""The "Things to try" numbers of the lab pages (docs/lab/*.md), each re-run with the settings the
page names on top of the widget's own defaults. The widgets' default figures are checked by the
page tests; this file checks what the reader is told to expect from a changed setting.

Every configuration here runs in a second or three natively.
"""

import numpy as np
import pytest

from simcore import api
from simcore.nets import NetConfig, Network
from simcore.variants import count

LESION = {**api.defaults("lesion"), "epochs": 15, "lesion_draws": 5}      # the lesion widget's
LANDSCAPE = {**api.defaults("landscape"), "n": 300}                       # the landscape widget's


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
