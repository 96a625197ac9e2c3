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


# -- backward functions, against the reference, through the learner's own forward pass ------------
# A Chain draws forward inputs and an upstream gradient dout; the learner's forward pass runs on
# the inputs (one round trip), its backward pass on (dout, the cache its forward returned) (a
# second one), and the gradients are compared with the reference's forward and backward on the
# same inputs. The learner's backward never sees a cache it did not make. Every gradient of a
# case is judged on the scale of the largest one (rtol of each entry, plus atol times that
# scale): a gradient that is all cancellation (keys that coincide, a key bias) is round-off
# whose exact value belongs to no one.

from grader.engine import domains as dom  # noqa: E402
from grader.engine.chains import Chain, chain_tests  # noqa: E402
from grader.engine.differential import case  # noqa: E402
# layer norm and the FFN take x of any rank (..., D); every value regime and eps, both activations;
# the embedding gets ids of every integer dtype, repeated ids and both settings of scale.
# Each case is built from one drawn seed; its note names the regimes.

_UPSTREAM = ("normal", "wide", "small", "zeros")
_EPS = (None, 1e-8, 1e-3, 0.1, 1.0)
_ID_TYPES = (np.int64, np.int32, np.uint8, np.uint16, np.int8)


from grader.engine.domains import seeded as _seeded  # noqa: E402


def _any_shape(rng, max_side=5):
    return tuple(int(n) for n in rng.integers(1, max_side + 1, size=rng.integers(1, 5)))


def _layer_norm_case(rng):
    shape = _any_shape(rng)
    regime, upstream = str(rng.choice(dom.FLOAT_REGIMES)), str(rng.choice(_UPSTREAM))
    d = shape[-1]
    gamma, beta = rng.normal(size=d), rng.normal(size=d)
    eps = _EPS[int(rng.integers(len(_EPS)))]
    args = (dom.fill(rng, shape, upstream), dom.fill(rng, shape, regime), gamma, beta)
    note = f"dout {upstream}, x {regime}"
    return case(*args, note=note) if eps is None else case(*args, eps=eps, note=note)


def _ffn_case(rng):
    shape = _any_shape(rng, 4)
    regime, upstream = str(rng.choice(dom.FLOAT_REGIMES)), str(rng.choice(_UPSTREAM))
    p = _ffn_params(rng, shape[-1], int(rng.integers(1, 7)))
    activation = (None, "relu", "gelu", "gelu")[int(rng.integers(4))]
    args = (dom.fill(rng, shape, upstream), dom.fill(rng, shape, regime), p)
    note = f"dout {upstream}, x {regime}"
    return case(*args, note=note) if activation is None else case(*args, activation=activation, note=note)


def _embed_case(rng):
    vocab, d = int(rng.integers(1, 7)), int(rng.integers(1, 5))
    dtype = _ID_TYPES[int(rng.integers(len(_ID_TYPES)))]
    b, t = int(rng.integers(1, 4)), int(rng.integers(1, 6))
    ids = rng.integers(0, vocab, size=(b, t)).astype(dtype)
    upstream = str(rng.choice(_UPSTREAM))
    args = (dom.fill(rng, (b, t, d), upstream), ids, rng.normal(size=(vocab, d)))
    note = f"dout {upstream}, {np.dtype(dtype).name} ids"
    pick = int(rng.integers(3))
    return case(*args, note=note) if pick == 2 else case(*args, scale=bool(pick), note=note)


_rng = np.random.default_rng(7)
_X = _rng.normal(size=(2, 3, 5))
_G, _BETA = _rng.normal(size=5), _rng.normal(size=5)
_XF, _PF = _rng.normal(size=(2, 3, 4)), _ffn_params(_rng, 4, 6)
_IDS, _TABLE = np.array([[1, 4, 1], [0, 4, 4]]), _rng.normal(size=(6, 4))

CHAINS = [
    Chain("phase3_transformer.transformer_block", "layer_norm", "layer_norm_backward", _seeded(_layer_norm_case),
          examples=10, exercise="layer_norm",
          fixed=[case(np.ones((2, 3, 4)), _X, _G, _BETA, note="dout narrower than x"),
                 case(np.ones((1, 3, 5)), _X, _G, _BETA, note="dout (1, 3, 5) that would broadcast over the batch")]),
    Chain("phase3_transformer.transformer_block", "feed_forward", "feed_forward_backward", _seeded(_ffn_case),
          examples=10, exercise="feed_forward",
          fixed=[case(np.ones((2, 3, 6)), _XF, _PF, note="dout shaped like the hidden layer"),
                 case(np.ones((1, 3, 4)), _XF, _PF, activation="gelu",
                      note="dout (1, 3, 4) that would broadcast over the batch")]),
    Chain("phase3_transformer.embeddings", "embed", "embed_backward", _seeded(_embed_case), examples=12,
          exercise="embeddings",
          fixed=[case(np.ones((2, 4, 4)), _IDS, _TABLE, note="dout one position too long"),
                 case(np.ones((1, 3, 4)), _IDS, _TABLE, scale=True, note="dout (1, 3, 4) that would broadcast"),
                 case(np.ones((2, 3)), _IDS, _TABLE, note="2-d dout")]),
]
globals().update(chain_tests(CHAINS))
