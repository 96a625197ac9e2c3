"""Public tests of phase 2: run them with `make check PHASE=phase2_attention`.

Each test names the exercise it belongs to; `make check PHASE=phase2_attention ARGS='-k mask'`
runs one exercise's tests. The grader runs more, hidden, tests and its own gradient checks.
The expected values here come from small hand computations or straightforward loops, never from
the code under test.
"""

import math

import numpy as np
import pytest

from grader.engine.testing import assert_close, assert_raises, expect_array, module_fixture

mk = module_fixture("phase2_attention.mask")
att = module_fixture("phase2_attention.attention")
mh = module_fixture("phase2_attention.multi_head")
gc = module_fixture("phase2_attention.gradcheck", timeout=60)

NAMES = ("wq", "bq", "wk", "bk", "wv", "bv", "wo", "bo")


def loop_attention(q, k, v, mask=None):
    """One query at a time, for q (B, Tq, d), k (B, Tk, d), v (B, Tk, d_v); fully masked rows give 0."""
    b, t_q, d = q.shape
    t_k = k.shape[1]
    allowed = np.ones((b, t_q, t_k), dtype=bool) if mask is None else np.broadcast_to(mask, (b, t_q, t_k))
    out = np.zeros((b, t_q, v.shape[2]))
    for n in range(b):
        for i in range(t_q):
            visible = [j for j in range(t_k) if allowed[n, i, j]]
            if not visible:
                continue
            s = np.array([q[n, i] @ k[n, j] / math.sqrt(d) for j in visible])
            w = np.exp(s - s.max())
            out[n, i] = (w / w.sum()) @ v[n, visible]
    return out


def central_differences(f, x, dout, eps=1e-6):
    """d/dx of sum(f(x) * dout), one entry at a time."""
    grad = np.zeros_like(x)
    for i in range(x.size):
        plus, minus = x.copy(), x.copy()
        plus.flat[i] += eps
        minus.flat[i] -= eps
        grad.flat[i] = (np.sum(f(plus) * dout) - np.sum(f(minus) * dout)) / (2 * eps)
    return grad


def random_params(rng, d):
    return {n: rng.normal(0.0, 0.5, size=(d, d) if n[0] == "w" else (d,)) for n in NAMES}


# -- 2.1 mask ------------------------------------------------------------------------------------

@pytest.mark.exercise("mask")
def test_mask_causal_3x3(mk):
    got = expect_array(mk.causal_mask(3), "causal_mask(3)", shape=(3, 3), kind="b")
    expected = np.array([[True, False, False], [True, True, False], [True, True, True]])
    if not np.array_equal(got, expected):
        raise AssertionError(f"causal_mask(3): got\n{got}\nexpected (True = may attend)\n{expected}")


@pytest.mark.exercise("mask")
def test_mask_padding_of_lengths_2_and_4(mk):
    got = expect_array(mk.padding_mask(np.array([2, 4]), 4), "padding_mask([2, 4], 4)", shape=(2, 1, 4), kind="b")
    expected = np.array([[[True, True, False, False]], [[True, True, True, True]]])
    if not np.array_equal(got, expected):
        raise AssertionError(f"padding_mask([2, 4], 4): got\n{got}\nexpected\n{expected}")


@pytest.mark.exercise("mask")
def test_mask_padding_refuses_a_length_past_the_end(mk):
    mk.padding_mask(np.array([1, 3]), 3)
    assert_raises(ValueError, lambda: mk.padding_mask(np.array([1, 6]), 3), "padding_mask([1, 6], t=3)",
                  mentions=("6", "3"))


@pytest.mark.exercise("mask")
def test_mask_apply_writes_minus_inf_before_the_softmax(mk):
    scores = np.array([[1.0, 2.0], [3.0, 4.0]])
    got = expect_array(mk.apply_mask(scores, np.array([[True, False], [True, True]])), "apply_mask", shape=(2, 2),
                       finite=False)
    if not (np.isneginf(got[0, 1]) and np.array_equal(got[[0, 1, 1], [0, 0, 1]], [1.0, 3.0, 4.0])):
        raise AssertionError(f"apply_mask: expected [[1, -inf], [3, 4]], got {got.tolist()}")


@pytest.mark.exercise("mask")
def test_mask_combine_causal_and_padding(mk):
    causal = np.tril(np.ones((3, 3), dtype=bool))
    padding = np.array([[[True, True, False]]])
    got = expect_array(mk.combine_masks(causal, padding), "combine_masks((3, 3), (1, 1, 3))", shape=(1, 3, 3), kind="b")
    if not np.array_equal(got[0], causal & padding[0]):
        raise AssertionError(f"combine_masks: expected the logical and, got\n{got[0]}")


# -- 2.2 attention with loops --------------------------------------------------------------------

@pytest.mark.exercise("attention_loops")
def test_attention_loops_one_query_two_keys_by_hand(att):
    # scores q . k / sqrt(2) = (1, 0): weights e / (e + 1) and 1 / (e + 1)
    q = np.array([[[1.0, 1.0]]])
    h = math.sqrt(2.0) / 2
    k = np.array([[[h, h], [0.0, 0.0]]])  # q . k_0 = sqrt(2), q . k_1 = 0
    v = np.array([[[10.0], [0.0]]])
    e = math.e
    got = expect_array(att.attention_loops(q, k, v), "attention_loops", shape=(1, 1, 1))
    assert_close(got, np.array([[[10.0 * e / (e + 1)]]]), "attention_loops on one query and two keys")


@pytest.mark.exercise("attention_loops")
def test_attention_loops_matches_a_plain_loop(att, rng):
    q, k, v = rng.normal(size=(2, 3, 5)), rng.normal(size=(2, 4, 5)), rng.normal(size=(2, 4, 6))
    got = expect_array(att.attention_loops(q, k, v), "attention_loops", shape=(2, 3, 6))
    assert_close(got, loop_attention(q, k, v), "attention_loops(q (2, 3, 5), k (2, 4, 5), v (2, 4, 6))")


@pytest.mark.exercise("attention_loops")
def test_attention_loops_causal_first_query_sees_only_the_first_value(att, rng):
    q, k, v = rng.normal(size=(2, 4, 3)), rng.normal(size=(2, 4, 3)), rng.normal(size=(2, 4, 5))
    got = expect_array(att.attention_loops(q, k, v, np.tril(np.ones((4, 4), dtype=bool))), "attention_loops, causal",
                       shape=(2, 4, 5))
    assert_close(got[:, 0], v[:, 0], "output of query 0 under a causal mask")


# -- 2.2 attention, vectorised, and its backward pass ---------------------------------------------

@pytest.mark.exercise("attention")
def test_attention_vectorised_equals_the_loops(att, rng):
    q, k, v = rng.normal(size=(2, 3, 5)), rng.normal(size=(2, 4, 5)), rng.normal(size=(2, 4, 6))
    mask = np.array([[[True, True, True, False]], [[True, False, False, False]]])
    out, cache = att.attention(q, k, v, mask)
    expect_array(out, "attention: out", shape=(2, 3, 6))
    assert_close(out, att.attention_loops(q, k, v, mask), "attention against attention_loops", rtol=1e-10)
    assert_close(out, loop_attention(q, k, v, mask), "attention against a plain loop")


@pytest.mark.exercise("attention")
def test_attention_weights_are_cached_and_rows_sum_to_one(att, rng):
    q, k, v = rng.normal(size=(2, 3, 5)), rng.normal(size=(2, 4, 5)), rng.normal(size=(2, 4, 6))
    _, cache = att.attention(q, k, v)
    weights = expect_array(cache["weights"], "cache['weights']", shape=(2, 3, 4))
    assert_close(weights.sum(axis=-1), np.ones((2, 3)), "row sums of the attention weights")


@pytest.mark.exercise("attention")
def test_attention_fully_masked_row_is_zero_not_nan(att, rng):
    q, k, v = rng.normal(size=(1, 2, 3)), rng.normal(size=(1, 3, 3)), rng.normal(size=(1, 3, 4))
    mask = np.array([[[True, True, False], [False, False, False]]])  # query 1 may look at nothing
    out, cache = att.attention(q, k, v, mask)
    out = expect_array(out, "attention with a fully masked row", shape=(1, 2, 4))
    assert_close(out[0, 1], np.zeros(4), "output of a fully masked row (defined as 0)", atol=0)
    assert_close(cache["weights"][0, 1], np.zeros(3), "weights of a fully masked row (defined as 0)", atol=0)


@pytest.mark.exercise("attention")
def test_attention_backward_matches_finite_differences(att, rng):
    q, k, v = rng.normal(size=(2, 3, 5)), rng.normal(size=(2, 4, 5)), rng.normal(size=(2, 4, 6))
    mask = np.array([[[True, True, True, False]], [[True, True, False, False]]])
    out, cache = att.attention(q, k, v, mask)
    dout = rng.normal(size=(2, 3, 6))
    dq, dk, dv = att.attention_backward(dout, cache)
    tol = {"rtol": 1e-5, "atol": 1e-7}
    assert_close(dq, central_differences(lambda x: att.attention(x, k, v, mask)[0], q, dout), "dq", **tol)
    assert_close(dk, central_differences(lambda x: att.attention(q, x, v, mask)[0], k, dout), "dk", **tol)
    assert_close(dv, central_differences(lambda x: att.attention(q, k, x, mask)[0], v, dout), "dv", **tol)


# -- 2.3 multi-head attention --------------------------------------------------------------------

@pytest.mark.exercise("multi_head")
def test_multi_head_split_and_merge(mh):
    x = np.arange(2 * 3 * 8, dtype=np.float64).reshape(2, 3, 8)
    heads = expect_array(mh.split_heads(x, 2), "split_heads(x (2, 3, 8), 2)", shape=(2, 2, 3, 4))
    assert_close(heads[1, 1, 2], x[1, 2, 4:], "split_heads: head 1 of position 2 holds features 4..7", atol=0)
    assert_close(mh.merge_heads(heads), x, "merge_heads(split_heads(x))", atol=0)


@pytest.mark.exercise("multi_head")
def test_multi_head_attention_matches_a_loop_over_heads(mh, rng):
    p = random_params(rng, 8)
    x_q, x_kv = rng.normal(size=(2, 3, 8)), rng.normal(size=(2, 5, 8))
    out, cache = mh.multi_head_attention(x_q, x_kv, p, 2)
    out = expect_array(out, "multi_head_attention: out", shape=(2, 3, 8))
    expect_array(cache["weights"], "cache['weights']", shape=(2, 2, 3, 5))
    heads = []
    for h in range(2):
        cols = slice(4 * h, 4 * h + 4)
        heads.append(loop_attention(x_q @ p["wq"][:, cols] + p["bq"][cols], x_kv @ p["wk"][:, cols] + p["bk"][cols],
                                    x_kv @ p["wv"][:, cols] + p["bv"][cols]))
    expected = np.concatenate(heads, axis=2) @ p["wo"] + p["bo"]
    assert_close(out, expected, "multi_head_attention against a loop over heads")


@pytest.mark.exercise("multi_head")
def test_multi_head_refuses_a_width_not_divisible_by_the_heads(mh):
    mh.init_multi_head(6, 2, 0)
    assert_raises(ValueError, lambda: mh.init_multi_head(6, 4, 0), "init_multi_head(6, 4)", mentions=("6", "4"))


@pytest.mark.exercise("multi_head")
def test_multi_head_backward_matches_finite_differences_for_wq_and_bo(mh, rng):
    p = random_params(rng, 6)
    x = rng.normal(size=(2, 4, 6))
    mask = np.tril(np.ones((4, 4), dtype=bool))
    out, cache = mh.multi_head_attention(x, x, p, 3, mask)
    dout = rng.normal(size=(2, 4, 6))
    dx_q, dx_kv, grads = mh.multi_head_attention_backward(dout, cache)
    for name in ("wq", "bo"):
        def f(w, name=name):
            return mh.multi_head_attention(x, x, {**p, name: w}, 3, mask)[0]

        numeric = central_differences(f, p[name], dout)
        assert_close(grads[name], numeric, f"grads[{name!r}]", rtol=1e-5, atol=1e-7)
    numeric = central_differences(lambda y: mh.multi_head_attention(y, y, p, 3, mask)[0], x, dout)
    assert_close(dx_q + dx_kv, numeric, "self-attention: dx_q + dx_kv", rtol=1e-5, atol=1e-7)


# -- 2.4 gradient checks -------------------------------------------------------------------------

@pytest.mark.exercise("gradcheck")
def test_gradcheck_every_check_passes(gc):
    failed = [f"{check} / {name} (rel. error {report['rel_error']:.1e})"
              for check, reports in gc.run_all(0).items() for name, report in reports.items() if not report["passed"]]
    if failed:
        raise AssertionError("gradcheck.run_all: failing checks: " + "; ".join(failed))


# -- golden cases: inputs and outputs of the reference over many shapes and value regimes ----------
# (tests/_snapshots/*.npz, written by the course authors with python -m grader.authoring.snapshots)

from grader.authoring.snapshots import snapshot_tests  # noqa: E402

globals().update(snapshot_tests(__file__))
