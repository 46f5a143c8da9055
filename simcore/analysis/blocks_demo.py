"""One block on its own: its structure, a zero branch, and ``F(x) = H(x) − x``, measured.

A block of :mod:`simcore.blocks` is built alone (the same classes, widths and rules
:class:`simcore.nets.Network` uses) and fed a batch ``x ~ N(0, I)``; BN uses batch statistics,
as during training. Two facts of residual learning (He et al., 2016a, §3.1; 2016b) are then
*measured*, not assumed:

**A zero branch is the identity.** With the branch's last layer zeroed (``zero_init``: BN
``γ = 0`` in the post layout, ``W = 0`` in the pre layout) the branch outputs exactly 0, so a
pre-activation block returns its shortcut: ``y = x`` bit for bit (``y = s(x)``, the
projection, when the widths differ). A post-activation block still applies its activation
after the addition, ``y = relu(x) ≠ x``; a plain block (no shortcut) returns ``0`` (or
``act(0)``), far from ``x``. A highway layer with a zero transform returns ``(1 − T(x))·x``: it
is the identity only once its gate closes. A dense layer always passes ``x`` on unchanged
(``y = [x, G(x)]``).

**The branch learns the residual.** Write ``H(x)`` for the block's mapping before any final
activation: ``H(x) = s(x) + α·F(x)``, computed by the block's own ``forward`` (with its final
activation switched off on a copy). Then ``α·F(x)``, computed separately by the branch, equals
``H(x) − s(x)`` up to rounding. For a plain block ``H = F`` (there is no shortcut), so
``F − (H − x) = x``. For a highway layer the analogue is ``y − x = T(x)·(H(x) − x)``.

Every function is pure: it builds its own block from the config.
"""

from __future__ import annotations

import copy

import numpy as np

from .. import budget
from ..blocks import DenseLayer, HighwayBlock, PlainBlock, ResidualBlock, zero_last
from ..layers import Activation, BatchNorm, Dense
from ..messages import FieldError
from ..nets import NetConfig, block_widths

BLOCK_KINDS = ("residual", "bottleneck", "projection", "plain", "highway", "dense")
POINTS = 256  # values per scatter in the result (the maxima use the whole batch)


def make_block(cfg: dict, rng: np.random.Generator):
    """The block ``cfg["block_kind"]`` of input width ``cfg["block_width"]``.

    ``residual``/``plain``: widths ``[d, d, d]``; ``bottleneck``: ``[d, d/4, d/4, d]`` (at
    least 1, as in :class:`simcore.nets.Network`); ``projection``: ``[d, 2d, 2d]``, so the
    shortcut is a learned projection ``d → 2d``; ``highway``: :class:`HighwayBlock` of width
    ``d``; ``dense``: :class:`DenseLayer` adding ``growth`` features.
    """
    kind, d = cfg["block_kind"], cfg["block_width"]
    act, norm, init, layout = cfg["activation"], cfg["norm"], cfg["init"], cfg["layout"]
    if kind in ("residual", "plain"):
        widths = [d, d, d]
    elif kind == "bottleneck":
        widths = block_widths(NetConfig(width=d, bottleneck=True))
    elif kind == "projection":
        widths = [d, 2 * d, 2 * d]
    elif kind == "highway":
        return HighwayBlock(d, rng, act, norm, init, cfg["carry_bias"])
    elif kind == "dense":
        return DenseLayer(d, cfg["growth"], rng, act, norm, init)
    else:
        raise FieldError("block_kind", f"block_kind: {kind!r} is not one of {', '.join(BLOCK_KINDS)}")
    if kind == "plain":
        return PlainBlock(widths, rng, layout, act, norm, init)
    return ResidualBlock(widths, rng, layout, act, norm, init, alpha=cfg["alpha"])


def ops(container) -> list[dict]:
    """The leaves of ``container`` in forward order as plain dicts: ``{"op": "dense", "in",
    "out", "bias"}``, ``{"op": "bn", "width"}`` or ``{"op": "act", "name"}``."""
    out = []
    for leaf in container.leaves():
        if isinstance(leaf, Dense):
            out.append({"op": "dense", "in": leaf.d_in, "out": leaf.d_out, "bias": "b" in leaf.params})
        elif isinstance(leaf, BatchNorm):
            out.append({"op": "bn", "width": leaf.d})
        elif isinstance(leaf, Activation):
            out.append({"op": "act", "name": leaf.name})
    return out


def structure(block) -> dict:
    """What the block is made of: ``branch`` ops, ``shortcut`` (``type`` identity, projection,
    none, carry or concat, with its ops), ``gate`` ops (highway), ``out_act`` (the activation
    after the combination, or None), ``combine``, ``d_in``, ``d_out`` and ``params``."""
    params = int(sum(v.size for v in block.params.values()))
    if isinstance(block, ResidualBlock):
        proj = block.shortcut is not None
        return {"branch": ops(block.branch), "combine": "add",
                "shortcut": {"type": "projection" if proj else "identity",
                             "ops": ops(block.shortcut) if proj else []},
                "gate": [], "out_act": block.out_act.name if block.out_act else None,
                "alpha": block.alpha, "d_in": _d_in(block.branch), "d_out": _d_out(block.branch),
                "params": params}
    if isinstance(block, PlainBlock):
        return {"branch": ops(block.branch), "combine": "none", "shortcut": {"type": "none", "ops": []},
                "gate": [], "out_act": block.out_act.name if block.out_act else None, "alpha": 1.0,
                "d_in": _d_in(block.branch), "d_out": _d_out(block.branch), "params": params}
    if isinstance(block, HighwayBlock):
        return {"branch": ops(block.H), "combine": "gate", "shortcut": {"type": "carry", "ops": []},
                "gate": ops(block.T), "out_act": None, "alpha": 1.0,
                "d_in": _d_in(block.H), "d_out": _d_out(block.H), "params": params}
    return {"branch": ops(block.G), "combine": "concat", "shortcut": {"type": "concat", "ops": []},
            "gate": [], "out_act": None, "alpha": 1.0, "d_in": block.d_in,
            "d_out": block.d_in + _d_out(block.G), "params": params}


def _d_in(seq) -> int:
    return next(op["in"] for op in ops(seq) if op["op"] == "dense")


def _d_out(seq) -> int:
    return [op["out"] for op in ops(seq) if op["op"] == "dense"][-1]


def _max_abs(a: np.ndarray) -> float:
    return float(np.max(np.abs(a))) if a.size else 0.0


def _sample(a: np.ndarray) -> list[float]:
    return [float(v) for v in np.asarray(a).ravel()[:POINTS]]


def zero_branch(block, x: np.ndarray) -> dict:
    """The block with its branch zeroed, on ``x``: ``max_abs_diff`` between the output and what
    a pure shortcut would give (``x``; ``s(x)`` for a projection; the first ``d`` features of
    a dense layer's output), with sample ``reference`` and ``output`` values."""
    blk = copy.deepcopy(block)
    d = x.shape[1]
    if isinstance(blk, (ResidualBlock, PlainBlock)):
        zero_last(blk.branch)
        y = blk.forward(x, True)
        if isinstance(blk, ResidualBlock) and blk.shortcut is not None:
            ref, compare, ref_label = blk.shortcut.forward(x, True), "max |y − s(x)|", "s(x)"
        else:
            ref, compare, ref_label = x, "max |y − x|", "x"
    elif isinstance(blk, HighwayBlock):
        for leaf in blk.H.leaves():  # the transform H outputs act(0): zero weights, bias, γ, β
            for v in leaf.params.values():
                v[...] = 0.0
        y, ref, compare, ref_label = blk.forward(x, True), x, "max |y − x|", "x"
    else:
        zero_last(blk.G)
        y, ref = blk.forward(x, True)[:, :d], x
        compare, ref_label = "max |y[:d] − x|", "x"
    return {"compare": compare, "reference_label": ref_label, "max_abs_diff": _max_abs(y - ref),
            "reference": _sample(ref), "output": _sample(y)}


def decomposition(block, x: np.ndarray) -> dict:
    """``F(x)`` against ``H(x) − s(x)`` (see the module docstring): ``max_abs_error`` over the
    batch, with sample ``lhs`` (``F``) and ``rhs`` (``H − s``) values and their labels."""
    blk = copy.deepcopy(block)
    if isinstance(blk, ResidualBlock):
        blk.out_act = None  # H(x) = s(x) + α·F(x), by the block's own forward
        H = blk.forward(x, True)
        proj = blk.shortcut is not None
        S = blk.shortcut.forward(x, True) if proj else x
        F = blk.residual(x, True)
        s = "s(x)" if proj else "x"
        return {"compare": f"max |F(x) − (H(x) − {s})|", "lhs_label": "F(x)",
                "rhs_label": f"H(x) − {s}", "max_abs_error": _max_abs(F - (H - S)),
                "lhs": _sample(F), "rhs": _sample(H - S)}
    if isinstance(blk, PlainBlock):
        blk.out_act = None  # no shortcut: H(x) = F(x)
        H = blk.forward(x, True)
        F = blk.branch.forward(x, True)
        return {"compare": "max |F(x) − (H(x) − x)|", "lhs_label": "F(x)", "rhs_label": "H(x) − x",
                "max_abs_error": _max_abs(F - (H - x)), "lhs": _sample(F), "rhs": _sample(H - x)}
    if isinstance(blk, HighwayBlock):
        y = blk.forward(x, True)
        H, T = blk.H.forward(x, True), blk.T.forward(x, True)
        return {"compare": "max |(y − x) − T(x)·(H(x) − x)|", "lhs_label": "y − x",
                "rhs_label": "T(x)·(H(x) − x)", "max_abs_error": _max_abs((y - x) - T * (H - x)),
                "lhs": _sample(y - x), "rhs": _sample(T * (H - x))}
    d = x.shape[1]
    new = blk.forward(x, True)[:, d:]
    G = blk.G.forward(x, True)
    return {"compare": "max |y[d:] − G(x)|", "lhs_label": "y[d:]", "rhs_label": "G(x)",
            "max_abs_error": _max_abs(new - G), "lhs": _sample(new), "rhs": _sample(G)}


# --- the api task -------------------------------------------------------------------------

NAME = "blocks_demo"
HELP = "one block: its structure, zero branch = identity, and F(x) = H(x) - x, measured"
FIELDS = {"block_kind": ("choice", BLOCK_KINDS), "block_width": ("int", (2, 64))}
DEFAULTS = {"block_kind": "residual", "layout": "pre", "block_width": 8, "norm": True,
            "activation": "relu", "init": "he_normal", "alpha": 1.0, "carry_bias": -2.0,
            "growth": 8, "n": 64, "seed": 0}


WORK_FIELDS = "n or block_width"


def work(cfg: dict) -> float:
    """The work of :func:`task` (see :mod:`simcore.budget`): one block (at most three layers of
    ``4 × block_width``, with a gate or a projection) on ``n`` rows, a few times over."""
    return 20 * (cfg["n"] * (4 * cfg["block_width"]) ** 2 + 3 * budget.PASS)


def task(cfg: dict) -> dict:
    """One block of ``block_kind`` and input width ``block_width`` (``layout`` applies to the
    residual, bottleneck, projection and plain blocks), fed ``n`` rows of ``N(0, I)`` drawn
    after its weights from ``default_rng(seed)``.

    Returns ``structure`` (see :func:`structure`), ``zero_branch`` (see :func:`zero_branch`)
    and ``decomposition`` (see :func:`decomposition`); sample lists hold at most 256 values.
    """
    rng = np.random.default_rng(cfg["seed"])
    block = make_block(cfg, rng)
    x = rng.standard_normal((cfg["n"], cfg["block_width"]))
    return {"config": cfg, "structure": structure(block), "zero_branch": zero_branch(block, x),
            "decomposition": decomposition(block, x)}


def text(res: dict) -> str:
    cfg, st = res["config"], res["structure"]
    kind = cfg["block_kind"]
    where = f"{cfg['layout']}-activation " if kind in ("residual", "bottleneck", "projection", "plain") else ""
    z, dec = res["zero_branch"], res["decomposition"]
    return "\n".join([
        (f"{where}{kind} block, width {st['d_in']} -> {st['d_out']}, {st['params']} parameters "
         f"(shortcut: {st['shortcut']['type']})"),
        f"zero branch: {z['compare']} = {z['max_abs_diff']:.3e}",
        f"decomposition: {dec['compare']} = {dec['max_abs_error']:.3e}",
    ])
