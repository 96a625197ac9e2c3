"""Hidden tests: tasks.py (copy batches, corpus windows, copy accuracy, held-out cross-entropy)."""

import numpy as np
import pytest

from grader.engine.testing import assert_close, assert_raises, expect_array, expect_float, module_fixture, reference_fixture

tasks = module_fixture("tiny_transformer.tasks")
ref = reference_fixture("tiny_transformer.tasks")
ref_model = reference_fixture("tiny_transformer.model")


def _jittered_params(ref_model, config, rng, scale=0.3):
    params = ref_model.init_model(config, int(rng.integers(1 << 30)))
    out = {}
    for key, value in params.items():
        if key == "blocks":
            out[key] = [{k: ({kk: vv + scale * rng.normal(size=vv.shape) for kk, vv in v.items()} if isinstance(v, dict)
                             else v + scale * rng.normal(size=v.shape)) for k, v in block.items()} for block in value]
        else:
            out[key] = value + scale * rng.normal(size=value.shape)
    return out


def _same_ids(got, want, name):
    got = expect_array(got, name, shape=np.shape(want), kind="i")
    if not np.array_equal(got, want):
        where = tuple(int(i) for i in np.argwhere(got != want)[0])
        raise AssertionError(f"{name}: wrong ids, first difference at {where}: got {int(got[where])}, expected "
                             f"{int(want[where])}\n  got      {got.ravel()[:8].tolist()}\n"
                             f"  expected {want.ravel()[:8].tolist()}")


# -- A.6 batches ----------------------------------------------------------------------------------


@pytest.mark.exercise("batches")
def test_copy_batch_is_tokens_separator_and_the_same_tokens(tasks):
    ids, mask = tasks.copy_batch(5, 4, 6, 0)
    ids = expect_array(ids, "copy_batch(5, 4, 6, 0): ids", shape=(5, 9), kind="i")
    mask = expect_array(mask, "copy_batch(5, 4, 6, 0): mask", shape=(5, 8), kind="b")
    if not np.array_equal(ids[:, :4], ids[:, 5:]):
        raise AssertionError("copy_batch: the second half must repeat the first half")
    if not np.all(ids[:, 4] == 0):
        raise AssertionError(f"copy_batch: the separator (column 4) must be 0, got {ids[:, 4].tolist()}")
    if ids[:, :4].min() < 1 or ids[:, :4].max() > 5:
        raise AssertionError("copy_batch: copied tokens must be drawn from 1 .. vocab_size - 1 (0 is the separator)")
    want = np.zeros((5, 8), dtype=bool)
    want[:, 4:] = True
    if not np.array_equal(mask, want):
        raise AssertionError(f"copy_batch: mask must be True exactly where the target is a copied token "
                             f"(t >= n); got row {mask[0].astype(int).tolist()}, "
                             f"expected {want[0].astype(int).tolist()}")


@pytest.mark.exercise("batches")
def test_copy_batch_draws_as_documented(tasks, ref):
    ids, _ = tasks.copy_batch(3, 5, 9, 7)
    _same_ids(ids, ref.copy_batch(3, 5, 9, 7)[0], "copy_batch(3, 5, 9, seed 7)")
    other, _ = tasks.copy_batch(3, 5, 9, 8)
    if np.array_equal(other, ids):
        raise AssertionError("copy_batch: seeds 7 and 8 gave the same batch")


@pytest.mark.exercise("batches")
def test_corpus_batch_windows_are_slices_of_the_text_drawn_as_documented(tasks, ref, rng):
    text = rng.integers(0, 50, size=200)
    batch = expect_array(tasks.corpus_batch(text, 6, 10, 3), "corpus_batch(text, 6, 10, 3)", shape=(6, 11), kind="i")
    _same_ids(batch, ref.corpus_batch(text, 6, 10, 3), "corpus_batch(text, 6, 10, seed 3)")
    # every row is a contiguous slice: ids[s : s + 11]
    for row in batch:
        starts = [s for s in range(190) if np.array_equal(text[s:s + 11], row)]
        if not starts:
            raise AssertionError(f"corpus_batch: row {row.tolist()} is not a window of the text")


@pytest.mark.exercise("batches")
def test_corpus_batch_can_reach_the_last_window_and_refuses_a_short_text(tasks):
    text = np.arange(12)
    batch = tasks.corpus_batch(text, 400, 10, 0)
    if batch[:, -1].max() != 11:
        raise AssertionError("corpus_batch: 400 windows of 11 tokens from a text of 12 never ended at the last "
                             "token (starts must go up to N - seq_len - 1)")
    assert_raises(ValueError, lambda: tasks.corpus_batch(np.arange(5), 2, 5, 0),
                  "corpus_batch of 5 tokens, windows of 6")


# -- A.7 measuring --------------------------------------------------------------------------------


@pytest.mark.exercise("evaluation")
def test_copy_accuracy_matches_the_reference_on_a_random_model(tasks, ref, ref_model, rng):
    config = ref_model.make_config(6, 8, 2, n_layers=1, d_ff=12, context=8)
    params = _jittered_params(ref_model, config, rng, scale=1.0)
    got = expect_float(tasks.copy_accuracy(params, config, 4, 64, 11), "copy_accuracy")
    assert_close(got, ref.copy_accuracy(params, config, 4, 64, 11), "copy_accuracy (argmax right at the copied "
                 "positions only)")


@pytest.mark.exercise("evaluation")
@pytest.mark.points(2)
def test_held_out_cross_entropy_of_a_uniform_model_is_log_v(tasks, ref_model, rng):
    # w_out = 0 and b_out = 0: every logit is 0, every token has probability 1 / V
    config = ref_model.make_config(6, 8, 2, n_layers=1, d_ff=12, context=8)
    params = _jittered_params(ref_model, config, rng)
    params["w_out"], params["b_out"] = np.zeros((8, 6)), np.zeros(6)
    got = tasks.held_out_cross_entropy(params, config, rng.integers(0, 6, size=41))
    assert_close(got, np.log(6), "held_out_cross_entropy of a model with zero logits", rtol=1e-10)


@pytest.mark.exercise("evaluation")
@pytest.mark.points(2)
def test_held_out_cross_entropy_scores_every_position_once(tasks, ref, ref_model, rng):
    config = ref_model.make_config(6, 8, 2, n_layers=1, d_ff=12, context=8)
    params = _jittered_params(ref_model, config, rng)
    # a text shorter than the context: one window, all N - 1 predictions
    short = rng.integers(0, 6, size=7)
    logits, _ = ref_model.model_forward(short[None, :-1], params, config)
    logp = logits[0] - np.log(np.exp(logits[0]).sum(axis=-1, keepdims=True))
    want = -np.mean(logp[np.arange(6), short[1:]])
    assert_close(tasks.held_out_cross_entropy(params, config, short), want,
                 "held_out_cross_entropy of 7 tokens with context 8 (one window, 6 predictions)")
    # a long text, small batches of windows: the same as the reference
    text = rng.integers(0, 6, size=53)
    assert_close(tasks.held_out_cross_entropy(params, config, text, batch_size=3),
                 ref.held_out_cross_entropy(params, config, text), "held_out_cross_entropy of 53 tokens, context 8")
    per_position = expect_array(tasks.held_out_cross_entropy(params, config, text, per_position=True),
                                "held_out_cross_entropy(per_position=True)", shape=(52,))
    assert_close(per_position, ref.held_out_cross_entropy(params, config, text, per_position=True),
                 "held_out_cross_entropy(per_position=True): -log p of the token at position t, t = 1 .. 52 "
                 "(each from the window that gives it the most context)")


# -- the whole contract, against the reference ---------------------------------------------------
# Batches compared draw for draw (every documented seed use), texts of every integer dtype,
# windows that reach the text's end; copy accuracy and held-out cross-entropy of
# random (not uniform) models, texts shorter and longer than the context, every batch_size.

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


def _copy_case(rng):
    return case(int(rng.integers(1, 5)), int(rng.integers(1, 5)), int(rng.integers(3, 10)), int(rng.integers(2**31)))


def _corpus_case(rng):
    seq_len = int(rng.integers(1, 7))
    text = _ints(rng, (int(rng.integers(seq_len + 1, seq_len + 13)),), 0, 50)
    return case(text, int(rng.integers(1, 5)), seq_len, int(rng.integers(2**31)))


def _jitter_tree(tree, rng, scale):
    if isinstance(tree, dict):
        return {k: _jitter_tree(v, rng, scale) for k, v in tree.items()}
    if isinstance(tree, list):
        return [_jitter_tree(v, rng, scale) for v in tree]
    return tree + scale * rng.normal(size=np.shape(tree))


def _model(rng):
    m = _reference("tiny_transformer.model")
    config = m.make_config(int(rng.integers(3, 7)), 4, _pick(rng, [1, 2]), n_layers=1, d_ff=3,
                           context=int(rng.integers(2, 7)), pre_norm=bool(rng.random() < 0.5),
                           tied=bool(rng.random() < 0.5))
    return config, _jitter_tree(m.init_model(config, int(rng.integers(1 << 30))), rng, 1.0)


def _accuracy_case(rng):
    config, params = _model(rng)
    return case(params, config, int(rng.integers(1, 4)), int(rng.integers(1, 7)), int(rng.integers(2**31)),
                note=f"{config}")


def _held_out_case(rng):
    config, params = _model(rng)
    ids = _ints(rng, (int(rng.integers(2, 17)),), 0, config["vocab_size"])
    kwargs = {}
    if rng.random() < 0.5:
        kwargs["batch_size"] = int(rng.integers(1, 4))
    if rng.random() < 0.6:
        kwargs["per_position"] = bool(rng.random() < 0.7)
    return case(params, config, ids, note=f"{config}", **kwargs)


def _fixed_model():
    m = _reference("tiny_transformer.model")
    config = m.make_config(4, 2, 1, d_ff=3, context=4)
    return config, m.init_model(config, 0)


def _fixed_model_refusals(kind):
    config, params = _fixed_model()
    if kind == "accuracy":
        return [case(params, config, 0, 4, 0, note="n_tokens = 0"), case(params, config, 2, 0, 0, note="batch 0")]
    return [case(params, config, np.array([1]), note="a text of one token: nothing to predict"),
            case(params, config, np.array([1, 4, 0]), note="token id 4 for a vocabulary of 4")]


CONTRACTS = [
    Contract("tiny_transformer.tasks", "copy_batch", _seeded(_copy_case), exercise="batches", examples=6,
             fixed=[case(0, 3, 5, 0, note="batch_size 0"), case(2, 0, 5, 0, note="n_tokens 0"),
                    case(2, 3, 2, 0, note="vocab_size 2: no room for a separator and two tokens"),
                    case(2, 3, 5.0, 0, note="vocab_size 5.0, a float")]),
    Contract("tiny_transformer.tasks", "corpus_batch", _seeded(_corpus_case), exercise="batches", examples=8,
             fixed=[case(np.arange(5), 2, 5, 0, note="5 tokens, windows of 6"),
                    case(np.arange(6), 2, 5, 0, note="6 tokens, windows of 6: exactly one window"),
                    case(np.arange(5), 2, 0, 0, note="seq_len 0"),
                    case(np.arange(10).reshape(2, 5), 2, 2, 0, note="ids of rank 2"),
                    case(np.arange(10.0), 2, 2, 0, note="float ids")]),
    Contract("tiny_transformer.tasks", "copy_accuracy", _seeded(_accuracy_case), exercise="evaluation", examples=5,
             fixed=_fixed_model_refusals("accuracy")),
    Contract("tiny_transformer.tasks", "held_out_cross_entropy", _seeded(_held_out_case), exercise="evaluation",
             points=2, examples=6, fixed=_fixed_model_refusals("held_out")),
]
globals().update(contract_tests(CONTRACTS))
