"""Byte-pair encoding (Sennrich et al., 2016): learn a vocabulary of frequent character strings.

Start from the characters of the training text, one id each (sorted, so the ids never depend
on the order characters first appear). Then repeat ``n_merges`` times: find the most frequent
pair of adjacent ids, give it a new id, and replace every occurrence of the pair by the new id.
Frequent words and word pieces end up as single tokens; rare ones stay spelled out, so any text
over the same characters can still be encoded, and decoding is just concatenation.

This version works on the whole text as one sequence: a merge may cross a space (" the" can
become one token). Sennrich's original splits the text into words first; GPT-2 splits it with
a regular expression. Both only restrict which pairs may merge.

Data kept as plain lists: ``vocab`` is a list of str (id -> the text of the token), ``merges``
a list of (left id, right id) pairs in the order they were learned; merge i created id
``len(vocab) - len(merges) + i``.
"""

from __future__ import annotations

import numpy as np

from phase0_math.arrays import shape_str


def _as_ids(ids, name: str = "ids") -> np.ndarray:
    arr = np.asarray(ids)
    if arr.ndim != 1:
        raise ValueError(f"{name}: expected a 1-d array of token ids, got shape {shape_str(arr.shape)}")
    if arr.size and arr.dtype.kind not in "iu":
        raise ValueError(f"{name}: expected integer token ids, got dtype {arr.dtype}")
    if arr.size and arr.min() < 0:
        raise ValueError(f"{name}: token ids must be >= 0, got {int(arr.min())}")
    return arr.astype(np.int64)


# -- Exercise LM.7: one step of BPE ---------------------------------------------------------------


def most_frequent_pair(ids: np.ndarray) -> tuple[int, int, int]:
    """The adjacent pair that occurs most often in ``ids``, and how often.

    ids: (N,) non-negative integers, N >= 2 -> (left, right, count). Every position counts, also
    overlapping ones ([7, 7, 7] holds the pair (7, 7) twice). Ties go to the smallest pair in
    (left, right) order, so training never depends on dictionary order or chance.
    Raises ValueError for fewer than 2 ids, and for ids that are not a 1-d array of non-negative
    integers.
    """
    # YOUR CODE HERE
    raise NotImplementedError("not started: most_frequent_pair")


def merge_pair(ids: np.ndarray, pair: tuple[int, int], new_id: int) -> np.ndarray:
    """Replace every occurrence of ``pair`` in ``ids`` by ``new_id``, scanning left to right.

    ids: (N,) -> (M,) int64 with M = N - (number of replacements). Occurrences do not overlap:
    the pair (7, 7) in [7, 7, 7] is replaced once, at the left, giving [new_id, 7].
    ``ids`` itself is not modified. A plain loop over the positions is fine. Raises ValueError for
    ids that are not a 1-d array of non-negative integers.
    """
    # YOUR CODE HERE
    raise NotImplementedError("not started: merge_pair")


# -- Exercise LM.8: train, encode, decode ---------------------------------------------------------


def train_bpe(text: str, n_merges: int) -> tuple[list[str], list[tuple[int, int]]]:
    """Learn ``n_merges`` merges from ``text``.

    -> (vocab, merges): vocab = sorted(set(text)) followed by one string per merge (the two
    merged strings concatenated), merges = the (left id, right id) pairs in the order learned.
    Merge i always takes :func:`most_frequent_pair` of the current ids (ties to the smallest pair)
    and creates id len(base) + i. Raises ValueError for an empty text, a negative or non-integer
    n_merges, or more merges than the text allows (it is down to a single token).
    """
    # YOUR CODE HERE
    raise NotImplementedError("not started: train_bpe")


def bpe_encode(text: str, vocab: list[str], merges: list[tuple[int, int]]) -> np.ndarray:
    """Encode ``text`` with a trained BPE: characters to base ids, then every merge in order.

    -> ids: (M,) int64, M <= len(text). Raises ValueError naming the first character of ``text``
    that is not in the base vocabulary (BPE has no unknown token: train on text that holds every
    character you will encode), and for a vocab too short to hold the merges (fewer than
    len(merges) + 1 tokens). The empty text gives an empty array.
    """
    # YOUR CODE HERE
    raise NotImplementedError("not started: bpe_encode")


def bpe_decode(ids: np.ndarray, vocab: list[str]) -> str:
    """Ids: (M,) in [0, len(vocab)) -> the text, the tokens' strings concatenated.

    bpe_decode(bpe_encode(text, vocab, merges), vocab) == text for every text over the base
    characters. Raises ValueError for ids that are not a 1-d integer array, or an id outside
    [0, len(vocab)) (negative ones too).
    """
    # YOUR CODE HERE
    raise NotImplementedError("not started: bpe_decode")
