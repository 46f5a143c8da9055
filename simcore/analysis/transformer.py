"""The Transformer's residual stream: pre-LN, post-LN and no residual, trained side by side.

The toy task: **sort a short sequence of digits**. A sequence of ``length`` digits (0–9, drawn
from the seed), a separator, then the same digits in ascending order; the network reads it left
to right (causal attention) and is scored on predicting each digit of the sorted half from the
tokens before it. Each output needs a comparison of every input digit with the digits already
written, which is what attention does (a token can look only backwards, at the inputs and its own
output so far), and the answer at one position depends on all of the input, so the task is not
solved by one token's features or a fixed positional copy (as copying or reversing would be).

For each layout of :data:`simcore.transformer.LAYOUTS` (the same initial weights, the same data,
the same batches in the same order), trained with Adam (β₂ 0.98, ε 1e-9, as Vaswani et al.) at a
constant learning rate ``lr`` after a linear warm-up over ``warmup`` epochs (0: none), the task
returns per epoch: the training loss and accuracy (epoch 0: of the initial network on the whole
training split; then averaged over the epoch's batches as the network learns, as training logs
report them), the test loss and accuracy after the epoch, and, on a fixed probe batch (the first 64 training sequences),
the gradient norm of each layer's parameters and the size (RMS) of the residual stream at every
layer boundary.
"""

from __future__ import annotations

import math
import time

import numpy as np

from .. import budget
from ..losses import softmax_cross_entropy
from ..messages import FieldError, finite, percent
from ..optim import Adam, learning_rate
from ..portable import norm
from ..transformer import LAYOUTS, Transformer, TransformerConfig

NAME = "transformer"
HELP = "a small Transformer sorting digits: pre-LN, post-LN and no residual, gradients and the residual stream per layer"
FIELDS: dict = {
    "layers": ("int", (1, 16)),
    "heads": ("int", (1, 8)),
    "length": ("int", (2, 12)),
    "layouts": ("choice", ("all", *LAYOUTS)),
}
DEFAULTS = {
    "layers": 8, "width": 16, "heads": 2, "length": 5, "n": 400, "test_fraction": 0.2,
    "lr": 0.02, "warmup": 0.0, "epochs": 15, "batch_size": 32, "seed": 0, "layouts": "all",
}
WORK_FIELDS = "epochs, n, layers, width or length"
SEP = 10      # the separator token; digits are 0-9
VOCAB = 11
PROBE = 64    # sequences in the probe batch
CHUNK = 256   # sequences per evaluation pass (bounds the attention's memory)


def sequences(n: int, length: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` token sequences ``[x₁ … x_L, SEP, sorted(x)]`` of ``2L + 1`` tokens."""
    X = rng.integers(0, 10, size=(n, length))
    return np.concatenate([X, np.full((n, 1), SEP), np.sort(X, axis=1)], axis=1)


MLP_FLOATS = 1 << 24  # floats of one batch's MLP activations, at most (128 MB)


def _check(cfg: dict) -> None:
    """Fields that are valid alone but not together: the heads must split the width, and one
    batch's MLP activations (``4 · width`` floats per token, several arrays of them kept for the
    backward pass) must fit in memory, a browser's too (the work budget bounds time, not memory)."""
    if cfg["width"] % cfg["heads"] or cfg["width"] // cfg["heads"] < 2:
        raise FieldError("heads", f"heads: {cfg['heads']} must divide width {cfg['width']} into "
                         "heads of at least 2 features")
    batch = min(cfg["batch_size"], cfg["n"])
    floats = batch * 2 * cfg["length"] * 4 * cfg["width"]
    if floats > MLP_FLOATS:
        raise FieldError("batch_size", f"batch_size: {batch} sequences of {2 * cfg['length']} tokens at "
                         f"width {cfg['width']} need {floats * 8 / 2**20:.0f} MB for one layer's MLP "
                         f"activations, over {MLP_FLOATS * 8 / 2**20:.0f} MB; lower batch_size, length or width")


def work(cfg: dict) -> float:
    """The MACs of training the layouts (forward and backward, three products per dense
    layer, and the attention's four products per head), plus evaluating every epoch."""
    T, d, L = 2 * cfg["length"], cfg["width"], cfg["layers"]
    n_train = cfg["n"] - int(round(cfg["n"] * cfg["test_fraction"]))
    per_token = L * (12 * d * d + 2 * T * d) + d * VOCAB  # qkv, out, MLP; QKᵀ and AV; the head
    steps = math.ceil(max(n_train, 1) / cfg["batch_size"]) * cfg["epochs"]
    train = 3 * per_token * T * n_train * cfg["epochs"] + steps * budget.STEP * (6 * L + 1)
    evaluate = per_token * T * (cfg["n"] + 3 * PROBE) * (cfg["epochs"] + 1)
    return len(_layouts(cfg)) * (train + evaluate)


def _layouts(cfg: dict) -> tuple[str, ...]:
    """The layouts a run trains: all three, or the one ``layouts`` names (each layout's numbers
    are the same either way: its weights, data and batches come from the seed alone)."""
    return LAYOUTS if cfg.get("layouts", "all") == "all" else (cfg["layouts"],)


def _loss(net: Transformer, seqs: np.ndarray, L: int, backward: bool) -> tuple[float, float]:
    """Mean cross-entropy and accuracy of the sorted half; with ``backward`` the gradients too."""
    ids, target = seqs[:, :-1], seqs[:, L + 1:]
    logits = net.forward(ids)
    Z = np.ascontiguousarray(logits[:, L:, :]).reshape(-1, VOCAB)
    loss, dZ = softmax_cross_entropy(Z, target.reshape(-1), net.arithmetic)
    acc = float(np.mean(np.argmax(Z, axis=1) == target.reshape(-1)))
    if backward:
        d = np.zeros_like(logits)
        d[:, L:, :] = dZ.reshape(len(seqs), L, VOCAB)
        net.backward(d)
    return loss, acc


def _evaluate(net: Transformer, seqs: np.ndarray, L: int) -> tuple[float, float]:
    """Loss and accuracy over all of ``seqs``, in chunks (weighted by their sizes)."""
    loss = acc = 0.0
    for i in range(0, len(seqs), CHUNK):
        part = seqs[i:i + CHUNK]
        l, a = _loss(net, part, L, backward=False)
        loss, acc = loss + l * len(part), acc + a * len(part)
    return loss / len(seqs), acc / len(seqs)


def _probe(net: Transformer, probe: np.ndarray, L: int) -> dict:
    """Per layer, on the probe batch: the gradient norm of the layer's parameters, and the RMS
    of the residual stream at every boundary (the embeddings, then after each layer)."""
    _loss(net, probe, L, backward=True)
    grads = [norm(np.concatenate([g.ravel() for g in block.grads.values()])) for block in net.blocks]
    stream = [norm(x) / math.sqrt(x.size) for x in net.stream]
    return {"grad_norms": [finite(g) for g in grads], "stream": [finite(s) for s in stream]}


def train_layout(cfg: dict, layout: str, data: tuple[np.ndarray, np.ndarray]):
    """Train one layout; yield one record per epoch (epoch 0: the initial network)."""
    train, test = data
    L = cfg["length"]
    net = Transformer(TransformerConfig(vocab=VOCAB, length=2 * L, layers=cfg["layers"],
                                        width=cfg["width"], heads=cfg["heads"], layout=layout,
                                        seed=cfg["seed"]))
    opt = Adam(cfg["lr"], beta2=0.98, eps=1e-9)
    order = np.random.default_rng([cfg["seed"], 5])  # the same batches for every layout
    probe = train[:PROBE]
    per_epoch = math.ceil(len(train) / cfg["batch_size"])
    step, lr, status = 0, 0.0, "ok"
    for epoch in range(cfg["epochs"] + 1):
        if epoch == 0:  # the initial network, on the whole training split
            train_loss, train_acc = _evaluate(net, train, L)
        else:  # the epoch's batches, weighted by their sizes, as the network learns
            perm = order.permutation(len(train))
            train_loss = train_acc = 0.0
            for i in range(0, len(train), cfg["batch_size"]):
                lr = opt.lr = learning_rate(step, per_epoch, cfg["epochs"], cfg["lr"], warmup=cfg["warmup"])
                batch = train[perm[i:i + cfg["batch_size"]]]
                loss, acc = _loss(net, batch, L, backward=True)
                step += 1
                train_loss += loss * len(batch) / len(train)
                train_acc += acc * len(batch) / len(train)
                if not math.isfinite(loss):
                    break
                opt.step(net)
        test_loss, test_acc = _evaluate(net, test, L) if len(test) else (None, None)
        if not math.isfinite(train_loss):
            status = "diverged"
        rec = {"epoch": epoch, "lr": lr, "train_loss": finite(train_loss), "train_acc": train_acc,
               "test_loss": None if test_loss is None else finite(test_loss), "test_acc": test_acc,
               "status": status, **_probe(net, probe, L)}
        yield rec
        if status == "diverged":
            return


def task(cfg: dict) -> dict:
    """The three layouts of :data:`simcore.transformer.LAYOUTS` (or the one ``layouts`` names)
    trained on the same sequences: under ``variants[layout]``, ``history`` (per epoch:
    ``epoch``, ``lr``, ``train_loss``, ``train_acc``, ``test_loss``, ``test_acc``, ``status``,
    ``grad_norms`` per layer and ``stream`` per layer boundary, on the probe batch), ``init``
    (epoch 0's ``grad_norms`` and ``stream``) and ``final`` (the last record); plus ``elapsed``
    seconds."""
    _check(cfg)
    start = time.perf_counter()
    seqs = sequences(cfg["n"], cfg["length"], np.random.default_rng([cfg["seed"], 6]))
    n_test = int(round(cfg["n"] * cfg["test_fraction"]))
    data = (seqs[: cfg["n"] - n_test], seqs[cfg["n"] - n_test:])
    out: dict = {"config": cfg, "variants": {}}
    for layout in _layouts(cfg):
        history = list(train_layout(cfg, layout, data))
        out["variants"][layout] = {"history": history, "final": history[-1],
                                   "init": {k: history[0][k] for k in ("grad_norms", "stream")}}
    out["elapsed"] = time.perf_counter() - start
    return out


def text(res: dict) -> str:
    cfg = res["config"]
    lines = [f"{cfg['layers']} layers, width {cfg['width']}, {cfg['heads']} heads, sorting {cfg['length']} "
             f"digits, {cfg['epochs']} epochs, Adam lr {cfg['lr']}, warm-up {cfg['warmup']} epochs",
             f"{'layout':<12} {'train acc':>9} {'test acc':>9} {'status':>9}   gradient norm at init, "
             "first → last layer   stream RMS at init, embeddings → last"]
    for name, v in res["variants"].items():
        f, g, s = v["final"], v["init"]["grad_norms"], v["init"]["stream"]
        lines.append(f"{name:<12} {percent(f['train_acc']):>9} {percent(f['test_acc']):>9} {f['status']:>9}   "
                     f"{g[0]:.3g} → {g[-1]:.3g}   {s[0]:.3g} → {s[-1]:.3g}")
    return "\n".join(lines)
