import numpy as np
import pytest

from gradcheck import numerical_grad, rel_error
from simcore.analysis import gradflow
from simcore.data import load
from simcore.losses import softmax_cross_entropy
from simcore.nets import NetConfig, Network
from purity import snapshot


@pytest.fixture
def data():
    d = load("spirals", n=64, seed=0)
    return d["X_train"], d["y_train"]


def test_analyses_never_mutate(data):
    X, y = data
    net = Network(NetConfig(kind="residual", depth=10, width=8, layout="pre"))
    net.calibrate_bn(X)
    before = snapshot(net)
    gradflow.stream(net, X, y)
    gradflow.decomposition(net, X, y)
    gradflow.jacobian_singular_values(net, X, samples=2)
    after = snapshot(net)
    assert before.keys() == after.keys()
    for k in before:
        np.testing.assert_array_equal(before[k], after[k], err_msg=k)


@pytest.mark.parametrize("norm", [True, False])
def test_zero_branch_residual_stack_has_identity_jacobian(data, norm):
    X, _ = data
    net = Network(NetConfig(kind="residual", depth=20, width=8, layout="pre", zero_init=True, norm=norm))
    net.calibrate_bn(X)
    J = gradflow.jacobian(net, X[0])
    np.testing.assert_array_equal(J, np.eye(8))
    sv = gradflow.jacobian_singular_values(net, X, samples=3)
    np.testing.assert_allclose(sv, 1.0, atol=1e-12)


def test_jacobian_matches_finite_differences(data):
    X, _ = data
    net = Network(NetConfig(kind="residual", depth=8, width=5, activation="tanh"))
    net.calibrate_bn(X)
    x0 = net.stem.forward(X[:1], train=False)[0]

    J = gradflow.jacobian(net, X[0])
    for i in range(5):
        def f():
            h = x0[None, :]
            for b in net.blocks:
                h = b.forward(h, train=False)
            return float(h[0, i])
        assert rel_error(J[i], numerical_grad(f, x0)) < 1e-6


def test_stream_gradients_match_finite_differences(data):
    X, y = data
    net = Network(NetConfig(kind="plain", depth=6, width=5, activation="tanh"))
    rec = gradflow.stream(net, X, y)
    assert len(rec["signal"]) == len(rec["grad_x"]) == len(net.blocks) + 1
    assert len(rec["grad_w"]) == 6
    h = net.stem.forward(X, True)
    for b in net.blocks:
        h = b.forward(h, True)

    def f():
        return softmax_cross_entropy(net.head.forward(h, True), y)[0]
    np.testing.assert_allclose(rec["grad_x"][-1], np.linalg.norm(numerical_grad(f, h)), rtol=1e-6)
    W = net.weight_layers()[0].params["W"]

    def loss():
        return softmax_cross_entropy(net.forward(X, True), y)[0]
    np.testing.assert_allclose(rec["grad_w"][0], np.linalg.norm(numerical_grad(loss, W)), rtol=1e-6)


def test_decomposition_exact_for_preact(data):
    X, y = data
    net = Network(NetConfig(kind="residual", depth=12, width=8, layout="pre", zero_init=True))
    d = gradflow.decomposition(net, X, y)
    assert d["exact"]
    # zero branches: the residual term vanishes and every block sees the top gradient
    np.testing.assert_allclose(d["residual"], 0.0, atol=0)
    np.testing.assert_allclose(d["total"], d["highway"])
    net2 = Network(NetConfig(kind="residual", depth=12, width=8, layout="pre"))
    d2 = gradflow.decomposition(net2, X, y)
    assert max(d2["residual"]) > 0 and all(-1 <= c <= 1 for c in d2["cosine"])
    assert not gradflow.decomposition(Network(NetConfig(kind="plain", depth=6)), X, y)["exact"]


def test_plain_gradients_shrink_with_depth_residual_do_not(data):
    """The property the gradient-flow page shows: at initialisation, without normalisation,
    the gradient reaching the first block of a deep plain net is orders of magnitude off the
    top one (about 1e-7 here), while in the residual net it does not vanish (here it even
    grows about tenfold, since nothing normalises the summed branches)."""
    X, y = data
    ratios = {}
    for kind in ("plain", "residual"):
        net = Network(NetConfig(kind=kind, depth=40, width=16, norm=False, layout="pre",
                                init="xavier_normal", seed=1))
        g = gradflow.stream(net, X, y)["grad_x"]
        ratios[kind] = g[0] / g[-1]
    assert ratios["plain"] < 1e-2, ratios
    assert ratios["residual"] > 0.5, ratios


def test_checkpoints_double_then_end_at_the_last_epoch():
    assert gradflow.checkpoints(0) == [0]
    assert gradflow.checkpoints(1) == [0, 1]
    assert gradflow.checkpoints(8) == [0, 1, 2, 4, 8]
    assert gradflow.checkpoints(10) == [0, 1, 2, 4, 8, 10]


SMALL = {"dataset": "spirals", "n": 80, "depth": 8, "width": 8, "layout": "pre", "norm": True,
         "schedule": "constant", "batch_size": 16, "samples": 1}


def test_frames_are_one_run_seen_at_its_checkpoints():
    """Frame k of one 4-epoch run is, bit for bit, what a separate run of k epochs ends with
    (constant learning rate, same seed: the same first k epochs), and frame 0 is the init."""
    from simcore import api

    res = api.gradflow({**api.defaults("gradflow"), **SMALL, "epochs": 4, "frames": True})
    assert [f["epoch"] for f in res["frames"]] == [0, 1, 2, 4]
    assert res["frames"][0]["plain"]["grad_x"] == res["plain"]["init"]["grad_x"]
    assert res["frames"][-1]["residual"]["grad_x"] == res["residual"]["final"]["grad_x"]
    assert [f["residual"]["status"] for f in res["frames"]] == ["running"] * 3 + ["done"]
    for f in res["frames"][1:3]:
        alone = api.gradflow({**api.defaults("gradflow"), **SMALL, "epochs": f["epoch"]})
        for kind in ("plain", "residual"):
            assert f[kind]["grad_x"] == alone[kind]["final"]["grad_x"]
            assert f[kind]["loss"] == alone[kind]["final"]["loss"]
        d = alone["residual"]["decomposition"]
        assert f["split"] == {"exact": True, "highway": d["highway"], "residual": d["residual"]}
    assert "frames" not in api.gradflow({**api.defaults("gradflow"), **SMALL, "epochs": 1})


def test_a_run_that_diverges_is_shown_as_it_stopped():
    from simcore import api

    res = api.gradflow({**api.defaults("gradflow"), **SMALL, "norm": False, "layout": "post",
                        "lr": 5.0, "epochs": 8, "frames": True})
    assert res["plain"]["status"] == "diverged" or res["residual"]["status"] == "diverged"
    assert [f["epoch"] for f in res["frames"]] == [0, 1, 2, 4, 8]
    kind = "residual" if res["residual"]["status"] == "diverged" else "plain"
    assert res["frames"][-1][kind]["status"] == "diverged"


def test_frames_count_in_the_work_budget():
    from simcore import api

    cfg = {**api.defaults("gradflow"), **SMALL, "epochs": 8}
    assert api.work("gradflow", {**cfg, "frames": True}) > api.work("gradflow", cfg)
