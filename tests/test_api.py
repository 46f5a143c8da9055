import json
import math

import pytest

from simcore import api

FAST = dict(n=100, epochs=2, depth=4, width=8, batch_size=25)

# (task, config, field named in the message, a fragment of the message)
BAD = [
    ("train", {"depth": 500}, "depth", "out of range"),
    ("train", {"depth": 2}, "depth", "out of range"),
    ("train", {"depth": 9}, "depth", "2 + 2·b"),
    ("train", {"depth": 9.5}, "depth", "not an integer"),
    ("train", {"depth": "20"}, "depth", "wrong type"),
    ("train", {"depth": True}, "depth", "wrong type"),
    ("train", {"width": -3}, "width", "out of range"),
    ("train", {"width": 10_000}, "width", "out of range"),
    ("train", {"lr": float("nan")}, "lr", "not finite"),
    ("train", {"lr": float("inf")}, "lr", "not finite"),
    ("train", {"lr": 0}, "lr", "out of range"),
    ("train", {"n": 10**7}, "n", "out of range"),
    ("train", {"n": -1}, "n", "out of range"),
    ("train", {"epochs": 10**6}, "epochs", "out of range"),
    ("train", {"kind": "wide"}, "kind", "one of plain, residual, highway, dense"),
    ("train", {"dataset": "mnist"}, "dataset", "one of spirals"),
    ("train", {"activation": "swish"}, "activation", "one of relu"),
    ("train", {"init": "lecun"}, "init", "one of he_normal"),
    ("train", {"optimizer": "rmsprop"}, "optimizer", "one of sgd"),
    ("train", {"schedule": "linear"}, "schedule", "one of constant"),
    ("train", {"layout": "sideways"}, "layout", "one of post, pre"),
    ("train", {"norm": "yes"}, "norm", "true or false"),
    ("train", {"norm": 1}, "norm", "true or false"),
    ("train", {"momentum": 1.5}, "momentum", "out of range"),
    ("train", {"noise": -0.1}, "noise", "out of range"),
    ("train", {"seed": -1}, "seed", "out of range"),
    ("train", {"batch_size": 0}, "batch_size", "out of range"),
    ("train", {"dataset": "digits", "n": 3000}, "n", "digits has 1797"),
    ("train", {"warmup": 5, "epochs": 2}, "warmup", "longer than epochs"),
    ("train", {"kind": "residual", "bottleneck": True, "depth": 10}, "depth", "2 + 3·b"),
    ("train", {"colour": "red"}, "colour", "unknown field"),
    ("train", {"depths": [4, 8]}, "depths", "unknown field"),
    ("degradation", {"depths": [8, 4]}, "depths", "strictly ascending"),
    ("degradation", {"depths": []}, "depths", "list of 1 to 8"),
    ("degradation", {"depths": list(range(4, 40, 2))}, "depths", "list of 1 to 8"),
    ("degradation", {"depths": [4, 1000]}, "depths", "out of range"),
    ("degradation", {"depths": "4,8"}, "depths", "a list of integers"),
    ("degradation", {"depths": [4, 9]}, "depth", "2 + 2·b"),
    ("degradation", {"kind": "plain"}, "kind", "unknown field"),
]


@pytest.mark.parametrize("task,config,field,fragment", BAD,
                         ids=[f"{i}-{b[2]}" for i, b in enumerate(BAD)])
def test_bad_input_names_field_value_and_range(task, config, field, fragment):
    with pytest.raises(ValueError) as err:
        api.run(task, config)
    msg = str(err.value)
    assert msg.startswith(f"{field}:"), msg
    assert fragment in msg, msg
    bad_value = config.get(field, config.get("depth"))
    if field in config and not isinstance(bad_value, (dict, list)) and "unknown" not in fragment:
        shown = repr(bad_value) if not isinstance(bad_value, float) else str(bad_value)
        assert shown.strip("'") in msg, f"value missing from {msg!r}"


def test_not_a_dict_and_unknown_task():
    with pytest.raises(ValueError, match="^config:"):
        api.train([1, 2])
    with pytest.raises(ValueError, match="^task: 'fly'"):
        api.run("fly", {})


def test_every_field_has_a_default_and_a_spec():
    for task in set(api.TASKS) - {"variants"}:  # variants validates its two fields itself
        d = api.defaults(task)
        assert set(d) <= set(api.FIELDS)
        assert api.validate({}, d) == api.validate(d, d)


def test_train_returns_plain_json():
    res = api.train(FAST)
    text = json.dumps(res, allow_nan=False)
    back = json.loads(text)
    assert back == res, "result must survive a JSON round trip unchanged"
    assert res["status"] == "done" and len(res["history"]) == 3
    assert res["config"]["depth"] == 4 and res["config"]["kind"] == "residual"


def test_integral_floats_are_accepted_as_ints():
    """JavaScript numbers arrive as floats; 8.0 is a valid depth."""
    cfg = api.validate({"depth": 8.0, "width": 16.0}, api.TRAIN_DEFAULTS)
    assert cfg["depth"] == 8 and isinstance(cfg["depth"], int)


def test_stream_matches_train():
    streamed = [{k: v for k, v in r.items() if k != "elapsed"} for r in api.train_stream(FAST)]
    whole = [{k: v for k, v in r.items() if k != "elapsed"} for r in api.train(FAST)["history"]]
    assert streamed == whole


def test_degradation_small_shape():
    res = api.degradation({**{k: v for k, v in FAST.items() if k != "depth"}, "depths": [4, 6]})
    assert res["depths"] == [4, 6]
    for k in ("plain_train_error", "residual_train_error", "plain_test_error", "residual_test_error"):
        assert len(res[k]) == 2 and all(0.0 <= v <= 1.0 for v in res[k]), k
    assert len(res["plain_curves"][0]) == FAST["epochs"] + 1
    assert not any(isinstance(v, float) and math.isnan(v) for v in res["plain_train_error"])
    json.dumps(res, allow_nan=False)


def test_gradflow_plain_vs_residual():
    res = api.gradflow({"depth": 12, "width": 8, "n": 100, "norm": False, "layout": "pre",
                        "samples": 2, "epochs": 1, "batch_size": 25})
    json.dumps(res, allow_nan=False)
    for kind in ("plain", "residual"):
        r = res[kind]
        assert len(r["init"]["grad_x"]) == 12 // 2  # 5 blocks -> 6 boundaries
        assert len(r["init"]["grad_w"]) == 12
        assert len(r["jacobian_singular_values"]) == 2 and len(r["jacobian_singular_values"][0]) == 8
        assert len(r["grad_norms"]) == 2  # epoch 0 and epoch 1
        assert r["final"] != r["init"]
    assert res["residual"]["decomposition"]["exact"] and not res["plain"]["decomposition"]["exact"]
    with pytest.raises(ValueError, match="^samples: 99"):
        api.gradflow({"samples": 99})


def test_variants_through_api():
    assert api.run("variants", {"name": "resnet50"})["params"] == 25_557_032
    assert api.variants({"name": "cifar_resnet56"})["resolution"] == 32
    with pytest.raises(ValueError, match="^name: 'vgg16'"):
        api.variants({"name": "vgg16"})
    with pytest.raises(ValueError, match="^depth: unknown field"):
        api.variants({"depth": 3})


def test_plan_is_nets_plan_of_both_kinds_and_validates_its_fields():
    from simcore import nets

    res = api.plan({"depth": 11, "width": 8, "bottleneck": True, "layout": "pre"})
    cfg = res["config"]
    for kind in ("plain", "residual"):
        want = nets.plan(nets.NetConfig(**cfg, kind=kind))
        assert res["plans"][kind] == want
    assert [b["shortcut"] for b in res["plans"]["residual"]["blocks"]] == ["identity"] * 3
    assert all(b["shortcut"] is None for b in res["plans"]["plain"]["blocks"])
    with pytest.raises(ValueError, match="depth: 12 is not"):
        api.plan({"depth": 12, "bottleneck": True})
    with pytest.raises(ValueError, match="kind: unknown field"):
        api.plan({"kind": "plain"})
    assert json.dumps(api.run("plan", {"depth": 4}), allow_nan=False)
