import numpy as np

from gradcheck import numerical_grad, rel_error
from simcore.losses import mse, softmax, softmax_cross_entropy


def test_cross_entropy_value_and_gradient(rng):
    Z = rng.normal(size=(6, 4)) * 3
    y = rng.integers(0, 4, size=6)
    loss, dZ = softmax_cross_entropy(Z, y)
    P = np.exp(Z) / np.exp(Z).sum(1, keepdims=True)
    np.testing.assert_allclose(loss, -np.log(P[np.arange(6), y]).mean(), err_msg="CE value")
    num = numerical_grad(lambda: softmax_cross_entropy(Z, y)[0], Z)
    assert rel_error(dZ, num) < 1e-7


def test_cross_entropy_is_stable_for_huge_logits():
    Z = np.array([[1000.0, 0.0], [0.0, -1000.0]])
    loss, dZ = softmax_cross_entropy(Z, np.array([0, 1]))
    assert np.isfinite(loss) and np.isfinite(dZ).all()
    np.testing.assert_allclose(loss, 500.0)  # second row pays -log(e^-1000) = 1000, mean 500
    np.testing.assert_allclose(softmax(Z).sum(1), 1.0)


def test_mse_value_and_gradient(rng):
    Y, T = rng.normal(size=(5, 3)), rng.normal(size=(5, 3))
    loss, dY = mse(Y, T)
    np.testing.assert_allclose(loss, ((Y - T) ** 2).mean())
    assert rel_error(dY, numerical_grad(lambda: mse(Y, T)[0], Y)) < 1e-7
