"""The Transformer's residual stream: pre-LN, post-LN and no residual trained side by side on
sorting digits (docs/understand/transformer.md)."""

from __future__ import annotations

from simcore import api

KIND = "transformer"
TASKS = ("transformer",)  # the simcore.api tasks its run calls
DEFAULTS = api.defaults("transformer")
FIELDS = ("layers", "warmup", "lr", "width", "heads", "length", "epochs", "n", "batch_size", "seed")


def data(config: dict) -> dict:
    return api.transformer(config)
