"""Hidden tests: preference pairs drawn from a policy, and a noisy Bradley-Terry labeller."""

import numpy as np
import pytest

from grader.engine.testing import assert_close, assert_raises, expect_array, module_fixture

pf = module_fixture("control.preferences")

pytestmark = pytest.mark.exercise("preferences")


def test_sample_pairs_never_compares_an_item_with_itself(pf):
    probs = np.array([0.7, 0.2, 0.1])  # a policy that would often draw item 0 twice
    first, second = pf.sample_pairs(probs, 500, 3)
    first = expect_array(first, "sample_pairs: first", shape=(500,), kind="i")
    second = expect_array(second, "sample_pairs: second", shape=(500,), kind="i")
    if np.any(first == second):
        raise AssertionError(f"sample_pairs: {int(np.sum(first == second))} of 500 pairs compare an item with itself")
    if first.min() < 0 or max(first.max(), second.max()) > 2:
        raise AssertionError("sample_pairs: item indices out of range [0, 3)")


def test_sample_pairs_draws_items_as_often_as_the_policy_gives_them(pf, rng):
    # draw both from p, redraw equal pairs: P(first = i) = p_i (1 - p_i) / sum_k p_k (1 - p_k)
    probs = np.array([0.5, 0.3, 0.15, 0.05])
    first, second = pf.sample_pairs(probs, 20000, int(rng.integers(1 << 30)))
    expected = probs * (1 - probs) / np.sum(probs * (1 - probs))
    for name, idx in (("first", first), ("second", second)):
        freq = np.bincount(np.asarray(idx), minlength=4) / 20000
        assert_close(freq, expected, f"sample_pairs: how often each item is {name} (20 000 pairs)", rtol=0, atol=0.015)


def test_sample_pairs_same_seed_same_pairs(pf):
    probs = np.array([0.25, 0.25, 0.25, 0.25])
    a = pf.sample_pairs(probs, 50, 7)
    b = pf.sample_pairs(probs, 50, 7)
    c = pf.sample_pairs(probs, 50, 8)
    if not (np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])):
        raise AssertionError("sample_pairs: the same seed gave different pairs")
    if np.array_equal(a[0], c[0]) and np.array_equal(a[1], c[1]):
        raise AssertionError("sample_pairs: seeds 7 and 8 gave the same 50 pairs")


def test_sample_pairs_refuses_zero_pairs_and_a_policy_with_one_item(pf):
    pf.sample_pairs(np.array([0.5, 0.5]), 3, 0)
    assert_raises(ValueError, lambda: pf.sample_pairs(np.array([0.5, 0.5]), 0, 0), "sample_pairs with n_pairs = 0")
    assert_raises(ValueError, lambda: pf.sample_pairs(np.array([1.0, 0.0, 0.0]), 5, 0),
                  "sample_pairs from a policy that only ever gives item 0")


@pytest.mark.points(2)
def test_labeller_chooses_with_the_sigmoid_of_the_gap_over_the_noise(pf):
    # 5 x 4000 pairs (item 0, item 1): the better item must win in sigmoid((1 - 0) / noise) of them
    utility = np.array([0.0, 1.0, 0.3])
    first, second = np.zeros(4000, dtype=np.int64), np.ones(4000, dtype=np.int64)
    for noise in (0.5, 2.0):
        wins = 0
        for seed in range(5):
            chosen, _ = pf.bradley_terry_choices(utility, first, second, noise, [11, seed])
            wins += int(np.sum(expect_array(chosen, "bradley_terry_choices: chosen", shape=(4000,), kind="i") == 1))
        rate, expected = wins / 20000, 1.0 / (1.0 + np.exp(-1.0 / noise))
        if abs(rate - expected) > 0.012:
            raise AssertionError(f"bradley_terry_choices (noise {noise}): the better item (utility 1 vs 0) was chosen "
                                 f"in {rate:.3f} of pairs, expected sigmoid(1 / {noise}) = {expected:.3f}")


def test_labeller_keeps_both_items_of_every_pair(pf, rng):
    utility = rng.normal(size=6)
    first = rng.integers(0, 6, size=40)
    second = (first + rng.integers(1, 6, size=40)) % 6
    chosen, rejected = pf.bradley_terry_choices(utility, first, second, 1.0, 5)
    pairs = {(int(a), int(b)) for a, b in zip(first, second)} | {(int(b), int(a)) for a, b in zip(first, second)}
    for n, (c, r) in enumerate(zip(np.asarray(chosen), np.asarray(rejected))):
        if (int(c), int(r)) not in pairs or {int(c), int(r)} != {int(first[n]), int(second[n])}:
            raise AssertionError(f"bradley_terry_choices: pair {n} was ({first[n]}, {second[n]}) but came back "
                                 f"as chosen {c}, rejected {r}")


def test_a_gap_of_1000_is_a_sure_choice_not_a_nan(pf):
    utility = np.array([1000.0, 0.0, -1000.0])
    first, second = np.array([0, 1, 2, 0]), np.array([1, 2, 1, 2])
    chosen, rejected = pf.bradley_terry_choices(utility, first, second, 0.5, 0)
    if list(np.asarray(chosen)) != [0, 1, 1, 0] or list(np.asarray(rejected)) != [1, 2, 2, 2]:
        raise AssertionError(f"bradley_terry_choices with utility gaps of 1000: chosen {list(chosen)}, "
                             f"expected [0, 1, 1, 0] (the better item every time)")


def test_labeller_refuses_a_noise_of_zero_and_pairs_of_different_lengths(pf):
    utility = np.array([0.0, 1.0])
    pf.bradley_terry_choices(utility, np.array([0]), np.array([1]), 1.0, 0)
    assert_raises(ValueError, lambda: pf.bradley_terry_choices(utility, np.array([0]), np.array([1]), 0.0, 0),
                  "bradley_terry_choices with noise = 0")
    assert_raises(ValueError, lambda: pf.bradley_terry_choices(utility, np.array([0, 1]), np.array([1]), 1.0, 0),
                  "bradley_terry_choices with 2 first items and 1 second")


# -- the whole contract, against the reference ---------------------------------------------------
# The draws are documented exactly (sample_pairs' redraws, one uniform per pair for the labeller),
# so pairs and choices are compared one for one, for policies with zeros, near-ties (coin flips),
# utility gaps of 1000 (sure choices), every documented noise, and no pairs at all.

from hypothesis import strategies as st  # noqa: E402

from grader.engine import domains as dom  # noqa: E402
from grader.engine.differential import Contract, case, contract_tests  # noqa: E402


from grader.engine.domains import seeded as _seeded  # noqa: E402


from grader.engine.domains import pick as _pick  # noqa: E402


from grader.engine.domains import values as _values  # noqa: E402


from grader.engine.domains import ints as _ints  # noqa: E402


def _seed(rng):
    return int(rng.integers(2**31)) if rng.random() < 0.5 else [int(s) for s in rng.integers(0, 1000, size=2)]


def _pair_case(rng):
    k = int(rng.integers(2, 6))
    probs = rng.dirichlet(np.ones(k))
    if rng.random() < 0.5:  # some items the policy never gives
        probs = np.where(rng.random(k) < 0.3, 0.0, probs)
        probs[np.argsort(-probs)[:2]] += 0.05  # two items at least can still be drawn
        probs = probs / probs.sum()
    return case(probs, int(rng.integers(1, 7)), _seed(rng))


def _choice_case(rng):
    k, n, notes = int(rng.integers(1, 6)), int(rng.integers(0, 7)), []
    utility = _values(rng, (k,), dom.FLOAT_REGIMES, notes)
    return case(utility, _ints(rng, (n,), 0, k), _ints(rng, (n,), 0, k), _pick(rng, [0.1, 0.5, 1.0, 5.0]), _seed(rng),
                note=f"utility {notes[0]}, {n} pairs")


_U, _I = np.array([0.0, 1.0, 2.0]), np.array([0, 1])
CONTRACTS = [
    Contract("control.preferences", "sample_pairs", _seeded(_pair_case), examples=6, points=2,
             fixed=[case(np.array([0.5, 0.5]), 0, 0, note="n_pairs = 0"),
                    case(np.array([0.0, 1.0, 0.0]), 3, 0, note="all the mass on one item"),
                    case(np.array([1.0]), 3, 0, note="one item"),
                    case(np.array([0.5, 0.6]), 3, 0, note="probs summing to 1.1"),
                    case(np.array([1.5, -0.5]), 3, 0, note="a negative probability"),
                    case(np.full((2, 2), 0.25), 3, 0, note="probs of rank 2")]),
    Contract("control.preferences", "bradley_terry_choices", _seeded(_choice_case), examples=8, points=2,
             fixed=[case(_U, _I, _I[::-1], 0.0, 0, note="noise = 0"),
                    case(_U, _I, _I[::-1], -1.0, 0, note="noise < 0"),
                    case(_U, _I, np.array([1]), 1.0, 0, note="2 first items, 1 second"),
                    case(_U, np.array([0, 3]), _I, 1.0, 0, note="item 3 of 3"),
                    case(_U, _I, np.array([-1, 0]), 1.0, 0, note="item -1"),
                    case(_U, np.array([0.0, 1.0]), _I, 1.0, 0, note="float items"),
                    case(_U, np.array([[0, 1]]), np.array([[1, 0]]), 1.0, 0, note="items of rank 2"),
                    case(_U, np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), 1.0, 0, note="no pairs")]),
]
globals().update(contract_tests(CONTRACTS))
