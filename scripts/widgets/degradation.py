"""Degradation: final training error vs depth, plain vs residual — the analogue of He et al.'s
(2016a) Figure 1 (docs/lab/degradation.md).

The full default experiment (``api.DEGRADATION_DEFAULTS``: 1,000 points, width 32, depths 4–56,
100 epochs) takes minutes, so the widget starts from the *quick* preset below, and the build
draws the quick preset's result. The browser calls ``simcore.api.degradation`` once per depth
(``depths: [d]``); the build makes the same calls (:func:`per_depth`).
"""

from __future__ import annotations

import json

from simcore import api

KIND = "degradation"

PRESET_FIELDS = ("depths", "n", "epochs", "width")
QUICK = {"depths": [4, 12, 24], "n": 300, "epochs": 20, "width": 16}
FULL = {k: api.DEGRADATION_DEFAULTS[k] for k in PRESET_FIELDS}
TASKS = ("degradation",)  # the simcore.api tasks its run calls
DEFAULTS = {**api.DEGRADATION_DEFAULTS, **QUICK}
FIELDS = ("dataset", "n", "depths", "width", "layout", "norm", "lr", "epochs", "seed")


def per_depth(config: dict) -> list[dict]:
    """One degradation call per depth, as the browser makes them."""
    return [api.degradation({**config, "depths": [d]}) for d in config["depths"]]


def data(config: dict) -> dict:
    """The per-depth results, in the order of ``config["depths"]``."""
    return {"results": per_depth(config)}


def attributes(data: dict) -> dict[str, str]:
    """The presets the buttons fill in, and the seconds the build's calls took (the quick
    preset's text quotes them)."""
    return {"data-presets": json.dumps({"quick": QUICK, "full": FULL}),
            "data-built-seconds": f'{sum(r["elapsed"] for r in data["results"]):.1f}'}
