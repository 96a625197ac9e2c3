"""Exercise 0.3: a softmax that survives large logits, log-softmax, and the softmax backward pass."""

from __future__ import annotations

import numpy as np

from phase0_math.arrays import as_float_array, same_shape


def softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """Softmax along ``axis``: exp(x) / sum(exp(x)), computed so that no exp overflows.

    x: any shape (...), float -> probabilities of the same shape, each slice along ``axis``
    positive and summing to 1. Logits of 1000 must give finite results.
    Hint: softmax(x) = softmax(x - c) for any c constant along the axis.
    """
    x = as_float_array(x, "x")
    ### BEGIN SOLUTION
    shifted = x - x.max(axis=axis, keepdims=True)  # a new array: x itself stays unchanged
    e = np.exp(shifted, out=shifted)  # in place: one (...) array instead of three, much faster for big x
    e /= e.sum(axis=axis, keepdims=True)
    return e
    ### END SOLUTION


def log_softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """log(softmax(x)) along ``axis``, without ever taking the log of an underflowed 0.

    x: (...) -> same shape, every entry <= 0. log_softmax([0, -1000]) is [0, -1000], not -inf.
    Hint: the same shift as in softmax works here; never take the log of a probability.
    """
    x = as_float_array(x, "x")
    ### BEGIN SOLUTION
    shifted = x - x.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))
    ### END SOLUTION


def softmax_backward(dout: np.ndarray, probs: np.ndarray, axis: int = -1) -> np.ndarray:
    """Vector-Jacobian product of softmax: dL/dx given dout = dL/dp and the output p = softmax(x).

    dout: (...), probs: (...) same shape -> dx: same shape, the slices along ``axis`` independent
    of each other. Raises ValueError when the shapes differ.
    Derive the Jacobian of one slice (of length C) on paper, then its product with dout: the
    result needs only p and dout, so never build the (C, C) Jacobian in code.
    Check it first with your own check_gradient (exercise 0.1) on f(x) = sum(softmax(x) * dout).
    """
    dout = as_float_array(dout, "dout")
    probs = as_float_array(probs, "probs")
    ### BEGIN SOLUTION
    same_shape(dout, probs, "dout", "probs")
    return probs * (dout - np.sum(dout * probs, axis=axis, keepdims=True))
    ### END SOLUTION
