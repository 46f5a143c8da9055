"""Numbers docs/family.md states, checked against simcore (same calls, same rounding as the
prose). The page's first bullets are checked in tests/test_docs_claims.py."""

from collections import defaultdict
from math import prod

import pytest

from simcore import api
from simcore.nets import Network
from simcore.variants import count


def _stages(name):
    st = defaultdict(lambda: {"params": 0, "macs": 0, "blocks": set()})
    for L in count(name)["layers"]:
        s = st[L["stage"]]
        s["params"] += L["params"]
        s["macs"] += L["macs"]
        if L["block"] is not None:
            s["blocks"].add(L["block"])
    return st


def _weight_layers(name):
    return sum(1 for L in count(name)["layers"]
               if L["kind"] in ("conv", "fc") and "downsample" not in L["layer"])


RESNETS = {  # name: (blocks per stage, weight layers, params in M, MACs in G: v1.5, v1, and the
    #               paper's Table 1 in 10^9) as the table rounds
    "resnet18": ([2, 2, 2, 2], 18, 11.7, 1.81, 1.81, 1.8),
    "resnet34": ([3, 4, 6, 3], 34, 21.8, 3.66, 3.66, 3.6),
    "resnet50": ([3, 4, 6, 3], 50, 25.6, 4.09, 3.86, 3.8),
    "resnet101": ([3, 4, 23, 3], 101, 44.5, 7.80, 7.57, 7.6),
    "resnet152": ([3, 8, 36, 3], 152, 60.2, 11.51, 11.28, 11.3),
}


@pytest.mark.parametrize("name", RESNETS)
def test_resnet_stage_table(name):
    blocks, layers, params, macs, macs_v1, paper = RESNETS[name]
    v1 = count(f"{name}_v1") if layers >= 50 else count(name)
    assert v1["params"] == count(name)["params"]
    assert round(v1["macs"] / 1e9, 2) == macs_v1
    assert abs(v1["macs"] / 1e9 - paper) < 0.1, "the paper's Table 1 within 0.1 x 10^9 of v1"
    c, st = count(name), _stages(name)
    assert [len(st[f"layer{i}"]["blocks"]) for i in (1, 2, 3, 4)] == blocks
    assert _weight_layers(name) == layers
    assert round(c["params"] / 1e6, 1) == params and round(c["macs"] / 1e9, 2) == macs
    kinds = {L["layer"] for L in c["layers"] if L["stage"] == "layer1"}
    assert ("conv3" in kinds) == (layers >= 50)  # bottlenecks from 50 on
    assert sum(1 for L in c["layers"] if L["layer"] == "downsample") == (3 if layers < 50 else 4)


def test_v1_and_v15_layouts():
    """The two layouts: v1.5 costs ResNet-50 6 % more MACs than v1; ResNet-50 (v1) is 5 % above
    ResNet-34 (docs/blocks.md); only the 1x1 reduce of the three downsampling blocks costs
    more, four times (it runs on the input map)."""
    r50, v1, r34 = count("resnet50"), count("resnet50_v1"), count("resnet34")
    assert round(100 * (r50["macs"] / v1["macs"] - 1)) == 6
    assert round(100 * (v1["macs"] / r34["macs"] - 1)) == 5
    differ = [(a["stage"], a["block"], a["layer"]) for a, b in zip(r50["layers"], v1["layers"])
              if a["macs"] != b["macs"]]
    assert differ == [(f"layer{i}", 0, "conv1") for i in (2, 3, 4)]  # layer1 does not downsample
    for a, b in zip(r50["layers"], v1["layers"]):
        assert a["macs"] in (b["macs"], 4 * b["macs"])


def test_deep_resnets_grow_in_stage_three():
    c101, st = count("resnet101"), _stages("resnet101")
    assert sum(len(st[f"layer{i}"]["blocks"]) for i in (1, 2, 3, 4)) == 33
    assert round(100 * st["layer3"]["params"] / c101["params"]) == 59
    assert round(100 * st["layer3"]["macs"] / c101["macs"]) == 66
    c152 = count("resnet152")
    assert round(100 * (c152["params"] / c101["params"] - 1)) == 35
    assert round(100 * (c152["macs"] / c101["macs"] - 1)) == 48


def _block(name, stage, block):
    return {L["layer"]: L for L in count(name)["layers"] if L["stage"] == stage and L["block"] == block}


def test_resnext_against_resnet50():
    x, r = count("resnext50_32x4d"), count("resnet50")
    assert round(x["params"] / 1e6, 1) == 25.0 and round(x["macs"] / 1e9, 2) == 4.23
    assert round(r["params"] / 1e6, 1) == 25.6 and round(r["macs"] / 1e9, 2) == 4.09
    bx, br = _block("resnext50_32x4d", "layer1", 1), _block("resnet50", "layer1", 1)
    assert bx["conv2"]["params"] == 4_608 == 9 * 32 * 4 ** 2 and br["conv2"]["params"] == 36_864
    assert bx["conv2"]["output_shape"][0] == 128 and br["conv2"]["output_shape"][0] == 64


def test_wide_resnet():
    w, r50, r152 = count("wide_resnet50_2"), count("resnet50"), count("resnet152")
    assert _weight_layers("wide_resnet50_2") == 50
    assert round(w["params"] / 1e6, 1) == 68.9 and round(w["macs"] / 1e9, 2) == 11.40
    assert round(r152["params"] / 1e6, 1) == 60.2 and round(r152["macs"] / 1e9, 2) == 11.51
    assert round(w["params"] / r50["params"], 1) == 2.7 and round(w["macs"] / r50["macs"], 1) == 2.8
    bw = _block("wide_resnet50_2", "layer1", 1)
    assert bw["conv2"]["output_shape"][0] == 128 and bw["conv3"]["output_shape"][0] == 256


def test_densenet():
    d, r = count("densenet121"), count("resnet50")
    assert round(d["params"] / 1e6, 2) == 7.98 and round(d["macs"] / 1e9, 2) == 2.83
    reads = [L["output_shape"][0] for L in d["layers"] if L["stage"] == "dense1" and L["layer"] == "norm1"]
    assert reads == [64, 96, 128, 160, 192, 224]
    t1 = {L["layer"]: L for L in d["layers"] if L["stage"] == "transition1"}
    assert t1["norm"]["output_shape"][0] == 256 and t1["conv"]["output_shape"][0] == 128
    bottleneck = [L for L in d["layers"] if L["stage"] == "dense1" and L["block"] == 0 and L["kind"] == "conv"]
    assert [L["output_shape"][0] for L in bottleneck] == [128, 32]  # 4k, then k = 32

    def written(c):
        return sum(prod(L["output_shape"]) for L in c["layers"] if L["kind"] in ("conv", "bn"))
    assert round(written(d) / 1e6, 1) == 22.6 and round(written(r) / 1e6, 1) == 22.2


# --- the four kinds, trained ----------------------------------------------------------------

RUN = {"dataset": "spirals", "width": 16, "n": 500, "epochs": 20, "seed": 0}
TABLE = {  # (kind, depth): (training loss, test accuracy) as the page rounds them
    ("plain", 8): (0.11, 0.94), ("plain", 16): (0.36, 0.83), ("plain", 24): (0.61, 0.61),
    ("residual", 8): (0.09, 0.95), ("residual", 16): (0.09, 0.94), ("residual", 24): (0.10, 0.93),
    ("highway", 8): (0.51, 0.79), ("highway", 16): (0.29, 0.94), ("highway", 24): (0.27, 0.94),
    ("dense", 8): (0.10, 0.94), ("dense", 16): (0.10, 0.94), ("dense", 24): (0.10, 0.94),
}
DEPTHS = (8, 16, 24)
PARAMS = {"plain": (1_826, 4_130, 6_434), "residual": (1_826, 4_130, 6_434),
          "highway": (3_554, 8_162, 12_770), "dense": (2_450, 5_658, 8_858)}


@pytest.mark.parametrize("kind,depth", list(TABLE))
def test_four_kinds_trained(kind, depth):
    r = api.train({**RUN, "kind": kind, "depth": depth})
    loss, acc = TABLE[kind, depth]
    assert r["status"] == "done"
    assert round(r["final"]["train_loss"], 2) == loss, "training loss"
    assert round(r["final"]["test_acc"], 2) == acc, "test accuracy"


def test_four_kinds_settings():
    d = api.TRAIN_DEFAULTS
    assert round(RUN["n"] * d["test_fraction"]) == 100
    assert (d["optimizer"], d["momentum"], d["lr"], d["schedule"]) == ("momentum", 0.9, 0.05, "cosine")
    assert (d["layout"], d["norm"], d["carry_bias"], d["growth"], d["dense_layers"]) == ("post", True, -2.0, 8, 4)


def test_four_kinds_parameters():
    for kind, counts in PARAMS.items():
        assert tuple(Network({"kind": kind, "depth": d, "width": 16}).num_params()
                     for d in DEPTHS) == counts
    for i in range(3):  # highway about twice residual; dense 34 % to 38 % more
        assert round(PARAMS["highway"][i] / PARAMS["residual"][i]) == 2
        assert 34 <= round(100 * (PARAMS["dense"][i] / PARAMS["residual"][i] - 1)) <= 38
