"""Exercise 2.2: scaled dot-product attention, first with explicit loops, then vectorised, then backward.

For one query q_i, every key k_j gets a score, the scores become weights through a softmax, and
the output is the weighted mean of the values:

    s_ij = q_i . k_j / sqrt(d_k)        scores      (Tq, Tk)
    a_ij = softmax_j(s_ij)              weights     (Tq, Tk), each row sums to 1
    o_i  = sum_j a_ij v_j               output      (Tq, d_v)

In matrix form: out = softmax(Q K^T / sqrt(d_k)) V. Queries and keys may have different lengths
(Tq != Tk: cross-attention); keys and values always have the same length Tk.

Shapes, batch first: q (..., Tq, d_k), k (..., Tk, d_k), v (..., Tk, d_v) with the same leading
("batch") axes, any number of them: (B, T, d) for one head, (B, H, T, d) for several heads.

Masks (see mask.py): bool, True = may attend, broadcastable to (..., Tq, Tk), applied to the
scores with -inf before the softmax. A query row whose every key is masked is defined to get
attention weights all 0: its output row is 0 and its gradient is 0 (no NaN).
"""

from __future__ import annotations

import numpy as np

from phase0_math.arrays import as_float_array, shape_str
from phase0_math.softmax import softmax
from phase2_attention.mask import apply_mask


def check_qkv(q, k, v) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Given: q, k, v as float64 arrays, or a ValueError naming the shapes that do not fit.

    q: (..., Tq, d_k), k: (..., Tk, d_k), v: (..., Tk, d_v), the same leading axes in all three.
    """
    q, k, v = as_float_array(q, "q"), as_float_array(k, "k"), as_float_array(v, "v")
    shapes = f"q {shape_str(q.shape)}, k {shape_str(k.shape)}, v {shape_str(v.shape)}"
    if q.ndim < 2 or k.ndim != q.ndim or v.ndim != q.ndim:
        raise ValueError(f"attention needs q, k, v with the same number (>= 2) of axes (..., T, d); got {shapes}")
    if q.shape[:-2] != k.shape[:-2] or q.shape[:-2] != v.shape[:-2]:
        raise ValueError(f"attention: q, k and v must have the same leading (batch) axes; got {shapes}")
    if q.shape[-1] != k.shape[-1]:
        raise ValueError(f"attention: queries and keys need the same size d_k (last axis); got {shapes}")
    if k.shape[-2] != v.shape[-2]:
        raise ValueError(f"attention: keys and values need the same length Tk (second-to-last axis); got {shapes}")
    return q, k, v


def attention_loops(q, k, v, mask=None) -> np.ndarray:
    """Scaled dot-product attention with explicit Python loops over batch, query and key.

    q: (..., Tq, d_k), k: (..., Tk, d_k), v: (..., Tk, d_v), mask: bool broadcastable to
    (..., Tq, Tk) or None -> out: (..., Tq, d_v).

    Loop over every batch index (``np.ndindex(q.shape[:-2])`` walks all leading axes), every query
    i and every key j: score s_ij = q_i . k_j / sqrt(d_k); mask the row (apply_mask); turn it into
    weights with phase 0's softmax; then o_i = sum_j a_ij v_j, again with a loop over j.
    A query row with every key masked gives o_i = 0 (do not call softmax on an all -inf row).
    No ``@`` across positions here: that is the vectorised version's job.
    Raises ValueError when q, k, v do not fit together (check_qkv), and when the mask is not bool
    or does not broadcast to (..., Tq, Tk) without making it bigger (apply_mask refuses both).
    """
    q, k, v = check_qkv(q, k, v)
    ### BEGIN SOLUTION
    t_q, d_k = q.shape[-2:]
    t_k, d_v = v.shape[-2:]
    allowed = None
    if mask is not None:
        # apply_mask checks the mask's shape; a position is allowed where it left the score finite
        allowed = np.isfinite(apply_mask(np.zeros(q.shape[:-2] + (t_q, t_k)), mask))  # (..., Tq, Tk)
    scale = 1.0 / np.sqrt(d_k)
    out = np.zeros(q.shape[:-2] + (t_q, d_v))
    for b in np.ndindex(q.shape[:-2]):
        for i in range(t_q):
            scores = np.empty(t_k)
            for j in range(t_k):
                scores[j] = np.dot(q[b][i], k[b][j]) * scale
            if allowed is not None:
                scores = apply_mask(scores, allowed[b][i])
                if not allowed[b][i].any():
                    continue  # a fully masked row: weights 0, output 0
            weights = softmax(scores)
            row = np.zeros(d_v)
            for j in range(t_k):
                row += weights[j] * v[b][j]
            out[b][i] = row
    return out
    ### END SOLUTION


def attention(q, k, v, mask=None) -> tuple[np.ndarray, dict]:
    """Vectorised scaled dot-product attention: softmax(q k^T / sqrt(d_k) + mask) v.

    q: (..., Tq, d_k), k: (..., Tk, d_k), v: (..., Tk, d_v), mask: bool broadcastable to
    (..., Tq, Tk) or None -> (out: (..., Tq, d_v), cache).

    cache: a dict with what attention_backward needs and what a plot shows:
      "q", "k", "v": the inputs as float64; "weights": (..., Tq, Tk) the attention weights
      (each row sums to 1, or is all 0 for a fully masked row); "scale": 1 / sqrt(d_k).
    Use ``np.swapaxes(k, -1, -2)`` for k^T so any number of leading axes works.
    Raises ValueError as :func:`attention_loops` does (shapes that do not fit, a mask that is not
    bool or does not broadcast to (..., Tq, Tk)).
    """
    q, k, v = check_qkv(q, k, v)
    ### BEGIN SOLUTION
    scale = float(1.0 / np.sqrt(q.shape[-1]))  # a Python float: a numpy float64 scalar would upcast float32
    scores = (q @ np.swapaxes(k, -1, -2)) * scale  # (..., Tq, Tk)
    scores = apply_mask(scores, mask)
    dead = np.all(np.isneginf(scores), axis=-1, keepdims=True)  # (..., Tq, 1): fully masked rows
    weights = softmax(np.where(dead, 0.0, scores), axis=-1)
    weights = np.where(dead, 0.0, weights)  # (..., Tq, Tk)
    out = weights @ v  # (..., Tq, d_v)
    return out, {"q": q, "k": k, "v": v, "weights": weights, "scale": scale}
    ### END SOLUTION


def attention_backward(dout, cache: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradients of a loss through attention, given dout = dL/dout and the forward's cache.

    dout: (..., Tq, d_v), cache from :func:`attention` -> (dq: (..., Tq, d_k), dk: (..., Tk, d_k),
    dv: (..., Tk, d_v)), each shaped like its input.

    The cache's weights are all the softmax part needs: no softmax is recomputed. Masked
    positions have weight 0, so they pass no gradient; a fully masked row passes none at all.
    Raises ValueError naming both shapes when dout's shape is not out's shape.
    Check it first with phase 0's check_gradient on f(q) = sum(attention(q, k, v, mask)[0] * dout),
    and likewise for k and v (exercise 2.4 turns this into check_attention).
    """
    dout = as_float_array(dout, "dout")
    ### BEGIN SOLUTION
    q, k, v, weights, scale = cache["q"], cache["k"], cache["v"], cache["weights"], cache["scale"]
    expected = q.shape[:-1] + v.shape[-1:]
    if dout.shape != expected:
        raise ValueError(f"attention_backward: dout must have the output's shape {shape_str(expected)}, "
                         f"got {shape_str(dout.shape)}")
    dv = np.swapaxes(weights, -1, -2) @ dout  # (..., Tk, d_v)
    dweights = dout @ np.swapaxes(v, -1, -2)  # (..., Tq, Tk)
    dscores = weights * (dweights - np.sum(dweights * weights, axis=-1, keepdims=True))  # softmax, row by row
    dq = (dscores @ k) * scale  # (..., Tq, d_k)
    dk = (np.swapaxes(dscores, -1, -2) @ q) * scale  # (..., Tk, d_k)
    return dq, dk, dv
    ### END SOLUTION
