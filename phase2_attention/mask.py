"""Exercise 2.1: masks, the boolean arrays that say which key positions each query may look at.

Convention of the whole course: a mask is a ``bool`` array, **True = may attend**, False = hidden.
A mask is applied to the attention *scores*, before the softmax, by writing -inf where it is
False: exp(-inf) = 0, so a hidden position gets weight exactly 0 and the weights of the visible
positions still sum to 1. (Zeroing weights *after* the softmax leaves rows that no longer sum to 1,
and writing 0 instead of -inf leaves exp(0) = 1 of weight on a hidden position.)

A row of scores whose every position is hidden (a padding query, a sequence of length 0) would be
softmax([-inf, ..., -inf]) = 0 / 0 = NaN. The course defines that case instead: such a row gets
attention weights all 0, so its output is 0 and no gradient flows through it. ``apply_mask`` only
writes the -inf; the attention functions turn a fully masked row into zeros (see attention.py).

Shapes: scores are (..., Tq, Tk), one row per query position and one column per key position.
A mask is any bool array that broadcasts to that shape: (Tq, Tk) for the same mask in every
sequence of a batch, (B, 1, Tk) for a mask of keys per sequence (padding), (B, Tq, Tk) for both.
"""

from __future__ import annotations

import numpy as np

from phase0_math.arrays import as_float_array, shape_str


def causal_mask(t: int) -> np.ndarray:
    """The mask of a decoder: position i may attend to positions 0..i (itself and the past).

    t: int >= 0 -> mask: (t, t) bool, mask[i, j] = (j <= i), the lower triangle and the diagonal.
    Raises ValueError when t is not a non-negative integer.
    """
    # YOUR CODE HERE
    raise NotImplementedError("not started: causal_mask")


def padding_mask(lengths, t: int) -> np.ndarray:
    """The mask of a padded batch: sequence b has lengths[b] real tokens, then padding up to t.

    lengths: (B,) integers with 0 <= lengths[b] <= t, t: int -> mask: (B, 1, t) bool,
    mask[b, 0, j] = (j < lengths[b]). The middle axis of size 1 broadcasts over the queries: no
    query may attend to a padding key. A length of 0 hides every key of that sequence (every row of
    its scores is then fully masked).
    Raises ValueError naming the length and t when a length is < 0 or > t, and for lengths that
    are not a 1-d array of integers.
    """
    # YOUR CODE HERE
    raise NotImplementedError("not started: padding_mask")


def combine_masks(a, b) -> np.ndarray | None:
    """Positions allowed by both masks: the logical and, broadcast to a common shape.

    a, b: bool arrays that broadcast together (e.g. a causal (T, T) and a padding (B, 1, T) give
    (B, T, T)), or None for "no mask" -> bool array of the broadcast shape (None when both are None).
    Raises ValueError naming both shapes when they do not broadcast, and when a mask is not bool
    (a 0/1 float mask is ambiguous: is 1 "keep" or "hide"?).
    """
    # YOUR CODE HERE
    raise NotImplementedError("not started: combine_masks")


def apply_mask(scores: np.ndarray, mask) -> np.ndarray:
    """Scores with -inf wherever the mask is False; a new array, ``scores`` itself is unchanged.

    scores: (..., Tq, Tk) float, mask: bool, broadcastable to scores.shape, or None (nothing
    hidden) -> (..., Tq, Tk) float, scores where mask is True and -inf where it is False.
    A fully masked row comes out as all -inf: the caller (attention) defines what it gives.
    Raises ValueError naming both shapes when the mask does not broadcast to the scores' shape
    (broadcasting must not make the result bigger than the scores), and when it is not bool.
    """
    scores = as_float_array(scores, "scores")
    # YOUR CODE HERE
    raise NotImplementedError("not started: apply_mask")
