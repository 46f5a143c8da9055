"""The trainer: plain and residual nets trained side by side (docs/trainer.md)."""

from __future__ import annotations

from simcore import api

KIND = "trainer"
KINDS = ("plain", "residual")
TASKS = ("train",)  # the simcore.api tasks its run calls
DEFAULTS = {**api.TRAIN_DEFAULTS, "n": 300, "depth": 20, "width": 16, "epochs": 30,
            "batch_size": 32, "grid": 32}
FIELDS = ("dataset", "depth", "width", "layout", "activation", "init", "norm",
          "optimizer", "lr", "batch_size", "epochs", "seed")


def data(config: dict) -> dict:
    """Each network's training history, by kind: the records the browser's two streams send."""
    return {k: api.train({**config, "kind": k})["history"] for k in KINDS}
