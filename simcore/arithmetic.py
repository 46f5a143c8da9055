"""How a network computes: portable arithmetic (the default) or NumPy's native operations.

A network does its matrix products, its column sums (batch norm's statistics and every
bias-like gradient) and its ``exp``/``log``/``tanh``/``sigmoid`` through one
:class:`Arithmetic`, chosen by the config field ``arithmetic`` and held by every layer that
needs it (set when the network is built; nothing global):

* ``"portable"`` (:data:`PORTABLE`, the default): the functions of :mod:`simcore.portable`,
  summed and rounded in one fixed order, so the same config gives the same numbers bit for bit
  natively and in the browser; column sums by ``np.add.reduce(X, axis=0)``, which adds the rows
  one after the other. The site's simulations always use it.
* ``"native"`` (:data:`NATIVE`): NumPy's own ``@`` (BLAS natively: blocked, vectorised,
  multi-threaded if the BLAS is), column sums as the product ``ones @ X`` (BLAS again: at a
  (128, 32) batch about five times faster than the reduction, in another order),
  ``np.exp``/``np.log``/``np.tanh``, and batch norm's backward pass regrouped into fewer passes
  over the batch (``regroup``; see :meth:`simcore.layers.BatchNorm.backward`). Faster, but the last
  bits of a product depend on the machine and its BLAS, and a long chaotic run (a deep plain
  net) can end somewhere else than the portable run. For notebooks that want speed.

Data sets, initial weights and learning-rate schedules do not depend on it: both modes train on
the same data from the same weights.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Callable

import numpy as np

from . import portable
from .messages import FieldError


@dataclass(frozen=True)
class Arithmetic:
    """The operations a network computes with; ``name`` is the config value."""

    name: str
    matmul: Callable  # matmul(A, B, out=None) -> A @ B, into ``out`` when it fits
    colsum: Callable  # colsum(X, out=None) -> X summed down axis 0, into ``out`` when it fits
    exp: Callable
    log: Callable
    tanh: Callable
    sigmoid: Callable
    regroup: bool = False  # may regroup an expression into an equal, cheaper one (other rounding)

    def __copy__(self) -> "Arithmetic":  # a record of functions: copies share it
        return self

    def __deepcopy__(self, memo) -> "Arithmetic":  # (copy.deepcopy of a network keeps it)
        return self


def _native_matmul(A: np.ndarray, B: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """``A @ B`` by NumPy (BLAS); into ``out`` under the same rule as :func:`portable.matmul`
    (a C-contiguous array of the result's shape and dtype), else a new array."""
    if out is not None and out.shape == (A.shape[0], B.shape[1]) and \
            out.dtype == A.dtype == B.dtype and out.flags.c_contiguous:
        return np.matmul(A, B, out=out)
    return np.matmul(A, B)


def _fits(out: np.ndarray | None, X: np.ndarray) -> bool:
    """``out`` can take the column sums of ``X``: C-contiguous, ``X``'s dtype, shape ``X.shape[1:]``."""
    return out is not None and out.dtype == X.dtype and out.shape == X.shape[1:] and \
        out.flags.c_contiguous


def _portable_colsum(X: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """``X.sum(axis=0)``: the rows added one after the other (NumPy's reduction down axis 0 of a
    C-contiguous array), the same bits on every machine; into ``out`` when it fits."""
    return np.add.reduce(X, axis=0, out=out if _fits(out, X) else None)


@functools.lru_cache(maxsize=64)
def _ones(n: int, dtype: np.dtype) -> np.ndarray:
    ones = np.ones(n, dtype=dtype)
    ones.flags.writeable = False
    return ones


def _native_colsum(X: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """``X.sum(axis=0)`` as the vector-matrix product ``ones @ X`` (BLAS); into ``out`` when it
    fits. Equal to the portable sum up to rounding, in a machine-dependent order."""
    return np.matmul(_ones(X.shape[0], X.dtype), X, out=out if _fits(out, X) else None)


def _native_sigmoid(z: np.ndarray) -> np.ndarray:
    """``1 / (1 + e^{−z})`` as :func:`portable.sigmoid` computes it, with ``np.exp``."""
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


PORTABLE = Arithmetic("portable", portable.matmul, _portable_colsum, portable.exp, portable.log,
                      portable.tanh, portable.sigmoid)
NATIVE = Arithmetic("native", _native_matmul, _native_colsum, np.exp, np.log, np.tanh,
                    _native_sigmoid, regroup=True)
ARITHMETICS = {a.name: a for a in (PORTABLE, NATIVE)}


def get(name: str) -> Arithmetic:
    """The :class:`Arithmetic` called ``name``; ``ValueError`` naming the field otherwise."""
    if not isinstance(name, str) or name not in ARITHMETICS:
        raise FieldError("arithmetic", f"arithmetic: {name!r} is not one of {', '.join(ARITHMETICS)}")
    return ARITHMETICS[name]
