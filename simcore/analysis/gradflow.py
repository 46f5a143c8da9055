"""Gradient propagation through a network: per-layer norms, the residual decomposition and
the input–output Jacobian.

Every function here is a pure function of a network and data: it works on a private deep copy,
so the caller's network (its weights, gradients and BN running statistics) is never changed.

Notation: ``x_0`` is the output of the stem, ``x_l`` the input of block ``l`` (``l = 0..L-1``)
and ``x_L`` the output of the last block, the input of the head. For a pre-activation residual
stack ``x_L = x_l + Σ_{i≥l} F_i(x_i)``, so (He et al., 2016b)

    ∂L/∂x_l = ∂L/∂x_L · (I + ∂/∂x_l Σ_{i≥l} F_i)
            = ∂L/∂x_L  (the highway term: reaches every block unchanged)
            + ∂L/∂x_L · ∂/∂x_l Σ F_i  (the residual term)

:func:`decomposition` reports both terms per block, measured separately.
"""

from __future__ import annotations

import copy
from dataclasses import asdict

import numpy as np

from .. import budget
from ..losses import softmax_cross_entropy
from ..nets import Network
from ..portable import norm
from ..train import TrainConfig, train_network


def _norm(a: np.ndarray) -> float:
    return norm(a)


def stream(net: Network, X: np.ndarray, y: np.ndarray, train: bool = True) -> dict:
    """Forward and backward through a copy of ``net``, recording every block boundary.

    Returns plain lists of floats, input to output:

    * ``signal``: RMS of ``x_l`` per block boundary (``L + 1`` values: ``x_0 .. x_L``);
    * ``grad_x``: Frobenius norm of ``∂L/∂x_l`` per boundary (``L + 1`` values);
    * ``grad_w``: Frobenius norm of ``∂L/∂W`` per weight layer counted in depth;
    * ``loss``: the mean cross-entropy.

    ``train`` selects batch statistics (True, the optimiser's view) or running statistics.
    """
    net = copy.deepcopy(net)
    h = net.stem.forward(X, train)
    xs = [h]
    for block in net.blocks:
        h = block.forward(h, train)
        xs.append(h)
    loss, dZ = softmax_cross_entropy(net.head.forward(h, train), y, net.arithmetic)
    g = net.head.backward(dZ)
    gs = [g]
    for block in reversed(net.blocks):
        g = block.backward(g)
        gs.append(g)
    net.stem.backward(g)
    gs.reverse()
    return {
        "signal": [float(np.sqrt(np.mean(x * x))) for x in xs],
        "grad_x": [_norm(g) for g in gs],
        "grad_w": [_norm(w.grads["W"]) for w in net.weight_layers()],
        "loss": float(loss),
    }


def decomposition(net: Network, X: np.ndarray, y: np.ndarray, train: bool = True) -> dict:
    """Split ``∂L/∂x_l`` into the highway term ``∂L/∂x_L`` and the residual term.

    Exact for pre-activation residual stacks with identity shortcuts, where
    ``∂L/∂x_l = ∂L/∂x_L + residual_l``. Returns per block ``l``: ``total``, ``highway`` and
    ``residual`` norms and ``cosine`` (between the highway and the total gradient); for other
    networks ``exact`` is ``False`` and the split is only the difference ``total − highway``.
    """
    net = copy.deepcopy(net)
    cfg = net.config
    exact = cfg.kind == "residual" and cfg.layout == "pre" and all(
        getattr(b, "shortcut", 1) is None for b in net.blocks)
    h = net.stem.forward(X, train)
    for block in net.blocks:
        h = block.forward(h, train)
    _, dZ = softmax_cross_entropy(net.head.forward(h, train), y, net.arithmetic)
    # --8<-- [start:decomposition]
    top = net.head.backward(dZ)  # ∂L/∂x_L
    g = top
    totals = []
    for block in reversed(net.blocks):
        g = block.backward(g)
        totals.append(g)
    totals.reverse()  # ∂L/∂x_l for l = 0..L-1
    res = [t - top for t in totals]
    # --8<-- [end:decomposition]
    cos = [float(np.sum(t * top) / max(_norm(t) * _norm(top), 1e-300)) for t in totals]
    return {
        "exact": bool(exact),
        "total": [_norm(t) for t in totals],
        "highway": [_norm(top)] * len(totals),
        "residual": [_norm(r) for r in res],
        "cosine": cos,
    }


def jacobian(net: Network, x: np.ndarray) -> np.ndarray:
    """The Jacobian ``∂x_L/∂x_0`` of the block stack at one input ``x`` (shape ``(d_in,)``),
    in evaluation mode (BN with running statistics acts on each example alone).

    Returns a ``(width, width)`` array ``J[i, j] = ∂x_L[i]/∂x_0[j]``, built from one backward
    pass per output unit (a batch of ``width`` copies of ``x``, seeded with the identity).
    """
    net = copy.deepcopy(net)
    h0 = net.stem.forward(x[None, :], train=False)
    w = h0.shape[1]
    h = np.repeat(h0, w, axis=0)
    for block in net.blocks:
        h = block.forward(h, train=False)
    g = np.eye(w)
    for block in reversed(net.blocks):
        g = block.backward(g)
    return g  # row i = ∂x_L[i]/∂x_0


def jacobian_singular_values(net: Network, X: np.ndarray, samples: int = 8) -> list[list[float]]:
    """Singular values (descending) of the stack's input–output Jacobian at the first
    ``samples`` rows of ``X``: a well-conditioned net has them near 1 (dynamical isometry)."""
    return [np.linalg.svd(jacobian(net, x), compute_uv=False).tolist() for x in X[:samples]]


# --- the api task -------------------------------------------------------------------------

NAME = "gradflow"
HELP = "gradient norms per block, plain vs residual, and the Jacobian"
FIELDS = {"samples": ("int", (1, 32)), "frames": ("bool", None)}
DEFAULTS = {**{k: v for k, v in asdict(TrainConfig()).items() if k != "kind"},
            "depth": 20, "epochs": 0, "samples": 8, "frames": False}


def checkpoints(epochs: int) -> list[int]:
    """The epochs of the ``frames`` of a run of ``epochs``: 0, 1, 2, 4, 8, … below ``epochs``,
    then ``epochs`` (a doubling, so a long run is seen early, where it changes fastest)."""
    out, e = [0], 1
    while e < epochs:
        out.append(e)
        e *= 2
    if epochs > 0:
        out.append(epochs)
    return out


WORK_FIELDS = "epochs, n, depth, width or samples"


def work(cfg: dict) -> float:
    """The work of :func:`task` (see :mod:`simcore.budget`): two training runs, three passes over
    the training set (init, final, decomposition) and a ``width``-row backward pass per sample."""
    n_train = budget.data_shape(cfg)[1]
    frames = len(checkpoints(cfg["epochs"])) if cfg.get("frames") else 0
    return sum(budget.training(cfg, kind, cfg["depth"])
               + (3 + 2 * frames) * budget.evaluation(cfg, kind, cfg["depth"], n_train, 3)
               + 3 * budget.evaluation(cfg, kind, cfg["depth"], cfg["width"], cfg["samples"])
               for kind in ("plain", "residual"))


def _frame(net: Network, X: np.ndarray, y: np.ndarray, rec: dict, kind: str, seen: dict | None) -> dict:
    """One kind's part of a frame: ∂L/∂x_l per boundary, the loss and the run's status at this
    epoch, and for the residual net He et al.'s split (``seen``: the stream already measured)."""
    s = seen or stream(net, X, y)
    out = {"grad_x": s["grad_x"], "loss": s["loss"], "status": rec["status"]}
    if kind == "residual":
        d = decomposition(net, X, y)
        out["split"] = {"exact": d["exact"], "highway": d["highway"], "residual": d["residual"]}
    return out


def task(cfg: dict) -> dict:
    """Gradient propagation in plain vs residual nets with otherwise equal settings.

    For each kind: ``init`` and ``final`` (after ``epochs`` of training; equal to ``init`` when
    ``epochs`` is 0) hold per-boundary ``signal`` and ``grad_x`` norms, per-layer ``grad_w``
    norms and the ``loss`` on the training split; ``decomposition`` splits ∂L/∂x_l into the
    highway and residual terms (exact for pre-activation); ``jacobian_singular_values`` has
    one descending list per sample; ``grad_norms`` is the per-epoch training record.

    With ``frames``, also ``frames``: the same run seen at the epochs of :func:`checkpoints`
    (0, 1, 2, 4, …, ``epochs``), one ``{"epoch", "plain", "residual", "split"}`` each, with
    ``grad_x``, ``loss`` and ``status`` per kind and the residual net's highway/branch split; a
    run that stopped early (diverged) is shown as it stopped at the checkpoints after that.
    """
    out: dict = {"config": cfg}
    run = {k: v for k, v in cfg.items() if k not in ("samples", "frames")}
    marks = checkpoints(cfg["epochs"]) if cfg.get("frames") else []
    seen: dict = {}
    for kind in ("plain", "residual"):
        init = None
        grad_norms = []
        seen[kind] = {}
        for rec, net, ds in train_network(TrainConfig(**run, kind=kind)):
            X, y = ds["X_train"], ds["y_train"]
            if init is None:
                init = stream(net, X, y)
            if rec["epoch"] in marks:
                seen[kind][rec["epoch"]] = _frame(net, X, y, rec, kind, init if rec["epoch"] == 0 else None)
            grad_norms.append(rec["grad_norms"])
        if marks and rec["epoch"] not in seen[kind]:  # stopped early: as it stopped
            seen[kind][rec["epoch"]] = _frame(net, X, y, rec, kind, None)
        out[kind] = {
            "init": init, "final": stream(net, X, y) if cfg["epochs"] else init,
            "status": rec["status"], "grad_norms": grad_norms,
            "decomposition": decomposition(net, X, y),
            "jacobian_singular_values": jacobian_singular_values(net, X, cfg["samples"]),
        }
    if marks:
        out["frames"] = []
        for epoch in marks:
            part = {k: seen[k].get(epoch) or seen[k][max(e for e in seen[k] if e <= epoch)]
                    for k in ("plain", "residual")}
            split = part["residual"]["split"]
            out["frames"].append({"epoch": epoch, **{k: {f: v for f, v in p.items() if f != "split"}
                                                      for k, p in part.items()}, "split": split})
    return out


def text(res: dict) -> str:
    cfg = res["config"]
    when = "after training" if cfg["epochs"] else "at initialisation"
    lines = [f"|dL/dx_l| per block boundary {when} (depth {cfg['depth']}, width {cfg['width']}, "
             f"{cfg['layout']}-activation, norm {'on' if cfg['norm'] else 'off'})",
             f"{'boundary':>8}  {'plain':>10}  {'residual':>10}"]
    p, r = res["plain"]["final"]["grad_x"], res["residual"]["final"]["grad_x"]
    num = lambda v: f"{'-':>10}" if v is None else f"{v:10.3e}"  # noqa: E731  (None: not finite)
    lines += [f"{i:>8}  {num(a)}  {num(b)}" for i, (a, b) in enumerate(zip(p, r))]
    for kind in ("plain", "residual"):
        sv = [v for row in res[kind]["jacobian_singular_values"] for v in row if v is not None]
        status = res[kind]["status"]
        lines.append(f"{kind}: Jacobian singular values in [{min(sv):.3g}, {max(sv):.3g}]" if sv
                     else f"{kind}: Jacobian singular values not finite")
        if status != "done":
            lines[-1] += f" (training {status})"
    return "\n".join(lines)
