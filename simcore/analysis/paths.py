"""The unrolled view of a residual stack (Veit, Wilber & Belongie, 2016, §3 and §5).

A pre-activation stack of ``n`` blocks ``x_{l+1} = x_l + F_l(x_l)`` unrolls into ``2^n`` paths:
each path picks, in every block, either the skip or the residual branch, and its *length* is the
number of branches it goes through. There are ``C(n, k)`` paths of length ``k``: path lengths
follow Binomial(n, 1/2), centred on ``n/2``.

Gradients unroll exactly. With ``J_l = ∂F_l/∂x`` at the forward point (``J_l[i, j] =
∂F_l[i]/∂x[j]``), the input–output Jacobian of the stack and the gradient at its input are

    ∂x_n/∂x_0 = (I + J_{n-1}) ··· (I + J_1) (I + J_0) = Σ_{S ⊆ {0..n-1}} J_S,
    ∂L/∂x_0 = ∂L/∂x_n · ∂x_n/∂x_0,   J_S = J_{s_k}···J_{s_1} for S = {s_1 < ... < s_k},

the sum over all ``2^n`` paths (for linear blocks the ``J_l`` are constant matrices ``A_l`` and
this is the identity ``(I + A_n)···(I + A_1) = Σ_S A_S`` itself). Grouping the paths by length
gives the gradient ``G_k`` that reaches the input through paths of length exactly ``k``, with
``Σ_k G_k = ∂L/∂x_0``. :func:`gradient_by_length` computes every ``G_k`` exactly with one
recursion over the blocks (no sampling): going down through block ``l``,
``G_k ← skip_l(G_k) + branch_l(G_{k−1})``, where ``skip_l``/``branch_l`` are the backward passes
(vector–Jacobian products) through the skip and through ``α·F_l``.

The paper's own measurement (its Fig. 6) is also here, :func:`sampled_path_norms`: for each ``k``
draw paths of length ``k`` (which ``k`` blocks propagate through their branch; the rest only
through the skip), measure the norm of the gradient that one path delivers at the input, average
over draws, and multiply by ``C(n, k)`` for the total gradient magnitude per length. That total
bounds ``|G_k|`` from above (paths of equal length may cancel). Both peak far below ``n/2``: most
gradient comes from short paths, because every pass through a branch shrinks it.

Post-activation blocks ``y = act(x + α·F(x))`` unroll too: ``act'`` multiplies both terms, so the
skip factor is ``D_l`` (the activation's derivative) instead of ``I``; the identity above still
holds with ``(D_l + D_l J_l)`` per block. Gradients are those of the mean cross-entropy over the
batch, in training mode by default (BN with batch statistics, the optimiser's view).
"""

from __future__ import annotations

import copy
import math
import time
from dataclasses import asdict
from itertools import combinations

import numpy as np

from .. import budget
from ..blocks import ResidualBlock
from ..losses import softmax_cross_entropy
from ..messages import FieldError, finite
from ..nets import Network
from ..portable import dot, norm
from ..train import TrainConfig, train_network


def path_counts(n: int) -> list[int]:
    """``[C(n, 0), ..., C(n, n)]``: the number of paths of each length through ``n`` blocks
    (they sum to ``2^n``)."""
    return [math.comb(n, k) for k in range(n + 1)]


def _skip(block: ResidualBlock, g: np.ndarray) -> np.ndarray:
    """Backward through the skip only: ``g·D·∂s/∂x`` (``D = I`` without a post-activation)."""
    dS = block.out_act.backward(g) if block.out_act else g
    return dS if block.shortcut is None else block.shortcut.backward(dS)


def _branch(block: ResidualBlock, g: np.ndarray) -> np.ndarray:
    """Backward through the residual branch only: ``g·D·α·∂F/∂x``."""
    dS = block.out_act.backward(g) if block.out_act else g
    return block.branch.backward(block.alpha * dS)


def _unrolled(net: Network, X: np.ndarray, train: bool) -> tuple[Network, np.ndarray]:
    """A private copy of ``net`` run forward on ``X`` (so every block caches its activations)
    and the stack's output ``x_n``."""
    net = copy.deepcopy(net)
    if not net.blocks or not all(isinstance(b, ResidualBlock) for b in net.blocks):
        raise FieldError("kind", f"kind: {net.config.kind!r} does not unroll into paths; expected residual")
    h = net.stem.forward(X, train)
    for b in net.blocks:
        h = b.forward(h, train)
    return net, h


def _loss_seed(net: Network, h: np.ndarray, y: np.ndarray, train: bool) -> np.ndarray:
    _, dZ = softmax_cross_entropy(net.head.forward(h, train), y, net.arithmetic)
    return net.head.backward(dZ)  # ∂L/∂x_n


def _path(blocks: list, g: np.ndarray, subset) -> np.ndarray:
    on = set(int(i) for i in subset)
    if any(not 0 <= i < len(blocks) for i in on):
        raise FieldError("subset", f"subset: {sorted(on)} holds a block index outside 0..{len(blocks) - 1}")
    for i in reversed(range(len(blocks))):
        g = _branch(blocks[i], g) if i in on else _skip(blocks[i], g)
    return g


# --8<-- [start:by-length]
def _by_length(blocks: list, g: np.ndarray) -> np.ndarray:
    n = len(blocks)
    G = [g] + [np.zeros_like(g) for _ in range(n)]
    for j, b in enumerate(reversed(blocks)):  # j blocks already passed: only G[0..j] nonzero
        new = [_skip(b, G[0])]
        for k in range(1, j + 2):
            new.append(_branch(b, G[k - 1]) + (_skip(b, G[k]) if k <= j else 0.0))
        G[: j + 2] = new
    return np.stack(G)
# --8<-- [end:by-length]


def path_gradient(net: Network, X: np.ndarray, y: np.ndarray, subset,
                  train: bool = True) -> np.ndarray:
    """``∂L/∂x_0`` through the single path that takes the branch in the blocks of ``subset``
    (indices ``0..n-1``) and the skip everywhere else; shape ``(batch, width)``."""
    net, h = _unrolled(net, X, train)
    return _path(net.blocks, _loss_seed(net, h, y, train), subset)


def gradient_by_length(net: Network, X: np.ndarray, y: np.ndarray,
                       train: bool = True) -> np.ndarray:
    """``G_k``, the part of ``∂L/∂x_0`` carried by all paths of length ``k``, exactly:
    shape ``(n + 1, batch, width)``; ``G.sum(axis=0)`` is the full gradient ``∂L/∂x_0``."""
    net, h = _unrolled(net, X, train)
    return _by_length(net.blocks, _loss_seed(net, h, y, train))


def path_jacobian(net: Network, x: np.ndarray, subset) -> np.ndarray:
    """The stack's Jacobian ``∂x_n/∂x_0`` through one path, at one input ``x`` (shape
    ``(d_in,)``), evaluation mode: ``(width, width)``, ``J[i, j] = ∂x_n[i]/∂x_0[j]``."""
    net, h = _unrolled(net, np.repeat(x[None, :], net.config.width, axis=0), False)
    return _path(net.blocks, np.eye(h.shape[1]), subset)


def jacobian_by_length(net: Network, x: np.ndarray) -> np.ndarray:
    """The stack's Jacobian at ``x`` split by path length, evaluation mode: shape
    ``(n + 1, width, width)``, summing to the full Jacobian ``∂x_n/∂x_0``."""
    net, h = _unrolled(net, np.repeat(x[None, :], net.config.width, axis=0), False)
    return _by_length(net.blocks, np.eye(h.shape[1]))


def sampled_path_norms(net: Network, X: np.ndarray, y: np.ndarray, samples: int,
                       rng: np.random.Generator, train: bool = True) -> dict:
    """The paper's Fig. 6 measurement: per length ``k``, the norm ``|∂L/∂x_0|`` (Frobenius,
    over the batch) delivered by single paths of length ``k``.

    Uses every path of length ``k`` when there are at most ``samples`` of them, else ``samples``
    paths drawn uniformly. Returns lists indexed by ``k = 0..n``: ``mean`` and ``std`` of the
    per-path norm, ``paths`` measured, ``exhaustive`` flags and ``total = C(n, k) · mean``.
    """
    net, h = _unrolled(net, X, train)
    g = _loss_seed(net, h, y, train)
    n = len(net.blocks)
    out: dict = {"mean": [], "std": [], "paths": [], "exhaustive": [], "total": []}
    for k in range(n + 1):
        c = math.comb(n, k)
        if c <= samples:
            subsets = list(combinations(range(n), k))
        else:
            subsets = [rng.choice(n, size=k, replace=False) for _ in range(samples)]
        norms = np.array([norm(_path(net.blocks, g, s)) for s in subsets])
        out["mean"].append(float(norms.mean()))
        out["std"].append(float(norms.std()))
        out["paths"].append(len(subsets))
        out["exhaustive"].append(c <= samples)
        out["total"].append(float(c * norms.mean()))
    return out


def _distribution(values: list[float]) -> tuple[list[float] | None, int | None, float | None]:
    """``(share, peak, mean length)`` of non-negative values per length; ``None`` if any is
    not finite or all are zero."""
    v = np.array(values)
    if not np.isfinite(v).all() or v.sum() <= 0:
        return None, None, None
    share = v / v.sum()
    return share.tolist(), int(np.argmax(v)), dot(share, np.arange(len(v)))


def summary(net: Network, X: np.ndarray, y: np.ndarray, samples: int,
            rng: np.random.Generator, train: bool = True) -> dict:
    """Gradient at the stack input per path length ``k = 0..n``, both ways.

    The paper's sampled measurement (:func:`sampled_path_norms`): ``per_path`` (mean norm of one
    path's gradient), ``per_path_std``, ``paths_measured``, ``total`` (``C(n, k)·per_path``) and
    its ``share``, ``peak`` and ``mean_length``. The exact split (:func:`gradient_by_length`):
    ``exact`` (``|G_k|``) and its ``exact_share``, ``exact_peak``, ``exact_mean_length`` (shares
    of ``Σ_k |G_k|``). Non-finite values (overflow in an unnormalised net) are ``None``, and so
    are the shares, peaks and means built on them.
    """
    s = sampled_path_norms(net, X, y, samples, rng, train)
    exact = [norm(G) for G in gradient_by_length(net, X, y, train)]
    share, peak, mean = _distribution(s["total"])
    e_share, e_peak, e_mean = _distribution(exact)
    return {"per_path": [finite(v) for v in s["mean"]],
            "per_path_std": [finite(v) for v in s["std"]],
            "paths_measured": s["paths"], "total": [finite(v) for v in s["total"]],
            "share": share, "peak": peak, "mean_length": mean,
            "exact": [finite(v) for v in exact], "exact_share": e_share, "exact_peak": e_peak,
            "exact_mean_length": e_mean}


# --- the api task -------------------------------------------------------------------------

NAME = "paths"
HELP = "unrolled residual stack: path counts and gradient per path length (Veit et al. 2016)"
FIELDS = {"path_samples": ("int", (1, 100))}
DEFAULTS = {**{k: v for k, v in asdict(TrainConfig()).items() if k != "kind"},
            "n": 400, "depth": 56, "width": 16, "layout": "pre", "epochs": 10,
            "path_samples": 10}


WORK_FIELDS = "depth, path_samples, epochs, n, width or batch_size"


def work(cfg: dict) -> float:
    """The work of :func:`task` (see :mod:`simcore.budget`): a training run, then twice (at
    initialisation and after training) a backward pass through the whole stack per sampled
    path and the exact split by length (``(n + 1)²`` branch passes)."""
    n_train, depth = budget.data_shape(cfg)[1], cfg["depth"]
    n = (depth - 2) // (3 if cfg["bottleneck"] else 2)
    batch = min(cfg["batch_size"], n_train)
    paths = sum(min(math.comb(n, k), cfg["path_samples"]) for k in range(n + 1))
    # the exact split: (n + 1)² branch passes, each about a block's share of a whole pass
    passes = paths + 1 + -(-(n + 1) ** 2 // max(n, 1))
    return budget.training(cfg, "residual", depth) + 2 * 3 * budget.evaluation(cfg, "residual", depth, batch, passes)


def task(cfg: dict) -> dict:
    """Unroll a residual net (kind residual, every other setting from ``cfg``) into its paths.

    Returns ``n_blocks``; ``lengths`` (``0..n``) and ``counts`` (``C(n, k)``, summing to ``2^n``);
    ``binomial_peak`` (``n/2``, where the path counts peak); ``init`` (He-initialised, BN
    statistics from the training set) and ``final`` (after ``epochs``; the same as ``init`` when
    ``epochs`` is 0), each the :func:`summary` on one training mini-batch of ``batch_size``
    points (the same batch for both; drawn, like the ``path_samples`` sampled paths per length,
    from a generator seeded by ``seed``); ``status`` of the training run and ``elapsed`` seconds.
    """
    start = time.perf_counter()
    run = {k: v for k, v in cfg.items() if k != "path_samples"}
    rng = np.random.default_rng([cfg["seed"], 11])
    init = None
    with np.errstate(all="ignore"):  # a diverged net gives None, not warnings
        for rec, net, ds in train_network(TrainConfig(**run, kind="residual")):
            if init is None:  # one training mini-batch, the same at both stages
                idx = rng.permutation(len(ds["y_train"]))[: cfg["batch_size"]]
                X, y = ds["X_train"][idx], ds["y_train"][idx]
                init = summary(net, X, y, cfg["path_samples"], rng)
        final = summary(net, X, y, cfg["path_samples"], rng) if cfg["epochs"] else init
    n = len(net.blocks)
    return {"config": cfg, "n_blocks": n, "lengths": list(range(n + 1)), "counts": path_counts(n),
            "binomial_peak": n / 2, "init": init, "final": final, "status": rec["status"],
            "elapsed": time.perf_counter() - start}


def _num(v) -> str:
    return "        -" if v is None else f"{v:9.3e}"


def _len(v) -> str:
    return "-" if v is None else f"{v:.1f}"


def text(res: dict) -> str:
    cfg = res["config"]
    n = res["n_blocks"]
    lines = [f"paths through {n} {cfg['layout']}-activation residual blocks (depth {cfg['depth']}, "
             f"width {cfg['width']}): 2^{n} = {2 ** n} paths, lengths ~ Binomial({n}, 1/2)",
             "gradient at the stack input per path length k: 'per path' sampled as in Veit et al. "
             "(Fig. 6), 'total' = C(n,k) x per path, 'exact' = |sum of the paths of length k|"]
    for stage in ("init", "final") if cfg["epochs"] else ("init",):
        s = res[stage]
        lines.append(f"-- {'at initialisation' if stage == 'init' else 'after training'}")
        lines.append(f"{'k':>3}  {'paths':>9}  {'per path':>9}  {'total':>9}  {'share':>6}  "
                     f"{'exact':>9}  {'share':>6}")
        for k in res["lengths"]:
            sh = "-" if s["share"] is None else f"{100 * s['share'][k]:5.1f}%"
            esh = "-" if s["exact_share"] is None else f"{100 * s['exact_share'][k]:5.1f}%"
            lines.append(f"{k:>3}  {float(res['counts'][k]):>9.3g}  {_num(s['per_path'][k])}  "
                         f"{_num(s['total'][k])}  {sh:>6}  {_num(s['exact'][k])}  {esh:>6}")
        lines.append(f"peak length: total {s['peak']} (mean {_len(s['mean_length'])}), exact "
                     f"{s['exact_peak']} (mean {_len(s['exact_mean_length'])}); path counts peak "
                     f"at {res['binomial_peak']:g}")
    lines.append(f"({res['elapsed']:.1f} s)")
    return "\n".join(lines)
