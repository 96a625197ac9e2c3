"""Public tests of the language-models extension: `make check PHASE=language_models`.

Each test names its exercise; `make check PHASE=language_models ARGS='-k bpe'` runs one exercise.
The grader runs more, hidden, tests (larger corpora, the reference's results, the gradient check).
"""

import numpy as np
import pytest

from grader.engine.testing import assert_close, assert_raises, expect_array, module_fixture

bg = module_fixture("language_models.bigram")
corpus = module_fixture("language_models.corpus")
bpe = module_fixture("language_models.bpe")
ng = module_fixture("language_models.ngram")


def _same(got, expected, name):
    if list(got) != list(expected):
        raise AssertionError(f"{name}: got {list(got)!r}, expected {list(expected)!r}")


# -- LM.1 tokens ---------------------------------------------------------------------------------

@pytest.mark.exercise("tokens")
def test_tokens_words_and_punctuation(bg):
    _same(bg.word_tokens("it's a list, (x)."), ["it's", "a", "list", ",", "(", "x", ")", "."], "word_tokens")


@pytest.mark.exercise("tokens")
def test_tokens_vocab_has_unk_at_id_zero_and_encode_uses_it(bg):
    vocab = bg.build_vocab(bg.char_tokens("banana"))
    _same(vocab, ["<unk>", "a", "b", "n"], 'build_vocab of "banana"')
    ids = expect_array(bg.encode(bg.char_tokens("bad"), vocab), 'encode("bad")', shape=(3,), kind="i")
    _same(ids.tolist(), [2, 1, 0], 'encode("bad"): d is unknown, so id 0')


# -- LM.2 counts and probabilities ---------------------------------------------------------------

@pytest.mark.exercise("bigram")
def test_bigram_counts_of_banana(bg):
    # b a n a n a over <unk>, a, b, n: b->a once, a->n twice, n->a twice
    counts = expect_array(bg.bigram_counts(np.array([2, 1, 3, 1, 3, 1]), 4), "bigram_counts", shape=(4, 4), kind="i")
    expected = np.zeros((4, 4))
    expected[2, 1], expected[1, 3], expected[3, 1] = 1, 2, 2
    assert_close(counts.astype(np.float64), expected, "bigram_counts of 'banana' (rows: previous token)")


@pytest.mark.exercise("bigram")
def test_bigram_add_one_rows_sum_to_one(bg):
    counts = np.array([[0, 2], [1, 1]])
    assert_close(bg.bigram_probs(counts, k=1.0), np.array([[1 / 4, 3 / 4], [2 / 4, 2 / 4]]), "bigram_probs(k=1)")
    bg.bigram_probs(counts, k=0.5)
    assert_raises(ValueError, lambda: bg.bigram_probs(counts, k=0.0), "bigram_probs(k=0)")


# -- LM.3 sampling -------------------------------------------------------------------------------

@pytest.mark.exercise("sampling")
def test_sampling_same_seed_same_ids(bg):
    probs = np.array([[0.2, 0.8], [0.7, 0.3]])
    a, b = bg.sample(probs, 0, 20, seed=5), bg.sample(probs, 0, 20, seed=5)
    expect_array(a, "sample", shape=(20,), kind="i")
    if not np.array_equal(a, b) or a[0] != 0:
        raise AssertionError("sample: the same seed must give the same ids, starting with start")


# -- LM.4 evaluation -----------------------------------------------------------------------------

@pytest.mark.exercise("evaluation")
def test_evaluation_cross_entropy_and_perplexity_by_hand(bg):
    probs = np.array([[0.5, 0.5], [0.25, 0.75]])
    ids = np.array([0, 1, 1])  # scored: P(1 | 0) = 0.5, P(1 | 1) = 0.75
    expected = -(np.log(0.5) + np.log(0.75)) / 2
    assert_close(bg.cross_entropy(probs, ids), expected, "cross_entropy")
    assert_close(bg.perplexity(probs, ids), np.exp(expected), "perplexity")


# -- LM.5 entropy rate ---------------------------------------------------------------------------

@pytest.mark.exercise("entropy_rate")
def test_entropy_rate_of_a_fair_coin_chain_is_one_bit(corpus):
    assert_close(corpus.entropy_rate(np.full((2, 2), 0.5), base=2), 1.0, "entropy_rate of a fair coin, in bits")


# -- LM.6 logit bigram ---------------------------------------------------------------------------

@pytest.mark.exercise("logit_bigram")
def test_logit_bigram_gradient_is_softmax_minus_onehot_over_n(bg):
    # one pair (0 -> 1) with zero logits: row 0 of the gradient is softmax(0) - onehot(1) = [1/2, -1/2]
    loss, dlogits = bg.logit_bigram_loss(np.zeros((2, 2)), np.array([0]), np.array([1]))
    assert_close(loss, np.log(2), "loss at zero logits")
    assert_close(dlogits, np.array([[0.5, -0.5], [0.0, 0.0]]), "dlogits")


# -- LM.7-8 BPE ----------------------------------------------------------------------------------

@pytest.mark.exercise("bpe")
def test_bpe_first_merge_of_aaabdaaabac(bpe):
    vocab, merges = bpe.train_bpe("aaabdaaabac", 1)
    _same(vocab, ["a", "b", "c", "d", "aa"], "vocab after one merge")
    _same([tuple(m) for m in merges], [(0, 0)], "merges")


@pytest.mark.exercise("bpe")
def test_bpe_decode_of_encode_is_the_text(bpe):
    vocab, merges = bpe.train_bpe("the cat sat on the mat", 6)
    for text in ("the cat", "a mat on the hat", ""):
        if bpe.bpe_decode(bpe.bpe_encode(text, vocab, merges), vocab) != text:
            raise AssertionError(f"bpe_decode(bpe_encode({text!r})) is not {text!r}")


# -- LM.9-10 n-grams -----------------------------------------------------------------------------

@pytest.mark.exercise("ngram")
def test_ngram_bigram_counts_and_probabilities(ng):
    grams, counts = ng.ngram_counts(np.array([0, 1, 0, 1, 1]), 2)
    _same(grams.tolist(), [[0, 1], [1, 0], [1, 1]], "ngram_counts(0 1 0 1 1, 2): grams")
    _same(counts.tolist(), [2, 1, 1], "ngram_counts(0 1 0 1 1, 2): counts")
    model = ng.fit_ngram(np.array([0, 1, 0, 1, 1]), 2, 2, k=1.0)
    # after 1: followed by 0 once, by 1 once -> (1 + 1) / (2 + 2) each
    assert_close(ng.next_token_probs(model, np.array([1])), np.array([0.5, 0.5]), "next_token_probs after 1")


# -- golden cases: inputs and outputs of the reference over many shapes and value regimes ----------
# (tests/_snapshots/*.npz, written by the course authors with python -m grader.authoring.snapshots)

from grader.authoring.snapshots import snapshot_tests  # noqa: E402

globals().update(snapshot_tests(__file__))
