import numpy as np
import pytest

from gradcheck import close, numerical_grad
from simcore.blocks import ResidualBlock
from simcore.layers import Dense
from simcore.losses import softmax_cross_entropy
from simcore.nets import KINDS, NetConfig, Network, block_widths, plan


def net_gradcheck(net, X, y, train=True):
    def f():
        return softmax_cross_entropy(net.forward(X, train), y)[0]

    loss, dZ = softmax_cross_entropy(net.forward(X, train), y)
    dX = net.backward(dZ)
    grads = {k: v.copy() for k, v in net.grads.items()}
    ok, err = close(dX, numerical_grad(f, X))
    assert ok, f"dX relative error {err:.2e}"
    for k, p in net.params.items():
        ok, err = close(grads[k], numerical_grad(f, p))
        assert ok, f"d{k} relative error {err:.2e}"


NET_CASES = [
    dict(kind="plain", depth=6), dict(kind="residual", depth=6),
    dict(kind="residual", depth=6, layout="pre"), dict(kind="plain", depth=8, bottleneck=True),
    dict(kind="residual", depth=8, bottleneck=True), dict(kind="residual", depth=8, bottleneck=True, layout="pre"),
    dict(kind="highway", depth=4), dict(kind="dense", depth=7, dense_layers=2),
]


@pytest.mark.parametrize("norm", [True, False], ids=["bn", "nobn"])
@pytest.mark.parametrize("case", NET_CASES, ids=lambda c: "-".join(str(v) for v in c.values()))
def test_network_gradients(rng, case, norm):
    net = Network(NetConfig(width=6, d_in=3, n_classes=4, norm=norm, activation="tanh", **case))
    for v in net.params.values():
        v += 0.1 * rng.normal(size=v.shape)  # exercise BN affine params and zero biases
    net_gradcheck(net, rng.normal(size=(8, 3)), rng.integers(0, 4, size=8))


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("depth", [5, 8, 14, 20])
def test_depth_counts_weight_layers(kind, depth):
    cfg = NetConfig(kind=kind, depth=depth, width=8)
    if kind in ("plain", "residual") and depth % 2:
        with pytest.raises(ValueError, match=f"depth: {depth} is not 2 \\+ 2·b"):
            Network(cfg)
        return
    net = Network(cfg)
    assert len(net.weight_layers()) == depth
    assert net.forward(np.zeros((3, 2))).shape == (3, 2)


def test_plain_and_residual_differ_only_by_shortcuts():
    p = Network(NetConfig(kind="plain", depth=10, seed=3))
    r = Network(NetConfig(kind="residual", depth=10, seed=3))
    assert p.params.keys() == r.params.keys()
    for k in p.params:
        np.testing.assert_array_equal(p.params[k], r.params[k], err_msg=k)


@pytest.mark.parametrize("layout", ["post", "pre"])
def test_zero_init_net_is_stem_plus_head(rng, layout):
    """With every residual branch zeroed the net is head(stem(x)): the blocks vanish."""
    net = Network(NetConfig(kind="residual", depth=20, layout=layout, zero_init=True))
    X = rng.normal(size=(16, 2))
    expected = net.head.forward(net.stem.forward(X, False), False)
    np.testing.assert_allclose(net.forward(X, train=False), expected, atol=1e-12)
    assert all(isinstance(b, ResidualBlock) for b in net.blocks)


def test_same_seed_same_net_and_bad_kind():
    a, b = Network({"seed": 5}), Network({"seed": 5})
    for k in a.params:
        np.testing.assert_array_equal(a.params[k], b.params[k])
    with pytest.raises(ValueError, match="kind: 'wide'"):
        Network({"kind": "wide"})


@pytest.mark.parametrize("kind", ["plain", "residual"])
@pytest.mark.parametrize("case", [dict(depth=8), dict(depth=8, layout="pre"), dict(depth=11, bottleneck=True),
                                  dict(depth=11, bottleneck=True, layout="pre", width=6), dict(depth=6, norm=False)],
                         ids=lambda c: "-".join(str(v) for v in c.values()))
def test_plan_is_the_network(kind, case):
    """plan(cfg) lists Network(cfg)'s weight layers, blocks and shortcuts as built."""
    cfg = NetConfig(**{"width": 16, **case}, kind=kind)
    net, p = Network(cfg), plan(cfg)
    assert [(x["in"], x["out"]) for x in p["layers"]] == [(d.d_in, d.d_out) for d in net.weight_layers()]
    assert len(p["layers"]) == cfg.depth and len(p["blocks"]) == len(net.blocks)
    assert [x["role"] for x in p["layers"]] == ["stem"] + ["block"] * (cfg.depth - 2) + ["head"]
    k = 3 if cfg.bottleneck else 2
    for b, block in enumerate(p["blocks"]):
        assert (block["first"], block["last"]) == (1 + k * b, k * (b + 1))
        assert [(x["block"], x["index"]) for x in p["layers"][block["first"]:block["last"] + 1]] == [(b, j) for j in range(k)]
        assert block["shortcut"] == (None if kind == "plain" else "identity")
        assert [x["in"] for x in p["layers"][block["first"]:block["last"] + 1]] == block_widths(cfg)[:-1]


def test_plan_ops_follow_the_layout():
    """Post: BN and activation after each dense layer, the activation after the addition;
    pre: BN and activation before each dense layer, nothing after the addition."""
    post = plan(NetConfig(kind="residual", depth=4, activation="tanh"))
    assert [x["ops"] for x in post["layers"]] == [["dense", "BN", "tanh"], ["dense", "BN", "tanh"], ["dense", "BN"], ["dense"]]
    assert post["blocks"] == [{"first": 1, "last": 2, "shortcut": "identity", "after": ["tanh"]}]
    pre = plan(NetConfig(kind="plain", depth=5, layout="pre", bottleneck=True, norm=False))
    assert [x["ops"] for x in pre["layers"]] == [["dense"]] + [["relu", "dense"]] * 4
    assert pre["blocks"] == [{"first": 1, "last": 3, "shortcut": None, "after": []}]
    assert [(x["in"], x["out"]) for x in pre["layers"]] == [(2, 32), (32, 8), (8, 8), (8, 32), (32, 2)]
    with pytest.raises(ValueError, match="kind: 'highway' has no plan"):
        plan({"kind": "highway"})


def test_block_widths():
    assert block_widths(NetConfig(width=16)) == [16, 16, 16]
    assert block_widths(NetConfig(width=16, bottleneck=True)) == [16, 4, 4, 16]
    assert block_widths(NetConfig(width=3, bottleneck=True)) == [3, 1, 1, 3]


# --- skips: a residual net with some shortcuts removed (the playground's toggles) ---------

def _history(**cfg):
    from simcore import api

    base = {"dataset": "moons", "n": 120, "depth": 10, "width": 8, "epochs": 3, "batch_size": 32}
    return [{k: v for k, v in r.items() if k != "elapsed"} for r in api.train({**base, **cfg})["history"]]


@pytest.mark.parametrize("layout", ["post", "pre"])
def test_all_skips_on_is_the_residual_net_and_all_off_the_plain_net_bit_for_bit(layout):
    assert _history(kind="residual", layout=layout, skips="1111") == _history(kind="residual", layout=layout)
    assert _history(kind="residual", layout=layout, skips="0000") == _history(kind="plain", layout=layout)
    mixed = _history(kind="residual", layout=layout, skips="0110")
    assert mixed != _history(kind="residual", layout=layout) and mixed != _history(kind="plain", layout=layout)


@pytest.mark.parametrize("layout", ["post", "pre"])
def test_a_mixed_mask_is_the_network_it_says_and_its_gradients_check(rng, layout):
    cfg = NetConfig(kind="residual", depth=10, width=6, d_in=3, n_classes=4, layout=layout,
                    activation="tanh", skips="0110")
    net = Network(cfg)
    assert [type(b).__name__ for b in net.blocks] == ["PlainBlock", "ResidualBlock", "ResidualBlock", "PlainBlock"]
    assert [b["shortcut"] for b in plan(cfg)["blocks"]] == [None, "identity", "identity", None]
    # the same initial weights as the residual net: only the additions differ
    full = Network(NetConfig(**{**cfg.to_dict(), "skips": ""}))
    assert all(np.array_equal(net.params[k], full.params[k]) for k in full.params)
    for v in net.params.values():
        v += 0.1 * rng.normal(size=v.shape)
    net_gradcheck(net, rng.normal(size=(8, 3)), rng.integers(0, 4, size=8))


def test_skips_of_the_wrong_length_kind_or_character_name_the_field():
    from simcore import api

    for cfg, says in [({"kind": "residual", "depth": 8, "skips": "01"}, "expected 3 characters"),
                      ({"kind": "residual", "depth": 8, "skips": "0x1"}, "0 or 1"),
                      ({"kind": "residual", "depth": 8, "bottleneck": True, "skips": "111"}, "expected 2 characters"),
                      ({"kind": "plain", "depth": 8, "skips": "111"}, "only a residual net"),
                      ({"kind": "residual", "depth": 8, "skips": 111}, "wrong type")]:
        with pytest.raises(ValueError, match=f"^skips: .*{says}") as err:
            api.train(cfg)
        assert err.value.field == "skips"
    # every task that trains both kinds from one config refuses a mask: the plain net has none
    with pytest.raises(ValueError, match="^skips: "):
        api.lesion({"depth": 8, "skips": "111"})


# --- SkipInit/ReZero (a learned α per block) and Fixup: networks without normalisation ----

@pytest.mark.parametrize("layout", ["post", "pre"])
@pytest.mark.parametrize("change", [{"learn_alpha": True, "alpha": 0.3}, {"fixup": True},
                                    {"fixup": True, "learn_alpha": True, "alpha": 0.5}])
def test_learned_alpha_and_fixup_gradients_check(rng, layout, change):
    net = Network(NetConfig(kind="residual", depth=6, width=5, d_in=3, n_classes=4, layout=layout,
                            norm=False, seed=2, **change))
    # Fixup starts with zero last layers and head: move off that point, so every gradient counts
    for k, v in net.params.items():
        v += 0.1 * rng.normal(size=v.shape)
    net_gradcheck(net, rng.normal(size=(8, 3)), rng.integers(0, 4, size=8))


def test_scalar_layers_gradients_check(rng):
    from gradcheck import check_layer

    from simcore.layers import Scalar
    for op, value in (("scale", 0.7), ("bias", -0.2)):
        check_layer(Scalar(op, value), rng.normal(size=(6, 4)), rng)


def test_skipinit_starts_as_the_stem_and_head_alone_and_learns_alpha(rng):
    X = rng.normal(size=(16, 2))
    net = Network(NetConfig(kind="residual", depth=10, width=6, norm=False, layout="pre",
                            learn_alpha=True, alpha=0.0))
    alphas = [k for k in net.params if k.endswith(".s")]
    assert len(alphas) == 4 and all(net.params[k][0] == 0.0 for k in alphas)
    direct = net.head.forward(net.stem.forward(X))  # every block is its shortcut at the start
    np.testing.assert_array_equal(net.forward(X), direct)
    net.forward(X)
    net.backward(rng.normal(size=(16, 2)))
    assert all(net.grads[k][0] != 0.0 for k in alphas)  # α learns, though the branch adds nothing yet


def test_fixup_is_the_papers_initialisation(rng):
    cfg = dict(kind="residual", depth=10, width=6, norm=False, seed=3)
    plain_init = Network(NetConfig(**cfg))
    net = Network(NetConfig(**cfg, fixup=True))
    scale = 4 ** (-1 / (2 * 2 - 2))  # 4 branches of m = 2 layers: L^(-1/(2m-2)) = 1/2
    for before, after in zip(plain_init.blocks, net.blocks):
        dense = [leaf for leaf in after.branch.leaves() if isinstance(leaf, Dense)]
        first = [leaf for leaf in before.branch.leaves() if isinstance(leaf, Dense)][0]
        np.testing.assert_array_equal(dense[0].params["W"], first.params["W"] * scale)
        assert not dense[-1].params["W"].any()
        ops = [getattr(leaf, "name", type(leaf).__name__) for leaf in after.branch.leaves()]
        assert ops == ["+b", "Dense", "+b", "relu", "+b", "Dense", "×s", "+b"]
    assert not net.head.layers[-1].params["W"].any()
    X = rng.normal(size=(16, 2))
    np.testing.assert_array_equal(net.forward(X), np.zeros((16, 2)))  # the zero head


def test_learned_alpha_and_fixup_name_their_field_where_they_do_not_apply():
    with pytest.raises(ValueError, match=r"^fixup: true is not allowed with norm true"):
        Network(NetConfig(kind="residual", norm=True, fixup=True))
    for field in ("fixup", "learn_alpha"):
        with pytest.raises(ValueError, match=rf"^{field}: true is not allowed for kind 'plain'"):
            Network(NetConfig(kind="plain", norm=False, **{field: True}))
    p = plan(NetConfig(kind="residual", depth=6, norm=False, fixup=True))
    assert p["layers"][1]["ops"] == ["+b", "dense", "+b", "relu", "+b"]
    assert p["layers"][2]["ops"] == ["dense", "×s", "+b"]


# --- stochastic depth (Huang et al. 2016) ---------------------------------------------------

def test_stochastic_depth_survival_decays_and_test_time_scales_the_branch(rng):
    net = Network(NetConfig(kind="residual", depth=10, width=5, survival=0.5, seed=1, layout="pre"))
    assert [b.survival for b in net.blocks] == [1 - i / 4 * 0.5 for i in range(1, 5)]
    X = rng.normal(size=(6, 2))
    h = net.stem.forward(X, train=False)
    for b in net.blocks:  # evaluation: x + p_l · F(x)
        h = h + b.survival * b.branch.forward(h, train=False)
    np.testing.assert_allclose(net.forward(X, train=False), net.head.forward(h, train=False), rtol=1e-12)


@pytest.mark.parametrize("layout", ["post", "pre"])
def test_a_dropped_block_is_its_shortcut_and_the_gradients_check(rng, layout):
    net = Network(NetConfig(kind="residual", depth=10, width=5, d_in=3, n_classes=4, layout=layout,
                            survival=0.3, seed=2))
    draws = np.random.default_rng(7)
    while True:  # a draw that drops some blocks and keeps others
        net.drop(draws)
        if 0 < sum(b.dropped for b in net.blocks) < 4:
            break
    X, y = rng.normal(size=(8, 3)), rng.integers(0, 4, size=8)
    net_gradcheck(net, X, y)
    net.forward(X)
    net.backward(rng.normal(size=(8, 4)))
    for b in net.blocks:
        assert any(g.any() for g in b.branch.grads.values()) != b.dropped
    net.drop(None)
    assert not any(b.dropped for b in net.blocks)


def test_stochastic_depth_trains_from_the_seed_and_only_residual_nets_take_it():
    from simcore.train import train
    cfg = {"depth": 8, "width": 8, "n": 60, "epochs": 3, "survival": 0.5}
    a, b = list(train(cfg)), list(train(cfg))
    assert [r["train_loss"] for r in a] == [r["train_loss"] for r in b]
    assert [r["train_loss"] for r in a] != [r["train_loss"] for r in train({**cfg, "survival": 1.0})]
    with pytest.raises(ValueError, match=r"^survival: 0.5 is not allowed for kind 'plain'"):
        Network(NetConfig(kind="plain", survival=0.5))


# --- which shortcut (He et al. 2016b, Table 1) ---------------------------------------------

@pytest.mark.parametrize("layout", ["post", "pre"])
@pytest.mark.parametrize("shortcut", ["scaled", "exclusive_gate", "shortcut_gate", "conv", "dropout"])
def test_every_shortcut_kind_gradients_check(rng, layout, shortcut):
    net = Network(NetConfig(kind="residual", depth=6, width=5, d_in=3, n_classes=4, layout=layout,
                            shortcut=shortcut, carry_bias=-0.5, seed=2))
    net.drop(None)
    net_gradcheck(net, rng.normal(size=(8, 3)), rng.integers(0, 4, size=8))


def test_shortcut_kinds_share_every_other_weight_and_are_what_they_say(rng):
    base = dict(kind="residual", depth=8, width=6, norm=False, layout="pre", seed=4)
    ident = Network(NetConfig(**base))
    X = rng.normal(size=(10, 2))
    for kind in ("scaled", "exclusive_gate", "shortcut_gate", "conv", "dropout"):
        net = Network(NetConfig(**base, shortcut=kind, shortcut_scale=0.5))
        shared = {k: v for k, v in net.params.items() if ".gate." not in k and ".shortcut." not in k}
        assert shared.keys() == ident.params.keys()
        for k, v in shared.items():
            np.testing.assert_array_equal(v, ident.params[k])
        b, h = net.blocks[0], net.stem.forward(X, train=False)
        F = b.branch.forward(h, train=False)
        got = b.forward(h, train=False)
        if kind == "scaled":
            np.testing.assert_array_equal(got, 0.5 * h + F)
        elif kind == "dropout":  # at test time inverted dropout keeps x whole
            np.testing.assert_array_equal(got, h + F)
    # dropout: a new mask each training step, the same within a step, from the seed
    net = Network(NetConfig(**base, shortcut="dropout"))
    b, h = net.blocks[0], net.stem.forward(X)
    first = b.forward(h) - b.branch.forward(h)
    np.testing.assert_array_equal(b.forward(h) - b.branch.forward(h), first)
    assert set(np.unique(np.round(first / h, 12))) <= {0.0, 2.0}
    net.drop(None)
    assert not np.array_equal(b.forward(h) - b.branch.forward(h), first)
    with pytest.raises(ValueError, match=r"^shortcut: 'conv' is not allowed for kind 'plain'"):
        Network(NetConfig(kind="plain", shortcut="conv"))
    with pytest.raises(ValueError, match=r"^shortcut: 'wide' is not one of identity"):
        Network(NetConfig(kind="residual", shortcut="wide"))
