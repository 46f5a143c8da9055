"""The shortcuts analysis: the same residual net with each kind of shortcut, one run per seed,
each trained as simcore.train trains it."""

import json

from simcore import api
from simcore.analysis import shortcuts
from simcore.blocks import SHORTCUTS
from simcore.train import train

FAST = {"depth": 6, "width": 6, "n": 60, "epochs": 2, "shortcut_seeds": 2}


def test_every_kind_and_seed_is_the_run_train_gives():
    res = api.shortcuts(FAST)
    cfg = res["config"]
    run = {k: v for k, v in cfg.items() if k != "shortcut_seeds"}
    assert list(res["kinds"]) == list(SHORTCUTS) and res["seeds"] == [0, 1]
    for kind, r in res["kinds"].items():
        for i, seed in enumerate(res["seeds"]):
            history = list(train({**run, "seed": seed, "kind": "residual", "shortcut": kind}))
            assert r["train_loss"][i] == [h["train_loss"] for h in history]
            assert r["train_error"][i] == 1.0 - history[-1]["train_acc"] and r["status"][i] == history[-1]["status"]
        assert len(r["grad_x"]) == 3  # the stem's output and two blocks
    json.dumps(res, allow_nan=False)


def test_the_text():
    lines = shortcuts.text(api.shortcuts(FAST)).splitlines()
    assert lines[0].startswith("residual nets of depth 6") and [l.split()[0] for l in lines[2:-1]] == list(SHORTCUTS)
