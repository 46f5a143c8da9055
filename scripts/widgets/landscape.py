"""Loss-landscape slices of trained plain and residual nets (docs/lab/landscape.md)."""

from __future__ import annotations

from simcore import api

KIND = "landscape"
# Sized for the browser: the module's defaults (n 400) take ~2 s natively; n 300 (240 training
# points) takes ~1.6 s with the same grids, and the plain net's slice still rises far more
# steeply than the residual net's (1-D rise 72 vs 12 at seed 0; seeds 1-2 likewise).
TASKS = ("landscape",)  # the simcore.api tasks its run calls
DEFAULTS = {**api.defaults("landscape"), "n": 300}
FIELDS = ("dataset", "depth", "width", "layout", "norm", "lr", "epochs", "landscape_span",
          "landscape_points_1d", "landscape_points_2d", "seed")


def data(config: dict) -> dict:
    """The task's result: the slices and the 2-D grid the view traces its iso-lines on."""
    return api.landscape(config)
