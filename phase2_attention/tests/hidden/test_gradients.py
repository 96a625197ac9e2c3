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
