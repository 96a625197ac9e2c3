"""Bigram language models: count which token follows which, normalise, sample, evaluate.

A bigram model predicts the next token from the current one only:

    P(next = b | prev = a) = (C[a, b] + k) / (sum_b' C[a, b'] + k V)

with C the table of counts of the pair (a, b) in the training ids, V the vocabulary size and
k > 0 the add-k smoothing constant. Text becomes ids through a vocabulary whose id 0 is the
unknown token ``<unk>``: every token not in the vocabulary (rare in training, or never seen)
maps to it, so a held-out text never has a probability of zero.

The last exercises turn counting into learning: a table of logits trained by gradient descent on
the same cross-entropy finds the same probabilities as counting does.
"""

from __future__ import annotations

import re
from collections import Counter

import numpy as np

from phase0_math.arrays import as_float_array, shape_str

UNK = "<unk>"


def _as_ids(ids, name: str, vocab_size: int | None = None, min_length: int = 0) -> np.ndarray:
    """``ids`` as a 1-d int64 array; ValueError for floats, wrong ndim, out of range or too short."""
    arr = np.asarray(ids)
    if arr.dtype.kind not in "iu" and not (arr.size == 0 and arr.ndim == 1):
        raise ValueError(f"{name}: expected integer token ids, got dtype {arr.dtype}")
    if arr.ndim != 1:
        raise ValueError(f"{name}: expected a 1-d array of token ids, got shape {shape_str(arr.shape)}")
    if arr.size < min_length:
        raise ValueError(f"{name}: expected at least {min_length} token ids, got {arr.size}")
    arr = arr.astype(np.int64)
    if vocab_size is not None and arr.size and (arr.min() < 0 or arr.max() >= vocab_size):
        bad = int(arr[(arr < 0) | (arr >= vocab_size)][0])
        raise ValueError(f"{name}: token id {bad} is out of range for a vocabulary of {vocab_size} (0 to {vocab_size - 1})")
    return arr


def _check_probs(probs) -> np.ndarray:
    probs = as_float_array(probs, "probs", ndim=2)
    if probs.shape[0] != probs.shape[1] or probs.shape[0] == 0:
        raise ValueError(f"probs: expected a square (V, V) table, got shape {shape_str(probs.shape)}")
    return probs


# -- Exercise LM.1: tokens and ids ----------------------------------------------------------------


def char_tokens(text: str) -> list[str]:
    """The characters of ``text``, in order: "ab c" -> ["a", "b", " ", "c"].

    Every character counts, spaces and newlines too. Raises ValueError when text is not a str.
    """
    ### BEGIN SOLUTION
    if not isinstance(text, str):
        raise ValueError(f"text: expected a str, got {type(text).__name__}")
    return list(text)
    ### END SOLUTION


def word_tokens(text: str) -> list[str]:
    """Words and punctuation marks of a normalised text, in order; spaces are dropped.

    A word is a run of letters, digits and underscores, with an optional apostrophe part: one
    apostrophe followed by letters ("don't", "python's"); every other non-space character is a
    token of its own:
    'the "if" statement, isn\\'t it.' -> ['the', '"', 'if', '"', 'statement', ',', "isn't", 'it', '.']
    Hint: one regular expression with two alternatives, re.findall.
    Raises ValueError when text is not a str.
    """
    ### BEGIN SOLUTION
    if not isinstance(text, str):
        raise ValueError(f"text: expected a str, got {type(text).__name__}")
    return re.findall(r"[a-z0-9_]+(?:'[a-z]+)?|[^\sa-z0-9_]", text.lower())
    ### END SOLUTION


def build_vocab(tokens: list[str], min_count: int = 1) -> list[str]:
    """The vocabulary: ``[UNK]`` followed by every token seen at least ``min_count`` times, sorted.

    tokens: list of str -> list of str, position = id. id 0 is always ``<unk>``; the rest are in
    Python's sorted order, so the same tokens always give the same ids. Raises ValueError for no
    tokens, or a min_count that is not an integer >= 1.
    """
    ### BEGIN SOLUTION
    if not isinstance(min_count, int) or min_count < 1:
        raise ValueError(f"min_count must be an integer >= 1, got {min_count!r}")
    if len(tokens) == 0:
        raise ValueError("tokens: cannot build a vocabulary from an empty corpus")
    counts = Counter(tokens)
    return [UNK] + sorted(t for t, c in counts.items() if c >= min_count and t != UNK)
    ### END SOLUTION


def encode(tokens: list[str], vocab: list[str]) -> np.ndarray:
    """Token strings -> ids: (N,) int64, with every token not in ``vocab`` mapped to 0 (``<unk>``).

    No tokens give an empty int64 array. Raises ValueError for a vocab whose id 0 is not ``<unk>``.
    """
    ### BEGIN SOLUTION
    if len(vocab) == 0 or vocab[0] != UNK:
        raise ValueError(f"vocab: expected {UNK!r} at id 0, got {vocab[:1]!r}")
    index = {token: i for i, token in enumerate(vocab)}
    return np.array([index.get(token, 0) for token in tokens], dtype=np.int64)
    ### END SOLUTION


def decode(ids: np.ndarray, vocab: list[str]) -> list[str]:
    """Ids: (N,) integers in [0, len(vocab)) -> the token strings. ''.join(...) for characters,
    ' '.join(...) for words.

    Raises ValueError for ids that are not a 1-d array of integers, or outside [0, len(vocab)).
    """
    ### BEGIN SOLUTION
    ids = _as_ids(ids, "ids", len(vocab))
    return [vocab[i] for i in ids]
    ### END SOLUTION


# -- Exercise LM.2: counts and probabilities ------------------------------------------------------


def bigram_counts(ids: np.ndarray, vocab_size: int) -> np.ndarray:
    """The table of pair counts: counts[a, b] = number of positions t with ids[t] = a, ids[t+1] = b.

    ids: (N,) integers in [0, vocab_size) -> counts: (vocab_size, vocab_size) int64, summing to
    N - 1 (0 for no ids). Rows are the previous token, columns the next. Raises ValueError for a
    vocab_size that is not an integer >= 1, and for ids that are not a 1-d integer array or are
    out of range.
    """
    ### BEGIN SOLUTION
    if not isinstance(vocab_size, int) or vocab_size < 1:
        raise ValueError(f"vocab_size must be a positive integer, got {vocab_size!r}")
    ids = _as_ids(ids, "ids", vocab_size)
    counts = np.zeros((vocab_size, vocab_size), dtype=np.int64)
    np.add.at(counts, (ids[:-1], ids[1:]), 1)
    return counts
    ### END SOLUTION


def bigram_probs(counts: np.ndarray, k: float = 1.0) -> np.ndarray:
    """Add-k smoothed conditional probabilities P(next = b | prev = a).

    counts: (V, V) non-negative -> probs: (V, V) float64, probs[a, b] = (counts[a, b] + k) /
    (counts[a].sum() + k V); every row sums to 1, a row never seen is uniform. k must be > 0
    (k -> 0 approaches the maximum-likelihood counts / counts.sum(axis=1); k -> inf the uniform
    1 / V). Raises ValueError for k <= 0, negative counts, or a table that is not a non-empty
    square (V, V).
    """
    counts = as_float_array(counts, "counts", ndim=2)
    ### BEGIN SOLUTION
    if counts.shape[0] != counts.shape[1] or counts.shape[0] == 0:
        raise ValueError(f"counts: expected a square (V, V) table, got shape {shape_str(counts.shape)}")
    if np.any(counts < 0):
        raise ValueError("counts: every count must be >= 0")
    if not k > 0:
        raise ValueError(f"k must be > 0 (add-k smoothing), got {k}")
    v = counts.shape[0]
    return (counts + k) / (counts.sum(axis=1, keepdims=True) + k * v)
    ### END SOLUTION


# -- Exercise LM.3: sampling ----------------------------------------------------------------------


def sample(probs: np.ndarray, start: int, length: int, seed: int) -> np.ndarray:
    """Generate ``length`` ids from the bigram model, starting with ``start``.

    probs: (V, V), rows summing to 1 -> ids: (length,) int64 with ids[0] = start and each next id
    drawn from probs[previous id]. All randomness from ``np.random.default_rng(seed)``: the same
    seed gives the same ids, different seeds (almost always) different ones. Any correct way to
    draw is accepted (``rng.choice(V, p=row)``, or one uniform per step and the row's cumulative
    sum). Raises ValueError for a probs that is not a non-empty square (V, V) table, a start that
    is not an integer in [0, V), or a length that is not an integer >= 1.
    """
    probs = _check_probs(probs)
    ### BEGIN SOLUTION
    v = probs.shape[0]
    if not isinstance(start, (int, np.integer)) or not 0 <= start < v:
        raise ValueError(f"start: expected a token id in [0, {v}), got {start!r}")
    if not isinstance(length, (int, np.integer)) or length < 1:
        raise ValueError(f"length must be a positive integer, got {length!r}")
    rng = np.random.default_rng(seed)
    cumulative = np.cumsum(probs, axis=1)
    cumulative[:, -1] = 1.0  # guard against round-off: the last bucket ends exactly at 1
    uniforms = rng.random(length - 1)
    ids = np.empty(length, dtype=np.int64)
    ids[0] = start
    for t in range(1, length):
        ids[t] = np.searchsorted(cumulative[ids[t - 1]], uniforms[t - 1], side="right")
    return ids
    ### END SOLUTION


# -- Exercise LM.4: evaluation --------------------------------------------------------------------


def cross_entropy(probs: np.ndarray, ids: np.ndarray) -> float:
    """Mean negative log-probability per predicted token, in nats.

    probs: (V, V), ids: (N,) with N >= 2 -> float,
        - (1 / (N - 1)) sum_{t=1}^{N-1} log probs[ids[t-1], ids[t]].
    The first token has no predecessor and is not scored; a scored pair of probability 0 gives
    inf. Raises ValueError for a probs that is not a non-empty square (V, V) table, and for ids
    that are not a 1-d integer array, are fewer than 2 or out of range.
    """
    probs = _check_probs(probs)
    ### BEGIN SOLUTION
    ids = _as_ids(ids, "ids", probs.shape[0], min_length=2)
    with np.errstate(divide="ignore"):
        return float(-np.mean(np.log(probs[ids[:-1], ids[1:]])))
    ### END SOLUTION


def perplexity(probs: np.ndarray, ids: np.ndarray) -> float:
    """exp(cross_entropy(probs, ids)): the number of equally likely choices the model is as unsure
    as, on average. A uniform model over V tokens has perplexity V. Raises ValueError for what
    :func:`cross_entropy` refuses."""
    ### BEGIN SOLUTION
    return float(np.exp(cross_entropy(probs, ids)))
    ### END SOLUTION


# -- Exercise LM.6: from counting to learning -----------------------------------------------------


def logit_bigram_loss(logits: np.ndarray, prev_ids: np.ndarray, next_ids: np.ndarray) -> tuple[float, np.ndarray]:
    """Cross-entropy of a bigram model whose rows are softmax(logits[a]), and its gradient.

    logits: (V, V) float, prev_ids: (N,), next_ids: (N,) integers in [0, V) ->
      loss: float, - (1/N) sum_n log softmax(logits[prev_ids[n]])[next_ids[n]];
      dlogits: (V, V), d loss / d logits, every row of the table (rows never used included).
    Position n uses the row of its previous token only, and a row may be used at many positions:
    its gradient gets a contribution from each. Compute log-softmax stably (subtract the row maximum).
    Raises ValueError for logits that are not a non-empty square (V, V) table, for ids that are
    not 1-d integer arrays in [0, V) or are empty, and for prev_ids and next_ids of different
    lengths.
    Check dlogits first with phase 0's check_gradient on the loss as a function of the logits,
    with ids in which one previous token occurs twice.
    """
    logits = as_float_array(logits, "logits", ndim=2)
    ### BEGIN SOLUTION
    v = logits.shape[0]
    if logits.shape != (v, v) or v == 0:
        raise ValueError(f"logits: expected a square (V, V) table, got shape {shape_str(logits.shape)}")
    prev_ids = _as_ids(prev_ids, "prev_ids", v, min_length=1)
    next_ids = _as_ids(next_ids, "next_ids", v, min_length=1)
    if prev_ids.shape != next_ids.shape:
        raise ValueError(
            f"prev_ids and next_ids must have the same shape, got {shape_str(prev_ids.shape)} and {shape_str(next_ids.shape)}"
        )
    n = prev_ids.shape[0]
    rows = logits[prev_ids]  # (N, V)
    shifted = rows - rows.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))  # (N, V)
    loss = float(-np.mean(log_probs[np.arange(n), next_ids]))
    drows = np.exp(log_probs)  # softmax, (N, V)
    drows[np.arange(n), next_ids] -= 1.0
    dlogits = np.zeros_like(logits)
    np.add.at(dlogits, prev_ids, drows / n)
    return loss, dlogits
    ### END SOLUTION


def fit_logit_bigram(
    prev_ids: np.ndarray, next_ids: np.ndarray, vocab_size: int, lr: float = 5.0, steps: int = 500
) -> tuple[np.ndarray, np.ndarray]:
    """Maximum likelihood by gradient descent: start from logits = 0 (every row uniform) and take
    ``steps`` steps of plain gradient descent on :func:`logit_bigram_loss` with learning rate lr.

    prev_ids, next_ids: (N,) -> (logits: (vocab_size, vocab_size), history: (steps + 1,)), history
    holding the loss before each step and after the last. softmax(logits[a]) then approaches
    counts[a] / counts[a].sum() for every row a seen in the data: learning finds the counts.
    Raises ValueError for a vocab_size that is not an integer >= 1, a steps that is not an
    integer >= 0, lr <= 0, and for ids that :func:`logit_bigram_loss` refuses.
    """
    ### BEGIN SOLUTION
    if not isinstance(vocab_size, int) or vocab_size < 1:
        raise ValueError(f"vocab_size must be a positive integer, got {vocab_size!r}")
    if not isinstance(steps, int) or steps < 0:
        raise ValueError(f"steps must be an integer >= 0, got {steps!r}")
    if not lr > 0:
        raise ValueError(f"lr must be > 0, got {lr}")
    logits = np.zeros((vocab_size, vocab_size))
    history = np.empty(steps + 1)
    for step in range(steps + 1):
        loss, dlogits = logit_bigram_loss(logits, prev_ids, next_ids)
        history[step] = loss
        if step < steps:
            logits = logits - lr * dlogits
    return logits, history
    ### END SOLUTION
