"""The work a call will do, counted from its config before any work starts, and the budget.

Every field is capped on its own (:data:`simcore.api.FIELDS`), but the caps multiply: 5,000
points × 500 epochs × depth 128 × width 256² is days of computing, and an analysis repeats a
training run per depth, kind, seed or lesion. So every task also has a *work budget*: the
config's work, counted here in multiply-accumulates (MACs) of the dense layers it runs forward
and backward, plus the parameters it initialises and the data it makes, must not exceed
:data:`BUDGET`. Over budget is a ``ValueError`` that names the fields to lower, before anything
runs. The browser never lifts it; natively, ``api.run(task, config, budget=None)`` and the
CLI's ``--no-budget`` do.

The count is an upper bound of the work, exact for the dense layers: a network's MACs per
example are the sum of ``d_in × d_out`` over its dense layers, as :class:`simcore.nets.Network`
builds them (a test compares them with the built networks), and one training example costs a
forward and a backward pass (three products per layer: ``X W``, ``Xᵀ dZ`` and ``dZ Wᵀ``).
Element-wise work (activations, batch norm, the optimiser) is proportional and left to the
constant in :data:`BUDGET`'s measured seconds (docs/simcore.md lists each task's worst case
within the budget, natively and in the browser).
"""

from __future__ import annotations

import math
import re

from .messages import FieldError
from .nets import NetConfig, block_widths

# docs/simcore.md ("Work budget") gives each task's worst case within it, measured natively and
# in the browser; the default degradation experiment (depths 4-56, 1,000 points, 100 epochs,
# about 1.5 minutes natively) counts 1.2e11.
BUDGET = 2.0e11

# What a layer costs beyond its multiply-accumulates, in MAC-equivalents, measured: NumPy's
# per-call overhead dominates small layers (width 2, batch 1: 83 µs per layer and training step,
# where a large layer runs at about 2e9 MACs per second).
STEP = 1.5e5   # one layer, one training step (forward, backward, optimiser)
PASS = 5e4     # one layer, one forward pass

_DIGITS = 1797


def data_shape(cfg: dict) -> tuple[int, int, int, int]:
    """``(examples, training examples, input dimension, classes)`` of the config's data set."""
    dataset = cfg.get("dataset", "spirals")
    n = min(int(cfg.get("n", 1000)), _DIGITS) if dataset == "digits" else int(cfg.get("n", 1000))
    if dataset == "custom":
        n = len(cfg.get("points") or ()) or 1
    n_train = n - int(round(n * float(cfg.get("test_fraction", 0.2))))
    d_in, classes = (64, 10) if dataset == "digits" else (2, 3 if dataset in ("blobs", "custom") else 2)
    return n, max(n_train, 1), d_in, classes


# the shortcuts with weights of their own: a 1×1 projection, or a gate (a w×w layer each)
WEIGHTED_SHORTCUTS = ("conv", "exclusive_gate", "shortcut_gate")


def net_macs(cfg: dict, kind: str, depth: int, d_in: int, classes: int) -> int:
    """Multiply-accumulates of one example's forward pass through the dense layers of the
    network ``cfg`` describes (as :class:`simcore.nets.Network` builds it)."""
    w = int(cfg.get("width", 32))
    macs = d_in * w + w * classes
    mid = depth - 2
    if kind in ("plain", "residual"):
        ws = block_widths(NetConfig(width=w, bottleneck=bool(cfg.get("bottleneck", False))))
        blocks = mid // (len(ws) - 1)
        macs += blocks * sum(a * b for a, b in zip(ws, ws[1:]))
        if kind == "residual" and cfg.get("shortcut", "identity") in WEIGHTED_SHORTCUTS:
            skips = str(cfg.get("skips", "") or "")  # "": every shortcut on; "0": that block plain
            macs += (blocks - skips.count("0")) * w * w
    elif kind == "highway":
        macs += mid * 2 * w * w                       # the transform and its gate
    else:                                             # dense: blocks of dense layers + transitions
        growth, per = int(cfg.get("growth", 8)), int(cfg.get("dense_layers", 4))
        remaining = mid
        while remaining > 0:
            n_dense = min(per, remaining - 1)
            d = w
            for _ in range(n_dense):
                macs += d * growth
                d += growth
            macs += d * w
            remaining -= n_dense + 1
    return macs


def layers(kind: str, depth: int) -> int:
    """Dense layers of a network (a highway layer has a gate beside its transform)."""
    return 2 * depth if kind == "highway" else depth


def evaluation(cfg: dict, kind: str, depth: int, rows: int, passes: int = 1) -> float:
    """The work of ``passes`` forward passes of ``rows`` examples through the network."""
    _, _, d_in, classes = data_shape(cfg)
    return passes * (rows * net_macs(cfg, kind, depth, d_in, classes) + layers(kind, depth) * PASS)


def training(cfg: dict, kind: str, depth: int, epochs: int | None = None) -> float:
    """The work of one training run: ``epochs + 1`` evaluations of the whole data set (and of a
    ``grid²`` boundary, if any), ``epochs`` passes forward and backward over the training set in
    mini-batches (each step costs every layer :data:`STEP` besides its MACs), the full-batch
    gradient at epoch 0, the parameters initialised and the data made."""
    n, n_train, d_in, classes = data_shape(cfg)
    m = net_macs(cfg, kind, depth, d_in, classes)
    epochs = int(cfg.get("epochs", 0)) if epochs is None else epochs
    steps = -(-n_train // max(1, min(int(cfg.get("batch_size", 64)), n_train)))
    per_epoch = 3 * n_train + n + int(cfg.get("grid", 0)) ** 2
    overhead = layers(kind, depth) * (epochs * steps * STEP + (epochs + 1) * 4 * PASS)
    return (epochs + 1) * per_epoch * m + 3 * n_train * m + m + n * d_in + overhead


def check(work: float, budget: float | None, fields: str, task: str) -> None:
    """``ValueError`` when ``work`` exceeds ``budget`` (``None``: no budget), naming ``fields``,
    the ones that multiply the work of ``task``."""
    if budget is None or work <= budget:
        return
    first = re.match(r"\w+", fields).group()
    raise FieldError(first, f"{first}: this {task} run would do about {_sci(work)} multiply-accumulates "
                     f"of work, over the budget of {_sci(budget)} (a minute or two natively, "
                     f"longer in a browser); lower {fields}")


def _sci(x: float) -> str:
    e = math.floor(math.log10(x)) if x > 0 else 0
    return f"{x / 10 ** e:.1f}e{e}"
