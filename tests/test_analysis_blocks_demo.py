"""simcore.analysis.blocks_demo: one block measured — a zero branch is the identity, and the
branch computes F(x) = H(x) − x."""

import json

import numpy as np
import pytest

from simcore import api
from simcore.analysis import blocks_demo

RESIDUAL_KINDS = ("residual", "bottleneck", "projection")


def run(**cfg):
    return api.blocks_demo(cfg)


@pytest.mark.parametrize("kind", ("residual", "bottleneck"))
@pytest.mark.parametrize("norm", (True, False))
@pytest.mark.parametrize("activation", ("relu", "tanh", "gelu"))
def test_zero_branch_preactivation_residual_is_exactly_the_identity(kind, norm, activation):
    res = run(block_kind=kind, layout="pre", norm=norm, activation=activation)
    z = res["zero_branch"]
    assert z["compare"] == "max |y − x|"
    assert z["max_abs_diff"] == 0.0
    assert z["output"] == z["reference"]


def test_zero_branch_projection_preactivation_is_exactly_the_projection():
    res = run(block_kind="projection", layout="pre")
    assert res["structure"]["shortcut"]["type"] == "projection"
    assert res["zero_branch"]["compare"] == "max |y − s(x)|"
    assert res["zero_branch"]["max_abs_diff"] == 0.0


@pytest.mark.parametrize("layout", ("post", "pre"))
@pytest.mark.parametrize("norm", (True, False))
def test_zero_branch_plain_block_is_far_from_the_identity(layout, norm):
    res = run(block_kind="plain", layout=layout, norm=norm)
    assert res["structure"]["shortcut"]["type"] == "none"
    # the zeroed plain block outputs 0 (relu(0) in post), so |y − x| is max |x|
    assert res["zero_branch"]["max_abs_diff"] > 1.0


def test_zero_branch_post_activation_is_relu_of_x_not_x():
    res = run(block_kind="residual", layout="post")
    z = res["zero_branch"]
    ref, out = np.array(z["reference"]), np.array(z["output"])
    np.testing.assert_array_equal(out, np.maximum(ref, 0.0))
    assert z["max_abs_diff"] > 0.5
    # with the identity as activation, post-activation is the identity too
    assert run(block_kind="residual", layout="post", activation="identity")["zero_branch"]["max_abs_diff"] == 0.0


def test_zero_transform_highway_is_not_the_identity_and_dense_keeps_x():
    assert run(block_kind="highway")["zero_branch"]["max_abs_diff"] > 0.1
    assert run(block_kind="dense")["zero_branch"]["max_abs_diff"] == 0.0


@pytest.mark.parametrize("kind", RESIDUAL_KINDS)
@pytest.mark.parametrize("layout", ("post", "pre"))
@pytest.mark.parametrize("norm", (True, False))
@pytest.mark.parametrize("alpha", (1.0, 0.3))
def test_branch_is_the_residual_for_every_residual_kind(kind, layout, norm, alpha):
    res = run(block_kind=kind, layout=layout, norm=norm, alpha=alpha, block_width=12)
    dec = res["decomposition"]
    assert dec["max_abs_error"] < 1e-12
    assert np.max(np.abs(dec["lhs"])) > 0.05  # F is not trivially zero
    np.testing.assert_allclose(dec["lhs"], dec["rhs"], rtol=0, atol=1e-12)


def test_plain_block_has_no_residual_and_highway_gates_it():
    plain = run(block_kind="plain")["decomposition"]
    assert plain["max_abs_error"] > 1.0  # H = F: F − (H − x) = x
    assert run(block_kind="highway")["decomposition"]["max_abs_error"] < 1e-12
    assert run(block_kind="dense")["decomposition"]["max_abs_error"] == 0.0


def test_structure_matches_the_blocks():
    st = run(block_kind="bottleneck", layout="post", block_width=16)["structure"]
    dense = [op for op in st["branch"] if op["op"] == "dense"]
    assert [(op["in"], op["out"]) for op in dense] == [(16, 4), (4, 4), (4, 16)]
    assert st["out_act"] == "relu" and st["combine"] == "add"
    st = run(block_kind="residual", layout="pre")["structure"]
    assert [op["op"] for op in st["branch"]] == ["bn", "act", "dense"] * 2 and st["out_act"] is None
    st = run(block_kind="projection", layout="post", block_width=8)["structure"]
    assert (st["d_in"], st["d_out"]) == (8, 16)
    assert [op["op"] for op in st["shortcut"]["ops"]] == ["dense", "bn"]
    st = run(block_kind="highway")["structure"]
    assert st["combine"] == "gate" and st["gate"][-1] == {"op": "act", "name": "sigmoid"}
    st = run(block_kind="dense", growth=5, block_width=8)["structure"]
    assert (st["d_in"], st["d_out"]) == (8, 13)
    # the parameter count is the block's own
    rng = np.random.default_rng(0)
    cfg = api.validate({"block_kind": "projection"}, blocks_demo.DEFAULTS)
    block = blocks_demo.make_block(cfg, rng)
    assert run(block_kind="projection")["structure"]["params"] == sum(v.size for v in block.params.values())


def test_task_contract():
    assert "blocks_demo" in api.TASKS and api.blocks_demo.__name__ == "blocks_demo"
    assert set(blocks_demo.FIELDS) <= set(api.FIELDS)
    assert all(f.startswith("block_") for f in blocks_demo.FIELDS)
    res = api.blocks_demo()
    assert json.loads(json.dumps(res, allow_nan=False)) == res
    assert len(res["zero_branch"]["output"]) <= blocks_demo.POINTS
    assert res == api.blocks_demo()  # deterministic
    assert "zero branch" in api.TEXT["blocks_demo"](res)
    with pytest.raises(ValueError, match="^block_kind:"):
        api.blocks_demo({"block_kind": "wide"})
    with pytest.raises(ValueError, match="^block_width: 1 is not allowed"):
        api.blocks_demo({"block_width": 1})
