"""Gradient propagation through a network: per-layer norms, the residual decomposition and
the input–output Jacobian.

Every function here is a pure function of a network and data: it works on a private deep copy,
so the caller's network (its weights, gradients and BN running statistics) is never changed.

Notation: ``x_0`` is the output of the stem, ``x_l`` the input of block ``l`` (``l = 0..L-1``)
and ``x_L`` the output of the last block, the input of the head. For a pre-activation residual
stack ``x_L = x_l + Σ_{i≥l} F_i(x_i)``, so (He et al., 2016b)

    ∂L/∂x_l = ∂L/∂x_L · (I + ∂/∂x_l Σ_{i≥l} F_i)
            = ∂L/∂x_L  (the highway term: reaches every block unchanged)
            + ∂L/∂x_L · ∂/∂x_l Σ F_i  (the residual term)

:func:`decomposition` reports both terms per block, measured separately.
"""

from __future__ import annotations

import copy

import numpy as np

from ..losses import softmax_cross_entropy
from ..nets import Network


def _norm(a: np.ndarray) -> float:
    return float(np.linalg.norm(a))


def stream(net: Network, X: np.ndarray, y: np.ndarray, train: bool = True) -> dict:
    """Forward and backward through a copy of ``net``, recording every block boundary.

    Returns plain lists of floats, input to output:

    * ``signal``: RMS of ``x_l`` per block boundary (``L + 1`` values: ``x_0 .. x_L``);
    * ``grad_x``: Frobenius norm of ``∂L/∂x_l`` per boundary (``L + 1`` values);
    * ``grad_w``: Frobenius norm of ``∂L/∂W`` per weight layer counted in depth;
    * ``loss``: the mean cross-entropy.

    ``train`` selects batch statistics (True, the optimiser's view) or running statistics.
    """
    net = copy.deepcopy(net)
    h = net.stem.forward(X, train)
    xs = [h]
    for block in net.blocks:
        h = block.forward(h, train)
        xs.append(h)
    loss, dZ = softmax_cross_entropy(net.head.forward(h, train), y)
    g = net.head.backward(dZ)
    gs = [g]
    for block in reversed(net.blocks):
        g = block.backward(g)
        gs.append(g)
    net.stem.backward(g)
    gs.reverse()
    return {
        "signal": [float(np.sqrt(np.mean(x * x))) for x in xs],
        "grad_x": [_norm(g) for g in gs],
        "grad_w": [_norm(w.grads["W"]) for w in net.weight_layers()],
        "loss": float(loss),
    }


def decomposition(net: Network, X: np.ndarray, y: np.ndarray, train: bool = True) -> dict:
    """Split ``∂L/∂x_l`` into the highway term ``∂L/∂x_L`` and the residual term.

    Exact for pre-activation residual stacks with identity shortcuts, where
    ``∂L/∂x_l = ∂L/∂x_L + residual_l``. Returns per block ``l``: ``total``, ``highway`` and
    ``residual`` norms and ``cosine`` (between the highway and the total gradient); for other
    networks ``exact`` is ``False`` and the split is only the difference ``total − highway``.
    """
    net = copy.deepcopy(net)
    cfg = net.config
    exact = cfg.kind == "residual" and cfg.layout == "pre" and all(
        getattr(b, "shortcut", 1) is None for b in net.blocks)
    h = net.stem.forward(X, train)
    for block in net.blocks:
        h = block.forward(h, train)
    _, dZ = softmax_cross_entropy(net.head.forward(h, train), y)
    top = net.head.backward(dZ)  # ∂L/∂x_L
    g = top
    totals = []
    for block in reversed(net.blocks):
        g = block.backward(g)
        totals.append(g)
    totals.reverse()  # ∂L/∂x_l for l = 0..L-1
    res = [t - top for t in totals]
    cos = [float(np.sum(t * top) / max(_norm(t) * _norm(top), 1e-300)) for t in totals]
    return {
        "exact": bool(exact),
        "total": [_norm(t) for t in totals],
        "highway": [_norm(top)] * len(totals),
        "residual": [_norm(r) for r in res],
        "cosine": cos,
    }


def jacobian(net: Network, x: np.ndarray) -> np.ndarray:
    """The Jacobian ``∂x_L/∂x_0`` of the block stack at one input ``x`` (shape ``(d_in,)``),
    in evaluation mode (BN with running statistics acts on each example alone).

    Returns a ``(width, width)`` array ``J[i, j] = ∂x_L[i]/∂x_0[j]``, built from one backward
    pass per output unit (a batch of ``width`` copies of ``x``, seeded with the identity).
    """
    net = copy.deepcopy(net)
    h0 = net.stem.forward(x[None, :], train=False)
    w = h0.shape[1]
    h = np.repeat(h0, w, axis=0)
    for block in net.blocks:
        h = block.forward(h, train=False)
    g = np.eye(w)
    for block in reversed(net.blocks):
        g = block.backward(g)
    return g  # row i = ∂x_L[i]/∂x_0


def jacobian_singular_values(net: Network, X: np.ndarray, samples: int = 8) -> list[list[float]]:
    """Singular values (descending) of the stack's input–output Jacobian at the first
    ``samples`` rows of ``X``: a well-conditioned net has them near 1 (dynamical isometry)."""
    return [np.linalg.svd(jacobian(net, x), compute_uv=False).tolist() for x in X[:samples]]
