"""The work budget (simcore/budget.py) and the api's boundary: every call is bounded before it
starts, and answers with strict JSON or a clear error.

The property test tries 150 generated configs per task (Hypothesis, derandomised so that every
run tries the same ones): valid values of every field, values at and beyond its range, wrong
types, NaN and infinities, NumPy scalars, unknown fields. Each must end in a ``ValueError`` whose
message names a field, or in a result that ``json.dumps(..., allow_nan=False)`` accepts, within
the time its budget allows. A small budget keeps the accepted runs short; the code paths are
those of the real budget.
"""

from __future__ import annotations

import json
import time

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simcore import api, budget
from simcore.nets import NetConfig, Network
from simcore.layers import Dense

TASKS = [t for t in api.TASKS]
SMALL_BUDGET = 5e7            # MAC-equivalents: a few tens of milliseconds natively
# generated configs start from these small settings (where the task has the field), so that
# many fit SMALL_BUDGET and run; the generated fields replace any of them
SMALL = {"n": 40, "epochs": 2, "depth": 4, "depths": [4], "width": 4, "samples": 1,
         "lesion_draws": 1, "landscape_points_1d": 3, "landscape_points_2d": 3,
         "shatter_points": 16, "shatter_runs": 1, "shatter_max_lag": 4, "identity_steps": 5,
         "identity_points": 8, "path_samples": 1, "batch_size": 16}
SECONDS = 3.0                 # the most an accepted call may take under SMALL_BUDGET here


# --- the count --------------------------------------------------------------------------------

def _dense_macs(net: Network) -> int:
    return sum(leaf.params["W"].size for leaf in net.leaves() if isinstance(leaf, Dense))


@pytest.mark.parametrize("kind, depth, width, extra", [
    ("plain", 8, 16, {}), ("residual", 20, 32, {}), ("residual", 11, 16, {"bottleneck": True}),
    ("plain", 14, 5, {"bottleneck": True}), ("highway", 9, 12, {}),
    ("dense", 13, 16, {"growth": 8, "dense_layers": 4}), ("dense", 7, 8, {"growth": 3, "dense_layers": 1}),
    ("dense", 4, 8, {"growth": 5, "dense_layers": 6}),
    ("residual", 20, 16, {"shortcut": "conv"}), ("residual", 11, 16, {"bottleneck": True, "shortcut": "conv"}),
    ("residual", 8, 12, {"shortcut": "shortcut_gate"}),
    ("residual", 14, 8, {"shortcut": "exclusive_gate", "skips": "101001"}),
    ("residual", 14, 8, {"shortcut": "scaled", "skips": "101001"}),
])
@pytest.mark.parametrize("dataset", ["spirals", "blobs", "digits"])
def test_net_macs_are_the_built_networks_dense_layers(kind, depth, width, extra, dataset):
    n, _, d_in, classes = budget.data_shape({"dataset": dataset, "n": 100})
    cfg = {"width": width, **extra}
    net = Network(NetConfig(kind=kind, depth=depth, width=width, d_in=d_in, n_classes=classes, **extra))
    assert budget.net_macs(cfg, kind, depth, d_in, classes) == _dense_macs(net)


def test_data_shape():
    assert budget.data_shape({"dataset": "digits", "n": 5000, "test_fraction": 0.2}) == (1797, 1438, 64, 10)
    assert budget.data_shape({"dataset": "moons", "n": 300, "test_fraction": 0.2}) == (300, 240, 2, 2)
    assert budget.data_shape({"dataset": "blobs", "n": 100, "test_fraction": 0.0})[1:] == (100, 2, 3)


@pytest.mark.parametrize("task", TASKS)
def test_every_default_is_within_the_budget(task):
    if task in ("variants", "plan"):  # counting, or building two networks: no training
        with pytest.raises(ValueError, match=f"^task: '{task}' has no work budget"):
            api.work(task)
    elif task in ("train", "degradation"):
        assert api.work(task) < budget.BUDGET
    else:
        assert api.work(task) < budget.BUDGET / 2


@pytest.mark.parametrize("task, config, fields", [
    ("train", {"n": 5000, "epochs": 500, "depth": 128, "width": 256}, "epochs, n, depth, width or grid, or raise batch_size"),
    ("train", {"n": 5000, "epochs": 500, "depth": 128, "width": 2, "batch_size": 1}, "epochs"),
    ("degradation", {"depths": [64, 80, 96, 112, 128], "width": 256}, "epochs, n, depths or width"),
    ("lesion", {"n": 5000, "depth": 128, "width": 128, "lesion_draws": 100}, "lesion_draws"),
    ("landscape", {"landscape_points_2d": 31, "n": 5000, "width": 128, "depth": 128, "epochs": 100}, "landscape_points_2d"),
    ("shattering", {"depths": [100, 110, 120, 128], "shatter_runs": 8, "width": 256, "epochs": 100}, "shatter_runs"),
    ("identity", {"identity_steps": 5000, "identity_points": 1000, "identity_blocks": 16, "width": 256}, "identity_steps"),
    ("paths", {"depth": 128, "path_samples": 100, "width": 256, "n": 5000, "epochs": 200}, "path_samples"),
    ("gradflow", {"depth": 128, "width": 256, "n": 5000, "epochs": 300, "samples": 32}, "samples"),
    ("convergence", {"depths": [100, 110, 120, 128], "width": 256, "n": 5000, "epochs": 500}, "depths"),
])
def test_over_budget_is_a_value_error_naming_the_fields_before_any_work(task, config, fields):
    start = time.perf_counter()
    with pytest.raises(ValueError) as err:
        api.run(task, config)
    assert time.perf_counter() - start < 1.0, "refused only after working"
    msg = str(err.value)
    first = msg.split(":")[0]
    assert first in api.FIELDS and first in msg.split("lower ")[1], msg
    assert fields in msg and f"budget of {budget._sci(budget.BUDGET)}" in msg and "\n" not in msg


def test_the_budget_can_be_lifted_natively_only_on_purpose():
    cfg = {"n": 100, "epochs": 1, "depth": 4, "width": 8}
    api.train(cfg, budget=None)
    with pytest.raises(ValueError, match="^epochs: this train run"):
        api.train(cfg, budget=1e3)


# --- the boundary ------------------------------------------------------------------------------

def test_defaults_are_fresh_objects():
    d = api.defaults("degradation")
    d["depths"].append(200)
    d["lr"] = 99
    assert api.defaults("degradation")["depths"] == [4, 8, 16, 32, 56]
    assert api.defaults("degradation")["lr"] == 0.05


def test_numpy_scalars_are_their_python_values():
    plain = api.train({"epochs": 1, "depth": 4, "width": 8, "n": 100, "lr": 0.05, "norm": True})
    numpy = api.train({"epochs": np.int32(1), "depth": np.int64(4), "width": np.uint8(8),
                       "n": np.int16(100), "lr": np.float64(0.05), "norm": np.bool_(True)})
    drop = lambda r: {k: v for k, v in r["final"].items() if k != "elapsed"}  # noqa: E731
    assert drop(plain) == drop(numpy) and plain["config"] == numpy["config"]
    with pytest.raises(ValueError, match="^lr: .* not allowed"):
        api.train({"lr": np.float32("nan")})


def test_strict_json_out():
    found: list = []
    out = api.strict({"a": [1.0, float("nan"), np.float32("inf")], "b": {"c": 2 ** 60, "d": np.int64(3)},
                      "e": (1, 2)}, "", found)
    assert out == {"a": [1.0, None, None], "b": {"c": str(2 ** 60), "d": 3}, "e": [1, 2]}
    assert found == ["a[1]", "a[2]"]
    json.dumps(out, allow_nan=False)


def test_a_diverging_run_is_strict_json_and_says_so(capfd):
    res = api.run("gradflow", {"depth": 56, "norm": False, "lr": 10.0, "epochs": 3, "n": 100,
                               "width": 16, "samples": 1})
    json.dumps(res, allow_nan=False)
    assert "diverged" in (res["plain"]["status"], res["residual"]["status"])
    out, err = capfd.readouterr()
    assert out == err == "", "warning text printed"


def test_large_counts_are_sent_as_strings():
    res = api.run("paths", {"depth": 128, "epochs": 0, "n": 40, "width": 2, "path_samples": 1})
    counts = res["counts"]
    assert isinstance(counts[1], int) and counts[1] == 63
    big = [c for c in counts if isinstance(c, str)]
    assert big and all(int(c) > 2 ** 53 for c in big)
    json.dumps(res, allow_nan=False)


# --- hostile configs, generated ---------------------------------------------------------------

def _valid(field):
    kind, allowed = api.FIELDS.get(field, ("other", None))
    if kind == "choice":
        return st.sampled_from(list(allowed))
    if kind == "bool":
        return st.booleans()
    if kind == "int":
        lo, hi = allowed
        return st.integers(lo, hi)
    if kind == "float":
        lo, hi = allowed
        return st.floats(lo, hi)
    if kind == "ints":
        lo, hi = allowed
        return st.lists(st.integers(lo, min(hi, 40)), min_size=1, max_size=api.MAX_DEPTHS)
    return st.none()


HOSTILE = st.one_of(
    st.none(), st.booleans(), st.integers(-10 ** 30, 10 ** 30),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=40), st.just("x" * 5000),
    st.lists(st.integers(-5, 200), max_size=12), st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
    st.integers(-10, 300).map(np.int64), st.floats(-10, 300, width=32).map(np.float32), st.just(np.bool_(True)),
    st.sampled_from(["１２", "1e3", "nan", "0x10", "<img src=x onerror=alert(1)>", "__proto__"]),
)


def _configs(task):
    defaults = api.TASKS[task][1]
    fields = {f: st.one_of(_valid(f), _valid(f), HOSTILE) for f in defaults}
    if task == "variants":
        from simcore import variants
        valid = {"name": st.sampled_from(variants.NAMES), "resolution": st.one_of(st.none(), st.integers(8, 1024))}
        fields = {"name": st.one_of(st.sampled_from(variants.NAMES), HOSTILE),
                  "resolution": st.one_of(st.none(), st.integers(0, 2000), HOSTILE)}
    else:
        valid = {f: _valid(f) for f in defaults}
    base = {k: v for k, v in SMALL.items() if k in defaults and task != "variants"}
    # valid values of a few fields; the same with one hostile value; any mix; an unknown field
    good = st.fixed_dictionaries({}, optional=valid).map(lambda c: {**base, **c})
    one_bad = st.tuples(good, st.sampled_from(sorted(fields)), HOSTILE).map(lambda p: {**p[0], p[1]: p[2]})
    mixed = st.fixed_dictionaries({}, optional=fields).map(lambda c: {**base, **c})
    unknown = st.fixed_dictionaries({}, optional={"unknown_field": st.integers(), "": st.integers()})
    return st.one_of(good, good, one_bad, one_bad, mixed, st.tuples(good, unknown).map(lambda p: {**p[0], **p[1]}),
                     st.sampled_from([None, [], "config", 3]))


@pytest.mark.parametrize("task", TASKS)
def test_hostile_configs_end_in_a_field_error_or_strict_json_in_time(task, tally):
    seen = {"refused": 0, "ran": 0}

    @settings(max_examples=150, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(_configs(task))
    def check(config):
        start = time.perf_counter()
        try:
            res = api.run(task, config, budget=SMALL_BUDGET)
        except ValueError as exc:
            msg = str(exc)
            field = msg.split(":")[0]
            assert field in set(api.FIELDS) | {"config", "task", "name", "resolution", "unknown_field", "''"} \
                or msg.startswith("'':"), msg
            assert "\n" not in msg and len(msg) < 1200, msg
            seen["refused"] += 1
            seen["over budget"] = seen.get("over budget", 0) + ("of work, over the budget" in msg)
        else:
            json.dumps(res, allow_nan=False)
            seen["ran"] += 1
        assert time.perf_counter() - start < SECONDS, (config, time.perf_counter() - start)

    check()
    assert seen["refused"] + seen["ran"] >= 150
    assert seen["ran"] > 0 or task in ("degradation",), seen  # some configs get through and run
    tally.count("Hostile input", "generated configs tried per task (Hypothesis), refused or run to strict JSON",
                seen["refused"] + seen["ran"])
    tally.count("Budgets", f"generated configs run within a small work budget, {task}", seen["ran"])
    tally.count("Budgets", f"generated configs refused as over the budget, {task}", seen.get("over budget", 0))


CLI_CASES = [
    ["train", "--n", "20", "--test-fraction", "0.9", "--epochs", "2"],
    ["train", "--lr", "10", "--norm", "false", "--depth", "20", "--epochs", "3", "--n", "100"],
    ["degradation", "--n", "20", "--test-fraction", "0.9", "--depths", "4", "--epochs", "2"],
    ["paths", "--depth", "128", "--epochs", "0", "--n", "40", "--width", "2", "--path-samples", "1"],
    ["gradflow", "--depth", "56", "--norm", "false", "--lr", "10", "--epochs", "3", "--n", "100", "--width", "16", "--samples", "1"],
    ["lesion", "--n", "20", "--test-fraction", "0.9", "--epochs", "1", "--depth", "4"],
    ["landscape", "--n", "20", "--test-fraction", "0.9", "--epochs", "1", "--depth", "4", "--landscape-points-2d", "3"],
    ["shattering", "--n", "20", "--epochs", "1", "--depths", "4", "--shatter-runs", "1", "--lr", "10"],
    ["identity", "--n", "20", "--test-fraction", "0.9", "--identity-steps", "50", "--identity-lr", "10"],
    ["convergence", "--n", "20", "--test-fraction", "0.9", "--depths", "4", "--epochs", "2"],
    ["train", "--epochs", "500", "--n", "5000", "--depth", "128", "--width", "256"],
]


@pytest.mark.parametrize("args", CLI_CASES, ids=lambda a: " ".join(a[:3]))
@pytest.mark.parametrize("as_json", [False, True], ids=["text", "json"])
def test_cli_degenerate_runs_answer_in_one_line_or_strict_json(args, as_json, capsys):
    from simcore.__main__ import main
    rc = main(args + (["--json"] if as_json else []))
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    if rc == 0:
        assert err == "", err
        if as_json:
            json.loads(out, parse_constant=lambda c: pytest.fail(f"{c} in the JSON"))
    else:
        assert rc in (1, 2) and out == "" and err.count("\n") == 1 and err.startswith("simcore: error: --"), err
