"""The block explorer: one block's diagram, and measured live that a zero branch is the
identity and that the branch computes F(x) = H(x) − x (docs/lab/block-explorer.md).

Everything shown comes from one ``simcore.api.blocks_demo`` call: the diagram is drawn from
the block's ``structure`` (its layers, read off the real block), the two scatter plots and the
readout from its measurements.
"""

from __future__ import annotations

from simcore import api

KIND = "block-explorer"
TASKS = ("blocks_demo",)  # the simcore.api tasks its run calls
DEFAULTS = api.defaults("blocks_demo")
FIELDS = ("block_kind", "layout", "block_width", "norm", "activation", "seed")


def data(config: dict) -> dict:
    return api.blocks_demo(config)
