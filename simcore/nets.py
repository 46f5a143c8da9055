"""Networks from a config: stem → stack of blocks → softmax head.

Depth counts weight layers on the main path, as the ResNet paper does (shortcut projections
and highway gates are not counted):

* ``plain`` / ``residual``: ``depth = 2 + k·b`` with ``b`` blocks of ``k`` layers (k = 2 for
  the basic block, 3 for the bottleneck); the plain net is the residual net without shortcuts.
* ``highway``: ``depth = 2 + b`` highway layers.
* ``dense``: ``depth = 2 + (dense layers + transitions)``, grouped into dense blocks of
  ``dense_layers`` layers, each followed by a transition back to ``width``.

Post-activation nets have stem ``dense → [BN] → act`` and head ``dense``; pre-activation and
dense nets have stem ``dense`` and head ``[BN] → act → dense`` (He et al. 2016b; Huang et al.).

``arithmetic`` chooses how the network computes (:mod:`simcore.arithmetic`): every dense layer,
batch norm and activation is built with it, and :attr:`Network.arithmetic` holds it for the loss.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from . import arithmetic as _arithmetic
from .blocks import DenseLayer, HighwayBlock, PlainBlock, ResidualBlock, fixup, transition
from .layers import Activation, BatchNorm, Container, Dense, Sequential
from .messages import FieldError

KINDS = ("plain", "residual", "highway", "dense")
DTYPES = ("float64", "float32")
ARITHMETICS = tuple(_arithmetic.ARITHMETICS)  # ("portable", "native")


@dataclass
class NetFields:
    """The settings of a network's architecture: the fields :class:`NetConfig` and
    :class:`simcore.train.TrainConfig` share (declared once, here)."""

    kind: str = "residual"
    depth: int = 8
    width: int = 32
    layout: str = "post"          # "post" (He 2016a) or "pre" (He 2016b)
    bottleneck: bool = False      # residual/plain: reduce → transform → expand, 3 layers/block
    norm: bool = True             # batch normalisation on/off
    activation: str = "relu"
    init: str = "he_normal"
    zero_init: bool = False       # zero the last layer of every residual branch
    alpha: float = 1.0            # residual scaling
    learn_alpha: bool = False     # residual: α a learned scalar per block, from alpha (SkipInit/ReZero: 0)
    fixup: bool = False           # residual without norm: Fixup's initialisation (Zhang et al. 2019)
    survival: float = 1.0         # residual: stochastic depth, the last block's survival probability (1: off)
    shortcut: str = "identity"    # residual: what carries x past the branch (blocks.SHORTCUTS)
    shortcut_scale: float = 0.5   # residual, shortcut "scaled": the constant x is multiplied by
    carry_bias: float = -2.0      # highway gate bias at initialisation
    growth: int = 8               # dense: features added per dense layer
    dense_layers: int = 4         # dense: layers per dense block (then a transition)
    dtype: str = "float64"        # of parameters, BN state and everything computed
    arithmetic: str = "portable"  # "native": NumPy's BLAS @ and exp/tanh, machine-dependent bits
    skips: str = ""               # residual: "0"/"1" per block, "0" removes its shortcut; "": all on


@dataclass
class NetConfig(NetFields):
    """Everything that defines a network (and nothing about training): its architecture
    (:class:`NetFields`), the sizes of its input and output, and the seed of its weights."""

    d_in: int = 2
    n_classes: int = 2
    seed: int = 0

    def to_dict(self) -> dict:
        return asdict(self)


def layers_per_block(cfg: NetConfig) -> int:
    if cfg.kind in ("plain", "residual"):
        return 3 if cfg.bottleneck else 2
    return 1


def block_widths(cfg: NetConfig) -> list[int]:
    """The widths through each plain/residual block: ``[w, w, w]`` for the basic block,
    ``[w, b, b, w]`` with ``b = max(1, w // 4)`` for the bottleneck."""
    w = cfg.width
    return [w, max(1, w // 4), max(1, w // 4), w] if cfg.bottleneck else [w, w, w]


def check_depth(cfg: NetConfig) -> None:
    """Raise ``ValueError`` unless ``cfg.depth`` can be built for ``cfg.kind`` (and ``cfg.skips``
    has one switch per block of a residual net, see :func:`check_skips`)."""
    k = layers_per_block(cfg)
    if cfg.depth < 2 + k or (cfg.depth - 2) % k:
        raise FieldError("depth", f"depth: {cfg.depth} is not 2 + {k}·b with b >= 1 blocks "
                         f"for kind {cfg.kind!r}{' (bottleneck)' if k == 3 else ''}")
    check_skips(cfg)
    for field, on in (("learn_alpha", cfg.learn_alpha), ("fixup", cfg.fixup)):
        if on and cfg.kind != "residual":
            raise FieldError(field, f"{field}: true is not allowed for kind {cfg.kind!r} (only a residual "
                             "net has branches to scale); expected false")
    if cfg.shortcut != "identity" and cfg.kind != "residual":
        raise FieldError("shortcut", f"shortcut: {cfg.shortcut!r} is not allowed for kind {cfg.kind!r} "
                         "(only a residual net has shortcuts); expected identity")
    if cfg.survival != 1.0 and cfg.kind != "residual":
        raise FieldError("survival", f"survival: {cfg.survival} is not allowed for kind {cfg.kind!r} (only "
                         "a residual block can be dropped: its shortcut carries on); expected 1")
    if cfg.fixup and cfg.norm:
        raise FieldError("fixup", "fixup: true is not allowed with norm true (Fixup's initialisation "
                         "replaces normalisation); set norm false")


def check_skips(cfg: NetConfig) -> None:
    """``skips`` is empty (every shortcut on) or, for a residual net, one ``0`` or ``1`` per
    block; anything else is a ``ValueError`` naming ``skips`` and the length expected."""
    if not cfg.skips:
        return
    if cfg.kind != "residual":
        raise FieldError("skips", f"skips: {cfg.skips[:80]!r} is not allowed for kind {cfg.kind!r} "
                         "(only a residual net has shortcuts to remove); expected an empty string")
    n = (cfg.depth - 2) // layers_per_block(cfg)
    if len(cfg.skips) != n or set(cfg.skips) - {"0", "1"}:
        raise FieldError("skips", f"skips: {cfg.skips[:80]!r} is not allowed; expected {n} characters, "
                         f"each 0 (shortcut removed) or 1 (kept), one per block of depth {cfg.depth}")


class Network(Container):
    """A stem, a stack of blocks and a linear head producing logits ``(n, n_classes)``."""

    def __init__(self, config: NetConfig | dict) -> None:
        cfg = config if isinstance(config, NetConfig) else NetConfig(**config)
        if cfg.kind not in KINDS:
            raise FieldError("kind", f"kind: {cfg.kind!r} is not one of {', '.join(KINDS)}")
        if cfg.dtype not in DTYPES:
            raise FieldError("dtype", f"dtype: {cfg.dtype!r} is not one of {', '.join(DTYPES)}")
        ar = _arithmetic.get(cfg.arithmetic)  # ValueError naming the field
        check_depth(cfg)
        self.config = cfg
        self.dtype = np.dtype(cfg.dtype)
        self.arithmetic = ar
        rng = np.random.default_rng(cfg.seed)
        # gates, 1×1 shortcuts and shortcut dropout draw from a generator of their own, so that
        # every other weight is the same whatever the shortcut
        side_rng = np.random.default_rng([cfg.seed, 3])
        w, act, norm, init = cfg.width, cfg.activation, cfg.norm, cfg.init
        pre = cfg.layout == "pre" or cfg.kind == "dense"

        stem = [Dense(cfg.d_in, w, rng, init=init, bias=pre or not norm, arithmetic=ar)]
        if not pre:
            stem += [*([BatchNorm(w, arithmetic=ar)] if norm else []), Activation(act, arithmetic=ar)]
        self.stem = Sequential(*stem)

        n_mid = cfg.depth - 2
        blocks: list = []
        if cfg.kind in ("plain", "residual"):
            widths = block_widths(cfg)
            for b in range(n_mid // layers_per_block(cfg)):
                # a residual block whose shortcut is switched off is the plain block: the same
                # branch, drawn from the generator in the same order, without the addition
                if cfg.kind == "plain" or cfg.skips[b:b + 1] == "0":
                    blocks.append(PlainBlock(widths, rng, cfg.layout, act, norm, init,
                                             arithmetic=ar))
                else:
                    blocks.append(ResidualBlock(widths, rng, cfg.layout, act, norm, init,
                                                alpha=cfg.alpha, zero_init=cfg.zero_init,
                                                learn_alpha=cfg.learn_alpha, shortcut=cfg.shortcut,
                                                shortcut_scale=cfg.shortcut_scale,
                                                gate_bias=cfg.carry_bias, side_rng=side_rng,
                                                arithmetic=ar))
        elif cfg.kind == "highway":
            blocks = [HighwayBlock(w, rng, act, norm, init, cfg.carry_bias, arithmetic=ar)
                      for _ in range(n_mid)]
        else:
            remaining = n_mid
            while remaining > 0:
                n_dense = min(cfg.dense_layers, remaining - 1)
                d = w
                for _ in range(n_dense):
                    blocks.append(DenseLayer(d, cfg.growth, rng, act, norm, init, arithmetic=ar))
                    d += cfg.growth
                blocks.append(transition(d, w, rng, act, norm, init, arithmetic=ar))
                remaining -= n_dense + 1
        self.blocks = blocks

        head = [*([BatchNorm(w, arithmetic=ar)] if norm else []), Activation(act, arithmetic=ar)] if pre else []
        self.head = Sequential(*head, Dense(w, cfg.n_classes, rng, init="xavier_normal",
                                            arithmetic=ar))
        residual = [b for b in blocks if isinstance(b, ResidualBlock)]
        for i, b in enumerate(residual, start=1):  # stochastic depth: linear decay to survival
            b.survival = 1.0 - i / len(residual) * (1.0 - cfg.survival)
        if cfg.fixup:  # every branch rescaled and ending in zero, and the head zero
            residual = [b for b in blocks if isinstance(b, ResidualBlock)]
            for b in residual:
                b.branch = fixup(b.branch, len(residual), ar)
            self.head.layers[-1].params["W"][...] = 0.0
        if self.dtype != np.float64:
            # drawn in float64 (as every rng draw is), then rounded: a float32 net starts from
            # the float64 net's weights, rounded
            self.cast(self.dtype)

    def children(self):
        return ([("stem", self.stem)] + [(f"blocks.{i}", b) for i, b in enumerate(self.blocks)]
                + [("head", self.head)])

    def drop(self, rng: np.random.Generator | None) -> None:
        """Stochastic depth: draw which residual blocks the next training step skips (block
        ``l`` survives with its ``survival``), one uniform number per block from ``rng``; ``None``
        keeps every block. Only training-mode passes skip a dropped block."""
        residual = [b for b in self.blocks if isinstance(b, ResidualBlock)]
        u = rng.random(len(residual)) if rng is not None else None
        for i, b in enumerate(residual):
            b.dropped = u is not None and u[i] >= b.survival
            b.new_step()  # (a shortcut dropout draws its next mask)

    def forward(self, X: np.ndarray, train: bool = True) -> np.ndarray:
        X = np.asarray(X, dtype=self.dtype)  # no copy when it already has the net's dtype
        X = self.stem.forward(X, train)
        for block in self.blocks:
            X = block.forward(X, train)
        return self.head.forward(X, train)

    def backward(self, dY: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        """Fill every ``grads`` and return ``∂L/∂X``; ``input_grad=False`` skips that last
        product (training needs only the parameter gradients) and returns ``None``."""
        dY = np.asarray(dY, dtype=self.dtype)
        dY = self.head.backward(dY)
        for block in reversed(self.blocks):
            dY = block.backward(dY)
        return self.stem.backward(dY, input_grad=input_grad)

    def weight_layers(self) -> list[Dense]:
        """The dense layers counted in ``depth``, input to output (len == depth)."""
        return [leaf for leaf in self.leaves() if isinstance(leaf, Dense) and leaf.role == "main"]

    def calibrate_bn(self, X: np.ndarray) -> None:
        """Set every BN layer's running statistics to those of ``X`` (one pass, momentum 1).

        Training-mode outputs and gradients do not depend on running statistics, so this
        changes only what evaluation mode reports: it makes the untrained network's
        evaluation meaningful (fresh running statistics are 0 and 1, wrong after layer one).
        """
        bns = [leaf for leaf in self.leaves() if isinstance(leaf, BatchNorm)]
        saved = [bn.momentum for bn in bns]
        for bn in bns:
            bn.momentum = 1.0
        self.forward(X, train=True)
        for bn, m in zip(bns, saved):
            bn.momentum = m

    def num_params(self) -> int:
        return int(sum(v.size for v in self.params.values()))

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Class predictions in evaluation mode (BN uses running statistics)."""
        return self.forward(X, train=False).argmax(axis=1)


def plan(config: NetConfig | dict) -> dict:
    """What the plain or residual network of ``config`` is made of, read off ``Network(config)``.

    ``layers``: its weight layers, input to output (``len == depth``), each ``{"role": "stem",
    "block" or "head", "block": its block's index or None, "index": its place in the block or
    None, "in", "out", "ops"}``. ``ops`` is the layer's unit in forward order, ``"dense"``,
    ``"BN"`` and activation names: the batch norm and activation after the dense layer in the
    post layout, before it in the pre layout.

    ``blocks``: each block's ``first`` and ``last`` layer (indices into ``layers``), its
    ``shortcut`` (``"identity"``, ``"projection"``, or None in a plain net) and ``after``, what
    follows the addition (the activation in the post layout, nothing in the pre layout).
    """
    cfg = config if isinstance(config, NetConfig) else NetConfig(**config)
    if cfg.kind not in ("plain", "residual"):
        raise FieldError("kind", f"kind: {cfg.kind!r} has no plan (plain and residual nets have)")
    net = Network(cfg)
    pre = cfg.layout == "pre"
    layers: list[dict] = []
    blocks: list[dict] = []

    def add(role: str, block: int | None, units: list) -> None:
        for index, (dense, ops) in enumerate(units):
            layers.append({"role": role, "block": block, "index": None if block is None else index,
                           "in": dense.d_in, "out": dense.d_out, "ops": ops})

    add("stem", None, _units(net.stem.leaves(), pre))
    for b, block in enumerate(net.blocks):
        first = len(layers)
        add("block", b, _units(block.branch.leaves(), pre))
        shortcut = None
        if isinstance(block, ResidualBlock):
            shortcut = "identity" if block.shortcut is None else "projection"
        blocks.append({"first": first, "last": len(layers) - 1, "shortcut": shortcut,
                       "after": [block.out_act.name] if block.out_act else []})
    add("head", None, _units(net.head.leaves(), pre))
    return {"layers": layers, "blocks": blocks}


def _units(leaves: list, pre: bool) -> list[tuple[Dense, list[str]]]:
    """One unit per dense layer: the dense layer with the batch norm and activation that follow
    it (post layout) or precede it (pre layout)."""
    units: list[tuple[Dense, list[str]]] = []
    pending: list[str] = []
    for leaf in leaves:
        if isinstance(leaf, Dense):
            units.append((leaf, pending + ["dense"]))
            pending = []
        elif pre or not units:  # (Fixup's scalar bias comes before the first dense layer)
            pending.append("BN" if isinstance(leaf, BatchNorm) else leaf.name)
        else:
            units[-1][1].append("BN" if isinstance(leaf, BatchNorm) else leaf.name)
    return units
