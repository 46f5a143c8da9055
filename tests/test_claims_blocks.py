"""Numbers and behaviour docs/blocks.md states, checked against simcore (same calls, same
rounding as the prose)."""

import numpy as np
import pytest

from simcore import api
from simcore.blocks import ResidualBlock
from simcore.layers import Activation, BatchNorm, Dense
from simcore.nets import Network
from simcore.variants import count


def _layers(name, stage, block):
    return {L["layer"]: L for L in count(name)["layers"] if L["stage"] == stage and L["block"] == block}


def _conv(layers):
    return [L for k, L in layers.items() if L["kind"] == "conv"]


def test_basic_block_and_bottleneck_stage_one():
    basic = _conv(_layers("resnet34", "layer1", 0))
    bottleneck = _conv(_layers("resnet50", "layer1", 1))
    assert len(basic) == 2 and len(bottleneck) == 3
    assert sum(L["params"] for L in basic) == 73_728 == 18 * 64 ** 2
    assert sum(L["params"] for L in bottleneck) == 69_632 == 17 * 64 ** 2
    assert round(sum(L["macs"] for L in basic) / 1e6, 1) == 231.2
    assert round(sum(L["macs"] for L in bottleneck) / 1e6, 1) == 218.4
    assert all(L["output_shape"][1:] == [56, 56] for L in basic + bottleneck)
    assert [L["output_shape"][0] for L in bottleneck] == [64, 64, 256]
    # a projection on that block would be a 256×256 1×1 convolution
    assert 256 * 256 == 65_536


def test_resnet34_against_resnet50():
    r34, r50 = count("resnet34"), count("resnet50")
    assert round(r34["params"] / 1e6, 1) == 21.8 and round(r50["params"] / 1e6, 1) == 25.6
    assert round(r34["macs"] / 1e9, 2) == 3.66 and round(r50["macs"] / 1e9, 2) == 4.09
    assert round(100 * (r50["params"] / r34["params"] - 1)) == 17
    assert round(100 * (r50["macs"] / r34["macs"] - 1)) == 12
    for r in (r34, r50):  # 16 blocks: 3, 4, 6, 3
        blocks = {(L["stage"], L["block"]) for L in r["layers"] if L["block"] is not None}
        assert len(blocks) == 16
    convs = lambda r: sum(1 for L in r["layers"] if L["kind"] in ("conv", "fc") and "downsample" not in L["layer"])
    assert (convs(r34), convs(r50)) == (34, 50)
    fc = lambda r: next(L["params"] for L in r["layers"] if L["kind"] == "fc")
    assert (fc(r34), fc(r50)) == (513_000, 2_049_000)
    assert round(100 * (fc(r50) - fc(r34)) / (r50["params"] - r34["params"])) == 41


def _option_c_extra():
    """The 1×1 convolution + BN that option C adds to every ResNet-34 block without a
    projection, from the shapes in resnet34's layer table."""
    layers = count("resnet34")["layers"]
    blocks = {}
    for L in layers:
        if L["block"] is not None:
            blocks.setdefault((L["stage"], L["block"]), []).append(L)
    params = macs = added = 0
    for key, ls in blocks.items():
        if any("downsample" in L["layer"] for L in ls):
            continue
        c, h, w = ls[-1]["output_shape"]
        params += c * c + 2 * c
        macs += c * c * h * w
        added += 1
    return added, params, macs


def test_shortcut_options_table():
    r34, p34 = count("resnet34"), count("plain34")
    b_params, b_macs = r34["params"] - p34["params"], r34["macs"] - p34["macs"]
    n_proj = sum(1 for L in r34["layers"] if L["layer"] == "downsample")
    assert n_proj == 3 and b_params == 173_824
    assert round(100 * b_params / p34["params"], 1) == 0.8
    assert round(b_macs / 1e6, 1) == 19.3 and round(100 * b_macs / p34["macs"], 1) == 0.5
    added, c_params, c_macs = _option_c_extra()
    assert added == 13 and n_proj + added == 16
    assert b_params + c_params == 1_092_992
    assert round(100 * (b_params + c_params) / p34["params"], 1) == 5.1
    assert round((b_macs + c_macs) / 1e6, 1) == 186.3
    assert round(100 * (b_macs + c_macs) / p34["macs"], 1) == 5.1


def test_dense_bottleneck_weights():
    def weights(kind, width):
        s = api.run("blocks_demo", {"block_kind": kind, "layout": "post", "block_width": width})
        return sum(o["in"] * o["out"] for o in s["structure"]["branch"] if o["op"] == "dense")
    assert weights("bottleneck", 64) == 2_304 and weights("residual", 64) == 8_192
    c = 16  # a dense bottleneck of width 4c against a dense basic block of width c
    assert weights("bottleneck", 4 * c) / weights("residual", c) == 4.5


@pytest.mark.parametrize("kind", ["residual", "bottleneck", "projection"])
def test_zero_branch_pre_is_exactly_the_shortcut(kind):
    z = api.run("blocks_demo", {"block_kind": kind, "layout": "pre"})["zero_branch"]
    assert z["max_abs_diff"] == 0.0


def test_zero_branch_post_plain_highway_dense():
    run = lambda **c: api.run("blocks_demo", c)["zero_branch"]["max_abs_diff"]
    post = run(block_kind="residual", layout="post")
    assert round(post, 1) == 3.9 and round(post, 3) == 3.899  # relu(x) vs x: the most negative x
    assert run(block_kind="residual", layout="post", activation="identity") == 0.0
    # a plain block returns 0 (pre) or relu(0) = 0 (post): off by max |x|, the same 3.899
    assert run(block_kind="plain", layout="pre") == run(block_kind="plain", layout="post") == post
    assert round(run(block_kind="highway", carry_bias=-2.0), 2) == 1.33
    assert round(run(block_kind="highway", carry_bias=-10.0), 3) == 0.001
    assert run(block_kind="dense") == 0.0
    for kind in ("residual", "bottleneck", "projection"):
        d = api.run("blocks_demo", {"block_kind": kind})["decomposition"]["max_abs_error"]
        assert d < 1e-15  # F(x) = H(x) − s(x) to rounding


def _alpha_run(**cfg):
    return api.train({"kind": "residual", "depth": 20, "width": 16, "n": 500, "epochs": 20, **cfg})


def test_alpha_without_batch_norm():
    big = _alpha_run(norm=False, alpha=1.0)
    assert big["status"] == "diverged" and big["final"]["epoch"] == 1
    small = _alpha_run(norm=False, alpha=0.2)
    assert small["status"] == "done" and round(small["final"]["train_loss"], 2) == 0.65
    bn = _alpha_run(alpha=1.0)
    assert bn["status"] == "done" and round(bn["final"]["train_loss"], 2) == 0.11


def test_keras_equivalent_block():
    block = ResidualBlock([64, 64, 64], np.random.default_rng(0), layout="post",
                          activation="relu", norm=True)
    kinds = [type(leaf).__name__ for leaf in block.branch.leaves()]
    assert kinds == ["Dense", "BatchNorm", "Activation", "Dense", "BatchNorm"]
    assert all("b" not in leaf.params for leaf in block.branch.leaves() if isinstance(leaf, Dense))
    assert block.shortcut is None and block.out_act.name == "relu"
    n = sum(v.size for v in block.params.values())
    assert n == 2 * 64 ** 2 + 4 * 64 == 8_448
    assert 2 * (64 ** 2 + 64) + 4 * 64 == 8_576  # Keras: Dense biases, BN gamma and beta
    net = Network({"kind": "residual", "layout": "post", "depth": 20, "width": 64,
                   "norm": True, "activation": "relu"})
    assert len(net.blocks) == 9 and len(net.weight_layers()) == 20
    assert all(isinstance(b, ResidualBlock) for b in net.blocks)
    assert isinstance(net.blocks[0].branch.leaves()[1], BatchNorm)
    assert isinstance(net.blocks[0].out_act, Activation)
