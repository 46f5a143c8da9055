"""Training that streams: ``train(config)`` is a generator yielding one record per epoch.

Epoch 0 is the network at initialisation; epochs 1..E follow each pass over the training set.
A record holds train/test loss and accuracy (measured in evaluation mode over the whole split;
at epoch 0 the BN running statistics are first set from the training set), ``batch_loss`` (the
mean mini-batch loss the optimiser saw in the epoch, in training mode), the last learning rate,
the mean norm of ∂L/∂W per weight layer over the epoch (input to output), the elapsed seconds
and a ``status``: ``"running"`` until the last record, which says ``"done"`` or
``"diverged"``. Divergence — a non-finite loss or parameter, or a mean batch loss above
``diverge_factor`` times its initial value — ends the run quietly after that record; no
floating-point warnings escape. With ``grid > 0`` on 2-D data a record also holds
``boundary`` (the predicted class on a grid, see :func:`boundary`) and epoch 0 the training
``data``, so a page can draw the decision boundary as it forms.

The same config gives the same numbers, bit for bit (``elapsed`` aside): the data, the
initial weights and the mini-batch order each come from their own seeded generator.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, fields
from typing import Iterator

import numpy as np

from . import data as _data
from .arithmetic import PORTABLE, Arithmetic
from .losses import LOSSES
from .messages import finite
from .nets import NetConfig, NetFields, Network
from .optim import learning_rates, make_optimizer
from .portable import norm


@dataclass
class TrainConfig(NetFields):
    """A training run: the network's architecture (:class:`simcore.nets.NetFields`, first), then
    the data, the optimisation, the seed (of the data, the weights and the batch order) and what
    to report. ``dtype: "float32"`` puts parameters, data and all arithmetic in single
    precision; ``arithmetic: "native"`` uses NumPy's BLAS and exp/tanh (simcore.arithmetic)."""

    # data
    dataset: str = "spirals"
    n: int = 1000
    noise: float = 0.05
    test_fraction: float = 0.2
    points: list = field(default_factory=list)  # dataset "custom": [[x, y, class], ...]
    # optimisation
    loss: str = "cross_entropy"
    optimizer: str = "momentum"
    lr: float = 0.05
    momentum: float = 0.9
    weight_decay: float = 0.0
    schedule: str = "cosine"
    warmup: float = 0.0
    step_size: int = 30
    gamma: float = 0.1
    epochs: int = 30
    batch_size: int = 64
    diverge_factor: float = 1e3
    seed: int = 0
    # reporting: decision-boundary grid side (0 = none; 2-D data sets only)
    grid: int = 0

    def net_config(self, d_in: int, n_classes: int) -> NetConfig:
        arch = {f.name: getattr(self, f.name) for f in fields(NetFields)}
        return NetConfig(**arch, d_in=d_in, n_classes=n_classes, seed=self.seed)


EVAL_ROWS = 400  # evaluate() passes the rows through the network in blocks of at most this many


def evaluate(net: Network, X: np.ndarray, y: np.ndarray, loss: str = "cross_entropy") -> tuple[float, float]:
    """(mean loss, accuracy) of ``net`` on ``(X, y)`` in evaluation mode; (nan, nan) if empty.

    The logits are computed in blocks of :data:`EVAL_ROWS` rows: in evaluation mode each row
    goes through the network on its own (batch norm uses its running statistics, and every
    product sums a row's terms in the same order whatever the number of rows), so they are the
    same bits as one pass; the loss and accuracy are then taken over all of them at once. The
    blocks keep each intermediate array small: at 800 rows a (800, 32) float64 array is
    200 KB, and arrays that large get fresh memory pages from the C library again and again
    (measured natively: evaluation about a quarter faster)."""
    if len(y) == 0:
        return float("nan"), float("nan")
    if len(X) <= EVAL_ROWS:
        Z = net.forward(X, train=False)
    else:
        Z = np.concatenate([net.forward(X[i:i + EVAL_ROWS], train=False)
                            for i in range(0, len(X), EVAL_ROWS)])
    return _loss(loss, Z, y, net.arithmetic)[0], float((Z.argmax(axis=1) == y).mean())


def _loss(name: str, Z: np.ndarray, y: np.ndarray,
          arithmetic: Arithmetic = PORTABLE) -> tuple[float, np.ndarray]:
    if name == "mse":
        return LOSSES["mse"](Z, np.eye(Z.shape[1], dtype=Z.dtype)[y], arithmetic)
    return LOSSES[name](Z, y, arithmetic)


def train(config: TrainConfig | dict) -> Iterator[dict]:
    """Yield one record per epoch (0 = initialisation); see the module docstring."""
    for record, _, _ in train_network(config):
        yield record


def train_network(config: TrainConfig | dict) -> Iterator[tuple[dict, Network, dict]]:
    """Like :func:`train`, but yield ``(record, net, data)``: the live network after each
    epoch and the data split, for analyses that measure a network during training.
    The network keeps changing as the generator advances; copy it to keep a snapshot."""
    cfg = config if isinstance(config, TrainConfig) else TrainConfig(**config)
    start = time.perf_counter()
    ds = _data.load(cfg.dataset, n=cfg.n, noise=cfg.noise, seed=cfg.seed, points=cfg.points,
                    test_fraction=cfg.test_fraction)
    net = Network(cfg.net_config(ds["n_features"], ds["n_classes"]))
    if net.dtype != np.float64:  # the data set is made in float64; the net sees it in its dtype
        ds = {**ds, "X_train": ds["X_train"].astype(net.dtype),
              "X_test": ds["X_test"].astype(net.dtype)}
    Xtr, ytr, Xte, yte = ds["X_train"], ds["y_train"], ds["X_test"], ds["y_test"]
    opt = make_optimizer(cfg.optimizer, cfg.lr, cfg.momentum, cfg.weight_decay)
    order_rng = np.random.default_rng([cfg.seed, 1])
    # stochastic depth: which blocks each step drops, from the seed (none drawn when it is off)
    drop_rng = np.random.default_rng([cfg.seed, 2]) if cfg.survival != 1.0 else None
    n = len(ytr)
    bs = min(cfg.batch_size, n)
    steps = -(-n // bs)
    weights = net.weight_layers()

    with np.errstate(all="ignore"):
        # epoch 0: the initial network, BN running statistics set from the training set; its
        # gradient norms are those of the full-batch gradient.
        net.calibrate_bn(Xtr)
        loss0, dZ = _loss(cfg.loss, net.forward(Xtr, train=True), ytr, net.arithmetic)
        net.backward(dZ, input_grad=False)
        grad_norms = [norm(w.grads["W"]) for w in weights]
        rec = _record(net, cfg, 0, Xtr, ytr, Xte, yte, 0.0, grad_norms, start)
        rec["batch_loss"] = finite(loss0)
        if cfg.grid and ds["n_features"] == 2:
            rec["data"] = {"X_train": Xtr.tolist(), "y_train": ytr.tolist()}
            rec["boundary"] = boundary(net, Xtr, cfg.grid)
        ref = max(loss0, 1e-12) if np.isfinite(loss0) else 0.0
        status = _check(rec["batch_loss"], ref, cfg.diverge_factor)
        rec["status"] = status or ("running" if cfg.epochs > 0 else "done")
        yield rec, net, ds
        if rec["status"] != "running":
            return

        step = 0
        # --8<-- [start:epoch-loop]
        for epoch in range(1, cfg.epochs + 1):
            perm = order_rng.permutation(n)
            sums = np.zeros(len(weights))
            batch_losses = 0.0
            lr = cfg.lr
            bad = False
            rates = learning_rates(step, steps, steps, cfg.epochs, cfg.lr, cfg.schedule, cfg.warmup,
                                   cfg.step_size, cfg.gamma)  # the epoch's, one per step
            for s in range(steps):
                idx = perm[s * bs:(s + 1) * bs]
                lr = rates[s]
                opt.lr = lr
                net.drop(drop_rng)  # stochastic depth's drops (if on), shortcut dropout's next mask
                batch_loss, dZ = _loss(cfg.loss, net.forward(Xtr[idx], train=True), ytr[idx],
                                       net.arithmetic)
                if not np.isfinite(batch_loss):
                    bad = True
                    break
                batch_losses += batch_loss
                net.backward(dZ, input_grad=False)
                sums += [norm(w.grads["W"]) for w in weights]
                opt.step(net)
                step += 1
            net.drop(None)  # every block back for what measures the network between epochs
            # --8<-- [end:epoch-loop]
            rec = _record(net, cfg, epoch, Xtr, ytr, Xte, yte, lr, list(sums / steps), start)
            rec["batch_loss"] = None if bad else finite(batch_losses / steps)
            if cfg.grid and ds["n_features"] == 2:
                rec["boundary"] = boundary(net, Xtr, cfg.grid)
            status = _check(rec["batch_loss"], ref, cfg.diverge_factor)
            if status is None and not all(np.isfinite(v).all() for v in net.params.values()):
                status = "diverged"
            rec["status"] = status or ("done" if epoch == cfg.epochs else "running")
            yield rec, net, ds
            if rec["status"] != "running":
                return


def boundary(net: Network, X: np.ndarray, grid: int, margin: float = 0.25) -> dict:
    """Predicted class on a ``grid × grid`` lattice covering the 2-D data ``X`` (plus a margin),
    in evaluation mode: ``{"lo": [x, y], "hi": [x, y], "n": grid, "classes": [...] }`` with
    ``classes`` row-major, y increasing from row 0."""
    lo = X.min(axis=0) - margin * np.ptp(X, axis=0)
    hi = X.max(axis=0) + margin * np.ptp(X, axis=0)
    xs, ys = np.linspace(lo[0], hi[0], grid), np.linspace(lo[1], hi[1], grid)
    G = np.stack(np.meshgrid(xs, ys), axis=-1).reshape(-1, 2).astype(X.dtype, copy=False)
    pred = net.forward(G, train=False).argmax(axis=1)
    return {"lo": lo.tolist(), "hi": hi.tolist(), "n": int(grid), "classes": pred.tolist()}


# --8<-- [start:divergence]
def _check(train_loss: float | None, ref: float, factor: float) -> str | None:
    if train_loss is None or train_loss > factor * ref:
        return "diverged"
    return None
# --8<-- [end:divergence]



def _record(net, cfg, epoch, Xtr, ytr, Xte, yte, lr, grad_norms, start) -> dict:
    tr_loss, tr_acc = evaluate(net, Xtr, ytr, cfg.loss)
    te_loss, te_acc = evaluate(net, Xte, yte, cfg.loss)
    return {
        "epoch": epoch,
        "train_loss": finite(tr_loss),
        "train_acc": tr_acc,
        "test_loss": finite(te_loss),
        "test_acc": finite(te_acc),
        "lr": float(lr),
        "grad_norms": [finite(g) for g in grad_norms],
        "elapsed": time.perf_counter() - start,
    }
