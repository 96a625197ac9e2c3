"""Exercise 3.1: token embeddings, a table lookup and its backward pass.

A token id is an index into a table of learned vectors: row ``ids[b, t]`` of ``table`` is the
vector of token ``t`` in sequence ``b``. The lookup is a matrix product with one-hot rows written
without the zeros, so its backward pass follows from the matrix product's (exercise 0.2): derive
it on paper before you write it, and ask what a token that occurs twice receives.

The paper (Vaswani et al. 2017, section 3.4) multiplies the embeddings by sqrt(d_model) before
adding the positional encoding, so that both have a comparable size.
"""

from __future__ import annotations

import numpy as np

from phase0_math.arrays import as_float_array, shape_str


def init_embeddings(vocab_size: int, d_model: int, seed: int) -> np.ndarray:
    """A seeded embedding table: (vocab_size, d_model), entries drawn from N(0, 1 / d_model).

    With the paper's sqrt(d_model) scaling the scaled vectors then have entries of variance 1,
    the same size as the positional encoding. Raises ValueError unless both sizes are positive
    integers. Same seed, same table.
    """
    # YOUR CODE HERE
    raise NotImplementedError("not started: init_embeddings")


def embed(ids: np.ndarray, table: np.ndarray, scale: bool = False) -> tuple[np.ndarray, tuple]:
    """Look up the vector of every token id.

    ids: (B, T) integers in [0, V); table: (V, D) -> (out: (B, T, D), cache).
    out[b, t] = table[ids[b, t]], times sqrt(D) when ``scale`` is True.
    cache: (ids (B, T) int64, V, factor), factor being sqrt(D) or 1.0.

    Raises ValueError for ids that are not integers (floats, bools), not 2-d, or out of range;
    the message names the offending id and the vocabulary size. Watch negative ids: numpy would
    happily read table[-1], the last row, without a word.
    """
    table = as_float_array(table, "table", ndim=2)
    # YOUR CODE HERE
    raise NotImplementedError("not started: embed")


def embed_backward(dout: np.ndarray, cache: tuple) -> np.ndarray:
    """Gradient of the loss with respect to the table, given dout = dL/dout.

    dout: (B, T, D), cache from :func:`embed` -> dtable: (V, D), the gradient of every row of the
    table, rows of tokens that never occur included. The lookup's scale factor is part of the
    forward pass. Raises ValueError when dout is not 3-d with its first two axes the (B, T) of
    the ids (numpy would broadcast a (1, T, D) dout without a word).
    Check it first with phase 0's check_gradient on f(table) = sum(embed(ids, table)[0] * dout),
    with a token that occurs twice among the ids.
    """
    dout = as_float_array(dout, "dout")
    # YOUR CODE HERE
    raise NotImplementedError("not started: embed_backward")
