import hashlib
import re
from pathlib import Path

import numpy as np
import pytest

from simcore import data

SYNTHETIC = ("spirals", "circles", "moons", "xor", "checkerboard", "blobs")
N_CLASSES = {"blobs": 3}

# Class counts of sklearn.datasets.load_digits() (scikit-learn 1.9.1), computed once with
# np.bincount(load_digits().target) in the throwaway venv that produced digits.npz.
DIGITS_CLASS_COUNTS = [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]
# Total of all 1797 x 64 raw pixel counts (0..16), from the same run.
DIGITS_PIXEL_SUM = 561718


def generate(name, n, noise, rng, **kw):
    return getattr(data, name)(n, noise, rng, **kw)


def one_nn_accuracy(X_train, y_train, X_test, y_test):
    d2 = ((X_test[:, None, :] - X_train[None, :, :]) ** 2).sum(axis=-1)
    return float((y_train[d2.argmin(axis=1)] == y_test).mean())


def linear_accuracy(X_train, y_train, X_test, y_test, n_classes):
    """Least squares on one-hot targets, with a bias column; predict the argmax."""
    A = np.c_[X_train, np.ones(len(X_train))]
    W = np.linalg.lstsq(A, np.eye(n_classes)[y_train], rcond=None)[0]
    return float(((np.c_[X_test, np.ones(len(X_test))] @ W).argmax(axis=1) == y_test).mean())


def test_datasets_names():
    assert data.DATASETS == SYNTHETIC + ("digits",)


@pytest.mark.parametrize("name", SYNTHETIC)
@pytest.mark.parametrize("n", [1, 7, 1000])
def test_synthetic_shapes_dtypes_labels(name, n, rng):
    X, y = generate(name, n, 0.1, rng)
    k = N_CLASSES.get(name, 2)
    assert X.shape == (n, 2) and X.dtype == np.float64
    assert y.shape == (n,) and y.dtype == np.int64
    assert np.isfinite(X).all()
    assert y.min() >= 0 and y.max() <= k - 1


@pytest.mark.parametrize("name", SYNTHETIC)
@pytest.mark.parametrize("noise", [0.0, 0.05, 0.3])
def test_synthetic_standardised(name, noise, rng):
    X, _ = generate(name, 999, noise, rng)
    np.testing.assert_allclose(X.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(X.std(axis=0), 1.0, rtol=1e-12)


@pytest.mark.parametrize("name", SYNTHETIC)
@pytest.mark.parametrize("n", [1000, 1001, 10])
def test_synthetic_class_balance(name, n, rng):
    _, y = generate(name, n, 0.1, rng)
    k = N_CLASSES.get(name, 2)
    counts = np.bincount(y, minlength=k)
    assert len(counts) == k and counts.sum() == n
    assert counts.max() - counts.min() <= 1


@pytest.mark.parametrize("name", SYNTHETIC)
def test_synthetic_determinism(name):
    X1, y1 = generate(name, 500, 0.1, np.random.default_rng(3))
    X2, y2 = generate(name, 500, 0.1, np.random.default_rng(3))
    X3, _ = generate(name, 500, 0.1, np.random.default_rng(4))
    assert X1.tobytes() == X2.tobytes() and y1.tobytes() == y2.tobytes()
    assert not np.array_equal(X1, X3)


@pytest.mark.parametrize("name", SYNTHETIC)
def test_synthetic_not_grouped_by_class(name, rng):
    _, y = generate(name, 200, 0.1, rng)
    assert not np.array_equal(y, np.sort(y))


@pytest.mark.parametrize("classes", [2, 3, 5])
def test_spirals_and_blobs_classes(classes, rng):
    for f in (data.spirals, data.blobs):
        _, y = f(100, 0.05, rng, classes=classes)
        assert np.array_equal(np.unique(y), np.arange(classes))


def test_spirals_geometry_noise_free(rng):
    # Without noise the two arms never cross: nearest neighbours share the class almost
    # everywhere (only the shared starting point at the centre is ambiguous).
    X, y = data.spirals(2000, 0.0, rng)
    Xtr, ytr, Xte, yte = data.train_test_split(X, y, 0.2, rng)
    assert one_nn_accuracy(Xtr, ytr, Xte, yte) > 0.99


def test_spirals_raw_geometry(rng):
    # Two arms: class 1 is class 0 rotated by pi, so both arms reach the same distance from
    # the centre, and both start at the centre.
    X, y = data.spirals(4000, 0.0, rng)
    r = np.hypot(X[:, 0], X[:, 1])
    assert abs(r[y == 0].max() - r[y == 1].max()) < 0.05 * r.max()
    assert r.min() < 0.05 * r.max()  # arms start at the centre


def test_spirals_default_experiment_is_nonlinear():
    # "two interleaved spirals, 1,000 points (1.5 turns, noise 0.05, standardised)"
    nn, lin = [], []
    for seed in range(3):
        d = data.load("spirals", n=1000, noise=0.05, seed=seed)
        split = d["X_train"], d["y_train"], d["X_test"], d["y_test"]
        nn.append(one_nn_accuracy(*split))
        lin.append(linear_accuracy(*split, d["n_classes"]))
    assert np.mean(nn) > 0.95
    assert max(lin) < 0.75


def test_other_sets_learnable_and_mostly_nonlinear():
    for name, noise in [("circles", 0.05), ("moons", 0.05), ("xor", 0.05),
                        ("checkerboard", 0.02), ("blobs", 0.3)]:
        d = data.load(name, n=1000, noise=noise, seed=0)
        split = d["X_train"], d["y_train"], d["X_test"], d["y_test"]
        assert one_nn_accuracy(*split) > 0.85, name
        lin = linear_accuracy(*split, d["n_classes"])
        if name in ("circles", "xor", "checkerboard"):
            assert lin < 0.7, name


def test_xor_and_checkerboard_labels_match_geometry(rng):
    X, y = data.xor(1000, 0.0, rng)
    # standardisation of a symmetric uniform set keeps the origin (approximately) at 0;
    # label is whether x0 and x1 have the same sign (points near the axes may flip)
    inner = (np.abs(X) > 0.1).all(axis=1)
    assert np.array_equal((np.sign(X[inner, 0]) == np.sign(X[inner, 1])).astype(np.int64),
                          y[inner])
    X, y = data.checkerboard(4000, 0.0, rng, cells=2)
    inner = (np.abs(X) > 0.1).all(axis=1)
    assert np.array_equal((np.sign(X[inner, 0]) == np.sign(X[inner, 1])).astype(np.int64),
                          1 - y[inner])


def test_generator_argument_errors(rng):
    with pytest.raises(ValueError, match="noise"):
        data.spirals(10, -0.1, rng)
    with pytest.raises(ValueError, match="n:"):
        data.moons(0, 0.1, rng)
    with pytest.raises(ValueError, match="factor"):
        data.circles(10, 0.1, rng, factor=1.5)
    with pytest.raises(ValueError, match="cells"):
        data.checkerboard(10, 0.1, rng, cells=1)


def test_global_random_state_untouched():
    np.random.seed(123)
    before = np.random.get_state()[1].copy()
    for name in data.DATASETS:
        data.load(name, n=100, noise=0.1, seed=1)
    assert np.array_equal(np.random.get_state()[1], before)


# --- digits ---------------------------------------------------------------------------

def test_digits_shape_range_classes():
    X, y = data.digits()
    assert X.shape == (1797, 64) and X.dtype == np.float64
    assert y.shape == (1797,) and y.dtype == np.int64
    assert X.min() == 0.0 and X.max() == 1.0
    # values are k / 16 for integer k
    np.testing.assert_array_equal(X * 16, np.round(X * 16))
    assert np.bincount(y).tolist() == DIGITS_CLASS_COUNTS
    assert int(round((X * 16).sum())) == DIGITS_PIXEL_SUM


def test_digits_sha256_matches_source_note():
    folder = Path(data.__file__).with_name("_data")
    note = (folder / "DIGITS_SOURCE.txt").read_text(encoding="utf-8")
    recorded = re.search(r"sha256 of digits\.npz:\s*([0-9a-f]{64})", note).group(1)
    actual = hashlib.sha256((folder / "digits.npz").read_bytes()).hexdigest()
    assert actual == recorded
    assert "CC BY 4.0" in note and "BSD-3-Clause" in note


def test_digits_load_caps_and_shuffles():
    d = data.load("digits", n=500, noise=123.0, seed=0)
    assert d["n_features"] == 64 and d["n_classes"] == 10
    assert len(d["y_train"]) + len(d["y_test"]) == 500
    full = data.load("digits", n=10**6, seed=0, test_fraction=0.0)
    assert full["X_train"].shape == (1797, 64) and full["X_test"].shape == (0, 64)
    assert np.bincount(full["y_train"]).tolist() == DIGITS_CLASS_COUNTS
    again = data.load("digits", n=500, seed=0)
    other = data.load("digits", n=500, seed=1)
    assert again["X_train"].tobytes() == d["X_train"].tobytes()
    assert not np.array_equal(other["y_train"], d["y_train"])


# --- load ---------------------------------------------------------------------------------

@pytest.mark.parametrize("name", data.DATASETS)
def test_load_keys_shapes(name):
    d = data.load(name, n=300, noise=0.1, seed=0)
    assert set(d) == {"X_train", "y_train", "X_test", "y_test", "n_classes", "n_features"}
    k = 10 if name == "digits" else N_CLASSES.get(name, 2)
    dim = 64 if name == "digits" else 2
    assert d["n_classes"] == k and d["n_features"] == dim
    assert d["X_train"].shape == (240, dim) and d["X_test"].shape == (60, dim)
    for key in ("X_train", "X_test"):
        assert d[key].dtype == np.float64
    for key in ("y_train", "y_test"):
        assert d[key].dtype == np.int64
        assert d[key].min() >= 0 and d[key].max() < k


@pytest.mark.parametrize("name", data.DATASETS)
def test_load_determinism(name):
    a = data.load(name, n=200, seed=5)
    b = data.load(name, n=200, seed=5)
    c = data.load(name, n=200, seed=6)
    for key in ("X_train", "y_train", "X_test", "y_test"):
        assert a[key].tobytes() == b[key].tobytes()
    assert not np.array_equal(a["X_train"], c["X_train"])


def test_load_forwards_options():
    d = data.load("spirals", n=300, seed=0, classes=3, turns=1.0)
    assert d["n_classes"] == 3
    assert np.unique(d["y_train"]).tolist() == [0, 1, 2]


def test_load_unknown_name():
    with pytest.raises(ValueError) as info:
        data.load("foo")
    assert str(info.value) == ("dataset: 'foo' is not one of spirals, circles, moons, xor, "
                               "checkerboard, blobs, digits, custom")


# --- train_test_split ---------------------------------------------------------------------

def test_split_stratified_disjoint_complete(rng):
    n = 1000
    y = np.repeat(np.arange(3), [500, 300, 200])
    X = np.arange(n, dtype=np.float64)[:, None] * np.ones((1, 4))  # row i holds i
    X_train, y_train, X_test, y_test = data.train_test_split(X, y, 0.2, rng)
    assert np.bincount(y_test).tolist() == [100, 60, 40]
    assert np.bincount(y_train).tolist() == [400, 240, 160]
    ids_train, ids_test = X_train[:, 0].astype(int), X_test[:, 0].astype(int)
    assert np.intersect1d(ids_train, ids_test).size == 0
    assert np.array_equal(np.sort(np.concatenate([ids_train, ids_test])), np.arange(n))
    # rows keep their labels
    assert np.array_equal(y[ids_train], y_train) and np.array_equal(y[ids_test], y_test)


def test_split_deterministic_given_rng():
    X = np.random.default_rng(1).normal(size=(101, 3))
    y = np.arange(101) % 2
    a = data.train_test_split(X, y, 0.3, np.random.default_rng(9))
    b = data.train_test_split(X, y, 0.3, np.random.default_rng(9))
    c = data.train_test_split(X, y, 0.3, np.random.default_rng(10))
    assert all(p.tobytes() == q.tobytes() for p, q in zip(a, b))
    assert not np.array_equal(a[0], c[0])


def test_split_zero_test_fraction(rng):
    X = np.ones((10, 3))
    y = np.arange(10) % 2
    X_train, y_train, X_test, y_test = data.train_test_split(X, y, 0.0, rng)
    assert X_train.shape == (10, 3) and y_train.shape == (10,)
    assert X_test.shape == (0, 3) and y_test.shape == (0,)
    assert y_test.dtype == y.dtype


def test_split_bad_arguments(rng):
    with pytest.raises(ValueError, match="test_fraction"):
        data.train_test_split(np.ones((4, 2)), np.zeros(4, dtype=int), 1.0, rng)
    with pytest.raises(ValueError, match="do not match"):
        data.train_test_split(np.ones((4, 2)), np.zeros(5, dtype=int), 0.5, rng)


# --- custom: the reader's own points (the playground's drawing) ---------------------------

POINTS = [[0.1 * i - 1.0, (0.37 * i) % 2 - 1.0, i % 3] for i in range(30)]


def test_custom_points_are_used_as_drawn_and_split_by_the_seed():
    ds = data.load("custom", points=POINTS, seed=3, test_fraction=0.2)
    X = np.vstack([ds["X_train"], ds["X_test"]])
    got = sorted(map(tuple, np.column_stack([X, np.concatenate([ds["y_train"], ds["y_test"]])]).tolist()))
    assert got == sorted(tuple(p) for p in POINTS)  # no noise, no standardising: as drawn
    assert ds["n_classes"] == 3 and ds["n_features"] == 2 and len(ds["y_test"]) == 6
    again = data.load("custom", points=POINTS, seed=3, test_fraction=0.2)
    assert all(np.array_equal(ds[k], again[k]) for k in ("X_train", "y_train", "X_test", "y_test"))
    assert data.load("custom", points=[[0, 0, 0], [1, 1, 0]])["n_classes"] == 2  # at least two


@pytest.mark.parametrize("points, says", [
    ([[0, 0, 0]], "1 points are not allowed"),
    ([[0, 0, 0], [0, float("nan"), 1]], "point 1"),
    ([[0, 0, 0], [0, 6, 1]], "point 1"),
    ([[0, 0, 0], [0, 0, 1.5]], "point 1"),
    ([[0, 0, 0], [0, 0, True]], "point 1"),
    ([[0, 0, 0], [0, 0]], "point 1"),
    ([[0, 0, 0]] * 1001, "1001 points"),
    ("0,0,0;1,1,1", "a str is not allowed"),
])
def test_bad_points_are_refused_naming_the_field(points, says):
    with pytest.raises(ValueError, match=says) as err:
        data.load("custom", points=points)
    assert err.value.field == "points"


def test_points_belong_to_the_custom_set_only():
    with pytest.raises(ValueError, match="only dataset custom takes points"):
        data.load("moons", points=POINTS)


def test_a_custom_run_is_the_same_natively_through_the_api_and_the_json_it_travels_in():
    """The browser sends the points as JSON: the same run as the points given natively."""
    import json

    from simcore import api

    cfg = {"dataset": "custom", "points": POINTS, "depth": 6, "width": 8, "epochs": 3, "grid": 8}
    a = api.train(cfg)
    b = api.run("train", json.loads(json.dumps(cfg)))
    assert [{k: v for k, v in r.items() if k != "elapsed"} for r in a["history"]] == \
           [{k: v for k, v in r.items() if k != "elapsed"} for r in b["history"]]
    assert a["history"][0]["data"]["X_train"][0] in [p[:2] for p in POINTS]
    with pytest.raises(ValueError, match="^points: dataset custom needs its points"):
        api.train({"dataset": "custom"})
