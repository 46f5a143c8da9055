"""Blocks: plain, residual (post- and pre-activation, basic or bottleneck, identity or
projection shortcut), highway, and dense connectivity with its transition.

Every block keeps the layer contract (``forward(X, train)``, ``backward(dY) -> dX``,
``params``/``grads``). Widths are feature counts: a "1×1 convolution" is a dense layer here.
Every block takes ``arithmetic`` (portable by default) and builds its dense layers and
activations with it (see :mod:`simcore.arithmetic`).

The residual block computes ``y = act(s(x) + α·F(x))`` (post-activation, He et al. 2016a) or
``y = s(x) + α·F(x)`` (pre-activation, He et al. 2016b), where ``s`` is the identity or, when
widths differ, a learned projection; its backward is the gradient highway in one line:
``dX = dS + F.backward(α·dS)``.
"""

from __future__ import annotations

import numpy as np

from .arithmetic import PORTABLE, Arithmetic
from .layers import Activation, BatchNorm, Container, Dense, Scalar, Sequential
from .messages import FieldError

LAYOUTS = ("post", "pre")
# what carries x past the branch (He et al. 2016b, Table 1): the identity; x scaled by a
# constant; exclusive gating, (1 − g)·x + g·F; shortcut-only gating, (1 − g)·x + F; a 1×1
# convolution (a learned dense map, even where the widths agree); dropout on x
SHORTCUTS = ("identity", "scaled", "exclusive_gate", "shortcut_gate", "conv", "dropout")
DROPOUT = 0.5  # the shortcut dropout's rate, as in the paper


def make_branch(widths: list[int], layout: str, activation: str, norm: bool,
                rng: np.random.Generator, init: str = "he_normal",
                arithmetic: Arithmetic = PORTABLE) -> Sequential:
    """The residual function ``F``: one dense layer per step of ``widths``.

    ``post``: (dense → BN → act) for every layer but the last, which is dense → BN
    (the activation comes after the addition); a dense layer followed by BN has no bias,
    since BN would remove it. ``pre``: (BN → act → dense) for every layer.
    ``widths=[d, d, d]`` is the basic two-layer block; ``[d, d/4, d/4, d]`` the bottleneck.
    """
    if layout not in LAYOUTS:
        raise FieldError("layout", f"layout: {layout!r} is not one of {', '.join(LAYOUTS)}")
    # --8<-- [start:branch]
    layers: list = []
    steps = list(zip(widths[:-1], widths[1:]))
    for i, (a, b) in enumerate(steps):
        last = i == len(steps) - 1
        if layout == "pre":
            if norm:
                layers.append(BatchNorm(a, arithmetic=arithmetic))
            layers += [Activation(activation, arithmetic=arithmetic),
                       Dense(a, b, rng, init=init, arithmetic=arithmetic)]
        else:
            # BN removes a bias
            layers.append(Dense(a, b, rng, init=init, bias=not norm, arithmetic=arithmetic))
            if norm:
                layers.append(BatchNorm(b, arithmetic=arithmetic))
            if not last:
                layers.append(Activation(activation, arithmetic=arithmetic))
    return Sequential(*layers)
    # --8<-- [end:branch]


# --8<-- [start:zero-last]
def zero_last(branch: Sequential) -> None:
    """Zero-init the last layer of a branch so the block starts as its shortcut.

    A branch that ends in BN gets ``gamma = 0`` (Goyal et al., 2017); one that ends in a
    dense layer gets ``W = 0`` (its bias is already zero).
    """
    last = branch.layers[-1]
    if isinstance(last, BatchNorm):
        last.params["gamma"][...] = 0.0
    else:
        last.params["W"][...] = 0.0
        if "b" in last.params:
            last.params["b"][...] = 0.0
# --8<-- [end:zero-last]


# --8<-- [start:fixup]
def fixup(branch: Sequential, blocks: int, arithmetic: Arithmetic = PORTABLE) -> Sequential:
    """Fixup's initialisation of one residual branch without normalisation (Zhang et al., 2019).

    With ``blocks`` residual branches of ``m`` weight layers each: the branch's dense layers
    are scaled by ``blocks^(−1/(2m−2))``, its last dense layer is zeroed (so the block starts as
    its shortcut), a scalar bias (0) goes before every dense layer and activation, and a scalar
    multiplier (1) and a scalar bias (0) after the last layer. Returns the new branch.
    """
    dense = [layer for layer in branch.layers if isinstance(layer, Dense)]
    scale = float(blocks) ** (-1.0 / (2 * len(dense) - 2))
    for layer in dense[:-1]:
        layer.params["W"] *= scale
    zero_last(Sequential(dense[-1]))
    layers: list = []
    for layer in branch.layers:
        if isinstance(layer, (Dense, Activation)):
            layers.append(Scalar("bias", 0.0, arithmetic))
        layers.append(layer)
    return Sequential(*layers, Scalar("scale", 1.0, arithmetic), Scalar("bias", 0.0, arithmetic))
# --8<-- [end:fixup]


class PlainBlock(Container):
    """The residual block without its shortcut: ``y = act(F(x))`` (post) or ``y = F(x)`` (pre)."""

    def __init__(self, widths: list[int], rng: np.random.Generator, layout: str = "post",
                 activation: str = "relu", norm: bool = True, init: str = "he_normal",
                 arithmetic: Arithmetic = PORTABLE) -> None:
        self.branch = make_branch(widths, layout, activation, norm, rng, init, arithmetic)
        self.out_act = Activation(activation, arithmetic=arithmetic) if layout == "post" else None

    def children(self):
        return [("branch", self.branch)]

    # --8<-- [start:plain-block]
    def forward(self, X: np.ndarray, train: bool = True) -> np.ndarray:
        Y = self.branch.forward(X, train)
        return self.out_act.forward(Y, train) if self.out_act else Y

    # --8<-- [start:plain-backward]
    def backward(self, dY: np.ndarray) -> np.ndarray:
        if self.out_act:
            dY = self.out_act.backward(dY)
        return self.branch.backward(dY)
    # --8<-- [end:plain-backward]
    # --8<-- [end:plain-block]


class ResidualBlock(Container):
    """``y = act(s(x) + α·F(x))`` (post) or ``y = s(x) + α·F(x)`` (pre).

    Parameters
    ----------
    widths : list of int
        ``[d_in, d_hidden, d_out]`` (basic) or ``[d_in, d_b, d_b, d_out]`` (bottleneck).
    layout : {"post", "pre"}
    alpha : float
        Residual scaling α (Szegedy et al., 2017); 1 is the plain ResNet.
    zero_init : bool
        Zero the branch's last layer, so the fresh block is its shortcut.
    learn_alpha : bool
        Make α a learned scalar of the block, starting at ``alpha`` (SkipInit and ReZero:
        ``alpha=0``, De & Smith 2020; Bachlechner et al. 2020): the branch ends in a
        :class:`~simcore.layers.Scalar` and the fixed α is 1.
    shortcut : str
        One of :data:`SHORTCUTS`: what carries ``x`` past the branch when the widths agree
        (He et al. 2016b, Table 1). ``scaled`` multiplies ``x`` by ``shortcut_scale``; the gates
        are ``g = sigmoid(x W_g + b_g)`` with ``b_g`` from ``gate_bias``; ``dropout`` zeroes each
        element of ``x`` with probability 0.5 in training (and doubles the rest: inverted
        dropout), one mask per training step. Gate and convolution weights and dropout masks
        come from ``side_rng``, so every other weight is the same whatever the shortcut.

    Notes
    -----
    The shortcut ``s`` is the identity when ``d_in == d_out`` and otherwise a learned
    projection (dense without bias, then BN in the post layout): the 1×1-conv shortcut.
    """

    def __init__(self, widths: list[int], rng: np.random.Generator, layout: str = "post",
                 activation: str = "relu", norm: bool = True, init: str = "he_normal",
                 alpha: float = 1.0, zero_init: bool = False, learn_alpha: bool = False,
                 shortcut: str = "identity", shortcut_scale: float = 0.5, gate_bias: float = -2.0,
                 side_rng: np.random.Generator | None = None,
                 arithmetic: Arithmetic = PORTABLE) -> None:
        self.layout = layout
        self.alpha = 1.0 if learn_alpha else float(alpha)
        self.branch = make_branch(widths, layout, activation, norm, rng, init, arithmetic)
        if zero_init:
            zero_last(self.branch)
        if learn_alpha:
            self.branch = Sequential(*self.branch.layers, Scalar("scale", alpha, arithmetic))
        # stochastic depth (Huang et al. 2016): the probability that the block survives a
        # training step (set by the network), and whether this step dropped it
        self.survival = 1.0
        self.dropped = False
        self._skipped = False
        d_in, d_out = widths[0], widths[-1]
        if shortcut not in SHORTCUTS:
            raise FieldError("shortcut", f"shortcut: {shortcut!r} is not one of {', '.join(SHORTCUTS)}")
        self.kind = shortcut if d_in == d_out else "projection"
        self.scale = float(shortcut_scale)
        self.shortcut: Sequential | None = None
        if d_in != d_out or shortcut == "conv":
            proj = Dense(d_in, d_out, rng if d_in != d_out else side_rng, init=init, bias=False,
                         arithmetic=arithmetic)
            proj.role = "shortcut"
            bn = [BatchNorm(d_out, arithmetic=arithmetic)] if norm and layout == "post" else []
            self.shortcut = Sequential(proj, *bn)
        self.gate: Sequential | None = None
        if self.kind in ("exclusive_gate", "shortcut_gate"):
            g = Dense(d_in, d_out, side_rng, init="xavier_normal", arithmetic=arithmetic)
            g.role = "gate"
            g.params["b"][...] = gate_bias
            self.gate = Sequential(g, Activation("sigmoid", arithmetic=arithmetic))
        self.side_rng = side_rng
        self._mask: np.ndarray | None = None  # the shortcut dropout's mask of this step
        self._applied: np.ndarray | None = None  # the mask the last pass applied (None: none)
        self._cache: tuple = ()
        self.out_act = Activation(activation, arithmetic=arithmetic) if layout == "post" else None

    def children(self):
        kids = [("branch", self.branch)]
        if self.shortcut is not None:
            kids.append(("shortcut", self.shortcut))
        if self.gate is not None:
            kids.append(("gate", self.gate))
        return kids

    def new_step(self) -> None:
        """A new training step: the shortcut dropout draws a new mask at its next pass."""
        self._mask = None

    def _carry(self, X: np.ndarray, train: bool) -> np.ndarray:
        """What the shortcut carries, before any gate: ``s(x)``."""
        if self.shortcut is not None:
            return self.shortcut.forward(X, train)
        if self.kind == "scaled":
            return X * self.scale
        self._applied = None
        if self.kind == "dropout" and train:
            if self._mask is None or self._mask.shape != X.shape:
                keep = self.side_rng.random(X.shape) >= DROPOUT
                self._mask = keep.astype(X.dtype) / (1.0 - DROPOUT)
            self._applied = self._mask
            return X * self._mask
        return X

    def residual(self, X: np.ndarray, train: bool = False) -> np.ndarray:
        """``α·F(x)``: what the block adds to its shortcut."""
        return self.alpha * self.branch.forward(X, train)

    # --8<-- [start:residual-block]
    def forward(self, X: np.ndarray, train: bool = True) -> np.ndarray:
        if self.gate is not None:
            return self._gated_forward(X, train)
        S = self._carry(X, train)
        self._skipped = train and self.dropped
        if self._skipped:  # stochastic depth dropped the block for this step: the shortcut alone
            Y = S.copy() if S is X else S
            return self.out_act.forward(Y, train) if self.out_act else Y
        F = self.branch.forward(X, train)  # a new array: the branch ends in BN or dense
        if self.alpha != 1.0:  # (1·F is F: skip that pass)
            np.multiply(F, self.alpha, out=F)
        if not train and self.survival != 1.0:  # stochastic depth at test time: the expected branch
            np.multiply(F, self.survival, out=F)
        Y = np.add(S, F, out=F)  # S + α·F
        return self.out_act.forward(Y, train) if self.out_act else Y

    # --8<-- [start:residual-backward]
    def backward(self, dY: np.ndarray) -> np.ndarray:
        if self.gate is not None:
            return self._gated_backward(dY)
        dS = self.out_act.backward(dY) if self.out_act else dY
        if self._skipped:  # a dropped block: its branch gets a zero gradient for this step
            for leaf in self.branch.leaves():
                for g in leaf.grads.values():
                    g[...] = 0.0
            return dS if self.shortcut is None else self.shortcut.backward(dS)
        dX_branch = self.branch.backward(dS if self.alpha == 1.0 else self.alpha * dS)
        if self.shortcut is None:
            if self.kind == "scaled":
                return np.add(dS * self.scale, dX_branch, out=dX_branch)
            if self._applied is not None:
                return np.add(dS * self._applied, dX_branch, out=dX_branch)
            # the gradient highway: dS reaches x untouched
            return np.add(dS, dX_branch, out=dX_branch)
        return np.add(self.shortcut.backward(dS), dX_branch, out=dX_branch)
    # --8<-- [end:residual-backward]
    # --8<-- [end:residual-block]

    def _gated_forward(self, X: np.ndarray, train: bool) -> np.ndarray:
        """``(1 − g)·x + g·α·F(x)`` (exclusive) or ``(1 − g)·x + α·F(x)`` (shortcut-only)."""
        F = self.branch.forward(X, train)
        if self.alpha != 1.0:
            F = F * self.alpha
        G = self.gate.forward(X, train)
        self._cache = (X, F, G)
        Y = (1.0 - G) * X + (G * F if self.kind == "exclusive_gate" else F)
        return self.out_act.forward(Y, train) if self.out_act else Y

    def _gated_backward(self, dY: np.ndarray) -> np.ndarray:
        X, F, G = self._cache
        dS = self.out_act.backward(dY) if self.out_act else dY
        exclusive = self.kind == "exclusive_gate"
        dF = dS * G if exclusive else dS
        dG = dS * ((F - X) if exclusive else -X)
        dX = dS * (1.0 - G) + self.branch.backward(dF * self.alpha if self.alpha != 1.0 else dF)
        return dX + self.gate.backward(dG)


class HighwayBlock(Container):
    """Highway layer (Srivastava et al., 2015): ``y = T(x)·H(x) + (1 − T(x))·x``.

    ``H(x) = act([BN](x W_H + b_H))`` is the transform, ``T(x) = sigmoid(x W_T + b_T)`` the
    gate. ``b_T`` starts at ``carry_bias`` (negative: the layer starts by carrying ``x``).
    """

    def __init__(self, d: int, rng: np.random.Generator, activation: str = "relu",
                 norm: bool = True, init: str = "he_normal", carry_bias: float = -2.0,
                 arithmetic: Arithmetic = PORTABLE) -> None:
        self.H = Sequential(Dense(d, d, rng, init=init, arithmetic=arithmetic),
                            *([BatchNorm(d, arithmetic=arithmetic)] if norm else []),
                            Activation(activation, arithmetic=arithmetic))
        gate = Dense(d, d, rng, init="xavier_normal", arithmetic=arithmetic)
        gate.role = "gate"
        gate.params["b"][...] = carry_bias
        self.T = Sequential(gate, Activation("sigmoid", arithmetic=arithmetic))
        self._cache: tuple = ()

    def children(self):
        return [("H", self.H), ("T", self.T)]

    # --8<-- [start:highway-block]
    def forward(self, X: np.ndarray, train: bool = True) -> np.ndarray:
        H = self.H.forward(X, train)
        T = self.T.forward(X, train)
        self._cache = (X, H, T)
        return T * H + (1.0 - T) * X
    # --8<-- [end:highway-block]

    def backward(self, dY: np.ndarray) -> np.ndarray:
        X, H, T = self._cache
        return dY * (1.0 - T) + self.H.backward(dY * T) + self.T.backward(dY * (H - X))


class DenseLayer(Container):
    """DenseNet layer (Huang et al., 2017): ``y = concat(x, G(x))`` with
    ``G = [BN] → act → dense(d_in → growth)``; the width grows by ``growth``."""

    def __init__(self, d_in: int, growth: int, rng: np.random.Generator,
                 activation: str = "relu", norm: bool = True, init: str = "he_normal",
                 arithmetic: Arithmetic = PORTABLE) -> None:
        self.d_in = int(d_in)
        self.G = Sequential(*([BatchNorm(d_in, arithmetic=arithmetic)] if norm else []),
                            Activation(activation, arithmetic=arithmetic),
                            Dense(d_in, growth, rng, init=init, arithmetic=arithmetic))

    def children(self):
        return [("G", self.G)]

    # --8<-- [start:dense-layer]
    def forward(self, X: np.ndarray, train: bool = True) -> np.ndarray:
        return np.concatenate([X, self.G.forward(X, train)], axis=1)

    def backward(self, dY: np.ndarray) -> np.ndarray:
        return dY[:, : self.d_in] + self.G.backward(dY[:, self.d_in:])
    # --8<-- [end:dense-layer]


def transition(d_in: int, d_out: int, rng: np.random.Generator, activation: str = "relu",
               norm: bool = True, init: str = "he_normal",
               arithmetic: Arithmetic = PORTABLE) -> Sequential:
    """DenseNet transition: ``[BN] → act → dense(d_in → d_out)``, bringing the width back down."""
    return Sequential(*([BatchNorm(d_in, arithmetic=arithmetic)] if norm else []),
                      Activation(activation, arithmetic=arithmetic),
                      Dense(d_in, d_out, rng, init=init, arithmetic=arithmetic))
