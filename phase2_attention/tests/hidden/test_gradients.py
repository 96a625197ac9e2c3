"""The grader's gradient checks of phase 2: attention and multi-head attention, every input and weight.

Analytic gradients come from the target's backward functions; numerical ones from the grader's
own central differences of the trusted reference forward pass (float64, random upstream
gradient). The target's forward pass is compared with the reference first: a gradient that
agrees with a wrong forward pass is still wrong.

The key bias bk is the one exception to the relative error: its gradient is exactly 0 for any
input (bk shifts every score of a row by the same amount, which softmax ignores), so the relative
error would compare finite-difference noise with round-off. It is checked to be 0 instead.
"""

import numpy as np
import pytest

from grader.engine.testing import assert_close, expect_array, module_fixture, reference_fixture

att = module_fixture("phase2_attention.attention")
mh = module_fixture("phase2_attention.multi_head")
ref_att = reference_fixture("phase2_attention.attention")
ref_mh = reference_fixture("phase2_attention.multi_head")

# attention: batch 2, Tq 3, Tk 4, d_k 5, d_v 6;  multi-head: batch 2, Tq 4, Tk 5, d_model 6, 3 heads of 2
NAMES = ("wq", "bq", "wk", "bk", "wv", "bv", "wo", "bo")


def causal(t):
    return np.tril(np.ones((t, t), dtype=bool))


def padding(lengths, t):
    return (np.arange(t)[None, :] < np.asarray(lengths)[:, None])[:, None, :]


def check_attention(att, ref_att, gradcheck, rng, q, k, v, mask, label):
    out, cache = att.attention(q, k, v, mask)
    assert_close(out, ref_att.attention(q, k, v, mask)[0], f"{label}: attention output")
    dout = rng.normal(size=out.shape)
    grads = att.attention_backward(dout, cache)
    if not isinstance(grads, tuple) or len(grads) != 3:
        raise AssertionError(f"{label}: attention_backward must return a tuple (dq, dk, dv)")
    dq, dk, dv = grads
    gradcheck(f"{label}: dq", dq, lambda x: ref_att.attention(x, k, v, mask)[0], q, dout)
    gradcheck(f"{label}: dk", dk, lambda x: ref_att.attention(q, x, v, mask)[0], k, dout)
    gradcheck(f"{label}: dv", dv, lambda x: ref_att.attention(q, k, x, mask)[0], v, dout)


@pytest.mark.exercise("attention")
@pytest.mark.gradcheck("attention_backward")
def test_gradcheck_attention_backward_cross_attention(att, ref_att, gradcheck, rng):
    q, k, v = rng.normal(size=(2, 3, 5)), rng.normal(size=(2, 4, 5)), rng.normal(size=(2, 4, 6))
    check_attention(att, ref_att, gradcheck, rng, q, k, v, None, "attention_backward")


@pytest.mark.exercise("attention")
@pytest.mark.gradcheck("attention_backward, causal mask")
def test_gradcheck_attention_backward_causal_mask(att, ref_att, gradcheck, rng):
    q, k, v = rng.normal(size=(2, 4, 5)), rng.normal(size=(2, 4, 5)), rng.normal(size=(2, 4, 6))
    check_attention(att, ref_att, gradcheck, rng, q, k, v, causal(4), "attention_backward, causal mask")


@pytest.mark.exercise("attention")
@pytest.mark.gradcheck("attention_backward, padding mask with an empty sequence")
def test_gradcheck_attention_backward_padding_mask_and_fully_masked_rows(att, ref_att, gradcheck, rng):
    q, k, v = rng.normal(size=(2, 3, 5)), rng.normal(size=(2, 4, 5)), rng.normal(size=(2, 4, 6))
    check_attention(att, ref_att, gradcheck, rng, q, k, v, padding([2, 0], 4),
                    "attention_backward, padding mask [2, 0]")


@pytest.mark.exercise("attention")
@pytest.mark.gradcheck("attention_backward, heads axis")
def test_gradcheck_attention_backward_with_batch_and_head_axes(att, ref_att, gradcheck, rng):
    q, k, v = rng.normal(size=(2, 3, 4, 5)), rng.normal(size=(2, 3, 4, 5)), rng.normal(size=(2, 3, 4, 2))
    check_attention(att, ref_att, gradcheck, rng, q, k, v, causal(4), "attention_backward (2, 3, 4, d), causal")


def check_multi_head(mh, ref_mh, gradcheck, rng, x_q, x_kv, mask, label, n_heads=3):
    d = x_q.shape[2]
    p = {n: rng.normal(0.0, 0.5, size=(d, d) if n[0] == "w" else (d,)) for n in NAMES}
    out, cache = mh.multi_head_attention(x_q, x_kv, p, n_heads, mask)
    assert_close(out, ref_mh.multi_head_attention(x_q, x_kv, p, n_heads, mask)[0], f"{label}: forward output")
    dout = rng.normal(size=out.shape)
    result = mh.multi_head_attention_backward(dout, cache)
    if not isinstance(result, tuple) or len(result) != 3 or not isinstance(result[2], dict):
        raise AssertionError(f"{label}: multi_head_attention_backward must return (dx_q, dx_kv, grads dict)")
    dx_q, dx_kv, grads = result
    missing = [n for n in NAMES if n not in grads]
    if missing:
        raise AssertionError(f"{label}: grads is missing {', '.join(missing)}")

    def forward(x_q_, x_kv_, p_):
        return ref_mh.multi_head_attention(x_q_, x_kv_, p_, n_heads, mask)[0]

    gradcheck(f"{label}: dx_q", dx_q, lambda x: forward(x, x_kv, p), x_q, dout)
    gradcheck(f"{label}: dx_kv", dx_kv, lambda x: forward(x_q, x, p), x_kv, dout)
    for name in NAMES:
        if name == "bk":
            expect_array(grads[name], f"{label}: grads['bk']", shape=(d,))
            assert_close(grads[name], np.zeros(d), f"{label}: grads['bk'] (exactly 0 for any input)", atol=1e-9)
            continue
        gradcheck(f"{label}: grads[{name!r}]", grads[name], lambda w, name=name: forward(x_q, x_kv, {**p, name: w}),
                  p[name], dout)


@pytest.mark.exercise("multi_head")
@pytest.mark.gradcheck("multi_head_attention_backward")
def test_gradcheck_multi_head_attention_every_input_and_weight(mh, ref_mh, gradcheck, rng):
    x_q, x_kv = rng.normal(size=(2, 4, 6)), rng.normal(size=(2, 5, 6))
    check_multi_head(mh, ref_mh, gradcheck, rng, x_q, x_kv, None, "multi_head_attention_backward")


@pytest.mark.exercise("multi_head")
@pytest.mark.gradcheck("multi_head_attention_backward, causal mask")
def test_gradcheck_multi_head_attention_causal_mask_every_input_and_weight(mh, ref_mh, gradcheck, rng):
    x_q, x_kv = rng.normal(size=(2, 5, 6)), rng.normal(size=(2, 5, 6))
    check_multi_head(mh, ref_mh, gradcheck, rng, x_q, x_kv, causal(5), "multi_head_attention_backward, causal mask")


@pytest.mark.exercise("multi_head")
@pytest.mark.gradcheck("multi_head_attention_backward, padding mask")
def test_gradcheck_multi_head_attention_padding_mask_two_heads(mh, ref_mh, gradcheck, rng):
    x_q, x_kv = rng.normal(size=(2, 4, 6)), rng.normal(size=(2, 5, 6))
    check_multi_head(mh, ref_mh, gradcheck, rng, x_q, x_kv, padding([3, 5], 5),
                     "multi_head_attention_backward, padding mask", n_heads=2)


@pytest.mark.exercise("multi_head")
@pytest.mark.gradcheck("self-attention: dx = dx_q + dx_kv")
def test_gradcheck_self_attention_input_gets_both_gradients(mh, ref_mh, gradcheck, rng):
    x = rng.normal(size=(2, 5, 6))
    p = {n: rng.normal(0.0, 0.5, size=(6, 6) if n[0] == "w" else (6,)) for n in NAMES}
    mask = causal(5)
    out, cache = mh.multi_head_attention(x, x, p, 3, mask)
    assert_close(out, ref_mh.multi_head_attention(x, x, p, 3, mask)[0], "self-attention output")
    dout = rng.normal(size=out.shape)
    dx_q, dx_kv, _ = mh.multi_head_attention_backward(dout, cache)
    dx = expect_array(dx_q, "dx_q", shape=x.shape) + expect_array(dx_kv, "dx_kv", shape=x.shape)
    gradcheck("self-attention: dx_q + dx_kv", dx, lambda y: ref_mh.multi_head_attention(y, y, p, 3, mask)[0], x, dout)


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
from grader.engine.domains import seeded as _seeded  # noqa: E402


def _mask(rng, shape, min_rank=1):
    rank = int(rng.integers(min_rank, len(shape) + 1))
    mask_shape = tuple(n if rng.random() < 0.5 else 1 for n in shape[len(shape) - rank:])
    return rng.random(mask_shape) < rng.choice([0.3, 0.6, 1.0])


_INPUTS = ("normal", "ties", "small")  # scores of moderate size: the softmax's gradient is not all cancellation
_UPSTREAM = ("normal", "wide", "small", "zeros")
_LEADS = [(), (1,), (2,), (3,), (2, 2), (1, 3)]


def _attention_backward_case(rng):
    lead = _LEADS[int(rng.integers(len(_LEADS)))]
    t_q, t_k, d_k, d_v = (int(n) for n in rng.integers(1, 5, size=4))
    regime, upstream = str(rng.choice(_INPUTS)), str(rng.choice(_UPSTREAM))
    q, k, v = (dom.fill(rng, lead + shape, regime) for shape in ((t_q, d_k), (t_k, d_k), (t_k, d_v)))
    mask = None if rng.random() < 0.3 else _mask(rng, lead + (t_q, t_k))
    return case(dom.fill(rng, lead + (t_q, d_v), upstream), q, k, v, mask,
                note=f"dout {upstream}, q k v {regime}" + ("" if mask is None else f", mask {mask.shape}"))


def _mha_backward_case(rng):
    h, d_head = (int(n) for n in rng.integers(1, 4, size=2))
    d = h * d_head
    b, t_q = (1, 2, h)[int(rng.integers(3))], int(rng.integers(1, 5))
    regime, upstream = str(rng.choice(_INPUTS)), str(rng.choice(_UPSTREAM))
    x_q = dom.fill(rng, (b, t_q, d), regime)
    if rng.random() < 0.5:
        x_kv, t_k = x_q, t_q
    else:
        t_k = int(rng.integers(1, 5))
        x_kv = dom.fill(rng, (b, t_k, d), regime)
    kind = int(rng.integers(3))
    mask = None if kind == 0 else _mask(rng, (b, t_q, t_k)) if kind == 1 else _mask(rng, (b, h, t_q, t_k), 4)
    p = {n: rng.normal(0.0, 0.5, size=(d, d) if n[0] == "w" else (d,)) for n in NAMES}
    return case(dom.fill(rng, (b, t_q, d), upstream), x_q, x_kv, p, h, mask,
                note=f"dout {upstream}, x {regime}, " + ("self" if x_kv is x_q else "cross") + "-attention"
                + ("" if mask is None else f", mask {mask.shape}"))


_rng = np.random.default_rng(5)
_Q, _K, _V = _rng.normal(size=(2, 3, 5)), _rng.normal(size=(2, 4, 5)), _rng.normal(size=(2, 4, 6))
_XQ, _XKV = _rng.normal(size=(2, 3, 6)), _rng.normal(size=(2, 4, 6))
_P = {n: _rng.normal(0.0, 0.5, size=(6, 6) if n[0] == "w" else (6,)) for n in NAMES}

CHAINS = [
    Chain("phase2_attention.attention", "attention", "attention_backward", _seeded(_attention_backward_case),
          examples=10, exercise="attention",
          fixed=[case(np.ones((2, 3, 5)), _Q, _K, _V, note="dout shaped like q, not like out"),
                 case(np.ones((1, 3, 6)), _Q, _K, _V, note="dout (1, 3, 6) that would broadcast over the batch"),
                 case(np.ones((3, 6)), _Q, _K, _V, note="2-d dout for 3-d out")]),
    Chain("phase2_attention.multi_head", "multi_head_attention", "multi_head_attention_backward",
          _seeded(_mha_backward_case), examples=8, exercise="multi_head",
          fixed=[case(np.ones((2, 4, 6)), _XQ, _XKV, _P, 2, note="dout shaped like x_kv, not like out"),
                 case(np.ones((1, 3, 6)), _XQ, _XKV, _P, 2, note="dout (1, 3, 6) that would broadcast")]),
]
globals().update(chain_tests(CHAINS))
