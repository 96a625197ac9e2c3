"""Hidden tests: bigram.py count tables and add-k probabilities."""

import numpy as np
import pytest

from grader.engine.testing import assert_close, assert_raises, assert_unchanged, expect_array, module_fixture, reference_fixture

bg = module_fixture("language_models.bigram")
ref = reference_fixture("language_models.bigram")

pytestmark = pytest.mark.exercise("bigram")

# the ids of "abab" + "c" + "a" over the vocabulary <unk>=0, a=1, b=2, c=3: 1 2 1 2 3 1
IDS = np.array([1, 2, 1, 2, 3, 1])
COUNTS = np.array([
    [0, 0, 0, 0],
    [0, 0, 2, 0],  # a -> b twice
    [0, 1, 0, 1],  # b -> a, b -> c
    [0, 1, 0, 0],  # c -> a
])


def test_counts_of_a_hand_worked_sequence_with_rows_as_the_previous_token(bg):
    got = expect_array(bg.bigram_counts(IDS, 4), "bigram_counts(1 2 1 2 3 1, 4)", shape=(4, 4), kind="i")
    assert_close(got.astype(np.float64), COUNTS, "bigram_counts(1 2 1 2 3 1): counts[prev, next]")


def test_counts_sum_to_the_number_of_pairs(bg, rng):
    ids = rng.integers(0, 5, size=37)
    counts = expect_array(bg.bigram_counts(ids, 5), "bigram_counts", shape=(5, 5), kind="i").astype(np.float64)
    assert_close(float(np.sum(counts)), 36.0, "sum of bigram_counts over 37 ids")
    assert_close(counts, np.asarray(np.histogram2d(ids[:-1], ids[1:], bins=5, range=[[0, 5], [0, 5]])[0]),
                 "bigram_counts of random ids")


def test_counts_refuse_ids_outside_the_vocabulary(bg):
    bg.bigram_counts(np.array([0, 1, 2]), 3)
    assert_raises(ValueError, lambda: bg.bigram_counts(np.array([0, 3, 1]), 3), "bigram_counts with id 3, vocab 3")


def test_add_one_probabilities_by_hand(bg):
    probs = expect_array(bg.bigram_probs(COUNTS, k=1.0), "bigram_probs(k=1)", shape=(4, 4))
    expected = np.array([
        [1, 1, 1, 1],
        [1, 1, 3, 1],
        [1, 2, 1, 2],
        [1, 2, 1, 1],
    ]) / np.array([[4], [6], [6], [5]])
    assert_close(probs, expected, "bigram_probs(counts, k=1): (count + 1) / (row total + V)")


def test_add_k_rows_sum_to_one_for_any_k(bg, rng):
    counts = rng.integers(0, 6, size=(5, 5))
    counts[2] = 0  # a previous token never seen
    for k in (0.01, 0.5, 3.0):
        probs = bg.bigram_probs(counts, k=k)
        assert_close(probs.sum(axis=1), np.ones(5), f"row sums of bigram_probs(k={k})")
        assert_close(probs[2], np.full(5, 0.2), f"bigram_probs(k={k}) of a row never seen (uniform)")


def test_small_k_approaches_the_normalised_counts_and_large_k_the_uniform(bg):
    mle = COUNTS[1:] / COUNTS[1:].sum(axis=1, keepdims=True)
    assert_close(bg.bigram_probs(COUNTS, k=1e-9)[1:], mle, "bigram_probs(k=1e-9) on seen rows (k -> 0 limit)",
                 atol=1e-7)
    assert_close(bg.bigram_probs(COUNTS, k=1e9), np.full((4, 4), 0.25), "bigram_probs(k=1e9) (k -> inf limit)",
                 atol=1e-7)


def test_probs_match_the_reference_on_random_counts_and_leave_them_unchanged(bg, ref, rng):
    counts = rng.integers(0, 9, size=(6, 6)).astype(np.float64)
    before = counts.copy()
    assert_close(bg.bigram_probs(counts, k=0.3), ref.bigram_probs(counts, k=0.3), "bigram_probs(k=0.3)")
    assert_unchanged(before, counts, "bigram_probs")


def test_probs_refuse_k_zero_or_negative(bg):
    bg.bigram_probs(COUNTS, k=0.5)
    assert_raises(ValueError, lambda: bg.bigram_probs(COUNTS, k=0.0), "bigram_probs(k=0)")
    assert_raises(ValueError, lambda: bg.bigram_probs(COUNTS, k=-1.0), "bigram_probs(k=-1)")


# -- the whole contract, against the reference ---------------------------------------------------
# Cases are built by numpy from one drawn seed each: sizes, dtypes, values and arguments.

from hypothesis import strategies as st  # noqa: E402

from grader.engine.differential import Contract, case, contract_tests  # noqa: E402


def _cases(build):
    """Cases built by ``build(rng)`` from one drawn seed (one hypothesis draw per case: cheap)."""
    return st.integers(0, 2**32 - 1).map(lambda seed: build(np.random.default_rng(seed)))


from grader.engine.domains import pick as _pick  # noqa: E402


def _ids_cases(rng):
    v, dtype = int(rng.integers(1, 6)), _pick(rng, [np.int64, np.int32, np.uint8])
    return case(rng.integers(0, v, size=rng.integers(0, 13)).astype(dtype), v)


def _counts_cases(rng):
    """Counts with rows never seen, integer or float, and k over its documented range (default too)."""
    v, k = int(rng.integers(1, 6)), _pick(rng, [None, 1e-9, 0.01, 0.5, 1.0, 3.0, 1e9])
    counts = rng.integers(0, _pick(rng, [2, 10, 1000]), size=(v, v)) * (rng.random((v, 1)) < 0.7)
    if rng.random() < 0.5:
        counts = counts.astype(np.float64)
    return case(counts) if k is None else case(counts, k=k)


_C = np.array([[0, 2], [1, 0]])
CONTRACTS = [
    Contract("language_models.bigram", "bigram_counts", _cases(_ids_cases), exercise="bigram", examples=6, fixed=[
        case(np.array([2]), 3, note="one id: no pairs"),
        case(np.array([0, 3, 1]), 3, note="refused: id 3 with vocab_size 3"),
        case(np.array([0, -1, 1]), 3, note="refused: id -1"),
        case(np.array([0.0, 1.0]), 3, note="refused: float ids"),
        case(np.array([[0, 1], [1, 0]]), 3, note="refused: 2-d ids"),
        case(np.array([0, 0]), 0, note="refused: vocab_size 0"),
    ]),
    Contract("language_models.bigram", "bigram_probs", _cases(_counts_cases), exercise="bigram", examples=7, fixed=[
        case(_C, k=0.0, note="refused: k = 0"), case(_C, k=-1.0, note="refused: k < 0"),
        case(np.array([[0, -1], [1, 0]]), note="refused: a negative count"),
        case(np.ones((2, 3)), note="refused: not square"), case(np.ones(4), note="refused: 1-d"),
        case(np.zeros((0, 0)), note="refused: empty"),
    ]),
]
globals().update(contract_tests(CONTRACTS))
