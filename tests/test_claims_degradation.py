"""Claims of docs/degradation.md, each checked by the simcore.api call the page states.

The measured tables of the full experiment come from scripts/degradation_sweep.py and are
checked elsewhere: the results table and the depth-24-to-48 sweep in tests/test_degradation.py
(slow, every run), the robustness table in tests/test_degradation_sweep.py (only with
`-m sweep`: about five minutes on two cores). This file checks the rest of the page.
"""

import sys
from pathlib import Path

import pytest

from simcore import api

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))

SIGMOID_XAVIER = {"activation": "sigmoid", "init": "xavier_normal"}
RELU_XAVIER = {"activation": "relu", "init": "xavier_normal"}
RELU_HE = {"activation": "relu", "init": "he_normal"}


def _ratio(depth: int, norm: bool, **cfg) -> float:
    """|dL/dx_0| / |dL/dx_L| of the plain net at initialisation (gradflow defaults: spirals,
    1,000 points, width 32, post-activation)."""
    g = api.run("gradflow", {**cfg, "depth": depth, "norm": norm, "samples": 1})["plain"]["init"]["grad_x"]
    return g[0] / g[-1]


def _sci(v: float) -> tuple[int, int]:
    """(mantissa rounded to one digit, exponent), as the table writes 3 x 10^-12."""
    import math
    e = math.floor(math.log10(v))
    m = round(v / 10 ** e)
    return (m, e) if m < 10 else (1, e + 1)


@pytest.mark.parametrize("cfg, norm, d20, d56", [
    (SIGMOID_XAVIER, False, (3, -12), (5, -35)),
    (RELU_XAVIER, False, (1, -3), (8, -10)),
])
def test_vanishing_gradient_ratios(cfg, norm, d20, d56):
    """The table: the gradient at the input end vanishes without normalisation."""
    assert _sci(_ratio(20, norm, **cfg)) == d20
    assert _sci(_ratio(56, norm, **cfg)) == d56


@pytest.mark.parametrize("cfg, norm, depth, value", [
    (RELU_HE, False, 20, 0.55), (RELU_HE, False, 56, 0.11),
    (RELU_HE, True, 20, 69), (RELU_HE, True, 56, 1.5e5),
    (SIGMOID_XAVIER, True, 20, 141), (SIGMOID_XAVIER, True, 56, 921),
], ids=["relu-he-20", "relu-he-56", "relu-he-bn-20", "relu-he-bn-56", "sigmoid-bn-20", "sigmoid-bn-56"])
def test_he_init_and_batch_norm_ratios(cfg, norm, depth, value):
    """He init without BN: 0.55 and 0.11; with BN the gradient grows towards the input:
    69 and 1.5 x 10^5 (ReLU, He), 141 and 921 (sigmoid, Xavier)."""
    r = _ratio(depth, norm, **cfg)
    if value < 1:
        assert round(r, 2) == value
    elif value < 1e4:
        assert round(r) == value
    else:
        assert round(r / 1e5, 1) == value / 1e5


def _train_plain20(norm: bool, **cfg) -> dict:
    return api.train({**cfg, "kind": "plain", "depth": 20, "epochs": 20, "norm": norm})


@pytest.mark.parametrize("cfg", [SIGMOID_XAVIER, RELU_XAVIER], ids=["sigmoid-xavier", "relu-xavier"])
def test_unnormalised_plain_net_does_not_train(cfg):
    """No BN, 20 layers, 20 epochs: training error 50.0 % (chance), loss still ln 2 = 0.693."""
    r = _train_plain20(False, **cfg)
    f = r["final"]
    assert round(100 * (1 - f["train_acc"]), 1) == 50.0
    assert round(f["train_loss"], 3) == 0.693


@pytest.mark.parametrize("cfg, norm, err", [
    (RELU_HE, False, 2.1), (RELU_HE, True, 3.5), (SIGMOID_XAVIER, True, 4.2),
], ids=["relu-he", "relu-he-bn", "sigmoid-xavier-bn"])
def test_init_or_batch_norm_makes_it_train(cfg, norm, err):
    r = _train_plain20(norm, **cfg)
    assert r["status"] == "done"
    assert round(100 * (1 - r["final"]["train_acc"]), 1) == err


def _quick():
    from widgets import degradation as W
    return W.DEFAULTS, W.per_depth(W.DEFAULTS)


def test_degradation_quick_preset_and_not_overfitting():
    """The widget's quick preset (depths 4, 12, 24; 300 points, width 16, 20 epochs): training
    and test errors as the page's two tables give them."""
    cfg, rs = _quick()
    assert cfg["depths"] == [4, 12, 24] and cfg["n"] == 300 and cfg["width"] == 16 and cfg["epochs"] == 20
    pct = lambda key: [round(100 * r[key][0], 1) for r in rs]  # noqa: E731
    assert pct("plain_train_error") == [7.9, 7.5, 34.6]
    assert pct("residual_train_error") == [8.3, 4.6, 7.9]
    assert pct("plain_test_error") == [3.3, 6.7, 30.0]
    # not overfitting: the deepest plain net's test error is no worse than its training error,
    # and its training error is the one that rose
    deep = rs[-1]
    assert deep["plain_test_error"][0] <= deep["plain_train_error"][0]
    assert deep["plain_train_error"][0] > rs[0]["plain_train_error"][0] + 0.2


def test_convergence_widget_defaults():
    """Epochs to 90 % training accuracy on two moons (150 points, 20 epochs): 2 / 2 at depth 4,
    6 / 4 at depth 12; at depth 24 the plain net does not get there (ends at 67.5 %), the
    residual net does in 7."""
    from widgets import convergence as C
    cfg = C.DEFAULTS
    assert (cfg["dataset"], cfg["n"], cfg["epochs"], cfg["depths"], cfg["width"]) == ("moons", 150, 20, [4, 12, 24], 16)
    assert cfg["convergence_target_acc"] == 0.9
    rs = C.per_depth(cfg)
    assert [r["plain"]["epochs_to_target"][0] for r in rs] == [2, 6, None]
    assert [r["residual"]["epochs_to_target"][0] for r in rs] == [2, 4, 7]
    assert rs[-1]["plain"]["status"][0] == "not reached"
    assert round(100 * rs[-1]["plain"]["final_train_acc"][0], 1) == 67.5


def test_convergence_with_three_times_the_budget():
    """The same run for 60 epochs (`python -m simcore convergence --dataset moons --n 150
    --epochs 60 --depths 4,12,24`): the 24-layer plain net reaches 90 % at epoch 22 but ends at
    93.3 %; the residual nets and the shallower plain nets end at 100 %."""
    from widgets import convergence as C
    r = api.run("convergence", {**C.DEFAULTS, "epochs": 60})
    assert r["depths"] == [4, 12, 24]
    assert r["plain"]["epochs_to_target"][2] == 22
    assert round(100 * r["plain"]["final_train_acc"][2], 1) == 93.3
    assert r["plain"]["final_train_acc"][:2] == [1.0, 1.0] and r["residual"]["final_train_acc"] == [1.0] * 3


def test_jacobian_keeps_fewer_directions_in_plain_net():
    """56 layers, default gradflow (8 samples): singular values of d x_L / d x_0 above 1e-3 of
    the largest: 3 or 4 of 32 for the plain stack, 10 to 14 for the residual stack."""
    r = api.run("gradflow", {"depth": 56, "samples": 8})

    def kept(kind):
        return [sum(v > 1e-3 * s[0] for v in s) for s in r[kind]["jacobian_singular_values"]]

    assert len(r["plain"]["jacobian_singular_values"][0]) == 32
    assert min(kept("plain")) == 3 and max(kept("plain")) == 4
    assert min(kept("residual")) == 10 and max(kept("residual")) == 14
