import json
import math
from itertools import combinations

import numpy as np
import pytest

from gradcheck import numerical_grad, rel_error
from simcore import api
from simcore.analysis import gradflow, paths
from simcore.data import load
from simcore.losses import softmax_cross_entropy
from simcore.nets import NetConfig, Network
from purity import snapshot


@pytest.fixture
def data():
    d = load("spirals", n=64, seed=0)
    return d["X_train"][:16], d["y_train"][:16]


def subsets(n):
    return [s for k in range(n + 1) for s in combinations(range(n), k)]


@pytest.mark.parametrize("n", [0, 1, 5, 27, 63])
def test_path_counts_are_binomial(n):
    c = paths.path_counts(n)
    assert len(c) == n + 1 and sum(c) == 2**n
    assert c == [math.comb(n, k) for k in range(n + 1)] and c == c[::-1]
    assert c.index(max(c)) == n // 2


def test_unrolling_identity_for_linear_blocks(data):
    """(I + A_n)···(I + A_1) = Σ over all 2^n subsets S of the ordered products A_S: with
    identity activations and no BN every block is affine with a constant Jacobian A_l (the
    transpose of W1 W2), and the 2^n path Jacobians sum to the full Jacobian of the stack."""
    X, _ = data
    n = 5
    net = Network(NetConfig(kind="residual", depth=2 + 2 * n, width=4, layout="pre", norm=False,
                            activation="identity", seed=0))
    x = X[0]
    full = sum(paths.path_jacobian(net, x, s) for s in subsets(n))
    assert len(subsets(n)) == 2**n
    product = np.eye(4)
    for b in net.blocks:
        W1, W2 = (layer.params["W"] for layer in b.branch.layers if "W" in layer.params)
        product = product @ (np.eye(4) + W1 @ W2)  # x_n = x_0 (I + A_0)···(I + A_{n-1})
    J = product.T  # J[i, j] = ∂x_n[i]/∂x_0[j]
    np.testing.assert_allclose(full, J, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(gradflow.jacobian(net, x), J, rtol=1e-12, atol=1e-12)
    # and against central differences of the stack itself
    x0 = net.stem.forward(x[None, :], False)[0]
    for i in range(4):
        def f():
            h = x0[None, :]
            for b in net.blocks:
                h = b.forward(h, False)
            return float(h[0, i])
        assert rel_error(full[i], numerical_grad(f, x0)) < 1e-8
    # the exact split by length groups the same 2^n terms
    by_len = paths.jacobian_by_length(net, x)
    for k in range(n + 1):
        part = sum((paths.path_jacobian(net, x, s) for s in combinations(range(n), k)),
                   np.zeros((4, 4)))
        np.testing.assert_allclose(by_len[k], part, rtol=1e-10, atol=1e-12)
    # a single path is the ordered product of its A_l (here through blocks 1 and 3)
    A = []
    for b in net.blocks:
        W1, W2 = (layer.params["W"] for layer in b.branch.layers if "W" in layer.params)
        A.append(W1 @ W2)
    np.testing.assert_allclose(paths.path_jacobian(net, x, (1, 3)), (A[1] @ A[3]).T, rtol=1e-12)


def stack_loss(net, y, x0, train, subset=None, ref=None):
    """Loss as a function of the stack input x0. With ``subset``, the single-path function:
    blocks in ``subset`` see their skip input frozen at the reference forward values ``ref``
    (only the branch carries the perturbation); the others see their branch frozen."""
    h = x0
    for l, b in enumerate(net.blocks):
        if subset is None:
            h = b.forward(h, train)
            continue
        x_ref, F_ref = ref[l]
        if l in subset:
            S, F = x_ref, b.alpha * b.branch.forward(h, train)
        else:
            S, F = h, F_ref
        h = b.out_act.forward(S + F, train) if b.out_act else S + F
    return softmax_cross_entropy(net.head.forward(h, train), y)[0]


@pytest.mark.parametrize("layout,train", [("pre", True), ("post", True), ("pre", False)])
def test_gradients_match_finite_differences(data, layout, train):
    """Σ_k G_k is ∂L/∂x_0, and one path's gradient is the derivative of the loss with every
    other route frozen (stop-gradient), both against central differences; BN in batch mode
    couples the whole batch, and that is differentiated too."""
    X, y = data
    net = Network(NetConfig(kind="residual", depth=10, width=4, layout=layout, activation="tanh",
                            seed=5))
    net.calibrate_bn(X)
    x0 = net.stem.forward(X, train)
    G = paths.gradient_by_length(net, X, y, train)
    assert G.shape == (5, 16, 4)
    num = numerical_grad(lambda: stack_loss(net, y, x0, train), x0)
    assert rel_error(G.sum(axis=0), num) < 1e-6
    ref, h = [], x0.copy()
    for b in net.blocks:
        F = b.alpha * b.branch.forward(h, train)
        ref.append((h.copy(), F.copy()))
        h = b.forward(h, train)
    for subset in [(), (0,), (2,), (1, 3), (0, 1, 2, 3)]:
        g = paths.path_gradient(net, X, y, subset, train)
        num = numerical_grad(lambda: stack_loss(net, y, x0, train, set(subset), ref), x0)
        assert rel_error(g, num) < 1e-6, subset


def test_lengths_group_the_enumerated_paths(data):
    X, y = data
    n = 4
    net = Network(NetConfig(kind="residual", depth=2 + 2 * n, width=6, layout="pre", seed=2))
    G = paths.gradient_by_length(net, X, y)
    for k in range(n + 1):
        part = sum(paths.path_gradient(net, X, y, s) for s in combinations(range(n), k))
        np.testing.assert_allclose(G[k], part, rtol=1e-10, atol=1e-14)
    # the exhaustive sampled measurement is exact; its total bounds |G_k| (triangle inequality)
    s = paths.sampled_path_norms(net, X, y, samples=10, rng=np.random.default_rng(0))
    assert s["exhaustive"] == [True] * (n + 1) and s["paths"] == paths.path_counts(n)
    for k in range(n + 1):
        norms = [np.linalg.norm(paths.path_gradient(net, X, y, c))
                 for c in combinations(range(n), k)]
        assert s["total"][k] == pytest.approx(sum(norms), rel=1e-12)
        assert s["total"][k] >= np.linalg.norm(G[k]) * (1 - 1e-12)
    # a zero branch carries nothing: only the length-0 path (the pure skip) is left
    zero = Network(NetConfig(kind="residual", depth=2 + 2 * n, width=6, layout="pre",
                             zero_init=True, seed=2))
    Gz = paths.gradient_by_length(zero, X, y)
    assert np.abs(Gz[1:]).max() == 0.0 and np.abs(Gz[0]).max() > 0


def test_most_gradient_comes_from_short_paths():
    """Veit et al. (2016), Fig. 6: path counts peak at n/2, but the gradient per path shrinks with
    every branch it passes, so the total per length peaks well below n/2 (He-initialised,
    pre-activation, BN; 27 blocks)."""
    d = load("spirals", n=400, seed=0)
    X, y = d["X_train"][:64], d["y_train"][:64]
    net = Network(NetConfig(kind="residual", depth=56, width=16, layout="pre", seed=0))
    net.calibrate_bn(d["X_train"])
    s = paths.summary(net, X, y, samples=10, rng=np.random.default_rng(0))
    n = 27
    assert len(s["total"]) == n + 1 and sum(s["share"]) == pytest.approx(1.0)
    assert s["peak"] < n / 2 - 1 and s["mean_length"] < n / 2 - 2, (s["peak"], s["mean_length"])
    assert s["exact_peak"] <= n / 2 - 4 and s["exact_mean_length"] < n / 2 - 4
    # per path the gradient falls by orders of magnitude from short to long paths
    assert s["per_path"][n] < 1e-3 * s["per_path"][0]
    # the long half of the paths (k > n/2, half of all 2^n) carries a small part of the total
    assert sum(s["share"][n // 2 + 1:]) < 0.2


def test_never_mutates_and_rejects_other_kinds(data):
    X, y = data
    net = Network(NetConfig(kind="residual", depth=8, width=4, layout="post", seed=1))
    net.calibrate_bn(X)
    before = snapshot(net)
    paths.gradient_by_length(net, X, y)
    paths.path_gradient(net, X, y, (0, 2))
    paths.sampled_path_norms(net, X, y, 2, np.random.default_rng(0))
    paths.jacobian_by_length(net, X[0])
    paths.path_jacobian(net, X[0], (1,))
    paths.summary(net, X, y, 2, np.random.default_rng(0))
    after = snapshot(net)
    assert before.keys() == after.keys()
    for k in before:
        np.testing.assert_array_equal(before[k], after[k], err_msg=k)
    with pytest.raises(ValueError, match="^kind:"):
        paths.gradient_by_length(Network(NetConfig(kind="plain", depth=6, width=4)), X, y)
    with pytest.raises(ValueError, match="^subset:"):
        paths.path_gradient(net, X, y, (3,))


def test_task_through_api_small():
    cfg = {"n": 100, "depth": 10, "width": 8, "epochs": 1, "batch_size": 32, "path_samples": 3}
    res = api.run("paths", cfg)
    back = json.loads(json.dumps(res, allow_nan=False))
    assert back == res
    assert res["n_blocks"] == 4 and res["counts"] == [1, 4, 6, 4, 1] and res["binomial_peak"] == 2
    for stage in ("init", "final"):
        s = res[stage]
        assert len(s["per_path"]) == len(s["exact"]) == 5
        assert s["paths_measured"] == [1, 3, 3, 3, 1]
        assert s["total"][0] == s["per_path"][0] == s["exact"][0]  # one path of length 0
    assert res["init"] != res["final"]
    zero = api.paths({**cfg, "epochs": 0})
    assert zero["init"] == zero["final"]
    assert "peak length" in paths.text(res)
    with pytest.raises(ValueError, match="^kind: unknown field"):
        api.paths({"kind": "plain"})


@pytest.mark.parametrize("value", [0, 101, 2.5, "4", None])
def test_bad_inputs(value):
    with pytest.raises(ValueError) as err:
        api.run("paths", {"path_samples": value})
    assert str(err.value).startswith("path_samples:"), str(err.value)


@pytest.mark.filterwarnings("error")
def test_diverged_run_gives_plain_json_without_warnings():
    res = api.paths({"n": 100, "depth": 10, "width": 8, "epochs": 2, "batch_size": 25,
                     "norm": False, "lr": 10.0, "path_samples": 2})
    assert res["status"] == "diverged"
    json.dumps(res, allow_nan=False)
    paths.text(res)
