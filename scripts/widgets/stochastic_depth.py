"""A residual net trained with and without stochastic depth, then lesioned
(docs/lab/stochastic-depth.md)."""

from __future__ import annotations

from simcore import api

KIND = "stochastic-depth"
TASKS = ("stochastic_depth",)  # the simcore.api tasks its run calls
DEFAULTS = api.defaults("stochastic_depth")
FIELDS = ("depth", "sd_survival", "epochs", "dataset", "n", "width", "layout", "norm", "lr",
          "sd_draws", "seed")


def data(config: dict) -> dict:
    return api.stochastic_depth(config)
