"""Central finite-difference gradient checking shared by the tests (float64)."""

from __future__ import annotations

import numpy as np


def numerical_grad(f, x: np.ndarray, h: float = 1e-6) -> np.ndarray:
    """Central differences of the scalar function ``f()`` w.r.t. the array ``x`` (in place)."""
    g = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"])
    for _ in it:
        i = it.multi_index
        old = x[i]
        x[i] = old + h
        fp = f()
        x[i] = old - h
        fm = f()
        x[i] = old
        g[i] = (fp - fm) / (2 * h)
    return g


def rel_error(a: np.ndarray, b: np.ndarray) -> float:
    """max |a - b| / max(|a| + |b|, tiny): scale-free, 0 when both vanish."""
    num = np.max(np.abs(a - b)) if a.size else 0.0
    den = max(np.max(np.abs(a)) + np.max(np.abs(b)) if a.size else 0.0, 1e-12)
    return float(num / den)


def close(a: np.ndarray, b: np.ndarray, tol: float = 1e-6, atol: float = 1e-8) -> tuple[bool, float]:
    """Relative error under ``tol``, or (for gradients that vanish, e.g. a bias before BN)
    an absolute difference under ``atol``, far above central-difference noise (~1e-10)."""
    err = rel_error(a, b)
    return err < tol or float(np.max(np.abs(a - b), initial=0.0)) < atol, err


def check_layer(layer, X: np.ndarray, rng: np.random.Generator, train: bool = True,
                tol: float = 1e-6) -> None:
    """Check ``dX`` and every ``grads[k]`` of ``layer`` against central differences.

    The scalar is ``sum(forward(X) * R)`` for a fixed random ``R`` so every output matters.
    """
    Y = layer.forward(X, train=train)
    R = rng.normal(size=Y.shape)

    def f():
        return float(np.sum(layer.forward(X, train=train) * R))

    layer.forward(X, train=train)
    dX = layer.backward(R)
    analytic = {k: v.copy() for k, v in layer.grads.items()}
    ok, err = close(dX, numerical_grad(f, X), tol)
    assert ok, f"dX relative error {err:.2e} >= {tol:g} for {layer!r}"
    assert analytic.keys() == layer.params.keys(), "grads and params must have the same keys"
    for k, p in layer.params.items():
        ok, err = close(analytic[k], numerical_grad(f, p), tol)
        assert ok, f"d{k} relative error {err:.2e} >= {tol:g} for {layer!r}"
