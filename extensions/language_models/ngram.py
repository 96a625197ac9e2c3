"""An n-gram model over token ids: the next token given the n - 1 before it, by counting.

    P(w | h) = (c(h, w) + k) / (c(h) + k V),    c(h) = sum_w' c(h, w')

with h the context (the n - 1 previous ids), c(h, w) the number of times the n-gram (h, w)
occurs in the training ids, V the vocabulary size and k > 0 the add-k constant. A context never
seen in training has c(h) = 0 and gets the uniform distribution 1 / V. n = 2 is the bigram model
of ``bigram.py``; n = 1 ignores the context (a unigram model). Any token ids work: characters,
words, or the BPE ids of ``bpe.py``.

The model is plain data, a dict with the keys "n", "vocab_size", "k", "grams" (K, n) int64 and
"counts" (K,) int64: the distinct n-grams of the training ids and how often each occurs.
"""

from __future__ import annotations

import numpy as np

from phase0_math.arrays import shape_str


def _as_ids(ids, name: str, vocab_size: int | None = None) -> np.ndarray:
    arr = np.asarray(ids)
    if arr.ndim != 1:
        raise ValueError(f"{name}: expected a 1-d array of token ids, got shape {shape_str(arr.shape)}")
    if arr.size and arr.dtype.kind not in "iu":
        raise ValueError(f"{name}: expected integer token ids, got dtype {arr.dtype}")
    arr = arr.astype(np.int64)
    if vocab_size is not None and arr.size and (arr.min() < 0 or arr.max() >= vocab_size):
        bad = int(arr[(arr < 0) | (arr >= vocab_size)][0])
        raise ValueError(f"{name}: token id {bad} is out of range for a vocabulary of {vocab_size}")
    return arr


def _check_n(n) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n must be an integer >= 1, got {n!r}")
    return int(n)


def _tables(model: dict) -> tuple[dict, dict]:
    """(c(h, w) keyed by the n-gram tuple, c(h) keyed by the context tuple) of a model."""
    n = model["n"]
    joint: dict[tuple, int] = {}
    context: dict[tuple, int] = {}
    for gram, count in zip(np.asarray(model["grams"]).tolist(), np.asarray(model["counts"]).tolist()):
        joint[tuple(gram)] = count
        h = tuple(gram[: n - 1])
        context[h] = context.get(h, 0) + count
    return joint, context


# -- Exercise LM.9: counting n-grams --------------------------------------------------------------


def ngram_counts(ids: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Every distinct n-gram (run of n consecutive ids) of ``ids`` and its count.

    ids: (N,) integers -> (grams: (K, n) int64 in lexicographic order of rows, counts: (K,) int64),
    counts summing to N - n + 1. Fewer than n ids give K = 0: shapes (0, n) and (0,).
    Raises ValueError for an n that is not an integer >= 1, and for ids that are not a 1-d
    integer array.
    """
    # YOUR CODE HERE
    raise NotImplementedError("not started: ngram_counts")


def fit_ngram(ids: np.ndarray, n: int, vocab_size: int, k: float = 1.0) -> dict:
    """The n-gram model of the training ``ids``: {"n", "vocab_size", "k", "grams", "counts"}.

    ids: (N,) in [0, vocab_size), N >= n. Raises ValueError for an n or a vocab_size that is not an
    integer >= 1, k <= 0, ids out of range or a training text shorter than n (an empty corpus).
    """
    # YOUR CODE HERE
    raise NotImplementedError("not started: fit_ngram")


# -- Exercise LM.10: probabilities, evaluation, sampling ------------------------------------------


def next_token_probs(model: dict, context: np.ndarray) -> np.ndarray:
    """P(w | context) for every w: (V,) float64 summing to 1.

    context: (n - 1,) the previous ids, oldest first (an empty array for n = 1). Raises ValueError
    for a context of the wrong length or with ids outside [0, V).
    """
    # YOUR CODE HERE
    raise NotImplementedError("not started: next_token_probs")


def ngram_log_probs(model: dict, ids: np.ndarray) -> np.ndarray:
    """log P(ids[t] | ids[t-n+1 : t]) for t = n-1, ..., N-1: (N - n + 1,) float64, in nats.

    The first n - 1 ids only serve as context. Raises ValueError for fewer than n ids, or ids
    outside [0, V).
    """
    # YOUR CODE HERE
    raise NotImplementedError("not started: ngram_log_probs")


def ngram_cross_entropy(model: dict, ids: np.ndarray) -> float:
    """Mean of -ngram_log_probs(model, ids): nats per predicted token. Raises ValueError for what
    :func:`ngram_log_probs` refuses."""
    # YOUR CODE HERE
    raise NotImplementedError("not started: ngram_cross_entropy")


def ngram_sample(model: dict, prompt: np.ndarray, length: int, seed: int) -> np.ndarray:
    """Continue ``prompt`` (at least n - 1 ids) until the result holds ``length`` ids.

    -> (length,) int64 starting with the prompt; each new id drawn from next_token_probs of the
    last n - 1 ids, with all randomness from ``np.random.default_rng(seed)`` (any correct way to
    draw from those probabilities is accepted). Raises ValueError for a prompt shorter than n - 1
    or longer than length, or with ids outside [0, V).
    """
    # YOUR CODE HERE
    raise NotImplementedError("not started: ngram_sample")
