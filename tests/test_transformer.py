"""simcore.transformer: every part's backward against central differences, the three layouts
as their formulas say, the same initial weights in each, and the attention's products summed in
the portable order."""

import numpy as np
import pytest

from gradcheck import check_layer, close, numerical_grad
from simcore.arithmetic import NATIVE
from simcore.messages import FieldError
from simcore import transformer
from simcore.portable import matmul
from simcore.transformer import (LAYOUTS, MLP, Attention, Block, Embedding, LayerNorm,
                                 Transformer, TransformerConfig, bmm)


@pytest.fixture
def rng():
    return np.random.default_rng(1)


def test_layer_norm_gradients_and_output(rng):
    ln = LayerNorm(6)
    ln.params["gamma"] = rng.normal(size=6)
    ln.params["beta"] = rng.normal(size=6)
    X = rng.normal(size=(2, 3, 6)) * 3 + 1
    check_layer(ln, X, rng)
    ln.params["gamma"], ln.params["beta"] = np.ones(6), np.zeros(6)
    Y = ln.forward(X)
    np.testing.assert_allclose(Y.mean(axis=-1), 0, atol=1e-12)
    np.testing.assert_allclose(Y.var(axis=-1), 1, rtol=1e-4)  # (ε = 1e-5)


def test_attention_gradients_and_causality(rng):
    attn = Attention(8, 2, rng)
    for p in attn.params.values():  # nonzero biases too
        p += rng.normal(size=p.shape) * 0.1
    X = rng.normal(size=(2, 5, 8))
    check_layer(attn, X, rng)
    Y = attn.forward(X)
    A = attn.weights
    assert A.shape == (2, 2, 5, 5)
    np.testing.assert_allclose(A.sum(axis=-1), 1, rtol=1e-12)
    assert not np.triu(A, 1).any()  # a token never attends to a later one
    X2 = X.copy()
    X2[:, 3:] = rng.normal(size=(2, 2, 8))  # changing later tokens leaves earlier outputs alone
    np.testing.assert_array_equal(attn.forward(X2)[:, :3], Y[:, :3])
    with pytest.raises(FieldError, match="^heads: 3 does not divide width 8"):
        Attention(8, 3, rng)


def test_mlp_gradients_and_gelu(rng):
    mlp = MLP(6, rng)
    mlp.up.params["b"] += rng.normal(size=24)
    check_layer(mlp, rng.normal(size=(2, 3, 6)), rng)
    # the hidden activation is the tanh-approximated GELU, written with a sigmoid
    X = rng.normal(size=(1, 4, 6))
    Z = X.reshape(4, 6) @ mlp.up.params["W"] + mlp.up.params["b"]
    H = 0.5 * Z * (1 + np.tanh(np.sqrt(2 / np.pi) * (Z + 0.044715 * Z ** 3)))
    np.testing.assert_allclose(mlp.forward(X).reshape(4, 6), H @ mlp.down.params["W"] + mlp.down.params["b"], rtol=1e-12, atol=1e-14)


def test_embedding_gradients(rng):
    emb = Embedding(5, 6, 4, rng)
    ids = rng.integers(0, 5, size=(3, 4))
    R = rng.normal(size=(3, 4, 4))
    f = lambda: float(np.sum(emb.forward(ids) * R))  # noqa: E731
    emb.forward(ids)
    assert emb.backward(R) is None
    for k in ("E", "P"):
        ok, err = close(emb.grads[k].copy(), numerical_grad(f, emb.params[k]))
        assert ok, (k, err)
    assert not emb.grads["P"][4:].any()  # positions past the sequence get no gradient


@pytest.mark.parametrize("layout", LAYOUTS)
def test_block_and_whole_network_gradients(layout, rng):
    check_layer(Block(8, 2, layout, rng), rng.normal(size=(2, 4, 8)), rng)
    net = Transformer(TransformerConfig(vocab=5, length=6, layers=2, width=8, heads=2, layout=layout))
    ids = rng.integers(0, 5, size=(3, 5))
    R = rng.normal(size=(3, 5, 5))
    f = lambda: float(np.sum(net.forward(ids) * R))  # noqa: E731
    net.forward(ids)
    net.zero_grads()
    net.backward(R)
    analytic = {k: v.copy() for k, v in net.grads.items()}
    assert analytic.keys() == net.params.keys()
    for k, p in net.params.items():
        ok, err = close(analytic[k], numerical_grad(f, p))
        assert ok, (layout, k, err)


def test_layouts_compute_what_they_say(rng):
    cfg = dict(vocab=7, length=6, layers=3, width=8, heads=2, seed=3)
    nets = {lay: Transformer(TransformerConfig(**cfg, layout=lay)) for lay in LAYOUTS}
    # the same initial weights in all three (post-LN leaves the final layer norm out)
    params = {lay: net.params for lay, net in nets.items()}
    assert set(params["pre_ln"]) == set(params["no_residual"]) == set(params["post_ln"]) | {"ln_f.gamma", "ln_f.beta"}
    for k, v in params["post_ln"].items():
        np.testing.assert_array_equal(v, params["pre_ln"][k])
        np.testing.assert_array_equal(v, params["no_residual"][k])
    ids = rng.integers(0, 7, size=(2, 6))
    for lay, net in nets.items():
        net.forward(ids)
        x = net.stream[0]
        assert len(net.stream) == 4
        for block, after in zip(net.blocks, net.stream[1:]):
            for ln, f in ((block.ln1, block.attn), (block.ln2, block.mlp)):
                x = {"pre_ln": lambda: x + f.forward(ln.forward(x)),
                     "post_ln": lambda: ln.forward(x + f.forward(x)),
                     "no_residual": lambda: f.forward(ln.forward(x))}[lay]()
            np.testing.assert_array_equal(after, x)
    # post-LN's stream is normalised at every boundary; pre-LN's is not
    post = nets["post_ln"].stream[-1]
    np.testing.assert_allclose(post.std(axis=-1), 1, rtol=1e-4)
    assert abs(nets["pre_ln"].stream[-1].std(axis=-1).mean() - 1) > 0.01
    with pytest.raises(FieldError, match="^layout:"):
        Transformer(TransformerConfig(layout="sandwich"))


def test_bmm_sums_in_the_portable_order(rng):
    for shape in [(3, 2, 12, 16, 12), (3, 2, 12, 12, 16), (4, 5, 7, 3), (2, 40, 2)]:
        *lead, n, k, m = shape
        A, B = rng.normal(size=(*lead, n, k)), rng.normal(size=(*lead, k, m))
        C = bmm(A, B).reshape(-1, n, m)
        for a, b, c in zip(A.reshape(-1, n, k), B.reshape(-1, k, m), C):
            np.testing.assert_array_equal(c, matmul(a, b))  # bit for bit
        np.testing.assert_allclose(bmm(A, B, NATIVE).reshape(-1, n, m), C, rtol=1e-12)


def test_bmm_forms_its_products_a_few_matrices_at_a_time(monkeypatch, rng):
    A, B = rng.normal(size=(3, 5, 6, 7)), rng.normal(size=(3, 5, 7, 4))
    whole = bmm(A, B)
    monkeypatch.setattr(transformer, "_PRODUCTS", 2 * 6 * 7 * 4)  # two matrices at a time
    np.testing.assert_array_equal(bmm(A, B), whole)
    monkeypatch.setattr(transformer, "_PRODUCTS", 1)  # one at a time
    np.testing.assert_array_equal(bmm(A, B), whole)


def test_one_seed_one_network_in_float64(rng):
    cfg = TransformerConfig(vocab=5, length=6, layers=2, width=8, heads=2, seed=9)
    ids = rng.integers(0, 5, size=(2, 6))
    a, b = Transformer(cfg).forward(ids), Transformer(cfg).forward(ids)
    np.testing.assert_array_equal(a, b)
    assert a.dtype == np.float64
