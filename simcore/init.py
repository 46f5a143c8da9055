"""Weight initialisation schemes for a weight ``W`` of shape ``(fan_in, fan_out)``.

* He / Kaiming (He et al., 2015): ``Var[W] = 2 / fan_in`` keeps the signal variance
  constant through ReLU layers. Normal: ``std = sqrt(2 / fan_in)``; uniform:
  ``limit = sqrt(6 / fan_in)``.
* Xavier / Glorot (Glorot & Bengio, 2010): ``Var[W] = 2 / (fan_in + fan_out)``, made for
  symmetric activations such as tanh. Normal: ``std = sqrt(2 / (fan_in + fan_out))``;
  uniform: ``limit = sqrt(6 / (fan_in + fan_out))``.
* Orthogonal (Saxe et al., 2014): ``W`` has orthonormal rows or columns, scaled by ``gain``.
* Zeros: used for the last layer of a residual branch, so a fresh residual block is the
  identity (Goyal et al., 2017; "zero-init residual").

``gain`` multiplies the standard deviation (or limit, or orthogonal matrix); ``None``
keeps each scheme's own default (1 for all of them; He's factor 2 is built in).
"""

from __future__ import annotations

import numpy as np
from .messages import FieldError

SCHEMES = ("he_normal", "he_uniform", "xavier_normal", "xavier_uniform", "orthogonal", "zeros")


# --8<-- [start:he-xavier]
def he_normal(shape: tuple[int, int], rng: np.random.Generator, gain: float = 1.0) -> np.ndarray:
    fan_in = shape[0]
    return rng.normal(0.0, gain * np.sqrt(2.0 / fan_in), size=shape)


def he_uniform(shape: tuple[int, int], rng: np.random.Generator, gain: float = 1.0) -> np.ndarray:
    limit = gain * np.sqrt(6.0 / shape[0])
    return rng.uniform(-limit, limit, size=shape)


def xavier_normal(shape: tuple[int, int], rng: np.random.Generator, gain: float = 1.0) -> np.ndarray:
    return rng.normal(0.0, gain * np.sqrt(2.0 / (shape[0] + shape[1])), size=shape)
# --8<-- [end:he-xavier]


def xavier_uniform(shape: tuple[int, int], rng: np.random.Generator, gain: float = 1.0) -> np.ndarray:
    limit = gain * np.sqrt(6.0 / (shape[0] + shape[1]))
    return rng.uniform(-limit, limit, size=shape)


def orthogonal(shape: tuple[int, int], rng: np.random.Generator, gain: float = 1.0) -> np.ndarray:
    """A (semi-)orthogonal matrix: ``W.T @ W = I`` if ``fan_in >= fan_out``, else ``W @ W.T = I``."""
    rows, cols = shape
    A = rng.normal(size=(max(rows, cols), min(rows, cols)))
    Q, R = np.linalg.qr(A)
    Q = Q * np.sign(np.diag(R))  # make the decomposition unique (Mezzadri, 2007)
    if rows < cols:
        Q = Q.T
    return gain * Q


def zeros(shape: tuple[int, int], rng: np.random.Generator, gain: float = 1.0) -> np.ndarray:
    return np.zeros(shape)


_BY_NAME = {f.__name__: f for f in (he_normal, he_uniform, xavier_normal, xavier_uniform,
                                     orthogonal, zeros)}


def initialize(scheme: str, shape: tuple[int, int], rng: np.random.Generator,
               gain: float | None = None) -> np.ndarray:
    """Return a float64 array of ``shape`` drawn with ``scheme`` from ``rng``."""
    if scheme not in _BY_NAME:
        raise FieldError("init", f"init: {scheme!r} is not one of {', '.join(SCHEMES)}")
    return _BY_NAME[scheme](tuple(int(s) for s in shape), rng, 1.0 if gain is None else float(gain))
