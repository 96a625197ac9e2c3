"""Hidden tests: ngram.py (n-gram counts, add-k probabilities, held-out cross-entropy, sampling, BPE + trigram)."""

import numpy as np
import pytest

from grader.engine.testing import assert_close, assert_raises, expect_array, module_fixture, reference_fixture

ng = module_fixture("language_models.ngram")
ref = reference_fixture("language_models.ngram")
ref_bigram = reference_fixture("language_models.bigram")
ref_bpe = reference_fixture("language_models.bpe")
corpus = reference_fixture("language_models.corpus")

pytestmark = pytest.mark.exercise("ngram")

# six trigrams: 012 120 201 010 101 012
IDS = np.array([0, 1, 2, 0, 1, 0, 1, 2])


def _int_array(value, name, shape):
    return expect_array(value, name, shape=shape, kind="i").astype(np.float64)


def test_trigram_counts_by_hand_in_lexicographic_order(ng):
    grams, counts = ng.ngram_counts(IDS, 3)
    grams = _int_array(grams, "ngram_counts(0 1 2 0 1 0 1 2, 3): grams", (5, 3))
    counts = _int_array(counts, "ngram_counts(0 1 2 0 1 0 1 2, 3): counts", (5,))
    assert_close(grams, np.array([[0, 1, 0], [0, 1, 2], [1, 0, 1], [1, 2, 0], [2, 0, 1]]),
                 "ngram_counts(ids, 3): the distinct trigrams, rows in lexicographic order")
    assert_close(counts, np.array([1, 2, 1, 1, 1]), "ngram_counts(ids, 3): counts")


def test_unigram_counts_and_a_too_short_text(ng):
    grams, counts = ng.ngram_counts(IDS, 1)
    assert_close(_int_array(grams, "ngram_counts(ids, 1): grams", (3, 1)), np.array([[0], [1], [2]]), "unigrams")
    assert_close(_int_array(counts, "ngram_counts(ids, 1): counts", (3,)), np.array([3, 3, 2]), "unigram counts")
    grams, counts = ng.ngram_counts(np.array([4, 2]), 3)
    _int_array(grams, "ngram_counts of 2 ids with n = 3: grams", (0, 3))
    _int_array(counts, "ngram_counts of 2 ids with n = 3: counts", (0,))


def test_next_token_probs_by_hand_and_uniform_for_an_unseen_context(ng):
    model = ng.fit_ngram(IDS, 3, 3, k=0.5)
    # context (0, 1) was followed by 0 once and by 2 twice: (count + 0.5) / (3 + 3 * 0.5)
    got = expect_array(ng.next_token_probs(model, np.array([0, 1])), "next_token_probs(context 0 1)", shape=(3,))
    assert_close(got, np.array([1.5, 0.5, 2.5]) / 4.5, "next_token_probs after 0 1 (add-0.5 trigram)")
    assert_close(ng.next_token_probs(model, np.array([2, 2])), np.full(3, 1 / 3), "next_token_probs of a context never seen")


def test_next_token_probs_sum_to_one_for_every_context(ng, rng):
    ids = rng.integers(0, 4, size=60)
    model = ng.fit_ngram(ids, 3, 4, k=0.2)
    for a in range(4):
        for b in range(4):
            p = ng.next_token_probs(model, np.array([a, b]))
            assert_close(float(np.sum(p)), 1.0, f"sum of next_token_probs after context ({a}, {b})")


def test_log_probs_score_every_position_after_the_first_n_minus_1(ng, ref, rng):
    train = rng.integers(0, 5, size=80)
    test = rng.integers(0, 5, size=17)
    for n in (1, 2, 3):
        model = ng.fit_ngram(train, n, 5, k=0.3)
        got = expect_array(ng.ngram_log_probs(model, test), f"ngram_log_probs (n={n})", shape=(18 - n,))
        assert_close(got, ref.ngram_log_probs(ref.fit_ngram(train, n, 5, k=0.3), test), f"ngram_log_probs (n={n})")


def test_a_2_gram_model_is_the_bigram_model(ng, ref_bigram, rng):
    train = rng.integers(0, 6, size=200)
    test = rng.integers(0, 6, size=50)
    expected = ref_bigram.cross_entropy(ref_bigram.bigram_probs(ref_bigram.bigram_counts(train, 6), k=0.7), test)
    assert_close(ng.ngram_cross_entropy(ng.fit_ngram(train, 2, 6, k=0.7), test), expected,
                 "ngram_cross_entropy with n=2 against the bigram model's cross_entropy")


@pytest.mark.points(2)
def test_bpe_trigram_on_the_synthetic_corpus_is_near_the_entropy_rate_per_character(ng, ref_bpe, corpus, rng):
    seed = int(rng.integers(1000))  # the reference passes for each of the 1000 possible seeds
    transition = corpus.markov_chain(3, seed, concentration=1.0)
    train = corpus.sample_markov(transition, 8_000, seed + 1)
    held_out = corpus.sample_markov(transition, 3_000, seed + 2)
    vocab, merges = ref_bpe.train_bpe(train, 4)
    train_ids, held_ids = ref_bpe.bpe_encode(train, vocab, merges), ref_bpe.bpe_encode(held_out, vocab, merges)
    log_probs = ng.ngram_log_probs(ng.fit_ngram(train_ids, 3, len(vocab), k=0.1), held_ids)
    log_probs = expect_array(log_probs, "ngram_log_probs of the held-out BPE ids", shape=(held_ids.size - 2,))
    scored_chars = len(held_out) - len(vocab[held_ids[0]]) - len(vocab[held_ids[1]])
    per_char = float(-np.sum(log_probs) / scored_chars)
    entropy = corpus.entropy_rate(transition)
    if not entropy - 0.06 < per_char < entropy + 0.12:
        raise AssertionError(f"BPE + trigram: {per_char:.4f} nats per character against an entropy rate of "
                             f"{entropy:.4f}; expected within [-0.06, +0.12] of it")


def test_sample_keeps_the_prompt_and_follows_a_deterministic_pattern(ng):
    model = ng.fit_ngram(np.array([0, 1, 2] * 20), 3, 3, k=1e-9)
    ids = expect_array(ng.ngram_sample(model, np.array([1, 2]), 8, seed=0), "ngram_sample", shape=(8,), kind="i")
    assert_close(ids.astype(np.float64), np.array([1, 2, 0, 1, 2, 0, 1, 2]), "ngram_sample after 1 2 of 0 1 2 0 1 2 ...")


def test_sample_is_reproducible_and_depends_on_the_seed(ng, rng):
    model = ng.fit_ngram(rng.integers(0, 5, size=100), 2, 5, k=0.5)
    seed = int(rng.integers(1 << 30))
    a, b = ng.ngram_sample(model, np.array([3]), 40, seed=seed), ng.ngram_sample(model, np.array([3]), 40, seed=seed)
    c = ng.ngram_sample(model, np.array([3]), 40, seed=seed + 1)
    if not np.array_equal(a, b):
        raise AssertionError("ngram_sample with the same seed twice gave two different samples")
    if np.array_equal(a, c):
        raise AssertionError("ngram_sample with two different seeds gave the same 40 ids")


def test_fit_refuses_n_zero_k_zero_and_an_empty_corpus(ng):
    ng.fit_ngram(IDS, 2, 3, k=1.0)
    assert_raises(ValueError, lambda: ng.fit_ngram(IDS, 0, 3, k=1.0), "fit_ngram(n=0)")
    assert_raises(ValueError, lambda: ng.fit_ngram(IDS, 2, 3, k=0.0), "fit_ngram(k=0)")
    assert_raises(ValueError, lambda: ng.fit_ngram(np.array([], dtype=np.int64), 2, 3, k=1.0), "fit_ngram of no ids")
