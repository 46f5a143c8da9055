"""Layers with forward and backward side by side.

Contract for every layer:

* ``forward(X, train=True)`` returns ``Y`` and caches exactly what ``backward`` needs;
* ``backward(dY)`` returns ``dX`` and fills ``grads[k]`` for every ``params[k]`` (same keys);
* ``params`` / ``grads`` are dicts of float arrays (empty for parameter-free layers), all of one
  dtype: float64 as built, or float32 after :meth:`Layer.cast`. Nothing in a forward or
  backward pass changes the dtype of what flows through it (Python float constants do not
  upcast NumPy arrays), so a float32 network computes in float32 throughout.

Batches are ``(n, d)``; a dense layer computes ``Z = X @ W + b`` with ``W`` of shape
``(d_in, d_out)``.

:class:`Dense`, :class:`Activation` and :class:`BatchNorm` compute with the
:class:`~simcore.arithmetic.Arithmetic` they are built with (``arithmetic=``, portable by
default): its ``matmul``, ``colsum`` (bias gradients, batch statistics), ``tanh`` and
``sigmoid``. A network passes its config's choice to every such layer it builds.
"""

from __future__ import annotations

import math

import numpy as np

from . import init as _init
from .arithmetic import PORTABLE, Arithmetic
from .messages import FieldError

ACTIVATIONS = ("relu", "leaky_relu", "tanh", "sigmoid", "gelu", "identity")


class Layer:
    """Base class: a parameter-free layer with the forward/backward contract."""

    def __init__(self) -> None:
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}

    def forward(self, X: np.ndarray, train: bool = True) -> np.ndarray:  # pragma: no cover
        raise NotImplementedError

    def backward(self, dY: np.ndarray) -> np.ndarray:  # pragma: no cover
        raise NotImplementedError

    def zero_grads(self) -> None:
        for k, v in self.params.items():
            self.grads[k] = np.zeros_like(v)

    def state(self) -> dict[str, np.ndarray]:
        """Non-trainable state (e.g. BN running statistics); empty for most layers."""
        return {}

    def cast(self, dtype) -> None:
        """Convert the parameters (and state) to ``dtype`` in place; gradients are re-zeroed."""
        for k, v in self.params.items():
            self.params[k] = v.astype(dtype, copy=False)
        self.zero_grads()

    def leaves(self) -> list["Layer"]:
        return [self]


class Container:
    """A composite of layers (or containers) applied in a fixed structure.

    ``params`` and ``grads`` are flat, dotted views (``"branch.0.W"``) of the same arrays the
    leaves hold, so a container satisfies the layer contract too.
    """

    def children(self) -> list[tuple[str, object]]:  # pragma: no cover
        raise NotImplementedError

    def _flat(self, attr: str) -> dict[str, np.ndarray]:
        out: dict[str, np.ndarray] = {}
        for name, child in self.children():
            for k, v in getattr(child, attr).items():
                out[f"{name}.{k}"] = v
        return out

    @property
    def params(self) -> dict[str, np.ndarray]:
        return self._flat("params")

    @property
    def grads(self) -> dict[str, np.ndarray]:
        return self._flat("grads")

    def leaves(self) -> list[Layer]:
        return [leaf for _, child in self.children() for leaf in child.leaves()]

    def zero_grads(self) -> None:
        for leaf in self.leaves():
            leaf.zero_grads()

    def cast(self, dtype) -> None:
        for leaf in self.leaves():
            leaf.cast(dtype)


class Sequential(Container):
    """Layers applied one after another; backward runs them in reverse."""

    def __init__(self, *layers) -> None:
        self.layers = list(layers)

    def children(self) -> list[tuple[str, object]]:
        return [(str(i), layer) for i, layer in enumerate(self.layers)]

    def forward(self, X: np.ndarray, train: bool = True) -> np.ndarray:
        for layer in self.layers:
            X = layer.forward(X, train=train)
        return X

    def backward(self, dY: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        """``input_grad=False``: the first layer skips ``dX`` (returns ``None``) if it can."""
        last = len(self.layers) - 1
        for i, layer in enumerate(reversed(self.layers)):
            dY = layer.backward(dY) if input_grad or i < last else _backward(layer, dY, False)
        return dY


def _backward(layer, dY: np.ndarray, input_grad: bool):
    """``layer.backward(dY)``, asking to skip ``dX`` when the layer supports it."""
    if isinstance(layer, (Dense, Sequential)):
        return layer.backward(dY, input_grad=input_grad)
    return layer.backward(dY)


class Dense(Layer):
    """Fully connected layer, ``Z = X @ W + b``.

    Parameters
    ----------
    d_in, d_out : int
        Input and output widths; ``W`` has shape ``(d_in, d_out)``.
    rng : numpy.random.Generator
        Source of the initial weights.
    init : str
        One of :data:`simcore.init.SCHEMES` (``"he_normal"`` by default).
    bias : bool
        Whether to add ``b`` of shape ``(d_out,)`` (initialised to zero).
    arithmetic : Arithmetic
        Whose ``matmul`` computes the products (:data:`~simcore.arithmetic.PORTABLE` by default).
    """

    def __init__(self, d_in: int, d_out: int, rng: np.random.Generator,
                 init: str = "he_normal", bias: bool = True, gain: float | None = None,
                 arithmetic: Arithmetic = PORTABLE) -> None:
        super().__init__()
        self.arithmetic = arithmetic
        self.role = "main"  # "main" (counted in depth), "shortcut" or "gate"
        self.d_in, self.d_out = int(d_in), int(d_out)
        self.params["W"] = _init.initialize(init, (self.d_in, self.d_out), rng, gain=gain)
        if bias:
            self.params["b"] = np.zeros(self.d_out)
        self.zero_grads()
        self._X: np.ndarray | None = None

    def forward(self, X: np.ndarray, train: bool = True) -> np.ndarray:
        self._X = X
        params = self.params
        Z = self.arithmetic.matmul(X, params["W"])
        b = params.get("b")
        if b is not None:
            np.add(Z, b, out=Z)  # Z + b, in place: Z is a fresh array
        return Z

    def backward(self, dZ: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        """``dX``; with ``input_grad=False`` only the parameter gradients (returns ``None``).

        The gradients are written into the arrays ``grads`` already holds when they fit: the
        same numbers, without new arrays every step."""
        X, grads, matmul = self._X, self.grads, self.arithmetic.matmul
        grads["W"] = matmul(X.T, dZ, out=grads.get("W"))
        if "b" in self.params:
            grads["b"] = self.arithmetic.colsum(dZ, out=grads.get("b"))  # dZ.sum(0)
        if not input_grad:
            return None
        return matmul(dZ, self.params["W"].T)


_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_UINT = {4: np.uint32, 8: np.uint64}  # float32, float64


class Activation(Layer):
    """Element-wise nonlinearity.

    ``relu(z) = max(z, 0)``; ``leaky_relu(z) = z if z > 0 else slope*z``;
    ``tanh``; ``sigmoid(z) = 1 / (1 + e^{-z})``; ``identity(z) = z``;
    ``gelu`` uses the tanh approximation of Hendrycks & Gimpel (2016),
    ``0.5 z (1 + tanh(sqrt(2/pi) (z + 0.044715 z^3)))`` (NumPy has no ``erf``).
    ``tanh`` and ``sigmoid`` are those of ``arithmetic`` (portable by default).
    """

    def __init__(self, name: str = "relu", slope: float = 0.01,
                 arithmetic: Arithmetic = PORTABLE) -> None:
        super().__init__()
        self.arithmetic = arithmetic
        if name not in ACTIVATIONS:
            raise FieldError("activation", f"activation: {name!r} is not one of {', '.join(ACTIVATIONS)}")
        self.name = name
        self.slope = float(slope)
        self._cache: tuple = ()

    def forward(self, Z: np.ndarray, train: bool = True) -> np.ndarray:
        A, self._cache = _ACTIVATION[self.name][0](self, Z)
        return A

    def backward(self, dA: np.ndarray) -> np.ndarray:
        return _ACTIVATION[self.name][1](self, dA, self._cache)


# Each activation as a pair, side by side: its forward ``f(layer, Z) -> (A, cache)`` and its
# derivative ``df(layer, dA, cache) -> dZ`` (the chain rule's dA · f'(Z)).

def _relu(layer: Activation, Z: np.ndarray) -> tuple:
    # np.where(Z > 0, Z, 0.0) as a bit mask, all ones where Z > 0 and zero elsewhere: ANDed
    # with the bits of Z it keeps Z or gives +0.0 exactly as np.where does (NaN and -0.0
    # included), and the derivative reuses it, in a third of np.where's time.
    u = _UINT.get(Z.dtype.itemsize) if Z.dtype.kind == "f" else None
    if u is None:
        return np.where(Z > 0, Z, 0.0), (Z > 0,)
    keep = np.negative(Z > 0, dtype=u)  # True -> 0 - 1: all ones; False -> 0
    if not Z.flags.c_contiguous:
        Z = np.ascontiguousarray(Z)
    return np.bitwise_and(Z.view(u), keep).view(Z.dtype), (keep,)


def _d_relu(layer: Activation, dA: np.ndarray, cache: tuple) -> np.ndarray:
    (keep,) = cache  # np.where(Z > 0, dA, 0.0)
    if keep.dtype == bool:
        return np.where(keep, dA, 0.0)
    if dA.dtype.itemsize != keep.dtype.itemsize or dA.dtype.kind != "f":
        return np.where(keep != 0, dA, 0.0)
    if not dA.flags.c_contiguous:
        dA = np.ascontiguousarray(dA)
    return np.bitwise_and(dA.view(keep.dtype), keep).view(dA.dtype)  # dA or +0.0


def _leaky_relu(layer: Activation, Z: np.ndarray) -> tuple:
    return np.where(Z > 0, Z, layer.slope * Z), (Z > 0,)


def _d_leaky_relu(layer: Activation, dA: np.ndarray, cache: tuple) -> np.ndarray:
    return np.where(cache[0], dA, layer.slope * dA)


def _tanh(layer: Activation, Z: np.ndarray) -> tuple:
    A = layer.arithmetic.tanh(Z)
    return A, (A,)


def _d_tanh(layer: Activation, dA: np.ndarray, cache: tuple) -> np.ndarray:
    (A,) = cache
    return dA * (1.0 - A * A)


def _sigmoid(layer: Activation, Z: np.ndarray) -> tuple:
    A = layer.arithmetic.sigmoid(Z)
    return A, (A,)


def _d_sigmoid(layer: Activation, dA: np.ndarray, cache: tuple) -> np.ndarray:
    (A,) = cache
    return dA * A * (1.0 - A)


def _gelu(layer: Activation, Z: np.ndarray) -> tuple:
    t = layer.arithmetic.tanh(_SQRT_2_OVER_PI * (Z + 0.044715 * (Z * Z * Z)))
    return 0.5 * Z * (1.0 + t), (Z, t)


def _d_gelu(layer: Activation, dA: np.ndarray, cache: tuple) -> np.ndarray:
    Z, t = cache
    dt = (1.0 - t * t) * _SQRT_2_OVER_PI * (1.0 + 3 * 0.044715 * (Z * Z))
    return dA * (0.5 * (1.0 + t) + 0.5 * Z * dt)


def _identity(layer: Activation, Z: np.ndarray) -> tuple:
    return Z, ()


def _d_identity(layer: Activation, dA: np.ndarray, cache: tuple) -> np.ndarray:
    return dA


_ACTIVATION = {"relu": (_relu, _d_relu), "leaky_relu": (_leaky_relu, _d_leaky_relu),
               "tanh": (_tanh, _d_tanh), "sigmoid": (_sigmoid, _d_sigmoid),
               "gelu": (_gelu, _d_gelu), "identity": (_identity, _d_identity)}
assert tuple(_ACTIVATION) == ACTIVATIONS


class Scalar(Layer):
    """One learned number applied to the whole input: ``Y = s·X`` (``op="scale"``) or
    ``Y = X + s`` (``op="bias"``), ``s`` of shape ``(1,)`` starting at ``value``.

    SkipInit's and ReZero's branch multiplier α (De & Smith, 2020; Bachlechner et al., 2020),
    and Fixup's scalar biases and multiplier (Zhang et al., 2019). ``∂L/∂s`` is a sum over every
    element, added by the arithmetic's column sums (the rows, then the columns, in order)."""

    NAMES = {"scale": "×s", "bias": "+b"}

    def __init__(self, op: str, value: float, arithmetic: Arithmetic = PORTABLE) -> None:
        super().__init__()
        if op not in self.NAMES:
            raise ValueError(f"op: {op!r} is not scale or bias")
        self.op, self.name, self.arithmetic = op, self.NAMES[op], arithmetic
        self.params["s"] = np.array([float(value)])
        self.zero_grads()
        self._X: np.ndarray | None = None

    def _total(self, A: np.ndarray) -> np.ndarray:
        colsum = self.arithmetic.colsum
        return colsum(np.ascontiguousarray(colsum(A)).reshape(-1, 1))

    def forward(self, X: np.ndarray, train: bool = True) -> np.ndarray:
        self._X = X
        s = self.params["s"]
        return X * s if self.op == "scale" else X + s

    def backward(self, dY: np.ndarray) -> np.ndarray:
        if self.op == "bias":
            self.grads["s"] = self._total(dY)
            return dY
        self.grads["s"] = self._total(dY * self._X)
        return dY * self.params["s"]


class BatchNorm(Layer):
    """Batch normalisation over the batch axis (Ioffe & Szegedy, 2015).

    ``Y = gamma * (X - mu) / sqrt(var + eps) + beta``. In training mode ``mu`` and ``var``
    are the batch statistics (biased variance) and the running statistics are updated as
    ``run = (1 - momentum) * run + momentum * batch`` (unbiased variance, as PyTorch does);
    in evaluation mode the running statistics are used and nothing is updated.
    """

    def __init__(self, d: int, momentum: float = 0.1, eps: float = 1e-5,
                 arithmetic: Arithmetic = PORTABLE) -> None:
        super().__init__()
        self.arithmetic = arithmetic  # its colsum computes the batch statistics' sums
        self.d = int(d)
        self.momentum = float(momentum)
        self.eps = float(eps)
        self.params["gamma"] = np.ones(self.d)
        self.params["beta"] = np.zeros(self.d)
        self.running_mean = np.zeros(self.d)
        self.running_var = np.ones(self.d)
        self.zero_grads()
        self._cache: tuple = ()

    def state(self) -> dict[str, np.ndarray]:
        return {"running_mean": self.running_mean, "running_var": self.running_var}

    def cast(self, dtype) -> None:
        super().cast(dtype)
        self.running_mean = self.running_mean.astype(dtype, copy=False)
        self.running_var = self.running_var.astype(dtype, copy=False)

    def forward(self, X: np.ndarray, train: bool = True) -> np.ndarray:
        # The arithmetic of X.mean(axis=0) and X.var(axis=0) (sum, then divide by n), written
        # out so that X - mu is computed once and reused: the same numbers, fewer passes.
        # (Divisions and the rest done in place where the operand is a fresh array: the same
        # operations on the same operands, fewer new arrays.)
        params, colsum = self.params, self.arithmetic.colsum
        if train:
            n = X.shape[0]
            mu = colsum(X)
            np.divide(mu, n, out=mu)  # sum / n
            D = X - mu
            Y = D * D  # the squares; later the output
            var = colsum(Y)
            np.divide(var, n, out=var)
            m = self.momentum
            self.running_mean = (1 - m) * self.running_mean + m * mu
            unbiased = var * n / (n - 1) if n > 1 else var
            self.running_var = (1 - m) * self.running_var + m * unbiased
        else:
            mu, var = self.running_mean, self.running_var
            D = X - mu
            Y = None
        inv_std = var + self.eps
        np.sqrt(inv_std, out=inv_std)
        np.divide(1.0, inv_std, out=inv_std)  # 1 / sqrt(var + eps)
        Xhat = np.multiply(D, inv_std, out=D)  # (X - mu) * inv_std
        self._cache = (Xhat, inv_std, train)
        gamma = params["gamma"]
        if Y is not None and Y.dtype != np.result_type(gamma, Xhat):
            Y = None
        Y = np.multiply(gamma, Xhat, out=Y)  # gamma * Xhat (+ beta, below)
        return np.add(Y, params["beta"], out=Y)

    def backward(self, dY: np.ndarray) -> np.ndarray:
        Xhat, inv_std, train = self._cache
        gamma, grads, colsum = self.params["gamma"], self.grads, self.arithmetic.colsum
        T = dY * Xhat
        grads["gamma"] = colsum(T, out=grads.get("gamma"))  # T.sum(0)
        grads["beta"] = colsum(dY, out=grads.get("beta"))
        if train and self.arithmetic.regroup:
            return self._backward_regrouped(dY, Xhat, inv_std, T)
        dX = dY * gamma  # dXhat, turned into dX in place
        if not train:
            return np.multiply(dX, inv_std, out=dX)
        # Batch statistics depend on every row: the compact form of the chain rule,
        #   inv_std * (dXhat - mean(dXhat) - Xhat * mean(dXhat * Xhat)),
        # in that order, the means as sum / n (as ndarray.mean computes them), in place.
        n = dY.shape[0]
        m1 = colsum(dX)
        np.divide(m1, n, out=m1)
        np.multiply(dX, Xhat, out=T)
        m2 = colsum(T)
        np.divide(m2, n, out=m2)
        np.multiply(Xhat, m2, out=T)
        np.subtract(dX, m1, out=dX)
        np.subtract(dX, T, out=dX)
        return np.multiply(dX, inv_std, out=dX)

    def _backward_regrouped(self, dY, Xhat, inv_std, T) -> np.ndarray:
        """The same chain rule with the column vectors gathered first (native arithmetic only):
        since mean(dXhat) = gamma * sum(dY) / n and mean(dXhat * Xhat) = gamma * sum(dY * Xhat) / n
        are the parameter gradients already summed, scaled,
          dX = dY * (gamma * inv_std) - (gamma * inv_std / n) * (sum(dY) + Xhat * sum(dY * Xhat)),
        four passes over the batch and no further sums instead of six passes and two sums.
        Equal to :meth:`backward`'s order up to rounding."""
        k = self.params["gamma"] * inv_std
        c = k / dY.shape[0]
        b = c * self.grads["beta"]
        np.multiply(Xhat, c * self.grads["gamma"], out=T)
        np.add(T, b, out=T)
        dX = dY * k
        return np.subtract(dX, T, out=dX)
