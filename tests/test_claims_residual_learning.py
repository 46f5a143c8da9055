"""Claims of docs/residual-learning.md, each checked by the simcore.api call the page states."""

import numpy as np
import pytest

from simcore import api
from simcore.blocks import ResidualBlock, zero_last


def _demo(**cfg) -> dict:
    return api.run("blocks_demo", cfg)


@pytest.mark.parametrize("cfg, decomposition, zero", [
    ({}, "tiny", 0.0),
    ({"layout": "post"}, "tiny", 3.9),
    ({"block_kind": "projection", "layout": "post"}, "tiny", 3.6),
    ({"block_kind": "plain"}, 3.9, 3.9),
], ids=["residual-pre", "residual-post", "projection-post", "plain-pre"])
def test_blocks_demo_table(cfg, decomposition, zero):
    """The table: max |F(x) - (H(x) - s(x))| and, with a zero branch, max |y - s(x)|
    (width 8, He init, BN, ReLU, 64 inputs, seed 0)."""
    r = _demo(**cfg)
    c = r["config"]
    assert (c["block_width"], c["init"], c["norm"], c["activation"], c["n"], c["seed"]) == (
        8, "he_normal", True, "relu", 64, 0)
    err = r["decomposition"]["max_abs_error"]
    if decomposition == "tiny":
        assert float(f"{err:.1e}") == 4.4e-16
    else:
        assert round(err, 1) == decomposition
    diff = r["zero_branch"]["max_abs_diff"]
    if zero == 0.0:
        assert diff == 0.0  # exactly: the zeroed pre-activation block returns x bit for bit
    else:
        assert round(diff, 1) == zero


def test_plain_block_error_is_the_largest_input():
    """For the plain block F = H, so F - (H - x) = x: its 'error' is max |x|."""
    r = _demo(block_kind="plain")
    assert r["decomposition"]["max_abs_error"] == pytest.approx(r["zero_branch"]["max_abs_diff"], rel=1e-12)


def test_zeroed_post_block_is_identity_on_nonnegative_inputs():
    """A zeroed post-activation block returns relu(x): exactly x on the non-negative inputs
    it receives inside a post-activation network."""
    rng = np.random.default_rng(0)
    block = ResidualBlock([8, 8, 8], rng, layout="post")
    zero_last(block.branch)
    x = np.maximum(rng.normal(size=(64, 8)), 0.0)
    y = block.forward(x, True)
    assert np.array_equal(y, x)
    z = rng.normal(size=(64, 8))
    assert np.array_equal(block.forward(z, True), np.maximum(z, 0.0))


def _identity(**cfg):
    return api.identity({"identity_part": "learn_identity", "zero_init": False, **cfg})["learn_identity"]


def test_learning_the_identity():
    """Two linear blocks of width 32, Xavier, no BN, Adam: residual 62 steps, plain 314;
    zero-init: 0 steps, loss exactly 0; the largest branch RMS after the fit about 0.47."""
    li = _identity()
    assert li["plain"]["steps_to_tol"] == 314 and li["residual"]["steps_to_tol"] == 62
    assert round(max(b["branch_rms"] for b in li["residual"]["blocks"]), 2) == 0.47
    z = _identity(zero_init=True)["residual"]
    assert z["steps_to_tol"] == 0 and z["initial_loss"] == 0.0


def test_learning_the_identity_relu_and_deep():
    """ReLU: the plain stack stalls near 0.16, the residual stack needs 26 steps; 8 blocks:
    the residual stack starts at error 147 (exercise 3)."""
    relu = _identity(activation="relu")
    assert relu["plain"]["status"] == "not reached" and round(relu["plain"]["final_loss"], 2) == 0.16
    assert relu["residual"]["steps_to_tol"] == 26
    # the starting error needs no training step (the 2,000-step fit is in test_docs_claims.py)
    assert round(_identity(identity_blocks=8, identity_steps=0)["residual"]["initial_loss"]) == 147


def test_xavier_or_he():
    """Depth 20, width 32, ReLU, no BN, moons: the per-layer factors, signals and outcomes."""
    r = api.identity({"identity_part": "init"})["init"]
    c = r["config"] if "config" in r else api.defaults("identity")
    assert c["depth"] == 20 and c["width"] == 32 and c["dataset"] == "moons" and c["epochs"] == 5
    px, ph = r["plain"]["xavier_normal"], r["plain"]["he_normal"]
    rx, rh = r["residual"]["xavier_normal"], r["residual"]["he_normal"]
    assert round(px["ratio"], 3) == 0.692 and round(px["profile"]["signal"][1], 2) == 0.23
    assert round(px["profile"]["signal"][-1] * 1e4) == 3 and px["drop"] < 0.01 and not px["started"]
    assert round(ph["ratio"], 3) == 0.978 and round(100 * ph["drop"]) == 74 and ph["started"]
    assert round(rx["ratio"], 2) == 1.05 and rx["started"]
    assert round(rh["ratio"], 2) == 1.16 and round(rh["profile"]["signal"][-1]) == 14
    assert rh["status"] == "diverged"


def test_he_and_xavier_differ_by_two_for_a_square_layer():
    """Var[W]: 2/d (He) against 2/(d + d) = 1/d (Xavier) for a square layer."""
    from simcore.init import he_normal, xavier_normal
    d = 64
    he = he_normal((d, d), np.random.default_rng(0))
    xa = xavier_normal((d, d), np.random.default_rng(0))
    np.testing.assert_allclose(he / xa, np.sqrt(2.0), rtol=1e-12, err_msg="He / Xavier std")
