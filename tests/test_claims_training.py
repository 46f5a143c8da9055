"""Numbers docs/trainer.md ("Training dynamics") states in prose, checked against simcore.

Two problems: the trainer's default (two spirals, 300 points, width 16, batch 32, 30 epochs)
and the convergence figure's (two moons, 150 points, width 16, batch 64, 20 epochs). Both use
batch norm, post-activation blocks, ReLU, He init, SGD with momentum 0.9 and a cosine
schedule; only the fields a test names change. Runs are cached, so a configuration two tests
use is trained once.
"""

from __future__ import annotations

import sys
from functools import lru_cache
from pathlib import Path

import pytest

from simcore import api

TRAINER = {"dataset": "spirals", "n": 300, "width": 16, "epochs": 30, "batch_size": 32}


@lru_cache(maxsize=None)
def run(kind: str, depth: int = 20, lr: float = 0.05, seed: int = 0) -> dict:
    return api.train({**TRAINER, "kind": kind, "depth": depth, "lr": lr, "seed": seed})


def pct(acc: float) -> str:
    """Accuracy as the page prints it: a percentage with one decimal."""
    return f"{100 * acc:.1f}"


def test_trainer_config_is_the_widgets_default():
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
    from widgets.trainer import DEFAULTS as TRAINER_DEFAULTS
    for key, value in {**TRAINER, "depth": 20, "lr": 0.05, "seed": 0}.items():
        assert TRAINER_DEFAULTS[key] == value, key


def test_default_figure():
    """The trainer's static figure: depth 20, seed 0."""
    plain, residual = run("plain"), run("residual")
    assert (pct(plain["final"]["train_acc"]), pct(residual["final"]["train_acc"])) == ("73.8", "93.8")
    assert (pct(plain["final"]["test_acc"]), pct(residual["final"]["test_acc"])) == ("75.0", "91.7")
    assert plain["status"] == residual["status"] == "done"


# The stability table runs on the convergence figure's problem: two moons, 150 points (120 for
# training), width 16, batch 64, 20 epochs; final training accuracy (%) or "diverged".
MOONS = {"dataset": "moons", "n": 150, "width": 16, "epochs": 20, "batch_size": 64}


@lru_cache(maxsize=None)
def run_moons(kind: str, depth: int, lr: float = 0.05, seed: int = 0) -> dict:
    return api.train({**MOONS, "kind": kind, "depth": depth, "lr": lr, "seed": seed})


def cell(result: dict) -> str:
    return "diverged" if result["status"] == "diverged" else pct(result["final"]["train_acc"])


TABLE = {  # (depth, lr): (plain, residual)
    (4, 0.05): ("100.0", "100.0"), (4, 0.2): ("100.0", "100.0"),
    (4, 0.8): ("100.0", "100.0"), (4, 2.0): ("100.0", "86.7"),
    (12, 0.05): ("100.0", "100.0"), (12, 0.2): ("100.0", "100.0"),
    (12, 0.8): ("100.0", "100.0"), (12, 2.0): ("75.8", "89.2"),
    (24, 0.05): ("67.5", "100.0"), (24, 0.2): ("75.0", "100.0"),
    (24, 0.8): ("65.0", "85.8"), (24, 2.0): ("42.5", "diverged"),
    (48, 0.05): ("79.2", "96.7"), (48, 0.2): ("31.7", "84.2"),
    (48, 0.8): ("45.8", "84.2"), (48, 2.0): ("27.5", "diverged"),
}


@pytest.mark.parametrize("depth, lr", list(TABLE))
def test_stability_table(depth, lr):
    got = (cell(run_moons("plain", depth, lr)), cell(run_moons("residual", depth, lr)))
    assert got == TABLE[depth, lr], (depth, lr, got)
    assert run_moons("plain", depth, lr)["status"] == "done"  # no plain net in the table diverges


def test_divergence_epochs():
    """'The residual nets at lr 2 diverge after epoch 5 (depth 24) and 2 (depth 48).'"""
    assert [run_moons("residual", d, 2.0)["final"]["epoch"] for d in (24, 48)] == [5, 2]


def test_seed_spread_depth_24():
    """Seeds 0-4 at depth 24, lr 0.05: plain 67.5-95.8 %, residual 100 % every time."""
    plain = [pct(run_moons("plain", 24, seed=s)["final"]["train_acc"]) for s in range(5)]
    residual = [pct(run_moons("residual", 24, seed=s)["final"]["train_acc"]) for s in range(5)]
    assert plain == ["67.5", "86.7", "74.2", "86.7", "95.8"]
    assert residual == ["100.0"] * 5


def test_convergence_widget_default():
    """The convergence figure's defaults: epochs to 90 % at depths 4, 12, 24."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
    from widgets.convergence import DEFAULTS as CV_DEFAULTS, per_depth
    got = [(r["plain"]["epochs_to_target"][0], r["residual"]["epochs_to_target"][0])
           for r in per_depth(CV_DEFAULTS)]
    assert got == [(2, 2), (6, 4), (None, 7)]
