"""Exercise A.1: the backward pass of the Transformer block (and of a stack of blocks).

Phase 3 built the block's forward pass out of parts whose backward passes you already have:

    part                       forward (phase)                      backward (phase)
    multi-head attention       multi_head_attention (2)             multi_head_attention_backward (2)
    layer norm                 layer_norm (3)                       layer_norm_backward (3)
    feed-forward network       feed_forward (3)                     feed_forward_backward (3)

This exercise is the composition: walk the block's forward pass backwards, one line at a time,
with the sub-caches that phase 3's ``transformer_block`` keeps (``cache["attn"]``, ``["ln1"]``,
``["ffn"]``, ``["ln2"]``). Two rules do all the work, one for the residual connections and one
for self-attention reading its input twice; the reading guide (README, "The block's backward
pass") derives both.

    post-norm (the paper)                        pre-norm (GPT-2)
    u1 = x + MHA(x)      h = LN1(u1)            n1 = LN1(x)   h = x + MHA(n1)
    u2 = h + FFN(h)      out = LN2(u2)          n2 = LN2(h)   out = h + FFN(n2)

The cache does not record which of the two the forward pass was: pass the same ``pre_norm`` to
the backward pass as to the forward pass.
"""

from __future__ import annotations

import numpy as np

from phase0_math.arrays import as_float_array, shape_str
from phase2_attention.multi_head import multi_head_attention_backward
from phase3_transformer.transformer_block import (  # noqa: F401  (the forward passes, for your experiments)
    feed_forward_backward, layer_norm_backward, transformer_block, transformer_stack,
)


def block_backward(dout: np.ndarray, cache: dict, pre_norm: bool = False) -> tuple[np.ndarray, dict]:
    """Gradients through one ``transformer_block`` call, given dout = dL/dout and its cache.

    dout: (B, T, D); cache: what phase 3's transformer_block returned (a dict with the sub-caches
    "attn", "ln1", "ffn", "ln2"); pre_norm: the value the forward pass used ->
    (dx: (B, T, D), grads), grads laid out like the block's parameters:

        {"attn": {"wq", "bq", "wk", "bk", "wv", "bv", "wo", "bo"}, "ln1_gamma", "ln1_beta",
         "ffn": {"w1", "b1", "w2", "b2"}, "ln2_gamma", "ln2_beta"}

    each gradient shaped like its parameter and summed over batch and time. A causal mask needs no
    extra work here: the attention cache holds the masked weights. Raises ValueError when dout's
    shape is not the block's output shape.
    """
    dout = as_float_array(dout, "dout")
    # YOUR CODE HERE
    raise NotImplementedError("not started: block_backward")


def stack_backward(dout: np.ndarray, caches: list, pre_norm: bool = False) -> tuple[np.ndarray, list[dict]]:
    """Gradients through phase 3's ``transformer_stack``: the blocks' backward passes in reverse order.

    dout: (B, T, D); caches: the list transformer_stack returned, one cache per block ->
    (dx: (B, T, D), grads: a list with one grads dict per block, **in the blocks' order**, so that
    grads[i] belongs to blocks[i]). Raises ValueError for an empty list of caches, and (as
    block_backward does) when dout's shape is not the last block's output shape.
    """
    dout = as_float_array(dout, "dout")
    # YOUR CODE HERE
    raise NotImplementedError("not started: stack_backward")
