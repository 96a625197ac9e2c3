"""Hidden tests: bigram.cross_entropy and perplexity, and how close a bigram model gets to the entropy rate."""

import numpy as np
import pytest

from grader.engine.testing import assert_close, assert_raises, module_fixture, reference_fixture

bg = module_fixture("language_models.bigram")
ref = reference_fixture("language_models.bigram")
corpus = reference_fixture("language_models.corpus")

pytestmark = pytest.mark.exercise("evaluation")

PROBS = np.array([
    [0.5, 0.25, 0.25],
    [0.1, 0.1, 0.8],
    [0.6, 0.2, 0.2],
])


def test_cross_entropy_by_hand_skips_the_first_token(bg):
    # 0 -> 1 -> 2 -> 0: -(log 0.25 + log 0.8 + log 0.6) / 3
    expected = -(np.log(0.25) + np.log(0.8) + np.log(0.6)) / 3
    assert_close(bg.cross_entropy(PROBS, np.array([0, 1, 2, 0])), expected, "cross_entropy of ids 0 1 2 0")


def test_perplexity_is_exp_of_the_mean_not_of_the_sum(bg):
    ids = np.array([0, 1, 2, 0, 0, 2, 1])
    mean_nll = -np.mean(np.log(PROBS[ids[:-1], ids[1:]]))
    assert_close(bg.perplexity(PROBS, ids), np.exp(mean_nll), "perplexity of 7 ids (exp of the mean per token)")


def test_a_uniform_model_has_perplexity_v(bg, rng):
    ids = rng.integers(0, 5, size=23)
    assert_close(bg.perplexity(np.full((5, 5), 0.2), ids), 5.0, "perplexity of the uniform model over 5 tokens")
    assert_close(bg.cross_entropy(np.full((5, 5), 0.2), ids), np.log(5), "cross_entropy of the uniform model")


def test_cross_entropy_refuses_a_single_token(bg):
    bg.cross_entropy(PROBS, np.array([0, 1]))
    assert_raises(ValueError, lambda: bg.cross_entropy(PROBS, np.array([1])), "cross_entropy of one id")


def _synthetic(corpus, seed, n_symbols=4):
    transition = corpus.markov_chain(n_symbols, seed, concentration=0.5)
    train = corpus.sample_markov(transition, 6_000, seed + 1)
    held_out = corpus.sample_markov(transition, 4_000, seed + 2)
    return train, held_out, corpus.entropy_rate(transition)


@pytest.mark.points(2)
def test_held_out_cross_entropy_on_the_synthetic_corpus_is_near_its_entropy_rate(bg, ref, corpus, rng):
    train, held_out, entropy = _synthetic(corpus, int(rng.integers(1000)))
    vocab = ref.build_vocab(ref.char_tokens(train))
    train_ids, held_ids = ref.encode(ref.char_tokens(train), vocab), ref.encode(ref.char_tokens(held_out), vocab)
    counts = bg.bigram_counts(train_ids, len(vocab))
    ce = bg.cross_entropy(bg.bigram_probs(counts, k=0.1), held_ids)
    # a bigram model is the right model class for a first-order chain: with 6000 training symbols it
    # sits within the held-out text's sampling noise (about 0.012 nats, more for sticky chains) of the
    # entropy rate; the reference stays within 0.071 for each of the 1000 possible chain seeds
    if not abs(ce - entropy) < 0.08:
        raise AssertionError(
            f"held-out cross-entropy {ce:.4f} nats/char, entropy rate {entropy:.4f}: expected within 0.08 "
            "(rows and columns of the count table swapped? probabilities not normalised per row?)"
        )


def test_unseen_characters_in_held_out_text_map_to_unk_and_keep_the_loss_finite(bg):
    train, held_out = "abcabcabcab", "abxcaz"
    vocab = bg.build_vocab(bg.char_tokens(train))
    probs = bg.bigram_probs(bg.bigram_counts(bg.encode(bg.char_tokens(train), vocab), len(vocab)), k=0.5)
    ids = bg.encode(bg.char_tokens(held_out), vocab)
    assert_close(np.asarray(ids, dtype=np.float64), np.array([1, 2, 0, 3, 1, 0]), "encode('abxcaz') over a, b, c")
    ce = bg.cross_entropy(probs, ids)
    expected = -np.mean(np.log(probs[ids[:-1], ids[1:]]))
    assert_close(ce, expected, "cross_entropy of a held-out text with unknown characters")


# -- the whole contract, against the reference ---------------------------------------------------
# Cases are built by numpy from one drawn seed each: sizes, dtypes, values and arguments.

from hypothesis import strategies as st  # noqa: E402

from grader.engine.differential import Contract, case, contract_tests  # noqa: E402


def _cases(build):
    """Cases built by ``build(rng)`` from one drawn seed (one hypothesis draw per case: cheap)."""
    return st.integers(0, 2**32 - 1).map(lambda seed: build(np.random.default_rng(seed)))


from grader.engine.domains import pick as _pick  # noqa: E402


def _eval_cases(rng):
    """A table with or without zero probabilities (a zero on a scored pair gives inf), ids of a
    signed or unsigned dtype, from 2 ids up."""
    v, n, zeros = int(rng.integers(1, 6)), int(rng.integers(2, 11)), rng.random() < 0.5
    probs = rng.dirichlet(np.ones(v), size=v)
    if zeros and v > 1:
        probs = np.where(rng.random((v, v)) < 0.3, 0.0, probs)
        probs[:, 0] += probs.sum(axis=1) == 0
        probs /= probs.sum(axis=1, keepdims=True)
    dtype = _pick(rng, [np.int64, np.int32, np.uint8])
    return case(probs, rng.integers(0, v, size=n).astype(dtype), note="with zeros" if zeros else "")


_EVAL_REFUSED = [
    case(PROBS, np.array([1]), note="refused: one id"),
    case(PROBS, np.zeros(0, dtype=np.int64), note="refused: no ids"),
    case(PROBS, np.array([0, 3]), note="refused: id 3 with 3 tokens"),
    case(PROBS, np.array([0, -1]), note="refused: id -1"),
    case(PROBS, np.array([0.0, 1.0]), note="refused: float ids"),
    case(PROBS, np.array([[0, 1], [1, 2]]), note="refused: 2-d ids"),
    case(PROBS[:2], np.array([0, 1]), note="refused: probs not square"),
]
CONTRACTS = [
    Contract("language_models.bigram", "cross_entropy", _cases(_eval_cases), exercise="evaluation", examples=6,
             fixed=_EVAL_REFUSED),
    Contract("language_models.bigram", "perplexity", _cases(_eval_cases), exercise="evaluation", examples=6,
             fixed=_EVAL_REFUSED),
]
globals().update(contract_tests(CONTRACTS))
