"""Residual networks without normalisation: plain, residual, batch norm, SkipInit/ReZero and
Fixup at one depth (docs/lab/normfree.md)."""

from __future__ import annotations

from simcore import api

KIND = "normfree"
TASKS = ("normfree",)  # the simcore.api tasks its run calls
DEFAULTS = api.defaults("normfree")
FIELDS = ("depth", "layout", "lr", "width", "optimizer", "epochs", "dataset", "n", "batch_size", "seed")


def data(config: dict) -> dict:
    return api.normfree(config)
