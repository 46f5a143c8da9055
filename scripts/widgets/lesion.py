"""The lesion study: delete blocks of trained plain and residual nets (docs/lab/lesion.md)."""

from __future__ import annotations

from simcore import api

KIND = "lesion"
# Sized for the browser: the module's defaults (30 epochs, 10 draws per k) take ~3 s natively;
# 15 epochs and 5 draws take ~1.5 s, and the residual net still shrugs off most single lesions
# (median drop 5 points, seeds 0-2: 3-8) while the plain net falls to chance (27-31 points).
TASKS = ("lesion",)  # the simcore.api tasks its run calls
DEFAULTS = {**api.defaults("lesion"), "epochs": 15, "lesion_draws": 5}
FIELDS = ("dataset", "depth", "width", "layout", "norm", "lr", "epochs", "lesion_max_k",
          "lesion_draws", "seed")


def data(config: dict) -> dict:
    return api.lesion(config)
