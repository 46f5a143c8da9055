"""Convergence: epochs to reach a target training accuracy vs depth, plain vs residual
(docs/lab/convergence.md).

The browser calls ``simcore.api.convergence`` once per depth (``depths: [d]``) and fills the
chart in as results arrive; the build makes the same calls (:func:`per_depth`).
"""

from __future__ import annotations

from simcore import api

KIND = "convergence"

TASKS = ("convergence",)  # the simcore.api tasks its run calls
DEFAULTS = {**api.defaults("convergence"), "dataset": "moons", "n": 150, "epochs": 20,
            "depths": [4, 12, 24]}
FIELDS = ("dataset", "n", "depths", "width", "layout", "norm", "lr", "epochs",
          "convergence_target_acc", "seed")


def per_depth(config: dict) -> list[dict]:
    """One convergence call per depth, as the browser makes them."""
    return [api.convergence({**config, "depths": [d]}) for d in config["depths"]]


def data(config: dict) -> dict:
    """The per-depth results, in the order of ``config["depths"]``."""
    return {"results": per_depth(config)}
