"""Learning the identity: a plain and a residual stack fitted to y = x (docs/lab/identity.md)."""

from __future__ import annotations

from simcore import api

KIND = "identity"
FIELDS = ("identity_blocks", "width", "layout", "activation", "norm", "zero_init", "init",
          "identity_optimizer", "identity_lr", "identity_steps", "identity_tol",
          "identity_points", "seed")
# The task's defaults, this half only, and the residual branches *not* zero-initialised, so
# both stacks have something to learn (with zero-init the residual stack is done at step 0).
TASKS = ("identity",)  # the simcore.api tasks its run calls
DEFAULTS = {**api.defaults("identity"), "identity_part": "learn_identity", "zero_init": False}


def data(config: dict) -> dict:
    return api.identity(config)
