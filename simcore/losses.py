"""Losses: each returns ``(value, dY)``, the mean loss over the batch and its gradient.

* Softmax cross-entropy, for logits ``Z`` of shape ``(n, k)`` and integer labels ``y`` (n,):
  ``L = -(1/n) Σ_i log softmax(Z_i)[y_i]``, ``dZ = (softmax(Z) - onehot(y)) / n``.
* Mean squared error, for ``Y`` and targets ``T`` of shape ``(n, d)``:
  ``L = (1/(n d)) Σ (Y - T)^2``, ``dY = 2 (Y - T) / (n d)`` (PyTorch's ``MSELoss``).

``exp`` and ``log`` are those of ``arithmetic`` (portable by default; a network's own is
``net.arithmetic``, see :mod:`simcore.arithmetic`).
"""

from __future__ import annotations

import numpy as np

from .arithmetic import PORTABLE, Arithmetic


def log_softmax(Z: np.ndarray, arithmetic: Arithmetic = PORTABLE) -> np.ndarray:
    """Row-wise ``log softmax``, shifted by the row maximum so it never overflows."""
    # np.maximum.reduce / np.add.reduce are what Z.max / .sum call, without their wrappers
    S = Z - np.maximum.reduce(Z, axis=1, keepdims=True)
    return S - arithmetic.log(np.add.reduce(arithmetic.exp(S), axis=1, keepdims=True))


def softmax(Z: np.ndarray, arithmetic: Arithmetic = PORTABLE) -> np.ndarray:
    return arithmetic.exp(log_softmax(Z, arithmetic))


def softmax_cross_entropy(Z: np.ndarray, y: np.ndarray,
                          arithmetic: Arithmetic = PORTABLE) -> tuple[float, np.ndarray]:
    """Mean softmax cross-entropy of logits ``Z`` (n, k) against labels ``y`` (n,)."""
    n = Z.shape[0]
    logp = log_softmax(Z, arithmetic)
    rows = np.arange(n)
    loss = -float(logp[rows, y].mean())
    dZ = arithmetic.exp(logp)
    dZ[rows, y] -= 1.0
    return loss, np.divide(dZ, n, out=dZ)  # dZ / n, in place: dZ is a fresh array


def mse(Y: np.ndarray, T: np.ndarray,
        arithmetic: Arithmetic = PORTABLE) -> tuple[float, np.ndarray]:
    """Mean squared error over every element of ``Y`` and ``T`` (both (n, d)); ``arithmetic``
    is accepted for a common signature (only ``+ − ×`` here, the same in every arithmetic)."""
    D = Y - T
    return float(np.mean(D * D)), 2.0 * D / D.size


LOSSES = {"cross_entropy": softmax_cross_entropy, "mse": mse}
