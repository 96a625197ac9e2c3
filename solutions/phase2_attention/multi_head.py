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
    ### BEGIN SOLUTION
    head_size(d_model, n_heads)
    rng = np.random.default_rng(seed)
    params = {}
    for name in ("q", "k", "v", "o"):
        params["w" + name] = rng.normal(0.0, 1.0 / np.sqrt(d_model), size=(d_model, d_model))
        params["b" + name] = np.zeros(d_model)
    return {name: params[name] for name in PARAM_NAMES}
    ### END SOLUTION


def split_heads(x, n_heads: int) -> np.ndarray:
    """Cut the last axis into heads and move the head axis in front of time.

    x: (B, T, d_model), n_heads: int dividing d_model -> (B, H, T, d_head), d_head = d_model / H,
    out[b, h, t, :] = x[b, t, h * d_head:(h + 1) * d_head].
    Reshape to (B, T, H, d_head) first, then transpose: reshaping straight to (B, H, T, d_head)
    mixes positions. Raises ValueError for x that is not 3-d or when n_heads does not divide d_model.
    """
    x = as_float_array(x, "x")
    ### BEGIN SOLUTION
    if x.ndim != 3:
        raise ValueError(f"split_heads: expected x of shape (B, T, d_model), got {shape_str(x.shape)}")
    b, t, d_model = x.shape
    d_head = head_size(d_model, n_heads)
    return x.reshape(b, t, n_heads, d_head).transpose(0, 2, 1, 3)
    ### END SOLUTION


def merge_heads(x) -> np.ndarray:
    """The inverse of :func:`split_heads`: glue the heads back together along the last axis.

    x: (B, H, T, d_head) -> (B, T, H * d_head), out[b, t, h * d_head:(h + 1) * d_head] = x[b, h, t].
    Raises ValueError for x that is not 4-d.
    """
    x = as_float_array(x, "x")
    ### BEGIN SOLUTION
    if x.ndim != 4:
        raise ValueError(f"merge_heads: expected x of shape (B, H, T, d_head), got {shape_str(x.shape)}")
    b, h, t, d_head = x.shape
    return x.transpose(0, 2, 1, 3).reshape(b, t, h * d_head)
    ### END SOLUTION


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
    ### BEGIN SOLUTION
    if x_q.ndim != 3 or x_kv.ndim != 3 or x_q.shape[0] != x_kv.shape[0] or x_q.shape[2] != x_kv.shape[2]:
        raise ValueError(
            f"multi_head_attention: expected x_q (B, Tq, d_model) and x_kv (B, Tk, d_model), got "
            f"{shape_str(x_q.shape)} and {shape_str(x_kv.shape)}"
        )
    d_model = x_q.shape[2]
    head_size(d_model, n_heads)
    p = check_params(params, d_model)
    q = split_heads(x_q @ p["wq"] + p["bq"], n_heads)  # (B, H, Tq, d_head)
    k = split_heads(x_kv @ p["wk"] + p["bk"], n_heads)  # (B, H, Tk, d_head)
    v = split_heads(x_kv @ p["wv"] + p["bv"], n_heads)  # (B, H, Tk, d_head)
    heads, att_cache = attention(q, k, v, head_mask(mask))  # (B, H, Tq, d_head)
    concat = merge_heads(heads)  # (B, Tq, d_model)
    out = concat @ p["wo"] + p["bo"]  # (B, Tq, d_model)
    cache = {"x_q": x_q, "x_kv": x_kv, "params": p, "n_heads": int(n_heads), "concat": concat,
             "attention": att_cache, "weights": att_cache["weights"]}
    return out, cache
    ### END SOLUTION


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
    ### BEGIN SOLUTION
    x_q, x_kv, p, n_heads = cache["x_q"], cache["x_kv"], cache["params"], cache["n_heads"]
    concat = cache["concat"]
    if dout.shape != x_q.shape:
        raise ValueError(f"multi_head_attention_backward: dout must have the output's shape "
                         f"{shape_str(x_q.shape)}, got {shape_str(dout.shape)}")
    d_model = x_q.shape[2]

    def weight_grad(x, dy):  # sum over batch and time of x[b, t]^T dy[b, t]
        return x.reshape(-1, d_model).T @ dy.reshape(-1, d_model)

    grads = {"wo": weight_grad(concat, dout), "bo": dout.sum(axis=(0, 1))}
    dconcat = dout @ p["wo"].T  # (B, Tq, d_model)
    dq_h, dk_h, dv_h = attention_backward(split_heads(dconcat, n_heads), cache["attention"])
    dq, dk, dv = merge_heads(dq_h), merge_heads(dk_h), merge_heads(dv_h)  # (B, T, d_model)
    for name, x, dy in (("q", x_q, dq), ("k", x_kv, dk), ("v", x_kv, dv)):
        grads["w" + name] = weight_grad(x, dy)
        grads["b" + name] = dy.sum(axis=(0, 1))
    dx_q = dq @ p["wq"].T
    dx_kv = dk @ p["wk"].T + dv @ p["wv"].T
    return dx_q, dx_kv, {name: grads[name] for name in PARAM_NAMES}
    ### END SOLUTION
