import json
import math

import numpy as np
import pytest

from gradcheck import close, numerical_grad
from simcore import api
from simcore.analysis import identity
from simcore.data import load
from simcore.layers import Dense
from simcore.losses import softmax_cross_entropy
from simcore.nets import NetConfig, Network
from purity import assert_same, snapshot


@pytest.fixture(scope="module")
def default_result():
    return api.run("identity", {})


# --- part 1: learning the identity ----------------------------------------------------------

@pytest.mark.parametrize("activation,norm", [("identity", False), ("relu", False), ("relu", True)])
def test_zero_init_residual_stack_is_the_identity_at_step_0(activation, norm):
    """The defining property: a zero-initialised pre-activation residual stack *is* y = x,
    loss exactly 0 before any step, whatever the branch holds; the plain stack is not."""
    X = identity.identity_data(64, 8, seed=3)
    res = identity.make_stack("residual", 3, 8, "pre", activation, norm, "xavier_normal", True, 3)
    assert identity.identity_loss(res, X) == 0.0
    _, rec = identity.fit_identity(res, X, steps=50, lr=0.01, tol=1e-6, optimizer="adam")
    assert rec == {"loss": [0.0], "steps_to_tol": 0, "status": "reached"}
    plain = identity.make_stack("plain", 3, 8, "pre", activation, norm, "xavier_normal", True, 3)
    assert identity.identity_loss(plain, X) > 0.1
    _, rec = identity.fit_identity(plain, X, steps=50, lr=0.01, tol=1e-6, optimizer="adam")
    assert rec["steps_to_tol"] is None and rec["status"] == "not reached"
    assert len(rec["loss"]) == 51


def test_default_residual_needs_fewer_steps_than_plain(default_result):
    li = default_result["learn_identity"]
    plain, res = li["plain"], li["residual"]
    assert res["steps_to_tol"] == 0 and res["initial_loss"] == 0.0
    # the plain stack gets there, but only after many steps (314 at the defaults)
    assert plain["status"] == "reached" and plain["steps_to_tol"] > 100
    assert plain["loss"][-1] < default_result["config"]["identity_tol"] <= min(plain["loss"][:-1])
    # the residual branches output exactly nothing (their last layer is zero) ...
    assert all(b["branch_rms"] == 0.0 and b["last_weight_norm"] == 0.0 for b in res["blocks"])
    assert res["end_to_end_error"] == 0.0 and res["bias_norm"] == 0.0
    # ... while the plain blocks carry the whole signal and their product approximates I
    assert all(b["branch_rms"] > 0.5 for b in plain["blocks"])
    assert plain["end_to_end_error"] < 0.5


def test_plain_linear_stack_map_is_the_product_of_its_weights():
    stack = identity.make_stack("plain", 3, 6, "pre", "identity", False, "xavier_normal", True, 1)
    net, _ = identity.fit_identity(stack, identity.identity_data(32, 6), 5, 0.05, 1e-9, "sgd")
    for s in (stack, net):
        M, c = identity.affine_map(s, 6)
        Ws = [leaf.params["W"] for leaf in s.leaves() if isinstance(leaf, Dense)]
        np.testing.assert_allclose(M, np.linalg.multi_dot(Ws), atol=1e-12)
        x = np.random.default_rng(0).normal(size=(4, 6))
        np.testing.assert_allclose(s.forward(x, False), x @ M + c, atol=1e-12)
    assert not identity.is_affine(identity.make_stack("plain", 1, 6, activation="relu"))
    with pytest.raises(ValueError, match="^stack:"):
        identity.affine_map(identity.make_stack("plain", 1, 6, norm=True), 6)


def test_post_activation_relu_cannot_be_the_identity():
    """Post-activation: relu(x + 0) = relu(x), so the loss of the zero-init stack is exactly
    mean(x² · [x < 0]), not 0."""
    X = identity.identity_data(100, 5, seed=2)
    stack = identity.make_stack("residual", 2, 5, "post", "relu", False, zero_init=True)
    assert identity.identity_loss(stack, X) == pytest.approx(np.mean(np.minimum(X, 0) ** 2),
                                                             abs=1e-15)


def test_steps_none_when_budget_runs_out_or_fit_diverges():
    X = identity.identity_data(64, 8)
    stack = identity.make_stack("plain", 2, 8, init="he_normal")
    _, rec = identity.fit_identity(stack, X, steps=3, lr=1e-4, tol=1e-3)
    assert rec["steps_to_tol"] is None and rec["status"] == "not reached" and len(rec["loss"]) == 4
    _, rec = identity.fit_identity(stack, X, steps=200, lr=10.0, tol=1e-3)
    assert rec["steps_to_tol"] is None and rec["status"] == "diverged" and rec["loss"][-1] is None


def test_fit_step_follows_the_mse_gradient():
    """One SGD step moves every parameter by −lr·∂L/∂θ, L = mean((f(X) − X)²), checked against
    central differences (batch normalisation included)."""
    X = identity.identity_data(16, 4, seed=5)
    stack = identity.make_stack("residual", 1, 4, "pre", "tanh", True, "xavier_normal",
                                zero_init=False, seed=5)
    lr = 1e-3
    net, rec = identity.fit_identity(stack, X, steps=1, lr=lr, tol=1e-12, optimizer="sgd")
    assert len(rec["loss"]) == 2
    before, after = stack.params, net.params
    for k, p in before.items():
        num = numerical_grad(lambda: identity.identity_loss(stack, X), p)
        ok, err = close((p - after[k]) / lr, num)  # a bias before BN has no gradient
        assert ok, (k, err)


def test_identity_analyses_never_mutate():
    X = identity.identity_data(32, 6)
    stack = identity.make_stack("residual", 2, 6, "pre", "relu", True, "he_normal", False)
    stack.forward(X, True)
    before = snapshot(stack)
    identity.fit_identity(stack, X, 5, 0.01, 1e-9, "adam")
    identity.identity_loss(stack, X)
    identity.block_report(stack, X)
    assert_same(before, snapshot(stack))

    d = load("moons", n=60, seed=0)
    net = Network(NetConfig(kind="plain", depth=6, width=8, norm=True))
    net.calibrate_bn(d["X_train"])
    before = snapshot(net)
    identity.signal_profile(net, d["X_train"], d["y_train"])
    assert_same(before, snapshot(net))


# --- part 2: Xavier vs He -------------------------------------------------------------------

def test_relu_signal_halves_in_mean_square_under_xavier_and_holds_under_he():
    """The defining property: through a square dense + ReLU layer E[a²] is multiplied by
    d σ² / 2, so the RMS per layer is ×sqrt(1/2) under Xavier and ×1 under He. Width 256,
    20 block layers, seed 0: measured 0.7048 and 0.9968 (seeds 0-3 give 0.689-0.709 and
    0.974-1.003); tolerance ±0.03 on the geometric-mean factor per layer."""
    d = load("moons", n=200, seed=0)
    ratios, last = {}, {}
    for init in identity.INITS:
        net = Network(NetConfig(kind="plain", depth=22, width=256, norm=False, init=init, seed=0))
        s = identity.signal_profile(net, d["X_train"], d["y_train"])["signal"]
        ratios[init] = identity.layer_ratio(s)
        last[init] = s[-1] / s[1]
    assert abs(ratios["xavier_normal"] - math.sqrt(0.5)) < 0.03, ratios
    assert abs(ratios["he_normal"] - 1.0) < 0.03, ratios
    assert last["xavier_normal"] < 1e-2 and 0.5 < last["he_normal"] < 2.0, last
    # same draws, scaled: ReLU is positively homogeneous, so the factors differ by exactly √2
    assert ratios["he_normal"] / ratios["xavier_normal"] == pytest.approx(math.sqrt(2), rel=1e-9)
    assert identity.expected_ratio("xavier_normal") == math.sqrt(0.5)


def test_signal_profile_matches_a_manual_pass_and_finite_differences():
    d = load("moons", n=40, seed=1)
    X, y = d["X_train"], d["y_train"]
    net = Network(NetConfig(kind="plain", depth=5, width=4, norm=False, activation="tanh",
                            layout="post", bottleneck=True, seed=2))
    p = identity.signal_profile(net, X, y)
    Ws = net.weight_layers()
    assert len(p["signal"]) == len(p["grad_w"]) == 5
    assert p["signal"][0] == pytest.approx(float(np.sqrt(np.mean(X * X))))
    h = np.tanh(X @ Ws[0].params["W"] + Ws[0].params["b"])
    assert p["signal"][1] == pytest.approx(float(np.sqrt(np.mean(h * h))))

    def loss():
        return softmax_cross_entropy(net.forward(X, True), y)[0]
    assert p["loss"] == pytest.approx(loss())
    for w, g in zip(Ws, p["grad_w"]):
        np.testing.assert_allclose(g, np.linalg.norm(numerical_grad(loss, w.params["W"])),
                                   rtol=1e-6)


def test_default_init_comparison(default_result):
    """Xavier: the deep plain net's signal dies out and training does not start; He: it
    starts. Without normalisation the He residual net's signal grows with depth."""
    init = default_result["init"]
    px, ph = init["plain"]["xavier_normal"], init["plain"]["he_normal"]
    assert not px["started"] and ph["started"]
    assert px["drop"] < 0.1 < ph["drop"]
    assert px["profile"]["signal"][-1] < 1e-2 * px["profile"]["signal"][1]
    assert max(px["profile"]["grad_w"]) < 1e-2 * max(ph["profile"]["grad_w"])
    rh = init["residual"]["he_normal"]
    assert rh["profile"]["signal"][-1] > 5 * rh["profile"]["signal"][1]
    for kind in ("plain", "residual"):
        for r in init[kind].values():
            assert len(r["curve"]) <= default_result["config"]["epochs"] + 1
            assert r["started"] == (r["drop"] is not None and r["drop"] > 0.1)
            assert r["status"] != "diverged" or (r["drop"] is None and not r["started"])


# --- the api task ---------------------------------------------------------------------------

def test_api_task_json_round_trip():
    cfg = {"identity_blocks": 1, "identity_steps": 20, "width": 8, "depth": 6, "n": 60,
           "epochs": 1, "activation": "relu", "norm": True, "layout": "post",
           "zero_init": False, "identity_optimizer": "momentum"}
    res = api.run("identity", cfg)
    assert json.loads(json.dumps(res, allow_nan=False)) == res
    assert set(res) == {"config", "learn_identity", "init"}
    for kind in ("plain", "residual"):
        r = res["learn_identity"][kind]
        assert r["end_to_end_error"] is None  # not an affine stack
        assert (r["steps_to_tol"] is None) == (r["status"] != "reached")
    assert api.identity.__name__ == "identity" and "identity" in api.TASKS
    assert "Xavier" in api.TEXT["identity"](res)


def test_identity_part_runs_one_half_with_the_same_numbers(default_result):
    for part, other in (("learn_identity", "init"), ("init", "learn_identity")):
        res = api.run("identity", {"identity_part": part})
        assert res[other] is None
        assert res[part] == default_result[part]
        text = api.TEXT["identity"](res)
        assert ("Xavier" in text) == (part == "init") and ("y = x" in text) == (part != "init")


@pytest.mark.parametrize("field,value", [
    ("identity_part", "neither"), ("identity_blocks", 0), ("identity_blocks", 2.5), ("identity_tol", -1.0),
    ("identity_tol", float("nan")), ("identity_optimizer", "sgdx"), ("identity_min_drop", 1.5),
    ("identity_lr", "fast"), ("identity_steps", 10**6), ("identity_points", 1),
])
def test_bad_inputs(field, value):
    with pytest.raises(ValueError) as exc:
        api.run("identity", {field: value})
    assert str(exc.value).startswith(f"{field}:")
