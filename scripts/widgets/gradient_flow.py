"""Gradient flow: |∂L/∂x_l| per block, plain vs residual, at initialisation and over training,
and He et al.'s (2016b) highway/residual split of the residual net's gradient
(docs/lab/gradient-flow.md).

The animation's frames are checkpoints of one training run: one ``simcore.api.gradflow`` call
with ``frames: true`` returns the run seen at epochs 0, 1, 2, 4, …, ``epochs``; the browser
makes the same call.
"""

from __future__ import annotations

import json

from simcore import api

KIND = "gradient-flow"
TASKS = ("gradflow",)  # the simcore.api tasks its run calls
DEFAULTS = {**api.defaults("gradflow"), "n": 200, "depth": 24, "width": 16, "layout": "pre",
            "norm": True, "schedule": "constant", "batch_size": 32, "epochs": 8, "samples": 1,
            "frames": True}
FIELDS = ("dataset", "n", "depth", "width", "layout", "norm", "activation", "init", "lr",
          "epochs", "seed")


def data(config: dict) -> dict:
    """The frames of one run (the figure shows the last; the animation steps through them)."""
    return {"frames": api.gradflow(config)["frames"]}


def attributes(data: dict) -> dict:
    """The frames, for the animation bar to step through before the reader runs anything."""
    return {"data-frames": json.dumps(data["frames"]), "data-frame": str(len(data["frames"]) - 1)}
