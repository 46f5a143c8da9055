import copy
import json

import pytest

from simcore import api
from simcore.analysis import convergence
from simcore.train import TrainConfig, train

FAST = {"n": 80, "width": 8, "depths": [4, 6], "epochs": 4, "convergence_target_acc": 0.7}


def first_reaching(curve, target):
    return next((e for e, a in enumerate(curve) if a is not None and a >= target), None)


@pytest.fixture(scope="module")
def default_result():
    return api.run("convergence", {})


def check_consistent(res):
    """epochs_to_target is read off the returned curve: the first epoch at or above the
    target, every earlier epoch below it; None exactly when no epoch gets there."""
    target = res["target_acc"]
    for kind in ("plain", "residual"):
        r = res[kind]
        for i, curve in enumerate(r["train_acc"]):
            e = r["epochs_to_target"][i]
            assert len(curve) <= res["config"]["epochs"] + 1
            assert e == first_reaching(curve, target)
            if e is None:
                assert r["status"][i] in ("not reached", "diverged")
                assert all(a is None or a < target for a in curve)
            else:
                assert isinstance(e, int) and r["status"][i] == "reached"
                assert curve[e] >= target and all(a is None or a < target for a in curve[:e])
            assert r["final_train_acc"][i] == curve[-1]


def test_default_deepest_residual_reaches_target_deepest_plain_does_not(default_result):
    """The defining property at the defaults (spirals, 300 points, width 16, 40 epochs, 90%):
    measured epochs to target plain [12, 16, None] vs residual [17, 12, 14] at depths
    4/12/24 (seed 0); over seeds 0-9 plain depth 24 never reached 90% (best 63-86%)
    while residual depth 24 reached it in 10-16 epochs."""
    res = default_result
    check_consistent(res)
    assert res["depths"] == [4, 12, 24]
    r, p = res["residual"]["epochs_to_target"][-1], res["plain"]["epochs_to_target"][-1]
    assert res["residual"]["status"][-1] == "reached" and r is not None
    assert p is None or p > r
    assert res["plain"]["status"][-1] == "not reached"


def test_epochs_to_target_is_monotone_in_the_target():
    run = convergence.convergence_run(TrainConfig(n=80, width=8, depth=6, epochs=6), 0.0)
    curve = run["train_acc"]
    assert run["epochs_to_target"] == 0  # every net has accuracy >= 0 at initialisation
    inf = float("inf")
    steps = [convergence.epochs_to_target(curve, t) for t in (0.5, 0.6, 0.7, 0.8, 0.9, 1.0)]
    as_num = [inf if s is None else s for s in steps]
    assert as_num == sorted(as_num)
    assert convergence.epochs_to_target([0.4, None, 0.8, 0.6], 0.7) == 2
    assert convergence.epochs_to_target([0.4, None], 0.5) is None


def test_unreachable_targets_give_none():
    # perfect accuracy on heavily noisy spirals cannot be reached
    res = api.run("convergence", {**FAST, "noise": 1.5, "convergence_target_acc": 1.0})
    check_consistent(res)
    for kind in ("plain", "residual"):
        assert res[kind]["epochs_to_target"] == [None, None]
        assert res[kind]["status"] == ["not reached", "not reached"]
    # one epoch is not enough for 99%
    res = api.run("convergence", {**FAST, "epochs": 1, "convergence_target_acc": 0.99})
    check_consistent(res)
    assert res["plain"]["epochs_to_target"] == res["residual"]["epochs_to_target"] == [None, None]


def test_diverged_run_gives_none_and_says_so():
    cfg = TrainConfig(n=80, width=8, depth=12, epochs=5, lr=10.0, norm=False, kind="plain")
    run = convergence.convergence_run(cfg, 0.99)
    assert run["run_status"] == "diverged" and run["status"] == "diverged"
    assert run["epochs_to_target"] is None and run["train_acc"][-1] is None


def test_never_mutates_its_inputs():
    cfg = TrainConfig(n=60, width=8, depth=4, epochs=2)
    cfg_before = copy.deepcopy(cfg)
    history = list(train(cfg))
    hist_before = copy.deepcopy(history)
    convergence.accuracy_curve(history)
    run = convergence.convergence_run(cfg, 0.8)
    assert cfg == cfg_before and history == hist_before
    assert run["train_acc"] == convergence.accuracy_curve(history)  # deterministic
    curve = [0.1, 0.9]
    convergence.epochs_to_target(curve, 0.5)
    assert curve == [0.1, 0.9]


def test_api_task_json_round_trip():
    res = api.run("convergence", FAST)
    assert json.loads(json.dumps(res, allow_nan=False)) == res
    check_consistent(res)
    assert res["config"]["convergence_target_acc"] == 0.7 and res["depths"] == [4, 6]
    assert api.convergence.__name__ == "convergence"
    assert "epochs to 70%" in api.TEXT["convergence"](res)


@pytest.mark.parametrize("field,value", [
    ("convergence_target_acc", 1.5), ("convergence_target_acc", -0.1),
    ("convergence_target_acc", "high"), ("convergence_target_acc", float("nan")),
    ("depths", []), ("depths", [12, 4]),
])
def test_bad_inputs(field, value):
    with pytest.raises(ValueError) as exc:
        api.run("convergence", {field: value})
    assert str(exc.value).startswith(f"{field}:")
