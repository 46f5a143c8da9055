"""Residual networks without normalisation: what batch norm did for them, and what replaces it.

At one depth, five networks with otherwise equal settings are trained on the same data:

* ``plain``: no shortcuts, no batch norm;
* ``residual``: shortcuts, no batch norm. Each block adds its branch to the signal, so the
  signal's variance grows block by block (roughly doubling per block with He initialisation),
  and a deep stack starts far from anything trainable;
* ``batchnorm``: shortcuts with batch norm, the ResNet. At initialisation batch norm scales each
  branch's output to unit variance while the signal it joins has grown with every block, so
  block ``l``'s branch is down-weighted by about ``1/√l`` (De & Smith, 2020): deep in the stack the
  blocks start close to their shortcuts;
* ``skipinit``: no batch norm, and each branch multiplied by a learned scalar α that starts at 0
  (SkipInit, De & Smith 2020; ReZero, Bachlechner et al. 2020): every block starts *as* its
  shortcut, and learns how much of its branch to use;
* ``fixup``: no batch norm, Fixup's initialisation (Zhang et al., 2019): each branch's layers
  scaled by ``L^(−1/(2m−2))`` for ``L`` branches of ``m`` layers, its last layer and the
  classifier zero, scalar biases and a scalar multiplier (:func:`simcore.blocks.fixup`).

For each: the per-epoch training record and, at initialisation, on the training split, the
signal (RMS of ``x_l``) at every block boundary, the gradient ``‖∂L/∂x_l‖`` there and
``‖∂L/∂W‖`` of every weight layer (:func:`simcore.analysis.gradflow.stream`).
"""

from __future__ import annotations

import time
from dataclasses import asdict

from .. import budget
from ..messages import percent
from ..train import TrainConfig, train_network
from .gradflow import stream

NAME = "normfree"
HELP = "residual nets without batch norm: plain, residual, batch norm, SkipInit/ReZero and Fixup at one depth"
# what makes each network (on top of the task's config)
VARIANTS: dict[str, dict] = {
    "plain": {"kind": "plain", "norm": False},
    "residual": {"kind": "residual", "norm": False},
    "batchnorm": {"kind": "residual", "norm": True},
    "skipinit": {"kind": "residual", "norm": False, "learn_alpha": True, "alpha": 0.0},
    "fixup": {"kind": "residual", "norm": False, "fixup": True},
}
SET_BY_VARIANT = ("kind", "norm", "learn_alpha", "alpha", "fixup", "zero_init", "skips")
FIELDS: dict = {}
DEFAULTS = {
    **{k: v for k, v in asdict(TrainConfig()).items() if k not in (*SET_BY_VARIANT, "grid", "points")},
    "dataset": "spirals", "n": 300, "depth": 32, "width": 16, "layout": "pre",
    "optimizer": "momentum", "lr": 0.1, "epochs": 40, "batch_size": 32,
}
KEEP = ("epoch", "train_loss", "train_acc", "test_acc", "status")  # of each epoch's record

WORK_FIELDS = "epochs, n, depth or width, or raise batch_size"


def work(cfg: dict) -> float:
    """The work of :func:`task` (see :mod:`simcore.budget`): a training run per network and two
    passes over the training set at initialisation (forward and backward)."""
    n_train = budget.data_shape(cfg)[1]
    return sum(budget.training(cfg, v["kind"], cfg["depth"])
               + budget.evaluation(cfg, v["kind"], cfg["depth"], n_train, 2)
               for v in VARIANTS.values())


def task(cfg: dict) -> dict:
    """The five networks of :data:`VARIANTS` at ``depth``: for each (under ``variants``),
    ``history`` (per epoch: ``epoch``, ``train_loss``, ``train_acc``, ``test_acc``, ``status``),
    ``final`` (its last record) and ``init`` (``signal`` and ``grad_x`` per block boundary,
    ``grad_w`` per weight layer and ``loss``, at initialisation on the training split); plus
    ``elapsed`` seconds."""
    start = time.perf_counter()
    out: dict = {"config": cfg, "variants": {}}
    for name, change in VARIANTS.items():
        history, init = [], None
        for rec, net, ds in train_network(TrainConfig(**{**cfg, **change})):
            if init is None:
                init = stream(net, ds["X_train"], ds["y_train"])
            history.append({k: rec[k] for k in KEEP})
        out["variants"][name] = {"history": history, "final": history[-1], "init": init}
    out["elapsed"] = time.perf_counter() - start
    return out


def text(res: dict) -> str:
    cfg = res["config"]
    lines = [f"depth {cfg['depth']}, width {cfg['width']}, {cfg['layout']}-activation, {cfg['dataset']}, "
             f"{cfg['epochs']} epochs, lr {cfg['lr']}",
             f"{'network':<10} {'train acc':>9} {'test acc':>9} {'status':>9}   signal at init, first → last block"]
    for name, v in res["variants"].items():
        f, s = v["final"], v["init"]["signal"]
        lines.append(f"{name:<10} {percent(f['train_acc']):>9} {percent(f['test_acc']):>9} {f['status']:>9}   "
                     f"{s[0]:.3g} → {s[-1]:.3g}")
    return "\n".join(lines)
