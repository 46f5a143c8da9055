"""simcore.worker: the Python the browser's worker calls, tested natively (worker.js only loads
it and relays messages; the browser tests run the same module in Pyodide)."""

from __future__ import annotations

import json

import pytest

from simcore import api, worker

SMALL = {"depth": 4, "width": 8, "n": 100, "epochs": 3}


def _timeless(record: dict) -> dict:
    return {k: v for k, v in record.items() if k != "elapsed"}


def test_run_answers_the_api_result_as_json_text():
    out = json.loads(worker.run_json("train", json.dumps(SMALL)))
    assert _timeless(out["result"]["final"]) == _timeless(api.train(SMALL)["final"])


@pytest.mark.parametrize("task, config, field, fragment", [
    ("train", {"depth": 9}, "depth", "depth: 9 is not 2 + 2·b"),
    ("train", {"colour": 1}, "colour", "colour: unknown field"),
    ("train", {"epochs": 500, "n": 5000, "depth": 128, "width": 256}, "epochs", "over the budget"),
    ("nope", {}, "task", "task: 'nope' is not allowed"),
    ("variants", {"name": "resnet7"}, "name", "name: 'resnet7' is not one of"),
])
def test_a_refused_input_carries_its_field_as_data(task, config, field, fragment):
    out = json.loads(worker.run_json(task, json.dumps(config)))
    assert out["field"] == field and fragment in out["error"] and "result" not in out


def test_not_json_is_a_config_error():
    out = json.loads(worker.run_json("train", "{not json"))
    assert out == {"error": "config: not valid JSON; expected an object of fields", "field": "config"}


def test_a_fault_is_one_sentence_without_a_field(monkeypatch):
    def boom(task, config=None, budget=None):
        raise RuntimeError("injected\nsecond line")
    monkeypatch.setattr(api, "run", boom)
    out = json.loads(worker.run_json("train", "{}"))
    assert out == {"error": "simcore failed (RuntimeError: injected).", "field": None}


def test_a_stream_runs_in_slices_and_closes():
    sid = "s1"
    assert json.loads(worker.stream_start(sid, "train", json.dumps(SMALL))) == {"ok": True}
    first = json.loads(worker.stream_next(sid, 2, 60.0))
    assert [r["epoch"] for r in first["records"]] == [0, 1] and not first["done"]
    rest = json.loads(worker.stream_next(sid, 10, 60.0))
    assert [r["epoch"] for r in rest["records"]] == [2, 3] and rest["done"]
    assert json.loads(worker.memory_json())["open_streams"] == 0
    assert json.loads(worker.stream_next(sid, 10, 60.0)) == {"records": [], "done": True}
    # the records are those of api.train, epoch for epoch
    native = api.train(SMALL)["history"]
    for got, want in zip(first["records"] + rest["records"], native):
        assert _timeless(got) == _timeless(want)


def test_a_stream_yields_after_its_time_budget_and_can_be_stopped():
    sid = "s2"
    worker.stream_start(sid, "train", json.dumps({**SMALL, "epochs": 50}))
    out = json.loads(worker.stream_next(sid, 50, 0.0))   # no time at all: one epoch, then yield
    assert len(out["records"]) == 1 and not out["done"]
    assert json.loads(worker.memory_json())["open_streams"] == 1
    assert worker.stream_stop(sid) == "{}"
    assert json.loads(worker.memory_json())["open_streams"] == 0
    assert worker.stream_stop("never-opened") == "{}"


def test_only_training_streams_and_their_input_is_checked_at_once():
    out = json.loads(worker.stream_start("s3", "lesion", "{}"))
    assert out["field"] == "task" and "expected train" in out["error"]
    out = json.loads(worker.stream_start("s3", "train", json.dumps({"lr": "fast"})))
    assert out["field"] == "lr" and "wrong type" in out["error"]
    assert json.loads(worker.memory_json())["open_streams"] == 0


def test_a_diverging_stream_is_strict_json():
    sid = "s4"
    worker.stream_start(sid, "train", json.dumps({"depth": 20, "lr": 10.0, "norm": False, "epochs": 5, "n": 100}))
    out = json.loads(worker.stream_next(sid, 10, 60.0), parse_constant=lambda c: pytest.fail(c))
    assert out["done"] and out["records"][-1]["status"] == "diverged"
