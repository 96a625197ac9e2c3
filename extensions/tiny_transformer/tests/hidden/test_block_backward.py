"""Hidden tests: block_backward.py (the block's backward pass: residual paths, layout, the stack).

The finite-difference checks of every gradient are in test_gradcheck.py; these tests catch the
usual mistakes with messages that name them. Sizes: batch 2, length 4, width 8, 2 heads, d_ff 12.
"""

import numpy as np
import pytest

from grader.engine.testing import assert_close, assert_raises, expect_array, module_fixture, reference_fixture

bb = module_fixture("tiny_transformer.block_backward")
ref = reference_fixture("tiny_transformer.block_backward")
ref_tb = reference_fixture("phase3_transformer.transformer_block")

pytestmark = pytest.mark.exercise("block_backward")

B, T, D, H, F = 2, 4, 8, 2, 12
GRAD_KEYS = {"attn", "ln1_gamma", "ln1_beta", "ffn", "ln2_gamma", "ln2_beta"}


def _block(rng, silent=False):
    """Random block parameters; ``silent`` zeroes both branches' outputs (wo, bo, w2, b2)."""
    attn = {}
    for name in "qkvo":
        attn["w" + name] = rng.normal(size=(D, D)) / np.sqrt(D)
        attn["b" + name] = 0.3 * rng.normal(size=D)
    p = {"attn": attn, "ln1_gamma": 1.0 + 0.3 * rng.normal(size=D), "ln1_beta": 0.3 * rng.normal(size=D),
         "ffn": {"w1": rng.normal(size=(D, F)) / np.sqrt(D), "b1": 0.3 * rng.normal(size=F),
                 "w2": rng.normal(size=(F, D)) / np.sqrt(F), "b2": 0.3 * rng.normal(size=D)},
         "ln2_gamma": 1.0 + 0.3 * rng.normal(size=D), "ln2_beta": 0.3 * rng.normal(size=D)}
    if silent:
        p["attn"]["wo"], p["attn"]["bo"] = np.zeros((D, D)), np.zeros(D)
        p["ffn"]["w2"], p["ffn"]["b2"] = np.zeros((F, D)), np.zeros(D)
    return p


def _check_layout(grads, params, name):
    if not isinstance(grads, dict) or set(grads) != GRAD_KEYS:
        got = sorted(grads) if isinstance(grads, dict) else type(grads).__name__
        raise AssertionError(f"{name}: expected a dict with keys {sorted(GRAD_KEYS)}, got {got}")
    for group in ("attn", "ffn"):
        if not isinstance(grads[group], dict) or set(grads[group]) != set(params[group]):
            raise AssertionError(f"{name}[{group!r}]: expected keys {sorted(params[group])}")
        for key, value in params[group].items():
            expect_array(grads[group][key], f"{name}[{group!r}][{key!r}]", shape=value.shape)
    for key in ("ln1_gamma", "ln1_beta", "ln2_gamma", "ln2_beta"):
        expect_array(grads[key], f"{name}[{key!r}]", shape=(D,))


def test_block_backward_returns_dx_and_a_gradient_for_every_parameter(bb, rng):
    x, p = rng.normal(size=(B, T, D)), _block(rng)
    for pre_norm in (False, True):
        out, cache = bb.transformer_block(x, p, H, pre_norm=pre_norm)
        dx, grads = bb.block_backward(rng.normal(size=out.shape), cache, pre_norm)
        expect_array(dx, f"block_backward (pre_norm={pre_norm}): dx", shape=(B, T, D))
        _check_layout(grads, p, f"block_backward (pre_norm={pre_norm}): grads")


@pytest.mark.points(2)
def test_pre_norm_block_with_silent_branches_passes_dout_straight_to_dx(bb, rng):
    # with wo = bo = w2 = b2 = 0 the pre-norm block is the identity: out = x + 0 + 0, so dx = dout.
    # A residual path forgotten in the backward pass loses exactly this.
    x, p = rng.normal(size=(B, T, D)), _block(rng, silent=True)
    out, cache = bb.transformer_block(x, p, H, pre_norm=True)
    assert_close(out, x, "pre-norm block with silent branches: out = x")
    dout = rng.normal(size=out.shape)
    dx, _ = bb.block_backward(dout, cache, True)
    assert_close(dx, dout, "pre-norm block_backward with silent branches: dx = dout (the residual paths carry "
                           "the gradient)")


@pytest.mark.points(2)
def test_block_backward_dx_matches_the_reference_in_every_variant(bb, ref, ref_tb, rng):
    # pre- and post-norm, with and without the causal mask: the same dx as the reference
    x, p = rng.normal(size=(B, T, D)), _block(rng)
    for pre_norm in (True, False):
        for causal in (False, True):
            out, cache = bb.transformer_block(x, p, H, causal=causal, pre_norm=pre_norm)
            dout = rng.normal(size=out.shape)
            dx, _ = bb.block_backward(dout, cache, pre_norm)
            _, ref_cache = ref_tb.transformer_block(x, p, H, causal=causal, pre_norm=pre_norm)
            expected, _ = ref.block_backward(dout, ref_cache, pre_norm)
            assert_close(dx, expected, f"block_backward dx ({'pre' if pre_norm else 'post'}-norm, "
                                       f"{'causal' if causal else 'no mask'})", rtol=1e-7, atol=1e-9)


def test_block_backward_uses_the_norm_given_not_the_other(bb, ref, ref_tb, rng):
    # the cache does not say which block ran: a pre-norm cache read as post-norm gives other gradients
    x, p = rng.normal(size=(B, T, D)), _block(rng)
    _, cache = bb.transformer_block(x, p, H, pre_norm=True)
    _, ref_cache = ref_tb.transformer_block(x, p, H, pre_norm=True)
    dout = rng.normal(size=(B, T, D))
    _, grads = bb.block_backward(dout, cache, True)
    _, expected = ref.block_backward(dout, ref_cache, True)
    for key in ("ln1_gamma", "ln2_gamma"):
        assert_close(grads[key], expected[key], f"block_backward(pre_norm=True): grads[{key!r}]")


def test_block_backward_refuses_dout_of_the_wrong_shape(bb, rng):
    x, p = rng.normal(size=(B, T, D)), _block(rng)
    out, cache = bb.transformer_block(x, p, H)
    bb.block_backward(np.ones(out.shape), cache)
    assert_raises(ValueError, lambda: bb.block_backward(np.ones((B, T + 1, D)), cache),
                  "block_backward with dout (2, 5, 8) for a block output (2, 4, 8)")


# -- the stack ------------------------------------------------------------------------------------


@pytest.mark.points(2)
def test_stack_backward_returns_each_blocks_gradients_in_the_blocks_order(bb, ref, ref_tb, rng):
    x = rng.normal(size=(B, T, D))
    blocks = [_block(rng) for _ in range(3)]
    for pre_norm in (True, False):
        out, caches = bb.transformer_stack(x, blocks, H, causal=True, pre_norm=pre_norm)
        dout = rng.normal(size=out.shape)
        dx, grads = bb.stack_backward(dout, caches, pre_norm)
        _, ref_caches = ref_tb.transformer_stack(x, blocks, H, causal=True, pre_norm=pre_norm)
        want_dx, want = ref.stack_backward(dout, ref_caches, pre_norm)
        if not isinstance(grads, (list, tuple)) or len(grads) != 3:
            raise AssertionError(f"stack_backward: expected a list of 3 grads dicts, got {type(grads).__name__}")
        assert_close(dx, want_dx, f"stack_backward (pre_norm={pre_norm}): dx")
        for i in range(3):
            assert_close(grads[i]["attn"]["wq"], want[i]["attn"]["wq"],
                         f"stack_backward (pre_norm={pre_norm}): grads[{i}]['attn']['wq'] "
                         "(grads[i] belongs to blocks[i])")
            assert_close(grads[i]["ffn"]["w1"], want[i]["ffn"]["w1"],
                         f"stack_backward (pre_norm={pre_norm}): grads[{i}]['ffn']['w1']")


def test_stack_backward_refuses_an_empty_list(bb, rng):
    x = rng.normal(size=(B, T, D))
    _, caches = bb.transformer_stack(x, [_block(rng)], H)
    bb.stack_backward(np.ones((B, T, D)), caches)
    assert_raises(ValueError, lambda: bb.stack_backward(np.ones((B, T, D)), []), "stack_backward with no caches")


# -- the whole contract, against the reference ---------------------------------------------------
# The caches are built by the reference forward pass (phase 3's documented layout); the block's
# parameters are random (gains not 1, biases not 0), every variant of the block is drawn: pre- and
# post-norm, causal or not, ReLU and GELU, one head or two, batch 1 and more, length 1 and more.

import importlib  # noqa: E402

from hypothesis import strategies as st  # noqa: E402

from grader.engine import domains as dom  # noqa: E402
from grader.engine.differential import Contract, case, contract_tests  # noqa: E402


from grader.engine.domains import seeded as _seeded  # noqa: E402


from grader.engine.domains import pick as _pick  # noqa: E402


from grader.engine.domains import values as _values  # noqa: E402


from grader.engine.domains import ints as _ints  # noqa: E402


def _reference(name):
    return importlib.import_module(name)


def _jitter_tree(tree, rng, scale=0.3):
    if isinstance(tree, dict):
        return {k: _jitter_tree(v, rng, scale) for k, v in tree.items()}
    return tree + scale * rng.normal(size=np.shape(tree))


def _stack_input(rng, max_blocks=1):
    h = _pick(rng, [1, 2])
    d = _pick(rng, [4, 6]) if h == 1 else 2 * _pick(rng, [2, 3])
    f = _pick(rng, [3, 5])
    notes = []
    x = _values(rng, (int(rng.integers(1, 3)), int(rng.integers(1, 5)), d), ("normal", "wide", "ties"), notes)
    tb = _reference("phase3_transformer.transformer_block")
    blocks = [_jitter_tree(tb.init_block(d, h, f, int(rng.integers(1 << 30))), rng)
              for _ in range(int(rng.integers(1, max_blocks + 1)))]
    options = {"causal": bool(rng.random() < 0.5), "pre_norm": bool(rng.random() < 0.5),
               "activation": _pick(rng, ["relu", "gelu"])}
    return x, blocks, h, options, f"{h} heads, x {notes[0]}, {options}"


def _block_case(rng):
    x, blocks, h, options, note = _stack_input(rng)
    out, cache = _reference("phase3_transformer.transformer_block").transformer_block(x, blocks[0], h, **options)
    notes = []
    dout = _values(rng, out.shape, ("normal", "wide", "small", "zeros"), notes)
    return case(dout, cache, options["pre_norm"], note=f"{note}, dout {notes[0]}")


def _stack_case(rng):
    x, blocks, h, options, note = _stack_input(rng, max_blocks=3)
    out, caches = _reference("phase3_transformer.transformer_block").transformer_stack(x, blocks, h, **options)
    return case(_values(rng, out.shape, ("normal", "wide", "small")), caches, options["pre_norm"],
                note=f"{len(blocks)} blocks, {note}")


def _fixed_cache(n_blocks=1):
    tb = _reference("phase3_transformer.transformer_block")
    blocks = tb.init_stack(n_blocks, 4, 2, 3, 0)
    _, caches = tb.transformer_stack(np.ones((1, 2, 4)) * np.arange(4), blocks, 2)
    return caches


def _fixed_block_refusals():
    caches = _fixed_cache()
    return [case(np.ones((1, 3, 4)), caches[0], note="dout (1, 3, 4) for a block output (1, 2, 4)"),
            case(np.ones((1, 2, 4, 1)), caches[0], True, note="dout of rank 4")]


def _fixed_stack_refusals():
    caches = _fixed_cache(2)
    return [case(np.ones((1, 2, 4)), [], note="no caches"),
            case(np.ones((2, 2, 4)), caches, note="dout (2, 2, 4) for a stack output (1, 2, 4)")]


def _key_bias_on_its_siblings_scale(value):
    """grads["attn"]["bk"] is 0 in exact arithmetic (a shift of every score of a row): its round-off
    is judged on the scale of bq's gradient, not on its own."""
    if isinstance(value, dict):
        out = {k: _key_bias_on_its_siblings_scale(v) for k, v in value.items()}
        bk, bq = value.get("bk"), value.get("bq")
        if isinstance(bk, np.ndarray) and isinstance(bq, np.ndarray) and bk.dtype.kind == "f":
            out["bk"] = [list(bk.shape), np.append(bk.ravel(), float(np.max(np.abs(bq), initial=0.0)) or 1.0)]
        return out
    if isinstance(value, (tuple, list)):
        return type(value)(_key_bias_on_its_siblings_scale(v) for v in value)
    return value


CONTRACTS = [
    Contract("tiny_transformer.block_backward", "block_backward", _seeded(_block_case),
             project=_key_bias_on_its_siblings_scale, fixed=_fixed_block_refusals(),
             exercise="block_backward", points=2, examples=7, rtol=1e-6, atol=1e-8),
    Contract("tiny_transformer.block_backward", "stack_backward", _seeded(_stack_case),
             project=_key_bias_on_its_siblings_scale, fixed=_fixed_stack_refusals(),
             exercise="block_backward", examples=3, rtol=1e-6, atol=1e-8),
]
globals().update(contract_tests(CONTRACTS))
