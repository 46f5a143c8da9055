import math

import numpy as np
import pytest

from simcore.layers import Dense
from simcore.optim import Adam, SGD, learning_rate, make_optimizer


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
