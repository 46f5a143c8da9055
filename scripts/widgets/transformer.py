"""The Transformer's residual stream: pre-LN, post-LN and no residual trained side by side on
sorting digits (docs/understand/transformer.md)."""

from __future__ import annotations

from simcore import api
from simcore.transformer import LAYOUTS

KIND = "transformer"
TASKS = ("transformer",)  # the simcore.api tasks its run calls
DEFAULTS = api.defaults("transformer")
FIELDS = ("layers", "warmup", "lr", "width", "heads", "length", "epochs", "n", "batch_size", "seed")


def data(config: dict) -> dict:
    """The live run's data: the three layouts, one call each (the widget's calls())."""
    return {"variants": {k: v for layout in LAYOUTS
                         for k, v in api.transformer({**config, "layouts": layout})["variants"].items()}}
