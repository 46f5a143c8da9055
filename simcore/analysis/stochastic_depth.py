"""Stochastic depth (Huang et al., 2016), and whether it makes a residual net tolerate lesions.

During training each residual block ``l`` of ``L`` is skipped for a whole step — its input goes
on through the shortcut alone — with probability ``1 − p_l``, ``p_l = 1 − (l/L)(1 − p_L)``
(linear decay from the input, which always survives, to ``p_L``); at test time every block is
kept and its branch scaled by ``p_l``, the branch's expected contribution. The drops are drawn
from the config's seed (``simcore.nets.Network.drop``), so every run is reproducible bit for bit.

A network trained this way has learned to do without any of its blocks, so deleting blocks at
test time (Veit et al.'s lesion study, :mod:`simcore.analysis.lesion`) should hurt it less.
This task trains the same residual network (same data, same first weights) with and without
stochastic depth and runs the lesion study on both.
"""

from __future__ import annotations

import copy
import time
from dataclasses import asdict

import numpy as np

from .. import budget
from ..messages import percent
from ..train import TrainConfig, train_network
from .lesion import _median, lesion_sets, random_lesions, single_lesions

NAME = "stochastic_depth"
HELP = "a residual net trained with and without stochastic depth, then the lesion study on both"
FIELDS = {"sd_survival": ("float", (0.05, 0.99)), "sd_draws": ("int", (1, 100))}
DEFAULTS = {
    **{k: v for k, v in asdict(TrainConfig()).items() if k not in ("kind", "survival", "skips", "grid", "points")},
    "n": 400, "depth": 20, "width": 32, "epochs": 30, "sd_survival": 0.5, "sd_draws": 10,
}
NETS = ("standard", "stochastic")  # survival 1 (every block every step), and sd_survival
KEEP = ("epoch", "train_loss", "train_acc", "test_acc", "status")

WORK_FIELDS = "epochs, n, depth, width or sd_draws, or raise batch_size"


def work(cfg: dict) -> float:
    """The work of :func:`task` (see :mod:`simcore.budget`): two training runs, then the test
    split through each net intact, once per deleted block and once per random draw and k."""
    n = budget.data_shape(cfg)[0]
    L = (cfg["depth"] - 2) // (3 if cfg["bottleneck"] else 2)
    passes = 1 + L + L * cfg["sd_draws"]
    return 2 * (budget.training(cfg, "residual", cfg["depth"])
                + budget.evaluation(cfg, "residual", cfg["depth"], n, passes))


def task(cfg: dict) -> dict:
    """The residual net of ``cfg`` trained without (``standard``) and with stochastic depth
    (``stochastic``, the last block surviving a step with probability ``sd_survival``), then
    lesioned on the test split (the training split when ``test_fraction`` is 0).

    Per net: ``history`` (per epoch: ``epoch``, ``train_loss``, ``train_acc``, ``test_acc``,
    ``status``), ``final``, ``survival`` (each block's ``p_l``), ``intact`` accuracy,
    ``single`` (accuracy with each block deleted in turn), ``single_median_drop`` and ``random``
    (``mean``, ``std``, ``min``, ``max`` accuracy with ``k`` = ``ks`` blocks deleted, over
    ``sd_draws`` seeded subsets per ``k``); plus ``split``, ``n_blocks`` and ``elapsed``.
    """
    start = time.perf_counter()
    run = {k: v for k, v in cfg.items() if not k.startswith("sd_")}
    out: dict = {"config": cfg}
    for name, survival in zip(NETS, (1.0, cfg["sd_survival"])):
        history = []
        for rec, net, ds in train_network(TrainConfig(**run, kind="residual", survival=survival)):
            history.append({k: rec[k] for k in KEEP})
        net = copy.deepcopy(net)
        split = "test" if len(ds["y_test"]) else "train"
        X, y = ds[f"X_{split}"], ds[f"y_{split}"]
        L = len(net.blocks)
        sets = lesion_sets(L, L, cfg["sd_draws"], np.random.default_rng([cfg["seed"], 7]))
        with np.errstate(all="ignore"):  # a diverged net still gets its (chance) accuracies
            single = single_lesions(net, X, y)
            rand = random_lesions(net, X, y, sets)
        med = _median(single["deleted"])
        out[name] = {"history": history, "final": history[-1], "survival": [b.survival for b in net.blocks],
                     "intact": single["intact"], "single": single["deleted"],
                     "single_median_drop": None if med is None else single["intact"] - med, "random": rand}
        out["split"], out["n_blocks"], out["ks"] = split, L, list(range(1, L + 1))
    out["elapsed"] = time.perf_counter() - start
    return out


def text(res: dict) -> str:
    cfg = res["config"]
    lines = [f"residual net, depth {cfg['depth']}, width {cfg['width']}, {cfg['epochs']} epochs; "
             f"stochastic depth with the last block surviving {cfg['sd_survival']:g} of the steps",
             f"lesions on the {res['split']} split ({res['n_blocks']} blocks)",
             f"{'network':<11} {'intact':>7} {'median drop, one block deleted':>31} {'half the blocks deleted':>24}"]
    half = max(1, res["n_blocks"] // 2)
    for name in NETS:
        r = res[name]
        drop = r["single_median_drop"]
        lines.append(f"{name:<11} {percent(r['intact']):>7} {'—' if drop is None else f'{100 * drop:.1f} points':>31} "
                     f"{percent(r['random']['mean'][half - 1]):>24}")
    return "\n".join(lines)
