import json
import warnings

import pytest

from simcore.train import TrainConfig, train

FAST = dict(n=200, epochs=4, depth=6, width=16, batch_size=32)


def strip_time(records):
    return [{k: v for k, v in r.items() if k != "elapsed"} for r in records]


def test_streams_one_record_per_epoch_and_learns():
    recs = list(train({**FAST, "epochs": 15}))
    assert [r["epoch"] for r in recs] == list(range(16))
    assert [r["status"] for r in recs] == ["running"] * 15 + ["done"]
    assert recs[-1]["train_acc"] > recs[0]["train_acc"] + 0.2, "training did not learn"
    assert recs[-1]["train_loss"] < recs[0]["train_loss"]
    assert len(recs[0]["grad_norms"]) == FAST["depth"]
    assert all(r["elapsed"] >= 0 for r in recs)
    json.dumps(recs)  # plain JSON all the way down


def test_generator_streams_lazily():
    gen = train({**FAST, "epochs": 500})
    first = next(gen)
    assert first["epoch"] == 0 and first["status"] == "running"
    gen.close()  # the page may stop a run at any epoch


@pytest.mark.parametrize("kind", ["plain", "residual", "highway", "dense"])
def test_same_seed_same_numbers_bit_for_bit(kind):
    a = strip_time(train({**FAST, "kind": kind, "seed": 3}))
    b = strip_time(train({**FAST, "kind": kind, "seed": 3}))
    assert a == b
    c = strip_time(train({**FAST, "kind": kind, "seed": 4}))
    assert a != c


def test_divergence_ends_the_run_quietly():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any stray floating-point warning would raise here
        recs = list(train({**FAST, "norm": False, "lr": 50.0, "optimizer": "sgd", "epochs": 50,
                           "depth": 12, "schedule": "constant"}))
    assert recs[-1]["status"] == "diverged"
    assert len(recs) < 51
    json.dumps(recs, allow_nan=False)


def test_net_config_passes_fields():
    cfg = TrainConfig(kind="highway", depth=5, width=7, carry_bias=-1.0).net_config(2, 3)
    assert (cfg.kind, cfg.depth, cfg.width, cfg.carry_bias, cfg.d_in, cfg.n_classes) == \
        ("highway", 5, 7, -1.0, 2, 3)
