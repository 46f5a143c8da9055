"""The lesion study of Veit, Wilber & Belongie (2016), "Residual networks behave like
ensembles of relatively shallow networks" (NeurIPS 2016, §4): delete blocks of a trained
network at test time, without retraining, and measure what is left of its accuracy.

Deleting block ``l`` (``l = 0..L-1``, input to output) means:

* residual block ``y = act(s(x) + α·F(x))`` (post) or ``y = s(x) + α·F(x)`` (pre): drop the
  residual branch, ``F := 0``, and keep everything else, so the block computes ``act(s(x))``
  or ``s(x)``, where ``s`` is the identity or, when widths differ, the block's projection.
  This is the paper's "remove the residual module, leave the skip connection (or the
  downsampling projection) untouched". The post-activation ``act`` stays because it belongs
  to the block, not to the branch; for ReLU after a ReLU stem or block, ``x >= 0`` already,
  so ``relu(x) = x`` and the lesioned block is exactly the identity. Keeping ``act`` makes the
  lesion the same network as one with ``α = 0`` in that block, and a block whose branch
  outputs zero is left unchanged by it (both exact, and tested).
* plain block ``y = act(F(x))``: remove the block, so its input goes straight to the next block
  (simcore plain blocks keep their width, so this is always possible).

Everything is evaluated in evaluation mode: BN uses the running statistics of the intact
network, as in the paper (no recalibration after the lesion). Single lesions delete each block
in turn; random lesions delete ``k`` distinct blocks drawn uniformly (``k = 1..K``, averaged over
seeded draws, or over every subset when there are no more of them than draws), as in the
paper's Fig. 5a. A plain net loses everything from one lesion (each layer only sees the output
of the previous one); a residual net mostly does not, its paths not depending strongly on each
other.
"""

from __future__ import annotations

import copy
import math
import time
from dataclasses import asdict
from itertools import combinations

import numpy as np

from .. import budget
from ..blocks import PlainBlock, ResidualBlock
from ..messages import FieldError, percent
from ..nets import Network
from ..train import TrainConfig, train_network


def deleted_forward(block, h: np.ndarray) -> np.ndarray:
    """What a deleted block passes on (evaluation mode): ``act(s(h))`` or ``s(h)`` for a residual
    block, ``h`` for a plain block.

    Parameters
    ----------
    block : ResidualBlock or PlainBlock
    h : ndarray, shape (n, d_in)

    Returns
    -------
    ndarray, shape (n, d_out)
    """
    if isinstance(block, ResidualBlock):
        S = h if block.shortcut is None else block.shortcut.forward(h, train=False)
        return block.out_act.forward(S, train=False) if block.out_act else S
    if isinstance(block, PlainBlock):
        return h
    raise FieldError("kind", f"kind: cannot delete a {type(block).__name__}; "
                     "lesions are defined for plain and residual blocks")


class _Lesioner:
    """A private copy of ``net`` with the intact block-boundary activations of ``X`` cached,
    so a lesion only recomputes the blocks from its first deleted one on."""

    def __init__(self, net: Network, X: np.ndarray) -> None:
        self.net = copy.deepcopy(net)
        for b in self.net.blocks:
            if not isinstance(b, (ResidualBlock, PlainBlock)):
                raise FieldError("kind", f"kind: {self.net.config.kind!r} has no lesion study; "
                                 "expected plain or residual")
        h = self.net.stem.forward(X, train=False)
        self.xs = [h]
        for b in self.net.blocks:
            h = b.forward(h, train=False)
            self.xs.append(h)

    def logits(self, lesion) -> np.ndarray:
        lesion = sorted(set(int(i) for i in lesion))
        L = len(self.net.blocks)
        if any(not 0 <= i < L for i in lesion):
            raise FieldError("lesion", f"lesion: {lesion} holds a block index outside 0..{L - 1}")
        start = lesion[0] if lesion else L
        h = self.xs[start]
        for i in range(start, L):
            b = self.net.blocks[i]
            h = deleted_forward(b, h) if i in lesion else b.forward(h, train=False)
        return self.net.head.forward(h, train=False)


def lesioned_logits(net: Network, X: np.ndarray, lesion=()) -> np.ndarray:
    """Logits ``(n, n_classes)`` of ``net`` in evaluation mode with the blocks in ``lesion``
    (indices ``0..L-1``) deleted; ``lesion=()`` is the intact network. ``net`` is not changed."""
    return _Lesioner(net, X).logits(lesion)


def _acc(les: _Lesioner, y: np.ndarray, lesion) -> float | None:
    if len(y) == 0:
        return None
    return float((les.logits(lesion).argmax(axis=1) == y).mean())


def single_lesions(net: Network, X: np.ndarray, y: np.ndarray) -> dict:
    """Accuracy with each block deleted in turn.

    Returns ``{"intact": acc, "deleted": [acc with block 0 deleted, ..., block L-1]}``
    (accuracies in [0, 1]; ``None`` everywhere when ``y`` is empty).
    """
    les = _Lesioner(net, X)
    return {"intact": _acc(les, y, ()),
            "deleted": [_acc(les, y, (i,)) for i in range(len(les.net.blocks))]}


def lesion_sets(n_blocks: int, max_k: int, draws: int,
                rng: np.random.Generator) -> list[list[tuple]]:
    """For ``k = 1..max_k``: every ``k``-subset of the ``n_blocks`` blocks when there are at most
    ``draws`` of them, else ``draws`` subsets drawn uniformly (each without repetition inside)."""
    out = []
    for k in range(1, max_k + 1):
        if math.comb(n_blocks, k) <= draws:
            out.append(list(combinations(range(n_blocks), k)))
        else:
            out.append([tuple(sorted(rng.choice(n_blocks, size=k, replace=False).tolist()))
                        for _ in range(draws)])
    return out


def random_lesions(net: Network, X: np.ndarray, y: np.ndarray, sets: list[list[tuple]]) -> dict:
    """Accuracy with several blocks deleted at once, summarised per ``k`` over ``sets``
    (see :func:`lesion_sets`): lists ``mean``, ``std``, ``min``, ``max`` indexed by ``k - 1``
    (``None`` when ``y`` is empty)."""
    les = _Lesioner(net, X)
    out: dict = {"mean": [], "std": [], "min": [], "max": []}
    for group in sets:
        accs = [_acc(les, y, s) for s in group]
        if accs and accs[0] is None:
            for key in out:
                out[key].append(None)
            continue
        a = np.array(accs)
        out["mean"].append(float(a.mean()))
        out["std"].append(float(a.std()))
        out["min"].append(float(a.min()))
        out["max"].append(float(a.max()))
    return out


# --- the api task -------------------------------------------------------------------------

NAME = "lesion"
HELP = "delete blocks of trained plain and residual nets at test time (Veit et al. 2016)"
FIELDS = {"lesion_max_k": ("int", (0, 63)), "lesion_draws": ("int", (1, 100))}
DEFAULTS = {**{k: v for k, v in asdict(TrainConfig()).items() if k != "kind"},
            "n": 400, "depth": 20, "width": 32, "epochs": 30,
            "lesion_max_k": 0, "lesion_draws": 10}


def _median(values: list) -> float | None:
    v = [x for x in values if x is not None]
    return float(np.median(v)) if v else None


WORK_FIELDS = "epochs, n, depth, width, lesion_draws or lesion_max_k"


def work(cfg: dict) -> float:
    """The work of :func:`task` (see :mod:`simcore.budget`): two training runs, then every data
    point through each net once intact, once per deleted block and once per random draw."""
    n = budget.data_shape(cfg)[0]
    L = (cfg["depth"] - 2) // (3 if cfg["bottleneck"] else 2)
    K = L if cfg["lesion_max_k"] == 0 else min(cfg["lesion_max_k"], L)
    passes = 1 + L + K * cfg["lesion_draws"]
    return sum(budget.training(cfg, kind, cfg["depth"])
               + 2 * budget.evaluation(cfg, kind, cfg["depth"], n, passes)   # both splits
               for kind in ("plain", "residual"))


def task(cfg: dict) -> dict:
    """Train plain and residual nets with equal settings, then delete blocks at test time.

    ``lesion_max_k`` is the largest number of blocks deleted at once (0: every block; capped at
    the number of blocks ``L``); ``lesion_draws`` the random subsets per ``k`` (seeded by
    ``seed``). Per kind: ``status``; ``intact`` train/test accuracy; ``single`` accuracy per
    deleted block (lists of ``L``) for ``train`` and ``test``; ``single_median_drop`` (intact
    minus median single-lesion accuracy, per split); ``random`` per split, the ``mean``, ``std``,
    ``min``, ``max`` accuracy for ``k`` = ``ks``. ``chance`` is the largest class share of each
    split. Accuracies are in [0, 1]; ``None`` for an empty test split (``test_fraction`` 0).
    """
    start = time.perf_counter()
    run = {k: v for k, v in cfg.items() if not k.startswith("lesion_")}
    out: dict = {"config": cfg}
    for kind in ("plain", "residual"):
        for rec, net, ds in train_network(TrainConfig(**run, kind=kind)):
            pass
        net = copy.deepcopy(net)
        L = len(net.blocks)
        K = L if cfg["lesion_max_k"] == 0 else min(cfg["lesion_max_k"], L)
        sets = lesion_sets(L, K, cfg["lesion_draws"], np.random.default_rng([cfg["seed"], 7]))
        res: dict = {"status": rec["status"], "intact": {}, "single": {}, "single_median_drop": {},
                     "random": {}}
        for split in ("train", "test"):
            X, y = ds[f"X_{split}"], ds[f"y_{split}"]
            with np.errstate(all="ignore"):  # a diverged net still gets its (chance) accuracies
                s = single_lesions(net, X, y)
                res["random"][split] = random_lesions(net, X, y, sets)
            res["intact"][split] = s["intact"]
            res["single"][split] = s["deleted"]
            med = _median(s["deleted"])
            res["single_median_drop"][split] = None if med is None else s["intact"] - med
        out[kind] = res
        out["n_blocks"], out["ks"] = L, list(range(1, K + 1))
    out["chance"] = {split: (float(np.bincount(ds[f"y_{split}"].astype(np.intp)).max() / len(ds[f"y_{split}"]))
                             if len(ds[f"y_{split}"]) else None) for split in ("train", "test")}
    out["elapsed"] = time.perf_counter() - start
    return out


def text(res: dict) -> str:
    cfg = res["config"]
    split = "test" if res["chance"]["test"] is not None else "train"
    p, r = res["plain"], res["residual"]
    lines = [f"lesion study ({split} accuracy): {cfg['layout']}-activation depth {cfg['depth']} "
             f"({res['n_blocks']} blocks), width {cfg['width']}, {cfg['epochs']} epochs on "
             f"{cfg['dataset']}; chance {percent(res['chance'][split])}",
             f"{'deleted':>11}  {'plain':>7}  {'residual':>8}",
             f"{'none':>11}  {percent(p['intact'][split]):>7}  {percent(r['intact'][split]):>8}"]
    for i, (a, b) in enumerate(zip(p["single"][split], r["single"][split])):
        lines.append(f"{'block ' + str(i):>11}  {percent(a):>7}  {percent(b):>8}")
    lines.append(f"{'median drop':>11}  {percent(p['single_median_drop'][split]):>7}  "
                 f"{percent(r['single_median_drop'][split]):>8}")
    lines.append(f"{'k random':>11}  {'plain':>7}  {'residual':>8}   (mean over draws)")
    for j, k in enumerate(res["ks"]):
        lines.append(f"{k:>11}  {percent(p['random'][split]['mean'][j]):>7}  "
                     f"{percent(r['random'][split]['mean'][j]):>8}")
    lines.append(f"({res['elapsed']:.1f} s)")
    return "\n".join(lines)
