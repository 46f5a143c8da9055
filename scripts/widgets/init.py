"""Xavier vs He initialisation, plain vs residual (docs/lab/init.md)."""

from __future__ import annotations

from simcore import api

KIND = "init"
TASKS = ("identity",)  # the simcore.api tasks its run calls
DEFAULTS = {**api.defaults("identity"), "identity_part": "init"}
FIELDS = ("dataset", "n", "depth", "width", "layout", "optimizer", "lr", "epochs", "batch_size",
          "identity_min_drop", "seed")


def data(config: dict) -> dict:
    return api.identity(config)
