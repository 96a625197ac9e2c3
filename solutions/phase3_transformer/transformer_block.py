"""Exercises 3.3-3.6: layer normalisation, the feed-forward network, the Transformer block, a stack.

The block of Vaswani et al. (2017, section 3.1), for x: (B, T, D):

    post-norm (the paper)            pre-norm (GPT-2 and most models since)
    x = LN1(x + MHA(x, x))           x = x + MHA(LN1(x), LN1(x))
    x = LN2(x + FFN(x))              x = x + FFN(LN2(x))

MHA is your phase 2 multi-head attention, FFN(x) = act(x W1 + b1) W2 + b2 applied to every token
on its own, and LN normalises each token's D features. Apart from attention, nothing in the block
mixes positions: a causal mask on the attention makes the whole block causal.

The parameters of one block are a nested dict (what :func:`init_block` returns):

    {"attn": {"wq", "bq", "wk", "bk", "wv", "bv", "wo", "bo"},   phase 2's layout, w (D, D), b (D,)
     "ln1_gamma": (D,), "ln1_beta": (D,),                          the norm next to attention
     "ffn": {"w1": (D, F), "b1": (F,), "w2": (F, D), "b2": (D,)},
     "ln2_gamma": (D,), "ln2_beta": (D,)}                          the norm next to the FFN

A stack is a list of such dicts, one per block.
"""

from __future__ import annotations

import numpy as np

from phase0_math.arrays import as_float_array, shape_str
from phase2_attention.mask import causal_mask
from phase2_attention.multi_head import init_multi_head, multi_head_attention

ACTIVATIONS = ("relu", "gelu")
_GELU_C = float(np.sqrt(2.0 / np.pi))  # the tanh approximation of GELU (Hendrycks and Gimpel 2016)


# -- 3.3 layer normalisation ----------------------------------------------------------------------


def layer_norm(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float = 1e-5) -> tuple[np.ndarray, tuple]:
    """Normalise every token over its features, then scale and shift.

    x: (..., D), gamma: (D,), beta: (D,) -> (out: (..., D), cache).
    For each vector x[..., :] on its own: mu = mean, var = mean((x - mu)^2) (biased: divide by D),
    xhat = (x - mu) / sqrt(var + eps), out = gamma * xhat + beta.
    cache: (xhat (..., D), inv_std (..., 1) = 1 / sqrt(var + eps), gamma (D,)).
    Raises ValueError unless gamma and beta have shape (D,) with D the last axis of x.
    """
    x = as_float_array(x, "x")
    gamma = as_float_array(gamma, "gamma")
    beta = as_float_array(beta, "beta")
    ### BEGIN SOLUTION
    if x.ndim < 1:
        raise ValueError(f"x: expected an array of shape (..., D), got {shape_str(x.shape)}")
    d = x.shape[-1]
    for name, p in (("gamma", gamma), ("beta", beta)):
        if p.shape != (d,):
            raise ValueError(f"{name}: expected shape {shape_str((d,))} to match x {shape_str(x.shape)}, "
                             f"got {shape_str(p.shape)}")
    mu = x.mean(axis=-1, keepdims=True)  # (..., 1)
    var = ((x - mu) ** 2).mean(axis=-1, keepdims=True)  # (..., 1), biased
    inv_std = 1.0 / np.sqrt(var + eps)
    xhat = (x - mu) * inv_std  # (..., D)
    return gamma * xhat + beta, (xhat, inv_std, gamma)
    ### END SOLUTION


def layer_norm_backward(dout: np.ndarray, cache: tuple) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradients through :func:`layer_norm`, given dout = dL/dout.

    dout: (..., D), cache from layer_norm -> (dx: (..., D), dgamma: (D,), dbeta: (D,)).
    The mean and the variance depend on every feature of the token, so each dx entry gets
    contributions through them too. dgamma and dbeta sum over every token of the batch.
    Raises ValueError when dout's shape is not x's shape.
    Check it first with phase 0's check_gradient on f(x) = sum(layer_norm(x, gamma, beta)[0] * dout),
    and likewise for gamma and beta.
    """
    dout = as_float_array(dout, "dout")
    ### BEGIN SOLUTION
    xhat, inv_std, gamma = cache
    if dout.shape != xhat.shape:
        raise ValueError(f"dout: expected shape {shape_str(xhat.shape)} like x, got {shape_str(dout.shape)}")
    d = xhat.shape[-1]
    dbeta = dout.reshape(-1, d).sum(axis=0)
    dgamma = (dout * xhat).reshape(-1, d).sum(axis=0)
    g = dout * gamma
    dx = inv_std * (g - g.mean(axis=-1, keepdims=True) - xhat * (g * xhat).mean(axis=-1, keepdims=True))
    return dx, dgamma, dbeta
    ### END SOLUTION


# -- 3.4 the position-wise feed-forward network ---------------------------------------------------


def init_feed_forward(d_model: int, d_ff: int, seed: int) -> dict:
    """Seeded FFN parameters (given): w1 (D, F), w2 (F, D) drawn from N(0, 1 / fan_in), biases 0."""
    rng = np.random.default_rng(seed)
    return {
        "w1": rng.normal(0.0, 1.0 / np.sqrt(d_model), size=(d_model, d_ff)),
        "b1": np.zeros(d_ff),
        "w2": rng.normal(0.0, 1.0 / np.sqrt(d_ff), size=(d_ff, d_model)),
        "b2": np.zeros(d_model),
    }


def feed_forward(x: np.ndarray, params: dict, activation: str = "relu") -> tuple[np.ndarray, dict]:
    """FFN(x) = act(x @ w1 + b1) @ w2 + b2, the same two layers for every token.

    x: (..., D); params: {"w1": (D, F), "b1": (F,), "w2": (F, D), "b2": (D,)};
    activation: "relu" (the paper) or "gelu", the tanh approximation
    0.5 h (1 + tanh(sqrt(2 / pi) (h + 0.044715 h^3))) -> (out: (..., D), cache).
    cache: {"x": (..., D), "h": (..., F) before the activation, "a": (..., F) after it,
            "w1", "w2", "activation"}.
    Raises ValueError for an unknown activation or parameters whose shapes do not fit x.
    """
    x = as_float_array(x, "x")
    ### BEGIN SOLUTION
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation: expected one of {', '.join(ACTIVATIONS)}, got {activation!r}")
    w1 = as_float_array(params["w1"], "w1", ndim=2)
    b1 = as_float_array(params["b1"], "b1")
    w2 = as_float_array(params["w2"], "w2", ndim=2)
    b2 = as_float_array(params["b2"], "b2")
    d, f = w1.shape
    expected = {"x": (x.shape[:-1] + (d,)) if x.ndim else (d,), "b1": (f,), "w2": (f, d), "b2": (d,)}
    for name, got in (("x", x.shape), ("b1", b1.shape), ("w2", w2.shape), ("b2", b2.shape)):
        if got != expected[name]:
            raise ValueError(f"{name}: expected shape {shape_str(expected[name])} for w1 of shape "
                             f"{shape_str(w1.shape)}, got {shape_str(got)}")
    h = x @ w1 + b1  # (..., F)
    if activation == "relu":
        a = np.maximum(h, 0.0)
    else:
        a = 0.5 * h * (1.0 + np.tanh(_GELU_C * (h + 0.044715 * h**3)))
    out = a @ w2 + b2  # (..., D)
    return out, {"x": x, "h": h, "a": a, "w1": w1, "w2": w2, "activation": activation}
    ### END SOLUTION


def feed_forward_backward(dout: np.ndarray, cache: dict) -> tuple[np.ndarray, dict]:
    """Gradients through :func:`feed_forward`, given dout = dL/dout.

    dout: (..., D), cache from feed_forward -> (dx: (..., D), grads) with grads =
    {"w1": (D, F), "b1": (F,), "w2": (F, D), "b2": (D,)}, each summed over every token.
    ReLU's derivative is taken as 0 where h <= 0 (phase 1's convention); for GELU differentiate
    the formula above. Raises ValueError when dout's shape is not x's shape.
    Check it first with phase 0's check_gradient on sum(feed_forward(x, params)[0] * dout), for x
    and for each parameter.
    """
    dout = as_float_array(dout, "dout")
    ### BEGIN SOLUTION
    x, h, a, w1, w2 = cache["x"], cache["h"], cache["a"], cache["w1"], cache["w2"]
    d, f = w1.shape
    if dout.shape != x.shape:
        raise ValueError(f"dout: expected shape {shape_str(x.shape)} like x, got {shape_str(dout.shape)}")
    grads = {
        "w2": a.reshape(-1, f).T @ dout.reshape(-1, d),  # (F, D)
        "b2": dout.reshape(-1, d).sum(axis=0),
    }
    da = dout @ w2.T  # (..., F)
    if cache["activation"] == "relu":
        dh = da * (h > 0)
    else:
        t = np.tanh(_GELU_C * (h + 0.044715 * h**3))
        dh = da * (0.5 * (1.0 + t) + 0.5 * h * (1.0 - t**2) * _GELU_C * (1.0 + 3 * 0.044715 * h**2))
    grads["w1"] = x.reshape(-1, d).T @ dh.reshape(-1, f)  # (D, F)
    grads["b1"] = dh.reshape(-1, f).sum(axis=0)
    dx = dh @ w1.T  # (..., D)
    return dx, {"w1": grads["w1"], "b1": grads["b1"], "w2": grads["w2"], "b2": grads["b2"]}
    ### END SOLUTION


# -- 3.5 the block --------------------------------------------------------------------------------


def init_block(d_model: int, n_heads: int, d_ff: int, seed: int) -> dict:
    """Seeded parameters of one block, laid out as in the module docstring.

    Attention from phase 2's init_multi_head, the FFN from :func:`init_feed_forward` (two seeds
    drawn from ``np.random.default_rng(seed)``), every gamma 1 and every beta 0, so a fresh layer
    norm is a pure normalisation. Raises ValueError when n_heads does not divide d_model or a
    size is not a positive integer.
    """
    ### BEGIN SOLUTION
    for name, value in (("d_model", d_model), ("n_heads", n_heads), ("d_ff", d_ff)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{name}: expected a positive integer, got {value!r}")
    if d_model % n_heads:
        raise ValueError(f"n_heads {n_heads} does not divide d_model {d_model}")
    attn_seed, ffn_seed = (int(s) for s in np.random.default_rng(seed).integers(0, 2**31, size=2))
    return {
        "attn": init_multi_head(d_model, n_heads, attn_seed),
        "ln1_gamma": np.ones(d_model),
        "ln1_beta": np.zeros(d_model),
        "ffn": init_feed_forward(d_model, d_ff, ffn_seed),
        "ln2_gamma": np.ones(d_model),
        "ln2_beta": np.zeros(d_model),
    }
    ### END SOLUTION


def transformer_block(
    x: np.ndarray, params: dict, n_heads: int, causal: bool = False, pre_norm: bool = False,
    activation: str = "relu",
) -> tuple[np.ndarray, dict]:
    """One Transformer block (self-attention, then the FFN), each with a residual and a layer norm.

    x: (B, T, D); params as :func:`init_block` makes them -> (out: (B, T, D), cache).
    post-norm (default, the paper): h = LN1(x + MHA(x)), out = LN2(h + FFN(h)).
    pre-norm: h = x + MHA(LN1(x)), out = h + FFN(LN2(h)).
    causal=True masks attention with phase 2's causal_mask(T), so position t sees positions <= t.
    cache: a dict of the sub-caches ("attn", "ln1", "ffn", "ln2"), kept for a backward pass.
    Raises ValueError unless x is 3-d with D equal to the size of the parameters, for an unknown
    activation (see feed_forward) and when n_heads does not divide D.
    """
    x = as_float_array(x, "x")
    ### BEGIN SOLUTION
    d = np.shape(params["ln1_gamma"])[0]
    if x.ndim != 3 or x.shape[-1] != d:
        raise ValueError(f"x: expected shape (B, T, {d}) for a block of width {d}, got {shape_str(x.shape)}")
    mask = causal_mask(x.shape[1]) if causal else None
    cache: dict = {}
    if pre_norm:
        n1, cache["ln1"] = layer_norm(x, params["ln1_gamma"], params["ln1_beta"])
        a, cache["attn"] = multi_head_attention(n1, n1, params["attn"], n_heads, mask=mask)
        h = x + a
        n2, cache["ln2"] = layer_norm(h, params["ln2_gamma"], params["ln2_beta"])
        f, cache["ffn"] = feed_forward(n2, params["ffn"], activation)
        out = h + f
    else:
        a, cache["attn"] = multi_head_attention(x, x, params["attn"], n_heads, mask=mask)
        h, cache["ln1"] = layer_norm(x + a, params["ln1_gamma"], params["ln1_beta"])
        f, cache["ffn"] = feed_forward(h, params["ffn"], activation)
        out, cache["ln2"] = layer_norm(h + f, params["ln2_gamma"], params["ln2_beta"])
    return out, cache
    ### END SOLUTION


# -- 3.6 a stack of blocks and its size ----------------------------------------------------------


def init_stack(n_layers: int, d_model: int, n_heads: int, d_ff: int, seed: int) -> list[dict]:
    """Parameters of ``n_layers`` blocks, each from :func:`init_block` with its own seed.

    -> a list of n_layers block dicts, all different, the same again for the same seed.
    Raises ValueError unless n_layers is a positive integer.
    """
    ### BEGIN SOLUTION
    if isinstance(n_layers, bool) or not isinstance(n_layers, (int, np.integer)) or n_layers < 1:
        raise ValueError(f"n_layers: expected a positive integer, got {n_layers!r}")
    seeds = np.random.default_rng(seed).integers(0, 2**31, size=int(n_layers))
    return [init_block(d_model, n_heads, d_ff, int(s)) for s in seeds]
    ### END SOLUTION


def transformer_stack(
    x: np.ndarray, blocks: list[dict], n_heads: int, causal: bool = False, pre_norm: bool = False,
    activation: str = "relu",
) -> tuple[np.ndarray, list[dict]]:
    """The blocks applied in order: x -> block_0 -> block_1 -> ... ; the options go to every block.

    x: (B, T, D); blocks: a list of block parameter dicts -> (out: (B, T, D), caches: list of the
    blocks' caches, in order). No final layer norm is added (a pre-norm model usually has one
    after the stack; add it where you use the stack). Raises ValueError for an empty list.
    """
    x = as_float_array(x, "x")
    ### BEGIN SOLUTION
    if len(blocks) == 0:
        raise ValueError("blocks: expected at least one block, got an empty list")
    caches = []
    for params in blocks:
        x, cache = transformer_block(x, params, n_heads, causal=causal, pre_norm=pre_norm, activation=activation)
        caches.append(cache)
    return x, caches
    ### END SOLUTION


def count_parameters(params) -> int:
    """The number of numbers in a parameter structure: the total size of every array in it.

    params: an array, or a dict / list / tuple nesting them (a block, a stack) -> int.
    One block holds 4 D^2 + 4 D (attention) + 2 D F + F + D (FFN) + 4 D (two norms) numbers.
    """
    ### BEGIN SOLUTION
    if isinstance(params, dict):
        return sum(count_parameters(v) for v in params.values())
    if isinstance(params, (list, tuple)):
        return sum(count_parameters(v) for v in params)
    return int(np.asarray(params).size)
    ### END SOLUTION
