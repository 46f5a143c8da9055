import numpy as np
import pytest

from simcore import portable


def ulps(a, b):
    return np.abs(a - b) / np.spacing(np.maximum(np.abs(b), np.finfo(float).tiny))


# every form of portable.matmul: one column; more rows than columns (the rows as the inner loop:
# a batch times W, 128 x 32 @ 32 x 32 and the head's 32 x 2); A transposed (X.T @ dZ) or not
@pytest.mark.parametrize("n,k,m", [(17, 9, 5), (64, 32, 32), (32, 2, 16), (16, 32, 2), (2, 64, 16),
                                   (64, 1, 16), (64, 16, 1), (1, 32, 32), (300, 16, 16), (3, 300, 16),
                                   (128, 32, 32), (128, 32, 2), (128, 2, 32), (32, 128, 32), (32, 128, 2),
                                   (2, 128, 32), (1, 7, 1), (5, 3, 1), (2, 3, 1), (3, 5, 2), (1, 5, 3)])
@pytest.mark.parametrize("transposed", ["none", "A", "B"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_matmul_sums_in_the_sequential_order(rng, n, k, m, transposed, dtype):
    A, B = rng.normal(size=(n, k)).astype(dtype), rng.normal(size=(k, m)).astype(dtype)
    if transposed == "A":  # X.T @ dZ passes a transposed view
        A = np.ascontiguousarray(A.T).T
    if transposed == "B":  # dZ @ W.T too
        B = np.ascontiguousarray(B.T).T
    C = portable.matmul(A, B)
    assert C.dtype == dtype and C.flags.c_contiguous and C.shape == (n, m)
    tol = 1e-12 if dtype == np.float64 else 1e-4
    np.testing.assert_allclose(C, A @ B, rtol=tol, atol=tol)
    expect = A[:, 0:1] * B[0:1, :]
    for j in range(1, k):
        expect = expect + A[:, j:j + 1] * B[j:j + 1, :]
    np.testing.assert_array_equal(C, expect)


def test_exp_accuracy_and_limits(rng):
    x = np.concatenate([rng.uniform(-745, 709, 20000), rng.normal(size=5000), [0.0, 1.0, -1.0]])
    assert ulps(portable.exp(x), np.exp(x)).max() <= 4
    assert portable.exp(np.array([0.0]))[0] == 1.0
    with np.errstate(over="ignore"):
        out = portable.exp(np.array([710.0, 1e6, np.inf, -1e6, -np.inf, np.nan]))
    assert np.isposinf(out[:3]).all() and (out[3:5] == 0).all() and np.isnan(out[5])


def test_expm1_tanh_sigmoid(rng):
    z = np.concatenate([rng.normal(size=5000) * 3, rng.normal(size=1000) * 1e-6, [0.0, 25.0, -25.0]])
    assert ulps(portable.expm1(z), np.expm1(z)).max() <= 8
    np.testing.assert_allclose(portable.tanh(z), np.tanh(z), rtol=1e-15, atol=0)
    assert portable.tanh(np.array([-0.0]))[0] == 0 and np.signbit(portable.tanh(np.array([-0.0]))[0])
    np.testing.assert_allclose(portable.sigmoid(z), 1 / (1 + np.exp(-z)), rtol=1e-14)
    assert portable.sigmoid(np.array([800.0, -800.0])).tolist() == [1.0, 0.0]


@pytest.mark.parametrize("f", [portable.exp, portable.expm1, portable.tanh, portable.sigmoid])
def test_shapes_preserved(f, rng):
    x = rng.normal(size=(3, 4))
    assert f(x).shape == (3, 4) and f(x).dtype == np.float64


def test_sin_cos_power(rng):
    x = np.concatenate([rng.uniform(-100, 100, 20000), rng.normal(size=2000) * 1e-3,
                        [0.0, np.pi / 2, np.pi, 3 * np.pi / 2]])
    np.testing.assert_allclose(portable.sin(x), np.sin(x), rtol=0, atol=4e-16)
    np.testing.assert_allclose(portable.cos(x), np.cos(x), rtol=0, atol=4e-16)
    assert portable.cos(np.array(0.0)) == 1.0 and portable.sin(np.array(0.0)) == 0.0
    assert portable.power_int(0.1, 3) == 0.1 * 0.1 * 0.1 and portable.power_int(2.0, 0) == 1.0


def test_log(rng):
    x = np.concatenate([np.exp(rng.uniform(-700, 700, 20000)), rng.uniform(0.5, 2, 5000),
                        [1.0, 2.0, 0.5, np.e]])
    assert ulps(portable.log(x), np.log(x)).max() <= 4
    assert portable.log(np.array([1.0]))[0] == 0.0
    out = portable.log(np.array([0.0, -1.0, np.inf, np.nan]))
    assert out[0] == -np.inf and np.isnan(out[1]) and out[2] == np.inf and np.isnan(out[3])


def test_norm_and_dot_sum_by_numpys_reduction_not_blas():
    """portable.norm and portable.dot: the same sums as np.add.reduce (the code every platform
    runs), equal to np.linalg.norm / a @ b up to rounding, float64 whatever the input."""
    rng = np.random.default_rng(3)
    for shape in [(7,), (33, 5), (4, 3, 2), (0,)]:
        x = rng.standard_normal(shape)
        flat = x.ravel()
        assert portable.norm(x) == float(np.sqrt(np.add.reduce(flat * flat)))
        assert abs(portable.norm(x) - np.linalg.norm(flat)) <= 1e-14 * max(1.0, np.linalg.norm(flat))
    a, b = rng.standard_normal(1000), rng.standard_normal(1000)
    assert portable.dot(a, b) == float(np.add.reduce(a * b))
    assert abs(portable.dot(a, b) - a @ b) < 1e-12
    assert isinstance(portable.norm(np.float32([3, 4])), float) and portable.norm(np.float32([3, 4])) == 5.0


def test_analyses_sum_their_norms_portably():
    """No analysis module sums a norm or a dot product through BLAS (np.linalg.norm without an
    axis, or ``@``/np.dot on vectors): those differ from the browser in the last bits."""
    import re
    from pathlib import Path
    root = Path(__file__).resolve().parents[1] / "simcore" / "analysis"
    for path in sorted(root.glob("*.py")):
        code = "\n".join(line.split("#")[0] for line in path.read_text().splitlines()
                         if not line.lstrip().startswith(("#", "``", "*")))
        code = re.sub(r'"""[\s\S]*?"""', "", code)
        assert not re.search(r"np\.linalg\.norm\((?![^)]*axis=)", code), path.name
        assert not re.search(r"np\.(dot|vdot|inner)\(", code), path.name
        assert not re.search(r"\S @ \S", code), path.name


def test_norm_and_dot_reduce_at_most_8192_elements_at_a_time():
    """A reduction of more elements may be cut into buffer-sized pieces by one NumPy version and
    not another (10,240 elements differed in the last bit natively and in Pyodide): norm and dot
    sum pieces of 8,192 elements, one after the other; smaller arrays in one reduction."""
    rng = np.random.default_rng(5)
    norm, dot = portable.norm, portable.dot
    small = rng.normal(size=8192)
    assert norm(small) == float(np.sqrt(np.add.reduce(small * small)))
    big = rng.normal(size=(64, 10, 16))  # 10,240: a Transformer's residual stream
    flat = (big * big).ravel()
    assert norm(big) == float(np.sqrt(np.add.reduce(flat[:8192]) + np.add.reduce(flat[8192:])))
    a, b = rng.normal(size=20000), rng.normal(size=20000)
    p = a * b
    assert dot(a, b) == float(np.add.reduce(p[:8192]) + np.add.reduce(p[8192:16384]) + np.add.reduce(p[16384:]))
