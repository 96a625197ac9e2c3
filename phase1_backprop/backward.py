"""Exercises 1.3a-1.3c: the backward pass, written with the chain rule, one layer at a time.

A backward function takes ``dout``, the gradient of the loss with respect to the layer's output,
and the cache of its forward pass, and returns the gradient with respect to each of the layer's
inputs. Every gradient has the shape of the thing it is the gradient of: that alone catches most
mistakes. The losses come first in the chain: they return the loss and its gradient with respect
to the network's output, the ``dout`` that starts the backward pass.

Check every function with your own checks of exercise 1.2 (gradcheck.py) before you hand it in:
check_linear_backward, check_activation_backward, and check_network_gradients for the whole net.
"""

from __future__ import annotations

import numpy as np

from phase0_math.arrays import as_float_array, as_labels, same_shape, shape_str
from phase0_math.softmax import log_softmax


def linear_backward(dout: np.ndarray, cache: tuple) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradients of out = x @ w + b.

    dout: (N, D_out); cache: (x: (N, D_in), w: (D_in, D_out)) from linear_forward.
    Returns (dx: (N, D_in), dw: (D_in, D_out), db: (D_out,)), in that order.
    Every example of the batch used the same w and b, so their gradients add up over the batch.
    Raises ValueError when dout is not (N, D_out).
    Check it first with your check_linear_backward (exercise 1.2).
    """
    dout = as_float_array(dout, "dout")
    x, w = cache
    # YOUR CODE HERE
    raise NotImplementedError("not started: linear_backward")


def sigmoid_backward(dout: np.ndarray, cache: np.ndarray) -> np.ndarray:
    """dL/dx of out = sigmoid(x). dout: any shape; cache: out, same shape -> dx: same shape.

    The cache is the forward pass's output, not x: write the derivative in terms of it.
    Raises ValueError when dout and cache differ in shape (never broadcast one against the other).
    Check it first with your check_activation_backward("sigmoid", ...) (exercise 1.2).
    """
    dout = as_float_array(dout, "dout")
    out = as_float_array(cache, "cache")
    # YOUR CODE HERE
    raise NotImplementedError("not started: sigmoid_backward")


def relu_backward(dout: np.ndarray, cache: np.ndarray) -> np.ndarray:
    """dL/dx of out = max(x, 0). dout: any shape; cache: x, same shape -> dx: same shape.

    The gradient flows through where x > 0 and is 0 where x <= 0: at x = 0 exactly we take
    the derivative to be 0 (any value in [0, 1] is a valid subgradient; the course fixes 0).
    Raises ValueError when dout and cache differ in shape (never broadcast one against the other).
    Check it first with your check_activation_backward("relu", ...) (exercise 1.2), away from 0.
    """
    dout = as_float_array(dout, "dout")
    x = as_float_array(cache, "cache")
    # YOUR CODE HERE
    raise NotImplementedError("not started: relu_backward")


def tanh_backward(dout: np.ndarray, cache: np.ndarray) -> np.ndarray:
    """dL/dx of out = tanh(x). dout: any shape; cache: out, same shape -> dx: same shape.

    The cache is the forward pass's output, not x: write the derivative in terms of it.
    Raises ValueError when dout and cache differ in shape (never broadcast one against the other).
    Check it first with your check_activation_backward("tanh", ...) (exercise 1.2).
    """
    dout = as_float_array(dout, "dout")
    out = as_float_array(cache, "cache")
    # YOUR CODE HERE
    raise NotImplementedError("not started: tanh_backward")


ACTIVATION_BACKWARD = {"relu": relu_backward, "sigmoid": sigmoid_backward, "tanh": tanh_backward}


def mse_loss(pred: np.ndarray, target: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean squared error over every entry, and its gradient: phase 0's mse and mse_backward in one.

    pred: (N, C), target: same shape -> (loss: float, dpred: (N, C)), with
    loss = mean((pred - target)^2) over all N C entries and dpred = d loss / d pred.
    Raises ValueError when the shapes differ (never broadcast (N,) against (N, 1)).
    Check dpred first with phase 0's check_gradient on f(p) = mse_loss(p, target)[0].
    """
    pred = as_float_array(pred, "pred")
    target = as_float_array(target, "target")
    # YOUR CODE HERE
    raise NotImplementedError("not started: mse_loss")


def softmax_cross_entropy(scores: np.ndarray, labels: np.ndarray) -> tuple[float, np.ndarray]:
    """Softmax followed by cross-entropy, averaged over the batch, and its gradient.

    scores: (N, C) logits, labels: (N,) integers in [0, C) -> (loss: float, dscores: (N, C)), with
    loss = -mean_n log softmax(scores)[n, labels[n]] and dscores = d loss / d scores.
    Use phase 0's log_softmax so that scores of 1000 still give a finite loss.
    Raises ValueError for labels of the wrong shape or dtype, or out of range (naming the label).
    Check dscores first with phase 0's check_gradient on f(s) = softmax_cross_entropy(s, labels)[0].
    """
    scores = as_float_array(scores, "scores")
    if scores.ndim != 2 or scores.shape[1] == 0:
        raise ValueError(f"scores: expected shape (N, C) with C >= 1, got {shape_str(scores.shape)}")
    # YOUR CODE HERE
    raise NotImplementedError("not started: softmax_cross_entropy")


def mlp_backward(dscores: np.ndarray, caches: list) -> dict:
    """The backward pass of mlp_forward: the gradient of every parameter, by the chain rule.

    dscores: (N, D_L), the loss's gradient with respect to the scores; caches: the list that
    mlp_forward returned. Returns {"W1": (D_0, D_1), "b1": (D_1,), ..., "WL": ..., "bL": ...}:
    the same keys and shapes as params, in the order W1, b1, W2, b2, ...
    Each cache entry is (linear_cache, activation_name, activation_cache), the last layer's
    activation None; the functions of exercise 1.3a do every step.
    Hint: ACTIVATION_BACKWARD maps an activation's name to its backward function.
    Check it first with your check_network_gradients (exercise 1.2).
    """
    dscores = as_float_array(dscores, "dscores")
    # YOUR CODE HERE
    raise NotImplementedError("not started: mlp_backward")
