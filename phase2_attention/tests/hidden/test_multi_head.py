"""Hidden tests: multi_head.py, against an independent per-head loop.

``per_head_oracle`` never reshapes: head h uses columns h*d_head:(h+1)*d_head of wq, wk, wv,
attends with plain loops, and the heads are concatenated in order. A split that mixes positions,
a merge in the wrong order or a head axis in the wrong place cannot agree with it.
Sizes: batch 2, Tq 3, Tk 5, d_model 8, 2 heads of width 4 (self-attention: batch 3, T 5).
"""

import math

import numpy as np
import pytest

from grader.engine.testing import assert_close, assert_raises, expect_array, module_fixture, reference_fixture

mh = module_fixture("phase2_attention.multi_head")
ref = reference_fixture("phase2_attention.multi_head")

pytestmark = pytest.mark.exercise("multi_head")

B, TQ, TK, D, H = 2, 3, 5, 8, 2
NAMES = ("wq", "bq", "wk", "bk", "wv", "bv", "wo", "bo")


def one_head(q, k, v, mask):
    """q (B, Tq, d), k and v (B, Tk, d), mask broadcastable to (B, Tq, Tk) -> (out, weights)."""
    b, t_q, d = q.shape
    t_k = k.shape[1]
    allowed = np.ones((b, t_q, t_k), dtype=bool) if mask is None else np.broadcast_to(mask, (b, t_q, t_k))
    out, weights = np.zeros((b, t_q, v.shape[2])), np.zeros((b, t_q, t_k))
    for n in range(b):
        for i in range(t_q):
            visible = [j for j in range(t_k) if allowed[n, i, j]]
            if not visible:
                continue
            s = {j: float(q[n, i] @ k[n, j]) / math.sqrt(d) for j in visible}
            top = max(s.values())
            total = sum(math.exp(x - top) for x in s.values())
            for j in visible:
                weights[n, i, j] = math.exp(s[j] - top) / total
                out[n, i] += weights[n, i, j] * v[n, j]
    return out, weights


def per_head_oracle(x_q, x_kv, p, n_heads, mask=None):
    """(out (B, Tq, D), weights (B, H, Tq, Tk)) by a loop over heads and column slices."""
    d_head = x_q.shape[2] // n_heads
    outs, weights = [], []
    for h in range(n_heads):
        cols = slice(h * d_head, (h + 1) * d_head)
        q = x_q @ p["wq"][:, cols] + p["bq"][cols]
        k = x_kv @ p["wk"][:, cols] + p["bk"][cols]
        v = x_kv @ p["wv"][:, cols] + p["bv"][cols]
        o, w = one_head(q, k, v, mask)
        outs.append(o)
        weights.append(w)
    return np.concatenate(outs, axis=2) @ p["wo"] + p["bo"], np.stack(weights, axis=1)


def random_params(rng, d=D):
    return {n: rng.normal(0.0, 0.5, size=(d, d) if n[0] == "w" else (d,)) for n in NAMES}


def causal(t):
    return np.tril(np.ones((t, t), dtype=bool))


def padding(lengths, t):
    return (np.arange(t)[None, :] < np.asarray(lengths)[:, None])[:, None, :]


def forward(mh, x_q, x_kv, p, n_heads, mask=None):
    result = mh.multi_head_attention(x_q, x_kv, p, n_heads, mask)
    if not isinstance(result, tuple) or len(result) != 2:
        raise AssertionError("multi_head_attention: expected a tuple (out, cache)")
    out, cache = result
    out = expect_array(out, "multi_head_attention: out", shape=x_q.shape)
    if not isinstance(cache, dict) or "weights" not in cache:
        raise AssertionError("multi_head_attention: the cache must be a dict with the weights under 'weights'")
    weights = expect_array(cache["weights"], "multi_head_attention: cache['weights']",
                           shape=(x_q.shape[0], n_heads, x_q.shape[1], x_kv.shape[1]))
    return out, cache, weights


# -- init_multi_head -----------------------------------------------------------------------------

def test_init_multi_head_gives_every_parameter_with_its_shape_and_zero_biases(mh):
    params = mh.init_multi_head(D, H, 0)
    if not isinstance(params, dict) or sorted(params) != sorted(NAMES):
        got = sorted(params) if isinstance(params, dict) else type(params).__name__
        raise AssertionError(f"init_multi_head: expected a dict with keys {sorted(NAMES)}, got {got}")
    for name in NAMES:
        expect_array(params[name], f"init_multi_head: {name}", shape=(D, D) if name[0] == "w" else (D,))
        if params[name].dtype != np.float64:
            raise AssertionError(f"init_multi_head: {name} must be float64, got {params[name].dtype}")
    for name in ("bq", "bk", "bv", "bo"):
        assert_close(params[name], np.zeros(D), f"init_multi_head: {name} (biases start at 0)", atol=0)


def test_init_multi_head_is_reproducible_and_draws_four_different_matrices(mh):
    a, b, c = mh.init_multi_head(D, H, 3), mh.init_multi_head(D, H, 3), mh.init_multi_head(D, H, 4)
    for name in ("wq", "wk", "wv", "wo"):
        assert_close(b[name], a[name], f"init_multi_head: {name} with the same seed twice", rtol=0, atol=0)
    if np.allclose(a["wq"], c["wq"]):
        raise AssertionError("init_multi_head: seeds 3 and 4 gave the same wq; draw from np.random.default_rng(seed)")
    if np.allclose(a["wq"], a["wk"]) or np.allclose(a["wk"], a["wv"]) or np.allclose(a["wv"], a["wo"]):
        raise AssertionError("init_multi_head: the four weight matrices must be different draws")


def test_init_multi_head_weights_have_variance_one_over_d_model(mh):
    params = mh.init_multi_head(64, 4, 1)
    for name in ("wq", "wk", "wv", "wo"):
        std = float(np.std(params[name]))
        if not 0.85 / 8 < std < 1.15 / 8:
            raise AssertionError(f"init_multi_head(64, 4): std of {name} is {std:.4f}, expected about "
                                 f"1 / sqrt(64) = 0.125")
        if abs(float(np.mean(params[name]))) > 0.02:
            raise AssertionError(f"init_multi_head: mean of {name} is {np.mean(params[name]):.4f}, expected about 0")


def test_init_multi_head_refuses_a_width_not_divisible_by_the_heads(mh):
    mh.init_multi_head(6, 3, 0)
    assert_raises(ValueError, lambda: mh.init_multi_head(6, 4, 0), "init_multi_head(d_model=6, n_heads=4)",
                  mentions=("6", "4"))


# -- split_heads and merge_heads -----------------------------------------------------------------

def test_split_heads_puts_each_slice_of_features_in_its_own_head(mh):
    x = np.arange(B * TQ * D, dtype=np.float64).reshape(B, TQ, D)
    got = expect_array(mh.split_heads(x, H), "split_heads(x (2, 3, 8), 2)", shape=(B, H, TQ, D // H))
    expected = np.zeros((B, H, TQ, D // H))
    for b in range(B):
        for h in range(H):
            for t in range(TQ):
                expected[b, h, t] = x[b, t, h * 4:(h + 1) * 4]
    assert_close(got, expected, "split_heads: out[b, h, t] must be x[b, t, h*d_head:(h+1)*d_head]", atol=0)


def test_split_heads_with_four_heads(mh):
    x = np.arange(3 * 5 * 8, dtype=np.float64).reshape(3, 5, 8)
    got = expect_array(mh.split_heads(x, 4), "split_heads(x (3, 5, 8), 4)", shape=(3, 4, 5, 2))
    assert_close(got[2, 3, 1], x[2, 1, 6:8], "split_heads(x, 4)[2, 3, 1]", atol=0)
    assert_close(got[1, 0, 4], x[1, 4, 0:2], "split_heads(x, 4)[1, 0, 4]", atol=0)


def test_merge_heads_undoes_split_heads(mh, rng):
    x = rng.normal(size=(B, TQ, D))
    heads = rng.normal(size=(B, H, TQ, 4))
    merged = expect_array(mh.merge_heads(heads), "merge_heads(x (2, 2, 3, 4))", shape=(B, TQ, D))
    assert_close(merged[:, :, 4:], heads[:, 1], "merge_heads: features 4..7 must come from head 1", atol=0)
    assert_close(mh.merge_heads(mh.split_heads(x, H)), x, "merge_heads(split_heads(x))", atol=0)


def test_split_heads_refuses_a_width_not_divisible_by_the_heads(mh, rng):
    mh.split_heads(rng.normal(size=(2, 3, 6)), 3)
    assert_raises(ValueError, lambda: mh.split_heads(rng.normal(size=(2, 3, 6)), 4), "split_heads of width 6 into 4")


# -- multi_head_attention ------------------------------------------------------------------------

def test_multi_head_attention_matches_a_per_head_loop_for_cross_attention(mh, rng):
    p = random_params(rng)
    x_q, x_kv = rng.normal(size=(B, TQ, D)), rng.normal(size=(B, TK, D))
    out, _, weights = forward(mh, x_q, x_kv, p, H)
    expected_out, expected_weights = per_head_oracle(x_q, x_kv, p, H)
    assert_close(weights, expected_weights, "weights of each head (2, 2, 3, 5)")
    assert_close(out, expected_out, "multi_head_attention output (2, 3, 8)")


def test_multi_head_self_attention_with_a_causal_mask_matches_a_per_head_loop(mh, rng):
    p = random_params(rng)
    x = rng.normal(size=(3, TK, D))
    out, _, weights = forward(mh, x, x, p, H, causal(TK))
    expected_out, expected_weights = per_head_oracle(x, x, p, H, causal(TK))
    assert_close(weights, expected_weights, "causal self-attention weights of each head")
    assert_close(out, expected_out, "causal self-attention output")


def test_multi_head_attention_with_four_heads_matches_a_per_head_loop(mh, rng):
    p = random_params(rng)
    x_q, x_kv = rng.normal(size=(B, TQ, D)), rng.normal(size=(B, TK, D))
    out, _, _ = forward(mh, x_q, x_kv, p, 4)
    assert_close(out, per_head_oracle(x_q, x_kv, p, 4)[0], "multi_head_attention with 4 heads of width 2")


def test_multi_head_attention_with_a_padding_mask_and_an_empty_sequence(mh, rng):
    # sequence 1 has no keys at all: its heads give 0, so its output is the output bias bo
    p = random_params(rng)
    x_q, x_kv = rng.normal(size=(B, TQ, D)), rng.normal(size=(B, TK, D))
    mask = padding([3, 0], TK)
    out, _, weights = forward(mh, x_q, x_kv, p, H, mask)
    expected_out, expected_weights = per_head_oracle(x_q, x_kv, p, H, mask)
    assert_close(weights, expected_weights, "weights with a padding mask (sequence 1 fully masked: 0)")
    assert_close(out, expected_out, "output with a padding mask")
    assert_close(out[1], np.broadcast_to(p["bo"], (TQ, D)), "output of a fully masked sequence (= bo)")


def test_multi_head_attention_refuses_a_width_not_divisible_by_the_heads(mh, rng):
    p = random_params(rng, 6)
    x = rng.normal(size=(B, TQ, 6))
    forward(mh, x, x, p, 3)
    assert_raises(ValueError, lambda: mh.multi_head_attention(x, x, p, 4), "multi_head_attention, d_model 6, 4 heads",
                  mentions=("6", "4"))


def test_multi_head_attention_refuses_inputs_of_different_widths(mh, rng):
    p = random_params(rng)
    x_q = rng.normal(size=(B, TQ, D))
    forward(mh, x_q, rng.normal(size=(B, TK, D)), p, H)
    assert_raises(ValueError, lambda: mh.multi_head_attention(x_q, rng.normal(size=(B, TK, 6)), p, H),
                  "multi_head_attention with x_q (2, 3, 8) and x_kv (2, 5, 6)", mentions=("(2, 3, 8)", "(2, 5, 6)"))


def test_multi_head_attention_refuses_a_weight_of_the_wrong_shape(mh, rng):
    p = random_params(rng)
    x = rng.normal(size=(B, TQ, D))
    forward(mh, x, x, p, H)
    bad = {**p, "wv": rng.normal(size=(D, 6))}
    assert_raises(ValueError, lambda: mh.multi_head_attention(x, x, bad, H), "multi_head_attention with wv (8, 6)",
                  mentions=("(8, 6)",))


# -- multi_head_attention_backward ---------------------------------------------------------------

def backward(mh, x_q, x_kv, p, n_heads, mask, dout):
    _, cache, _ = forward(mh, x_q, x_kv, p, n_heads, mask)
    result = mh.multi_head_attention_backward(dout, cache)
    if not isinstance(result, tuple) or len(result) != 3:
        raise AssertionError("multi_head_attention_backward: expected a tuple (dx_q, dx_kv, grads)")
    dx_q, dx_kv, grads = result
    expect_array(dx_q, "dx_q", shape=x_q.shape)
    expect_array(dx_kv, "dx_kv", shape=x_kv.shape)
    if not isinstance(grads, dict) or sorted(grads) != sorted(NAMES):
        raise AssertionError(f"multi_head_attention_backward: grads must be a dict with keys {sorted(NAMES)}")
    for name in NAMES:
        expect_array(grads[name], f"grads[{name!r}]", shape=p[name].shape)
    return dx_q, dx_kv, grads


def test_multi_head_backward_matches_the_reference_with_a_padding_mask(mh, ref, rng):
    p = random_params(rng)
    x_q, x_kv = rng.normal(size=(B, TQ, D)), rng.normal(size=(B, TK, D))
    mask, dout = padding([5, 2], TK), rng.normal(size=(B, TQ, D))
    dx_q, dx_kv, grads = backward(mh, x_q, x_kv, p, H, mask, dout)
    r_q, r_kv, r_grads = ref.multi_head_attention_backward(dout, ref.multi_head_attention(x_q, x_kv, p, H, mask)[1])
    for name in ("wo", "bo", "wv", "bv", "wq", "bq", "wk"):
        assert_close(grads[name], r_grads[name], f"grads[{name!r}]")
    assert_close(dx_q, r_q, "dx_q")
    assert_close(dx_kv, r_kv, "dx_kv")


def test_multi_head_backward_output_bias_gradient_sums_over_batch_and_time(mh, rng):
    p = random_params(rng)
    x_q, x_kv = rng.normal(size=(B, TQ, D)), rng.normal(size=(B, TK, D))
    dout = rng.normal(size=(B, TQ, D))
    _, _, grads = backward(mh, x_q, x_kv, p, H, None, dout)
    assert_close(grads["bo"], dout.sum(axis=(0, 1)), "grads['bo'] = dout summed over batch and time")
    # every row of weights sums to 1, so bv reaches each output row once: dbv = sum of dout @ wo^T
    assert_close(grads["bv"], (dout @ p["wo"].T).sum(axis=(0, 1)), "grads['bv'] = (dout @ wo^T) summed over b, t")


def test_multi_head_backward_key_bias_gradient_is_zero(mh, rng):
    # adding bk to every key adds q . bk to every score of a row: softmax does not see it
    p = random_params(rng)
    x_q, x_kv = rng.normal(size=(B, TQ, D)), rng.normal(size=(B, TK, D))
    _, _, grads = backward(mh, x_q, x_kv, p, H, causal(TK)[:TQ], rng.normal(size=(B, TQ, D)))
    assert_close(grads["bk"], np.zeros(D), "grads['bk'] (exactly 0 up to round-off)", atol=1e-10)


def test_multi_head_backward_weight_gradient_is_not_transposed(mh, rng):
    # wo's gradient is concat^T dout summed over b, t; with wo's rows and columns both of size 8 a
    # transposed gradient has the right shape, only the values tell
    p = random_params(rng)
    x_q, x_kv = rng.normal(size=(B, TQ, D)), rng.normal(size=(B, TK, D))
    dout = rng.normal(size=(B, TQ, D))
    _, _, grads = backward(mh, x_q, x_kv, p, H, None, dout)
    heads = per_head_oracle(x_q, x_kv, {**p, "wo": np.eye(D), "bo": np.zeros(D)}, H)[0]  # the concatenated heads
    assert_close(grads["wo"], np.einsum("btc,btd->cd", heads, dout), "grads['wo'] = sum_bt concat[b, t]^T dout[b, t]")


def test_multi_head_backward_refuses_dout_of_the_wrong_shape(mh, rng):
    p = random_params(rng)
    x_q, x_kv = rng.normal(size=(B, TQ, D)), rng.normal(size=(B, TK, D))
    _, cache, _ = forward(mh, x_q, x_kv, p, H)
    mh.multi_head_attention_backward(np.ones((B, TQ, D)), cache)
    assert_raises(ValueError, lambda: mh.multi_head_attention_backward(np.ones((B, TK, D)), cache),
                  "multi_head_attention_backward with dout (2, 5, 8) for out (2, 3, 8)", mentions=("(2, 5, 8)",))
    assert_raises(ValueError, lambda: mh.multi_head_attention_backward(np.ones((1, TQ, D)), cache),
                  "multi_head_attention_backward with dout (1, 3, 8) for out (2, 3, 8)")


# -- the whole contract, against the reference ---------------------------------------------------
# One head and several (up to one per feature), batch 1, one query or one key, self- and
# cross-attention, value regimes, random biases, masks shared by the heads ((Tk,), (Tq, Tk),
# (B, 1, Tk), (B, Tq, Tk) ...) and per head ((B, H, Tq, Tk), (B, 1, Tq, Tk) ...), batch equal to
# the number of heads (a 3-d mask lined up with the head axis shows), and every refusal.
# init_multi_head is compared on what its docstring fixes (keys, shapes, zero biases, four
# different matrices of standard deviation 1/sqrt(d_model)), not on the order of its draws.
# Each case is built from one drawn seed; its note names the regimes and the mask.

from grader.engine import domains as dom  # noqa: E402
from grader.engine.differential import Contract, case, contract_tests  # noqa: E402


def _mask(rng, shape, min_rank=1):
    """A bool mask broadcasting to ``shape``: trailing axes (at least ``min_rank``), each kept or 1."""
    rank = int(rng.integers(min_rank, len(shape) + 1))
    mask_shape = tuple(n if rng.random() < 0.5 else 1 for n in shape[len(shape) - rank:])
    return rng.random(mask_shape) < rng.choice([0.3, 0.6, 1.0])


def _heads_mask(rng, b, h, t_q, t_k):
    kind = rng.integers(3)
    if kind == 0:
        return None
    if kind == 1:  # broadcasts to (B, Tq, Tk): every head gets the same mask
        return _mask(rng, (b, t_q, t_k))
    return _mask(rng, (b, h, t_q, t_k), min_rank=4)  # one mask per head


def _random_params(rng, d):
    return {n: rng.normal(0.0, 0.5, size=(d, d) if n[0] == "w" else (d,)) for n in NAMES}


def _mha_case(rng):
    h, d_head = (int(n) for n in rng.integers(1, 4, size=2))
    d = h * d_head
    b, t_q = (1, 2, h)[int(rng.integers(3))], int(rng.integers(1, 5))
    regime = str(rng.choice(["normal", "wide", "ties", "small"]))
    x_q = dom.fill(rng, (b, t_q, d), regime)
    if rng.random() < 0.5:
        x_kv, t_k, note = x_q, t_q, f"self-attention, x {regime}"
    else:
        t_k = int(rng.integers(1, 5))
        x_kv, note = dom.fill(rng, (b, t_k, d), "normal"), f"cross-attention, x_q {regime}"
    mask = _heads_mask(rng, b, h, t_q, t_k)
    return case(x_q, x_kv, _random_params(rng, d), h, mask,
                note=note + ("" if mask is None else f", mask {mask.shape}"))


def _split_case(rng):
    h, d_head = int(rng.integers(1, 5)), int(rng.integers(1, 4))
    shape = (int(rng.integers(1, 4)), int(rng.integers(1, 5)), h * d_head)
    regime = str(rng.choice(dom.FLOAT_REGIMES))
    return case(dom.fill(rng, shape, regime), h, note=regime)


def _merge_case(rng):
    return case(rng.normal(size=tuple(int(n) for n in rng.integers(1, 5, size=4))))


def _init_case(rng):
    d, h = [(40, 1), (48, 4), (48, 3), (64, 8), (64, 64)][int(rng.integers(5))]
    return case(d, h, int(rng.integers(2**31)))


from grader.engine.domains import seeded as _seeded  # noqa: E402


def _init_summary(params):
    """What init_multi_head's docstring fixes, independent of the order of the draws."""
    d = params["bq"].shape[0]
    weights = [np.asarray(params[n]) for n in ("wq", "wk", "wv", "wo")]
    return {
        "keys": sorted(params),
        "shapes": {n: np.array(np.shape(params[n])) for n in NAMES},
        "dtypes": {n: np.asarray(params[n]).dtype.kind for n in NAMES},
        "biases": {n: np.asarray(params[n]) for n in ("bq", "bk", "bv", "bo")},
        "std is 1/sqrt(d_model)": [bool(abs(w.std() * np.sqrt(d) - 1.0) < 0.15) for w in weights],
        "mean is 0": [bool(abs(w.mean()) * np.sqrt(d) < 0.2) for w in weights],
        "different draws": len({w.tobytes() for w in weights}),
    }


_P6 = _random_params(np.random.default_rng(0), 6)
_X6 = np.ones((2, 3, 6))
_P8 = _random_params(np.random.default_rng(1), 8)
_X8 = np.ones((2, 3, 8))
_rng = np.random.default_rng(2)
_XQ, _XKV, _P4 = _rng.normal(size=(2, 3, 4)), _rng.normal(size=(2, 4, 4)), _random_params(_rng, 4)
# masks that tell the head axis apart, always: one head and two, shared (2-d, 3-d) and per head (4-d)
_MASKED = [case(_XQ, _XKV, _P4, h, _rng.random(shape) < 0.6, note=f"{h} head(s), mask {shape}")
           for h, shape in ((1, (3, 4)), (1, (2, 3, 4)), (2, (2, 3, 4)), (2, (2, 2, 3, 4)), (2, (1, 2, 1, 4)),
                            (4, (2, 1, 4)))]

CONTRACTS = [
    Contract("phase2_attention.multi_head", "init_multi_head", _seeded(_init_case), examples=4, exercise="multi_head",
             project=_init_summary, fixed=[case(6, 4, 0, note="4 heads do not divide 6")]),
    Contract("phase2_attention.multi_head", "split_heads", _seeded(_split_case), examples=8, exercise="multi_head",
             fixed=[case(np.ones((2, 3, 6)), 4, note="4 heads do not divide 6"),
                    case(np.ones((3, 6)), 2, note="2-d x"), case(np.ones((1, 2, 3, 6)), 2, note="4-d x")]),
    Contract("phase2_attention.multi_head", "merge_heads", _seeded(_merge_case), examples=6, exercise="multi_head",
             fixed=[case(np.ones((2, 3, 4)), note="3-d x"), case(np.ones((1, 2, 3, 4, 5)), note="5-d x")]),
    Contract("phase2_attention.multi_head", "multi_head_attention", _seeded(_mha_case), examples=10,
             exercise="multi_head", project=lambda result: (result[0], result[1]["weights"]),
             fixed=[case(_X6, _X6, _P6, 4, note="4 heads do not divide 6"),
                    case(_X8[0], _X8[0], _P8, 2, note="2-d inputs"),
                    case(_X8, np.ones((1, 3, 8)), _P8, 2, note="different batch sizes"),
                    case(_X8[:1], np.ones((2, 3, 8)), _P8, 2, note="different batch sizes, x_q the smaller"),
                    case(_X8, np.ones((2, 3, 6)), _P8, 2, note="different widths"),
                    case(_X8, _X8, {**_P8, "wv": np.ones((8, 6))}, 2, note="wv of shape (8, 6)"),
                    case(_X8, _X8, {**_P8, "bo": np.ones(6)}, 2, note="bo of shape (6,)"),
                    case(_X8, _X8, {n: _P8[n] for n in NAMES[:-1]}, 2, note="bo missing"),
                    case(_X8, _X8, _P8, 2, np.ones((3, 3)), note="a float mask"),
                    case(_X8, _X8, _P8, 2, np.ones((3, 4), dtype=bool), note="a mask that does not fit"),
                    case(_X8[:, 0], _X8, _P8, 2, note="x_q 2-d (2, 8), x_kv 3-d"),
                    case(_X8, _X8[:, 0], _P8, 2, note="x_q 3-d, x_kv 2-d (2, 8)"),
                    case(np.linspace(-1, 1, 300 * 8).reshape(300, 1, 8), np.ones((300, 2, 8)), _P8, 2,
                         note="batch 300"),
                    case(np.linspace(-1, 1, 300).reshape(1, 1, 300), np.ones((1, 2, 300)) * 0.1,
                         _random_params(np.random.default_rng(2), 300), 2, note="d_model 300"),
                    *_MASKED]),
]
globals().update(contract_tests(CONTRACTS))
