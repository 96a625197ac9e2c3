"""The grader's gradient checks of phase 3: layer norm, the feed-forward network, the embedding.

The analytic gradient comes from the target's backward function; the numerical one from the
grader's own central differences of the trusted reference forward pass (float64, random upstream
gradient). The target's forward pass is compared with the reference first.
"""

import numpy as np
import pytest

from grader.engine.testing import assert_close, module_fixture, reference_fixture

tb = module_fixture("phase3_transformer.transformer_block")
emb = module_fixture("phase3_transformer.embeddings")
ref = reference_fixture("phase3_transformer.transformer_block")
ref_emb = reference_fixture("phase3_transformer.embeddings")


def _ffn_params(rng, d, f):
    return {"w1": rng.normal(size=(d, f)) / np.sqrt(d), "b1": 0.5 * rng.normal(size=f),
            "w2": rng.normal(size=(f, d)) / np.sqrt(f), "b2": 0.5 * rng.normal(size=d)}


@pytest.mark.gradcheck("layer_norm_backward")
def test_gradcheck_layer_norm_backward(tb, ref, gradcheck, rng):
    x = rng.normal(size=(2, 3, 5))
    gamma, beta = 1.0 + 0.5 * rng.normal(size=5), rng.normal(size=5)
    dout = rng.normal(size=(2, 3, 5))
    out, cache = tb.layer_norm(x, gamma, beta)
    assert_close(out, ref.layer_norm(x, gamma, beta)[0], "layer_norm(x, gamma, beta)")
    dx, dgamma, dbeta = tb.layer_norm_backward(dout, cache)
    gradcheck("layer_norm_backward: dx", dx, lambda x_: ref.layer_norm(x_, gamma, beta)[0], x, dout)
    gradcheck("layer_norm_backward: dgamma", dgamma, lambda g_: ref.layer_norm(x, g_, beta)[0], gamma, dout)
    gradcheck("layer_norm_backward: dbeta", dbeta, lambda b_: ref.layer_norm(x, gamma, b_)[0], beta, dout)


@pytest.mark.gradcheck("layer_norm_backward(2-d, eps=0.1)")
def test_gradcheck_layer_norm_backward_2d_with_a_large_eps(tb, ref, gradcheck, rng):
    # a large eps makes any shortcut that drops it from the backward pass visible
    x = 0.3 * rng.normal(size=(4, 3))
    gamma, beta = rng.normal(size=3), rng.normal(size=3)
    dout = rng.normal(size=(4, 3))
    out, cache = tb.layer_norm(x, gamma, beta, eps=0.1)
    assert_close(out, ref.layer_norm(x, gamma, beta, eps=0.1)[0], "layer_norm(x, gamma, beta, eps=0.1)")
    dx, _, _ = tb.layer_norm_backward(dout, cache)
    gradcheck("layer_norm_backward(eps=0.1): dx", dx, lambda x_: ref.layer_norm(x_, gamma, beta, eps=0.1)[0], x, dout)


@pytest.mark.gradcheck("feed_forward_backward(relu)")
def test_gradcheck_feed_forward_backward_relu(tb, ref, gradcheck, rng):
    x = rng.normal(size=(2, 3, 4))
    p = _ffn_params(rng, 4, 5)
    dout = rng.normal(size=(2, 3, 4))
    out, cache = tb.feed_forward(x, p)
    assert_close(out, ref.feed_forward(x, p)[0], "feed_forward(x, params)")
    dx, grads = tb.feed_forward_backward(dout, cache)
    gradcheck("feed_forward_backward: dx", dx, lambda x_: ref.feed_forward(x_, p)[0], x, dout)
    for name in ("w1", "b1", "w2", "b2"):
        gradcheck(f"feed_forward_backward: grads[{name!r}]", grads[name],
                  lambda v, name=name: ref.feed_forward(x, {**p, name: v})[0], p[name], dout)


@pytest.mark.gradcheck("feed_forward_backward(gelu)")
def test_gradcheck_feed_forward_backward_gelu(tb, ref, gradcheck, rng):
    x = rng.normal(size=(3, 2, 4))
    p = _ffn_params(rng, 4, 6)
    dout = rng.normal(size=(3, 2, 4))
    out, cache = tb.feed_forward(x, p, activation="gelu")
    assert_close(out, ref.feed_forward(x, p, activation="gelu")[0], "feed_forward(x, params, 'gelu')")
    dx, grads = tb.feed_forward_backward(dout, cache)
    gradcheck("feed_forward_backward (gelu): dx", dx, lambda x_: ref.feed_forward(x_, p, activation="gelu")[0],
              x, dout)
    for name in ("w1", "b1", "w2", "b2"):
        gradcheck(f"feed_forward_backward (gelu): grads[{name!r}]", grads[name],
                  lambda v, name=name: ref.feed_forward(x, {**p, name: v}, activation="gelu")[0], p[name], dout)


@pytest.mark.gradcheck("embed_backward")
def test_gradcheck_embed_backward_with_repeated_ids(emb, ref_emb, gradcheck, rng):
    table = rng.normal(size=(6, 4))
    ids = np.array([[1, 4, 1], [0, 4, 4]])  # ids 1 and 4 repeat; 2, 3 and 5 are unused
    dout = rng.normal(size=(2, 3, 4))
    for scale in (False, True):
        out, cache = emb.embed(ids, table, scale=scale)
        assert_close(out, ref_emb.embed(ids, table, scale=scale)[0], f"embed(ids, table, scale={scale})")
        gradcheck(f"embed_backward (scale={scale}): dtable", emb.embed_backward(dout, cache),
                  lambda t_: ref_emb.embed(ids, t_, scale=scale)[0], table, dout)
