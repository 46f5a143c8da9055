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
* :func:`norm`, :func:`dot`: ``√(Σ x²)`` and ``Σ a_i b_i`` by NumPy's reduction, not BLAS's
  ``dot`` (which ``np.linalg.norm`` and ``a @ b`` of vectors use).
Each is accurate to a few units in the last place.

Every function keeps ``float32`` input in ``float32`` (its result and its temporaries): single
precision gets its own Cody–Waite split of ``ln 2`` (fdlibm's ``expf``/``logf`` constants) and
shorter series, truncated below half a single-precision ulp. Anything else is computed in
``float64``, exactly as before. (:func:`sin` and :func:`cos`, used only for data and schedules,
compute ``float32`` input in ``float64`` and round the result once.)
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

# Single precision: ln 2 = _LN2_HI_F + _LN2_LO_F with 17 significant bits in the high part, so
# k * _LN2_HI_F is exact for |k| < 2^7 (fdlibm's expf/logf); series cut where they fall below
# half an ulp of float32 (|r| <= ln2/2: degree 7; |z| < 0.7: degree 9; s^2 <= 0.0295: s^11).
_LN2_HI_F = 6.9313812256e-01
_LN2_LO_F = 9.0580006145e-06
_EXP_COEF_F = _EXP_COEF[:8]
_EXPM1_COEF_F = _EXPM1_COEF[:10]


def _floats(x) -> np.ndarray:
    """``x`` as a floating-point array: ``float32`` stays ``float32``, anything else ``float64``
    (no copy when it already is)."""
    x = np.asarray(x)
    return x if x.dtype == np.float32 else x.astype(np.float64, copy=False)


try:  # the clip ufunc itself: what np.clip ends up calling for float bounds, minus its wrappers
    from numpy._core.umath import clip as _clip
except ImportError:  # pragma: no cover  (NumPy 1.x)
    try:
        from numpy.core.umath import clip as _clip
    except ImportError:
        _clip = np.clip

try:  # einsum's C function without its Python wrapper (np.einsum calls it as it is)
    from numpy._core.multiarray import c_einsum as _einsum
except ImportError:  # pragma: no cover  (NumPy 1.x)
    try:
        from numpy.core.multiarray import c_einsum as _einsum
    except ImportError:
        _einsum = np.einsum


def _single(x: np.ndarray) -> bool:
    return x.dtype == np.float32


def _horner(z: np.ndarray, coef) -> np.ndarray:
    """``(…(c_n z + c_{n−1}) z + …) z + c_0`` as a new array, each step one rounded product and
    one rounded sum (the same numbers as starting from an array filled with ``c_n``)."""
    mul, add = np.multiply, np.add  # (out given positionally: the cheapest call, tiny arrays)
    p = mul(z, coef[-1], np.empty_like(z))  # an array even when z is 0-d
    add(p, coef[-2], p)
    for c in reversed(coef[:-2]):  # p = p * z + c, in place
        mul(p, z, p)
        add(p, c, p)
    return p


def matmul(A: np.ndarray, B: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """``A @ B`` for 2-D arrays, summed in the same order on every platform.

    Every element is ``C[i, j] = (…(A[i,0] B[0,j] + A[i,1] B[1,j]) + …)``. ``np.einsum``
    (without BLAS) accumulates whole rows of products, ``C[i, :] += A[i, k] B[k, :]`` for
    k = 0, 1, …, which is that order, about 4× faster than the broadcast form; but for a single
    output column it switches to a dot-product kernel with several partial sums. So three
    forms, chosen by shape alone, all in the sequential order:

    * one output column: rows of products, summed row by row down axis 0;
    * more rows than columns (``X @ W`` of a batch): the rows are einsum's inner loop,
      ``C^T[j, :] += B[k, j] A^T[k, :]``, then ``C`` is made contiguous (fewer, longer inner
      loops: 2× faster than the row form for 128 × 32 @ 32 × 32, 10× for the 32 × 2 head);
    * otherwise the row form, reading ``A`` through its transpose when that is contiguous
      (``X.T @ dZ`` needs no copy of ``X``).

    The einsum operands are always C-contiguous: einsum's loop order (and so the summation
    order) follows the layout. In the second form a transposed ``B`` (``dZ @ W.T``) is read as
    ``W`` itself, ``C^T[j, :] += W[j, k] A^T[k, :]``: the same inner loop and the same order
    over ``k``, without copying ``W.T``. ``tests/test_portable.py`` pins every form to the
    sequential reference, in float64 and float32. The result is C-contiguous.

    ``out``: a C-contiguous array of the result's shape and dtype (that of ``A`` and ``B``) to
    write the result into, as NumPy's ``out=`` (for gradient buffers reused from step to step);
    the same numbers. Anything else is ignored and a new array returned.
    """
    n, m = A.shape[0], B.shape[1]
    if out is not None and not (out.shape == (n, m) and out.dtype == A.dtype == B.dtype
                                and out.flags.c_contiguous):
        out = None
    if m == 1:  # rows of products, then summed row by row down axis 0
        C = np.ascontiguousarray((A * B[:, 0]).T).sum(axis=0)[:, None]
    elif n > m:  # the rows as the inner loop: C^T = sum_k B[k, :]^T A^T[k, :]
        AT = A.T if A.flags.f_contiguous else np.ascontiguousarray(A.T)
        if B.flags.f_contiguous and not B.flags.c_contiguous:  # B is W.T: read W as it is
            C = _einsum("jk,ki->ji", B.T, AT).T
        else:
            C = _einsum("kj,ki->ji", np.ascontiguousarray(B), AT).T
        if out is None:
            return np.ascontiguousarray(C)
    else:
        if A.flags.f_contiguous and not A.flags.c_contiguous:  # A is X.T: read X as it is
            spec, A = "ki,kj->ij", A.T
        else:
            spec, A = "ik,kj->ij", np.ascontiguousarray(A)
        B = np.ascontiguousarray(B)
        return _einsum(spec, A, B) if out is None else _einsum(spec, A, B, out=out)
    if out is None:
        return C
    np.copyto(out, C)
    return out


_CHUNK = 8192  # NumPy's buffer size, in elements


def _total(x: np.ndarray) -> np.ndarray:
    """``Σ x`` of a 1-D array by NumPy's reduction, in pieces of at most :data:`_CHUNK`
    elements added one after the other. One reduction over more elements may be cut into
    buffer-sized pieces by one NumPy version and not by another (measured: 10,240 elements
    summed natively by NumPy 2.4 and in Pyodide's 2.0 differ in the last bit), so no
    reduction here is given more."""
    if x.size <= _CHUNK:
        return np.add.reduce(x)
    total = np.add.reduce(x[:_CHUNK])
    for i in range(_CHUNK, x.size, _CHUNK):
        total = total + np.add.reduce(x[i:i + _CHUNK])
    return total


def norm(x) -> float:
    """The Euclidean (Frobenius) norm of all of ``x``'s elements, ``√(Σ x²)`` (``float32`` input
    summed in ``float32``, anything else in ``float64``), as a Python float.

    ``np.linalg.norm`` and ``a @ a`` sum through BLAS's ``dot`` natively, in a blocked order
    that depends on the machine, and through NumPy's own loop in the browser; this sums with
    NumPy's reduction (``np.add.reduce``), the same code on every platform, in pieces of at most
    8,192 elements (:func:`_total`)."""
    x = _floats(x).ravel()
    return float(np.sqrt(_total(x * x)))


def dot(a, b) -> float:
    """``Σ a_i b_i`` of two 1-D arrays of the same length, summed as :func:`norm` sums
    (``a @ b`` is BLAS's ``dot`` natively)."""
    return float(_total(_floats(a) * _floats(b)))


def exp(x: np.ndarray) -> np.ndarray:
    """``e^x`` element-wise; overflows to ``inf`` and underflows to 0 as ``np.exp`` does."""
    x = _floats(x)
    if _single(x):
        lo, hi, ln2_hi, ln2_lo, coef = -104.0, 89.0, _LN2_HI_F, _LN2_LO_F, _EXP_COEF_F
    else:
        lo, hi, ln2_hi, ln2_lo, coef = -746.0, 710.0, _LN2_HI, _LN2_LO, _EXP_COEF
    with np.errstate(invalid="ignore", over="ignore", under="ignore"):
        xc = _clip(x, lo, hi)
        nan = np.isnan(xc)
        has_nan = nan.any()
        if has_nan:
            xc = np.where(nan, 0.0, xc)
        k = xc * _INV_LN2
        np.rint(k, out=k)
        r = k * ln2_hi  # r = (xc - k * ln2_hi) - k * ln2_lo, in fresh arrays
        np.subtract(xc, r, out=r)
        np.subtract(r, np.multiply(k, ln2_lo), out=r)
        out = np.ldexp(_horner(r, coef), k.astype(np.int32))
    return out if not has_nan and x.ndim else np.where(nan, np.nan, out)  # (0-d: an array)


def expm1(z: np.ndarray) -> np.ndarray:
    """``e^z − 1`` element-wise, accurate for small ``|z|`` too."""
    z = _floats(z)
    coef = _EXPM1_COEF_F if _single(z) else _EXPM1_COEF
    small = np.abs(z) < 0.7
    zs = np.where(small, z, 0.0)
    p = _horner(zs, coef)
    return np.where(small, zs * p, exp(z) - 1.0)


def tanh(x: np.ndarray) -> np.ndarray:
    """``tanh(x)`` element-wise (``|x|`` above 20 gives ±1 exactly, as in double precision)."""
    x = _floats(x)
    m = expm1(2.0 * np.minimum(np.abs(x), 20.0))
    return np.copysign(m / (m + 2.0), x)


def sigmoid(z: np.ndarray) -> np.ndarray:
    """``1 / (1 + e^{−z})`` without overflow for large ``|z|``."""
    z = _floats(z)
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
    x = _floats(x)
    r, q = _reduce(x.astype(np.float64, copy=False))
    s, c = _sin_cos_kernel(r)
    return np.select([q == 0, q == 1, q == 2], [s, c, -s], -c).astype(x.dtype, copy=False)


def cos(x: np.ndarray) -> np.ndarray:
    """``cos(x)`` element-wise for moderate ``|x|``."""
    x = _floats(x)
    r, q = _reduce(x.astype(np.float64, copy=False))
    s, c = _sin_cos_kernel(r)
    return np.select([q == 0, q == 1, q == 2], [c, -s, -c], s).astype(x.dtype, copy=False)


def power_int(x, k: int):
    """``x ** k`` for an integer ``k >= 0`` by repeated multiplication, in a fixed order."""
    out = 1.0
    for _ in range(int(k)):
        out = out * x
    return out


_ATANH_COEF = [1.0 / (2 * i + 1) for i in range(14)]  # s, s^3/3, ..., s^27/27
_ATANH_COEF_F = _ATANH_COEF[:6]                        # float32: s, ..., s^11/11


def log(x: np.ndarray) -> np.ndarray:
    """Natural logarithm element-wise (``log 0 = −inf``, negative or NaN gives NaN)."""
    x = _floats(x)
    if _single(x):
        ln2_hi, ln2_lo, coef = _LN2_HI_F, _LN2_LO_F, _ATANH_COEF_F
    else:
        ln2_hi, ln2_lo, coef = _LN2_HI, _LN2_LO, _ATANH_COEF
    with np.errstate(invalid="ignore", divide="ignore"):
        ok = np.isfinite(x) & (x > 0)
        m, e = np.frexp(np.where(ok, x, 1.0))
        low = m < 0.70710678118654752440
        m = np.where(low, m * 2.0, m)
        e = (e - low).astype(x.dtype)
        s = (m - 1.0) / (m + 1.0)
        p = _horner(s * s, coef)
        out = e * ln2_hi + (2.0 * s * p + e * ln2_lo)
        if x.ndim and ok.all():  # nothing special: np.where(ok, out, ...) would copy out as it is
            return out
        special = np.where(x == 0, -np.inf, np.where(np.isposinf(x), np.inf, np.nan))
    return np.where(ok, out, special.astype(x.dtype, copy=False))
