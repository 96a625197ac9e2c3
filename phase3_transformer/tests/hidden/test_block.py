"""Hidden tests: the Transformer block, the stack, initialisation and the parameter count.

The block is compared with an independent implementation written here (attention included), given
the same random weights: random gains, biases and norms, so a swapped or forgotten parameter shows.
Sizes: batch 3, length 5, width 8, 2 heads of width 4, d_ff 12.
"""

import numpy as np
import pytest

from grader.engine.testing import assert_close, assert_raises, expect_array, module_fixture, reference_fixture

tb = module_fixture("phase3_transformer.transformer_block")
ref = reference_fixture("phase3_transformer.transformer_block")

B, T, D, H, F = 3, 5, 8, 2, 12


# -- an independent block -------------------------------------------------------------------------


def _ln(x, gamma, beta, eps=1e-5):
    mu = x.mean(axis=-1, keepdims=True)
    var = x.var(axis=-1, keepdims=True)
    return gamma * (x - mu) / np.sqrt(var + eps) + beta


def _mha(x, p, n_heads, causal):
    b, t, d = x.shape
    dh = d // n_heads

    def heads(y):  # (B, T, D) -> (B, H, T, dh)
        return y.reshape(b, t, n_heads, dh).transpose(0, 2, 1, 3)

    q, k, v = heads(x @ p["wq"] + p["bq"]), heads(x @ p["wk"] + p["bk"]), heads(x @ p["wv"] + p["bv"])
    scores = q @ k.transpose(0, 1, 3, 2) / np.sqrt(dh)  # (B, H, T, T)
    if causal:
        scores = np.where(np.tril(np.ones((t, t), dtype=bool)), scores, -np.inf)
    w = np.exp(scores - scores.max(axis=-1, keepdims=True))
    w /= w.sum(axis=-1, keepdims=True)
    concat = (w @ v).transpose(0, 2, 1, 3).reshape(b, t, d)
    return concat @ p["wo"] + p["bo"]


def _ffn(x, p):
    return np.maximum(x @ p["w1"] + p["b1"], 0.0) @ p["w2"] + p["b2"]


def _block(x, p, n_heads, causal=False, pre_norm=False):
    if pre_norm:
        h = x + _mha(_ln(x, p["ln1_gamma"], p["ln1_beta"]), p["attn"], n_heads, causal)
        return h + _ffn(_ln(h, p["ln2_gamma"], p["ln2_beta"]), p["ffn"])
    h = _ln(x + _mha(x, p["attn"], n_heads, causal), p["ln1_gamma"], p["ln1_beta"])
    return _ln(h + _ffn(h, p["ffn"]), p["ln2_gamma"], p["ln2_beta"])


def _random_block(rng, d=D, f=F):
    attn = {}
    for name in "qkvo":
        attn["w" + name] = rng.normal(size=(d, d)) / np.sqrt(d)
        attn["b" + name] = 0.3 * rng.normal(size=d)
    return {
        "attn": attn,
        "ln1_gamma": 1.0 + 0.3 * rng.normal(size=d), "ln1_beta": 0.3 * rng.normal(size=d),
        "ffn": {"w1": rng.normal(size=(d, f)) / np.sqrt(d), "b1": 0.3 * rng.normal(size=f),
                "w2": rng.normal(size=(f, d)) / np.sqrt(f), "b2": 0.3 * rng.normal(size=d)},
        "ln2_gamma": 1.0 + 0.3 * rng.normal(size=d), "ln2_beta": 0.3 * rng.normal(size=d),
    }


# -- the block ------------------------------------------------------------------------------------


@pytest.mark.exercise("transformer_block")
@pytest.mark.points(2)
def test_post_norm_block_matches_an_independent_implementation(tb, rng):
    x, p = rng.normal(size=(B, T, D)), _random_block(rng)
    out, _ = tb.transformer_block(x, p, H)
    expect_array(out, "transformer_block(x (3, 5, 8))", shape=(B, T, D))
    assert_close(out, _block(x, p, H), "post-norm block: LN2(h + FFN(h)) with h = LN1(x + MHA(x))")


@pytest.mark.exercise("transformer_block")
@pytest.mark.points(2)
def test_pre_norm_block_matches_an_independent_implementation(tb, rng):
    x, p = rng.normal(size=(B, T, D)), _random_block(rng)
    out, _ = tb.transformer_block(x, p, H, pre_norm=True)
    assert_close(out, _block(x, p, H, pre_norm=True), "pre-norm block: h + FFN(LN2(h)) with h = x + MHA(LN1(x))")


@pytest.mark.exercise("transformer_block")
def test_causal_blocks_match_an_independent_implementation(tb, rng):
    x, p = rng.normal(size=(B, T, D)), _random_block(rng)
    assert_close(tb.transformer_block(x, p, H, causal=True)[0], _block(x, p, H, causal=True),
                 "post-norm block with causal=True")
    assert_close(tb.transformer_block(x, p, H, causal=True, pre_norm=True)[0],
                 _block(x, p, H, causal=True, pre_norm=True), "pre-norm block with causal=True")


@pytest.mark.exercise("transformer_block")
def test_post_norm_block_output_has_mean_0_and_variance_1_per_token(tb, rng):
    # the last operation of a post-norm block is a layer norm: with gamma 1 and beta 0 every token is normalised
    x, p = 2.0 * rng.normal(size=(B, T, D)), _random_block(rng)
    p["ln2_gamma"], p["ln2_beta"] = np.ones(D), np.zeros(D)
    out, _ = tb.transformer_block(x, p, H)
    assert_close(out.mean(axis=-1), np.zeros((B, T)), "per-token mean of the post-norm block output", atol=1e-9)
    assert_close(out.var(axis=-1), np.ones((B, T)), "per-token variance of the post-norm block output", atol=1e-3)


@pytest.mark.exercise("transformer_block")
@pytest.mark.parametrize("pre_norm", [False, True], ids=["post_norm", "pre_norm"])
def test_causal_block_output_at_t_ignores_tokens_after_t(tb, rng, pre_norm):
    x, p = rng.normal(size=(B, T, D)), _random_block(rng)
    out, _ = tb.transformer_block(x, p, H, causal=True, pre_norm=pre_norm)
    for t in range(T - 1):
        y = x.copy()
        y[:, t + 1:] = 3.0 * rng.normal(size=(B, T - t - 1, D))
        out_y, _ = tb.transformer_block(y, p, H, causal=True, pre_norm=pre_norm)
        assert_close(out_y[:, : t + 1], out[:, : t + 1],
                     f"causal block: outputs at positions 0..{t} after the tokens after {t} changed", atol=1e-12)


@pytest.mark.exercise("transformer_block")
def test_block_without_a_mask_lets_position_0_see_the_last_token(tb, rng):
    x, p = rng.normal(size=(B, T, D)), _random_block(rng)
    out, _ = tb.transformer_block(x, p, H)
    y = x.copy()
    y[:, -1] += 2.0
    out_y, _ = tb.transformer_block(y, p, H)
    if np.allclose(out_y[:, 0], out[:, 0], atol=1e-6):
        raise AssertionError("transformer_block with causal=False: the output at position 0 did not change when the "
                             "last token changed; without a mask every position attends to every other")


@pytest.mark.exercise("transformer_block")
@pytest.mark.parametrize("pre_norm", [False, True], ids=["post_norm", "pre_norm"])
def test_block_without_positional_encoding_is_permutation_equivariant(tb, rng, pre_norm):
    # no mask and no positions: permuting the tokens permutes the outputs the same way
    x, p = rng.normal(size=(B, T, D)), _random_block(rng)
    perm = np.array([3, 0, 4, 1, 2])
    out, _ = tb.transformer_block(x, p, H, pre_norm=pre_norm)
    out_perm, _ = tb.transformer_block(x[:, perm], p, H, pre_norm=pre_norm)
    assert_close(out_perm, out[:, perm], "block(x[:, perm]) against block(x)[:, perm]")


@pytest.mark.exercise("transformer_block")
def test_block_with_gelu_matches_an_independent_implementation(tb, rng):
    x, p = rng.normal(size=(2, 4, D)), _random_block(rng)
    c = np.sqrt(2.0 / np.pi)
    h = _ln(x + _mha(x, p["attn"], H, False), p["ln1_gamma"], p["ln1_beta"])
    z = h @ p["ffn"]["w1"] + p["ffn"]["b1"]
    f = (0.5 * z * (1.0 + np.tanh(c * (z + 0.044715 * z**3)))) @ p["ffn"]["w2"] + p["ffn"]["b2"]
    expected = _ln(h + f, p["ln2_gamma"], p["ln2_beta"])
    assert_close(tb.transformer_block(x, p, H, activation="gelu")[0], expected, "block with activation='gelu'")


@pytest.mark.exercise("transformer_block")
def test_block_refuses_x_of_the_wrong_width(tb, rng):
    p = _random_block(rng)
    expect_array(tb.transformer_block(rng.normal(size=(2, 3, D)), p, H)[0], "transformer_block(x (2, 3, 8))",
                 shape=(2, 3, D))
    assert_raises(ValueError, lambda: tb.transformer_block(rng.normal(size=(2, 3, 6)), p, H),
                  "transformer_block of x (2, 3, 6) with width-8 parameters")


# -- the stack ------------------------------------------------------------------------------------


@pytest.mark.exercise("transformer_stack")
@pytest.mark.parametrize("causal,pre_norm", [(False, False), (True, True)], ids=["post_norm", "causal_pre_norm"])
def test_stack_equals_the_block_applied_n_times(tb, rng, causal, pre_norm):
    x = rng.normal(size=(B, T, D))
    blocks = [_random_block(rng) for _ in range(3)]
    out, caches = tb.transformer_stack(x, blocks, H, causal=causal, pre_norm=pre_norm)
    expect_array(out, "transformer_stack(x (3, 5, 8)) of 3 blocks", shape=(B, T, D))
    y = x
    for p in blocks:
        y, _ = tb.transformer_block(y, p, H, causal=causal, pre_norm=pre_norm)
    assert_close(out, y, "transformer_stack against your transformer_block applied 3 times")
    expected = x
    for p in blocks:
        expected = _block(expected, p, H, causal=causal, pre_norm=pre_norm)
    assert_close(out, expected, "transformer_stack against an independent implementation")
    if not isinstance(caches, (list, tuple)) or len(caches) != 3:
        raise AssertionError(f"transformer_stack: expected a list of 3 caches, one per block, got {type(caches).__name__}"
                             f" of length {len(caches) if hasattr(caches, '__len__') else '?'}")


@pytest.mark.exercise("transformer_stack")
def test_causal_stack_output_at_t_ignores_tokens_after_t(tb, rng):
    x = rng.normal(size=(2, T, D))
    blocks = [_random_block(rng) for _ in range(2)]
    out, _ = tb.transformer_stack(x, blocks, H, causal=True)
    y = x.copy()
    y[:, 2:] = rng.normal(size=(2, T - 2, D))
    out_y, _ = tb.transformer_stack(y, blocks, H, causal=True)
    assert_close(out_y[:, :2], out[:, :2], "causal stack: positions 0 and 1 after later tokens changed", atol=1e-12)


@pytest.mark.exercise("transformer_stack")
def test_stack_refuses_an_empty_list_of_blocks(tb, rng):
    x = rng.normal(size=(1, 2, D))
    expect_array(tb.transformer_stack(x, [_random_block(rng)], H)[0], "transformer_stack of one block",
                 shape=(1, 2, D))
    assert_raises(ValueError, lambda: tb.transformer_stack(x, [], H), "transformer_stack of no blocks")


# -- initialisation and the parameter count -------------------------------------------------------


def _block_size(d, f):
    return 4 * d * d + 4 * d + 2 * d * f + f + d + 4 * d


@pytest.mark.exercise("init_block")
def test_init_block_has_the_documented_layout(tb):
    p = tb.init_block(D, H, F, 0)
    if not isinstance(p, dict) or set(p) != {"attn", "ln1_gamma", "ln1_beta", "ffn", "ln2_gamma", "ln2_beta"}:
        raise AssertionError(f"init_block: expected keys attn, ln1_gamma, ln1_beta, ffn, ln2_gamma, ln2_beta, got "
                             f"{sorted(p) if isinstance(p, dict) else type(p).__name__}")
    for name in ("wq", "wk", "wv", "wo"):
        expect_array(p["attn"][name], f"init_block: attn[{name!r}]", shape=(D, D))
    for name in ("bq", "bk", "bv", "bo"):
        expect_array(p["attn"][name], f"init_block: attn[{name!r}]", shape=(D,))
    shapes = {"w1": (D, F), "b1": (F,), "w2": (F, D), "b2": (D,)}
    for name, shape in shapes.items():
        expect_array(p["ffn"][name], f"init_block: ffn[{name!r}]", shape=shape)
    for name in ("ln1_gamma", "ln2_gamma"):
        assert_close(p[name], np.ones(D), f"init_block: {name} (a fresh layer norm has gain 1)")
    for name in ("ln1_beta", "ln2_beta"):
        assert_close(p[name], np.zeros(D), f"init_block: {name} (a fresh layer norm has bias 0)")


@pytest.mark.exercise("init_block")
def test_init_block_is_seeded_and_scaled_to_the_width(tb):
    a, b, c = tb.init_block(64, 4, 256, 7), tb.init_block(64, 4, 256, 7), tb.init_block(64, 4, 256, 8)
    assert_close(a["ffn"]["w1"], b["ffn"]["w1"], "init_block: ffn w1 with the same seed", rtol=0, atol=0)
    assert_close(a["attn"]["wq"], b["attn"]["wq"], "init_block: attn wq with the same seed", rtol=0, atol=0)
    if np.array_equal(a["ffn"]["w1"], c["ffn"]["w1"]) or np.array_equal(a["attn"]["wq"], c["attn"]["wq"]):
        raise AssertionError("init_block: seeds 7 and 8 gave the same weights")
    if np.array_equal(a["ffn"]["w1"].ravel()[: 64 * 64], a["attn"]["wq"].ravel()):
        raise AssertionError("init_block: the FFN and the attention drew the same numbers; give them different seeds")
    for name, fan_in in (("w1", 64), ("w2", 256)):
        std, expected = float(a["ffn"][name].std()), 1.0 / np.sqrt(fan_in)
        if not 0.3 * expected < std < 3.0 * expected:
            raise AssertionError(f"init_block(64, 4, 256): ffn {name} has std {std:.3g}; scale it to about "
                                 f"1/sqrt(fan_in) = {expected:.3g} so activations keep their size")


@pytest.mark.exercise("init_block")
def test_init_block_refuses_heads_that_do_not_divide_the_width(tb):
    expect_array(tb.init_block(6, 3, 4, 0)["ffn"]["w1"], "init_block(6, 3, 4): ffn w1", shape=(6, 4))
    assert_raises(ValueError, lambda: tb.init_block(6, 4, 8, 0), "init_block(6, 4, 8) with 4 heads for width 6")


@pytest.mark.exercise("init_block")
def test_init_stack_gives_n_different_reproducible_blocks(tb):
    stack = tb.init_stack(3, D, H, F, 1)
    if not isinstance(stack, list) or len(stack) != 3:
        raise AssertionError(f"init_stack(3, ...): expected a list of 3 blocks, got {type(stack).__name__}")
    again = tb.init_stack(3, D, H, F, 1)
    for i in range(3):
        assert_close(stack[i]["ffn"]["w2"], again[i]["ffn"]["w2"], f"init_stack: block {i} with the same seed",
                     rtol=0, atol=0)
    if np.array_equal(stack[0]["ffn"]["w1"], stack[1]["ffn"]["w1"]) or np.array_equal(
            stack[1]["attn"]["wv"], stack[2]["attn"]["wv"]):
        raise AssertionError("init_stack: two blocks have the same weights; each block needs its own seed")


@pytest.mark.exercise("init_block")
def test_a_fresh_stack_runs_end_to_end(tb, rng):
    x = rng.normal(size=(2, 4, D))
    out, _ = tb.transformer_stack(x, tb.init_stack(2, D, H, F, 0), H, causal=True)
    expect_array(out, "transformer_stack of init_stack(2, 8, 2, 12, 0)", shape=(2, 4, D))
    assert_close(out.mean(axis=-1), np.zeros((2, 4)), "per-token mean of a fresh post-norm stack", atol=1e-9)


@pytest.mark.exercise("count_parameters")
def test_count_parameters_of_a_block_is_4d2_plus_2df_plus_9d_plus_f(tb, ref):
    got = tb.count_parameters(ref.init_block(D, H, F, 0))
    if got != _block_size(D, F):
        raise AssertionError(f"count_parameters of a block with d_model 8, d_ff 12: got {got}, expected "
                             f"4 D^2 + 2 D F + 9 D + F = {_block_size(D, F)}")


@pytest.mark.exercise("count_parameters")
def test_count_parameters_of_a_stack_is_n_times_a_block(tb, ref):
    got = tb.count_parameters(ref.init_stack(3, 4, 2, 6, 0))
    if got != 3 * _block_size(4, 6):
        raise AssertionError(f"count_parameters of 3 blocks (d_model 4, d_ff 6): got {got}, expected {3 * _block_size(4, 6)}")


@pytest.mark.exercise("count_parameters")
def test_count_parameters_of_a_hand_made_nested_structure(tb):
    params = {"a": np.zeros((2, 3)), "b": {"c": np.zeros(5), "d": [np.zeros(2), np.zeros((1, 4))]}}
    got = tb.count_parameters(params)
    if got != 17 or isinstance(got, bool) or not isinstance(got, int):
        raise AssertionError(f"count_parameters of arrays of sizes 6, 5, 2 and 4 nested in dicts and a list: "
                             f"got {got!r}, expected the int 17")


# -- the whole contract, against the reference ---------------------------------------------------
# The block and the stack in every combination of causal, pre_norm and activation (the default
# too), one head and several, batch 1, one position, width 1, random gains and biases, several
# value regimes, stacks of one to three blocks, and every refusal. The inits are compared on
# what their docstrings fix (layout, shapes, gains 1, biases 0, the scale of each weight, blocks
# and sub-layers drawn differently), not on the order of their draws: init_block calls your
# phase 2 init_multi_head. count_parameters gets nested dicts, lists and tuples, empty ones, 0-d
# and empty arrays. Each case is built from one drawn seed.

from grader.engine import domains as dom  # noqa: E402
from grader.engine.differential import Contract, case, contract_tests  # noqa: E402


from grader.engine.domains import seeded as _seeded  # noqa: E402


def _options(rng):
    options = {}
    for name, values in (("causal", (False, True)), ("pre_norm", (False, True)), ("activation", ("relu", "gelu"))):
        pick = int(rng.integers(3))
        if pick < 2:
            options[name] = values[pick]
    return options


def _block_case(rng, layers=None):
    h, d_head = int(rng.integers(1, 4)), int(rng.integers(1, 4))
    d, f = h * d_head, int(rng.integers(1, 7))
    regime = str(rng.choice(["normal", "wide", "ties", "small"]))
    x = dom.fill(rng, (int(rng.integers(1, 4)), int(rng.integers(1, 5)), d), regime)
    if layers is None:
        return case(x, _random_block(rng, d, f), h, **_options(rng), note=f"{regime} x")
    blocks = [_random_block(rng, d, f) for _ in range(int(rng.integers(1, layers + 1)))]
    return case(x, blocks, h, **_options(rng), note=f"{regime} x, {len(blocks)} blocks")


def _std_ok(w, fan_in):
    return bool(abs(np.asarray(w).std() * np.sqrt(fan_in) - 1.0) < 0.15)


def _block_summary(p):
    """What init_block's docstring fixes, independent of the order of the draws."""
    d, f = np.shape(p["ffn"]["w1"])
    attn, ffn = p["attn"], p["ffn"]
    first = min(d * d, d * f)
    return {
        "keys": sorted(p), "attn keys": sorted(attn), "ffn keys": sorted(ffn),
        "shapes": {n: np.array(np.shape(a)) for n, a in [*attn.items(), *ffn.items()]},
        "norms": {n: np.asarray(p[n]) for n in ("ln1_gamma", "ln1_beta", "ln2_gamma", "ln2_beta")},
        "biases": {n: np.asarray(a) for n, a in [*attn.items(), *ffn.items()] if n[0] == "b"},
        "attention weights of std 1/sqrt(d_model)": [_std_ok(attn[n], d) for n in ("wq", "wk", "wv", "wo")],
        "ffn weights of std 1/sqrt(fan_in)": [_std_ok(ffn["w1"], d), _std_ok(ffn["w2"], f)],
        "attention and ffn drew different numbers": not np.array_equal(
            np.ravel(ffn["w1"])[:first], np.ravel(attn["wq"])[:first]),
    }


def _stack_summary(blocks):
    return {"blocks": [_block_summary(b) for b in blocks],
            "different blocks": len({np.asarray(b["attn"]["wq"]).tobytes() for b in blocks})}


def _init_case(rng):
    d, h, f = [(32, 4, 64), (48, 1, 96), (64, 8, 32), (40, 5, 160)][int(rng.integers(4))]
    return case(d, h, f, int(rng.integers(2**31)))


def _stack_init_case(rng):
    d, h, f = [(32, 2, 64), (40, 4, 48)][int(rng.integers(2))]
    return case(int(rng.integers(1, 4)), d, h, f, int(rng.integers(2**31)))


def _nested(rng, depth=0):
    kind = int(rng.integers(4 if depth < 2 else 1))
    if kind == 0:
        shape = tuple(int(n) for n in rng.integers(0, 5, size=rng.integers(0, 4)))
        return rng.normal(size=shape)
    items = [_nested(rng, depth + 1) for _ in range(int(rng.integers(0, 4)))]
    if kind == 1:
        return {f"p{i}": item for i, item in enumerate(items)}
    return items if kind == 2 else tuple(items)


_B8 = _random_block(np.random.default_rng(0))
_X8 = np.ones((2, 3, D))
_B6 = _random_block(np.random.default_rng(1), 6, 4)
_rng = np.random.default_rng(2)
_X4, _BLOCKS4 = _rng.normal(size=(2, 3, 4)), [_random_block(_rng, 4, 3) for _ in range(2)]
# every combination of the three options, always (the drawn cases add the defaults and other sizes)
_EVERY_OPTION = [dict(causal=c, pre_norm=p, activation=a) for c in (False, True) for p in (False, True)
                 for a in ("relu", "gelu")]

CONTRACTS = [
    Contract("phase3_transformer.transformer_block", "transformer_block", _seeded(_block_case), examples=4,
             exercise="transformer_block", project=lambda result: result[0],
             fixed=[case(_X8[0], _B8, H, note="2-d x"), case(np.ones((2, 3, 6)), _B8, H, note="x of width 6"),
                    case(_X8, _B8, H, activation="tanh", note="an unknown activation"),
                    case(np.ones((2, 3, 6)), _B6, 4, note="4 heads do not divide 6"),
                    *[case(_X4, _BLOCKS4[0], 2, **options) for options in _EVERY_OPTION]]),
    Contract("phase3_transformer.transformer_block", "transformer_stack", _seeded(lambda r: _block_case(r, 2)),
             examples=4, exercise="transformer_stack", project=lambda result: result[0],
             fixed=[case(_X8, [], H, note="no blocks"),
                    case(_X8, [_B8], H, pre_norm=True, activation="tanh", note="an unknown activation"),
                    *[case(_X4, _BLOCKS4, 2, **options) for options in _EVERY_OPTION[1::2]]]),
    Contract("phase3_transformer.transformer_block", "init_block", _seeded(_init_case), examples=3,
             exercise="init_block", project=_block_summary,
             fixed=[case(6, 4, 8, 0, note="4 heads do not divide 6"), case(0, 1, 4, 0, note="d_model 0"),
                    case(8, 2, 0, 0, note="d_ff 0"), case(8, 0, 4, 0, note="no heads"),
                    case(8, 2, 16.0, 0, note="d_ff 16.0, a float"), case(True, 1, 4, 0, note="d_model True")]),
    Contract("phase3_transformer.transformer_block", "init_stack", _seeded(_stack_init_case), examples=2,
             exercise="init_block", project=_stack_summary,
             fixed=[case(0, 8, 2, 4, 0, note="no layers"), case(2.0, 8, 2, 4, 0, note="a number of layers "
                                                                                    "that is not an integer")]),
    Contract("phase3_transformer.transformer_block", "count_parameters", _seeded(lambda r: case(_nested(r))),
             examples=10, exercise="count_parameters",
             fixed=[case({}, note="an empty dict"), case([[], ()], note="empty lists and tuples")]),
]
globals().update(contract_tests(CONTRACTS))
