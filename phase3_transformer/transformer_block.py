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
    # YOUR CODE HERE
    raise NotImplementedError("not started: layer_norm")


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
    # YOUR CODE HERE
    raise NotImplementedError("not started: layer_norm_backward")


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
    # YOUR CODE HERE
    raise NotImplementedError("not started: feed_forward")


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
    # YOUR CODE HERE
    raise NotImplementedError("not started: feed_forward_backward")


# -- 3.5 the block --------------------------------------------------------------------------------


def init_block(d_model: int, n_heads: int, d_ff: int, seed: int) -> dict:
    """Seeded parameters of one block, laid out as in the module docstring.

    Attention from phase 2's init_multi_head, the FFN from :func:`init_feed_forward` (two seeds
    drawn from ``np.random.default_rng(seed)``), every gamma 1 and every beta 0, so a fresh layer
    norm is a pure normalisation. Raises ValueError when n_heads does not divide d_model or a
    size is not a positive integer.
    """
    # YOUR CODE HERE
    raise NotImplementedError("not started: init_block")


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
    # YOUR CODE HERE
    raise NotImplementedError("not started: transformer_block")


# -- 3.6 a stack of blocks and its size ----------------------------------------------------------


def init_stack(n_layers: int, d_model: int, n_heads: int, d_ff: int, seed: int) -> list[dict]:
    """Parameters of ``n_layers`` blocks, each from :func:`init_block` with its own seed.

    -> a list of n_layers block dicts, all different, the same again for the same seed.
    Raises ValueError unless n_layers is a positive integer.
    """
    # YOUR CODE HERE
    raise NotImplementedError("not started: init_stack")


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
    # YOUR CODE HERE
    raise NotImplementedError("not started: transformer_stack")


def count_parameters(params) -> int:
    """The number of numbers in a parameter structure: the total size of every array in it.

    params: an array, or a dict / list / tuple nesting them (a block, a stack) -> int.
    One block holds 4 D^2 + 4 D (attention) + 2 D F + F + D (FFN) + 4 D (two norms) numbers.
    """
    # YOUR CODE HERE
    raise NotImplementedError("not started: count_parameters")
