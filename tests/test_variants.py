"""Exact parameter and MAC counts of real architectures (simcore.variants).

The reference numbers here are derived independently of the module's layer walker: closed-form
per-stage formulas written below (sums over a stage done algebraically, spatial sizes from the
floor formula), and, as literals, the numbers of the reference implementations.
"""

import json
import math

import pytest

from simcore import variants
from simcore.variants import NAMES, count, layers

# Counted from torchvision 0.29.1 (torch 2.14.1) models built with weights=None:
# params = sum(p.numel() for p in model.parameters()); MACs = forward hooks on every
# Conv2d (weight.numel() * H_out * W_out) and Linear (weight.numel()), one image.
# plain18/34: the same torchvision models with every shortcut (and downsample) removed.
# cifar_*: a small independent PyTorch model of He et al. 2016a with option-A shortcuts.
# The layer tables also matched those hooks row by row (kind, output shape, params, MACs).
REFERENCE = {  # name: (params, MACs at the default resolution)
    "resnet18": (11_689_512, 1_814_073_344),
    "resnet34": (21_797_672, 3_663_761_408),
    "resnet50": (25_557_032, 4_089_184_256),
    "resnet101": (44_549_160, 7_801_405_440),
    "resnet152": (60_192_808, 11_513_626_624),
    # v1 (stride in the 1x1 reduce): torchvision has no such model; the closed form below, and
    # the 3.86 G usually quoted for the original Caffe ResNet-50 (the paper's Table 1: 3.8, 7.6,
    # 11.3 x 10^9 FLOPs, counted as multiply-adds). The weights are v1.5's.
    "resnet50_v1": (25_557_032, 3_857_973_248),
    "resnet101_v1": (44_549_160, 7_570_194_432),
    "resnet152_v1": (60_192_808, 11_282_415_616),
    "resnext50_32x4d": (25_028_904, 4_230_479_872),
    "resnext101_32x8d": (88_791_336, 16_414_015_488),
    "wide_resnet50_2": (68_883_240, 11_398_021_120),
    "densenet121": (7_978_856, 2_834_161_664),
    "densenet161": (28_681_000, 7_727_907_072),
    "densenet169": (14_149_480, 3_359_843_328),
    "densenet201": (20_013_928, 4_291_365_888),
    "cifar_resnet20": (269_722, 40_551_040),
    "cifar_resnet32": (464_154, 68_862_592),
    "cifar_resnet44": (658_586, 97_174_144),
    "cifar_resnet56": (853_018, 125_485_696),
    "cifar_resnet110": (1_727_962, 252_887_680),
    "plain18": (11_515_688, 1_794_805_760),
    "plain34": (21_623_848, 3_644_493_824),
    "cifar_plain20": (269_722, 40_551_040),
    "cifar_plain32": (464_154, 68_862_592),
    "cifar_plain44": (658_586, 97_174_144),
    "cifar_plain56": (853_018, 125_485_696),
    "cifar_plain110": (1_727_962, 252_887_680),
}

# MACs at other resolutions, same source (odd sizes exercise the floor formula).
REFERENCE_MACS_AT = {
    ("resnet18", 225): 2_049_383_616,
    ("resnet50", 448): 16_350_593_024,
    ("resnet50", 97): 996_519_104,
    ("resnet50_v1", 97): 948_546_752,      # (closed form only, as above)
    ("resnext50_32x4d", 225): 4_769_473_216,
    ("densenet121", 225): 2_877_471_936,
    ("densenet161", 32): 159_875_328,
    ("plain34", 97): 888_224_960,
    ("cifar_resnet20", 8): 2_535_040,
    ("cifar_resnet110", 97): 2_387_935_792,
}


# ----------------------------------------------------------------------------------------
# Independent closed forms
# ----------------------------------------------------------------------------------------

def down(n, k, s, p):
    return math.floor((n + 2 * p - k) / s) + 1


def bn(c):
    return 2 * c


RESNET = {  # blocks per stage, bottleneck?, groups, width per group, shortcuts
    "resnet18": ([2, 2, 2, 2], False, 1, 64, True),
    "resnet34": ([3, 4, 6, 3], False, 1, 64, True),
    "resnet50": ([3, 4, 6, 3], True, 1, 64, True),
    "resnet101": ([3, 4, 23, 3], True, 1, 64, True),
    "resnet152": ([3, 8, 36, 3], True, 1, 64, True),
    "resnet50_v1": ([3, 4, 6, 3], True, 1, 64, True),
    "resnet101_v1": ([3, 4, 23, 3], True, 1, 64, True),
    "resnet152_v1": ([3, 8, 36, 3], True, 1, 64, True),
    "resnext50_32x4d": ([3, 4, 6, 3], True, 32, 4, True),
    "resnext101_32x8d": ([3, 4, 23, 3], True, 32, 8, True),
    "wide_resnet50_2": ([3, 4, 6, 3], True, 1, 128, True),
    "plain18": ([2, 2, 2, 2], False, 1, 64, False),
    "plain34": ([3, 4, 6, 3], False, 1, 64, False),
}


def closed_resnet(name, r=224):
    """(params, MACs): every stage summed in closed form; MACs = conv weights × output area."""
    blocks, bottleneck, g, wpg, shortcuts = RESNET[name]
    side = down(down(r, 7, 2, 3), 3, 2, 1)                   # stem conv, then max-pool
    params = 7 * 7 * 3 * 64 + bn(64)
    macs = 7 * 7 * 3 * 64 * down(r, 7, 2, 3) ** 2
    c_in = 64
    for i, n in enumerate(blocks):
        p = 64 * 2 ** i
        area_in = side * side
        if i:
            side = down(side, 3, 2, 1)
        area = side * side
        if bottleneck:
            w, out = p * wpg // 64 * g, 4 * p
            # first block reads c_in, the other n-1 read out; every block has a grouped 3×3.
            # v1.5: the stride sits in the 3×3, so the first block's 1×1 reduce runs at the
            # input size; v1: the stride sits in that 1×1, so every conv runs at the output size.
            weights = (c_in + (n - 1) * out) * w + n * 9 * (w // g) * w + n * w * out
            params += weights + n * (bn(w) * 2 + bn(out))
            if name.endswith("_v1"):
                macs += weights * area
            else:
                macs += (weights - c_in * w) * area + c_in * w * area_in
        else:
            out = p
            weights = 9 * c_in * p + (2 * n - 1) * 9 * p * p
            params += weights + n * 2 * bn(p)
            macs += weights * area
        if shortcuts and (i or c_in != out):                 # 1×1 projection + BN
            params += c_in * out + bn(out)
            macs += c_in * out * area
        c_in = out
    return params + c_in * 1000 + 1000, macs + c_in * 1000


DENSENET = {"densenet121": (32, [6, 12, 24, 16], 64), "densenet161": (48, [6, 12, 36, 24], 96),
            "densenet169": (32, [6, 12, 32, 32], 64), "densenet201": (32, [6, 12, 48, 32], 64)}


def closed_densenet(name, r=224):
    k, blocks, c = DENSENET[name]
    s1 = down(r, 7, 2, 3)
    side = down(s1, 3, 2, 1)
    params, macs = 49 * 3 * c + bn(c), 49 * 3 * c * s1 * s1
    for i, n in enumerate(blocks):
        area = side * side
        # layer j reads c + j·k channels: Σ_j (c + j·k) = n·c + k·n(n−1)/2
        reads = n * c + k * n * (n - 1) // 2
        weights = 4 * k * reads + n * 9 * 4 * k * k           # 1×1 to 4k, 3×3 to k
        params += weights + 2 * reads + n * bn(4 * k)
        macs += weights * area
        c += n * k
        if i < len(blocks) - 1:                               # BN, 1×1 conv to c/2, avg-pool
            params += bn(c) + c * (c // 2)
            macs += c * (c // 2) * area
            c //= 2
            side = down(side, 2, 2, 0)
    return params + bn(c) + c * 1000 + 1000, macs + c * 1000


def depth_of(name):
    """The trailing number of a name: 110 for "cifar_plain110" (152 for "resnet152_v1")."""
    name = name.removesuffix("_v1")
    return int(name[len(name.rstrip("0123456789")):])


def closed_cifar(name, r=32):
    n = (depth_of(name) - 2) // 6
    s1, s2 = r, down(r, 3, 2, 1)
    s3 = down(s2, 3, 2, 1)
    params = 9 * 3 * 16 + bn(16) + 64 * 10 + 10
    macs = 9 * 3 * 16 * s1 * s1 + 64 * 10
    for c_in, c, side in ((16, 16, s1), (16, 32, s2), (32, 64, s3)):
        weights = 9 * c_in * c + (2 * n - 1) * 9 * c * c
        params += weights + 2 * n * bn(c)
        macs += weights * side * side
    return params, macs


def closed(name, r=None):
    if name in RESNET:
        return closed_resnet(name, r or 224)
    if name in DENSENET:
        return closed_densenet(name, r or 224)
    return closed_cifar(name, r or 32)


# ----------------------------------------------------------------------------------------

def test_names_in_order():
    assert NAMES == tuple(REFERENCE)
    assert len(set(NAMES)) == 27


def test_anchors():
    assert count("resnet50")["params"] == 25_557_032
    assert count("resnet18")["macs"] == 1_814_073_344


@pytest.mark.parametrize("name", NAMES)
def test_counts_match_closed_form_and_reference(name):
    got = count(name)
    assert (got["params"], got["macs"]) == REFERENCE[name]
    assert (got["params"], got["macs"]) == closed(name)
    assert got["resolution"] == (32 if name.startswith("cifar") else 224)
    assert got["name"] == name


@pytest.mark.parametrize("name,r", sorted(REFERENCE_MACS_AT))
def test_macs_at_other_resolutions(name, r):
    got = count(name, r)
    assert got["macs"] == REFERENCE_MACS_AT[name, r] == closed(name, r)[1]
    assert got["params"] == REFERENCE[name][0]


@pytest.mark.parametrize("name", ["resnet34", "resnext50_32x4d", "densenet169", "plain18",
                                  "cifar_resnet56"])
@pytest.mark.parametrize("r", [33, 100, 161, 299, 512])
def test_closed_form_at_many_resolutions(name, r):
    got = count(name, r)
    assert (got["params"], got["macs"]) == closed(name, r)


def test_plain_versus_residual():
    for n in (20, 32, 44, 56, 110):
        res, plain = count(f"cifar_resnet{n}"), count(f"cifar_plain{n}")
        assert plain["params"] == res["params"] and plain["macs"] == res["macs"]  # option A: free
        assert plain["layers"] == res["layers"]
    for depth in (18, 34):
        res, plain = count(f"resnet{depth}"), count(f"plain{depth}")
        ds = [row for row in res["layers"] if row["layer"].startswith("downsample")]
        assert [row["stage"] for row in ds] == ["layer2"] * 2 + ["layer3"] * 2 + ["layer4"] * 2
        # three 1×1 projections (64→128, 128→256, 256→512) with their BNs
        assert sum(row["params"] for row in ds) == 64 * 128 + 256 + 128 * 256 + 512 + 256 * 512 + 1024
        assert plain["params"] == res["params"] - sum(row["params"] for row in ds)
        assert plain["macs"] == res["macs"] - sum(row["macs"] for row in ds)
        assert plain["layers"] == [row for row in res["layers"] if row not in ds]
    assert count("plain18")["params"] == 11_689_512 - 173_824


def test_macs_scale_with_resolution():
    fc = 2048 * 1000
    m224, m448 = count("resnet50")["macs"], count("resnet50", 448)["macs"]
    assert 3.99 < m448 / m224 < 4.01
    assert m448 - fc == 4 * (m224 - fc)          # every feature map is exactly twice as wide
    # resnet18 at 225 by hand: 225 → 113 (conv1) → 57 (max-pool) → 29 → 15 → 8
    stem = 7 * 7 * 3 * 64 * 113 ** 2
    stages = [(9 * 64 * 64 * 4) * 57 ** 2,
              (9 * 64 * 128 + 3 * 9 * 128 * 128 + 64 * 128) * 29 ** 2,
              (9 * 128 * 256 + 3 * 9 * 256 * 256 + 128 * 256) * 15 ** 2,
              (9 * 256 * 512 + 3 * 9 * 512 * 512 + 256 * 512) * 8 ** 2]
    assert count("resnet18", 225)["macs"] == stem + sum(stages) + 512 * 1000
    # parameters never depend on the resolution
    assert {count("densenet121", r)["params"] for r in (32, 224, 1024)} == {7_978_856}


@pytest.mark.parametrize("name", NAMES)
def test_layer_table(name):
    got = count(name)
    rows = got["layers"]
    assert rows == layers(name)
    assert sum(r["params"] for r in rows) == got["params"]
    assert sum(r["macs"] for r in rows) == got["macs"]
    for r in rows:
        assert set(r) == {"stage", "block", "layer", "kind", "output_shape", "params", "macs"}
        assert r["kind"] in ("conv", "bn", "fc")
        assert type(r["params"]) is int and type(r["macs"]) is int
        assert all(type(d) is int and d >= 1 for d in r["output_shape"])
        assert r["block"] is None or type(r["block"]) is int
        if r["kind"] == "bn":
            assert r["macs"] == 0 and r["params"] == 2 * r["output_shape"][0]
    assert rows[0]["stage"] == "conv1" and rows[0]["kind"] == "conv"
    assert rows[-1] == {**rows[-1], "stage": "fc", "block": None, "layer": "fc", "kind": "fc",
                        "output_shape": [10 if name.startswith("cifar") else 1000]}
    # the depth in the name counts the weight layers on the main path (not the projections)
    main = [r for r in rows if r["kind"] != "bn" and r["layer"] != "downsample"]
    if not name.startswith(("resnext", "wide")):
        assert len(main) == depth_of(name)


def test_layer_rows_read_like_torchvision():
    rows = layers("resnet50")
    first = [(r["stage"], r["block"], r["layer"], r["output_shape"]) for r in rows[:10]]
    assert first == [
        ("conv1", None, "conv1", [64, 112, 112]), ("conv1", None, "bn1", [64, 112, 112]),
        ("layer1", 0, "conv1", [64, 56, 56]), ("layer1", 0, "bn1", [64, 56, 56]),
        ("layer1", 0, "conv2", [64, 56, 56]), ("layer1", 0, "bn2", [64, 56, 56]),
        ("layer1", 0, "conv3", [256, 56, 56]), ("layer1", 0, "bn3", [256, 56, 56]),
        ("layer1", 0, "downsample", [256, 56, 56]), ("layer1", 0, "downsample_bn", [256, 56, 56]),
    ]
    grouped = [r for r in layers("resnext50_32x4d") if r["stage"] == "layer4" and r["layer"] == "conv2"]
    assert grouped[0]["params"] == 9 * (1024 // 32) * 1024 and grouped[0]["output_shape"] == [1024, 7, 7]
    dense = layers("densenet121")
    stages = list(dict.fromkeys(r["stage"] for r in dense))
    assert stages == ["conv1", "dense1", "transition1", "dense2", "transition2", "dense3",
                      "transition3", "dense4", "norm5", "fc"]
    t3 = [r for r in dense if r["stage"] == "transition3"]
    assert [(r["layer"], r["output_shape"]) for r in t3] == [("norm", [1024, 14, 14]),
                                                             ("conv", [512, 14, 14])]
    assert [r["output_shape"] for r in dense if r["layer"] == "norm5"] == [[1024, 7, 7]]
    cifar = {r["stage"]: r["output_shape"] for r in layers("cifar_resnet20")}
    assert cifar == {"conv1": [16, 32, 32], "stage1": [16, 32, 32], "stage2": [32, 16, 16],
                     "stage3": [64, 8, 8], "fc": [10]}


def test_json_round_trip():
    for name in ("resnet152", "densenet201", "cifar_plain110"):
        got = count(name)
        assert json.loads(json.dumps(got)) == got


def test_resolution_accepts_integral_numbers_and_bounds():
    assert count("resnet18", 224.0)["resolution"] == 224
    assert type(count("resnet18", 224.0)["resolution"]) is int
    for name in NAMES:                                        # the smallest inputs still work
        lo = 8 if name.startswith("cifar") else 32
        assert count(name, lo)["macs"] > 0
    assert count("cifar_resnet20", 8)["layers"][-2]["output_shape"] == [64, 2, 2]
    assert count("densenet121", 32)["layers"][-2]["output_shape"] == [1024, 1, 1]


@pytest.mark.parametrize("bad", ["foo", "ResNet50", "resnet", "", 50, None])
def test_bad_name(bad):
    for fn in (count, layers):
        with pytest.raises(ValueError) as e:
            fn(bad)
        assert str(e.value).startswith(f"name: {bad!r} is not one of resnet18, resnet34, ")
        assert "cifar_plain110" in str(e.value)


@pytest.mark.parametrize("name,bad,why", [
    ("resnet50", 31, "out of range"), ("resnet50", 1025, "out of range"),
    ("resnet50", 0, "out of range"), ("resnet50", -224, "out of range"),
    ("cifar_resnet20", 7, "out of range"), ("cifar_resnet20", 2048, "out of range"),
    ("densenet121", 16, "out of range"),
    ("resnet50", 224.5, "not an integer"), ("resnet50", float("nan"), "not an integer"),
    ("resnet50", float("inf"), "not an integer"),
    ("resnet50", "224", "wrong type"), ("resnet50", True, "wrong type"),
    ("resnet50", [224], "wrong type"),
])
def test_bad_resolution(name, bad, why):
    lo = 8 if name.startswith("cifar") else 32
    for fn in (count, layers):
        with pytest.raises(ValueError) as e:
            fn(name, bad)
        msg = str(e.value)
        assert msg.startswith(f"resolution: {bad!r} is not allowed ({why})")
        assert f"[{lo}, 1024]" in msg


def test_default_resolution():
    assert variants.default_resolution("resnet50") == 224
    assert variants.default_resolution("cifar_plain20") == 32
    with pytest.raises(ValueError, match="^name: 'x'"):
        variants.default_resolution("x")
