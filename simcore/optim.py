"""Optimisers and learning-rate schedules.

An optimiser updates the parameters of a model (anything with ``leaves()``, each leaf holding
``params``/``grads`` dicts) in place. Update rules, with ``g`` the gradient plus the L2 term
``weight_decay · w`` (applied to weight matrices ``W`` only, not to biases or BN parameters):

* SGD:       ``w ← w − lr·g``
* momentum:  ``v ← μ·v + g``; ``w ← w − lr·v`` (PyTorch's form);
  Nesterov:  ``w ← w − lr·(g + μ·v)``
* Adam (Kingma & Ba, 2015): ``m ← β1 m + (1−β1) g``, ``s ← β2 s + (1−β2) g²``,
  ``w ← w − lr · m̂ / (sqrt(ŝ) + ε)`` with bias-corrected ``m̂, ŝ``.

The first ``step`` lays the model's parameters out in one array (each ``params[k]`` becomes a
view of it, values unchanged) so that each rule runs once over all of them: element-wise, so
the numbers are those of the array-by-array rule, without a dozen NumPy calls per array. A
parameter array replaced later (``cast``, or assigning ``params[k]``) is noticed and the layout
rebuilt, keeping the optimiser's state; a model that gains or loses layers needs a new
optimiser.

Schedules set the learning rate per step: ``constant``; ``step`` (× ``gamma`` every
``step_size`` epochs); ``cosine`` (from ``lr`` towards 0 over the run); each optionally preceded
by a linear warm-up over ``warmup`` epochs.
"""

from __future__ import annotations

import math

import numpy as np

from .portable import cos, power_int
from .messages import FieldError

OPTIMIZERS = ("sgd", "momentum", "nesterov", "adam")
SCHEDULES = ("constant", "step", "cosine")


class _Flat:
    """Every parameter of a model as a view into one array ``P``, and a gradient array ``G``
    laid out alike (weight matrices first, so weight decay touches the one slice ``[:n_w]``).

    The update rules are element-wise, so running them once over ``P`` and ``G`` gives the same
    numbers as running them array by array, without a dozen NumPy calls per parameter array.
    Building it rebinds each leaf's ``params[k]`` to its view (values unchanged), and its
    ``grads[k]`` to its view of ``G``: layers write their gradients into the arrays ``grads``
    holds, so ``G`` is filled by the backward pass itself and :meth:`gather` copies only the
    gradients that were put in new arrays since (e.g. assigned by hand)."""

    def __init__(self, model, entries, dtype) -> None:
        self.model = model
        self.entries = entries  # [(leaf, key)], weights first
        sizes = [leaf.params[k].size for leaf, k in entries]
        total = sum(sizes)
        self.P = np.empty(total, dtype)
        self.G = np.empty(total, dtype)
        self.views = []
        self.n_w = 0
        off = 0
        for (leaf, k), size in zip(entries, sizes):
            w = leaf.params[k]
            view = self.P[off:off + size].reshape(w.shape)
            view[...] = w
            leaf.params[k] = view
            gview = self.G[off:off + size].reshape(w.shape)
            g = leaf.grads.get(k)
            if g is not None and g.shape == w.shape:
                gview[...] = g
                leaf.grads[k] = gview
            self.views.append((view, gview))
            self.n_w += size if k == "W" else 0
            off += size

    @classmethod
    def of(cls, model) -> "_Flat | None":
        """The flat layout of ``model``'s parameters, or ``None`` if they differ in dtype."""
        entries = [(leaf, k) for leaf in model.leaves() for k in leaf.params]
        entries = [e for e in entries if e[1] == "W"] + [e for e in entries if e[1] != "W"]
        dtypes = {leaf.params[k].dtype for leaf, k in entries}
        if len(dtypes) != 1 or next(iter(dtypes)).kind != "f":
            return None
        return cls(model, entries, dtypes.pop())

    def gather(self) -> bool:
        """Copy every gradient into ``G``; False if a parameter is no longer its view (the
        model's arrays were replaced, e.g. by ``cast``): then the layout must be rebuilt."""
        for (leaf, k), (view, gview) in zip(self.entries, self.views):
            if leaf.params[k] is not view:
                return False
            g = leaf.grads[k]
            if g is not gview:  # a new gradient array: copy it, and hand the layer its view
                np.copyto(gview, g)
                leaf.grads[k] = gview
        return True

    def keyed(self, arrays: dict[str, np.ndarray]) -> dict:
        """Per-parameter views ``{(id(leaf), key): {name: view}}`` of flat state arrays."""
        out: dict = {}
        off = 0
        for leaf, k in self.entries:
            n = leaf.params[k].size
            out[(id(leaf), k)] = {name: a[off:off + n] for name, a in arrays.items()}
            off += n
        return out


class Optimizer:
    """Base class. ``step(model)`` applies :meth:`flat_update` once over all parameters (see
    :class:`_Flat`); a model whose parameters differ in dtype is updated array by array with
    :meth:`update` (the same rule)."""

    slots: tuple[str, ...] = ()  # names of the per-parameter state arrays

    def __init__(self, lr: float, weight_decay: float = 0.0) -> None:
        self.lr = float(lr)
        self.weight_decay = float(weight_decay)
        self.state: dict[tuple[int, str], dict[str, np.ndarray]] = {}
        self._flat: _Flat | None = None
        self._slots: dict[str, np.ndarray] = {}

    def _pairs(self, model):
        for i, leaf in enumerate(model.leaves()):
            for k, w in leaf.params.items():
                g = leaf.grads[k]
                if self.weight_decay and k == "W":
                    g = g + self.weight_decay * w
                yield (i, k), w, g

    def step(self, model) -> None:
        flat = self._flat
        if flat is None or flat.model is not model or not flat.gather():
            flat = self._rebuild(model)
            if flat is None:
                for key, w, g in self._pairs(model):
                    w -= self.update(key, g)
                return
            flat.gather()
        G, P = flat.G, flat.P
        if self.weight_decay and flat.n_w:  # g + wd * w, on the weight matrices only
            G = G.copy()  # (G holds the layers' own gradients: leave those as they are)
            Gw = G[:flat.n_w]
            np.add(Gw, self.weight_decay * P[:flat.n_w], out=Gw)
        np.subtract(P, self.flat_update(G), out=P)

    def reset_state(self) -> None:
        """Forget the optimiser's history (velocities, moments), as if newly made; the
        parameters keep their flat layout."""
        self.state.clear()
        for a in self._slots.values():
            a[...] = 0

    def _rebuild(self, model) -> "_Flat | None":
        """Lay the parameters out flat, keeping the state of parameters seen before."""
        old = self._flat.keyed(self._slots) if self._flat is not None else {}
        flat = self._flat = _Flat.of(model)
        if flat is None:
            return None
        self._slots = {name: np.zeros_like(flat.P) for name in self.slots}
        for key, views in flat.keyed(self._slots).items():
            for name, v in old.get(key, {}).items():
                if v.shape == views[name].shape:
                    views[name][...] = v
        return flat

    def flat_update(self, G: np.ndarray) -> np.ndarray:  # pragma: no cover
        """The step ``Δ`` for gradients ``G`` (``w ← w − Δ``), updating ``self._slots``."""
        raise NotImplementedError

    def update(self, key, g: np.ndarray) -> np.ndarray:  # pragma: no cover
        raise NotImplementedError


class SGD(Optimizer):
    """Plain, momentum or Nesterov SGD (``momentum=0`` is plain SGD)."""

    slots = ("v",)

    def __init__(self, lr: float = 0.01, momentum: float = 0.0, nesterov: bool = False,
                 weight_decay: float = 0.0) -> None:
        super().__init__(lr, weight_decay)
        self.momentum = float(momentum)
        self.nesterov = bool(nesterov)

    def update(self, key, g: np.ndarray) -> np.ndarray:
        if not self.momentum:
            return self.lr * g
        st = self.state.get(key)
        if st is None:
            st = self.state[key] = {"v": np.zeros_like(g)}
        st["v"] = self.momentum * st["v"] + g
        return self.lr * (g + self.momentum * st["v"] if self.nesterov else st["v"])

    def flat_update(self, G: np.ndarray) -> np.ndarray:
        mu = self.momentum
        if not mu:
            return self.lr * G
        v = self._slots["v"]
        np.multiply(v, mu, out=v)  # v = mu * v + g (v starts at 0: mu * 0 + g)
        np.add(v, G, out=v)
        if self.nesterov:  # lr * (g + mu * v)
            u = mu * v
            np.add(G, u, out=u)
            return np.multiply(u, self.lr, out=u)
        return v * self.lr


class Adam(Optimizer):
    slots = ("m", "s")

    def __init__(self, lr: float = 1e-3, beta1: float = 0.9, beta2: float = 0.999,
                 eps: float = 1e-8, weight_decay: float = 0.0) -> None:
        super().__init__(lr, weight_decay)
        self.beta1, self.beta2, self.eps = float(beta1), float(beta2), float(eps)
        self.t = 0
        self.beta1_t = 1.0  # beta1 ** t, kept as a running product (no pow)
        self.beta2_t = 1.0

    def reset_state(self) -> None:
        super().reset_state()
        self.t, self.beta1_t, self.beta2_t = 0, 1.0, 1.0

    def step(self, model) -> None:
        self.t += 1
        self.beta1_t *= self.beta1
        self.beta2_t *= self.beta2
        super().step(model)

    def update(self, key, g: np.ndarray) -> np.ndarray:
        st = self.state.get(key)
        if st is None:
            st = self.state[key] = {"m": np.zeros_like(g), "s": np.zeros_like(g)}
        st["m"] = self.beta1 * st["m"] + (1 - self.beta1) * g
        st["s"] = self.beta2 * st["s"] + (1 - self.beta2) * g * g
        m_hat = st["m"] / (1 - self.beta1_t)
        s_hat = st["s"] / (1 - self.beta2_t)
        return self.lr * m_hat / (np.sqrt(s_hat) + self.eps)

    def flat_update(self, G: np.ndarray) -> np.ndarray:
        m, s = self._slots["m"], self._slots["s"]
        np.multiply(m, self.beta1, out=m)  # m = beta1 * m + (1 - beta1) * g
        np.add(m, (1 - self.beta1) * G, out=m)
        t = (1 - self.beta2) * G  # s = beta2 * s + (1 - beta2) * g * g
        np.multiply(t, G, out=t)
        np.multiply(s, self.beta2, out=s)
        np.add(s, t, out=s)
        u = m / (1 - self.beta1_t)  # lr * m_hat / (sqrt(s_hat) + eps)
        np.multiply(u, self.lr, out=u)
        d = np.divide(s, 1 - self.beta2_t, out=t)
        np.sqrt(d, out=d)
        np.add(d, self.eps, out=d)
        return np.divide(u, d, out=u)


def make_optimizer(name: str, lr: float, momentum: float = 0.9, weight_decay: float = 0.0) -> Optimizer:
    """``sgd`` (no momentum), ``momentum``, ``nesterov`` or ``adam``."""
    if name == "sgd":
        return SGD(lr, 0.0, weight_decay=weight_decay)
    if name in ("momentum", "nesterov"):
        return SGD(lr, momentum, nesterov=name == "nesterov", weight_decay=weight_decay)
    if name == "adam":
        return Adam(lr, weight_decay=weight_decay)
    raise FieldError("optimizer", f"optimizer: {name!r} is not one of {', '.join(OPTIMIZERS)}")


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
        return lr * 0.5 * (1.0 + float(cos(np.array(_cosine_angle(step, steps_per_epoch, epochs, w)))))
    raise FieldError("schedule", f"schedule: {schedule!r} is not one of {', '.join(SCHEDULES)}")


def _cosine_angle(step: int, steps_per_epoch: int, epochs: int, w: float) -> float:
    """``π·t``, ``t`` the fraction of the post-warm-up steps taken (at most 1)."""
    t = (step - w) / max(epochs * steps_per_epoch - w, 1)
    return math.pi * min(t, 1.0)


def learning_rates(first: int, count: int, steps_per_epoch: int, epochs: int, lr: float,
                   schedule: str = "constant", warmup: float = 0.0, step_size: int = 30,
                   gamma: float = 0.1) -> list[float]:
    """``[learning_rate(s, ...) for s in range(first, first + count)]``, the same numbers, with
    the cosine schedule's cosines taken in one call of :func:`~simcore.portable.cos` (element-wise,
    so each is the number a call of its own gives) instead of one call, two dozen NumPy
    operations, per step. Training asks for one epoch's rates at a time."""
    steps = range(first, first + count)
    w = warmup * steps_per_epoch
    one = lambda s: learning_rate(s, steps_per_epoch, epochs, lr, schedule, warmup, step_size, gamma)  # noqa: E731
    if schedule != "cosine":
        return [one(s) for s in steps]
    warming = [one(s) for s in steps if s < w]  # the warm-up's steps come first
    angles = [_cosine_angle(s, steps_per_epoch, epochs, w) for s in steps[len(warming):]]
    return warming + [lr * 0.5 * (1.0 + x) for x in cos(np.array(angles, dtype=np.float64)).tolist()]
