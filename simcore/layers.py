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
"""

from __future__ import annotations

import math

import numpy as np

from . import init as _init
from .portable import matmul, sigmoid, tanh

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
    """

    def __init__(self, d_in: int, d_out: int, rng: np.random.Generator,
                 init: str = "he_normal", bias: bool = True, gain: float | None = None) -> None:
        super().__init__()
        self.role = "main"  # "main" (counted in depth), "shortcut" or "gate"
        self.d_in, self.d_out = int(d_in), int(d_out)
        self.params["W"] = _init.initialize(init, (self.d_in, self.d_out), rng, gain=gain)
        if bias:
            self.params["b"] = np.zeros(self.d_out)
        self.zero_grads()
        self._X: np.ndarray | None = None

    def forward(self, X: np.ndarray, train: bool = True) -> np.ndarray:
        self._X = X
        Z = matmul(X, self.params["W"])
        b = self.params.get("b")
        if b is not None:
            np.add(Z, b, out=Z)  # Z + b, in place: Z is a fresh array
        return Z

    def backward(self, dZ: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        """``dX``; with ``input_grad=False`` only the parameter gradients (returns ``None``)."""
        X = self._X
        self.grads["W"] = matmul(X.T, dZ)
        if "b" in self.params:
            self.grads["b"] = np.add.reduce(dZ, axis=0)  # dZ.sum(axis=0)
        if not input_grad:
            return None
        return matmul(dZ, self.params["W"].T)


_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_UINT = {4: np.uint32, 8: np.uint64}  # float32, float64


def _bitmask(cond: np.ndarray, itemsize: int) -> np.ndarray:
    """Unsigned integers of ``itemsize`` bytes: all ones where ``cond``, zero elsewhere."""
    mask = cond.astype(_UINT[itemsize])
    return np.negative(mask, out=mask)  # 0 - 1 wraps round to all ones


def _and(X: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """``np.where(mask != 0, X, 0.0)``: ``X`` where ``mask`` is all ones, ``+0.0`` elsewhere, as
    a new array; by a bitwise AND when ``X`` is a float of the mask's width."""
    if X.dtype.kind != "f" or X.dtype.itemsize != mask.dtype.itemsize:
        return np.where(mask != 0, X, 0.0)
    bits = X.view(mask.dtype) if X.flags.c_contiguous else np.ascontiguousarray(X).view(mask.dtype)
    return np.bitwise_and(bits, mask).view(X.dtype)


class Activation(Layer):
    """Element-wise nonlinearity.

    ``relu(z) = max(z, 0)``; ``leaky_relu(z) = z if z > 0 else slope*z``;
    ``tanh``; ``sigmoid(z) = 1 / (1 + e^{-z})``; ``identity(z) = z``;
    ``gelu`` uses the tanh approximation of Hendrycks & Gimpel (2016),
    ``0.5 z (1 + tanh(sqrt(2/pi) (z + 0.044715 z^3)))`` (NumPy has no ``erf``).
    """

    def __init__(self, name: str = "relu", slope: float = 0.01) -> None:
        super().__init__()
        if name not in ACTIVATIONS:
            raise ValueError(f"activation: {name!r} is not one of {', '.join(ACTIVATIONS)}")
        self.name = name
        self.slope = float(slope)
        self._cache: tuple = ()

    def forward(self, Z: np.ndarray, train: bool = True) -> np.ndarray:
        n = self.name
        if n == "relu":
            # np.where(Z > 0, Z, 0.0) as a bit mask, all ones where Z > 0 and zero elsewhere:
            # ANDed with the bits of Z it keeps Z or gives +0.0 exactly as np.where does (NaN
            # and -0.0 included), and backward reuses it, in a third of np.where's time.
            if Z.dtype.kind != "f" or Z.dtype.itemsize not in _UINT:
                self._cache = (Z > 0,)
                return np.where(Z > 0, Z, 0.0)
            keep = _bitmask(Z > 0, Z.dtype.itemsize)
            self._cache = (keep,)
            return _and(Z, keep)
        if n == "leaky_relu":
            self._cache = (Z > 0,)
            return np.where(Z > 0, Z, self.slope * Z)
        if n == "tanh":
            A = tanh(Z)
            self._cache = (A,)
            return A
        if n == "sigmoid":
            A = sigmoid(Z)
            self._cache = (A,)
            return A
        if n == "gelu":
            t = tanh(_SQRT_2_OVER_PI * (Z + 0.044715 * (Z * Z * Z)))
            self._cache = (Z, t)
            return 0.5 * Z * (1.0 + t)
        self._cache = ()
        return Z

    def backward(self, dA: np.ndarray) -> np.ndarray:
        n = self.name
        if n == "relu":
            (keep,) = self._cache  # np.where(Z > 0, dA, 0.0)
            return np.where(keep, dA, 0.0) if keep.dtype == bool else _and(dA, keep)
        if n == "leaky_relu":
            return np.where(self._cache[0], dA, self.slope * dA)
        if n == "tanh":
            (A,) = self._cache
            return dA * (1.0 - A * A)
        if n == "sigmoid":
            (A,) = self._cache
            return dA * A * (1.0 - A)
        if n == "gelu":
            Z, t = self._cache
            dt = (1.0 - t * t) * _SQRT_2_OVER_PI * (1.0 + 3 * 0.044715 * (Z * Z))
            return dA * (0.5 * (1.0 + t) + 0.5 * Z * dt)
        return dA


class BatchNorm(Layer):
    """Batch normalisation over the batch axis (Ioffe & Szegedy, 2015).

    ``Y = gamma * (X - mu) / sqrt(var + eps) + beta``. In training mode ``mu`` and ``var``
    are the batch statistics (biased variance) and the running statistics are updated as
    ``run = (1 - momentum) * run + momentum * batch`` (unbiased variance, as PyTorch does);
    in evaluation mode the running statistics are used and nothing is updated.
    """

    def __init__(self, d: int, momentum: float = 0.1, eps: float = 1e-5) -> None:
        super().__init__()
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
        if train:
            n = X.shape[0]
            mu = np.add.reduce(X, axis=0) / n
            D = X - mu
            sq = D * D
            var = np.add.reduce(sq, axis=0) / n
            m = self.momentum
            self.running_mean = (1 - m) * self.running_mean + m * mu
            unbiased = var * n / (n - 1) if n > 1 else var
            self.running_var = (1 - m) * self.running_var + m * unbiased
        else:
            mu, var = self.running_mean, self.running_var
            D = X - mu
        inv_std = 1.0 / np.sqrt(var + self.eps)
        Xhat = np.multiply(D, inv_std, out=D)  # (X - mu) * inv_std
        self._cache = (Xhat, inv_std, train)
        Y = self.params["gamma"] * Xhat
        return np.add(Y, self.params["beta"], out=Y)

    def backward(self, dY: np.ndarray) -> np.ndarray:
        Xhat, inv_std, train = self._cache
        gamma = self.params["gamma"]
        T = dY * Xhat
        self.grads["gamma"] = np.add.reduce(T, axis=0)  # (dY * Xhat).sum(axis=0)
        self.grads["beta"] = np.add.reduce(dY, axis=0)
        dX = dY * gamma  # dXhat, turned into dX in place
        if not train:
            return np.multiply(dX, inv_std, out=dX)
        # Batch statistics depend on every row: the compact form of the chain rule,
        #   inv_std * (dXhat - mean(dXhat) - Xhat * mean(dXhat * Xhat)),
        # in that order, the means as sum / n (as ndarray.mean computes them), in place.
        n = dY.shape[0]
        m1 = np.add.reduce(dX, axis=0) / n
        np.multiply(dX, Xhat, out=T)
        m2 = np.add.reduce(T, axis=0) / n
        np.multiply(Xhat, m2, out=T)
        np.subtract(dX, m1, out=dX)
        np.subtract(dX, T, out=dX)
        return np.multiply(dX, inv_std, out=dX)
