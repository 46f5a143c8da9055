"""The normfree analysis: five networks at one depth, each what its name says, measured at
initialisation and trained as simcore.train trains them."""

import json

import numpy as np

from simcore import api
from simcore.analysis import normfree
from simcore.nets import Network
from simcore.train import TrainConfig, train

FAST = {"depth": 8, "width": 6, "n": 60, "epochs": 3}


def test_each_network_is_the_variant_it_names_and_trains_as_train_does():
    res = api.normfree(FAST)
    cfg = res["config"]
    assert list(res["variants"]) == ["plain", "residual", "batchnorm", "skipinit", "fixup"]
    for name, change in normfree.VARIANTS.items():
        v = res["variants"][name]
        history = list(train({**cfg, **change}))
        assert v["history"] == [{k: r[k] for k in normfree.KEEP} for r in history]
        assert v["final"] == v["history"][-1]
        init = v["init"]
        assert len(init["signal"]) == len(init["grad_x"]) == 4  # stem output + 3 blocks
        assert len(init["grad_w"]) == cfg["depth"]
    json.dumps(res, allow_nan=False)  # strict JSON


def test_what_each_network_starts_as():
    v = api.normfree({**FAST, "epochs": 0})["variants"]
    # every block starts as its shortcut: the signal does not change along the stack
    for name in ("skipinit", "fixup"):
        s = v[name]["init"]["signal"]
        assert s == [s[0]] * len(s)
    assert not any(v["fixup"]["init"]["grad_x"])  # the classifier is zero: nothing below learns yet
    grows = v["residual"]["init"]["signal"]
    assert all(b > a for a, b in zip(grows, grows[1:]))
    # the networks share their first weights where they share layers
    nets = {name: Network(TrainConfig(**{**api.normfree({**FAST, "epochs": 0})["config"], **change})
                          .net_config(2, 2)) for name, change in normfree.VARIANTS.items()}
    np.testing.assert_array_equal(nets["plain"].stem.layers[0].params["W"], nets["skipinit"].stem.layers[0].params["W"])
    np.testing.assert_array_equal(nets["residual"].head.layers[-1].params["W"], nets["skipinit"].head.layers[-1].params["W"])


def test_the_variants_own_their_fields():
    assert not set(normfree.SET_BY_VARIANT) & set(api.defaults("normfree"))
    lines = normfree.text(api.normfree({**FAST, "epochs": 1})).splitlines()
    assert lines[0].startswith("depth 8, width 6") and [l.split()[0] for l in lines[2:]] == list(normfree.VARIANTS)
