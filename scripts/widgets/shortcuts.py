"""Which shortcut works: identity, scaled, gated, 1x1 and dropout shortcuts on the same
residual net (docs/lab/shortcuts.md)."""

from __future__ import annotations

from simcore import api

KIND = "shortcuts"
TASKS = ("shortcuts",)  # the simcore.api tasks its run calls
DEFAULTS = {**api.defaults("shortcuts"), "shortcut_seeds": 2}  # about 12 s in a browser
FIELDS = ("depth", "shortcut_seeds", "epochs", "layout", "width", "norm", "lr", "shortcut_scale",
          "carry_bias", "dataset", "n", "seed")


def data(config: dict) -> dict:
    return api.shortcuts(config)
