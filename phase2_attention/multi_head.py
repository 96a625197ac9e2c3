"""Exercise 2.3: multi-head attention, forward and backward, built on attention.py.

One head of width d_model would average everything it sees with one set of weights. Multi-head
attention projects the inputs, cuts the width d_model into H heads of width d_head = d_model / H,
lets each head attend on its own, glues the heads back together and mixes them with an output
projection:

    q = x_q @ wq + bq       k = x_kv @ wk + bk       v = x_kv @ wv + bv        (B, T, d_model)
    q_h, k_h, v_h = split_heads(q), split_heads(k), split_heads(v)            (B, H, T, d_head)
    heads = attention(q_h, k_h, v_h, mask)                                     (B, H, Tq, d_head)
    out = merge_heads(heads) @ wo + bo                                         (B, Tq, d_model)

Self-attention is x_q = x_kv = x; cross-attention takes the queries from one sequence (length Tq)
and the keys and values from another (length Tk).

Parameters are a dict of float64 arrays: "wq", "wk", "wv", "wo" of shape (d_model, d_model) used
as ``x @ w`` (rows = input features), and "bq", "bk", "bv", "bo" of shape (d_model,).
"""

from __future__ import annotations

import numpy as np

from phase0_math.arrays import as_float_array, shape_str
from phase2_attention.attention import attention, attention_backward

PARAM_NAMES = ("wq", "bq", "wk", "bk", "wv", "bv", "wo", "bo")


def head_size(d_model: int, n_heads: int) -> int:
    """Given: d_model // n_heads, or a ValueError naming both when n_heads does not divide d_model."""
    if isinstance(n_heads, bool) or not isinstance(n_heads, (int, np.integer)) or n_heads < 1:
        raise ValueError(f"n_heads must be a positive integer, got {n_heads!r}")
    if isinstance(d_model, bool) or not isinstance(d_model, (int, np.integer)) or d_model < 1:
        raise ValueError(f"d_model must be a positive integer, got {d_model!r}")
    if d_model % n_heads:
        raise ValueError(
            f"d_model = {d_model} is not divisible by n_heads = {n_heads}: every head needs the same width"
        )
    return int(d_model // n_heads)


def check_params(params: dict, d_model: int) -> dict:
    """Given: the eight parameters as float64 arrays, or a ValueError naming a missing key or a wrong shape."""
    if not isinstance(params, dict):
        raise ValueError(f"params must be a dict with keys {', '.join(PARAM_NAMES)}, got {type(params).__name__}")
    missing = [name for name in PARAM_NAMES if name not in params]
    if missing:
        raise ValueError(f"params is missing {', '.join(missing)}")
    checked = {}
    for name in PARAM_NAMES:
        value = as_float_array(params[name], name)
        expected = (d_model, d_model) if name.startswith("w") else (d_model,)
        if value.shape != expected:
            raise ValueError(f"params[{name!r}]: expected shape {shape_str(expected)} for d_model = {d_model}, "
                             f"got {shape_str(value.shape)}")
        checked[name] = value
    return checked


def head_mask(mask) -> np.ndarray | None:
    """Given: a mask for (B, Tq, Tk) scores turned into one for (B, H, Tq, Tk) scores.

    (Tq, Tk) and 4-d masks are returned as they are (they already broadcast); a 3-d mask
    (B, Tq, Tk) or (B, 1, Tk) gets a head axis: (B, 1, Tq, Tk), the same mask for every head.
    """
    if mask is None:
        return None
    mask = np.asarray(mask)
    if mask.ndim == 3:
        return mask[:, None, :, :]
    if mask.ndim in (1, 2, 4):
        return mask
    raise ValueError(f"mask: expected (Tq, Tk), (B, Tq, Tk) or (B, H, Tq, Tk), got shape {shape_str(mask.shape)}")


def init_multi_head(d_model: int, n_heads: int, seed: int) -> dict:
    """Parameters of one multi-head attention layer.

    d_model, n_heads: ints, n_heads divides d_model; seed: int -> params, a dict with
    "wq", "wk", "wv", "wo": (d_model, d_model), entries drawn from N(0, 1 / d_model) with
    ``np.random.default_rng(seed)`` (variance 1 / d_model keeps x @ w about as large as x), and
    "bq", "bk", "bv", "bo": (d_model,) zeros. The four weight matrices are different draws.
    Raises ValueError naming both numbers when n_heads does not divide d_model.
    """
    # YOUR CODE HERE
    raise NotImplementedError("not started: init_multi_head")


def split_heads(x, n_heads: int) -> np.ndarray:
    """Cut the last axis into heads and move the head axis in front of time.

    x: (B, T, d_model), n_heads: int dividing d_model -> (B, H, T, d_head), d_head = d_model / H,
    out[b, h, t, :] = x[b, t, h * d_head:(h + 1) * d_head].
    Reshape to (B, T, H, d_head) first, then transpose: reshaping straight to (B, H, T, d_head)
    mixes positions. Raises ValueError for x that is not 3-d or when n_heads does not divide d_model.
    """
    x = as_float_array(x, "x")
    # YOUR CODE HERE
    raise NotImplementedError("not started: split_heads")


def merge_heads(x) -> np.ndarray:
    """The inverse of :func:`split_heads`: glue the heads back together along the last axis.

    x: (B, H, T, d_head) -> (B, T, H * d_head), out[b, t, h * d_head:(h + 1) * d_head] = x[b, h, t].
    Raises ValueError for x that is not 4-d.
    """
    x = as_float_array(x, "x")
    # YOUR CODE HERE
    raise NotImplementedError("not started: merge_heads")


def multi_head_attention(x_q, x_kv, params: dict, n_heads: int, mask=None) -> tuple[np.ndarray, dict]:
    """Multi-head attention of the queries from x_q over the keys and values from x_kv.

    x_q: (B, Tq, d_model), x_kv: (B, Tk, d_model) (pass the same array twice for self-attention),
    params: see :func:`init_multi_head`, n_heads: int dividing d_model,
    mask: bool, None or broadcastable to (B, Tq, Tk) (shared by all heads: (Tq, Tk), (B, Tq, Tk),
    (B, 1, Tk) ...) or to (B, H, Tq, Tk) (one mask per head); ``head_mask`` inserts the head axis.
    -> (out: (B, Tq, d_model), cache).

    cache: a dict with "x_q", "x_kv", "params", "n_heads", "concat" (B, Tq, d_model) the merged
    heads before the output projection, "attention" the cache of the per-head attention call, and
    "weights" (B, H, Tq, Tk) the attention weights of every head.
    Raises ValueError naming the shapes when x_q or x_kv is not 3-d, when they disagree in batch
    or width, when a parameter has the wrong shape, and naming both numbers when n_heads does not
    divide d_model; a ValueError too when the mask is not bool or does not fit the scores
    (see apply_mask).
    """
    x_q = as_float_array(x_q, "x_q")
    x_kv = as_float_array(x_kv, "x_kv")
    # YOUR CODE HERE
    raise NotImplementedError("not started: multi_head_attention")


def multi_head_attention_backward(dout, cache: dict) -> tuple[np.ndarray, np.ndarray, dict]:
    """Gradients through :func:`multi_head_attention`, given dout = dL/dout and its cache.

    dout: (B, Tq, d_model) -> (dx_q: (B, Tq, d_model), dx_kv: (B, Tk, d_model), grads), grads a
    dict with the keys of params ("wq", "bq", ..., "bo"), each shaped like its parameter.
    Every token of every sequence used the same weights and biases, so their gradients add up
    over batch and time. For self-attention (x_q = x_kv = x) the gradient of x is
    dx_q + dx_kv. Raises ValueError naming both shapes when dout's shape is not out's shape.
    Check it first, one input or parameter at a time, with phase 0's check_gradient on
    sum(multi_head_attention(...)[0] * dout); exercise 2.4 turns this into
    check_multi_head_attention.
    """
    dout = as_float_array(dout, "dout")
    # YOUR CODE HERE
    raise NotImplementedError("not started: multi_head_attention_backward")
