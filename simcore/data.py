"""Data sets: six 2-D synthetic classification sets and the 8x8 handwritten digits.

Every generator has the signature ``(n, noise, rng, ...) -> (X, y)`` and returns

* ``X`` : float64, shape ``(n, 2)``, **standardised** -- each feature is shifted and
  scaled to zero mean and unit standard deviation over the ``n`` points (a feature
  with zero spread is only centred);
* ``y`` : int64, shape ``(n,)``, labels ``0 .. classes - 1``; classes are balanced
  (``n`` split as evenly as possible, the first ``n % classes`` classes get one more).

Points are returned in a random order (not grouped by class). ``noise`` is the standard
deviation of Gaussian noise added to the coordinates *before* standardisation, in the
units of the raw geometry (unit radius, or the square ``[-1, 1]^2``). All randomness
comes from the ``rng`` passed in; nothing touches NumPy's global state.

:func:`digits` returns the 1,797 8x8 digits shipped with scikit-learn (UCI "Optical
Recognition of Handwritten Digits", CC BY 4.0), stored in ``_data/digits.npz``; see
``_data/DIGITS_SOURCE.txt``. :func:`load` builds a train/test split of any set by name.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from .portable import cos, sin  # same bits natively and in the browser
from .messages import FieldError

DATASETS = ("spirals", "circles", "moons", "xor", "checkerboard", "blobs", "digits")
CHOICES = DATASETS + ("custom",)  # what ``load`` takes: the shipped sets and the reader's own

# "custom": the reader's own points, [[x, y, class], ...] (the playground's drawing)
POINTS = (2, 1000)     # how many
COORD_MAX = 5.0        # |x|, |y| at most (the shipped sets are standardised: about ±2)
CUSTOM_CLASSES = 3     # class 0, 1 or 2

DIGITS_PATH = Path(__file__).with_name("_data") / "digits.npz"


def _class_sizes(n: int, classes: int) -> np.ndarray:
    """``n`` split over ``classes`` as evenly as possible, shape ``(classes,)``."""
    if int(n) != n or n < 1:
        raise FieldError("n", f"n: {n!r} is not a positive integer")
    if int(classes) != classes or classes < 1:
        raise FieldError("classes", f"classes: {classes!r} is not a positive integer")
    n, classes = int(n), int(classes)
    return np.array([n // classes + (k < n % classes) for k in range(classes)], dtype=np.intp)  # intp: np.repeat wants the platform int (int32 on wasm32)


def _labels(sizes: np.ndarray) -> np.ndarray:
    return np.repeat(np.arange(len(sizes), dtype=np.int64), sizes)


def _check_noise(noise: float) -> float:
    if not noise >= 0.0:  # also rejects NaN
        raise FieldError("noise", f"noise: {noise!r} must be >= 0")
    return float(noise)


def standardise(X: np.ndarray) -> np.ndarray:
    """Per-feature zero mean and unit (population) std; zero-spread features are only centred.

    Parameters
    ----------
    X : ndarray, shape (n, d)

    Returns
    -------
    ndarray, float64, shape (n, d)
    """
    X = np.asarray(X, dtype=np.float64)
    mean = X.mean(axis=0)
    std = X.std(axis=0)
    return (X - mean) / np.where(std > 1e-12, std, 1.0)


def check_points(points) -> list[list]:
    """``points`` as ``[[x, y, class], ...]`` with float coordinates and int classes, or a
    ``ValueError`` naming ``points`` and the first point that is not allowed."""
    expect = (f"expected {POINTS[0]} to {POINTS[1]} points [x, y, class] with x and y numbers in "
              f"[-{COORD_MAX:g}, {COORD_MAX:g}] and class 0, 1 or 2")
    if not isinstance(points, (list, tuple)):
        raise FieldError("points", f"points: a {type(points).__name__} is not allowed; {expect}")
    if not POINTS[0] <= len(points) <= POINTS[1]:
        raise FieldError("points", f"points: {len(points)} points are not allowed; {expect}")
    out = []
    for i, p in enumerate(points):
        ok = isinstance(p, (list, tuple)) and len(p) == 3
        if ok:
            x, y, c = (v.item() if isinstance(v, np.generic) else v for v in p)
            ok = (all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
                      and abs(v) <= COORD_MAX for v in (x, y))
                  and isinstance(c, (int, float)) and not isinstance(c, bool) and c in range(CUSTOM_CLASSES))
        if not ok:
            raise FieldError("points", f"points: point {i} ({str(p)[:60]}) is not allowed; {expect}")
        out.append([float(x), float(y), int(c)])
    return out


def parse_points(text: str) -> list[list]:
    """Points written compactly, ``x,y,class;x,y,class;…`` (the command line's ``--points``), as
    :func:`check_points` returns them; a ``ValueError`` naming ``points`` otherwise."""
    rows = []
    for i, part in enumerate(str(text).split(";")):
        fields = part.split(",")
        try:
            if len(fields) != 3:
                raise ValueError
            x, y, c = float(fields[0]), float(fields[1]), float(fields[2])
        except ValueError:
            raise FieldError("points", f"points: point {i} ({part[:40]!r}) is not allowed; expected "
                             "x,y,class;x,y,class;… (numbers, class 0, 1 or 2)") from None
        rows.append([x, y, int(c) if c.is_integer() else c])
    return check_points(rows)


def custom(points) -> tuple[np.ndarray, np.ndarray]:
    """The reader's own points (:func:`check_points`), as they were drawn: no noise, no
    standardising, so they stay where they were put (the split still shuffles them)."""
    pts = check_points(points)
    return (np.array([p[:2] for p in pts], dtype=np.float64), np.array([p[2] for p in pts], dtype=np.int64))


def _finish(X: np.ndarray, y: np.ndarray, noise: float, rng: np.random.Generator):
    """Add noise, standardise, shuffle the order of the points."""
    X = X + rng.normal(0.0, noise, size=X.shape) if noise > 0 else X
    order = rng.permutation(len(y))
    return standardise(X)[order], y[order]


def spirals(n: int, noise: float, rng: np.random.Generator, turns: float = 1.5,
            classes: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """Interleaved spirals, one arm per class.

    Arm ``k`` has points at radius ``r = t`` and angle ``2 pi (t * turns + k / classes)``
    for ``t`` drawn uniformly in ``(0, 1]``, so every arm starts at the centre and ends
    on the unit circle. Gaussian noise of std ``noise`` (relative to that unit radius)
    is added to the coordinates, then ``X`` is standardised. The project's default
    experiment is ``spirals(1000, 0.05, rng)``: two spirals, 1.5 turns.

    Parameters
    ----------
    n : int
        Number of points (balanced over the classes).
    noise : float
        Std of the Gaussian noise on each coordinate, before standardisation.
    rng : numpy.random.Generator
    turns : float
        Number of full turns of each arm.
    classes : int
        Number of arms (and classes).

    Returns
    -------
    X : ndarray, float64, shape (n, 2)
    y : ndarray, int64, shape (n,)
    """
    noise = _check_noise(noise)
    y = _labels(_class_sizes(n, classes))
    t = 1.0 - rng.random(len(y))  # uniform in (0, 1]
    angle = 2.0 * np.pi * (t * turns + y / classes)
    X = np.stack([t * cos(angle), t * sin(angle)], axis=1)
    return _finish(X, y, noise, rng)


def circles(n: int, noise: float, rng: np.random.Generator,
            factor: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
    """Two concentric circles: class 0 on the unit circle, class 1 at radius ``factor``.

    Angles are uniform; noise and standardisation as in :func:`spirals`.

    Returns
    -------
    X : ndarray, float64, shape (n, 2)
    y : ndarray, int64, shape (n,)
    """
    noise = _check_noise(noise)
    if not 0.0 < factor < 1.0:
        raise FieldError("factor", f"factor: {factor!r} must be in (0, 1)")
    y = _labels(_class_sizes(n, 2))
    angle = rng.uniform(0.0, 2.0 * np.pi, size=len(y))
    radius = np.where(y == 0, 1.0, factor)
    X = np.stack([radius * cos(angle), radius * sin(angle)], axis=1)
    return _finish(X, y, noise, rng)


def moons(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles (the geometry of scikit-learn's ``make_moons``).

    Class 0: ``(cos a, sin a)``; class 1: ``(1 - cos a, 0.5 - sin a)``, ``a`` uniform in
    ``[0, pi]``. Noise and standardisation as in :func:`spirals`.

    Returns
    -------
    X : ndarray, float64, shape (n, 2)
    y : ndarray, int64, shape (n,)
    """
    noise = _check_noise(noise)
    y = _labels(_class_sizes(n, 2))
    a = rng.uniform(0.0, np.pi, size=len(y))
    X = np.where((y == 0)[:, None],
                 np.stack([cos(a), sin(a)], axis=1),
                 np.stack([1.0 - cos(a), 0.5 - sin(a)], axis=1))
    return _finish(X, y, noise, rng)


def xor(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """XOR: points uniform in ``[-1, 1]^2``, label ``1`` where ``sign(x0) * sign(x1) > 0``.

    Each class is drawn uniformly over its own two quadrants (so the classes are exactly
    balanced); noise is added after labelling, so a few points cross the axes. Then
    ``X`` is standardised.

    Returns
    -------
    X : ndarray, float64, shape (n, 2)
    y : ndarray, int64, shape (n,)
    """
    noise = _check_noise(noise)
    y = _labels(_class_sizes(n, 2))
    X = rng.uniform(-1.0, 1.0, size=(len(y), 2))
    same_sign = np.where(y == 1, 1.0, -1.0)
    X[:, 1] = np.abs(X[:, 1]) * np.where(X[:, 0] >= 0, 1.0, -1.0) * same_sign
    return _finish(X, y, noise, rng)


def checkerboard(n: int, noise: float, rng: np.random.Generator,
                 cells: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """Checkerboard: ``[-1, 1]^2`` cut into ``cells x cells`` squares, label = ``(i + j) % 2``.

    Each class is drawn uniformly over its own squares (exact balance); noise is added
    after labelling; then ``X`` is standardised.

    Returns
    -------
    X : ndarray, float64, shape (n, 2)
    y : ndarray, int64, shape (n,)
    """
    noise = _check_noise(noise)
    if int(cells) != cells or cells < 2:
        raise FieldError("cells", f"cells: {cells!r} must be an integer >= 2")
    cells = int(cells)
    y = _labels(_class_sizes(n, 2))
    i, j = np.divmod(np.arange(cells * cells), cells)
    X = np.empty((len(y), 2))
    for k in (0, 1):
        mine = np.flatnonzero((i + j) % 2 == k)
        rows = np.flatnonzero(y == k)
        pick = mine[rng.integers(0, len(mine), size=len(rows))]
        corner = np.stack([i[pick], j[pick]], axis=1)
        X[rows] = -1.0 + (corner + rng.random((len(rows), 2))) * (2.0 / cells)
    return _finish(X, y, noise, rng)


def blobs(n: int, noise: float, rng: np.random.Generator,
          classes: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """Isotropic Gaussian blobs of std ``noise`` centred at ``classes`` points of the unit circle.

    Centre ``k`` is at angle ``2 pi k / classes``; ``noise`` around 0.3 gives blobs
    that touch. ``X`` is standardised.

    Returns
    -------
    X : ndarray, float64, shape (n, 2)
    y : ndarray, int64, shape (n,)
    """
    noise = _check_noise(noise)
    y = _labels(_class_sizes(n, classes))
    angle = 2.0 * np.pi * y / classes
    X = np.stack([cos(angle), sin(angle)], axis=1)
    return _finish(X, y, noise, rng)


def digits() -> tuple[np.ndarray, np.ndarray]:
    """The 8x8 handwritten digits shipped with scikit-learn (1,797 samples, 10 classes).

    Returns
    -------
    X : ndarray, float64, shape (1797, 64)
        Pixel counts ``0..16`` of each row-major 8x8 image divided by 16, so in ``[0, 1]``.
    y : ndarray, int64, shape (1797,)
        The digit, ``0..9``.
    """
    with np.load(DIGITS_PATH) as f:
        X, y = f["X"], f["y"]
    return X.astype(np.float64) / 16.0, y.astype(np.int64)


def train_test_split(X: np.ndarray, y: np.ndarray, test_fraction: float,
                     rng: np.random.Generator):
    """Stratified random split: each class puts ``round(test_fraction * size)`` in the test set.

    Deterministic given the state of ``rng``. Both parts are in random order.

    Parameters
    ----------
    X : ndarray, shape (n, d)
    y : ndarray, shape (n,)
        Integer labels.
    test_fraction : float
        In ``[0, 1)``; ``0.0`` gives an empty test set of shape ``(0, d)``.
    rng : numpy.random.Generator

    Returns
    -------
    X_train : ndarray, shape (n_train, d)
    y_train : ndarray, shape (n_train,)
    X_test : ndarray, shape (n_test, d)
    y_test : ndarray, shape (n_test,)
    """
    X, y = np.asarray(X), np.asarray(y)
    if X.ndim != 2 or y.ndim != 1 or len(X) != len(y):
        raise ValueError(f"X (n, d) and y (n,) do not match: {X.shape} and {y.shape}")
    if not 0.0 <= test_fraction < 1.0:
        raise FieldError("test_fraction", f"test_fraction: {test_fraction!r} must be in [0, 1)")
    train, test = [], []
    for c in np.unique(y):
        idx = rng.permutation(np.flatnonzero(y == c))
        k = math.floor(test_fraction * len(idx) + 0.5)
        test.append(idx[:k])
        train.append(idx[k:])
    empty = np.zeros(0, dtype=np.int64)
    train = rng.permutation(np.concatenate(train + [empty]))
    test = rng.permutation(np.concatenate(test + [empty]))
    return X[train], y[train], X[test], y[test]


_GENERATORS = {f.__name__: f for f in (spirals, circles, moons, xor, checkerboard, blobs)}
_DEFAULT_CLASSES = {"blobs": 3, "digits": 10}


def load(name: str, n: int = 1000, noise: float = 0.05, seed: int = 0,
         test_fraction: float = 0.2, points=None, **options) -> dict:
    """A data set by name, split into train and test parts.

    Parameters
    ----------
    name : str
        One of :data:`DATASETS`, or ``custom`` (with ``points``).
    n : int
        Synthetic sets: number of points generated. ``digits``: at most this many
        samples are used, ``min(n, 1797)``, chosen by a seeded shuffle.
    noise : float
        Noise std of a synthetic set (``blobs`` wants something like 0.3); ignored by
        ``digits``.
    seed : int
        Seeds ``np.random.default_rng(seed)``, which draws the data, then the split.
    test_fraction : float
        Fraction of each class held out, in ``[0, 1)``.
    points : list, optional
        ``custom``: the points, ``[[x, y, class], ...]`` (:func:`custom`); ``n`` and ``noise``
        are then ignored. No other set takes them.
    **options
        Extra keyword arguments of the generator (``turns``, ``classes``, ``factor``,
        ``cells``); ``digits`` takes none.

    Returns
    -------
    dict
        ``X_train`` (n_train, d), ``y_train`` (n_train,), ``X_test`` (n_test, d),
        ``y_test`` (n_test,), ``n_classes`` (int) and ``n_features`` (int, ``d``).
    """
    if name not in CHOICES:
        raise FieldError("dataset", f"dataset: {name!r} is not one of {', '.join(CHOICES)}")
    rng = np.random.default_rng(seed)
    if points and name != "custom":
        raise FieldError("points", f"points: only dataset custom takes points, not {name!r}")
    if name == "custom":
        if options:
            raise TypeError(f"custom takes no options, got {', '.join(options)}")
        X, y = custom(points if points is not None else [])
    elif name == "digits":
        if options:
            raise TypeError(f"digits takes no options, got {', '.join(options)}")
        if int(n) != n or n < 1:
            raise FieldError("n", f"n: {n!r} is not a positive integer")
        X, y = digits()
        keep = rng.permutation(len(y))[: min(int(n), len(y))]
        X, y = X[keep], y[keep]
    else:
        X, y = _GENERATORS[name](n, noise, rng, **options)
    n_classes = (max(2, int(y.max()) + 1) if name == "custom"
                 else int(options.get("classes", _DEFAULT_CLASSES.get(name, 2))))
    X_train, y_train, X_test, y_test = train_test_split(X, y, test_fraction, rng)
    return {"X_train": X_train, "y_train": y_train, "X_test": X_test, "y_test": y_test,
            "n_classes": n_classes, "n_features": int(X.shape[1])}
