"""Claims of docs/gradient-flow.md, checked against the simcore.api calls the page states.

Every configuration is the gradient-flow widget's default (scripts/widgets/gradient_flow.py):
depth 24, width 16, 200 spiral points, pre-activation, batch norm, constant lr 0.05, batch 32,
changing only what the page says it changes.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from simcore import api

BASE = {**api.defaults("gradflow"), "n": 200, "depth": 24, "width": 16, "layout": "pre",
        "norm": True, "schedule": "constant", "batch_size": 32, "epochs": 8, "samples": 1}


@lru_cache(maxsize=None)
def run(**changes) -> dict:
    return api.gradflow({**BASE, **changes})


def ratio(res: dict, kind: str, stage: str = "init") -> float:
    g = res[kind][stage]["grad_x"]
    return g[0] / g[-1]


def per_layer(res: dict, kind: str) -> float:
    """Growth per dense layer: 2 dense layers per block, L blocks between x_0 and x_L."""
    g = res[kind]["init"]["grad_x"]
    return ratio(res, kind) ** (1 / (2 * (len(g) - 1)))


def test_widget_default_table():
    r = run()
    assert round(ratio(r, "plain")) == 164 and round(ratio(r, "residual")) == 27
    assert round(ratio(r, "plain", "final"), 1) == 1.1 and round(ratio(r, "residual", "final"), 1) == 9.4
    assert round(r["plain"]["final"]["loss"], 2) == 0.65 and round(r["residual"]["final"]["loss"], 2) == 0.29
    L = len(r["plain"]["init"]["grad_x"]) - 1
    assert L == 11
    assert round(ratio(r, "plain") ** (1 / L), 2) == 1.59 and round(per_layer(r, "plain"), 2) == 1.26


def test_bn_explodes_plain_gradients():
    d24, d56 = run(epochs=0), run(epochs=0, depth=56)
    assert round(ratio(d56, "plain"), -4) == 4.8e5 and round(ratio(d56, "residual")) == 100
    assert round(per_layer(d56, "plain"), 2) == 1.27
    post = run(epochs=0, depth=56, layout="post")
    assert round(ratio(post, "plain"), -4) == 4.0e5 and round(per_layer(post, "plain"), 2) == 1.27
    # residual: far less growth than plain, at both depths
    assert ratio(d24, "residual") < ratio(d24, "plain") / 5
    assert ratio(d56, "residual") < ratio(d56, "plain") / 1000


def test_without_bn():
    d24, d56 = run(epochs=0, norm=False), run(epochs=0, depth=56, norm=False)
    assert round(ratio(d24, "plain"), 2) == 0.25 and round(ratio(d24, "residual")) == 36
    assert round(ratio(d56, "plain"), 3) == 0.035 and round(ratio(d56, "residual"), -3) == 6.6e4
    L = len(d24["plain"]["init"]["grad_x"]) - 1
    assert round(ratio(d24, "plain") ** (1 / L), 2) == 0.88
    trained = run(norm=False)
    assert round(ratio(trained, "plain", "final"), 3) == 0.011
    assert round(trained["plain"]["final"]["loss"], 2) == 0.69
    assert trained["residual"]["status"] == "diverged"


def test_sigmoid_vanishes():
    """The note "Vanishing gradients are still real": sigmoid, xavier_normal, no batch norm."""
    r = run(epochs=0, norm=False, activation="sigmoid", init="xavier_normal")
    assert round(ratio(r, "plain") * 1e14) == 5
    g = r["residual"]["init"]["grad_x"]
    assert min(g) / max(g) > 0.93


def test_decomposition():
    r = run(epochs=0)["residual"]["decomposition"]
    assert r["exact"]
    assert len(set(r["highway"])) == 1 and round(r["highway"][0], 3) == 0.024
    assert round(r["total"][0], 2) == 0.65 and round(100 * r["highway"][0] / r["total"][0]) == 4
    assert round(r["cosine"][0], 2) == 0.03
    assert all(t >= h for t, h in zip(r["total"], r["highway"]))
    assert round(100 * r["highway"][-1] / r["total"][-1]) == 85
    t = run()["residual"]["decomposition"]
    assert round(100 * t["highway"][0] / t["total"][0]) == 11
    d = run(epochs=0, depth=56)["residual"]["decomposition"]
    assert round(100 * d["highway"][0] / d["total"][0]) == 1


def test_signal():
    r, d56 = run(epochs=0), run(epochs=0, depth=56)
    p = r["plain"]["init"]["signal"]
    assert round(min(p), 2) == 0.85 and round(max(p), 2) == 1.17
    s = r["residual"]["init"]["signal"]
    assert round(s[0], 2) == 1.09 and round(s[-1], 2) == 3.19 and round(d56["residual"]["init"]["signal"][-1], 2) == 4.95
    for res in (r, d56):
        s = np.array(res["residual"]["init"]["signal"])
        steps = np.diff(s ** 2)
        assert 0.8 <= (s[-1] ** 2 - s[0] ** 2) / len(steps) <= 0.9, "mean growth of the square per block"
        assert -0.5 < steps.min() < 0 and 1.5 < steps.max() < 2.5, "single blocks: slightly negative to about 2"
    nb, nb56 = run(epochs=0, norm=False), run(epochs=0, depth=56, norm=False)
    assert round(nb["plain"]["init"]["signal"][-1], 3) == 0.195
    assert round(nb["residual"]["init"]["signal"][-1]) == 54
    assert round(nb56["residual"]["init"]["signal"][-1], -4) == 5e4


def test_jacobian():
    r = run(epochs=0, samples=8)
    p = np.array(r["plain"]["jacobian_singular_values"])
    q = np.array(r["residual"]["jacobian_singular_values"])
    assert p.shape == q.shape == (8, 16)
    assert int((p < 1e-8).sum()) == 95 and round(p[:, 0].mean()) == 167
    assert int((q < 1e-8).sum()) == 0
    assert round(float(np.median(q)), 2) == 1.22
    assert round(q[:, -1].mean(), 3) == 0.003 and round(q[:, 0].mean()) == 127


def test_shattering():
    import sys
    from pathlib import Path
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
    from widgets.shattering import DEFAULTS as SHATTERING_DEFAULTS

    r = api.shattering(SHATTERING_DEFAULTS)
    assert r["depths"] == [4, 10, 24, 50]
    table = {
        ("bn", "plain"): [0.89, 0.74, 0.04, -0.01],
        ("bn", "residual"): [0.92, 0.89, 0.66, 0.36],
        ("no_bn", "plain"): [0.96, 0.92, 0.69, 0.31],
        ("no_bn", "residual"): [0.95, 0.96, 0.84, 0.84],
    }
    for (norm, kind), want in table.items():
        got = [round(e["lag1"], 2) for e in r[norm][kind]]
        assert got == want, f"rho(1) {norm} {kind}: {got}"
    assert round(r["bn"]["shallow"]["lag1"], 2) == 0.98
