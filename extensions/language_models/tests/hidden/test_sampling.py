"""Hidden tests: bigram.sample, seeded and reproducible."""

import numpy as np
import pytest

from grader.engine.testing import assert_close, assert_raises, expect_array, module_fixture

bg = module_fixture("language_models.bigram")

pytestmark = pytest.mark.exercise("sampling")

PROBS = np.array([
    [0.1, 0.6, 0.3],
    [0.5, 0.2, 0.3],
    [0.3, 0.3, 0.4],
])


def test_sample_starts_with_start_and_has_the_requested_length(bg):
    ids = expect_array(bg.sample(PROBS, 2, 9, seed=0), "sample(probs, start=2, length=9)", shape=(9,), kind="i")
    if ids[0] != 2 or ids.min() < 0 or ids.max() > 2:
        raise AssertionError(f"sample: expected ids in [0, 3) starting with 2, got {ids.tolist()}")


def test_the_same_seed_gives_the_same_text(bg, rng):
    seed = int(rng.integers(1 << 30))
    first = bg.sample(PROBS, 0, 40, seed=seed)
    second = bg.sample(PROBS, 0, 40, seed=seed)
    if not np.array_equal(first, second):
        raise AssertionError(f"sample with seed {seed} twice: got two different texts; use np.random.default_rng(seed)")


def test_different_seeds_give_different_texts(bg, rng):
    seed = int(rng.integers(1 << 30))
    a = bg.sample(PROBS, 0, 40, seed=seed)
    b = bg.sample(PROBS, 0, 40, seed=seed + 1)
    if np.array_equal(a, b):
        raise AssertionError(f"sample with seeds {seed} and {seed + 1} gave the same 40 ids")


def test_a_deterministic_table_gives_the_cycle(bg):
    cycle = np.array([[0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 0.0, 1.0], [1.0, 0.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0]])
    ids = bg.sample(cycle, 1, 9, seed=3)
    assert_close(np.asarray(ids, dtype=np.float64), np.array([1, 3, 2, 0, 1, 3, 2, 0, 1]),
                 "sample of the cycle 1 -> 3 -> 2 -> 0 -> 1")


def test_transition_frequencies_of_a_long_sample_match_the_table(bg, rng):
    # each row has ~3000 draws: frequencies within 0.05 of the probabilities (about 5 standard errors)
    ids = bg.sample(PROBS, 0, 9000, seed=int(rng.integers(1000)))  # the reference passes for all 1000 seeds
    counts = np.zeros((3, 3))
    np.add.at(counts, (ids[:-1], ids[1:]), 1)
    assert_close(counts / counts.sum(axis=1, keepdims=True), PROBS,
                 "transition frequencies of 9000 sampled ids (rows: previous id)", rtol=0, atol=0.05)


def test_sample_refuses_a_start_outside_the_vocabulary(bg):
    bg.sample(PROBS, 1, 3, seed=0)
    assert_raises(ValueError, lambda: bg.sample(PROBS, 3, 5, seed=0), "sample(start=3) with 3 tokens")


def _assert_rows_follow(ids, table, name):
    """Each row's transition frequencies within 5 standard errors (0.5 / sqrt(visits)) of its
    probabilities, and no transition of probability 0."""
    counts = np.zeros(table.shape)
    np.add.at(counts, (ids[:-1], ids[1:]), 1)
    if np.any(counts[table == 0] > 0):
        raise AssertionError(f"{name}: a transition of probability 0 occurred")
    visits = counts.sum(axis=1, keepdims=True)
    error = np.abs(counts / np.maximum(visits, 1) - table) * (visits > 0)
    allowed = 2.5 / np.sqrt(np.maximum(visits, 1))
    if np.any(error > allowed):
        a, b = np.unravel_index(int(np.argmax(error / allowed)), error.shape)
        raise AssertionError(f"{name}: after id {a}, id {b} came {counts[a, b]:.0f} times in {visits[a, 0]:.0f} "
                             f"(frequency {counts[a, b] / visits[a, 0]:.3f}), its probability is {table[a, b]:.3f}")


def test_a_table_with_zeros_is_followed_row_by_row(bg, rng):
    # 4000 draws from a table with zeros (the reference passes for each of 1000 seeds)
    table = np.array([[0.0, 0.7, 0.3, 0.0], [0.25, 0.0, 0.25, 0.5], [0.0, 0.0, 0.1, 0.9], [0.6, 0.4, 0.0, 0.0]])
    ids = expect_array(bg.sample(table, 3, 4000, seed=int(rng.integers(1000))), "sample of 4000 ids", shape=(4000,),
                       kind="i")
    _assert_rows_follow(ids, table, "transition frequencies of 4000 sampled ids")


# -- the whole contract, against the reference ---------------------------------------------------
# Cases are built by numpy from one drawn seed each: sizes, dtypes, values and arguments.

from hypothesis import strategies as st  # noqa: E402

from grader.engine.differential import Contract, case, contract_tests  # noqa: E402


def _cases(build):
    """Cases built by ``build(rng)`` from one drawn seed (one hypothesis draw per case: cheap)."""
    return st.integers(0, 2**32 - 1).map(lambda seed: build(np.random.default_rng(seed)))


def _deterministic_cases(rng):
    """Tables whose every row is certain (a 1 and zeros): every correct sampler draws the same ids,
    whatever way it draws; start, length (1 too) and seed vary."""
    v = int(rng.integers(1, 6))
    table = np.eye(v)[rng.integers(0, v, size=v)]
    return case(table, int(rng.integers(v)), int(rng.integers(1, 9)), seed=int(rng.integers(0, 1001)))


_P = np.full((3, 3), 1 / 3)
CONTRACTS = [
    Contract("language_models.bigram", "sample", _cases(_deterministic_cases), exercise="sampling", examples=6, fixed=[
        case(_P, 3, 5, seed=0, note="refused: start 3 with 3 tokens"),
        case(_P, 4, 5, seed=0, note="refused: start 4 with 3 tokens"),
        case(_P, -1, 5, seed=0, note="refused: start -1"),
        case(_P, 0, 0, seed=0, note="refused: length 0"),
        case(_P, 1.0, 4, seed=0, note="refused: start 1.0, not an integer"),
        case(_P, 0, 2.5, seed=0, note="refused: length 2.5"),
        case(np.full((2, 3), 1 / 3), 0, 4, seed=0, note="refused: probs not square"),
    ]),
]
globals().update(contract_tests(CONTRACTS))
