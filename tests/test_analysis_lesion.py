import copy
import json
import math

import numpy as np
import pytest

from simcore import api
from simcore.analysis import lesion
from simcore.data import load
from simcore.nets import NetConfig, Network
from purity import assert_same, snapshot


@pytest.fixture
def data():
    d = load("spirals", n=64, seed=0)
    return d["X_train"], d["y_train"]


@pytest.fixture(scope="module")
def default_result():
    """The default task: plain and residual nets trained with equal settings (~2 s)."""
    return api.run("lesion", {})


def test_plain_lesions_are_catastrophic_residual_lesions_are_not(default_result):
    """Veit et al. (2016), §4: deleting one layer of a plain net destroys it; deleting one block
    of a residual net mostly costs little (only the first blocks, which build the features from
    the stem's output, matter much here)."""
    res = default_result
    assert res["plain"]["status"] == res["residual"]["status"] == "done"
    for split in ("train", "test"):
        chance = res["chance"][split]
        p, r = res["plain"], res["residual"]
        assert p["intact"][split] > 0.85 and r["intact"][split] > 0.9, (p["intact"], r["intact"])
        # plain: most single lesions cost over 20 points (in Veit et al.'s VGG every one does;
        # in this small net a late block can matter less), the median one lands near chance
        costly = [a for a in p["single"][split] if a < p["intact"][split] - 0.2]
        assert len(costly) >= 2 * len(p["single"][split]) / 3, p["single"][split]
        assert np.median(p["single"][split]) < chance + 0.1, p["single"][split]
        assert p["single_median_drop"][split] > 0.3
        # residual: the median single lesion costs at most a few points, most cost under 5
        assert r["single_median_drop"][split] < 0.05, r["single"][split]
        cheap = [a for a in r["single"][split] if a > r["intact"][split] - 0.05]
        assert len(cheap) > len(r["single"][split]) / 2
        # deleting more blocks degrades the residual net gradually (Fig. 5a): one random block
        # costs less on average than three
        m = r["random"][split]["mean"]
        assert m[0] > m[2] and m[0] > p["random"][split]["mean"][0] + 0.2


def test_zero_branch_lesion_is_a_no_op(data):
    """A block whose branch outputs exactly zero is its shortcut already: deleting it changes
    nothing, bit for bit (post: relu(x + 0) = x for x >= 0; pre: x + 0 = x)."""
    X, _ = data
    for layout in ("post", "pre"):
        for norm in (True, False):
            net = Network(NetConfig(kind="residual", depth=12, width=8, layout=layout, norm=norm,
                                    zero_init=True, seed=3))
            net.calibrate_bn(X)
            intact = net.forward(X, train=False)
            for subset in [(0,), (2,), (1, 3), (0, 1, 2, 3, 4)]:
                np.testing.assert_array_equal(lesion.lesioned_logits(net, X, subset), intact)


@pytest.mark.parametrize("layout,activation", [("post", "relu"), ("post", "tanh"), ("pre", "relu")])
def test_residual_lesion_is_the_net_with_alpha_zero_in_that_block(data, layout, activation):
    X, _ = data
    net = Network(NetConfig(kind="residual", depth=12, width=8, layout=layout,
                            activation=activation, seed=1))
    net.calibrate_bn(X)
    for subset in [(0,), (3,), (1, 4)]:
        ref = copy.deepcopy(net)
        for i in subset:
            ref.blocks[i].alpha = 0.0
        np.testing.assert_array_equal(lesion.lesioned_logits(net, X, subset), ref.forward(X, False))
    assert not np.array_equal(lesion.lesioned_logits(net, X, (2,)), net.forward(X, False))


def test_plain_lesion_removes_the_block(data):
    X, _ = data
    net = Network(NetConfig(kind="plain", depth=12, width=8, seed=2))
    net.calibrate_bn(X)
    for subset in [(0,), (4,), (1, 2)]:
        ref = copy.deepcopy(net)
        ref.blocks = [b for i, b in enumerate(ref.blocks) if i not in subset]
        np.testing.assert_array_equal(lesion.lesioned_logits(net, X, subset), ref.forward(X, False))
    np.testing.assert_array_equal(lesion.lesioned_logits(net, X), net.forward(X, False))


def test_single_and_random_lesions_agree_and_never_mutate(data):
    X, y = data
    net = Network(NetConfig(kind="residual", depth=10, width=8, seed=4))
    net.calibrate_bn(X)
    before = snapshot(net)
    s = lesion.single_lesions(net, X, y)
    sets = lesion.lesion_sets(4, 4, draws=5, rng=np.random.default_rng(0))
    r = lesion.random_lesions(net, X, y, sets)
    lesion.lesioned_logits(net, X, (1, 2))
    assert_same(before, snapshot(net))
    assert s["intact"] == float((net.predict(X) == y).mean())
    # k = 1 has C(4, 1) = 4 <= 5 subsets: all of them, so its mean is the single-lesion mean
    assert r["mean"][0] == pytest.approx(np.mean(s["deleted"]))
    assert r["min"][0] == min(s["deleted"]) and r["max"][0] == max(s["deleted"])
    # k = 4 deletes every block: the one subset
    assert sets[3] == [(0, 1, 2, 3)] and r["std"][3] == 0.0
    empty = lesion.single_lesions(net, X[:0], y[:0])
    assert empty["intact"] is None and empty["deleted"] == [None] * 4


def test_lesion_sets():
    rng = np.random.default_rng(0)
    sets = lesion.lesion_sets(9, 9, draws=10, rng=rng)
    assert [len(g) for g in sets] == [9, 10, 10, 10, 10, 10, 10, 9, 1]
    for k, group in enumerate(sets, start=1):
        for s in group:
            assert len(s) == k == len(set(s)) and all(0 <= i < 9 for i in s)
    assert sets[0] == [(i,) for i in range(9)]
    again = lesion.lesion_sets(9, 9, draws=10, rng=np.random.default_rng(0))
    assert again == sets
    assert sum(math.comb(9, k) <= 10 for k in range(1, 10)) == 3  # k = 1, 8, 9 exhaustive


def test_bad_nets_and_indices(data):
    X, _ = data
    with pytest.raises(ValueError, match="^kind:"):
        lesion.lesioned_logits(Network(NetConfig(kind="highway", depth=5, width=4)), X, (0,))
    net = Network(NetConfig(kind="residual", depth=6, width=4))
    with pytest.raises(ValueError, match="^lesion:"):
        lesion.lesioned_logits(net, X, (2,))


def test_task_through_api_small():
    cfg = {"n": 100, "depth": 8, "width": 8, "epochs": 2, "batch_size": 25,
           "lesion_max_k": 2, "lesion_draws": 3}
    res = api.run("lesion", cfg)
    back = json.loads(json.dumps(res, allow_nan=False))
    assert back == res
    assert res["n_blocks"] == 3 and res["ks"] == [1, 2]
    for kind in ("plain", "residual"):
        r = res[kind]
        assert len(r["single"]["test"]) == len(r["single"]["train"]) == 3
        assert len(r["random"]["test"]["mean"]) == 2
        assert all(0.0 <= a <= 1.0 for a in r["single"]["train"])
    assert api.lesion({**cfg, "lesion_max_k": 50})["ks"] == [1, 2, 3]  # capped at the blocks
    none = api.lesion({**cfg, "test_fraction": 0.0})
    assert none["plain"]["intact"]["test"] is None and none["chance"]["test"] is None
    json.dumps(none, allow_nan=False)
    assert "median drop" in lesion.text(res) and "median drop" in lesion.text(none)


@pytest.mark.parametrize("field,value", [
    ("lesion_max_k", -1), ("lesion_max_k", 64), ("lesion_max_k", 2.5), ("lesion_max_k", "3"),
    ("lesion_draws", 0), ("lesion_draws", 101), ("lesion_draws", True),
])
def test_bad_inputs(field, value):
    with pytest.raises(ValueError) as err:
        api.run("lesion", {field: value})
    assert str(err.value).startswith(f"{field}:"), str(err.value)


@pytest.mark.filterwarnings("error")
def test_diverged_run_gives_plain_json_without_warnings():
    res = api.lesion({"n": 100, "depth": 10, "width": 8, "epochs": 2, "batch_size": 25,
                      "norm": False, "lr": 10.0, "lesion_draws": 2})
    assert res["residual"]["status"] == "diverged"
    json.dumps(res, allow_nan=False)
    lesion.text(res)
