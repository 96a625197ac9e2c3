"""Public tests of phase 3: run them with `make check PHASE=phase3_transformer`.

Each test names the exercise it belongs to; `make check PHASE=phase3_transformer ARGS='-k layer_norm'`
runs one exercise's tests. The grader runs more, hidden, tests and its own gradient checks.
The formulas written out here (layer norm, the FFN) are independent of your code on purpose.
"""

import numpy as np
import pytest

from grader.engine.testing import assert_close, assert_raises, assert_unchanged, expect_array, module_fixture

emb = module_fixture("phase3_transformer.embeddings")
pe = module_fixture("phase3_transformer.positional_encoding")
tb = module_fixture("phase3_transformer.transformer_block")


def _layer_norm(x, gamma, beta, eps=1e-5):
    mu = x.mean(axis=-1, keepdims=True)
    var = ((x - mu) ** 2).mean(axis=-1, keepdims=True)
    return gamma * (x - mu) / np.sqrt(var + eps) + beta


def _ffn(x, p):
    return np.maximum(x @ p["w1"] + p["b1"], 0.0) @ p["w2"] + p["b2"]


def _ffn_params(rng, d, f):
    return {"w1": rng.normal(size=(d, f)) / np.sqrt(d), "b1": 0.5 * rng.normal(size=f),
            "w2": rng.normal(size=(f, d)) / np.sqrt(f), "b2": 0.5 * rng.normal(size=d)}


def _block_params(rng, d, f):
    # the layout of init_block, filled here so the block's tests do not wait for your init_block
    attn = {}
    for name in "qkvo":
        attn["w" + name], attn["b" + name] = rng.normal(size=(d, d)) / np.sqrt(d), np.zeros(d)
    return {"attn": attn, "ln1_gamma": np.ones(d), "ln1_beta": np.zeros(d), "ffn": _ffn_params(rng, d, f),
            "ln2_gamma": np.ones(d), "ln2_beta": np.zeros(d)}


# -- 3.1 embeddings ------------------------------------------------------------------------------

@pytest.mark.exercise("embeddings")
def test_embeddings_lookup_and_scaling(emb):
    table = np.arange(12.0).reshape(3, 4)  # vocabulary 3, width 4
    ids = np.array([[2, 0], [1, 1]])
    out, _ = emb.embed(ids, table)
    assert_close(expect_array(out, "embed(ids (2, 2), table (3, 4))", shape=(2, 2, 4)), table[ids], "embed")
    assert_close(emb.embed(ids, table, scale=True)[0], 2.0 * table[ids], "embed(..., scale=True), sqrt(4) = 2")


@pytest.mark.exercise("embeddings")
def test_embeddings_refuse_ids_outside_the_vocabulary(emb):
    table = np.ones((3, 2))
    emb.embed(np.array([[0, 2]]), table)
    assert_raises(ValueError, lambda: emb.embed(np.array([[3]]), table), "embed of id 3 with vocabulary 3",
                  mentions=("3",))
    assert_raises(ValueError, lambda: emb.embed(np.array([[-1]]), table), "embed of id -1", mentions=("-1",))


@pytest.mark.exercise("embeddings")
def test_embeddings_backward_adds_up_repeated_ids(emb):
    _, cache = emb.embed(np.array([[0, 0, 2]]), np.zeros((3, 1)))
    dtable = emb.embed_backward(np.array([[[1.0], [2.0], [5.0]]]), cache)
    assert_close(expect_array(dtable, "embed_backward", shape=(3, 1)), np.array([[3.0], [0.0], [5.0]]),
                 "embed_backward with id 0 twice")


@pytest.mark.exercise("embeddings")
def test_embeddings_init_is_seeded(emb):
    a = expect_array(emb.init_embeddings(10, 4, 0), "init_embeddings(10, 4, 0)", shape=(10, 4))
    assert_close(emb.init_embeddings(10, 4, 0), a, "init_embeddings with the same seed")


# -- 3.2 positional encoding ---------------------------------------------------------------------

@pytest.mark.exercise("positional_encoding")
def test_positional_encoding_first_rows(pe):
    got = expect_array(pe.sinusoidal_encoding(2, 4), "sinusoidal_encoding(2, 4)", shape=(2, 4))
    expected = np.array([[0.0, 1.0, 0.0, 1.0], [np.sin(1.0), np.cos(1.0), np.sin(0.01), np.cos(0.01)]])
    assert_close(got, expected, "sinusoidal_encoding(2, 4): rows [sin p, cos p, sin(p/100), cos(p/100)]")


@pytest.mark.exercise("positional_encoding")
def test_positional_encoding_refuses_an_odd_width(pe):
    pe.sinusoidal_encoding(3, 2)
    assert_raises(ValueError, lambda: pe.sinusoidal_encoding(3, 3), "sinusoidal_encoding(3, 3)", mentions=("3",))


@pytest.mark.exercise("positional_encoding")
def test_positional_encoding_is_added_without_changing_x(pe):
    x = np.zeros((2, 3, 4))
    before = x.copy()
    out = expect_array(pe.add_positional_encoding(x), "add_positional_encoding(zeros (2, 3, 4))", shape=(2, 3, 4))
    assert_unchanged(before, x, "add_positional_encoding")
    assert_close(out[1], pe.sinusoidal_encoding(3, 4), "add_positional_encoding(zeros)[1]")


# -- 3.3 layer norm ------------------------------------------------------------------------------

@pytest.mark.exercise("layer_norm")
def test_layer_norm_every_token_has_mean_0_and_variance_1(tb, rng):
    x = 3.0 * rng.normal(size=(2, 3, 5)) + 1.0
    out, _ = tb.layer_norm(x, np.ones(5), np.zeros(5))
    expect_array(out, "layer_norm(x (2, 3, 5))", shape=(2, 3, 5))
    assert_close(out.mean(axis=-1), np.zeros((2, 3)), "per-token mean", atol=1e-10)
    assert_close(out.var(axis=-1), np.ones((2, 3)), "per-token variance (divide by D)", atol=1e-4)


@pytest.mark.exercise("layer_norm")
def test_layer_norm_matches_the_formula(tb, rng):
    x = rng.normal(size=(4, 6))
    gamma, beta = rng.normal(size=6), rng.normal(size=6)
    assert_close(tb.layer_norm(x, gamma, beta)[0], _layer_norm(x, gamma, beta), "layer_norm(x, gamma, beta)")


@pytest.mark.exercise("layer_norm")
@pytest.mark.gradcheck("layer_norm_backward")
def test_layer_norm_backward_against_finite_differences(tb, gradcheck, rng):
    x, dout = rng.normal(size=(2, 3, 4)), rng.normal(size=(2, 3, 4))
    gamma, beta = rng.normal(size=4), rng.normal(size=4)
    dx, dgamma, dbeta = tb.layer_norm_backward(dout, tb.layer_norm(x, gamma, beta)[1])
    gradcheck("dx", dx, lambda x_: _layer_norm(x_, gamma, beta), x, dout)
    gradcheck("dgamma", dgamma, lambda g_: _layer_norm(x, g_, beta), gamma, dout)
    gradcheck("dbeta", dbeta, lambda b_: _layer_norm(x, gamma, b_), beta, dout)


# -- 3.4 feed-forward ----------------------------------------------------------------------------

@pytest.mark.exercise("feed_forward")
def test_feed_forward_matches_the_formula(tb, rng):
    x, p = rng.normal(size=(2, 3, 4)), _ffn_params(rng, 4, 6)
    out, _ = tb.feed_forward(x, p)
    assert_close(expect_array(out, "feed_forward(x (2, 3, 4))", shape=(2, 3, 4)), _ffn(x, p), "feed_forward(x, p)")


@pytest.mark.exercise("feed_forward")
@pytest.mark.gradcheck("feed_forward_backward")
def test_feed_forward_backward_against_finite_differences(tb, gradcheck, rng):
    x, dout, p = rng.normal(size=(2, 3, 4)), rng.normal(size=(2, 3, 4)), _ffn_params(rng, 4, 5)
    dx, grads = tb.feed_forward_backward(dout, tb.feed_forward(x, p)[1])
    gradcheck("dx", dx, lambda x_: _ffn(x_, p), x, dout)
    for name in ("w1", "b1", "w2", "b2"):
        gradcheck(f"grads[{name!r}]", grads[name], lambda v, name=name: _ffn(x, {**p, name: v}), p[name], dout)


# -- 3.5 the block -------------------------------------------------------------------------------

@pytest.mark.exercise("transformer_block")
def test_transformer_block_shape_and_normalised_output(tb, rng):
    x = rng.normal(size=(3, 5, 8))
    out, _ = tb.transformer_block(x, _block_params(rng, 8, 12), 2)
    expect_array(out, "transformer_block(x (3, 5, 8))", shape=(3, 5, 8))
    # post-norm: the last step is a layer norm, here with gamma 1 and beta 0
    assert_close(out.mean(axis=-1), np.zeros((3, 5)), "per-token mean of the block's output", atol=1e-9)


@pytest.mark.exercise("transformer_block")
def test_transformer_block_causal_output_ignores_the_future(tb, rng):
    x = rng.normal(size=(2, 4, 8))
    params = _block_params(rng, 8, 12)
    out, _ = tb.transformer_block(x, params, 2, causal=True)
    y = x.copy()
    y[:, 3] = rng.normal(size=(2, 8))  # change the last token only
    out_y, _ = tb.transformer_block(y, params, 2, causal=True)
    assert_close(out_y[:, :3], out[:, :3], "outputs at positions 0..2 after the token at 3 changed")


# -- 3.6 stack, init, count ----------------------------------------------------------------------

@pytest.mark.exercise("transformer_stack")
def test_transformer_stack_is_the_blocks_in_order(tb, rng):
    x = rng.normal(size=(2, 3, 4))
    blocks = [_block_params(rng, 4, 6), _block_params(rng, 4, 6)]
    out, caches = tb.transformer_stack(x, blocks, 2, pre_norm=True)
    once, _ = tb.transformer_block(x, blocks[0], 2, pre_norm=True)
    twice, _ = tb.transformer_block(once, blocks[1], 2, pre_norm=True)
    assert_close(out, twice, "transformer_stack of 2 blocks")
    if len(caches) != 2:
        raise AssertionError(f"transformer_stack: expected 2 caches, got {len(caches)}")


@pytest.mark.exercise("init_block")
def test_init_block_layout_and_seed(tb):
    p = tb.init_block(8, 2, 12, 0)
    expect_array(p["attn"]["wq"], "init_block(8, 2, 12, 0)['attn']['wq']", shape=(8, 8))
    expect_array(p["ffn"]["w1"], "init_block(8, 2, 12, 0)['ffn']['w1']", shape=(8, 12))
    assert_close(p["ln1_gamma"], np.ones(8), "ln1_gamma of a fresh block")
    assert_close(tb.init_block(8, 2, 12, 0)["ffn"]["w2"], p["ffn"]["w2"], "ffn w2 with the same seed")
    stack = tb.init_stack(3, 8, 2, 12, 0)
    if len(stack) != 3:
        raise AssertionError(f"init_stack(3, ...): expected 3 blocks, got {len(stack)}")


@pytest.mark.exercise("count_parameters")
def test_count_parameters_of_one_block(tb, rng):
    d, f = 8, 12
    got = tb.count_parameters(_block_params(rng, d, f))
    if got != 4 * d * d + 2 * d * f + 9 * d + f:
        raise AssertionError(f"count_parameters of a block with D = 8, F = 12: got {got}, "
                             f"expected 4 D^2 + 2 D F + 9 D + F = {4 * d * d + 2 * d * f + 9 * d + f}")


# -- golden cases: inputs and outputs of the reference over many shapes and value regimes ----------
# (tests/_snapshots/*.npz, written by the course authors with python -m grader.authoring.snapshots)

from grader.authoring.snapshots import snapshot_tests  # noqa: E402

globals().update(snapshot_tests(__file__))
