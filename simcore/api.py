"""The one JSON-friendly entry layer: plain dict in, plain dict out.

The browser (through Pyodide), the CLI (``python -m simcore``) and the build-time figures all
call these functions, so they cannot disagree. Every field has a default and is validated: a
wrong type, an unknown name, NaN, or a value outside its range raises ``ValueError`` whose
message starts with the field name and names the bad value and what is allowed. Results hold
only ``dict``, ``list``, ``str``, ``int``, ``float``, ``bool`` and ``None``.

Sizes are capped so a page cannot ask a browser for too much (see :data:`FIELDS`): at most
5,000 points, depth 128, width 256, 500 epochs, 8 depths per degradation sweep.
"""

from __future__ import annotations

import copy
import math
import time
from dataclasses import asdict
from functools import wraps
from typing import Iterator

import numpy as np

from . import budget as _budget
from . import data as _data
from . import analysis as _analysis
from . import blocks as _blocks
from . import variants as _variants
from .init import SCHEMES
from .layers import ACTIVATIONS
from .messages import FieldError, fault, field_name, shown
from . import nets as _nets
from .nets import ARITHMETICS, DTYPES, KINDS, NetConfig, NetFields, check_depth
from .optim import OPTIMIZERS, SCHEDULES
from .train import TrainConfig
from .train import train as _train

# field -> (type, allowed): allowed is (lo, hi) for numbers, a tuple of names for choices.
FIELDS: dict[str, tuple[str, object]] = {
    "dataset": ("choice", _data.CHOICES),
    "n": ("int", (20, 5000)),
    "noise": ("float", (0.0, 2.0)),
    "test_fraction": ("float", (0.0, 0.9)),
    "kind": ("choice", KINDS),
    "depth": ("int", (3, 128)),
    "depths": ("ints", (3, 128)),
    "width": ("int", (2, 256)),
    "layout": ("choice", ("post", "pre")),
    "bottleneck": ("bool", None),
    "norm": ("bool", None),
    "activation": ("choice", ACTIVATIONS),
    "init": ("choice", SCHEMES),
    "zero_init": ("bool", None),
    "learn_alpha": ("bool", None),
    "fixup": ("bool", None),
    "survival": ("float", (0.05, 1.0)),
    "shortcut": ("choice", _blocks.SHORTCUTS),
    "shortcut_scale": ("float", (0.0, 2.0)),
    "alpha": ("float", (0.0, 2.0)),
    "carry_bias": ("float", (-10.0, 10.0)),
    "growth": ("int", (1, 64)),
    "dense_layers": ("int", (1, 16)),
    "dtype": ("choice", DTYPES),
    "arithmetic": ("choice", ARITHMETICS),
    "loss": ("choice", ("cross_entropy", "mse")),
    "optimizer": ("choice", OPTIMIZERS),
    "lr": ("float", (1e-6, 10.0)),
    "momentum": ("float", (0.0, 0.999)),
    "weight_decay": ("float", (0.0, 0.1)),
    "schedule": ("choice", SCHEDULES),
    "warmup": ("float", (0.0, 100.0)),
    "step_size": ("int", (1, 500)),
    "gamma": ("float", (0.0, 1.0)),
    "epochs": ("int", (0, 500)),
    "batch_size": ("int", (1, 5000)),
    "diverge_factor": ("float", (2.0, 1e9)),
    "seed": ("int", (0, 2**32 - 1)),
    "grid": ("int", (0, 64)),
    "skips": ("bits", (0, 63)),
    "points": ("points", _data.POINTS),
}
MAX_DEPTHS = 8

# field -> what a reader should know beyond its range (shown by the CLI's --help and the docs).
NOTES: dict[str, str] = {
    "arithmetic": "how the network computes: portable gives the same bits on every machine "
                  "and in the browser; native uses NumPy's BLAS (products and column sums) and "
                  "exp/log/tanh, about twice as fast but "
                  "with machine-dependent last bits (for native use only: the site's "
                  "simulations always compute portably)",
    "points": "the reader's own data (dataset custom): each point [x, y, class], x and y in "
              f"[-{_data.COORD_MAX:g}, {_data.COORD_MAX:g}], class 0, 1 or 2, used as drawn (no noise, "
              "no standardising); n and noise are then ignored. On the command line: "
              "x,y,class;x,y,class;…",
    "skips": "one character per residual block, 1 keeps its shortcut and 0 removes it (that "
             "block is then the plain block: the same layers and initial weights, no addition); "
             "empty: every shortcut kept. Only for kind residual",
    "learn_alpha": "residual: each block's α (alpha) becomes a learned scalar starting at alpha; "
                   "with alpha 0 and norm false this is SkipInit (De & Smith 2020) and ReZero "
                   "(Bachlechner et al. 2020)",
    "fixup": "residual, norm false: Fixup's initialisation (Zhang et al. 2019): each branch's "
             "dense layers scaled by blocks^(-1/(2m-2)), its last layer and the head zero, "
             "scalar biases before every dense layer and activation, a scalar multiplier per branch",
    "survival": "residual: stochastic depth (Huang et al. 2016): in training, block l of L is "
                "skipped (its shortcut alone) with probability (l/L)(1 - survival), drawn per step "
                "from the seed; at test time its branch is scaled by its survival probability. "
                "1: off",
    "shortcut": "residual: what carries x past each branch (He et al. 2016b, Table 1): identity; "
                "scaled (x times shortcut_scale); exclusive_gate ((1 - g) x + g F, g = sigmoid(x W + b), "
                "b from carry_bias); shortcut_gate ((1 - g) x + F); conv (a learned dense map, the 1x1 "
                "convolution); dropout (each element of x dropped with probability 0.5 in training)",
    "shortcut_scale": "residual, shortcut scaled: the constant that multiplies x",
    "frames": "gradflow: also return the run seen at epochs 0, 1, 2, 4, …, epochs (one run, "
              "measured at each checkpoint), as the gradient-flow widget animates it",
}

TRAIN_DEFAULTS: dict = asdict(TrainConfig())

# The default degradation experiment (see docs/degradation.md for how robust it is).
DEGRADATION_DEFAULTS: dict = {
    **{k: v for k, v in TRAIN_DEFAULTS.items() if k not in ("kind", "depth")},
    "depths": [4, 8, 16, 32, 56],
    "dataset": "spirals", "n": 1000, "noise": 0.05, "test_fraction": 0.2,
    "width": 32, "layout": "post", "norm": True, "init": "he_normal",
    "optimizer": "momentum", "momentum": 0.9, "lr": 0.05, "schedule": "cosine",
    "epochs": 100, "batch_size": 64, "seed": 0,
}


def describe(kind: str, allowed) -> str:
    """What a field of this kind accepts, in words ("an integer in [3, 128]")."""
    if kind == "choice":
        return "one of " + ", ".join(allowed)
    if kind == "bool":
        return "true or false"
    if kind == "bits":
        return f"a string of at most {allowed[1]} characters 0 or 1"
    if kind == "points":
        return (f"a list of {allowed[0]} to {allowed[1]} points [x, y, class] (dataset custom; "
                "empty otherwise)")
    lo, hi = allowed
    what = {"int": "an integer", "float": "a number", "ints": "a list of integers"}[kind]
    return f"{what} in [{lo}, {hi}]"


def _bad(field: str, value, kind: str, allowed, why: str = "") -> FieldError:
    extra = f" ({why})" if why else ""
    return FieldError(field, f"{field}: {shown(value)} is not allowed{extra}; "
                      f"expected {describe(kind, allowed)}")


def _check_number(field: str, value, kind: str, allowed):
    lo, hi = allowed
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _bad(field, value, kind, allowed, "wrong type")
    if isinstance(value, float) and not math.isfinite(value):
        raise _bad(field, value, kind, allowed, "not finite")
    if kind in ("int", "ints"):
        if isinstance(value, float) and not value.is_integer():
            raise _bad(field, value, kind, allowed, "not an integer")
        value = int(value)
    if not lo <= value <= hi:  # before float(): float(10**400) would overflow
        raise _bad(field, value, kind, allowed, "out of range")
    return value if kind in ("int", "ints") else float(value)


def _plain(value):
    """A NumPy scalar as the Python value it holds (``np.int64(3)`` → 3, ``np.bool_`` → bool),
    so every NumPy scalar type is treated as its Python type; anything else as it is."""
    return value.item() if isinstance(value, np.generic) else value


def validate_field(field: str, value):
    """Return ``value`` converted to its field's Python type, or raise ``ValueError``."""
    kind, allowed = FIELDS[field]
    value = _plain(value)
    if kind == "choice":
        if not isinstance(value, str) or value not in allowed:
            raise _bad(field, value, kind, allowed)
        return value
    if kind == "bool":
        if not isinstance(value, bool):
            raise _bad(field, value, kind, allowed, "wrong type")
        return value
    if kind == "points":  # empty, or the custom data set's points, checked one by one
        return [] if isinstance(value, (list, tuple)) and not value else _data.check_points(value)
    if kind == "bits":
        if not isinstance(value, str):
            raise _bad(field, value, kind, allowed, "wrong type")
        if len(value) > allowed[1] or set(value) - {"0", "1"}:
            raise _bad(field, value, kind, allowed)
        return value
    if kind == "ints":
        if not isinstance(value, (list, tuple)):
            raise _bad(field, value, kind, allowed, "wrong type")
        if not 1 <= len(value) <= MAX_DEPTHS:
            raise _bad(field, value, kind, allowed, f"need a list of 1 to {MAX_DEPTHS} values")
        out = [_check_number(field, _plain(v), kind, allowed) for v in value]
        if any(b <= a for a, b in zip(out, out[1:])):
            raise _bad(field, value, kind, allowed, "must be strictly ascending")
        return out
    return _check_number(field, value, kind, allowed)


def _check_config(config, defaults: dict) -> dict:
    """``config`` (None: ``{}``) if it is a dict of known fields, else ``ValueError`` naming
    the first unknown field (in the order given)."""
    if config is None:
        return {}
    if not isinstance(config, dict):
        raise FieldError("config", f"config: {shown(config)} is not allowed; expected an object of fields")
    for key in config:
        if not isinstance(key, str) or key not in defaults:
            raise FieldError(str(key), f"{field_name(key)}: unknown field; allowed fields are "
                             f"{', '.join(defaults)}")
    return config


def _check_task(task) -> str:
    if not isinstance(task, str) or task not in TASKS:
        raise FieldError("task", f"task: {shown(task)} is not allowed; expected one of {', '.join(TASKS)}")
    return task


def validate(config: dict | None, defaults: dict) -> dict:
    """Merge ``config`` over ``defaults`` and validate every field (and their combination)."""
    config = _check_config(config, defaults)
    cfg = {k: validate_field(k, config.get(k, v)) for k, v in defaults.items()}
    # cross-field rules, each applied only to tasks that have the fields involved
    if cfg.get("dataset") == "digits" and cfg.get("n", 0) > 1797:
        raise FieldError("n", f"n: {cfg['n']} is not allowed (digits has 1797 samples); "
                         "expected an integer in [20, 1797]")
    if "points" in cfg and (cfg.get("dataset") == "custom") != bool(cfg["points"]):
        raise FieldError("points", "points: dataset custom needs its points, and no other data set "
                         f"takes any (dataset {cfg.get('dataset')!r}, {len(cfg['points'])} points)")
    net_fields = {k: v for k, v in cfg.items() if k in NetConfig.__dataclass_fields__}
    depths = cfg["depths"] if "depths" in cfg else [cfg["depth"]] if "depth" in cfg else []
    for kind in [cfg["kind"]] if "kind" in cfg else ["plain", "residual"]:
        for depth in depths:
            check_depth(NetConfig(**{**net_fields, "kind": kind, "depth": depth}))
    if cfg.get("warmup", 0) > cfg.get("epochs", math.inf):
        raise FieldError("warmup", f"warmup: {cfg['warmup']} is not allowed (longer than epochs="
                         f"{cfg['epochs']}); expected a number in [0, {cfg['epochs']}]")
    return cfg


# --- the boundary: what leaves simcore.api -------------------------------------------------

MAX_SAFE_INTEGER = 2 ** 53  # larger integers are not exact in JavaScript: sent as strings


def strict(value, path: str = "", found: list | None = None):
    """``value`` as strict JSON data: NaN and ±inf become ``None`` (their places are appended to
    ``found`` as paths like ``plain.curve[3]``), NumPy scalars their Python values, integers
    beyond ±2^53 strings, tuples lists."""
    found = [] if found is None else found
    value = _plain(value)
    if isinstance(value, dict):
        return {k: strict(v, f"{path}.{k}" if path else str(k), found) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [strict(v, f"{path}[{i}]", found) for i, v in enumerate(value)]
    if isinstance(value, float) and not math.isfinite(value):
        found.append(path)
        return None
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_SAFE_INTEGER:
        return str(value)
    return value


def _strict_result(result):
    """:func:`strict`, and a dict result names its non-finite places in ``non_finite`` (a run
    that diverged says so in its own ``status`` too)."""
    found: list = []
    out = strict(result, "", found)
    if found and isinstance(out, dict):
        out["non_finite"] = found[:50]
    return out


def _field_error(exc: ValueError) -> bool:
    """Whether ``exc`` is simcore's own validation error, a :class:`FieldError`; any other
    ``ValueError`` (NumPy's ``LinAlgError`` is one) is a fault."""
    return isinstance(exc, FieldError)


def _failure(task: str, exc: BaseException) -> RuntimeError:
    return RuntimeError(f"{task} failed ({fault(exc)})")


def _quiet():
    """No NumPy floating-point warnings and no library warnings on the terminal: a diverging
    run is reported in its result, not as warning text."""
    import contextlib
    import warnings

    stack = contextlib.ExitStack()
    stack.enter_context(np.errstate(all="ignore"))
    stack.enter_context(warnings.catch_warnings())
    warnings.simplefilter("ignore")
    return stack


def boundary(task: str):
    """Every call through the api leaves as :func:`strict` JSON data, with no warning printed,
    or raises a ``ValueError`` that names a field, or a one-line ``RuntimeError``."""
    def wrap(fn):
        @wraps(fn)
        def call(*args, **kwargs):
            with _quiet():
                try:
                    return _strict_result(fn(*args, **kwargs))
                except ValueError as exc:
                    if _field_error(exc):
                        raise
                    raise _failure(task, exc) from exc
                except RuntimeError:
                    raise
                except Exception as exc:  # noqa: BLE001  (a fault, not the reader's input)
                    raise _failure(task, exc) from exc
        return call
    return wrap


def _bounded_stream(records: Iterator[dict]) -> Iterator[dict]:
    while True:
        with _quiet():
            try:
                rec = next(records)
            except StopIteration:
                return
            except (ValueError, RuntimeError):
                raise
            except Exception as exc:  # noqa: BLE001
                raise _failure("train", exc) from exc
        yield _strict_result(rec)


BUDGET = _budget.BUDGET

# task -> (the work of a validated config, in simcore.budget's units; the fields that multiply
# it, as the refusal names them); the analyses register theirs below
WORK: dict = {
    "train": (lambda cfg: _budget.training(cfg, cfg["kind"], cfg["depth"]),
              "epochs, n, depth, width or grid, or raise batch_size"),
    "degradation": (lambda cfg: sum(_budget.training(cfg, kind, d) for kind in ("plain", "residual")
                                    for d in cfg["depths"]),
                    "epochs, n, depths or width, or raise batch_size"),
}


def _check_budget(task: str, cfg: dict, budget: float | None) -> None:
    count, fields = WORK[task]
    _budget.check(count(cfg), budget, fields, task)


def work(task: str, config: dict | None = None) -> float:
    """The work a call of ``task`` with ``config`` would do (see :mod:`simcore.budget`), counted
    from the validated config without doing any of it."""
    task = _check_task(task)
    if task not in WORK:
        raise FieldError("task", f"task: {task!r} has no work budget")
    return WORK[task][0](validate(config, TASKS[task][1]))


def _train_checked(config, budget) -> dict:
    cfg = validate(config, TRAIN_DEFAULTS)
    _check_budget("train", cfg, budget)
    return cfg


def train_stream(config: dict | None = None, budget: float | None = BUDGET) -> Iterator[dict]:
    """Validate ``config`` now (raising ``ValueError`` at once, over the work ``budget`` too:
    see :mod:`simcore.budget`) and return a generator of plain records, one per epoch (see
    ``simcore.train``); close it to stop early."""
    return _bounded_stream(_train(TrainConfig(**_train_checked(config, budget))))


@boundary("train")
def train(config: dict | None = None, budget: float | None = BUDGET) -> dict:
    """Train one network; return ``{"config", "status", "history", "final"}``."""
    cfg = _train_checked(config, budget)
    history = list(_train(TrainConfig(**cfg)))
    return {"config": cfg, "status": history[-1]["status"], "history": history,
            "final": history[-1]}


@boundary("degradation")
def degradation(config: dict | None = None, budget: float | None = BUDGET) -> dict:
    """Train plain and residual nets at each depth in ``depths`` with otherwise equal settings.

    Returns ``depths`` (ascending), ``plain_train_error`` and ``residual_train_error`` (final
    training error rate per depth, in [0, 1]; a diverged run counts its last accuracy, chance at
    worst), the same for test error, each run's status, and per-epoch training-error curves.
    """
    cfg = validate(config, DEGRADATION_DEFAULTS)
    _check_budget("degradation", cfg, budget)
    start = time.perf_counter()
    out: dict = {"config": cfg, "depths": list(cfg["depths"])}
    for kind in ("plain", "residual"):
        train_err, test_err, status, curves = [], [], [], []
        for depth in cfg["depths"]:
            run = {k: v for k, v in cfg.items() if k != "depths"}
            history = list(_train(TrainConfig(**run, kind=kind, depth=depth)))
            last = history[-1]
            train_err.append(1.0 - last["train_acc"])
            test_err.append(None if last["test_acc"] is None else 1.0 - last["test_acc"])
            status.append(last["status"])
            curves.append([1.0 - r["train_acc"] for r in history])
        out[f"{kind}_train_error"] = train_err
        out[f"{kind}_test_error"] = test_err
        out[f"{kind}_status"] = status
        out[f"{kind}_curves"] = curves
    out["elapsed"] = time.perf_counter() - start
    return out


TASKS: dict = {"train": (train, TRAIN_DEFAULTS), "degradation": (degradation, DEGRADATION_DEFAULTS)}
HELP: dict = {"train": "train one network, one line per epoch",
              "degradation": "plain vs residual training error across depths"}
TEXT: dict = {}

# Analyses: every module of simcore.analysis that defines ``task`` is a task. It declares NAME,
# HELP, DEFAULTS, FIELDS (its new fields, same format as FIELDS above), task(cfg) -> plain dict
# (cfg already validated against DEFAULTS) and text(result) -> str for the CLI.
ANALYSES = _analysis.task_modules()


def _register(module) -> None:
    @boundary(module.NAME)
    def entry(config: dict | None = None, budget: float | None = BUDGET) -> dict:
        cfg = validate(config, module.DEFAULTS)
        _check_budget(module.NAME, cfg, budget)
        return module.task(cfg)

    entry.__name__ = module.NAME
    entry.__doc__ = module.task.__doc__
    FIELDS.update(module.FIELDS)
    TASKS[module.NAME] = (entry, module.DEFAULTS)
    WORK[module.NAME] = (module.work, module.WORK_FIELDS)
    HELP[module.NAME] = module.HELP
    TEXT[module.NAME] = module.text
    globals()[module.NAME] = entry


for _module in ANALYSES:
    _register(_module)


VARIANTS_DEFAULTS: dict = {"name": "resnet50", "resolution": None}


@boundary("variants")
def variants(config: dict | None = None, budget: float | None = BUDGET) -> dict:
    """Exact parameters and multiply-accumulates of a real architecture, with its layer table.

    ``{"name": one of simcore.variants.NAMES, "resolution": input side or None}`` (None: 224,
    or 32 for the CIFAR nets) → ``{"name", "resolution", "params", "macs", "layers"}``. (A count
    is integer arithmetic on at most a few hundred rows: ``budget`` does not apply.)
    """
    config = _check_config(config, VARIANTS_DEFAULTS)
    cfg = {**VARIANTS_DEFAULTS, **config}
    return _variants.count(cfg["name"], cfg["resolution"])


TASKS["variants"] = (variants, VARIANTS_DEFAULTS)
HELP["variants"] = "exact parameters and MACs of ResNet, ResNeXt, WRN, DenseNet and CIFAR nets"

PLAN_DEFAULTS: dict = {k: v for k, v in TRAIN_DEFAULTS.items()
                       if k in NetFields.__dataclass_fields__ and k != "kind"}


@boundary("plan")
def plan(config: dict | None = None, budget: float | None = BUDGET) -> dict:
    """The layer plans of the plain and the residual network of ``config`` (``simcore.nets.plan``:
    read off the networks themselves, 2 inputs and 2 classes as the 2-D data sets have) →
    ``{"config", "plans": {"plain", "residual"}}``. (Building two networks is the only work, at
    most a few seconds at the largest depth and width: ``budget`` does not apply.)"""
    cfg = validate(config, PLAN_DEFAULTS)
    return {"config": cfg, "plans": {kind: _nets.plan(NetConfig(**cfg, kind=kind))
                                     for kind in ("plain", "residual")}}


def _plan_text(res: dict) -> str:
    lines = []
    for kind, p in res["plans"].items():
        lines.append(f"{kind}: {len(p['layers'])} weight layers, {len(p['blocks'])} blocks")
        ends = {b["last"]: b for b in p["blocks"]}
        for i, layer in enumerate(p["layers"]):
            where = layer["role"] if layer["block"] is None else f"block {layer['block']}"
            lines.append(f"  {i:>3}  {where:<9} {' → '.join(layer['ops'])}  {layer['in']}→{layer['out']}")
            if i in ends and (ends[i]["shortcut"] or ends[i]["after"]):
                add = f"+ {ends[i]['shortcut']} shortcut" if ends[i]["shortcut"] else ""
                lines.append(f"       {'':<9} {' then '.join(filter(None, [add, *ends[i]['after']]))}")
    return "\n".join(lines)


TASKS["plan"] = (plan, PLAN_DEFAULTS)
HELP["plan"] = "the layer plan of the plain and the residual net: every layer, block and shortcut"
TEXT["plan"] = _plan_text


def defaults(task: str) -> dict:
    """A fresh copy of the default config of ``task`` (a key of :data:`TASKS`): changing it
    (its lists too) changes nothing else."""
    return copy.deepcopy(TASKS[_check_task(task)][1])


def run(task: str, config: dict | None = None, budget: float | None = BUDGET) -> dict:
    """Dispatch by name: the single door the browser worker knocks on. ``budget``: the work
    budget (:mod:`simcore.budget`); ``None`` lifts it (native use only: the browser never
    does)."""
    return TASKS[_check_task(task)][0](config, budget=budget)
