"""The playground: a plain and a residual network trained side by side, each drawn as its
architecture with every weight layer coloured by its gradient norm (docs/lab/playground.md).

The build step is the browser's: the layer plans of both networks (``simcore.api.plan``) and one
``simcore.api.train`` call per network at the defaults, whose per-epoch records carry the mean
gradient norm of every weight layer (``grad_norms``, input to output).
"""

from __future__ import annotations

from simcore import api

KIND = "playground"
TASKS = ("train", "plan")  # the simcore.api tasks its run calls
KINDS = ("plain", "residual")
DEFAULTS = {**api.TRAIN_DEFAULTS, "dataset": "spirals", "n": 200, "depth": 20, "width": 12,
            "epochs": 30, "batch_size": 32, "grid": 24}
FIELDS = ("dataset", "depth", "lr", "points", "width", "layout", "norm", "activation", "init",
          "optimizer", "batch_size", "epochs", "noise", "seed", "skips")


def arch(config: dict) -> dict:
    """The fields of ``config`` that define the networks (what ``api.plan`` takes), with every
    shortcut: the diagram draws the removed ones faint."""
    return {**{k: v for k, v in config.items() if k in api.PLAN_DEFAULTS}, "skips": ""}


def configs(config: dict) -> dict:
    """Each network's ``train`` config: the plain one has no shortcut to remove, and only the
    custom data set takes the drawn points (as the page's playground.js does)."""
    c = {**config, "points": config["points"] if config["dataset"] == "custom" else []}
    return {"plain": {**c, "kind": "plain", "skips": ""}, "residual": {**c, "kind": "residual"}}


def data(config: dict) -> dict:
    """Both networks' training records and both layer plans: what the figure draws."""
    out = {k: api.train(c)["history"] for k, c in configs(config).items()}
    out["plans"] = api.plan(arch(config))["plans"]
    return out
