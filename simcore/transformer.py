"""A small Transformer (a decoder, as in GPT) with forward and backward side by side.

Every sub-layer writes into the *residual stream* ``x`` (Elhage et al., 2021): the sum of the
token and position embeddings, to which each attention and MLP sub-layer adds its output.
Where the layer normalisation sits is the ``layout``:

* ``pre_ln`` (Wang et al., 2019; Xiong et al., 2020; GPT-2):
  ``x ← x + Attn(LN(x))``, ``x ← x + MLP(LN(x))``, and one more LN before the output head;
* ``post_ln`` (Vaswani et al., 2017): ``x ← LN(x + Attn(x))``, ``x ← LN(x + MLP(x))``;
* ``no_residual``: pre-LN's sub-layers without the addition, ``x ← Attn(LN(x))``,
  ``x ← MLP(LN(x))``, and the final LN: the same parameters, no stream.

All three have the same parameters (post-LN leaves the final LN unused), drawn from the
generator in the same order, so one seed gives the three layouts the same initial weights.

Batches of token ids are ``(B, T)`` integer arrays; activations are ``(B, T, d)`` floats.

* :class:`Embedding`: ``x = E[ids] + P[:T]`` (token and learned position embeddings).
* :class:`LayerNorm`: over the last axis, ``γ (x − μ)/√(σ² + ε) + β``.
* :class:`Attention`: causal multi-head self-attention, ``softmax(Q Kᵀ/√d_h + mask) V`` per
  head, the heads concatenated and mixed by an output projection.
* :class:`MLP`: ``GELU(x W₁ + b₁) W₂ + b₂``, ``W₁`` of shape ``(d, 4d)``.

Products go through the network's :class:`~simcore.arithmetic.Arithmetic` (portable by
default: the same bits natively and in the browser): 2-D products by its ``matmul``, the
attention's batched products by :func:`bmm`, sums over the last axis by ``np.add.reduce``
(NumPy's own loop, the same C code on every platform, as in :mod:`simcore.losses`), and
``exp``/``tanh`` by the arithmetic's.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .arithmetic import PORTABLE, Arithmetic
from .layers import Container, Dense, Layer
from .messages import FieldError

LAYOUTS = ("pre_ln", "post_ln", "no_residual")


_PRODUCTS = 1 << 21  # products formed at once by bmm (16 MB in float64)


def bmm(A: np.ndarray, B: np.ndarray, arithmetic: Arithmetic = PORTABLE) -> np.ndarray:
    """``A @ B`` over the last two axes of equal leading shapes ``(…, n, k) @ (…, k, m)``.

    Portable: every product ``A[…, i, k] B[…, k, j]`` formed at once, then summed down the
    ``k`` axis by ``np.add.reduce``, which (``k`` not being the innermost axis) adds the rows of
    products one after the other: ``C[i, j] = (…(A[i,0] B[0,j] + A[i,1] B[1,j]) + …)``, the
    order of :func:`simcore.portable.matmul`. The products are formed for as many of the leading
    matrices at a time as fit in :data:`_PRODUCTS` (a wide layer's attention would otherwise
    need hundreds of megabytes); each output is summed alike. Native arithmetic: NumPy's
    ``matmul``."""
    if arithmetic.regroup:
        return np.matmul(A, B)
    *lead, n, k = A.shape
    m = B.shape[-1]
    per = max(1, _PRODUCTS // (n * k * m))
    A2, B2 = A.reshape(-1, n, k), B.reshape(-1, k, m)
    if len(A2) <= per:
        return np.add.reduce(A[..., :, :, None] * B[..., None, :, :], axis=-2)
    C = np.empty((len(A2), n, m), dtype=np.result_type(A, B))
    for i in range(0, len(A2), per):
        C[i:i + per] = np.add.reduce(A2[i:i + per, :, :, None] * B2[i:i + per, None, :, :], axis=-2)
    return C.reshape(*lead, n, m)


def _rowsum(X: np.ndarray) -> np.ndarray:
    """Sum over the last axis, kept (``np.add.reduce``; :mod:`simcore.losses` sums alike)."""
    return np.add.reduce(X, axis=-1, keepdims=True)


class Embedding(Layer):
    """Token and position embeddings, ``x[b, t] = E[ids[b, t]] + P[t]`` (both ``N(0, 1)``,
    as PyTorch's ``nn.Embedding``). Its input is integers: ``backward`` fills ``grads`` and
    returns ``None``."""

    def __init__(self, vocab: int, length: int, d: int, rng: np.random.Generator) -> None:
        super().__init__()
        self.params["E"] = rng.normal(size=(vocab, d))
        self.params["P"] = rng.normal(size=(length, d))
        self.zero_grads()
        self._ids: np.ndarray | None = None

    def forward(self, ids: np.ndarray, train: bool = True) -> np.ndarray:
        self._ids = ids
        return self.params["E"][ids] + self.params["P"][: ids.shape[1]]

    def backward(self, dX: np.ndarray) -> None:
        ids, (T, d) = self._ids, dX.shape[1:]
        gE = np.zeros_like(self.params["E"])
        np.add.at(gE, ids.reshape(-1), dX.reshape(-1, d))  # in order of the tokens
        gP = np.zeros_like(self.params["P"])
        gP[:T] = np.add.reduce(dX, axis=0)  # the batch's rows added one after the other
        self.grads["E"], self.grads["P"] = gE, gP
        return None


class LayerNorm(Layer):
    """Layer normalisation over the last axis (Ba et al., 2016), ``γ x̂ + β`` with
    ``x̂ = (x − μ)/√(σ² + ε)``, ``μ`` and the biased ``σ²`` of each token's ``d`` features.

    Backward: ``dx = (1/σ̂)(g − mean(g) − x̂ · mean(g x̂))`` with ``g = γ · dy``."""

    def __init__(self, d: int, eps: float = 1e-5) -> None:
        super().__init__()
        self.d, self.eps = int(d), float(eps)
        self.params["gamma"] = np.ones(self.d)
        self.params["beta"] = np.zeros(self.d)
        self.zero_grads()
        self._cache: tuple = ()

    def forward(self, X: np.ndarray, train: bool = True) -> np.ndarray:
        d = X.shape[-1]
        D = X - _rowsum(X) / d
        inv = 1.0 / np.sqrt(_rowsum(D * D) / d + self.eps)
        Xhat = D * inv
        self._cache = (Xhat, inv)
        return self.params["gamma"] * Xhat + self.params["beta"]

    def backward(self, dY: np.ndarray) -> np.ndarray:
        Xhat, inv = self._cache
        d = dY.shape[-1]
        flat = lambda A: A.reshape(-1, d)  # noqa: E731  (rows of tokens, for the column sums)
        self.grads["gamma"] = np.add.reduce(flat(dY * Xhat), axis=0)
        self.grads["beta"] = np.add.reduce(flat(dY), axis=0)
        G = dY * self.params["gamma"]
        return inv * (G - _rowsum(G) / d - Xhat * (_rowsum(G * Xhat) / d))


class Attention(Container):
    """Causal multi-head self-attention (Vaswani et al., 2017).

    ``Q, K, V = x W_q, x W_k, x W_v`` (one dense layer ``qkv`` of width ``3d``), split into
    ``heads`` heads of ``d_h = d / heads`` features; per head ``A = softmax(Q Kᵀ/√d_h + M)``
    with ``M`` = −∞ above the diagonal (a token sees itself and the tokens before it), output
    ``A V``; the heads side by side, then the dense layer ``out``. Weights Xavier-uniform,
    biases zero (as PyTorch's ``nn.MultiheadAttention``)."""

    def __init__(self, d: int, heads: int, rng: np.random.Generator,
                 arithmetic: Arithmetic = PORTABLE) -> None:
        if d % heads:
            raise FieldError("heads", f"heads: {heads} does not divide width {d}")
        self.d, self.heads, self.arithmetic = int(d), int(heads), arithmetic
        self.qkv = Dense(d, 3 * d, rng, init="xavier_uniform", arithmetic=arithmetic)
        self.out = Dense(d, d, rng, init="xavier_uniform", arithmetic=arithmetic)
        self._cache: tuple = ()
        self.weights: np.ndarray | None = None  # the last forward's attention, (B, h, T, T)

    def children(self):
        return [("qkv", self.qkv), ("out", self.out)]

    def _split(self, Y: np.ndarray, B: int, T: int) -> np.ndarray:
        """(B·T, d) → (B, h, T, d_h), contiguous."""
        return np.ascontiguousarray(Y.reshape(B, T, self.heads, -1).transpose(0, 2, 1, 3))

    def _merge(self, Y: np.ndarray) -> np.ndarray:
        """(B, h, T, d_h) → (B·T, d), contiguous."""
        B, h, T, dh = Y.shape
        return np.ascontiguousarray(Y.transpose(0, 2, 1, 3)).reshape(B * T, h * dh)

    def forward(self, X: np.ndarray, train: bool = True) -> np.ndarray:
        B, T, d = X.shape
        ar = self.arithmetic
        QKV = self.qkv.forward(X.reshape(B * T, d))
        Q, K, V = (self._split(QKV[:, i * d:(i + 1) * d], B, T) for i in range(3))
        scale = 1.0 / math.sqrt(d // self.heads)
        S = bmm(Q, np.ascontiguousarray(K.swapaxes(-1, -2)), ar) * scale
        S[..., np.triu(np.ones((T, T), dtype=bool), 1)] = -np.inf
        S = S - np.maximum.reduce(S, axis=-1, keepdims=True)
        E = ar.exp(S)
        A = E / _rowsum(E)
        self.weights = A
        self._cache = (Q, K, V, A, scale, X.shape)
        return self.out.forward(self._merge(bmm(A, V, ar))).reshape(B, T, d)

    def backward(self, dY: np.ndarray) -> np.ndarray:
        Q, K, V, A, scale, (B, T, d) = self._cache
        ar = self.arithmetic
        dO = self._split(self.out.backward(dY.reshape(B * T, d)), B, T)
        dA = bmm(dO, np.ascontiguousarray(V.swapaxes(-1, -2)), ar)
        dV = bmm(np.ascontiguousarray(A.swapaxes(-1, -2)), dO, ar)
        dS = A * (dA - _rowsum(dA * A))  # softmax's backward, row by row
        dS *= scale
        dQ = bmm(dS, K, ar)
        dK = bmm(np.ascontiguousarray(dS.swapaxes(-1, -2)), Q, ar)
        dQKV = np.concatenate([self._merge(g) for g in (dQ, dK, dV)], axis=1)
        return self.qkv.backward(dQKV).reshape(B, T, d)


_GELU_C = 2.0 * math.sqrt(2.0 / math.pi)


class MLP(Container):
    """``GELU(x W₁ + b₁) W₂ + b₂`` on every token, ``W₁``: ``(d, 4d)``, Xavier-uniform.

    GELU is the tanh approximation (Hendrycks & Gimpel, 2016) written with the sigmoid it
    equals, ``z · σ(2√(2/π)(z + 0.044715 z³))`` (``½(1 + tanh u) = σ(2u)``): one ``exp`` per
    element where ``tanh`` takes two series (see :mod:`simcore.portable`)."""

    def __init__(self, d: int, rng: np.random.Generator, arithmetic: Arithmetic = PORTABLE) -> None:
        self.arithmetic = arithmetic
        self.up = Dense(d, 4 * d, rng, init="xavier_uniform", arithmetic=arithmetic)
        self.down = Dense(4 * d, d, rng, init="xavier_uniform", arithmetic=arithmetic)
        self._cache: tuple = ()

    def children(self):
        return [("up", self.up), ("down", self.down)]

    def forward(self, X: np.ndarray, train: bool = True) -> np.ndarray:
        B, T, d = X.shape
        Z = self.up.forward(X.reshape(B * T, d))
        S = self.arithmetic.sigmoid(_GELU_C * (Z + 0.044715 * (Z * Z * Z)))
        self._cache = (Z, S)
        return self.down.forward(Z * S).reshape(B, T, d)

    def backward(self, dY: np.ndarray) -> np.ndarray:
        B, T, d = dY.shape
        Z, S = self._cache
        dH = self.down.backward(dY.reshape(B * T, d))
        dZ = dH * (S + Z * (S * (1.0 - S)) * (_GELU_C * (1.0 + 3 * 0.044715 * (Z * Z))))
        return self.up.backward(dZ).reshape(B, T, d)


class Block(Container):
    """One Transformer layer: attention then MLP, each with its layer norm, in ``layout``."""

    def __init__(self, d: int, heads: int, layout: str, rng: np.random.Generator,
                 arithmetic: Arithmetic = PORTABLE) -> None:
        self.layout = layout
        self.ln1, self.attn = LayerNorm(d), Attention(d, heads, rng, arithmetic)
        self.ln2, self.mlp = LayerNorm(d), MLP(d, rng, arithmetic)

    def children(self):
        return [("ln1", self.ln1), ("attn", self.attn), ("ln2", self.ln2), ("mlp", self.mlp)]

    # --8<-- [start:block]
    def forward(self, X: np.ndarray, train: bool = True) -> np.ndarray:
        for ln, f in ((self.ln1, self.attn), (self.ln2, self.mlp)):
            if self.layout == "pre_ln":
                X = X + f.forward(ln.forward(X))
            elif self.layout == "post_ln":
                X = ln.forward(X + f.forward(X))
            else:
                X = f.forward(ln.forward(X))
        return X
    # --8<-- [end:block]

    def backward(self, dY: np.ndarray) -> np.ndarray:
        for ln, f in ((self.ln2, self.mlp), (self.ln1, self.attn)):
            if self.layout == "pre_ln":
                dY = dY + ln.backward(f.backward(dY))
            elif self.layout == "post_ln":
                dZ = ln.backward(dY)
                dY = dZ + f.backward(dZ)
            else:
                dY = ln.backward(f.backward(dY))
        return dY


@dataclass(frozen=True)
class TransformerConfig:
    """The network: ``layers`` Transformer layers of width ``width`` with ``heads`` heads, over
    a vocabulary of ``vocab`` tokens and sequences of at most ``length`` tokens."""

    vocab: int = 11
    length: int = 12
    layers: int = 4
    width: int = 32
    heads: int = 2
    layout: str = "pre_ln"
    seed: int = 0


class Transformer(Container):
    """Embeddings → ``layers`` :class:`Block` → final LN (not in post-LN) → dense head to
    logits over the vocabulary at every position.

    ``forward(ids)`` returns logits ``(B, T, vocab)``; ``backward(dLogits)`` fills every
    gradient. ``stream`` holds the residual stream of the last forward pass at every layer
    boundary: ``stream[0]`` the embeddings, ``stream[l]`` after layer ``l``."""

    def __init__(self, cfg: TransformerConfig, arithmetic: Arithmetic = PORTABLE) -> None:
        if cfg.layout not in LAYOUTS:
            raise FieldError("layout", f"layout: {cfg.layout!r} is not one of {', '.join(LAYOUTS)}")
        self.cfg, self.arithmetic = cfg, arithmetic
        rng = np.random.default_rng([cfg.seed, 4])
        self.embed = Embedding(cfg.vocab, cfg.length, cfg.width, rng)
        self.blocks = [Block(cfg.width, cfg.heads, cfg.layout, rng, arithmetic) for _ in range(cfg.layers)]
        self.ln_f = LayerNorm(cfg.width)
        self.head = Dense(cfg.width, cfg.vocab, rng, init="xavier_uniform", arithmetic=arithmetic)
        self.stream: list[np.ndarray] = []

    def children(self):
        out = [("embed", self.embed)] + [(f"blocks.{i}", b) for i, b in enumerate(self.blocks)]
        if self.cfg.layout != "post_ln":
            out.append(("ln_f", self.ln_f))
        return out + [("head", self.head)]

    def forward(self, ids: np.ndarray, train: bool = True) -> np.ndarray:
        X = self.embed.forward(ids)
        self.stream = [X]
        for block in self.blocks:
            X = block.forward(X)
            self.stream.append(X)
        if self.cfg.layout != "post_ln":
            X = self.ln_f.forward(X)
        B, T, d = X.shape
        return self.head.forward(X.reshape(B * T, d)).reshape(B, T, -1)

    def backward(self, dZ: np.ndarray) -> None:
        B, T, V = dZ.shape
        dX = self.head.backward(dZ.reshape(B * T, V)).reshape(B, T, -1)
        if self.cfg.layout != "post_ln":
            dX = self.ln_f.backward(dX)
        for block in reversed(self.blocks):
            dX = block.backward(dX)
        self.embed.backward(dX)
