"""Convergence speed: epochs to reach a target training accuracy, plain vs residual, by depth.

For a run with per-epoch training accuracies ``a_0, a_1, …, a_E`` (epoch 0 = the untrained
network, accuracies measured in evaluation mode over the whole training split by
:func:`simcore.train.train`), the epochs to a target ``τ`` are

    e*(τ) = min { e : a_e >= τ },

and undefined — reported as ``None`` with a status, never as a number — when no epoch reaches
``τ`` (``"not reached"``) or the run diverged first (``"diverged"``; the accuracy of the
record on which a run diverges is reported as ``None``, since the weights it measures are
no longer meaningful). ``e*`` is monotone in ``τ``: a higher target is never reached sooner.

He et al. (2016a, Fig. 1 and 4) observe that deep plain nets converge more slowly than their
residual counterparts, and at larger depths stall at a higher training error (degradation);
this analysis measures the first effect on the same plain/residual pairs as
``simcore.api.degradation`` (identical settings, the plain net being the residual net minus its
shortcuts).
"""

from __future__ import annotations

import time
from dataclasses import asdict

from .. import budget
from ..train import TrainConfig, train


def accuracy_curve(history: list[dict]) -> list:
    """Training accuracy per epoch from :func:`simcore.train.train` records, with ``None`` for
    a record whose status is ``"diverged"``. Length ``len(history)`` (epochs 0..E)."""
    return [None if r["status"] == "diverged" else float(r["train_acc"]) for r in history]


def epochs_to_target(curve: list, target: float) -> int | None:
    """``min {e : curve[e] >= target}`` over the non-``None`` entries, or ``None``."""
    for e, acc in enumerate(curve):
        if acc is not None and acc >= target:
            return e
    return None


def convergence_run(config: TrainConfig | dict, target: float) -> dict:
    """Train one network and measure how fast it reaches ``target`` training accuracy.

    Returns ``epochs_to_target`` (int or ``None``), ``status`` (``"reached"``, ``"not
    reached"`` or ``"diverged"``), ``run_status`` (the last record's ``"done"``/``"diverged"``),
    ``train_acc`` (:func:`accuracy_curve`, epochs 0..E) and ``train_loss`` (per epoch,
    ``None`` where not finite).
    """
    history = list(train(config))
    curve = accuracy_curve(history)
    e = epochs_to_target(curve, target)
    run_status = history[-1]["status"]
    status = "reached" if e is not None else ("diverged" if run_status == "diverged"
                                              else "not reached")
    return {"epochs_to_target": e, "status": status, "run_status": run_status,
            "train_acc": curve, "train_loss": [r["train_loss"] for r in history]}


# --- the api task -------------------------------------------------------------------------

NAME = "convergence"
HELP = "epochs to reach a target training accuracy across depths, plain vs residual"
FIELDS = {"convergence_target_acc": ("float", (0.0, 1.0))}
DEFAULTS = {
    **{k: v for k, v in asdict(TrainConfig()).items() if k not in ("kind", "depth", "grid")},
    "dataset": "spirals", "n": 300, "width": 16, "depths": [4, 12, 24], "epochs": 40,
    "convergence_target_acc": 0.9,
}


WORK_FIELDS = "epochs, n, depths or width, or raise batch_size"


def work(cfg: dict) -> float:
    """The work of :func:`task` (see :mod:`simcore.budget`): a training run per kind and depth."""
    return sum(budget.training(cfg, kind, d) for kind in ("plain", "residual") for d in cfg["depths"])


def task(cfg: dict) -> dict:
    """Plain and residual nets at each depth of ``depths`` with otherwise equal settings.

    Returns ``depths``, ``target_acc`` and per kind (``plain``, ``residual``) lists over the
    depths: ``epochs_to_target`` (int, or ``None`` when not reached), ``status``
    (``reached``/``not reached``/``diverged``), ``run_status``, ``final_train_acc`` (``None``
    if diverged) and the per-epoch ``train_acc`` curves they were read from; plus ``elapsed``
    seconds.
    """
    start = time.perf_counter()
    target = cfg["convergence_target_acc"]
    run = {k: v for k, v in cfg.items() if k not in ("depths", "convergence_target_acc")}
    out: dict = {"config": cfg, "depths": list(cfg["depths"]), "target_acc": target}
    for kind in ("plain", "residual"):
        runs = [convergence_run(TrainConfig(**run, kind=kind, depth=d), target)
                for d in cfg["depths"]]
        out[kind] = {
            "epochs_to_target": [r["epochs_to_target"] for r in runs],
            "status": [r["status"] for r in runs],
            "run_status": [r["run_status"] for r in runs],
            "final_train_acc": [r["train_acc"][-1] for r in runs],
            "train_acc": [r["train_acc"] for r in runs],
        }
    out["elapsed"] = time.perf_counter() - start
    return out


def text(res: dict) -> str:
    cfg = res["config"]

    def cell(kind: str, i: int) -> str:
        e = res[kind]["epochs_to_target"][i]
        return f"{e:>12d}" if e is not None else f"{res[kind]['status'][i]:>12}"

    lines = [f"epochs to {100 * res['target_acc']:g}% training accuracy on {cfg['dataset']} "
             f"(width {cfg['width']}, at most {cfg['epochs']} epochs; lower is faster)",
             f"{'depth':>6}  {'plain':>12}  {'residual':>12}"]
    lines += [f"{d:>6}  {cell('plain', i)}  {cell('residual', i)}"
              for i, d in enumerate(res["depths"])]
    lines.append(f"({res['elapsed']:.1f} s)")
    return "\n".join(lines)
