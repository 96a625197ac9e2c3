"""Hidden tests: attention.py (loops, vectorised, backward), against an independent computation.

``naive_attention`` below is the oracle: one query at a time, plain Python sums and math.exp, the
fully masked row defined as weights 0. Sizes are all different (batch 2, Tq 3, Tk 4, d_k 5,
d_v 6) so a swapped axis cannot go unnoticed.
"""

import math

import numpy as np
import pytest

from grader.engine.testing import assert_close, assert_raises, expect_array, module_fixture, reference_fixture

att = module_fixture("phase2_attention.attention")
ref = reference_fixture("phase2_attention.attention")

# tests without their own marker belong to the vectorised exercise
pytestmark = pytest.mark.exercise("attention")

B, TQ, TK, DK, DV = 2, 3, 4, 5, 6


def naive_attention(q, k, v, mask=None):
    """(out, weights) for q (..., Tq, d_k), k (..., Tk, d_k), v (..., Tk, d_v); loops only."""
    lead, (t_q, d_k), (t_k, d_v) = q.shape[:-2], q.shape[-2:], v.shape[-2:]
    allowed = np.ones(lead + (t_q, t_k), dtype=bool) if mask is None else np.broadcast_to(mask, lead + (t_q, t_k))
    out, weights = np.zeros(lead + (t_q, d_v)), np.zeros(lead + (t_q, t_k))
    for idx in np.ndindex(*lead):
        for i in range(t_q):
            visible = [j for j in range(t_k) if allowed[idx][i, j]]
            if not visible:
                continue
            scores = {j: sum(float(q[idx][i, c]) * float(k[idx][j, c]) for c in range(d_k)) / math.sqrt(d_k)
                      for j in visible}
            top = max(scores.values())
            total = sum(math.exp(s - top) for s in scores.values())
            for j in visible:
                weights[idx][i, j] = math.exp(scores[j] - top) / total
                out[idx][i] += weights[idx][i, j] * v[idx][j]
    return out, weights


def qkv(rng, lead=(B,), t_q=TQ, t_k=TK, d_k=DK, d_v=DV, scale=1.0):
    return (rng.normal(size=lead + (t_q, d_k)) * scale, rng.normal(size=lead + (t_k, d_k)) * scale,
            rng.normal(size=lead + (t_k, d_v)))


def causal(t):
    return np.tril(np.ones((t, t), dtype=bool))


def padding(lengths, t):
    return (np.arange(t)[None, :] < np.asarray(lengths)[:, None])[:, None, :]


LARGE_Q = np.array([[[1.0], [-1.0]]])               # d_k = 1: the scores are q * k, unscaled
LARGE_K = np.array([[[1000.0], [999.0], [998.0], [0.0]]])
LARGE_V = np.array([[[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [5.0, 5.0]]])


def large_expected():
    first = np.exp([0.0, -1.0, -2.0])
    first /= first.sum()
    return np.array([[first @ LARGE_V[0, :3], LARGE_V[0, 3]]])


def run(att, q, k, v, mask=None):
    """The vectorised attention's output and weights, shapes checked."""
    result = att.attention(q, k, v, mask)
    if not isinstance(result, tuple) or len(result) != 2:
        raise AssertionError(f"attention: expected a tuple (out, cache), got {type(result).__name__}")
    out, cache = result
    shape = q.shape[:-1] + v.shape[-1:]
    out = expect_array(out, "attention: out", shape=shape)
    if not isinstance(cache, dict) or "weights" not in cache:
        raise AssertionError("attention: the cache must be a dict with the attention weights under 'weights'")
    weights = expect_array(cache["weights"], "attention: cache['weights']", shape=q.shape[:-1] + k.shape[-2:-1])
    return out, weights


# -- attention_loops -----------------------------------------------------------------------------

@pytest.mark.exercise("attention_loops")
def test_attention_loops_on_a_hand_computed_example(att):
    q = np.array([[[2.0, 0.0]]])                       # one query
    k = np.array([[[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]])  # three keys
    v = np.array([[[1.0, 0.0], [0.0, 1.0], [2.0, 2.0]]])
    s = np.array([2.0, 0.0, 2.0]) / np.sqrt(2.0)
    a = np.exp(s) / np.exp(s).sum()
    got = expect_array(att.attention_loops(q, k, v), "attention_loops on a hand-computed example", shape=(1, 1, 2))
    assert_close(got, (a @ v[0])[None, None], "attention_loops on a hand-computed example")


@pytest.mark.exercise("attention_loops")
def test_attention_loops_matches_an_independent_computation_for_cross_attention(att, rng):
    q, k, v = qkv(rng)
    got = expect_array(att.attention_loops(q, k, v), "attention_loops(q, k, v)", shape=(B, TQ, DV))
    assert_close(got, naive_attention(q, k, v)[0], "attention_loops(q (2, 3, 5), k (2, 4, 5), v (2, 4, 6))")


@pytest.mark.exercise("attention_loops")
def test_attention_loops_with_a_causal_mask(att, rng):
    q, k, v = qkv(rng, t_q=TK)
    assert_close(att.attention_loops(q, k, v, causal(TK)), naive_attention(q, k, v, causal(TK))[0],
                 "attention_loops with a causal mask")


@pytest.mark.exercise("attention_loops")
def test_attention_loops_fully_masked_row_gives_zeros_not_nan(att, rng):
    q, k, v = qkv(rng)
    got = expect_array(att.attention_loops(q, k, v, padding([0, 3], TK)), "attention_loops with a length-0 sequence",
                       shape=(B, TQ, DV))
    assert_close(got[0], np.zeros((TQ, DV)), "attention_loops: output of fully masked rows (defined as 0)", atol=0)
    assert_close(got[1], naive_attention(q[1:], k[1:], v[1:], padding([3], TK))[0][0],
                 "attention_loops: the sequence of length 3")


@pytest.mark.exercise("attention_loops")
def test_attention_loops_survives_scores_of_1000(att):
    got = expect_array(att.attention_loops(LARGE_Q, LARGE_K, LARGE_V), "attention_loops with scores of 1000",
                       shape=(1, 2, 2))
    assert_close(got, large_expected(), "attention_loops with scores (1000, 999, 998, 0) and (-1000, -999, -998, 0)")


@pytest.mark.exercise("attention_loops")
def test_attention_loops_works_with_batch_and_head_axes(att, rng):
    q, k, v = qkv(rng, lead=(B, 3))
    assert_close(att.attention_loops(q, k, v), naive_attention(q, k, v)[0],
                 "attention_loops with q of shape (2, 3, 3, 5)")


# -- attention (vectorised) ----------------------------------------------------------------------


def test_attention_vectorised_equals_attention_loops(att, rng):
    q, k, v = qkv(rng)
    mask = causal(TK)[1:] & padding([4, 2], TK)
    loops = expect_array(att.attention_loops(q, k, v, mask), "attention_loops", shape=(B, TQ, DV))
    out, _ = run(att, q, k, v, mask)
    assert_close(out, loops, "attention (vectorised) against attention_loops, same inputs and mask", rtol=1e-10)


def test_attention_matches_an_independent_computation_for_cross_attention(att, rng):
    q, k, v = qkv(rng)
    out, weights = run(att, q, k, v)
    expected_out, expected_weights = naive_attention(q, k, v)
    assert_close(weights, expected_weights, "attention weights (2, 3, 4)")
    assert_close(out, expected_out, "attention output (2, 3, 6)")


def test_attention_scales_scores_by_one_over_sqrt_d_k(att):
    # d_k = 16: 1/sqrt(16) = 1/4, not 1/16 and not 1
    q = np.zeros((1, 1, 16))
    q[0, 0, :] = 0.5
    k = np.zeros((1, 2, 16))
    k[0, 0, :] = 1.0  # q . k_0 = 8, scaled 2;  q . k_1 = 0
    v = np.array([[[1.0], [0.0]]])
    expected = np.exp(2.0) / (np.exp(2.0) + 1.0)
    out, weights = run(att, q, k, v)
    assert_close(weights[0, 0, 0], expected, "weight of key 0 for scores (8, 0) with d_k = 16 (scaled by 1/4)")


def test_attention_weights_rows_sum_to_one(att, rng):
    q, k, v = qkv(rng, scale=2.0)
    _, weights = run(att, q, k, v)
    assert_close(weights.sum(axis=-1), np.ones((B, TQ)), "row sums of the attention weights (softmax over keys)")


def test_attention_mask_is_applied_before_the_softmax(att, rng):
    # hiding keys 2 and 3 must give exactly the attention over keys 0 and 1 alone
    q, k, v = qkv(rng)
    out, weights = run(att, q, k, v, padding([2, 2], TK))
    assert_close(weights[..., 2:], np.zeros((B, TQ, 2)), "weights of masked keys", atol=0)
    assert_close(weights.sum(axis=-1), np.ones((B, TQ)), "row sums of the weights with a mask")
    assert_close(out, naive_attention(q, k[:, :2], v[:, :2])[0], "attention with keys 2, 3 masked (vs keys 0, 1 only)")


def test_attention_with_a_causal_mask_matches_an_independent_computation(att, rng):
    q, k, v = qkv(rng, t_q=TK)
    out, weights = run(att, q, k, v, causal(TK))
    expected_out, expected_weights = naive_attention(q, k, v, causal(TK))
    assert_close(weights, expected_weights, "causal attention weights")
    assert_close(out, expected_out, "causal attention output")
    assert_close(out[:, 0], v[:, 0], "the first query under a causal mask sees only the first value")


def test_attention_fully_masked_row_gives_zero_weights_and_output_not_nan(att, rng):
    q, k, v = qkv(rng)
    out, weights = run(att, q, k, v, padding([3, 0], TK))
    assert_close(weights[1], np.zeros((TQ, TK)), "weights of fully masked rows (defined as 0)", atol=0)
    assert_close(out[1], np.zeros((TQ, DV)), "output of fully masked rows (defined as 0)", atol=0)
    assert_close(out[0], naive_attention(q[:1], k[:1], v[:1], padding([3], TK))[0][0], "output of the other sequence")


def test_attention_with_batch_and_head_axes_and_a_shared_causal_mask(att, rng):
    q, k, v = qkv(rng, lead=(B, 3), t_q=TK)
    out, weights = run(att, q, k, v, causal(TK))
    expected_out, expected_weights = naive_attention(q, k, v, causal(TK))
    assert_close(weights, expected_weights, "weights with q of shape (2, 3, 4, 5)")
    assert_close(out, expected_out, "output with q of shape (2, 3, 4, 5)")


def test_attention_survives_scores_of_1000(att):
    # row 0 has scores (1000, 999, 998, 0): exp(1000) overflows unless the row maximum is subtracted
    out, _ = run(att, LARGE_Q, LARGE_K, LARGE_V)
    assert_close(out, large_expected(), "attention with scores (1000, 999, 998, 0) and (-1000, -999, -998, 0)")


def test_attention_survives_large_random_scores(att, rng):
    q, k, v = qkv(rng, scale=30.0)  # scores of several hundred
    out, weights = run(att, q, k, v)
    assert_close(out, naive_attention(q, k, v)[0], "attention with scores of several hundred", rtol=1e-6, atol=1e-8)


def test_attention_refuses_mismatched_head_dimensions(att, rng):
    q, k, v = qkv(rng)
    run(att, q, k, v)
    assert_raises(ValueError, lambda: att.attention(q, rng.normal(size=(B, TK, 4)), v),
                  "attention with q (2, 3, 5) and k (2, 4, 4)", mentions=("(2, 3, 5)", "(2, 4, 4)"))
    assert_raises(ValueError, lambda: att.attention(q, k, rng.normal(size=(B, 3, DV))),
                  "attention with k (2, 4, 5) and v (2, 3, 6)", mentions=("(2, 4, 5)", "(2, 3, 6)"))


def test_attention_refuses_a_mask_of_the_wrong_shape(att, rng):
    q, k, v = qkv(rng)
    run(att, q, k, v, np.ones((TQ, TK), dtype=bool))
    assert_raises(ValueError, lambda: att.attention(q, k, v, np.ones((TK, TQ), dtype=bool)),
                  "attention with a (4, 3) mask for (2, 3, 4) scores")


# -- attention_backward --------------------------------------------------------------------------

def backward(att, q, k, v, mask, dout):
    _, cache = att.attention(q, k, v, mask)
    grads = att.attention_backward(dout, cache)
    if not isinstance(grads, tuple) or len(grads) != 3:
        raise AssertionError("attention_backward: expected a tuple (dq, dk, dv)")
    return tuple(expect_array(g, f"attention_backward: {n}", shape=x.shape) for g, n, x in zip(grads, "qkv", (q, k, v)))


def test_attention_backward_matches_the_reference_for_cross_attention(att, ref, rng):
    q, k, v = qkv(rng)
    dout = rng.normal(size=(B, TQ, DV))
    dq, dk, dv = backward(att, q, k, v, None, dout)
    rq, rk, rv = ref.attention_backward(dout, ref.attention(q, k, v)[1])
    assert_close(dv, rv, "dv")
    assert_close(dk, rk, "dk")
    assert_close(dq, rq, "dq")


def test_attention_backward_dv_is_weights_transposed_times_dout(att, rng):
    q, k, v = qkv(rng)
    dout = rng.normal(size=(B, TQ, DV))
    _, dk, dv = backward(att, q, k, v, None, dout)
    weights = naive_attention(q, k, v)[1]
    assert_close(dv, np.einsum("bij,bid->bjd", weights, dout), "dv = A^T dout")


def test_attention_backward_gives_masked_keys_no_gradient(att, ref, rng):
    q, k, v = qkv(rng)
    mask = padding([2, 3], TK)
    dout = rng.normal(size=(B, TQ, DV))
    dq, dk, dv = backward(att, q, k, v, mask, dout)
    assert_close(dk[0, 2:], np.zeros((2, DK)), "dk of masked keys", atol=1e-12)
    assert_close(dv[0, 2:], np.zeros((2, DV)), "dv of masked keys", atol=1e-12)
    rq, rk, rv = ref.attention_backward(dout, ref.attention(q, k, v, mask)[1])
    assert_close(dq, rq, "dq with a padding mask")


def test_attention_backward_of_a_fully_masked_row_is_zero(att, rng):
    q, k, v = qkv(rng)
    mask = np.ones((B, TQ, TK), dtype=bool)
    mask[1, 1, :] = False  # query 1 of sequence 1 sees nothing
    dout = rng.normal(size=(B, TQ, DV))
    dq, dk, dv = backward(att, q, k, v, mask, dout)
    assert_close(dq[1, 1], np.zeros(DK), "dq of a fully masked query (defined as 0)", atol=0)
    silenced = dout.copy()
    silenced[1, 1] = 0.0
    _, _, dv_without = backward(att, q, k, v, mask, silenced)
    assert_close(dv, dv_without, "dv: the upstream gradient of a fully masked row must reach no value")


def test_attention_backward_refuses_dout_of_the_wrong_shape(att, rng):
    q, k, v = qkv(rng)
    _, cache = att.attention(q, k, v)
    att.attention_backward(np.ones((B, TQ, DV)), cache)
    assert_raises(ValueError, lambda: att.attention_backward(np.ones((B, TQ, DK)), cache),
                  "attention_backward with dout (2, 3, 5) for out (2, 3, 6)", mentions=("(2, 3, 5)",))


# -- the whole contract, against the reference ---------------------------------------------------
# Any number of leading axes (none: q (Tq, d_k); batch; batch and heads), batch 1, one query or
# one key, cross-attention (Tq != Tk) and sizes that coincide, every value regime (scores of
# about 1e6 included), masks of every rank that broadcasts to (..., Tq, Tk) with fully masked
# rows, and the refusals: shapes that do not fit, a mask that is not bool, does not broadcast or
# would enlarge the scores. attention is compared on out and on the cache's documented weights.
# Each case is built from one drawn seed; its note names the regimes and the mask.

from grader.engine import domains as dom  # noqa: E402
from grader.engine.differential import Contract, case, contract_tests  # noqa: E402

_LEADS = [(), (1,), (2,), (3,), (2, 2), (1, 3)]


def _mask(rng, shape):
    """A bool mask that broadcasts to ``shape``: trailing axes, each kept or of size 1."""
    rank = int(rng.integers(1, len(shape) + 1))
    mask_shape = tuple(n if rng.random() < 0.5 else 1 for n in shape[len(shape) - rank:])
    return rng.random(mask_shape) < rng.choice([0.3, 0.6, 1.0])


def _attention_case(rng, max_lead=3):
    lead = tuple(min(n, max_lead) for n in _LEADS[int(rng.integers(len(_LEADS)))])
    t_q, t_k, d_k, d_v = (int(n) for n in rng.integers(1, 5, size=4))
    regimes = [str(r) for r in rng.choice(["normal", "wide", "large", "small", "ties"], size=2)]
    regimes.append(str(rng.choice(dom.FLOAT_REGIMES)))
    q = dom.fill(rng, lead + (t_q, d_k), regimes[0])
    k = dom.fill(rng, lead + (t_k, d_k), regimes[1])
    v = dom.fill(rng, lead + (t_k, d_v), regimes[2])
    mask = None if rng.random() < 0.3 else _mask(rng, lead + (t_q, t_k))
    note = f"q {regimes[0]}, k {regimes[1]}, v {regimes[2]}"
    return case(q, k, v, mask, note=note + ("" if mask is None else f", mask {mask.shape}"))


from grader.engine.domains import seeded as _seeded  # noqa: E402


_Q, _K, _V = np.ones((2, 3, 5)), np.ones((2, 4, 5)), np.ones((2, 4, 6))
_REFUSED = [
    case(_Q, np.ones((2, 4, 4)), _V, note="q and k of different d_k"),
    case(_Q, _K, np.ones((2, 3, 6)), note="k and v of different lengths"),
    case(_Q, np.ones((1, 4, 5)), np.ones((1, 4, 6)), note="different batch axes"),
    case(np.ones(5), np.ones(5), np.ones(6), note="1-d inputs"),
    case(_Q, _K, _V, np.ones((4, 3), dtype=bool), note="a (4, 3) mask for (2, 3, 4) scores"),
    case(_Q, _K, _V, np.ones((5, 2, 3, 4), dtype=bool), note="a mask that would enlarge the scores"),
    case(_Q, _K, _V, np.ones((3, 4)), note="a float 0/1 mask"),
    case(_Q, _K, _V, np.zeros((2, 1, 4), dtype=np.int64), note="an integer mask"),
]

CONTRACTS = [
    Contract("phase2_attention.attention", "attention_loops", _seeded(lambda rng: _attention_case(rng, max_lead=2)),
             examples=8, exercise="attention_loops", fixed=_REFUSED + [
                 case(_Q[:1], _K[:1], _V[:1], np.array([[False] * 4, [True, True, False, False], [True] * 4]),
                      note="a fully masked first row, then rows that see keys")]),
    Contract("phase2_attention.attention", "attention", _seeded(_attention_case), examples=12, exercise="attention",
             fixed=_REFUSED, project=lambda result: (result[0], result[1]["weights"])),
]
globals().update(contract_tests(CONTRACTS))
