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


def test_sampling_follows_the_smoothed_probabilities(ng, ref, rng):
    # a bigram model whose add-1 probabilities are far from the raw counts: 1200 sampled ids follow
    # next_token_probs row by row, each frequency within 5 standard errors (0.5 / sqrt(visits)) of
    # its probability (the reference passes for each of 1000 seeds)
    model = ref.fit_ngram(np.array([0, 0, 0, 0, 1, 1, 2, 0, 0, 1, 0, 0]), 2, 3, k=1.0)
    ids = expect_array(ng.ngram_sample(model, np.array([0]), 1200, seed=int(rng.integers(1000))), "ngram_sample",
                       shape=(1200,), kind="i")
    counts = np.zeros((3, 3))
    np.add.at(counts, (ids[:-1], ids[1:]), 1)
    visits = counts.sum(axis=1, keepdims=True)
    expected = np.array([ref.next_token_probs(model, np.array([a])) for a in range(3)])
    error = np.abs(counts / np.maximum(visits, 1) - expected) * (visits > 0)
    allowed = 2.5 / np.sqrt(np.maximum(visits, 1))
    if np.any(error > allowed):
        a, b = np.unravel_index(int(np.argmax(error / allowed)), error.shape)
        raise AssertionError(f"ngram_sample of an add-1 bigram model: after id {a}, id {b} came {counts[a, b]:.0f} "
                             f"times in {visits[a, 0]:.0f} (frequency {counts[a, b] / visits[a, 0]:.3f}), "
                             f"next_token_probs gives {expected[a, b]:.3f}")


# -- the whole contract, against the reference ---------------------------------------------------
# Cases are built by numpy from one drawn seed each: sizes, dtypes, values and arguments.

from hypothesis import strategies as st  # noqa: E402

from grader.engine.differential import Contract, case, contract_tests  # noqa: E402


def _cases(build):
    """Cases built by ``build(rng)`` from one drawn seed (one hypothesis draw per case: cheap)."""
    return st.integers(0, 2**32 - 1).map(lambda seed: build(np.random.default_rng(seed)))


from grader.engine.domains import pick as _pick  # noqa: E402


def _fit(train, n, v, k):
    """The model fit_ngram documents, built here: plain data the learner's functions are handed."""
    grams, counts = np.unique(np.lib.stride_tricks.sliding_window_view(train, n), axis=0, return_counts=True)
    return {"n": n, "vocab_size": v, "k": float(k), "grams": grams.astype(np.int64), "counts": counts.astype(np.int64)}


_K = [None, 1e-9, 0.1, 1.0, 3.0]  # None: the default


def _ids(rng, low=0, high=12):
    v, dtype = int(rng.integers(1, 5)), _pick(rng, [np.int64, np.int32, np.uint8])
    return rng.integers(0, v, size=rng.integers(low, high + 1)).astype(dtype)


def _counts_cases(rng):
    return case(_ids(rng), int(rng.integers(1, 5)))


def _fit_cases(rng):
    n, ids = int(rng.integers(1, 4)), _ids(rng, low=3)
    vocab_size, k = int(ids.max()) + 1 + int(rng.integers(0, 3)), _pick(rng, _K)
    return case(ids, n, vocab_size) if k is None else case(ids, n, vocab_size, k=k)


def _model(rng):
    n, v, k = int(rng.integers(1, 4)), int(rng.integers(2, 6)), _pick(rng, _K)
    train = rng.integers(0, v, size=rng.integers(3, 16))
    return _fit(train, n, v, 1.0 if k is None else k)


def _context_cases(rng):
    model = _model(rng)
    return case(model, rng.integers(0, model["vocab_size"], size=model["n"] - 1))  # often a context never seen


def _scored_cases(rng):
    model, dtype = _model(rng), _pick(rng, [np.int64, np.uint8])
    return case(model, rng.integers(0, model["vocab_size"], size=rng.integers(model["n"], 11)).astype(dtype))


def _sample_cases(rng):
    """Models where every context met is followed by one token only (k = 1e-12): every correct
    sampler draws the same ids, whatever way it draws. n, prompt length, length and seed vary."""
    n, v = int(rng.integers(1, 4)), int(rng.integers(1, 6))
    if n == 1:
        train = np.full(8, rng.integers(v))
    else:  # a deterministic walk: next = successor[previous], run until it cycles
        successor, train = rng.integers(0, v, size=v), [int(rng.integers(v))]
        for _ in range(3 * v + 3):
            train.append(int(successor[train[-1]]))
        train = np.array(train)
    model = _fit(train, n, v, 1e-12)
    p = int(rng.integers(max(n - 1, 1), n + 2))
    return case(model, train[-p:], p + int(rng.integers(0, 7)), seed=int(rng.integers(0, 1001)))


_TRIGRAM = {"n": 3, "vocab_size": 3, "k": 0.5, "grams": np.array([[0, 1, 2], [1, 2, 0]]), "counts": np.array([2, 1])}
_SCORE_REFUSED = [
    case(_TRIGRAM, np.array([0, 1]), note="refused: 2 ids for a trigram model"),
    case(_TRIGRAM, np.array([0, 1, 3]), note="refused: id 3 with V = 3"),
    case(_TRIGRAM, np.array([0, -1, 2]), note="refused: id -1"),
]
CONTRACTS = [
    Contract("language_models.ngram", "ngram_counts", _cases(_counts_cases), exercise="ngram", examples=6, fixed=[
        case(np.array([1, 2]), 0, note="refused: n 0"), case(np.array([1, 2]), -1, note="refused: n -1"),
        case(np.array([1, 2]), 2.0, note="refused: n 2.0, not an integer"),
        case(np.array([1.0, 2.0]), 1, note="refused: float ids"),
        case(np.array([[1, 2]]), 1, note="refused: 2-d ids"),
    ]),
    Contract("language_models.ngram", "fit_ngram", _cases(_fit_cases), exercise="ngram", examples=6, fixed=[
        case(IDS, 0, 3, note="refused: n 0"), case(IDS, 2.0, 3, note="refused: n 2.0, not an integer"),
        case(IDS, 2, 3, k=0.0, note="refused: k 0"),
        case(IDS, 2, 3, k=-0.5, note="refused: k < 0"), case(IDS, 2, 2, note="refused: id 2 with vocab_size 2"),
        case(np.array([1]), 2, 3, note="refused: 1 id for a bigram model"),
        case(np.array([1, 2]), 2, 3, note="2 ids: exactly one bigram"),
        case(np.zeros(0, dtype=np.int64), 1, 3, note="refused: no ids"),
        case(IDS, 2, 0, note="refused: vocab_size 0"),
    ]),
    Contract("language_models.ngram", "next_token_probs", _cases(_context_cases), exercise="ngram", examples=6, fixed=[
        case(_TRIGRAM, np.array([0]), note="refused: a context of 1 id for a trigram model"),
        case(_TRIGRAM, np.array([0, 1, 2]), note="refused: a context of 3 ids"),
        case(_TRIGRAM, np.array([0, 3]), note="refused: id 3 with V = 3"),
    ]),
    Contract("language_models.ngram", "ngram_log_probs", _cases(_scored_cases), exercise="ngram", examples=6,
             fixed=_SCORE_REFUSED),
    Contract("language_models.ngram", "ngram_cross_entropy", _cases(_scored_cases), exercise="ngram", examples=5,
             fixed=_SCORE_REFUSED),
    Contract("language_models.ngram", "ngram_sample", _cases(_sample_cases), exercise="ngram", examples=6, fixed=[
        case(_TRIGRAM, np.array([0]), 5, seed=0, note="refused: a prompt of 1 id for a trigram model"),
        case(_TRIGRAM, np.array([0, 1, 2]), 2, seed=0, note="refused: a prompt longer than length"),
        case(_TRIGRAM, np.array([0, 3]), 5, seed=0, note="refused: id 3 with V = 3"),
    ]),
]
globals().update(contract_tests(CONTRACTS))
