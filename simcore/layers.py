"""Layers with forward and backward side by side.

Contract for every layer:

* ``forward(X, train=True)`` returns ``Y`` and caches exactly what ``backward`` needs;
* ``backward(dY)`` returns ``dX`` and fills ``grads[k]`` for every ``params[k]`` (same keys);
* ``params`` / ``grads`` are dicts of float64 arrays (empty for parameter-free layers).

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

    def backward(self, dY: np.ndarray) -> np.ndarray:
        for layer in reversed(self.layers):
            dY = layer.backward(dY)
        return dY


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
        if "b" in self.params:
            Z = Z + self.params["b"]
        return Z

    def backward(self, dZ: np.ndarray) -> np.ndarray:
        X = self._X
        self.grads["W"] = matmul(X.T, dZ)
        if "b" in self.params:
            self.grads["b"] = dZ.sum(axis=0)
        return matmul(dZ, self.params["W"].T)


_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)


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
            self._cache = (Z > 0,)
            return np.where(Z > 0, Z, 0.0)
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
            return np.where(self._cache[0], dA, 0.0)
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

    def forward(self, X: np.ndarray, train: bool = True) -> np.ndarray:
        if train:
            n = X.shape[0]
            mu = X.mean(axis=0)
            var = X.var(axis=0)
            m = self.momentum
            self.running_mean = (1 - m) * self.running_mean + m * mu
            unbiased = var * n / (n - 1) if n > 1 else var
            self.running_var = (1 - m) * self.running_var + m * unbiased
        else:
            mu, var = self.running_mean, self.running_var
        inv_std = 1.0 / np.sqrt(var + self.eps)
        Xhat = (X - mu) * inv_std
        self._cache = (Xhat, inv_std, train)
        return self.params["gamma"] * Xhat + self.params["beta"]

    def backward(self, dY: np.ndarray) -> np.ndarray:
        Xhat, inv_std, train = self._cache
        gamma = self.params["gamma"]
        self.grads["gamma"] = (dY * Xhat).sum(axis=0)
        self.grads["beta"] = dY.sum(axis=0)
        dXhat = dY * gamma
        if not train:
            return dXhat * inv_std
        # Batch statistics depend on every row: the compact form of the chain rule.
        return inv_std * (dXhat - dXhat.mean(axis=0) - Xhat * (dXhat * Xhat).mean(axis=0))
