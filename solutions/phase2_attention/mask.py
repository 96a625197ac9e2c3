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
    ### BEGIN SOLUTION
    if isinstance(t, (bool, np.bool_)) or not isinstance(t, (int, np.integer)) or t < 0:
        raise ValueError(f"causal_mask: t must be a non-negative integer, got {t!r}")
    return np.tril(np.ones((int(t), int(t)), dtype=bool))
    ### END SOLUTION


def padding_mask(lengths, t: int) -> np.ndarray:
    """The mask of a padded batch: sequence b has lengths[b] real tokens, then padding up to t.

    lengths: (B,) integers with 0 <= lengths[b] <= t, t: int -> mask: (B, 1, t) bool,
    mask[b, 0, j] = (j < lengths[b]). The middle axis of size 1 broadcasts over the queries: no
    query may attend to a padding key. A length of 0 hides every key of that sequence (every row of
    its scores is then fully masked).
    Raises ValueError naming the length and t when a length is < 0 or > t, and for lengths that
    are not a 1-d array of integers.
    """
    ### BEGIN SOLUTION
    lengths = np.asarray(lengths)
    if lengths.dtype.kind not in "iu" or lengths.ndim != 1:
        raise ValueError(
            f"padding_mask: lengths must be a 1-d array of integers, got dtype {lengths.dtype} and shape "
            f"{shape_str(lengths.shape)}"
        )
    if isinstance(t, (bool, np.bool_)) or not isinstance(t, (int, np.integer)) or t < 0:
        raise ValueError(f"padding_mask: t must be a non-negative integer, got {t!r}")
    bad = (lengths < 0) | (lengths > t)
    if bad.any():
        b = int(np.argmax(bad))
        raise ValueError(
            f"padding_mask: length {int(lengths[b])} of sequence {b} does not fit in t = {t} positions "
            f"(each length must be between 0 and {t})"
        )
    return (np.arange(t)[None, :] < lengths[:, None])[:, None, :]
    ### END SOLUTION


def combine_masks(a, b) -> np.ndarray | None:
    """Positions allowed by both masks: the logical and, broadcast to a common shape.

    a, b: bool arrays that broadcast together (e.g. a causal (T, T) and a padding (B, 1, T) give
    (B, T, T)), or None for "no mask" -> bool array of the broadcast shape (None when both are None).
    Raises ValueError naming both shapes when they do not broadcast, and when a mask is not bool
    (a 0/1 float mask is ambiguous: is 1 "keep" or "hide"?).
    """
    ### BEGIN SOLUTION
    masks = []
    for name, m in (("a", a), ("b", b)):
        if m is None:
            continue
        m = np.asarray(m)
        if m.dtype != np.bool_:
            raise ValueError(
                f"combine_masks: mask {name} must be a bool array (True = may attend), got dtype {m.dtype}"
            )
        masks.append(m)
    if not masks:
        return None
    if len(masks) == 1:
        return masks[0].copy()
    try:
        np.broadcast_shapes(masks[0].shape, masks[1].shape)
    except ValueError:
        raise ValueError(
            f"combine_masks: masks of shapes {shape_str(masks[0].shape)} and {shape_str(masks[1].shape)} "
            "do not broadcast together"
        ) from None
    return np.logical_and(masks[0], masks[1])
    ### END SOLUTION


def apply_mask(scores: np.ndarray, mask) -> np.ndarray:
    """Scores with -inf wherever the mask is False; a new array, ``scores`` itself is unchanged.

    scores: (..., Tq, Tk) float, mask: bool, broadcastable to scores.shape, or None (nothing
    hidden) -> (..., Tq, Tk) float, scores where mask is True and -inf where it is False.
    A fully masked row comes out as all -inf: the caller (attention) defines what it gives.
    Raises ValueError naming both shapes when the mask does not broadcast to the scores' shape
    (broadcasting must not make the result bigger than the scores), and when it is not bool.
    """
    scores = as_float_array(scores, "scores")
    ### BEGIN SOLUTION
    if mask is None:
        return scores.copy()
    mask = np.asarray(mask)
    if mask.dtype != np.bool_:
        raise ValueError(f"apply_mask: the mask must be a bool array (True = may attend), got dtype {mask.dtype}")
    try:
        shape = np.broadcast_shapes(scores.shape, mask.shape)
    except ValueError:
        shape = None
    if shape != scores.shape:
        raise ValueError(
            f"apply_mask: a mask of shape {shape_str(mask.shape)} does not fit scores of shape "
            f"{shape_str(scores.shape)} (it must broadcast to (..., Tq, Tk))"
        )
    return np.where(mask, scores, -np.inf)
    ### END SOLUTION
