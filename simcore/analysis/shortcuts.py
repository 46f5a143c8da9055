"""Which shortcut works: He et al. (2016b, Table 1) on simcore's networks.

He et al. trained a 110-layer CIFAR-10 ResNet with six kinds of shortcut and found the pure
identity best. Their argument, for pre-activation blocks ``x_{l+1} = λ_l x_l + F(x_l)``: unrolled,
``x_L = (∏ λ_i) x_l + …``, so the gradient reaching block ``l`` from the loss carries the factor
``∏_{i=l}^{L-1} λ_i``: below 1 it vanishes with depth, above 1 it explodes; a gate or a 1×1
convolution on every shortcut multiplies the gradient by a product of such factors, and dropout
by a random one. Only the identity passes the gradient on unchanged.

Here each kind of :data:`simcore.blocks.SHORTCUTS` trains the same residual network (same data,
same first weights for every layer they share, one run per seed), and at initialisation the
gradient ``‖∂L/∂x_l‖`` at every block boundary is measured (first seed).
"""

from __future__ import annotations

import time
from dataclasses import asdict

from .. import budget
from ..blocks import SHORTCUTS
from ..messages import percent
from ..train import TrainConfig, train_network
from .gradflow import stream

NAME = "shortcuts"
HELP = "which shortcut works: identity, scaled, gated, 1x1 and dropout shortcuts (He et al. 2016b)"
FIELDS = {"shortcut_seeds": ("int", (1, 10))}
DEFAULTS = {
    **{k: v for k, v in asdict(TrainConfig()).items()
       if k not in ("kind", "shortcut", "skips", "grid", "points", "survival")},
    "dataset": "spirals", "n": 300, "depth": 32, "width": 16, "layout": "pre", "epochs": 30,
    "shortcut_scale": 0.5, "shortcut_seeds": 3,
}

WORK_FIELDS = "epochs, n, depth, width or shortcut_seeds, or raise batch_size"


def work(cfg: dict) -> float:
    """The work of :func:`task` (see :mod:`simcore.budget`): a training run per kind and seed
    (a gate or a 1×1 shortcut adds about one dense layer per block: counted as 1.5 runs), and
    two passes over the training set at initialisation per kind."""
    n_train = budget.data_shape(cfg)[1]
    per_run = budget.training(cfg, "residual", cfg["depth"])
    return len(SHORTCUTS) * (1.5 * per_run * cfg["shortcut_seeds"]
                             + 1.5 * budget.evaluation(cfg, "residual", cfg["depth"], n_train, 2))


def task(cfg: dict) -> dict:
    """The residual net of ``cfg`` with each shortcut of :data:`simcore.blocks.SHORTCUTS`,
    trained with seeds ``seed .. seed + shortcut_seeds - 1``.

    Per kind (under ``kinds``): ``train_error`` (1 − final training accuracy, per seed),
    ``test_error``, ``status`` and ``train_loss`` (per epoch, per seed), and ``grad_x`` (the
    first seed's ``‖∂L/∂x_l‖`` at each block boundary at initialisation); plus ``seeds`` and
    ``elapsed``.
    """
    start = time.perf_counter()
    run = {k: v for k, v in cfg.items() if k != "shortcut_seeds"}
    seeds = [cfg["seed"] + i for i in range(cfg["shortcut_seeds"])]
    out: dict = {"config": cfg, "seeds": seeds, "kinds": {}}
    for kind in SHORTCUTS:
        res: dict = {"train_error": [], "test_error": [], "status": [], "train_loss": [], "grad_x": None}
        for seed in seeds:
            losses = []
            for rec, net, ds in train_network(TrainConfig(**{**run, "seed": seed}, kind="residual", shortcut=kind)):
                if res["grad_x"] is None:
                    res["grad_x"] = stream(net, ds["X_train"], ds["y_train"])["grad_x"]
                losses.append(rec["train_loss"])
            res["train_error"].append(None if rec["train_acc"] is None else 1.0 - rec["train_acc"])
            res["test_error"].append(None if rec["test_acc"] is None else 1.0 - rec["test_acc"])
            res["status"].append(rec["status"])
            res["train_loss"].append(losses)
        out["kinds"][kind] = res
    out["elapsed"] = time.perf_counter() - start
    return out


def text(res: dict) -> str:
    cfg = res["config"]
    lines = [f"residual nets of depth {cfg['depth']}, width {cfg['width']}, {cfg['layout']}-activation, "
             f"{cfg['epochs']} epochs; seeds {', '.join(map(str, res['seeds']))}",
             f"{'shortcut':<15} {'training error per seed':<30} gradient at init, first → last block"]
    for kind, r in res["kinds"].items():
        errs = " ".join(f"{percent(e) + ('*' if s == 'diverged' else ''):>8}" for e, s in zip(r["train_error"], r["status"]))
        g = r["grad_x"]
        lines.append(f"{kind:<15} {errs:<30} {g[0]:.3g} → {g[-1]:.3g}")
    lines.append("(* diverged)")
    return "\n".join(lines)
