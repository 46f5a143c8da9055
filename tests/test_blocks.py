import numpy as np
import pytest

from gradcheck import check_layer
from simcore.blocks import DenseLayer, HighwayBlock, PlainBlock, ResidualBlock, transition
from simcore.layers import Dense

BASIC = [6, 6, 6]
BOTTLENECK = [8, 2, 2, 8]
PROJECT = [4, 6, 7]


def perturb(block, rng, scale=0.3):
    """Make BN affine parameters and biases non-trivial so every gradient path is exercised."""
    for k, v in block.params.items():
        if k.endswith(("gamma", "beta", ".b")):
            v += scale * rng.normal(size=v.shape)


def make(kind, widths, layout, norm, rng, act="tanh"):
    if kind == "plain":
        return PlainBlock(widths, rng, layout, act, norm)
    if kind == "residual":
        return ResidualBlock(widths, rng, layout, act, norm, alpha=0.7)
    if kind == "highway":
        return HighwayBlock(widths[0], rng, act, norm)
    if kind == "dense":
        return DenseLayer(widths[0], 3, rng, act, norm)
    return transition(widths[0], widths[-1], rng, act, norm)


CASES = [(k, w, lay) for k in ("plain", "residual") for w in (BASIC, BOTTLENECK, PROJECT)
         for lay in ("post", "pre")] + [("highway", BASIC, "post"), ("dense", BASIC, "pre"),
                                        ("transition", PROJECT, "pre")]


@pytest.mark.parametrize("norm", [True, False], ids=["bn", "nobn"])
@pytest.mark.parametrize("kind,widths,layout", CASES)
@pytest.mark.parametrize("act", ["tanh", "relu"])
def test_block_gradients(rng, kind, widths, layout, norm, act):
    block = make(kind, widths, layout, norm, rng, act)
    perturb(block, rng)
    check_layer(block, rng.normal(size=(7, widths[0])), rng)


@pytest.mark.parametrize("widths", [BASIC, BOTTLENECK])
@pytest.mark.parametrize("norm", [True, False])
def test_zero_branch_preact_is_identity_plain_is_not(rng, widths, norm):
    X = rng.normal(size=(10, widths[0]))
    res = ResidualBlock(widths, rng, "pre", "relu", norm, zero_init=True)
    np.testing.assert_array_equal(res.forward(X), X, err_msg="zero-branch pre-act block != identity")
    plain = PlainBlock(widths, rng, "pre", "relu", norm)
    for leaf in plain.leaves():
        if isinstance(leaf, Dense):
            leaf.params["W"][...] = 0.0
    assert not np.allclose(plain.forward(X), X), "a plain block cannot be the identity by zeroing"


@pytest.mark.parametrize("norm", [True, False])
def test_zero_branch_postact_is_identity_on_its_inputs(rng, norm):
    """Post-activation: the output ReLU passes the (non-negative) output of the previous block."""
    X = np.maximum(rng.normal(size=(10, 6)), 0.0)
    res = ResidualBlock(BASIC, rng, "post", "relu", norm, zero_init=True)
    np.testing.assert_array_equal(res.forward(X), X)
    # zero_init zeroes BN's gamma when the branch ends in BN, else the last W
    last = res.branch.layers[-1]
    assert not (last.params["gamma"] if norm else last.params["W"]).any()


@pytest.mark.parametrize("widths", [BASIC, BOTTLENECK, PROJECT])
@pytest.mark.parametrize("layout", ["post", "pre"])
def test_residual_is_output_minus_shortcut(rng, widths, layout):
    """F(x) = H(x) − s(x) for every residual block kind (H before the post-activation)."""
    block = ResidualBlock(widths, rng, layout, "relu", True, alpha=0.5)
    perturb(block, rng)
    X = rng.normal(size=(9, widths[0]))
    block.forward(X, train=True)  # give BN running statistics
    S = X if block.shortcut is None else block.shortcut.forward(X, train=False)
    F = block.residual(X)
    Y = block.forward(X, train=False)
    H = np.maximum(S + F, 0) if layout == "post" else S + F
    np.testing.assert_allclose(Y, H, atol=1e-13)
    if layout == "pre" and block.shortcut is None:
        np.testing.assert_allclose(block.forward(X, train=False) - X, F, atol=1e-13)


def test_residual_backward_is_gradient_highway(rng):
    """With a zero branch the block's Jacobian is exactly I: the gradient passes untouched."""
    block = ResidualBlock(BASIC, rng, "pre", "tanh", True, zero_init=True)
    X = rng.normal(size=(5, 6))
    block.forward(X)
    dY = rng.normal(size=(5, 6))
    dX = block.backward(dY)
    np.testing.assert_array_equal(dX, dY)


def test_highway_carry_bias_makes_it_carry(rng):
    block = HighwayBlock(6, rng, "relu", False, carry_bias=-20.0)
    X = rng.normal(size=(4, 6))
    np.testing.assert_allclose(block.forward(X), X, atol=1e-7)


def test_dense_connectivity_widths(rng):
    d1 = DenseLayer(6, 4, rng)
    X = rng.normal(size=(5, 6))
    Y = d1.forward(X)
    assert Y.shape == (5, 10)
    np.testing.assert_array_equal(Y[:, :6], X, err_msg="dense layer must keep its input")
    assert transition(10, 6, rng).forward(Y).shape == (5, 6)
