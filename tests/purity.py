"""What the analysis tests share to show that a measurement leaves the network it measures
unchanged: every parameter and every layer's state (batch-norm running statistics), copied."""

from __future__ import annotations

import numpy as np


def snapshot(model) -> dict:
    """Copies of ``model``'s parameters and of every leaf layer's state, by name."""
    state = {k: v.copy() for k, v in model.params.items()}
    for i, leaf in enumerate(model.leaves()):
        for k, v in leaf.state().items():
            state[f"{i}.{k}"] = v.copy()
    return state


def assert_same(before: dict, after: dict) -> None:
    """Two snapshots hold the same names and bit-identical arrays."""
    assert before.keys() == after.keys()
    for k in before:
        np.testing.assert_array_equal(before[k], after[k], err_msg=k)
