import copy
import json
import subprocess
import sys

import numpy as np
import pytest

from gradcheck import rel_error
from simcore import api
from simcore.analysis import landscape
from simcore.losses import softmax_cross_entropy
from simcore.nets import NetConfig, Network
from simcore.train import TrainConfig, evaluate, train_network
from purity import snapshot

SMALL = dict(n=100, depth=6, width=8, epochs=3, batch_size=25,
             landscape_points_1d=7, landscape_points_2d=5, landscape_span=0.5)


@pytest.fixture(scope="module")
def trained():
    """A small residual net after a few epochs, its last record and the training split."""
    cfg = TrainConfig(n=100, depth=6, width=8, epochs=3, batch_size=25, kind="residual")
    for rec, net, ds in train_network(cfg):
        pass
    return copy.deepcopy(net), rec, ds["X_train"], ds["y_train"]


def test_grid_is_symmetric_with_exact_zero():
    a = landscape.grid(41, 1.0)
    assert a[20] == 0.0 and a[0] == -1.0 and a[-1] == 1.0
    np.testing.assert_array_equal(a, -a[::-1])


def test_slice_at_zero_is_the_training_loss_exactly(trained):
    net, rec, X, y = trained
    delta, eta = landscape.directions(net, seed=0)
    alphas = landscape.grid(7, 1.0)
    L, A = landscape.surface(net, X, y, delta, None, alphas)
    loss, acc = evaluate(net, X, y)
    assert L[3] == loss == rec["train_loss"]
    assert A[3] == acc == rec["train_acc"]
    L2, _ = landscape.surface(net, X, y, delta, eta, alphas, alphas)
    assert L2[3, 3] == rec["train_loss"]
    assert L[0] != L[3] and L[-1] != L[3], "the directions must change the loss"


@pytest.mark.parametrize("cfg", [
    NetConfig(kind="residual", depth=8, width=8, bottleneck=False),
    NetConfig(kind="plain", depth=11, width=12, bottleneck=True, layout="pre"),  # (12,3) and (3,12)
    NetConfig(kind="residual", depth=6, width=8, norm=False, zero_init=True),  # zero W columns
])
def test_filter_normalisation_matches_weight_column_norms(cfg):
    net = Network(cfg)
    rng = np.random.default_rng(1)
    raw = landscape.random_direction(net, rng)
    d = landscape.filter_normalize(raw, net)
    assert d.keys() == net.params.keys()
    n_matrices = 0
    for k, W in net.params.items():
        assert d[k].shape == W.shape
        if W.ndim == 1:  # biases and BN gamma/beta are not perturbed
            np.testing.assert_array_equal(d[k], 0.0)
            continue
        n_matrices += 1
        # filter = output unit = column of W (d_in, d_out)
        np.testing.assert_allclose(np.linalg.norm(d[k], axis=0), np.linalg.norm(W, axis=0),
                                   rtol=1e-12, atol=0)
        # direction within a filter is the random one, only rescaled
        cols = np.linalg.norm(raw[k], axis=0) > 0
        ratio = d[k][:, cols] / raw[k][:, cols]
        np.testing.assert_allclose(ratio, ratio[:1].repeat(len(ratio), 0), rtol=1e-12)
    assert n_matrices == len([k for k in net.params if k.endswith("W")])
    # scale-free: normalising a rescaled draw gives the same direction
    d2 = landscape.filter_normalize({k: 3.7 * v for k, v in raw.items()}, net)
    for k in d:
        np.testing.assert_allclose(d2[k], d[k], rtol=1e-12, atol=0)
    if cfg.zero_init:
        zero = [k for k, W in net.params.items() if W.ndim == 2 and not W.any()]
        assert zero and all(not d[k].any() for k in zero)


def test_directions_are_seeded():
    net = Network(NetConfig(depth=6, width=8))
    a, b = landscape.directions(net, 5), landscape.directions(net, 5)
    c = landscape.directions(net, 6)
    for k in net.params:
        np.testing.assert_array_equal(a[0][k], b[0][k])
        np.testing.assert_array_equal(a[1][k], b[1][k])
    k = "stem.0.W"
    assert not np.array_equal(a[0][k], a[1][k]) and not np.array_equal(a[0][k], c[0][k])


def test_2d_axes_equal_the_1d_slices(trained):
    net, _, X, y = trained
    delta, eta = landscape.directions(net, seed=3)
    alphas = landscape.grid(5, 0.6)
    L2, A2 = landscape.surface(net, X, y, delta, eta, alphas, alphas)
    Ld, Ad = landscape.surface(net, X, y, delta, None, alphas)
    Le, Ae = landscape.surface(net, X, y, eta, None, alphas)
    np.testing.assert_array_equal(L2[:, 2], Ld)  # β = 0: the slice along δ
    np.testing.assert_array_equal(L2[2, :], Le)  # α = 0: the slice along η
    np.testing.assert_array_equal(A2[:, 2], Ad)
    np.testing.assert_array_equal(A2[2, :], Ae)


def test_slope_at_zero_is_the_directional_derivative(trained):
    """Central difference of the 1-D slice equals ∇L(θ*)·δ from backprop (evaluation mode):
    the slice perturbs exactly the parameters δ names, and nothing else."""
    net, _, X, y = trained
    delta, _ = landscape.directions(net, seed=0)
    h = 1e-5
    L, _ = landscape.surface(net, X, y, delta, None, np.array([-h, 0.0, h]))
    work = copy.deepcopy(net)
    _, dZ = softmax_cross_entropy(work.forward(X, train=False), y)
    work.backward(dZ)
    analytic = sum(float(np.sum(g * delta[k])) for k, g in work.grads.items())
    numeric = (L[2] - L[0]) / (2 * h)
    assert rel_error(np.array([analytic]), np.array([numeric])) < 1e-6, (analytic, numeric)


def test_analyses_never_mutate(trained):
    net, _, X, y = trained
    before = snapshot(net)
    delta, eta = landscape.directions(net, seed=0)
    landscape.surface(net, X, y, delta, eta, landscape.grid(3, 1.0), landscape.grid(3, 1.0))
    landscape.surface(net, X, y, delta, None, landscape.grid(5, 2.0))
    after = snapshot(net)
    assert before.keys() == after.keys()
    for k in before:
        np.testing.assert_array_equal(before[k], after[k], err_msg=k)


def test_summaries_on_known_surfaces():
    a = landscape.grid(21, 1.0)
    s = landscape.summary_1d(a, 3 * a**2 + 1)
    assert s["center"] == 1.0 and s["min"] == 1.0 and s["argmin"] == 0.0
    assert s["curvature"] == pytest.approx(6.0, rel=1e-9)
    assert s["rise"] == pytest.approx(3.0) and s["edges"] == [4.0, 4.0]
    assert s["local_minima"] == 1 and s["roughness"] == 0.0
    bumpy = landscape.summary_1d(a, 3 * a**2 + 1 + 0.3 * np.cos(40 * a))
    assert bumpy["local_minima"] > 1 and bumpy["roughness"] > 0.2
    assert landscape.summary_1d(a, np.where(a > 0.5, np.inf, a**2))["roughness"] is None
    A, B = np.meshgrid(a, a, indexing="ij")
    bowl = landscape.summary_2d(a, A**2 + 2 * B**2)
    assert bowl["nonconvex_fraction"] == 0.0 and bowl["local_minima"] == 1 and bowl["min"] == 0.0
    saddle = landscape.summary_2d(a, A**2 - B**2 + 5)
    assert saddle["nonconvex_fraction"] == 1.0 and saddle["local_minima"] == 0
    tilted = landscape.summary_2d(a, A * B)  # f_αβ only: eigenvalues ±1
    assert tilted["nonconvex_fraction"] == 1.0


def test_api_task_small_config_round_trips():
    res = api.run("landscape", SMALL)
    back = json.loads(json.dumps(res, allow_nan=False))
    assert back == res
    assert len(res["alphas_1d"]) == 7 and len(res["alphas_2d"]) == 5
    for kind in ("plain", "residual"):
        r = res[kind]
        assert r["slice_1d"]["loss"][3] == r["train_loss"] == r["summary_1d"]["center"]
        assert r["slice_2d"]["loss"][2][2] == r["train_loss"]
        grid2 = r["slice_2d"]["loss"]
        assert len(grid2) == 5 and all(len(row) == 5 for row in grid2)
    assert res["plain"]["train_loss"] != res["residual"]["train_loss"]
    assert "residual" in landscape.text(res)
    assert api.landscape(SMALL)["plain"]["slice_1d"] == res["plain"]["slice_1d"]


def test_cli_json():
    args = [f"--{k.replace('_', '-')}={v}" for k, v in SMALL.items()]
    out = subprocess.run([sys.executable, "-m", "simcore", "landscape", *args, "--json"],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["residual"]["summary_1d"]["center"] is not None


@pytest.mark.parametrize("config,field", [
    ({"landscape_points_1d": 40}, "landscape_points_1d"),  # even: 0 not on the grid
    ({"landscape_points_1d": 1001}, "landscape_points_1d"),
    ({"landscape_points_2d": 14}, "landscape_points_2d"),
    ({"landscape_points_2d": 99}, "landscape_points_2d"),
    ({"landscape_points_2d": "15"}, "landscape_points_2d"),
    ({"landscape_span": 0.0}, "landscape_span"),
    ({"landscape_span": float("nan")}, "landscape_span"),
    ({"landscape_span": 50.0}, "landscape_span"),
])
def test_bad_fields(config, field):
    with pytest.raises(ValueError) as err:
        api.run("landscape", {**SMALL, "epochs": 0, **config})
    assert str(err.value).startswith(f"{field}:"), str(err.value)
