"""Shattered gradients (Balduzzi et al., 2017, "The Shattered Gradients Problem: If resnets are
the answer, then what is the question?", ICML).

Walk the input along a line ``x(t) = t·e_0 + c·e_1`` through the 2-D input space
(``t ∈ [−span, span]`` on an even grid, ``c`` the offset) and record the derivative of a scalar
output along it,

    g(t) = d f(x(t)) / dt = ∇_x f(x(t)) · e_0,      f(x) = z_1(x) − z_0(x)

(the margin of logit 1 over logit 0: the decision function of a two-class net). In a shallow
ReLU net ``g`` is piecewise constant with few jumps and looks like brown noise; the paper shows
that in deep feedforward nets the correlation between gradients at nearby inputs decays
exponentially with depth, so ``g`` looks like white noise ("shattered"), while skip
connections make the decay far slower. The measure here is the normalised autocorrelation of
the sequence ``g_i = g(t_i)``,

    ρ(k) = Σ_{i<N−k} (g_i − ḡ)(g_{i+k} − ḡ) / Σ_i (g_i − ḡ)²,      k = 0..K,

so ``ρ(0) = 1``; brown noise has ``ρ(1) ≈ 1``, white noise ``ρ(1) ≈ 0`` (the paper's Fig. 1–3).

**BN.** Nets are measured as :func:`simcore.train.train_network` yields them: at epoch 0 (the
default, the paper's setting) the BN running statistics are those of the training inputs.
Gradients are taken in *evaluation mode*: in training mode BN's batch statistics couple the
points of the batch, so ``∂f(x_i)/∂x_j ≠ 0`` for ``i ≠ j`` and the per-point derivative is not
defined; with running statistics every point is processed alone.

**Without BN** every bias starts at zero, so the net is positively homogeneous,
``f(λx) = λ f(x)`` for ``λ > 0``, and its linear regions are cones from the origin: along a line
through the origin the gradient would have a single jump. The offset ``c ≠ 0`` keeps the line
away from the origin, so it crosses many regions.

The shallow reference (``depth 2``: stem → head, one hidden layer, the paper's "1-layer
feedforward" net) is built from the same config with the blocks removed; it is always at
initialisation. Every function here is pure: networks are deep-copied before they run.
"""

from __future__ import annotations

import copy
import time
from dataclasses import asdict

import numpy as np

from .. import budget
from .. import data as _data
from ..messages import FieldError
from ..nets import Network
from ..portable import dot
from ..train import TrainConfig, train_network


def line(points: int, span: float, offset: float) -> tuple[np.ndarray, np.ndarray]:
    """``(t, X)``: ``t`` shape ``(points,)`` evenly from ``−span`` to ``span`` and the inputs
    ``X[i] = (t_i, offset)``, shape ``(points, 2)``."""
    t = np.linspace(-span, span, points)
    return t, np.stack([t, np.full(points, float(offset))], axis=1)


def input_gradients(net: Network, X: np.ndarray) -> np.ndarray:
    """``∇_x f`` at every row of ``X`` (shape ``(n, d_in)``), ``f = z_1 − z_0`` (``z_0`` alone
    for a one-output head), in evaluation mode on a copy of ``net``. Returns ``(n, d_in)``."""
    net = copy.deepcopy(net)
    Z = net.forward(X, train=False)
    dZ = np.zeros_like(Z)
    if Z.shape[1] > 1:
        dZ[:, 0], dZ[:, 1] = -1.0, 1.0
    else:
        dZ[:, 0] = 1.0
    return net.backward(dZ)


def scalar_output(net: Network, X: np.ndarray) -> np.ndarray:
    """``f(x)`` for every row of ``X`` (evaluation mode, on a copy), shape ``(n,)``."""
    Z = copy.deepcopy(net).forward(X, train=False)
    return Z[:, 1] - Z[:, 0] if Z.shape[1] > 1 else Z[:, 0]


def autocorrelation(g: np.ndarray, max_lag: int) -> np.ndarray:
    """Normalised autocorrelation ``ρ(0..max_lag)`` of the sequence ``g`` (shape ``(N,)``),
    the formula in the module docstring; all NaN when ``g`` is constant or not finite."""
    g = np.asarray(g, dtype=float)
    c = g - g.mean()
    den = dot(c, c)
    if not np.isfinite(den) or den <= 0:
        return np.full(max_lag + 1, np.nan)
    n = len(c)
    return np.array([dot(c[: n - k], c[k:]) / den for k in range(max_lag + 1)])


def decorrelation_lag(acf: np.ndarray, level: float = 0.5) -> int | None:
    """The first lag with ``ρ(k) < level``; None if there is none up to the last lag."""
    below = np.flatnonzero(acf < level)
    return int(below[0]) if below.size else None


def measured_network(cfg: TrainConfig) -> tuple[Network, dict, str]:
    """``(net, data, status)``: the network of ``cfg`` after ``cfg.epochs`` of
    :func:`simcore.train.train_network`. With 0 epochs only what that generator does before
    its first record is repeated (load the data, build the net, set the BN running statistics
    from the training inputs), without its evaluation passes: the same weights, and running
    statistics equal up to the last bit (the generator's full-batch training-mode pass then
    averages them with themselves, ``0.9·v + 0.1·v``)."""
    if cfg.epochs == 0:
        ds = _data.load(cfg.dataset, n=cfg.n, noise=cfg.noise, seed=cfg.seed,
                        test_fraction=cfg.test_fraction, points=cfg.points)
        net = Network(cfg.net_config(ds["n_features"], ds["n_classes"]))
        with np.errstate(all="ignore"):
            net.calibrate_bn(ds["X_train"])
        return net, ds, "done"
    for rec, net, ds in train_network(cfg):
        pass
    return net, ds, rec["status"]


def shallow_network(cfg: TrainConfig, X_calibrate: np.ndarray, n_classes: int) -> Network:
    """The one-hidden-layer net of ``cfg`` (stem → head, depth 2), BN calibrated on
    ``X_calibrate``; the depth-4 net of the same config with its block removed."""
    net = Network(TrainConfig(**{**asdict(cfg), "depth": 4}).net_config(X_calibrate.shape[1],
                                                                         n_classes))
    net.blocks = []
    net.calibrate_bn(X_calibrate)
    return net


# --- the api task -------------------------------------------------------------------------

NAME = "shattering"
HELP = "shattered gradients: autocorrelation of df/dx along a line, plain vs residual, BN on/off"
FIELDS = {
    "shatter_points": ("int", (16, 1024)),
    "shatter_span": ("float", (0.1, 10.0)),
    "shatter_offset": ("float", (-5.0, 5.0)),
    "shatter_max_lag": ("int", (1, 256)),
    "shatter_runs": ("int", (1, 8)),
}
DEFAULTS = {**{k: v for k, v in asdict(TrainConfig()).items()
               if k not in ("kind", "depth", "norm", "grid")},
            "n": 400, "width": 32, "epochs": 0, "depths": [4, 10, 24, 50],
            "shatter_points": 256, "shatter_span": 2.0, "shatter_offset": 1.0,
            "shatter_max_lag": 32, "shatter_runs": 3}


def _f(x) -> float | None:
    x = float(x)
    return x if np.isfinite(x) else None


def _entry(gs: list[np.ndarray], max_lag: int) -> dict:
    acfs = np.array([autocorrelation(g, max_lag) for g in gs])
    mean = acfs.mean(axis=0)
    return {"gradients": [_f(v) for v in gs[0]], "acf": [_f(v) for v in mean],
            "lag1": _f(mean[1]), "lag1_runs": [_f(a[1]) for a in acfs],
            "decorrelation_lag": decorrelation_lag(mean) if np.isfinite(mean).all() else None}


WORK_FIELDS = "depths, shatter_runs, epochs, n, width or shatter_points"


def work(cfg: dict) -> float:
    """The work of :func:`task` (see :mod:`simcore.budget`): with and without batch norm, per
    depth, kind and run, a network trained for ``epochs`` (0: built and calibrated) and its
    input gradient at every point of the line; a shallow net per run."""
    P, runs = cfg["shatter_points"], cfg["shatter_runs"]
    total = 0.0
    for depth in list(cfg["depths"]) + [4]:       # (the shallow nets cost less than a depth 4)
        for kind in ("plain", "residual"):
            total += 2 * runs * (budget.training(cfg, kind, depth)
                                 + 3 * budget.evaluation(cfg, kind, depth, P))
    return total


def task(cfg: dict) -> dict:
    """Autocorrelation of input gradients along a line, plain vs residual, with and without BN.

    Run ``r`` (of ``shatter_runs``) uses ``seed + r`` for data and weights. For ``bn`` and
    ``no_bn``: ``shallow`` (depth 2, at initialisation) and, per kind, one entry per depth
    in ``depths``, each with ``gradients`` (``g(t_i)`` of run 0), ``acf`` (``ρ(0..max_lag)``
    averaged over runs), ``lag1`` (its ``ρ(1)``), ``lag1_runs`` and ``decorrelation_lag`` (first
    lag with ``ρ < 0.5``, None if beyond ``max_lag``); ``status`` of each run's training (only
    relevant when ``epochs > 0``). ``reference`` holds the same for white and brown noise of
    the same length. ``t`` is the line parameter. Non-finite values are None.
    """
    if cfg["dataset"] == "digits":
        flat = ", ".join(d for d in _data.DATASETS if d != "digits")
        raise FieldError("dataset", "dataset: 'digits' is not allowed (the line lies in a 2-D input "
                         f"space); expected one of {flat}")
    K, P = cfg["shatter_max_lag"], cfg["shatter_points"]
    if K >= P:
        raise FieldError("shatter_max_lag", f"shatter_max_lag: {K} is not allowed (needs fewer lags than the "
                         f"{P} shatter_points); expected an integer in [1, {P - 1}]")
    start = time.perf_counter()
    t, X = line(P, cfg["shatter_span"], cfg["shatter_offset"])
    run = {k: v for k, v in cfg.items() if not k.startswith("shatter_") and k != "depths"}
    runs = range(cfg["shatter_runs"])
    out: dict = {"config": cfg, "t": t.tolist(), "depths": list(cfg["depths"])}
    for key, norm in (("bn", True), ("no_bn", False)):
        res: dict = {"plain": [], "residual": [], "status": []}
        shallow = []
        for depth in cfg["depths"]:
            for kind in ("plain", "residual"):
                gs = []
                for r in runs:
                    tc = TrainConfig(**{**run, "seed": cfg["seed"] + r}, kind=kind, depth=depth,
                                     norm=norm)
                    net, ds, status = measured_network(tc)
                    res["status"].append(status)
                    gs.append(input_gradients(net, X)[:, 0])
                    if len(shallow) < len(runs):
                        shallow.append(input_gradients(
                            shallow_network(tc, ds["X_train"], ds["n_classes"]), X)[:, 0])
                res[kind].append({"depth": depth, **_entry(gs, K)})
        res["shallow"] = {"depth": 2, **_entry(shallow, K)}
        res["status"] = sorted(set(res["status"]))
        out[key] = res
    rng = np.random.default_rng([cfg["seed"], 3])
    white = [rng.standard_normal(P) for _ in runs]
    brown = [np.cumsum(w) for w in white]
    out["reference"] = {"white": _entry(white, K), "brown": _entry(brown, K)}
    out["lags"] = list(range(K + 1))
    out["elapsed"] = time.perf_counter() - start
    return out


def text(res: dict) -> str:
    cfg = res["config"]
    lines = [f"gradient autocorrelation at lag 1 along x(t) = (t, {cfg['shatter_offset']:g}), "
             f"t in ±{cfg['shatter_span']:g}, {cfg['shatter_points']} points, width "
             f"{cfg['width']}, {cfg['layout']}-activation, {cfg['epochs']} epochs, mean of "
             f"{cfg['shatter_runs']} runs (1 = smooth like brown noise, 0 = shattered)",
             f"{'depth':>6}  {'plain+BN':>9}  {'resid+BN':>9}  {'plain':>9}  {'resid':>9}"]
    fmt = lambda v: "-" if v is None else f"{v:9.3f}"  # noqa: E731
    b, n = res["bn"], res["no_bn"]
    lines.append(f"{2:>6}  {fmt(b['shallow']['lag1']):>9}  {fmt(b['shallow']['lag1']):>9}  "
                 f"{fmt(n['shallow']['lag1']):>9}  {fmt(n['shallow']['lag1']):>9}")
    for i, d in enumerate(res["depths"]):
        lines.append(f"{d:>6}  {fmt(b['plain'][i]['lag1']):>9}  {fmt(b['residual'][i]['lag1']):>9}"
                     f"  {fmt(n['plain'][i]['lag1']):>9}  {fmt(n['residual'][i]['lag1']):>9}")
    ref = res["reference"]
    lines.append(f"reference: brown noise {fmt(ref['brown']['lag1']).strip()}, "
                 f"white noise {fmt(ref['white']['lag1']).strip()}")
    return "\n".join(lines)
