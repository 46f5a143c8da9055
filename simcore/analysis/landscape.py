"""Loss-landscape slices around a trained network (Li et al., 2018, "Visualizing the Loss
Landscape of Neural Nets", NeurIPS).

Around the trained parameters ``θ*`` the training loss is evaluated along a line and on a plane
spanned by random directions ``δ`` and ``η``:

    f(α)    = L(θ* + α·δ)
    f(α, β) = L(θ* + α·δ + β·η)

**Filter normalisation** (Li et al., Sec. 4): each direction starts as i.i.d. standard normal
entries shaped like the parameters, and every *filter* of it is rescaled to the norm of the
matching filter of ``θ*``, ``d_{i,j} ← d_{i,j} / ‖d_{i,j}‖ · ‖θ_{i,j}‖``. A filter is what
produces one output unit: for a dense layer ``Z = X @ W + b`` with ``W`` of shape
``(d_in, d_out)`` it is one column ``W[:, j]``, the incoming weights of output unit ``j`` (the
paper treats a fully connected layer as a 1×1 convolution). This removes the scale
invariance that ReLU and BN give the weights, so slices of different networks are comparable.

**Biases and BN, as the paper does.** Every one-dimensional parameter — dense biases and the BN
``gamma`` and ``beta`` — gets a zero direction, so it is not perturbed (the authors' code,
``--xignore biasbn``: "ignores the direction corresponding to bias and BN parameters (fill the
corresponding entries in the random vector with zeros)", github.com/tomgoldstein/loss-landscape,
``net_plotter.normalize_directions_for_weights``). The loss at every grid point is evaluated as
their ``eval_loss`` does, with the network in evaluation mode (``net.eval()``): BN uses the
running statistics of the trained network, which are not perturbed and not re-estimated. This
is exactly how :func:`simcore.train.evaluate` measures ``train_loss``, so ``f(0)`` equals the
trained network's reported training loss bit for bit.

Every function here is pure: the caller's network is deep-copied before any weight is changed.
"""

from __future__ import annotations

import copy
import time
from dataclasses import asdict

import numpy as np

from .. import budget
from ..messages import FieldError
from ..nets import Network
from ..train import TrainConfig, evaluate, train_network


def grid(points: int, span: float) -> np.ndarray:
    """``points`` coefficients from ``-span`` to ``span``, shape ``(points,)``.

    Built as ``span · (i − c) / c`` with ``c = (points − 1) / 2`` so the grid is exactly
    symmetric and, for odd ``points``, its middle entry is exactly ``0.0``.
    """
    if points < 2:
        return np.zeros(max(points, 0))
    c = (points - 1) / 2
    return span * (np.arange(points) - c) / c


def random_direction(net: Network, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """A standard normal array shaped like every parameter of ``net`` (keys of ``net.params``,
    in their order), before normalisation."""
    return {k: rng.standard_normal(v.shape) for k, v in net.params.items()}


def filter_normalize(direction: dict[str, np.ndarray], net: Network) -> dict[str, np.ndarray]:
    """Filter-normalised copy of ``direction`` (Li et al., 2018, Sec. 4).

    For a weight matrix ``W`` of shape ``(d_in, d_out)`` each column is rescaled,
    ``d[:, j] · ‖W[:, j]‖ / ‖d[:, j]‖``, so ``‖d[:, j]‖ = ‖W[:, j]‖``; a zero weight column gets a
    zero direction column. One-dimensional parameters (biases, BN ``gamma``/``beta``) get zeros.
    """
    out = {}
    for k, W in net.params.items():
        d = np.asarray(direction[k], dtype=float)
        if W.ndim <= 1:
            out[k] = np.zeros_like(W)
            continue
        dn = np.linalg.norm(d, axis=0)
        wn = np.linalg.norm(W, axis=0)
        out[k] = d * np.where(dn > 0, wn / np.where(dn > 0, dn, 1.0), 0.0)
    return out


def directions(net: Network, seed: int, count: int = 2) -> list[dict[str, np.ndarray]]:
    """``count`` filter-normalised random directions for ``net`` from one seeded generator
    (``default_rng([seed, 7])``): networks with the same parameter shapes get the same raw
    Gaussian draws, each normalised to its own weights."""
    rng = np.random.default_rng([seed, 7])
    return [filter_normalize(random_direction(net, rng), net) for _ in range(count)]


def surface(net: Network, X: np.ndarray, y: np.ndarray, delta: dict, eta: dict | None,
            alphas: np.ndarray, betas: np.ndarray | None = None,
            loss: str = "cross_entropy") -> tuple[np.ndarray, np.ndarray]:
    """Loss and accuracy of ``net`` on ``(X, y)`` at ``θ* + α·δ (+ β·η)``, evaluation mode.

    Parameters
    ----------
    delta, eta : dict of arrays keyed like ``net.params`` (``eta`` None for a 1-D slice)
    alphas : array, shape (a,);  betas : array, shape (b,) or None

    Returns
    -------
    (loss, acc) : arrays of shape ``(a,)`` for a 1-D slice or ``(a, b)`` for a 2-D one, with
    ``[i, j]`` at ``(alphas[i], betas[j])``; a non-finite loss stays NaN/inf here.
    Parameters are set as ``(θ* + α·δ) + β·η``, so ``β = 0`` reproduces the 1-D slice exactly.
    """
    work = copy.deepcopy(net)
    params = work.params  # flat views of the copy's arrays: writing into them sets the weights
    theta = {k: v.copy() for k, v in params.items()}
    bs = [None] if eta is None else list(betas)
    L = np.empty((len(alphas), len(bs)))
    A = np.empty_like(L)
    with np.errstate(all="ignore"):
        for i, a in enumerate(alphas):
            for j, b in enumerate(bs):
                for k, p in params.items():
                    v = theta[k] + a * delta[k]
                    p[...] = v if b is None else v + b * eta[k]
                L[i, j], A[i, j] = evaluate(work, X, y, loss)
    return (L[:, 0], A[:, 0]) if eta is None else (L, A)


def _f(x) -> float | None:
    x = float(x)
    return x if np.isfinite(x) else None


def summary_1d(alphas: np.ndarray, L: np.ndarray) -> dict:
    """Numbers for one slice ``f(α)`` (``L`` shape ``(a,)``, ``alphas`` symmetric about 0).

    ``center`` f(0) (the middle entry), ``min`` and ``argmin`` (the α of the minimum),
    ``edges`` [f(−span), f(span)], ``rise`` = mean(edges) − center (how much the loss climbs
    within the span: larger is sharper), ``curvature`` = (f(h) − 2f(0) + f(−h)) / h² at the
    grid step ``h``, ``local_minima`` (interior points below both neighbours) and ``roughness``,
    the total variation in excess of a single valley, ``Σ|Δf| / (f(−s) + f(s) − 2 min) − 1``:
    0 when the slice only falls then rises, growing with every extra bump (None when flat).
    Any non-finite value makes the numbers that need it None.
    """
    m = len(L) // 2
    ok = np.isfinite(L).all()
    h = alphas[m + 1] - alphas[m] if len(L) > 2 else None
    out = {"center": _f(L[m]), "edges": [_f(L[0]), _f(L[-1])], "min": None, "argmin": None,
           "rise": None, "curvature": None, "local_minima": None, "roughness": None}
    if not ok:
        return out
    i = int(np.argmin(L))
    valley = L[0] + L[-1] - 2 * L[i]
    out.update(min=_f(L[i]), argmin=_f(alphas[i]), rise=_f((L[0] + L[-1]) / 2 - L[m]),
               local_minima=int(np.sum((L[1:-1] < L[:-2]) & (L[1:-1] < L[2:]))),
               roughness=_roughness(L, valley))
    if h:
        out["curvature"] = _f((L[m + 1] - 2 * L[m] + L[m - 1]) / h**2)
    return out


def _roughness(L: np.ndarray, valley: float) -> float | None:
    if not valley > 0:
        return None
    r = float(np.abs(np.diff(L)).sum() / valley - 1)
    return 0.0 if abs(r) < 1e-12 else r  # a single valley up to rounding


def summary_2d(alphas: np.ndarray, L: np.ndarray) -> dict:
    """Numbers for a surface ``f(α, β)`` (``L`` shape ``(a, a)`` on ``alphas`` × ``alphas``).

    ``center``, ``min``, ``max``, ``edge_mean`` (mean over the boundary of the square),
    ``rise`` = edge_mean − center, ``local_minima`` (interior points strictly below their 8
    neighbours) and ``nonconvex_fraction``: the share of interior points where the
    finite-difference Hessian ``[[f_αα, f_αβ], [f_αβ, f_ββ]]`` has a negative eigenvalue
    (Li et al., Sec. 6, map ``|λ_min/λ_max|`` of the full Hessian; this is its 2-D analogue on the
    plotted plane). None where a value is not finite.
    """
    m = L.shape[0] // 2
    out = {"center": _f(L[m, m]), "min": None, "max": None, "edge_mean": None, "rise": None,
           "local_minima": None, "nonconvex_fraction": None}
    if not np.isfinite(L).all():
        return out
    edge = np.concatenate([L[0], L[-1], L[1:-1, 0], L[1:-1, -1]])
    inner = L[1:-1, 1:-1]
    nb = [L[1 + di:L.shape[0] - 1 + di, 1 + dj:L.shape[1] - 1 + dj]
          for di in (-1, 0, 1) for dj in (-1, 0, 1) if di or dj]
    out.update(min=_f(L.min()), max=_f(L.max()), edge_mean=_f(edge.mean()),
               rise=_f(edge.mean() - L[m, m]),
               local_minima=int(np.all([inner < n for n in nb], axis=0).sum()))
    if L.shape[0] >= 3:
        h = alphas[1] - alphas[0]
        faa = (L[2:, 1:-1] - 2 * inner + L[:-2, 1:-1]) / h**2
        fbb = (L[1:-1, 2:] - 2 * inner + L[1:-1, :-2]) / h**2
        fab = (L[2:, 2:] - L[2:, :-2] - L[:-2, 2:] + L[:-2, :-2]) / (4 * h * h)
        lam_min = (faa + fbb) / 2 - np.sqrt(((faa - fbb) / 2) ** 2 + fab**2)
        out["nonconvex_fraction"] = float(np.mean(lam_min < 0))
    return out


# --- the api task -------------------------------------------------------------------------

NAME = "landscape"
HELP = "filter-normalised loss-landscape slices around trained plain and residual nets"
FIELDS = {
    "landscape_points_1d": ("int", (3, 201)),
    "landscape_points_2d": ("int", (3, 31)),
    "landscape_span": ("float", (0.01, 5.0)),
}
DEFAULTS = {**{k: v for k, v in asdict(TrainConfig()).items() if k not in ("kind", "grid")},
            "n": 400, "width": 16, "depth": 20, "epochs": 20,
            "landscape_points_1d": 41, "landscape_points_2d": 11, "landscape_span": 1.0}


def _odd(cfg: dict, field: str) -> None:
    if cfg[field] % 2 == 0:
        lo, hi = FIELDS[field][1]
        raise FieldError(field, f"{field}: {cfg[field]} is not allowed (must be odd so that 0 is on the "
                         f"grid); expected an odd integer in [{lo}, {hi}]")


def _floats(a: np.ndarray) -> list:
    return [[_f(v) for v in row] for row in a] if a.ndim == 2 else [_f(v) for v in a]


WORK_FIELDS = "epochs, n, depth, width, landscape_points_2d or landscape_points_1d"


def work(cfg: dict) -> float:
    """The work of :func:`task` (see :mod:`simcore.budget`): two training runs, then the training
    set through each net at every point of the line and of the plane."""
    n_train = budget.data_shape(cfg)[1]
    points = cfg["landscape_points_1d"] + cfg["landscape_points_2d"] ** 2
    return sum(budget.training(cfg, kind, cfg["depth"])
               + budget.evaluation(cfg, kind, cfg["depth"], n_train, points)
               for kind in ("plain", "residual"))


def task(cfg: dict) -> dict:
    """Train a plain and a residual net with otherwise equal settings, then slice their loss.

    Returns ``alphas_1d`` and ``alphas_2d`` (the grids, also used for β) and per kind: the
    training ``status``, ``train_loss`` and ``train_acc`` of the trained net (evaluation mode),
    ``slice_1d`` {``loss``, ``acc``} along ``δ``, ``slice_2d`` {``loss``} with ``[i][j]`` at
    ``(α_i, β_j)`` along ``(δ, η)``, and ``summary_1d`` / ``summary_2d`` (see
    :func:`summary_1d`, :func:`summary_2d`). Directions come from ``seed`` (see
    :func:`directions`). Non-finite losses are ``None``.
    """
    _odd(cfg, "landscape_points_1d")
    _odd(cfg, "landscape_points_2d")
    start = time.perf_counter()
    span = cfg["landscape_span"]
    a1, a2 = grid(cfg["landscape_points_1d"], span), grid(cfg["landscape_points_2d"], span)
    run = {k: v for k, v in cfg.items() if not k.startswith("landscape_")}
    out: dict = {"config": cfg, "alphas_1d": a1.tolist(), "alphas_2d": a2.tolist()}
    for kind in ("plain", "residual"):
        for rec, net, ds in train_network(TrainConfig(**run, kind=kind)):
            pass
        net = copy.deepcopy(net)
        X, y = ds["X_train"], ds["y_train"]
        delta, eta = directions(net, cfg["seed"])
        L1, A1 = surface(net, X, y, delta, None, a1, loss=cfg["loss"])
        L2, _ = surface(net, X, y, delta, eta, a2, a2, loss=cfg["loss"])
        out[kind] = {
            "status": rec["status"], "train_loss": rec["train_loss"], "train_acc": rec["train_acc"],
            "slice_1d": {"loss": _floats(L1), "acc": _floats(A1)},
            "slice_2d": {"loss": _floats(L2)},
            "summary_1d": summary_1d(a1, L1), "summary_2d": summary_2d(a2, L2),
        }
    out["elapsed"] = time.perf_counter() - start
    return out


def text(res: dict) -> str:
    cfg = res["config"]
    lines = [f"loss landscape of plain vs residual nets (depth {cfg['depth']}, width "
             f"{cfg['width']}, {cfg['epochs']} epochs on {cfg['dataset']}), filter-normalised "
             f"directions, span ±{cfg['landscape_span']:g}",
             f"{'':>22}  {'plain':>10}  {'residual':>10}"]

    def row(name, a, b):
        fmt = lambda v: "-" if v is None else f"{v:10.4g}"  # noqa: E731
        lines.append(f"{name:>22}  {fmt(a):>10}  {fmt(b):>10}")

    p, r = res["plain"], res["residual"]
    row("train loss", p["train_loss"], r["train_loss"])
    for key in ("min", "rise", "curvature", "roughness", "local_minima"):
        row(f"1-D {key}", p["summary_1d"][key], r["summary_1d"][key])
    for key in ("min", "rise", "local_minima", "nonconvex_fraction"):
        row(f"2-D {key}", p["summary_2d"][key], r["summary_2d"][key])
    lines.append(f"{'α':>8}  {'plain':>10}  {'residual':>10}")
    for a, lp, lr in list(zip(res["alphas_1d"], p["slice_1d"]["loss"], r["slice_1d"]["loss"]))[::5]:
        lines.append(f"{a:8.3f}  {'-' if lp is None else f'{lp:10.4g}':>10}  "
                     f"{'-' if lr is None else f'{lr:10.4g}':>10}")
    return "\n".join(lines)
