"""Two pieces of residual maths: learning the identity, and Xavier vs He initialisation.

**Learning the identity** (Hardt & Ma, 2017, "Identity matters in deep learning"; He et al.,
2016a, §3.1). A stack of ``b`` blocks of width ``d`` (no stem, no head) is fitted to
``y = x`` for ``x ~ N(0, I_d)`` by full-batch gradient descent on the mean squared error

    L = (1 / (n d)) Σ_i ||f(x_i) − x_i||².

A residual block is ``x + F(x)`` (pre-activation) or ``act(x + F(x))`` (post-activation): it is
the identity as soon as its branch output vanishes, ``F(x) = 0``, and a zero-initialised branch
(last layer ``W = 0``, or ``γ = 0`` of a final BN) starts there: the loss is exactly 0 at step 0
(in the post layout only when ``act`` is the identity, since ``relu(x) ≠ x``). The plain stack,
the same blocks without their shortcuts, has to *build* ``I`` from its layers; for a linear
stack (identity activation, no normalisation) ``f(x) = x M + c`` and the product of its weight
matrices ``M = W_1 W_2 … W_k`` must become ``I`` (and ``c`` zero). With ReLU the plain stack
cannot represent the identity at all on ``N(0, I)`` inputs (post: its output is ``>= 0``;
pre: its first ReLU erases every negative input coordinate), so it never reaches the
tolerance.

**Initialisation** (Glorot & Bengio, 2010; He et al., 2015). For ``z = a W`` with
``W_ij ~ N(0, σ²)`` of fan-in ``d`` and zero bias, ``E[z_j²] = d σ² E[a²]``, and for
``z`` symmetric ``E[relu(z)²] = E[z²] / 2``. So through one dense + ReLU layer the mean square
of the signal is multiplied by ``d σ² / 2``: by ``1/2`` under Xavier (``σ² = 2/(d + d)``), so
its RMS shrinks by ``sqrt(1/2)`` per layer, geometrically with depth; by ``1`` under He
(``σ² = 2/d``), so it stays constant. Without normalisation a residual stack instead adds the
branch to the signal, whose mean square then grows with depth (by ``1 + 1/4`` per basic
pre-activation block under Xavier, ``1 + 1`` under He).

Every function is pure: it works on a deep copy of the stack or network it is given.
"""

from __future__ import annotations

import copy
import math
from dataclasses import asdict

import numpy as np

from .. import budget
from ..blocks import PlainBlock, ResidualBlock
from ..layers import Activation, BatchNorm, Dense, Sequential
from ..losses import mse, softmax_cross_entropy
from ..messages import FieldError, finite
from ..nets import Network
from ..optim import OPTIMIZERS, make_optimizer
from ..portable import norm
from ..train import TrainConfig, train_network

INITS = ("xavier_normal", "he_normal")  # the two schemes the initialisation part compares


def _rms(a: np.ndarray) -> float:
    return float(np.sqrt(np.mean(a * a)))


# --- part 1: learning the identity ----------------------------------------------------------

def make_stack(kind: str, blocks: int, width: int, layout: str = "pre",
               activation: str = "identity", norm: bool = False, init: str = "xavier_normal",
               zero_init: bool = True, seed: int = 0) -> Sequential:
    """A stack of ``blocks`` basic blocks of width ``width``: ``(n, width) → (n, width)``.

    ``kind`` is ``"plain"`` (:class:`PlainBlock`) or ``"residual"`` (:class:`ResidualBlock`).
    Both draw their weights from ``default_rng(seed)`` in the same order, so the plain stack
    is the residual stack minus its shortcuts; ``zero_init`` applies to residual blocks only
    (as in :class:`simcore.nets.Network`).
    """
    if kind not in ("plain", "residual"):
        raise FieldError("kind", f"kind: {kind!r} is not one of plain, residual")
    rng = np.random.default_rng(seed)
    w = [width, width, width]
    if kind == "plain":
        return Sequential(*[PlainBlock(w, rng, layout, activation, norm, init)
                            for _ in range(blocks)])
    return Sequential(*[ResidualBlock(w, rng, layout, activation, norm, init, zero_init=zero_init)
                        for _ in range(blocks)])


def identity_data(points: int, width: int, seed: int = 0) -> np.ndarray:
    """``points`` inputs ``x ~ N(0, I_width)``, shape ``(points, width)``, from ``[seed, 2]``."""
    return np.random.default_rng([seed, 2]).normal(size=(points, width))


def identity_loss(stack: Sequential, X: np.ndarray) -> float:
    """``mean((f(X) − X)²)`` in training mode (the optimiser's view), on a copy of ``stack``."""
    return mse(copy.deepcopy(stack).forward(X, True), X)[0]


def fit_identity(stack: Sequential, X: np.ndarray, steps: int, lr: float, tol: float,
                 optimizer: str = "sgd", momentum: float = 0.9,
                 diverge_factor: float = 1e6) -> tuple[Sequential, dict]:
    """Fit a copy of ``stack`` to ``f(X) = X`` by full-batch steps of ``optimizer``.

    Parameters
    ----------
    stack : Sequential
        Maps ``(n, d) → (n, d)``; never modified.
    X : ndarray, shape (n, d)
        Inputs, which are also the targets.
    steps : int
        The step budget.
    tol : float
        Success is ``loss < tol``.

    Returns
    -------
    (trained copy, record) with record keys ``loss`` (``loss[k]`` after ``k`` steps, from
    ``k = 0``; the curve stops at the first loss below ``tol``), ``steps_to_tol`` (that ``k``,
    or ``None`` if the budget ran out or the fit diverged: never a number then), and ``status``
    (``"reached"``, ``"not reached"`` or ``"diverged"``: a non-finite loss or one above
    ``diverge_factor`` times the initial loss; its loss is reported as ``None``).
    """
    net = copy.deepcopy(stack)
    opt = make_optimizer(optimizer, lr, momentum)
    curve: list = []
    status = "not reached"
    with np.errstate(all="ignore"):
        for k in range(steps + 1):
            loss, dY = mse(net.forward(X, True), X)
            if not math.isfinite(loss) or (curve and loss > diverge_factor * max(curve[0], 1e-12)):
                curve.append(None)
                status = "diverged"
                break
            curve.append(float(loss))
            if loss < tol:
                status = "reached"
                break
            if k == steps:
                break
            net.backward(dY)
            opt.step(net)
    return net, {"loss": curve, "steps_to_tol": len(curve) - 1 if status == "reached" else None,
                 "status": status}


def is_affine(stack: Sequential) -> bool:
    """True when every activation is the identity and there is no BN: ``f(x) = x M + c``."""
    return all(not isinstance(leaf, BatchNorm) and
               (not isinstance(leaf, Activation) or leaf.name == "identity")
               for leaf in stack.leaves())


def affine_map(stack: Sequential, width: int) -> tuple[np.ndarray, np.ndarray]:
    """``(M, c)`` with ``f(x) = x M + c`` for an affine stack (see :func:`is_affine`):
    ``c = f(0)`` (shape ``(width,)``), ``M = f(I) − f(0)`` (shape ``(width, width)``). For a
    plain linear stack ``M`` is the product of its weight matrices, input to output."""
    if not is_affine(stack):
        raise FieldError("stack", "stack: not affine (it has a nonlinearity or batch normalisation)")
    net = copy.deepcopy(stack)
    c = net.forward(np.zeros((1, width)), False)[0]
    return net.forward(np.eye(width), False) - c, c


def block_report(stack: Sequential, X: np.ndarray) -> list[dict]:
    """Per block ``l``, on the inputs ``x_l`` it sees when the stack runs on ``X``
    (training mode, on a copy): ``weight_norm`` (Frobenius norm of all its weight matrices),
    ``last_weight_norm`` (its branch's last weight matrix) and ``branch_rms``, the RMS of
    what its branch outputs, ``α·F(x_l)`` for a residual block (the identity needs it to
    vanish) or ``F(x_l)`` for a plain block (which has to carry the whole signal); ``None``
    where not finite."""
    net = copy.deepcopy(stack)
    out = []
    h = X
    for block in net.layers:
        Ws = [leaf.params["W"] for leaf in block.branch.leaves() if isinstance(leaf, Dense)]
        alpha = getattr(block, "alpha", 1.0)
        out.append({
            "weight_norm": finite(float(np.sqrt(sum(np.sum(W * W) for W in Ws)))),
            "last_weight_norm": finite(norm(Ws[-1])),
            "branch_rms": finite(_rms(alpha * block.branch.forward(h, True))),
        })
        h = block.forward(h, True)
    return out


def learn_identity(cfg: dict) -> dict:
    """Plain vs residual stacks fitted to the identity (the ``learn_identity`` part of the task).

    Per kind: ``steps_to_tol`` (``None`` when not reached), ``status``, ``loss`` curve,
    ``initial_loss``/``final_loss``, ``blocks`` (:func:`block_report` after the fit) and, for
    affine stacks, ``end_to_end_error`` ``||M − I||_F`` and ``bias_norm`` ``||c||``
    (``None`` otherwise).
    """
    d = cfg["width"]
    X = identity_data(cfg["identity_points"], d, cfg["seed"])
    out: dict = {}
    for kind in ("plain", "residual"):
        stack = make_stack(kind, cfg["identity_blocks"], d, cfg["layout"], cfg["activation"],
                           cfg["norm"], cfg["init"], cfg["zero_init"], cfg["seed"])
        net, rec = fit_identity(stack, X, cfg["identity_steps"], cfg["identity_lr"],
                                cfg["identity_tol"], cfg["identity_optimizer"], cfg["momentum"])
        done = rec["status"] != "diverged"
        e2e = bias = None
        if done and is_affine(net):
            M, c = affine_map(net, d)
            e2e, bias = finite(norm(M - np.eye(d))), finite(norm(c))
        with np.errstate(all="ignore"):
            blocks = block_report(net, X) if done else None
        out[kind] = {**rec, "initial_loss": rec["loss"][0], "final_loss": rec["loss"][-1],
                     "blocks": blocks, "end_to_end_error": e2e, "bias_norm": bias}
    return out


# --- part 2: Xavier vs He ------------------------------------------------------------------

def signal_profile(net: Network, X: np.ndarray, y: np.ndarray) -> dict:
    """One forward and backward pass (training mode, cross-entropy) through a copy of ``net``.

    Returns plain lists, input to output: ``signal`` (``depth`` values: the RMS of the input of
    each weight layer counted in depth, so ``signal[0]`` is the data's and ``signal[l]`` for
    ``l >= 1`` what layer ``l − 1`` passed on), ``output`` (the RMS of the logits), ``grad_w``
    (the Frobenius norm of ``∂L/∂W`` per weight layer) and ``loss``.
    """
    net = copy.deepcopy(net)
    with np.errstate(all="ignore"):
        Z = net.forward(X, True)
        loss, dZ = softmax_cross_entropy(Z, y)
        net.backward(dZ)
    layers = net.weight_layers()
    return {"signal": [finite(_rms(w._X)) for w in layers], "output": finite(_rms(Z)),
            "grad_w": [finite(norm(w.grads["W"])) for w in layers],
            "loss": finite(loss)}


def layer_ratio(signal: list) -> float | None:
    """The geometric-mean factor per square block layer, ``(s[D−1] / s[1])^(1/(D−2))`` for
    ``D = len(signal)`` (the stem's fan-in is the data's, so it is left out); ``None`` if
    undefined (a signal of 0 or ``None``)."""
    a, b = signal[1], signal[-1]
    if not a or not b or len(signal) < 3:
        return None
    return finite((b / a) ** (1.0 / (len(signal) - 2)))


def expected_ratio(init: str) -> float:
    """``sqrt(d σ² / 2)`` for a square ``d × d`` dense + ReLU layer: ``sqrt(1/2)`` for Xavier
    (``σ² = 1/d``), ``1`` for He (``σ² = 2/d``)."""
    return {"xavier_normal": math.sqrt(0.5), "xavier_uniform": math.sqrt(0.5),
            "he_normal": 1.0, "he_uniform": 1.0}[init]


def init_comparison(cfg: dict) -> dict:
    """Xavier vs He, plain vs residual, ReLU, no normalisation (the ``init`` part of the task).

    Per ``{kind}`` and ``{init}``: ``profile`` (:func:`signal_profile` of the fresh net on the
    training split), ``ratio`` (:func:`layer_ratio`), ``curve`` (training loss per epoch, ``None``
    once diverged), ``initial_loss``, ``final_loss``, ``drop`` ``(L_0 − L_E)/L_0``, ``started``
    (``drop > identity_min_drop``; ``False`` if diverged) and ``status`` from ``simcore.train``.
    """
    keep = set(TrainConfig.__dataclass_fields__)
    run = {k: v for k, v in cfg.items() if k in keep}
    run.update(activation="relu", norm=False, zero_init=False, alpha=1.0)
    out: dict = {"expected_ratio": {i: expected_ratio(i) for i in INITS}}
    for kind in ("plain", "residual"):
        out[kind] = {}
        for init in INITS:
            profile = None
            curve = []
            for rec, net, ds in train_network(TrainConfig(**{**run, "kind": kind, "init": init})):
                if profile is None:
                    profile = signal_profile(net, ds["X_train"], ds["y_train"])
                curve.append(rec["train_loss"] if rec["status"] != "diverged" else None)
            l0, le = curve[0], curve[-1]
            drop = None if l0 is None or le is None else finite((l0 - le) / l0)
            out[kind][init] = {
                "profile": profile, "ratio": layer_ratio(profile["signal"]), "curve": curve,
                "initial_loss": l0, "final_loss": le, "drop": drop,
                "started": drop is not None and drop > cfg["identity_min_drop"],
                "status": rec["status"]}
    return out


# --- the api task -------------------------------------------------------------------------

NAME = "identity"
HELP = "learning y = x (plain vs residual stack) and Xavier vs He signal propagation"
FIELDS = {
    "identity_blocks": ("int", (1, 16)),
    "identity_points": ("int", (8, 1000)),
    "identity_steps": ("int", (0, 5000)),
    "identity_lr": ("float", (1e-6, 10.0)),
    "identity_tol": ("float", (1e-12, 1.0)),
    "identity_optimizer": ("choice", OPTIMIZERS),
    "identity_min_drop": ("float", (0.0, 1.0)),
    "identity_part": ("choice", ("both", "learn_identity", "init")),
}
_TRAIN_KEYS = ("dataset", "n", "noise", "test_fraction", "depth", "width", "layout", "optimizer",
               "lr", "momentum", "schedule", "warmup", "epochs", "batch_size", "seed")
DEFAULTS = {
    **{k: v for k, v in asdict(TrainConfig()).items() if k in _TRAIN_KEYS},
    # part 1 (the stack fitted to y = x)
    "identity_blocks": 2, "identity_points": 256, "identity_steps": 2000,
    "identity_optimizer": "adam", "identity_lr": 0.01, "identity_tol": 1e-3,
    "activation": "identity", "norm": False, "init": "xavier_normal", "zero_init": True,
    # part 2 (Xavier vs He: ReLU, no normalisation)
    "dataset": "moons", "n": 300, "depth": 20, "epochs": 5, "identity_min_drop": 0.1,
    # both
    "width": 32, "layout": "pre", "identity_part": "both",
}


WORK_FIELDS = "identity_steps, identity_points, identity_blocks, width, epochs, n or depth"


def work(cfg: dict) -> float:
    """The work of :func:`task` (see :mod:`simcore.budget`): part 1 fits a plain and a residual
    stack of ``identity_blocks`` blocks (two ``width × width`` layers each) for up to
    ``identity_steps`` full-batch steps; part 2 trains a plain and a residual net with each of
    two initialisations."""
    part, total = cfg["identity_part"], 0.0
    if part in ("both", "learn_identity"):
        blocks = cfg["identity_blocks"]
        step = 3 * cfg["identity_points"] * blocks * 2 * cfg["width"] ** 2 + 2 * blocks * budget.STEP
        total += 2 * (cfg["identity_steps"] + 2) * step
    if part in ("both", "init"):
        total += 2 * sum(budget.training({**cfg, "activation": "relu", "norm": False}, kind, cfg["depth"])
                         for kind in ("plain", "residual"))
    return total


def task(cfg: dict) -> dict:
    """Both parts: ``learn_identity`` (see :func:`learn_identity`; uses ``identity_*`` but
    ``identity_min_drop``, ``width``, ``layout``, ``activation``, ``norm``, ``init``,
    ``zero_init``, ``momentum`` (for ``identity_optimizer`` momentum/nesterov) and ``seed``)
    and ``init`` (see :func:`init_comparison`; always ReLU without normalisation and both
    inits, so ``activation``, ``norm``, ``init`` and ``zero_init`` do not apply to it; it uses
    the training fields, ``width``, ``layout``, ``seed`` and ``identity_min_drop``).

    ``identity_part`` picks ``"both"`` or one of them; the other's key is then ``None``."""
    part = cfg["identity_part"]
    return {"config": cfg,
            "learn_identity": learn_identity(cfg) if part in ("both", "learn_identity") else None,
            "init": init_comparison(cfg) if part in ("both", "init") else None}


def _g(x) -> str:
    return "-" if x is None else f"{x:.3g}"


def _steps(rec: dict) -> str:
    return f"{rec['steps_to_tol']} steps" if rec["steps_to_tol"] is not None else rec["status"]


def text(res: dict) -> str:
    lines = []
    if res["learn_identity"] is not None:
        lines += _text_identity(res)
    if res["init"] is not None:
        lines += _text_init(res)
    return "\n".join(lines)


def _text_identity(res: dict) -> list[str]:
    cfg = res["config"]
    li = res["learn_identity"]
    lines = [f"learning y = x: {cfg['identity_blocks']} blocks of width {cfg['width']}, "
             f"{cfg['layout']}-activation, {cfg['activation']}, norm "
             f"{'on' if cfg['norm'] else 'off'}, MSE < {cfg['identity_tol']:g}"]
    for kind in ("plain", "residual"):
        r = li[kind]
        e2e = "" if r["end_to_end_error"] is None else f", |M - I| {_g(r['end_to_end_error'])}"
        rms = [b["branch_rms"] for b in r["blocks"] or [] if b["branch_rms"] is not None]
        br = f", max branch rms {_g(max(rms))}" if rms else ""
        lines.append(f"  {kind:>8}: {_steps(r)} (loss {_g(r['initial_loss'])} -> "
                     f"{_g(r['final_loss'])}{e2e}{br})")
    return lines


def _text_init(res: dict) -> list[str]:
    cfg = res["config"]
    lines = [f"Xavier vs He at initialisation (ReLU, no norm, depth {cfg['depth']}, "
                 f"width {cfg['width']}); signal factor per layer (expected plain: "
                 f"{math.sqrt(0.5):.3f} Xavier, 1 He); training starts = loss drops by "
                 f"> {100 * cfg['identity_min_drop']:g}% in {cfg['epochs']} epochs"]
    for kind in ("plain", "residual"):
        for init in INITS:
            r = res["init"][kind][init]
            ratio = "-" if r["ratio"] is None else f"{r['ratio']:.3f}"
            drop = "-" if r["drop"] is None else f"{100 * r['drop']:.3g}%"
            sig = r["profile"]["signal"]
            lines.append(f"  {kind:>8} {init:<13} factor {ratio}  signal {_g(sig[1])} -> "
                         f"{_g(sig[-1])}  loss drop {drop}  starts: "
                         f"{'yes' if r['started'] else 'no'}"
                         f"{'' if r['status'] == 'done' else ' (' + r['status'] + ')'}")
    return lines
