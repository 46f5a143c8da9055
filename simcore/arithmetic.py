"""How a network computes: portable arithmetic (the default) or NumPy's native operations.

A network does its matrix products and its ``exp``/``log``/``tanh``/``sigmoid`` through one
:class:`Arithmetic`, chosen by the config field ``arithmetic`` and held by every layer that
needs it (set when the network is built; nothing global):

* ``"portable"`` (:data:`PORTABLE`, the default): the functions of :mod:`simcore.portable`,
  summed and rounded in one fixed order, so the same config gives the same numbers bit for bit
  natively and in the browser. The site's simulations always use it.
* ``"native"`` (:data:`NATIVE`): NumPy's own ``@`` (BLAS natively: blocked, vectorised,
  multi-threaded if the BLAS is) and ``np.exp``/``np.log``/``np.tanh``. Faster, but the last
  bits of a product depend on the machine and its BLAS, and a long chaotic run (a deep plain
  net) can end somewhere else than the portable run. For notebooks that want speed.

Data sets, initial weights and learning-rate schedules do not depend on it: both modes train on
the same data from the same weights.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from . import portable


@dataclass(frozen=True)
class Arithmetic:
    """The operations a network computes with; ``name`` is the config value."""

    name: str
    matmul: Callable  # matmul(A, B, out=None) -> A @ B, into ``out`` when it fits
    exp: Callable
    log: Callable
    tanh: Callable
    sigmoid: Callable

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


def _native_sigmoid(z: np.ndarray) -> np.ndarray:
    """``1 / (1 + e^{−z})`` as :func:`portable.sigmoid` computes it, with ``np.exp``."""
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


PORTABLE = Arithmetic("portable", portable.matmul, portable.exp, portable.log, portable.tanh,
                      portable.sigmoid)
NATIVE = Arithmetic("native", _native_matmul, np.exp, np.log, np.tanh, _native_sigmoid)
ARITHMETICS = {a.name: a for a in (PORTABLE, NATIVE)}


def get(name: str) -> Arithmetic:
    """The :class:`Arithmetic` called ``name``; ``ValueError`` naming the field otherwise."""
    if not isinstance(name, str) or name not in ARITHMETICS:
        raise ValueError(f"arithmetic: {name!r} is not one of {', '.join(ARITHMETICS)}")
    return ARITHMETICS[name]
