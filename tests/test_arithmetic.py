"""The ``arithmetic`` field: "portable" (default, unchanged) or "native" (NumPy's BLAS ``@`` and
``exp``/``log``/``tanh``), chosen per network and held by its layers."""

import json

import numpy as np
import pytest

from gradcheck import close, numerical_grad
from simcore import api, arithmetic, portable
from simcore.__main__ import main
from simcore.arithmetic import NATIVE, PORTABLE
from simcore.layers import Activation, BatchNorm, Dense, Layer
from simcore.nets import NetConfig, Network
from simcore.train import TrainConfig, _loss

CASES = [  # each kind, and every activation that goes through exp or tanh
    dict(kind="plain", depth=4),
    dict(kind="residual", depth=6, activation="tanh"),
    dict(kind="residual", depth=8, bottleneck=True, layout="pre", activation="gelu"),
    dict(kind="highway", depth=4, activation="sigmoid"),  # and the sigmoid gates
    dict(kind="dense", depth=6, dense_layers=2),
]
CASE_IDS = ["-".join(str(v) for v in c.values()) for c in CASES]


def layers_of(obj) -> list[Layer]:
    """Every layer object reachable from ``obj``, including activations that a block holds
    outside its ``children()`` (a block's ``out_act``)."""
    found, stack, seen = [], [obj], set()
    while stack:
        o = stack.pop()
        if id(o) in seen:
            continue
        seen.add(id(o))
        if isinstance(o, Layer):
            found.append(o)
        if isinstance(o, (list, tuple)):
            stack.extend(o)
        elif hasattr(o, "__dict__") and not isinstance(o, (np.ndarray, NetConfig)):
            stack.extend(v for v in vars(o).values() if not isinstance(v, np.ndarray))
    return found


def first_step(cfg: dict, X: np.ndarray, y: np.ndarray):
    """Loss and parameter gradients of one training-mode forward/backward."""
    net = Network(NetConfig(d_in=X.shape[1], **cfg))
    loss, dZ = _loss("cross_entropy", net.forward(X, train=True), y, net.arithmetic)
    net.backward(dZ, input_grad=False)
    return loss, {k: v.copy() for k, v in net.grads.items()}


def test_default_is_portable():
    assert NetConfig().arithmetic == TrainConfig().arithmetic == "portable"
    assert api.TRAIN_DEFAULTS["arithmetic"] == "portable"
    assert Network(NetConfig()).arithmetic is PORTABLE
    assert PORTABLE.matmul is portable.matmul and PORTABLE.tanh is portable.tanh


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_every_layer_holds_the_nets_arithmetic(case):
    for name, expected in (("portable", PORTABLE), ("native", NATIVE)):
        net = Network(NetConfig(arithmetic=name, **case))
        held = [layer for layer in layers_of(net)
                if isinstance(layer, (Dense, Activation, BatchNorm))]
        assert len(held) > len(net.weight_layers())  # the dense layers and the activations
        if case.get("norm", True):
            assert any(isinstance(layer, BatchNorm) for layer in held), case
        assert {layer.arithmetic.name for layer in held} == {name}, case
        assert net.arithmetic is expected


def test_a_copied_network_keeps_its_arithmetic():
    import copy
    import pickle
    net = Network(NetConfig(kind="highway", depth=4, arithmetic="native"))
    for twin in (copy.deepcopy(net), pickle.loads(pickle.dumps(net))):
        assert twin.arithmetic.name == "native"
        assert {layer.arithmetic.name for layer in layers_of(twin)
                if hasattr(layer, "arithmetic")} == {"native"}
    assert copy.deepcopy(net).arithmetic is NATIVE


def test_native_dense_is_numpys_matmul(rng):
    """Native means NumPy's own ``@``: the same bits as ``X @ W + b`` (BLAS, natively)."""
    layer = Dense(32, 16, rng, arithmetic=NATIVE)
    layer.params["b"][...] = rng.normal(size=16)
    X, dZ = rng.normal(size=(128, 32)), rng.normal(size=(128, 16))
    np.testing.assert_array_equal(layer.forward(X), X @ layer.params["W"] + layer.params["b"])
    dX = layer.backward(dZ)
    np.testing.assert_array_equal(layer.grads["W"], X.T @ dZ)
    np.testing.assert_array_equal(dX, dZ @ layer.params["W"].T)
    W_grad = layer.grads["W"]
    layer.backward(2 * dZ)  # the gradient buffer is reused, as in portable mode
    assert layer.grads["W"] is W_grad
    np.testing.assert_array_equal(W_grad, X.T @ (2 * dZ))


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_column_sums(rng, dtype):
    """Portable: NumPy's reduction down axis 0 (rows added in order), bit for bit. Native: the
    product ``ones @ X``, equal up to rounding. Both write into ``out`` when it fits."""
    X = rng.normal(size=(128, 32)).astype(dtype)
    np.testing.assert_array_equal(PORTABLE.colsum(X), np.add.reduce(X, axis=0))
    rtol = 1e-12 if dtype == "float64" else 1e-4
    np.testing.assert_allclose(NATIVE.colsum(X), X.sum(axis=0), rtol=rtol, atol=rtol)
    np.testing.assert_array_equal(NATIVE.colsum(X), np.ones(128, dtype) @ X)
    for ar in (PORTABLE, NATIVE):
        out = np.zeros(32, dtype)
        assert ar.colsum(X, out=out) is out and out.any()
        wrong = np.zeros(32, "float32" if dtype == "float64" else "float64")
        assert ar.colsum(X, out=wrong) is not wrong  # does not fit: a new array
        assert ar.colsum(X).dtype == X.dtype


def test_native_batch_norm_sums_by_blas_and_regroups(rng):
    """A native batch norm takes its sums with ``ones @ X`` and regroups its backward pass: the
    same outputs and gradients as the portable one up to rounding."""
    X, dY = rng.normal(size=(128, 16)) * 3 + 1, rng.normal(size=(128, 16))
    bns = BatchNorm(16), BatchNorm(16, arithmetic=NATIVE)
    for bn in bns:
        bn.params["gamma"][...] = np.linspace(0.5, 2, 16)
    Y = [bn.forward(X) for bn in bns]
    dX = [bn.backward(dY) for bn in bns]
    np.testing.assert_allclose(Y[1], Y[0], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(dX[1], dX[0], rtol=1e-9, atol=1e-12)
    for k in ("gamma", "beta"):
        np.testing.assert_allclose(bns[1].grads[k], bns[0].grads[k], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(bns[1].running_mean, bns[0].running_mean, rtol=1e-12, atol=1e-15)


def test_native_activations_are_numpys(rng):
    Z = rng.normal(size=(64, 8)) * 3
    np.testing.assert_array_equal(Activation("tanh", arithmetic=NATIVE).forward(Z), np.tanh(Z))
    np.testing.assert_allclose(Activation("sigmoid", arithmetic=NATIVE).forward(Z),
                               1 / (1 + np.exp(-Z)), rtol=1e-15)
    for name in ("tanh", "sigmoid", "gelu"):
        np.testing.assert_allclose(Activation(name, arithmetic=NATIVE).forward(Z),
                                   Activation(name).forward(Z), rtol=1e-14, atol=1e-15,
                                   err_msg=name)


@pytest.mark.parametrize("dtype, tol", [("float64", 1e-9), ("float32", 1e-4)])
@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_native_first_step_agrees_with_portable(rng, case, dtype, tol):
    """The same network, the same batch: one step's loss and gradients agree to ``tol``
    (relative; for a gradient that is zero but for rounding, such as a bias before batch norm,
    relative to the net's largest gradient). Long chaotic runs may part ways: not asserted."""
    X, y = rng.normal(size=(64, 2)), rng.integers(0, 2, size=64)
    loss_p, grads_p = first_step({**case, "dtype": dtype}, X, y)
    loss_n, grads_n = first_step({**case, "dtype": dtype, "arithmetic": "native"}, X, y)
    assert abs(loss_n - loss_p) <= tol * abs(loss_p), (loss_p, loss_n)
    scale = max(float(np.abs(g).max()) for g in grads_p.values())
    for k in grads_p:
        assert grads_n[k].dtype == np.dtype(dtype), k
        ok, err = close(grads_n[k], grads_p[k], tol, atol=tol * scale)
        assert ok, f"d{k}: relative difference {err:.1e}"


def test_native_first_step_agrees_through_56_plain_layers(rng):
    """The deepest plain net amplifies the last-bit differences, still far below 1e-9."""
    X, y = rng.normal(size=(128, 2)), rng.integers(0, 2, size=128)
    case = {"kind": "plain", "depth": 56}
    loss_p, grads_p = first_step(case, X, y)
    loss_n, grads_n = first_step({**case, "arithmetic": "native"}, X, y)
    assert abs(loss_n - loss_p) <= 1e-9 * abs(loss_p), (loss_p, loss_n)
    scale = max(float(np.abs(g).max()) for g in grads_p.values())
    for k in grads_p:
        ok, err = close(grads_n[k], grads_p[k], 1e-9, atol=1e-9 * scale)
        assert ok, f"d{k}: relative difference {err:.1e}"


def test_native_short_run_of_a_shallow_net_tracks_portable():
    base = dict(n=200, epochs=3, depth=4, width=16, batch_size=32, kind="plain")
    portable_run = api.train(base)["history"]
    native_run = api.train({**base, "arithmetic": "native"})["history"]
    for p, q in zip(portable_run, native_run, strict=True):
        assert q["train_loss"] == pytest.approx(p["train_loss"], rel=1e-9), p["epoch"]
        assert q["train_acc"] == p["train_acc"], p["epoch"]


@pytest.mark.parametrize("norm", [True, False], ids=["bn", "nobn"])
@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_native_network_gradients(rng, case, norm):
    """Central differences of the native net's own loss against its backward pass."""
    net = Network(NetConfig(width=6, d_in=3, n_classes=4, norm=norm, arithmetic="native",
                            **{"activation": "tanh", **case}))
    for v in net.params.values():
        v += 0.1 * rng.normal(size=v.shape)
    X, y = rng.normal(size=(8, 3)), rng.integers(0, 4, size=8)

    def f():
        return _loss("cross_entropy", net.forward(X), y, NATIVE)[0]

    _, dZ = _loss("cross_entropy", net.forward(X), y, NATIVE)
    dX = net.backward(dZ)
    grads = {k: v.copy() for k, v in net.grads.items()}
    ok, err = close(dX, numerical_grad(f, X))
    assert ok, f"dX relative error {err:.2e}"
    for k, p in net.params.items():
        ok, err = close(grads[k], numerical_grad(f, p))
        assert ok, f"d{k} relative error {err:.2e}"


def test_the_choice_is_per_network(rng):
    """A native net and a portable net in one process: each computes as its own config says,
    and the portable one gives exactly the bits it gives alone."""
    X, y = rng.normal(size=(64, 2)), rng.integers(0, 2, size=64)
    alone = first_step({"kind": "plain", "depth": 8, "activation": "tanh"}, X, y)
    p = Network(NetConfig(kind="plain", depth=8, activation="tanh"))
    n = Network(NetConfig(kind="plain", depth=8, activation="tanh", arithmetic="native"))
    out = {}
    for name, net in (("native", n), ("portable", p), ("native again", n)):
        loss, dZ = _loss("cross_entropy", net.forward(X, train=True), y, net.arithmetic)
        net.backward(dZ, input_grad=False)
        out[name] = loss, {k: v.copy() for k, v in net.grads.items()}
    assert out["portable"][0] == alone[0]
    for k in alone[1]:
        np.testing.assert_array_equal(out["portable"][1][k], alone[1][k], err_msg=k)
    assert p.arithmetic is PORTABLE and n.arithmetic is NATIVE
    assert all(layer.arithmetic is PORTABLE for layer in layers_of(p) if hasattr(layer, "arithmetic"))
    # native differs from portable somewhere in the last bits (that is what it is for) ...
    assert any(not np.array_equal(out["native"][1][k], alone[1][k]) for k in alone[1])
    # ... and is itself deterministic in one process
    for k in alone[1]:
        np.testing.assert_array_equal(out["native again"][1][k], out["native"][1][k], err_msg=k)


@pytest.mark.parametrize("bad", ["blas", "Native", "", 1, None, True])
def test_bad_arithmetic_is_rejected_naming_the_field(bad):
    with pytest.raises(ValueError) as err:
        api.train({"arithmetic": bad, "epochs": 1})
    msg = str(err.value)
    assert msg.startswith("arithmetic: "), msg
    assert repr(bad) in msg and "portable, native" in msg, msg
    with pytest.raises(ValueError, match="^arithmetic: ") as err:
        Network(NetConfig(arithmetic=bad))
    assert "portable, native" in str(err.value)
    with pytest.raises(ValueError, match="^arithmetic: "):
        arithmetic.get(bad)


def test_api_field_and_tasks():
    assert api.FIELDS["arithmetic"] == ("choice", ("portable", "native"))
    assert "browser" in api.NOTES["arithmetic"]  # the note says it is not for the site
    with_dtype = {t for t, (_, d) in api.TASKS.items() if "dtype" in d}
    with_arithmetic = {t for t, (_, d) in api.TASKS.items() if "arithmetic" in d}
    assert with_arithmetic == with_dtype and "train" in with_arithmetic
    res = api.train({"n": 100, "width": 8, "depth": 6, "epochs": 2, "batch_size": 25,
                     "arithmetic": "native", "activation": "tanh"})
    assert res["config"]["arithmetic"] == "native" and res["status"] == "done"
    json.dumps(res, allow_nan=False)
    res = api.run("gradflow", {"n": 100, "width": 8, "depth": 6, "epochs": 1,
                               "arithmetic": "native"})
    json.dumps(res, allow_nan=False)


def test_cli_flag(capsys):
    assert main(["train", "--arithmetic", "native", "--n", "100", "--width", "8", "--depth", "4",
                 "--epochs", "1", "--json"]) == 0
    res = json.loads(capsys.readouterr().out)
    assert res["config"]["arithmetic"] == "native"
    assert main(["train", "--arithmetic", "blas"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("simcore: error: --arithmetic: 'blas'") and "portable, native" in err
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    assert "--arithmetic" in capsys.readouterr().out


def test_widgets_do_not_offer_it():
    """The site computes portably: no widget puts ``arithmetic`` among its controls."""
    from pathlib import Path
    widgets = Path(__file__).resolve().parents[1] / "docs" / "javascripts" / "sim"
    for js in widgets.rglob("*.js"):
        assert '"arithmetic"' not in js.read_text() and "'arithmetic'" not in js.read_text(), js
