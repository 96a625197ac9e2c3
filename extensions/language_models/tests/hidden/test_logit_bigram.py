"""Hidden tests and the gradient check: a softmax-parameterised bigram model trained by gradient descent."""

import numpy as np
import pytest

from grader.engine.testing import assert_close, assert_raises, expect_array, module_fixture, reference_fixture

bg = module_fixture("language_models.bigram")
ref = reference_fixture("language_models.bigram")
corpus = reference_fixture("language_models.corpus")

pytestmark = pytest.mark.exercise("logit_bigram")


@pytest.mark.gradcheck("logit_bigram_loss")
def test_gradcheck_logit_bigram_loss(bg, ref, gradcheck, rng):
    # prev ids repeat (rows used several times) and row 3 is never used: its gradient must be 0
    logits = rng.normal(size=(4, 4))
    prev = np.array([0, 2, 1, 0, 2, 0, 1])
    nxt = np.array([1, 3, 0, 0, 2, 3, 1])
    loss, dlogits = bg.logit_bigram_loss(logits, prev, nxt)
    assert_close(loss, ref.logit_bigram_loss(logits, prev, nxt)[0], "logit_bigram_loss: loss")
    gradcheck("logit_bigram_loss: dlogits", dlogits, lambda z: ref.logit_bigram_loss(z, prev, nxt)[0], logits)


def test_zero_logits_give_loss_log_v(bg):
    loss, dlogits = bg.logit_bigram_loss(np.zeros((5, 5)), np.array([0, 1, 2]), np.array([3, 4, 0]))
    assert_close(loss, np.log(5), "logit_bigram_loss at logits = 0 (uniform rows)")
    expect_array(dlogits, "dlogits", shape=(5, 5))


def test_loss_survives_large_logits(bg):
    logits = np.array([[1000.0, 0.0], [0.0, -1000.0]])
    loss, _ = bg.logit_bigram_loss(logits, np.array([0, 1]), np.array([0, 0]))
    assert_close(loss, np.log1p(np.exp(-1000.0)) / 2, "logit_bigram_loss with logits of 1000", atol=1e-12)


def test_loss_refuses_mismatched_prev_and_next(bg):
    bg.logit_bigram_loss(np.zeros((3, 3)), np.array([0, 1]), np.array([1, 2]))
    assert_raises(ValueError, lambda: bg.logit_bigram_loss(np.zeros((3, 3)), np.array([0, 1]), np.array([1])),
                  "logit_bigram_loss with 2 previous ids and 1 next id")


@pytest.mark.points(2)
def test_gradient_descent_recovers_the_normalised_counts(bg, corpus, rng):
    # maximum likelihood by gradient descent = counting: softmax(logits[a]) -> counts[a] / counts[a].sum()
    # every one of the 1000 possible seeds gives a text where all 9 pairs occur (an interior optimum)
    seed = int(rng.integers(1000))
    text = corpus.sample_markov(corpus.markov_chain(3, seed, concentration=5.0), 301, seed + 1)
    ids = np.array(["abc".index(c) for c in text])
    logits, history = bg.fit_logit_bigram(ids[:-1], ids[1:], 3, lr=5.0, steps=500)
    logits = expect_array(logits, "fit_logit_bigram: logits", shape=(3, 3))
    history = expect_array(history, "fit_logit_bigram: history", shape=(501,))
    counts = np.zeros((3, 3))
    np.add.at(counts, (ids[:-1], ids[1:]), 1)
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    assert_close(e / e.sum(axis=1, keepdims=True), counts / counts.sum(axis=1, keepdims=True),
                 "softmax of the fitted logits against the normalised counts", rtol=0, atol=1e-5)
    assert_close(history[0], np.log(3), "history[0], the loss of logits = 0")
    if not np.all(np.diff(history) <= 1e-12):
        raise AssertionError("fit_logit_bigram: the loss rose during training at lr = 5 (it must never rise here)")
