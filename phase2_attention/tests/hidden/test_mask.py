"""Hidden tests: mask.py (causal and padding masks, combining them, applying them with -inf)."""

import numpy as np
import pytest

from grader.engine.testing import assert_close, assert_raises, expect_array, module_fixture

mk = module_fixture("phase2_attention.mask")

pytestmark = pytest.mark.exercise("mask")

CAUSAL_4 = np.array([
    [True, False, False, False],
    [True, True, False, False],
    [True, True, True, False],
    [True, True, True, True],
])


def same_mask(got, expected, name):
    got = expect_array(got, name, shape=expected.shape, kind="b")
    if not np.array_equal(got, expected):
        where = tuple(int(i) for i in np.argwhere(got != expected)[0])
        raise AssertionError(f"{name}: wrong entry at index {where}: got {bool(got[where])}, expected "
                             f"{bool(expected[where])} (True = may attend)")


def test_causal_mask_is_the_lower_triangle_with_the_diagonal(mk):
    # catches an upper triangle (attending to the future) and a diagonal left out
    same_mask(mk.causal_mask(4), CAUSAL_4, "causal_mask(4)")


def test_causal_mask_of_one_position_and_refusal_of_a_negative_size(mk):
    same_mask(mk.causal_mask(1), np.array([[True]]), "causal_mask(1)")
    assert_raises(ValueError, lambda: mk.causal_mask(-2), "causal_mask(-2)")


def test_padding_mask_hides_the_keys_past_each_length(mk):
    expected = np.array([[[True, True, True, False, False]],
                         [[True, False, False, False, False]],
                         [[True, True, True, True, True]]])
    same_mask(mk.padding_mask(np.array([3, 1, 5]), 5), expected, "padding_mask([3, 1, 5], t=5)")


def test_padding_mask_of_length_zero_hides_every_key(mk):
    same_mask(mk.padding_mask(np.array([0, 2]), 3), np.array([[[False, False, False]], [[True, True, False]]]),
              "padding_mask([0, 2], t=3)")


def test_padding_mask_refuses_a_length_longer_than_the_sequence(mk):
    mk.padding_mask(np.array([2, 4]), 4)
    assert_raises(ValueError, lambda: mk.padding_mask(np.array([2, 7]), 4), "padding_mask([2, 7], t=4)",
                  mentions=("7", "4"))
    assert_raises(ValueError, lambda: mk.padding_mask(np.array([-1, 2]), 4), "padding_mask([-1, 2], t=4)",
                  mentions=("-1",))


def test_combine_masks_of_causal_and_padding_broadcasts_to_batch_query_key(mk):
    causal = CAUSAL_4[:3, :3]
    padding = np.array([[[True, True, True]], [[True, True, False]]])  # lengths 3 and 2
    expected = causal[None] & padding
    same_mask(mk.combine_masks(causal, padding), expected, "combine_masks(causal (3, 3), padding (2, 1, 3))")


def test_combine_masks_with_none_keeps_the_other_mask(mk):
    same_mask(mk.combine_masks(None, CAUSAL_4), CAUSAL_4, "combine_masks(None, causal)")
    same_mask(mk.combine_masks(CAUSAL_4, None), CAUSAL_4, "combine_masks(causal, None)")


def test_combine_masks_refuses_shapes_that_do_not_broadcast(mk):
    mk.combine_masks(np.ones((3, 3), dtype=bool), np.ones((2, 1, 3), dtype=bool))
    assert_raises(ValueError, lambda: mk.combine_masks(np.ones((3, 3), dtype=bool), np.ones((2, 4), dtype=bool)),
                  "combine_masks of (3, 3) and (2, 4)", mentions=("(3, 3)", "(2, 4)"))


def test_apply_mask_writes_minus_inf_where_false_and_keeps_the_rest(mk, rng):
    scores = rng.normal(size=(2, 3, 4))
    mask = np.broadcast_to(CAUSAL_4[1:, :], (2, 3, 4)) & (rng.uniform(size=(2, 3, 4)) > 0.3)
    got = expect_array(mk.apply_mask(scores, mask), "apply_mask(scores, mask)", shape=(2, 3, 4), finite=False)
    hidden = ~mask
    if not np.all(np.isneginf(got[hidden])):
        raise AssertionError("apply_mask: every position where the mask is False must be -inf "
                             "(0 is not enough: exp(0) = 1 still gives it weight)")
    assert_close(got[mask], scores[mask], "apply_mask: the visible scores (must be unchanged)", rtol=0, atol=0)


def test_apply_mask_broadcasts_a_padding_mask_over_queries(mk, rng):
    scores = rng.normal(size=(2, 3, 4))
    mask = np.array([[[True, True, False, False]], [[True, True, True, True]]])
    got = expect_array(mk.apply_mask(scores, mask), "apply_mask(scores, padding mask)", shape=(2, 3, 4), finite=False)
    if not np.all(np.isneginf(got[0, :, 2:])) or not np.all(np.isfinite(got[0, :, :2])):
        raise AssertionError("apply_mask with a (2, 1, 4) padding mask: keys 2 and 3 of sequence 0 must be -inf "
                             "for every query, and only those")
    assert_close(got[1], scores[1], "apply_mask: sequence 1 has no padding")


def test_apply_mask_with_no_mask_returns_the_scores(mk, rng):
    scores = rng.normal(size=(3, 4))
    assert_close(mk.apply_mask(scores, None), scores, "apply_mask(scores, None)", rtol=0, atol=0)


def test_apply_mask_refuses_a_mask_of_the_wrong_shape(mk, rng):
    scores = rng.normal(size=(2, 3, 4))
    mk.apply_mask(scores, np.ones((3, 4), dtype=bool))
    assert_raises(ValueError, lambda: mk.apply_mask(scores, np.ones((3, 5), dtype=bool)),
                  "apply_mask of a (3, 5) mask to (2, 3, 4) scores", mentions=("(3, 5)", "(2, 3, 4)"))
    # a mask that broadcasts only by making the scores bigger is wrong too
    assert_raises(ValueError, lambda: mk.apply_mask(scores, np.ones((5, 2, 3, 4), dtype=bool)),
                  "apply_mask of a (5, 2, 3, 4) mask to (2, 3, 4) scores", mentions=("(5, 2, 3, 4)",))


# -- the whole contract, against the reference ---------------------------------------------------
# Masks of every rank that broadcasts to the scores ((Tk,), (Tq, Tk), (B, 1, Tk), (B, Tq, Tk),
# (B, H, Tq, Tk), with axes of size 1 anywhere), unsigned lengths, empty sequences (t = 0, a
# length of 0), and every documented refusal. Each case is built from one drawn seed (cheap to
# draw); its note names what it holds.

from hypothesis import strategies as st  # noqa: E402

from grader.engine import domains as dom  # noqa: E402
from grader.engine.differential import Contract, case, contract_tests  # noqa: E402


def _mask(rng, shape):
    """A bool mask that broadcasts to ``shape`` without enlarging it: trailing axes, each kept or 1."""
    rank = int(rng.integers(1, len(shape) + 1))
    mask_shape = tuple(n if rng.random() < 0.5 else 1 for n in shape[len(shape) - rank:])
    return rng.random(mask_shape) < rng.choice([0.3, 0.6, 0.9, 1.0])


def _scores_shape(rng):
    return tuple(int(n) for n in rng.integers(1, 5, size=rng.integers(2, 5)))


from grader.engine.domains import seeded as _seeded  # noqa: E402


def _padding_case(rng):
    t = int(rng.integers(0, 7))
    dtype = (np.int64, np.int32, np.uint8)[int(rng.integers(3))]
    lengths = rng.integers(0, t + 1, size=rng.integers(1, 5)).astype(dtype)
    if rng.random() < 0.2:
        return case([int(n) for n in lengths], t, note="lengths as a list of ints")
    return case(lengths, t, note=f"{np.dtype(dtype).name} lengths")


def _combine_case(rng):
    shape = _scores_shape(rng)
    masks = [None if rng.random() < 0.2 else _mask(rng, shape) for _ in range(2)]
    return case(*masks, note=f"masks for scores {shape}")


def _apply_case(rng):
    shape = _scores_shape(rng)
    regime = str(rng.choice(dom.FLOAT_REGIMES))
    mask = None if rng.random() < 0.15 else _mask(rng, shape)
    return case(dom.fill(rng, shape, regime), mask, note=f"{regime} scores")


_T3 = np.ones((3, 3), dtype=bool)
_S = np.arange(24.0).reshape(2, 3, 4)

CONTRACTS = [
    Contract("phase2_attention.mask", "causal_mask", st.integers(0, 7).map(case), examples=6, exercise="mask",
             fixed=[case(0, note="t = 0: an empty mask"), case(-1, note="negative t"),
                    case(2.0, note="t that is not an integer")]),
    Contract("phase2_attention.mask", "padding_mask", _seeded(_padding_case), examples=10, exercise="mask",
             fixed=[case(np.array([2, 7]), 4, note="a length past t"),
                    case(np.array([5], dtype=np.uint8), 4, note="an unsigned length past t"),
                    case(np.array([-1, 2]), 4, note="a negative length"),
                    case(np.array([1.0, 2.0]), 3, note="float lengths"),
                    case(np.array([[1, 2]]), 3, note="2-d lengths"),
                    case(np.array([[1, 2, 0]]), 3, note="2-d lengths (1, 3): they would broadcast"),
                    case(np.zeros(0, dtype=np.int64), -1, note="t = -1, no lengths"),
                    case(2, 3, note="lengths that are one int, not a 1-d array"),
                    case(np.array([0, 0], dtype=np.uint8), 0, note="t = 0, lengths 0"),
                    case(np.array([1]), True, note="t = True (a bool, not a number of positions)"),
                    case(np.array([1, 2]), 3.0, note="t = 3.0, a float")]),
    Contract("phase2_attention.mask", "combine_masks", _seeded(_combine_case), examples=12, exercise="mask",
             fixed=[case(None, None, note="no mask at all"),
                    case(_T3, np.ones((2, 4), dtype=bool), note="shapes that do not broadcast"),
                    case(_T3, np.ones((3, 3)), note="a float 0/1 mask"),
                    case(np.ones((2, 1, 3), dtype=np.int64), None, note="an integer mask with None"),
                    case(_T3, [["yes", "", "yes"]], note="a mask of strings (a list)")]),
    Contract("phase2_attention.mask", "apply_mask", _seeded(_apply_case), examples=12, exercise="mask",
             fixed=[case(_S, np.ones((3, 5), dtype=bool), note="a mask that does not broadcast"),
                    case(_S, np.ones((2, 2, 3, 4), dtype=bool), note="a mask that would enlarge the scores"),
                    case(_S, np.ones((3, 4)), note="a float 0/1 mask"),
                    case(_S, np.zeros((1, 4), dtype=np.int8), note="an integer mask"),
                    case(_S, [["yes", "", "yes", ""]], note="a mask of strings (a list)")]),
]
globals().update(contract_tests(CONTRACTS))
