"""The stochastic_depth analysis: the same residual net trained without and with stochastic
depth, each lesioned as the lesion study lesions it."""

import json

import numpy as np

from simcore import api
from simcore.analysis import lesion, stochastic_depth
from simcore.train import TrainConfig, train_network

FAST = {"depth": 8, "width": 8, "n": 60, "epochs": 3, "sd_draws": 2}


def test_both_nets_are_trained_as_train_trains_them_and_lesioned_as_the_lesion_study_does():
    res = api.stochastic_depth(FAST)
    cfg = res["config"]
    run = {k: v for k, v in cfg.items() if not k.startswith("sd_")}
    for name, survival in (("standard", 1.0), ("stochastic", cfg["sd_survival"])):
        history = []
        for rec, net, ds in train_network(TrainConfig(**run, kind="residual", survival=survival)):
            history.append({k: rec[k] for k in stochastic_depth.KEEP})
        r = res[name]
        assert r["history"] == history and r["final"] == history[-1]
        single = lesion.single_lesions(net, ds["X_test"], ds["y_test"])
        assert (r["intact"], r["single"]) == (single["intact"], single["deleted"])
        assert r["survival"] == [b.survival for b in net.blocks]
        assert len(r["random"]["mean"]) == res["n_blocks"] == 3
    assert res["standard"]["survival"] == [1.0, 1.0, 1.0]
    assert np.allclose(res["stochastic"]["survival"], [1 - 0.5 / 3, 1 - 1 / 3, 0.5])
    assert res["standard"]["history"] != res["stochastic"]["history"]
    json.dumps(res, allow_nan=False)


def test_the_text_and_the_fields():
    assert not {"survival", "kind"} & set(api.defaults("stochastic_depth"))
    lines = stochastic_depth.text(api.stochastic_depth(FAST)).splitlines()
    assert lines[0].startswith("residual net, depth 8") and [l.split()[0] for l in lines[3:]] == ["standard", "stochastic"]
