"""Hidden tests: corpus.entropy_rate, the best held-out loss any model can reach on the synthetic corpus."""

import numpy as np
import pytest

from grader.engine.testing import assert_close, assert_raises, module_fixture, reference_fixture

corpus = module_fixture("language_models.corpus")
ref = reference_fixture("language_models.corpus")

pytestmark = pytest.mark.exercise("entropy_rate")


def _h(p):
    p = np.asarray(p, dtype=np.float64)
    return float(-np.sum(p * np.log(p)))


def test_entropy_rate_of_a_two_state_chain_by_hand(corpus):
    # pi solves pi P = pi: pi = (5/6, 1/6); H = 5/6 h(0.9, 0.1) + 1/6 h(0.5, 0.5)
    transition = np.array([[0.9, 0.1], [0.5, 0.5]])
    expected = 5 / 6 * _h([0.9, 0.1]) + 1 / 6 * _h([0.5, 0.5])
    assert_close(corpus.entropy_rate(transition), expected, "entropy_rate([[0.9, 0.1], [0.5, 0.5]])", rtol=1e-10)


def test_entropy_rate_weights_rows_by_the_stationary_distribution_not_uniformly(corpus):
    # a plain mean over rows gives (h(0.99, 0.01) + h(0.5, 0.5)) / 2, far from the truth
    transition = np.array([[0.99, 0.01], [0.5, 0.5]])
    pi = np.array([50 / 51, 1 / 51])
    expected = pi[0] * _h([0.99, 0.01]) + pi[1] * _h([0.5, 0.5])
    assert_close(corpus.entropy_rate(transition), expected, "entropy_rate of a chain that mostly stays in state 0",
                 rtol=1e-9)


def test_entropy_rate_of_a_uniform_chain_is_log_v_and_two_bits_for_four_symbols(corpus):
    uniform = np.full((4, 4), 0.25)
    assert_close(corpus.entropy_rate(uniform), np.log(4), "entropy_rate(uniform 4 x 4) in nats", rtol=1e-10)
    assert_close(corpus.entropy_rate(uniform, base=2), 2.0, "entropy_rate(uniform 4 x 4, base=2) in bits", rtol=1e-10)


def test_a_deterministic_cycle_has_entropy_rate_zero(corpus):
    # 0 -> 1 -> 2 -> 0: every next symbol is certain; 0 log 0 counts as 0, not NaN
    cycle = np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [1.0, 0.0, 0.0]])
    assert_close(corpus.entropy_rate(cycle), 0.0, "entropy_rate of a deterministic cycle", atol=1e-12)


def test_entropy_rate_of_random_chains_matches_the_reference(corpus, ref, rng):
    for n_symbols in (3, 6):
        transition = ref.markov_chain(n_symbols, int(rng.integers(1 << 30)), concentration=0.7)
        assert_close(corpus.entropy_rate(transition), ref.entropy_rate(transition),
                     f"entropy_rate of a random {n_symbols}-symbol chain", rtol=1e-9)
        assert_close(corpus.entropy_rate(transition, base=2), ref.entropy_rate(transition, base=2),
                     f"entropy_rate(base=2) of a random {n_symbols}-symbol chain", rtol=1e-9)


def test_entropy_rate_refuses_base_one(corpus):
    corpus.entropy_rate(np.full((2, 2), 0.5))
    assert_raises(ValueError, lambda: corpus.entropy_rate(np.full((2, 2), 0.5), base=1.0), "entropy_rate(base=1)")


# -- the whole contract, against the reference ---------------------------------------------------
# Cases are built by numpy from one drawn seed each: sizes, dtypes, values and arguments.

from hypothesis import strategies as st  # noqa: E402

from grader.engine.differential import Contract, case, contract_tests  # noqa: E402


def _cases(build):
    """Cases built by ``build(rng)`` from one drawn seed (one hypothesis draw per case: cheap)."""
    return st.integers(0, 2**32 - 1).map(lambda seed: build(np.random.default_rng(seed)))


def _chains(rng):
    """Irreducible chains (so the stationary distribution is unique): peaked or flat Dirichlet rows,
    or rows with zeros kept connected by a cycle through every symbol; base over its documented values."""
    v, concentration, zeros = int(rng.integers(2, 7)), float(rng.choice([0.1, 0.5, 1.0, 5.0])), rng.random() < 0.5
    base = [None, 2, 10, 0.5, np.e][int(rng.integers(5))]
    transition = rng.dirichlet(np.full(v, concentration), size=v)
    if zeros:
        transition = np.where(rng.random((v, v)) < 0.5, 0.0, transition)
        transition[np.arange(v), (np.arange(v) + 1) % v] += rng.random(v)  # the cycle 0 -> 1 -> ... -> 0
        transition /= transition.sum(axis=1, keepdims=True)
    note = f"concentration {concentration}" + (", with zeros" if zeros else "")
    return case(transition, note=note) if base is None else case(transition, base=base, note=note)


_T = np.array([[0.9, 0.1], [0.5, 0.5]])
CONTRACTS = [
    Contract("language_models.corpus", "entropy_rate", _cases(_chains), exercise="entropy_rate", examples=6, fixed=[
        case(np.array([[1.0]]), note="one symbol: 0"),
        case(np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [1.0, 0.0, 0.0]]), base=2, note="a deterministic cycle: 0"),
        case(_T, base=1.0, note="refused: base 1"), case(_T, base=0.0, note="refused: base 0"),
        case(_T, base=-2.0, note="refused: base < 0"),
        case(np.array([[0.9, 0.0], [0.5, 0.5]]), note="refused: a row summing to 0.9"),
        case(np.array([[1.2, -0.2], [0.5, 0.5]]), note="refused: a negative entry"),
        case(np.full((2, 3), 1 / 3), note="refused: not square"),
    ]),
]
globals().update(contract_tests(CONTRACTS))
