import math

import numpy as np
import pytest

from simcore.layers import Dense
from simcore.losses import softmax_cross_entropy
from simcore.nets import NetConfig, Network
from simcore.optim import OPTIMIZERS, Adam, SGD, learning_rate, learning_rates, make_optimizer


def quad_model(w0):
    """A one-leaf 'model' whose loss is 0.5·|W|², so grad = W."""
    layer = Dense(1, len(w0), np.random.default_rng(0))
    layer.params["W"][...] = np.array([w0], dtype=float)
    return layer


def set_grad(m):
    m.grads["W"] = m.params["W"].copy()
    m.grads["b"] = np.zeros_like(m.params["b"])


def test_sgd_momentum_nesterov_match_hand_computation():
    for nesterov in (False, True):
        m = quad_model([1.0])
        opt = SGD(lr=0.1, momentum=0.9, nesterov=nesterov)
        w, v = 1.0, 0.0
        for _ in range(5):
            set_grad(m)
            opt.step(m)
            g = w
            v = 0.9 * v + g
            w -= 0.1 * (g + 0.9 * v if nesterov else v)
        np.testing.assert_allclose(m.params["W"][0, 0], w, rtol=1e-14)


def test_adam_first_step_is_lr_times_sign():
    m = quad_model([3.0, -0.002])
    set_grad(m)
    Adam(lr=0.01).step(m)
    np.testing.assert_allclose(m.params["W"][0], [3.0 - 0.01, -0.002 + 0.01], rtol=1e-5)


def test_weight_decay_only_on_weights():
    m = quad_model([2.0])
    m.params["b"][...] = 5.0
    m.grads["W"] = np.zeros_like(m.params["W"])
    m.grads["b"] = np.zeros_like(m.params["b"])
    SGD(lr=0.1, weight_decay=0.5).step(m)
    np.testing.assert_allclose(m.params["W"], [[2.0 - 0.1 * 0.5 * 2.0]])
    np.testing.assert_allclose(m.params["b"], [5.0])


@pytest.mark.parametrize("name", ["sgd", "momentum", "nesterov", "adam"])
def test_every_optimizer_minimises_a_quadratic(name):
    m = quad_model([1.0, -2.0])
    opt = make_optimizer(name, 0.05)
    for _ in range(300):
        set_grad(m)
        opt.step(m)
    assert np.abs(m.params["W"]).max() < 0.05, name


def test_schedules():
    assert learning_rate(7, 10, 5, 0.1) == 0.1
    assert learning_rate(0, 10, 100, 0.1, "cosine") == 0.1
    np.testing.assert_allclose(learning_rate(500, 10, 100, 0.1, "cosine"), 0.05)
    assert learning_rate(999, 10, 100, 0.1, "cosine") < 1e-5
    assert learning_rate(29 * 10, 10, 100, 0.1, "step", step_size=30) == 0.1
    np.testing.assert_allclose(learning_rate(30 * 10, 10, 100, 0.1, "step", step_size=30), 0.01)
    # warm-up over 2 epochs of 10 steps: linear up to lr, then cosine from lr
    np.testing.assert_allclose([learning_rate(s, 10, 100, 0.1, "cosine", warmup=2) for s in (0, 9, 19, 20)],
                               [0.005, 0.05, 0.1, 0.1])
    with pytest.raises(ValueError, match="schedule: 'linear'"):
        learning_rate(0, 1, 1, 0.1, "linear")
    with pytest.raises(ValueError, match="optimizer: 'rmsprop'"):
        make_optimizer("rmsprop", 0.1)
    assert math.isclose(learning_rate(0, 10, 100, 0.1, "cosine", warmup=0), 0.1)



@pytest.mark.parametrize("schedule", ["constant", "step", "cosine"])
@pytest.mark.parametrize("warmup", [0.0, 0.5, 2.0, 2.35])
def test_learning_rates_are_learning_rate_bit_for_bit(schedule, warmup):
    """An epoch's rates at once (training's way) are the numbers of one call per step."""
    for spe, epochs in ((13, 100), (10, 5), (1, 3), (7, 40)):
        for first in range(0, spe * epochs, spe):
            got = learning_rates(first, spe, spe, epochs, 0.05, schedule, warmup, 2, 0.5)
            want = [learning_rate(s, spe, epochs, 0.05, schedule, warmup, 2, 0.5)
                    for s in range(first, first + spe)]
            assert [x.hex() for x in got] == [x.hex() for x in want]
    with pytest.raises(ValueError, match="schedule: 'linear'"):
        learning_rates(0, 3, 3, 1, 0.1, "linear")

def _grads(net, X, y):
    net.backward(softmax_cross_entropy(net.forward(X, True), y)[1])


@pytest.mark.parametrize("name", OPTIMIZERS)
@pytest.mark.parametrize("weight_decay", [0.0, 1e-2])
def test_flat_step_equals_the_array_by_array_rule_bit_for_bit(rng, name, weight_decay):
    """step() runs the rule once over all parameters laid out flat; update() array by array."""
    cfg = NetConfig(kind="residual", depth=6, width=8, seed=1)
    flat, ref = Network(cfg), Network(cfg)
    X, y = rng.normal(size=(16, 2)), rng.integers(0, 2, size=16)
    a = make_optimizer(name, 0.05, 0.9, weight_decay)
    b = make_optimizer(name, 0.05, 0.9, weight_decay)
    for _ in range(4):
        _grads(flat, X, y)
        _grads(ref, X, y)
        a.step(flat)
        if name == "adam":
            b.t, b.beta1_t, b.beta2_t = b.t + 1, b.beta1_t * b.beta1, b.beta2_t * b.beta2
        for key, w, g in b._pairs(ref):
            w -= b.update(key, g)
    for k, w in ref.params.items():
        np.testing.assert_array_equal(flat.params[k], w, err_msg=k)
    views = [v for leaf in flat.leaves() for v in leaf.params.values()]
    assert len({id(v.base) for v in views}) == 1, "parameters are views of one array"


def test_replaced_parameters_are_laid_out_again_keeping_the_velocity(rng):
    X, y = rng.normal(size=(16, 2)), rng.integers(0, 2, size=16)
    cfg = NetConfig(kind="plain", depth=4, width=8)
    a, b = Network(cfg), Network(cfg)
    oa, ob = SGD(0.05, 0.9), SGD(0.05, 0.9)
    for _ in range(2):
        for net, opt in ((a, oa), (b, ob)):
            _grads(net, X, y)
            opt.step(net)
    leaf = a.weight_layers()[1]
    leaf.params["W"] = leaf.params["W"].copy()  # replaced: no longer a view of the flat array
    for net, opt in ((a, oa), (b, ob)):
        _grads(net, X, y)
        opt.step(net)
    for k in a.params:
        np.testing.assert_array_equal(a.params[k], b.params[k], err_msg=k)
    a.cast(np.float32)  # every array replaced, in single precision
    _grads(a, X, y)
    oa.step(a)
    assert all(v.dtype == np.float32 for v in a.params.values())
    assert all(v.dtype == np.float32 for v in oa._slots.values())


def test_mixed_dtypes_are_updated_array_by_array():
    m = quad_model([1.0, 2.0])
    m.params["b"] = m.params["b"].astype(np.float32)
    set_grad(m)
    SGD(lr=0.5, momentum=0.9).step(m)
    np.testing.assert_allclose(m.params["W"], [[0.5, 1.0]])
    assert m.params["b"].dtype == np.float32


def test_reset_state_forgets_the_velocity():
    m = quad_model([1.0])
    opt = SGD(lr=0.1, momentum=0.9)
    set_grad(m)
    opt.step(m)
    opt.reset_state()
    m.params["W"][...] = 1.0
    set_grad(m)
    opt.step(m)
    np.testing.assert_allclose(m.params["W"], [[0.9]])
