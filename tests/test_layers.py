import numpy as np
import pytest

from gradcheck import check_layer
from simcore.layers import ACTIVATIONS, Activation, BatchNorm, Dense


def test_dense_shapes_and_formula(rng):
    layer = Dense(3, 5, rng)
    X = rng.normal(size=(4, 3))
    Z = layer.forward(X)
    assert Z.shape == (4, 5) and Z.dtype == np.float64
    np.testing.assert_allclose(Z, X @ layer.params["W"] + layer.params["b"], err_msg="Z = XW + b")


@pytest.mark.parametrize("bias", [True, False])
def test_dense_gradients(rng, bias):
    layer = Dense(4, 3, rng, bias=bias)
    layer.params["b" if bias else "W"] += 0.1
    check_layer(layer, rng.normal(size=(6, 4)), rng)


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_activation_gradients(rng, name):
    X = rng.normal(size=(5, 4))
    X[np.abs(X) < 1e-3] = 0.5  # keep finite differences away from relu's kink
    check_layer(Activation(name), X, rng)


def test_activation_values():
    z = np.array([[-2.0, 0.5]])
    np.testing.assert_allclose(Activation("relu").forward(z), [[0.0, 0.5]])
    np.testing.assert_allclose(Activation("leaky_relu").forward(z), [[-0.02, 0.5]])
    np.testing.assert_allclose(Activation("sigmoid").forward(np.array([[0.0, 800.0, -800.0]])),
                               [[0.5, 1.0, 0.0]])
    # gelu(z) ~ z * Phi(z): Phi(1) = 0.841345
    np.testing.assert_allclose(Activation("gelu").forward(np.array([[1.0]])), [[0.841345]], atol=2e-4)


def test_unknown_activation():
    with pytest.raises(ValueError, match="activation: 'swish'"):
        Activation("swish")


@pytest.mark.parametrize("train", [True, False])
def test_batchnorm_gradients(rng, train):
    bn = BatchNorm(4)
    bn.params["gamma"] = rng.normal(size=4)
    bn.params["beta"] = rng.normal(size=4)
    bn.running_mean = rng.normal(size=4)
    bn.running_var = rng.uniform(0.5, 2, size=4)
    check_layer(bn, rng.normal(size=(8, 4)) * 3 + 1, rng, train=train)


def test_batchnorm_modes(rng):
    bn = BatchNorm(3, momentum=0.5)
    X = rng.normal(2.0, 3.0, size=(200, 3))
    Y = bn.forward(X, train=True)
    np.testing.assert_allclose(Y.mean(0), 0, atol=1e-12, err_msg="train-mode output mean")
    np.testing.assert_allclose(Y.std(0), 1, atol=1e-5, err_msg="train-mode output std")
    np.testing.assert_allclose(bn.running_mean, 0.5 * X.mean(0), err_msg="running mean update")
    np.testing.assert_allclose(bn.running_var, 0.5 + 0.5 * X.var(0, ddof=1), err_msg="running var")
    before = bn.running_mean.copy()
    Ye = bn.forward(X, train=False)
    np.testing.assert_array_equal(bn.running_mean, before)
    np.testing.assert_allclose(Ye, (X - bn.running_mean) / np.sqrt(bn.running_var + bn.eps))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_relu_is_np_where_bit_for_bit(rng, dtype):
    """relu by bit mask equals np.where(Z > 0, Z, 0.0), NaN, infinities and -0.0 included."""
    special = [np.nan, -np.nan, np.inf, -np.inf, 0.0, -0.0, 1e-310, -1e-310]
    Z = np.concatenate([rng.normal(size=40), special]).astype(dtype).reshape(6, 8)
    dA = np.concatenate([special, rng.normal(size=40)]).astype(dtype).reshape(6, 8)
    act = Activation("relu")
    A = act.forward(Z)
    dZ = act.backward(dA)
    bits = np.uint64 if dtype == np.float64 else np.uint32
    assert A.dtype == dtype and dZ.dtype == dtype
    np.testing.assert_array_equal(A.view(bits), np.where(Z > 0, Z, 0.0).view(bits))
    np.testing.assert_array_equal(dZ.view(bits), np.where(Z > 0, dA, 0.0).view(bits))
    # a gradient of another dtype or layout still works (np.where's rule)
    dZ64 = act.backward(dA.astype(np.float64).T.copy().T)
    np.testing.assert_array_equal(dZ64, np.where(Z > 0, dA.astype(np.float64), 0.0))
