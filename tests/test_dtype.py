"""The ``dtype`` field: float32 networks compute in float32 throughout; float64 is unchanged."""

import hashlib
import json

import numpy as np
import pytest

from simcore import api, portable
from simcore.layers import BatchNorm
from simcore.nets import NetConfig, Network
from simcore.optim import make_optimizer
from simcore.train import TrainConfig, _loss, train, train_network

F32 = np.float32
SMALL = dict(n=200, epochs=3, depth=6, width=16, batch_size=32)
KINDS = {  # kind -> extra config (each kind's own nonlinearities and layouts)
    "plain": {},
    "residual": {"layout": "pre", "activation": "gelu", "optimizer": "adam", "lr": 0.01},
    "highway": {"depth": 5, "activation": "tanh"},  # highway gates use the sigmoid
    "dense": {"loss": "mse", "optimizer": "nesterov", "weight_decay": 1e-3},
}


def strip_time(records):
    return [{k: v for k, v in r.items() if k != "elapsed"} for r in records]


def assert_all_float32(net: Network, where: str) -> None:
    for k, v in net.params.items():
        assert v.dtype == F32, f"{where}: param {k} is {v.dtype}"
    for k, v in net.grads.items():
        assert v.dtype == F32, f"{where}: grad {k} is {v.dtype}"
    for leaf in net.leaves():
        for k, v in leaf.state().items():
            assert v.dtype == F32, f"{where}: {type(leaf).__name__}.{k} is {v.dtype}"


def spy_dtypes(net: Network) -> list[tuple[str, np.dtype]]:
    """Wrap forward/backward of every leaf, block, stem and head: record every array in and out."""
    seen: list[tuple[str, np.dtype]] = []
    parts = list(net.leaves()) + list(net.blocks) + [net.stem, net.head]

    def wrap(obj, name):
        orig = getattr(obj, name)

        def spied(A, *args, **kw):
            out = orig(A, *args, **kw)
            label = f"{type(obj).__name__}.{name}"
            seen.extend([(label + " in", A.dtype), (label + " out", out.dtype)])
            return out

        setattr(obj, name, spied)

    for p in parts:
        wrap(p, "forward")
        wrap(p, "backward")
    return seen


@pytest.mark.parametrize("kind", list(KINDS))
def test_float32_trains_end_to_end_in_float32(kind):
    cfg = TrainConfig(**{**SMALL, "kind": kind, **KINDS[kind], "dtype": "float32", "grid": 6})
    runs = list(train_network(cfg))
    records = [r for r, _, _ in runs]
    _, net, ds = runs[-1]
    assert records[-1]["status"] == "done"
    assert net.dtype == F32 and ds["X_train"].dtype == F32 and ds["X_test"].dtype == F32
    assert_all_float32(net, "after training")
    assert any(isinstance(leaf, BatchNorm) for leaf in net.leaves())
    # records are plain Python numbers
    text = json.dumps(records, allow_nan=False)
    assert json.loads(text) == records
    assert all(type(r["train_loss"]) is float for r in records)

    # one more training step, every array that flows through the net spied on
    seen = spy_dtypes(net)
    X, y = ds["X_train"][:32], ds["y_train"][:32]
    Z = net.forward(X, train=True)
    loss, dZ = _loss(cfg.loss, Z, y)
    assert Z.dtype == F32 and dZ.dtype == F32 and type(loss) is float
    dX = net.backward(dZ)
    assert dX.dtype == F32
    opt = make_optimizer(cfg.optimizer, cfg.lr, cfg.momentum, cfg.weight_decay)
    opt.step(net)
    opt.step(net)
    state = [v for st in opt.state.values() for v in st.values()] + list(opt._slots.values())
    assert state
    for v in state:
        assert v.dtype == F32, f"optimiser state is {v.dtype}"
    net.forward(X, train=False)  # evaluation mode: the running statistics
    net.calibrate_bn(ds["X_train"])
    assert seen and {d for _, d in seen} == {np.dtype(F32)}, sorted({s for s in seen if s[1] != F32})
    assert_all_float32(net, "after a step, evaluation and calibrate_bn")


def test_float32_net_starts_from_the_float64_weights_rounded():
    a = Network(NetConfig(kind="residual", depth=8, width=16, seed=5))
    b = Network(NetConfig(kind="residual", depth=8, width=16, seed=5, dtype="float32"))
    assert list(a.params) == list(b.params)
    for k in a.params:
        assert b.params[k].dtype == F32
        np.testing.assert_array_equal(b.params[k], a.params[k].astype(F32))


def test_float64_input_is_cast_to_the_net_dtype():
    net = Network(NetConfig(kind="plain", depth=4, width=8, dtype="float32"))
    Z = net.forward(np.random.default_rng(0).normal(size=(5, 2)), train=True)
    assert Z.dtype == F32


@pytest.mark.parametrize("kind", list(KINDS))
def test_float32_and_float64_losses_are_close_not_equal(kind):
    base = {**SMALL, "epochs": 5, "kind": kind, **KINDS[kind]}
    a = [r["train_loss"] for r in train(base)]
    b = [r["train_loss"] for r in train({**base, "dtype": "float32"})]
    assert a != b, "float32 gave the float64 numbers exactly: it did not compute in float32"
    # SGD runs agree to ~1e-6; Adam's g / sqrt(s) amplifies rounding more (~4e-3 here)
    np.testing.assert_allclose(b, a, rtol=1e-2 if base.get("optimizer") == "adam" else 1e-4)


# float64 results are bit-identical to those from before the dtype field and the speed-ups of
# layers, blocks, optim and portable.matmul. Recorded by running, on commit 7ded027 (simcore as it
# was then; NumPy 2.4.6), with the SMALL, DIGEST_CONFIGS and strip_time of this file:
#   api.train({**SMALL, "kind": "residual"})["final"]             -> FINAL_BEFORE (those keys)
#   h = hashlib.sha256(); for c in DIGEST_CONFIGS:
#       h.update(json.dumps(strip_time(api.train(c)["history"]), sort_keys=True).encode())
#   h.hexdigest()                                                  -> DIGEST_BEFORE
# (Pyodide 0.27.7's NumPy 2.0.2 gives the same digest for the current code.)
FINAL_BEFORE = {
    "train_loss": 0.5660672112544333, "test_loss": 0.5861245621906906,
    "batch_loss": 0.6071499846944539, "train_acc": 0.725,
    "grad_norms": [0.30390789113229577, 0.4010106102042218, 0.40634911846187605,
                   0.344609444223732, 0.3975624218377691, 0.6140271278638821],
}
DIGEST_CONFIGS = [
    {**SMALL, "kind": "plain"},
    {**SMALL, "kind": "residual"},
    {**SMALL, "kind": "highway", "depth": 5},
    {**SMALL, "kind": "dense"},
    {**SMALL, "kind": "residual", "layout": "pre", "activation": "gelu", "optimizer": "adam", "lr": 0.01},
    {**SMALL, "kind": "plain", "activation": "tanh", "loss": "mse", "optimizer": "nesterov",
     "weight_decay": 1e-3},
    {**SMALL, "kind": "residual", "bottleneck": True, "depth": 8, "norm": False, "zero_init": True,
     "activation": "leaky_relu", "grid": 8},
    {**SMALL, "kind": "residual", "activation": "sigmoid", "schedule": "step", "step_size": 1,
     "warmup": 1.0},
    {**SMALL, "kind": "dense", "dataset": "digits", "n": 300},
]
DIGEST_BEFORE = "3febedbdb1c5c6c2d5af5a6e7081c34d44d614b9f614ef2f1f856e1ec7fa34da"


def test_float64_results_are_bit_identical_to_before():
    final = api.train({**SMALL, "kind": "residual"})["final"]
    assert {k: final[k] for k in FINAL_BEFORE} == FINAL_BEFORE
    assert api.train({**SMALL, "kind": "residual", "dtype": "float64"})["final"]["grad_norms"] == \
        FINAL_BEFORE["grad_norms"]
    h = hashlib.sha256()
    for c in DIGEST_CONFIGS:
        h.update(json.dumps(strip_time(api.train(c)["history"]), sort_keys=True).encode())
    assert h.hexdigest() == DIGEST_BEFORE


def test_api_dtype_field():
    assert api.TRAIN_DEFAULTS["dtype"] == "float64"
    assert api.FIELDS["dtype"] == ("choice", ("float64", "float32"))
    for bad in ("float16", "int32", 32, None):
        with pytest.raises(ValueError) as err:
            api.train({"dtype": bad})
        assert str(err.value).startswith("dtype:"), str(err.value)
    with pytest.raises(ValueError, match="^dtype: 'float16'"):
        Network(NetConfig(dtype="float16"))


@pytest.mark.parametrize("task", [t for t, (_, d) in api.TASKS.items() if "dtype" in d])
def test_every_task_with_a_dtype_field_runs_in_float32(task):
    defaults = api.defaults(task)
    cfg = {k: v for k, v in dict(n=100, width=8, epochs=2, batch_size=25).items() if k in defaults}
    if "depth" in defaults:
        cfg["depth"] = 6
    if "depths" in defaults:
        cfg["depths"] = [4, 6]
    res = api.run(task, {**cfg, "dtype": "float32"})
    json.dumps(res, allow_nan=False)


def _ulps32(a: np.ndarray, ref64: np.ndarray) -> float:
    ref = ref64.astype(F32)
    return float((np.abs(a.astype(np.float64) - ref64)
                  / np.spacing(np.maximum(np.abs(ref), np.finfo(F32).tiny))).max())


def test_portable_functions_keep_float32(rng):
    x = np.concatenate([rng.uniform(-87, 88, 20000), rng.normal(size=5000), [0, 1, -1]]).astype(F32)
    x64 = x.astype(np.float64)
    assert portable.exp(x).dtype == F32 and _ulps32(portable.exp(x), np.exp(x64)) <= 2
    assert portable.expm1(x).dtype == F32 and _ulps32(portable.expm1(x), np.expm1(x64)) <= 3
    t = x / 10
    assert portable.tanh(t).dtype == F32 and _ulps32(portable.tanh(t), np.tanh(t.astype(float))) <= 4
    s = portable.sigmoid(x)
    assert s.dtype == F32 and _ulps32(s, 1 / (1 + np.exp(-x64))) <= 3
    pos = np.exp(rng.uniform(-85, 85, 20000)).astype(F32)
    assert portable.log(pos).dtype == F32 and _ulps32(portable.log(pos), np.log(pos.astype(float))) <= 3
    special = portable.log(np.array([0, -1, np.inf, np.nan], F32))
    assert special.dtype == F32 and special[0] == -np.inf and special[2] == np.inf
    assert np.isnan(special[[1, 3]]).all()
    big = portable.exp(np.array([100, -200, np.nan], F32))
    assert big.dtype == F32 and big[0] == np.inf and big[1] == 0 and np.isnan(big[2])
    for f in (portable.sin, portable.cos):
        assert f(x[:100]).dtype == F32
    A, B = rng.normal(size=(7, 5)).astype(F32), rng.normal(size=(5, 3)).astype(F32)
    assert portable.matmul(A, B).dtype == F32 and portable.matmul(A, B[:, :1]).dtype == F32
    # float64 and everything else (ints, lists) still computes in float64
    assert portable.exp([0, 1]).dtype == np.float64 and portable.log(np.arange(1, 4)).dtype == np.float64
