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


# -- the whole contract, against the reference ---------------------------------------------------
# Cases are built by numpy from one drawn seed each: sizes, dtypes, values and arguments.

from hypothesis import strategies as st  # noqa: E402

from grader.engine.differential import Contract, case, contract_tests  # noqa: E402


def _cases(build):
    """Cases built by ``build(rng)`` from one drawn seed (one hypothesis draw per case: cheap)."""
    return st.integers(0, 2**32 - 1).map(lambda seed: build(np.random.default_rng(seed)))


from grader.engine.domains import pick as _pick  # noqa: E402


_REGIMES = ("normal", "wide", "large", "ties", "zeros")


def _logits(rng, v, regime):
    if regime == "normal":
        return rng.normal(size=(v, v)) * 2
    if regime == "wide":  # each row on its own scale, 1e-3 to 1e3
        return rng.normal(size=(v, v)) * 10.0 ** rng.uniform(-3, 3, size=(v, 1))
    if regime == "large":
        return rng.uniform(500.0, 1000.0, size=(v, v)) * rng.choice([-1.0, 1.0], size=(v, v))
    if regime == "ties":
        return rng.integers(-2, 3, size=(v, v)).astype(np.float64)
    return np.zeros((v, v))


def _loss_cases(rng):
    """Rows used several times, rows never used, N = 1 too, every logit regime, unsigned ids too."""
    v, n, regime, dtype = int(rng.integers(1, 6)), int(rng.integers(1, 9)), _pick(rng, _REGIMES), \
        _pick(rng, [np.int64, np.uint8])
    prev, nxt = rng.integers(0, v, size=n).astype(dtype), rng.integers(0, v, size=n).astype(dtype)
    return case(_logits(rng, v, regime), prev, nxt, note=f"logits {regime}")


def _fit_cases(rng):
    """The first few steps at several learning rates (the defaults too)."""
    v, n = int(rng.integers(1, 5)), int(rng.integers(1, 9))
    lr, steps = _pick(rng, [None, 0.1, 1.0, 5.0, 20.0]), int(rng.integers(0, 6))
    kwargs = {"steps": steps} if lr is None else {"lr": lr, "steps": steps}
    return case(rng.integers(0, v, size=n), rng.integers(0, v, size=n), v, **kwargs)


_Z3 = np.zeros((3, 3))
_I = np.array([0, 1])
CONTRACTS = [
    Contract("language_models.bigram", "logit_bigram_loss", _cases(_loss_cases), exercise="logit_bigram", examples=7,
             fixed=[
                 case(_Z3, _I, np.array([1]), note="refused: 2 previous ids, 1 next id"),
                 case(_Z3, np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), note="refused: no ids"),
                 case(_Z3, _I, np.array([1, 3]), note="refused: next id 3 with V = 3"),
                 case(_Z3, np.array([-1, 0]), _I, note="refused: previous id -1"),
                 case(_Z3, np.array([0.0, 1.0]), _I, note="refused: float ids"),
                 case(np.zeros((2, 3)), _I, _I, note="refused: logits not square"),
             ]),
    Contract("language_models.bigram", "fit_logit_bigram", _cases(_fit_cases), exercise="logit_bigram", examples=6,
             fixed=[
                 case(np.array([0]), np.array([0]), 1, note="the default steps: 500 (one token: cheap steps)"),
                 case(_I, _I, 2, lr=1.0, steps=-1, note="refused: steps -1"),
                 case(_I, _I, 2, lr=0.0, steps=3, note="refused: lr 0"),
                 case(_I, _I, 2, lr=-1.0, steps=3, note="refused: lr < 0"),
                 case(_I, _I, 0, lr=1.0, steps=3, note="refused: vocab_size 0"),
                 case(_I, np.array([0, 2]), 2, lr=1.0, steps=3, note="refused: next id 2 with vocab_size 2"),
             ]),
]
globals().update(contract_tests(CONTRACTS))
