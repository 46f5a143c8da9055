"""Shattered gradients: the input gradient along a line, plain vs residual, across depths
(docs/lab/shattering.md)."""

from __future__ import annotations

from simcore import api

KIND = "shattering"
# The module's defaults: ~1 s natively (48 networks at initialisation, 4 depths up to 50).
TASKS = ("shattering",)  # the simcore.api tasks its run calls
DEFAULTS = api.defaults("shattering")
FIELDS = ("dataset", "depths", "width", "layout", "activation", "epochs", "shatter_points",
          "shatter_span", "shatter_offset", "shatter_max_lag", "shatter_runs", "seed")


def data(config: dict) -> dict:
    return api.shattering(config)
