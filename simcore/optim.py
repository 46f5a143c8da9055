"""Optimisers and learning-rate schedules.

An optimiser updates the parameters of a model (anything with ``leaves()``, each leaf holding
``params``/``grads`` dicts) in place. Update rules, with ``g`` the gradient plus the L2 term
``weight_decay · w`` (applied to weight matrices ``W`` only, not to biases or BN parameters):

* SGD:       ``w ← w − lr·g``
* momentum:  ``v ← μ·v + g``; ``w ← w − lr·v`` (PyTorch's form);
  Nesterov:  ``w ← w − lr·(g + μ·v)``
* Adam (Kingma & Ba, 2015): ``m ← β1 m + (1−β1) g``, ``s ← β2 s + (1−β2) g²``,
  ``w ← w − lr · m̂ / (sqrt(ŝ) + ε)`` with bias-corrected ``m̂, ŝ``.

Schedules set the learning rate per step: ``constant``; ``step`` (× ``gamma`` every
``step_size`` epochs); ``cosine`` (from ``lr`` towards 0 over the run); each optionally preceded
by a linear warm-up over ``warmup`` epochs.
"""

from __future__ import annotations

import math

import numpy as np

from .portable import cos, power_int

OPTIMIZERS = ("sgd", "momentum", "nesterov", "adam")
SCHEDULES = ("constant", "step", "cosine")


class Optimizer:
    def __init__(self, lr: float, weight_decay: float = 0.0) -> None:
        self.lr = float(lr)
        self.weight_decay = float(weight_decay)
        self.state: dict[tuple[int, str], dict[str, np.ndarray]] = {}

    def _pairs(self, model):
        for i, leaf in enumerate(model.leaves()):
            for k, w in leaf.params.items():
                g = leaf.grads[k]
                if self.weight_decay and k == "W":
                    g = g + self.weight_decay * w
                yield (i, k), w, g

    def step(self, model) -> None:
        for key, w, g in self._pairs(model):
            w -= self.update(key, g)

    def update(self, key, g: np.ndarray) -> np.ndarray:  # pragma: no cover
        raise NotImplementedError


class SGD(Optimizer):
    """Plain, momentum or Nesterov SGD (``momentum=0`` is plain SGD)."""

    def __init__(self, lr: float = 0.01, momentum: float = 0.0, nesterov: bool = False,
                 weight_decay: float = 0.0) -> None:
        super().__init__(lr, weight_decay)
        self.momentum = float(momentum)
        self.nesterov = bool(nesterov)

    def update(self, key, g: np.ndarray) -> np.ndarray:
        if not self.momentum:
            return self.lr * g
        st = self.state.setdefault(key, {"v": np.zeros_like(g)})
        st["v"] = self.momentum * st["v"] + g
        return self.lr * (g + self.momentum * st["v"] if self.nesterov else st["v"])


class Adam(Optimizer):
    def __init__(self, lr: float = 1e-3, beta1: float = 0.9, beta2: float = 0.999,
                 eps: float = 1e-8, weight_decay: float = 0.0) -> None:
        super().__init__(lr, weight_decay)
        self.beta1, self.beta2, self.eps = float(beta1), float(beta2), float(eps)
        self.t = 0
        self.beta1_t = 1.0  # beta1 ** t, kept as a running product (no pow)
        self.beta2_t = 1.0

    def step(self, model) -> None:
        self.t += 1
        self.beta1_t *= self.beta1
        self.beta2_t *= self.beta2
        super().step(model)

    def update(self, key, g: np.ndarray) -> np.ndarray:
        st = self.state.setdefault(key, {"m": np.zeros_like(g), "s": np.zeros_like(g)})
        st["m"] = self.beta1 * st["m"] + (1 - self.beta1) * g
        st["s"] = self.beta2 * st["s"] + (1 - self.beta2) * g * g
        m_hat = st["m"] / (1 - self.beta1_t)
        s_hat = st["s"] / (1 - self.beta2_t)
        return self.lr * m_hat / (np.sqrt(s_hat) + self.eps)


def make_optimizer(name: str, lr: float, momentum: float = 0.9, weight_decay: float = 0.0) -> Optimizer:
    """``sgd`` (no momentum), ``momentum``, ``nesterov`` or ``adam``."""
    if name == "sgd":
        return SGD(lr, 0.0, weight_decay=weight_decay)
    if name in ("momentum", "nesterov"):
        return SGD(lr, momentum, nesterov=name == "nesterov", weight_decay=weight_decay)
    if name == "adam":
        return Adam(lr, weight_decay=weight_decay)
    raise ValueError(f"optimizer: {name!r} is not one of {', '.join(OPTIMIZERS)}")


def learning_rate(step: int, steps_per_epoch: int, epochs: int, lr: float,
                  schedule: str = "constant", warmup: float = 0.0, step_size: int = 30,
                  gamma: float = 0.1) -> float:
    """The learning rate for optimisation step ``step`` (0-based), set per step.

    Warm-up (``warmup`` epochs, ``W`` steps): ``lr·(step+1)/W``. After it, ``constant`` keeps
    ``lr``; ``step`` multiplies by ``gamma`` every ``step_size`` epochs; ``cosine`` gives
    ``lr·(1 + cos(π·t))/2`` with ``t`` the fraction of the post-warm-up steps already taken,
    so it starts at ``lr`` and decays towards 0 at the end of the run.
    """
    w = warmup * steps_per_epoch
    if step < w:
        return lr * (step + 1) / w
    if schedule == "constant":
        return lr
    if schedule == "step":
        return lr * power_int(gamma, step // (step_size * steps_per_epoch))
    if schedule == "cosine":
        t = (step - w) / max(epochs * steps_per_epoch - w, 1)
        return lr * 0.5 * (1.0 + float(cos(np.array(math.pi * min(t, 1.0)))))
    raise ValueError(f"schedule: {schedule!r} is not one of {', '.join(SCHEDULES)}")
