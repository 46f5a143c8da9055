import numpy as np
import pytest

from simcore.init import SCHEMES, initialize


@pytest.mark.parametrize("scheme,var", [
    ("he_normal", 2 / 400), ("he_uniform", 2 / 400),
    ("xavier_normal", 2 / 600), ("xavier_uniform", 2 / 600),
])
def test_variance(scheme, var):
    W = initialize(scheme, (400, 200), np.random.default_rng(1))
    assert W.shape == (400, 200) and W.dtype == np.float64
    assert abs(W.var() / var - 1) < 0.03, f"{scheme}: Var[W]={W.var():.3g}, expected {var:.3g}"
    assert abs(W.mean()) < 0.01


@pytest.mark.parametrize("shape", [(8, 8), (12, 5), (5, 12)])
def test_orthogonal(shape):
    W = initialize("orthogonal", shape, np.random.default_rng(2), gain=2.0)
    small = min(shape)
    G = W.T @ W if shape[0] >= shape[1] else W @ W.T
    np.testing.assert_allclose(G, 4.0 * np.eye(small), atol=1e-12, err_msg="W is not orthogonal")


def test_zeros_and_determinism():
    assert not initialize("zeros", (3, 3), np.random.default_rng(0)).any()
    a = initialize("he_normal", (5, 5), np.random.default_rng(7))
    b = initialize("he_normal", (5, 5), np.random.default_rng(7))
    np.testing.assert_array_equal(a, b)
    assert set(SCHEMES) >= {"he_normal", "xavier_uniform", "orthogonal", "zeros"}


def test_unknown_scheme():
    with pytest.raises(ValueError, match="init: 'lecun'"):
        initialize("lecun", (2, 2), np.random.default_rng(0))
