"""Arithmetic that gives the same bits on every platform: natively and in the browser.

Training a deep plain net is chaotic: a difference in the last bit of one product grows into
a different final accuracy. NumPy's ``A @ B`` goes through BLAS natively (summed in a
blocked, vectorised order that depends on the machine) but through a plain loop in Pyodide,
and ``np.exp``/``np.tanh`` come from different C maths libraries. So the few operations
simcore's training depends on, where platforms disagree, are written here from operations
IEEE 754 rounds exactly (``+ − × ÷``, ``rint``, ``ldexp``), in one fixed order. (``np.sqrt``,
element-wise arithmetic and NumPy's reductions already agree bit for bit; the browser tests
check all of it end to end.)

* :func:`matmul`: ``C[i, j] = (…(A[i,0] B[0,j] + A[i,1] B[1,j]) + …)``, the order of
  NumPy's own matmul loop when it has no BLAS (as in Pyodide).
* :func:`exp`: Cody–Waite range reduction ``x = k ln2 + r``, ``|r| ≤ ln2/2``; Taylor series
  of degree 13 for ``e^r`` (truncation below 5e-18 relative); ``e^x = 2^k e^r`` by ``ldexp``.
* :func:`expm1`: the Taylor series of ``e^z − 1`` for ``|z| < 0.7``, ``exp(z) − 1`` beyond.
* :func:`tanh`: ``sign(x) · m / (m + 2)`` with ``m = expm1(2|x|)``; :func:`sigmoid`.
* :func:`sin`, :func:`cos`: ``x = k π/2 + r`` with π/2 split in three parts (fdlibm's
  Cody–Waite constants, exact for ``|k| < 2^20``), ``|r| ≤ π/4``, Taylor series of degree
  21/20, the quadrant from ``k mod 4``. Meant for moderate arguments (``|x| < 10^5``).
* :func:`log`: ``x = m · 2^e`` by ``frexp`` with ``m`` in ``[√½, √2)``, then
  ``log m = 2 atanh(s)``, ``s = (m − 1)/(m + 1)``, by its odd series to degree 27.
* :func:`power_int`: ``x^k`` by repeated multiplication (``**`` on floats calls C's ``pow``).
Each is accurate to a few units in the last place.
"""

from __future__ import annotations

import math

import numpy as np

_LN2_HI = 6.93147180369123816490e-01  # ln 2 split so that k * _LN2_HI is exact (fdlibm)
_LN2_LO = 1.90821492927058770002e-10
_INV_LN2 = 1.44269504088896338700e00
_EXP_COEF = [1.0 / math.factorial(i) for i in range(14)]        # e^r, degree 13
_EXPM1_COEF = [1.0 / math.factorial(i) for i in range(1, 19)]   # (e^z - 1) / z, degree 17


_PIO2_1 = 1.57079632673412561417e00   # first 33 bits of pi/2
_PIO2_2 = 6.07710050630396597660e-11  # next 33 bits
_PIO2_3 = 2.02226624871116645580e-21  # the rest
_TWO_OVER_PI = 6.36619772367581382433e-01
_SIN_COEF = [(-1) ** i / math.factorial(2 * i + 1) for i in range(11)]  # x, x^3, ..., x^21
_COS_COEF = [(-1) ** i / math.factorial(2 * i) for i in range(11)]      # 1, x^2, ..., x^20


def matmul(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    """``A @ B`` for 2-D arrays, summed in the same order on every platform.

    ``np.einsum`` (without BLAS) accumulates ``C[i, :] += A[i, k] B[k, :]`` for k = 0, 1, …,
    the sequential order, about 4× faster than the broadcast form here; for a single output
    column it switches to a dot-product kernel with several partial sums, so that case sums
    the products row by row down axis 0 instead. ``tests/test_portable.py`` pins both to the sequential reference.
    """
    if B.shape[1] == 1:  # rows of products, then summed row by row down axis 0
        return np.ascontiguousarray((A * B[:, 0]).T).sum(axis=0)[:, None]
    # contiguous operands: einsum's loop order (and so the summation order) follows the layout
    return np.einsum("ik,kj->ij", np.ascontiguousarray(A), np.ascontiguousarray(B))


def exp(x: np.ndarray) -> np.ndarray:
    """``e^x`` element-wise; overflows to ``inf`` and underflows to 0 as ``np.exp`` does."""
    x = np.asarray(x, dtype=np.float64)
    with np.errstate(invalid="ignore", over="ignore", under="ignore"):
        xc = np.clip(x, -746.0, 710.0)
        nan = np.isnan(xc)
        xc = np.where(nan, 0.0, xc)
        k = np.rint(xc * _INV_LN2)
        r = (xc - k * _LN2_HI) - k * _LN2_LO
        p = np.full_like(r, _EXP_COEF[-1])
        for c in reversed(_EXP_COEF[:-1]):
            p = p * r + c
        out = np.ldexp(p, k.astype(np.int32))
    return np.where(nan, np.nan, out)


def expm1(z: np.ndarray) -> np.ndarray:
    """``e^z − 1`` element-wise, accurate for small ``|z|`` too."""
    z = np.asarray(z, dtype=np.float64)
    small = np.abs(z) < 0.7
    zs = np.where(small, z, 0.0)
    p = np.full_like(zs, _EXPM1_COEF[-1])
    for c in reversed(_EXPM1_COEF[:-1]):
        p = p * zs + c
    return np.where(small, zs * p, exp(z) - 1.0)


def tanh(x: np.ndarray) -> np.ndarray:
    """``tanh(x)`` element-wise (``|x|`` above 20 gives ±1 exactly, as in double precision)."""
    x = np.asarray(x, dtype=np.float64)
    m = expm1(2.0 * np.minimum(np.abs(x), 20.0))
    return np.copysign(m / (m + 2.0), x)


def sigmoid(z: np.ndarray) -> np.ndarray:
    """``1 / (1 + e^{−z})`` without overflow for large ``|z|``."""
    z = np.asarray(z, dtype=np.float64)
    e = exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _reduce(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    k = np.rint(x * _TWO_OVER_PI)
    r = ((x - k * _PIO2_1) - k * _PIO2_2) - k * _PIO2_3
    return r, k.astype(np.int64) % 4


def _sin_cos_kernel(r: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    r2 = r * r
    ps = np.full_like(r, _SIN_COEF[-1])
    pc = np.full_like(r, _COS_COEF[-1])
    for c in reversed(_SIN_COEF[:-1]):
        ps = ps * r2 + c
    for c in reversed(_COS_COEF[:-1]):
        pc = pc * r2 + c
    return r * ps, pc


def sin(x: np.ndarray) -> np.ndarray:
    """``sin(x)`` element-wise for moderate ``|x|``."""
    x = np.asarray(x, dtype=np.float64)
    r, q = _reduce(x)
    s, c = _sin_cos_kernel(r)
    return np.select([q == 0, q == 1, q == 2], [s, c, -s], -c)


def cos(x: np.ndarray) -> np.ndarray:
    """``cos(x)`` element-wise for moderate ``|x|``."""
    x = np.asarray(x, dtype=np.float64)
    r, q = _reduce(x)
    s, c = _sin_cos_kernel(r)
    return np.select([q == 0, q == 1, q == 2], [c, -s, -c], s)


def power_int(x, k: int):
    """``x ** k`` for an integer ``k >= 0`` by repeated multiplication, in a fixed order."""
    out = 1.0
    for _ in range(int(k)):
        out = out * x
    return out


_ATANH_COEF = [1.0 / (2 * i + 1) for i in range(14)]  # s, s^3/3, ..., s^27/27


def log(x: np.ndarray) -> np.ndarray:
    """Natural logarithm element-wise (``log 0 = −inf``, negative or NaN gives NaN)."""
    x = np.asarray(x, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        ok = np.isfinite(x) & (x > 0)
        m, e = np.frexp(np.where(ok, x, 1.0))
        low = m < 0.70710678118654752440
        m = np.where(low, m * 2.0, m)
        e = (e - low).astype(np.float64)
        s = (m - 1.0) / (m + 1.0)
        s2 = s * s
        p = np.full_like(s, _ATANH_COEF[-1])
        for c in reversed(_ATANH_COEF[:-1]):
            p = p * s2 + c
        out = e * _LN2_HI + (2.0 * s * p + e * _LN2_LO)
        special = np.where(x == 0, -np.inf, np.where(np.isposinf(x), np.inf, np.nan))
    return np.where(ok, out, special)
