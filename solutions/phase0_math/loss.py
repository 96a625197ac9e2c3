"""Exercise 0.4: mean squared error and cross-entropy from logits, each with its gradient."""

from __future__ import annotations

import numpy as np

from phase0_math.arrays import as_float_array, as_labels, same_shape, shape_str
from phase0_math.softmax import log_softmax, softmax


def mse(pred: np.ndarray, target: np.ndarray) -> float:
    """Mean squared error, averaged over every entry.

    pred: (...), target: same shape -> float, mean((pred - target) ** 2).
    Raises ValueError when the shapes differ (no broadcasting: (N,) against (N, 1) is a bug).
    """
    pred = as_float_array(pred, "pred")
    target = as_float_array(target, "target")
    ### BEGIN SOLUTION
    same_shape(pred, target, "pred", "target")
    return float(np.mean((pred - target) ** 2))
    ### END SOLUTION


def mse_backward(pred: np.ndarray, target: np.ndarray) -> np.ndarray:
    """d mse / d pred, the gradient of :func:`mse` with respect to pred.

    pred, target: (...) same shape -> same shape as pred. Mind the mean: every entry counts.
    Raises ValueError when the shapes differ, like :func:`mse`.
    Check it first with your own check_gradient (exercise 0.1) on f(pred) = mse(pred, target).
    """
    pred = as_float_array(pred, "pred")
    target = as_float_array(target, "target")
    ### BEGIN SOLUTION
    same_shape(pred, target, "pred", "target")
    return 2.0 * (pred - target) / pred.size
    ### END SOLUTION


def _check_logits(logits: np.ndarray) -> None:
    if logits.ndim != 2 or logits.shape[1] == 0:
        raise ValueError(f"logits: expected shape (N, C) with C >= 1, got {shape_str(logits.shape)}")


def cross_entropy(logits: np.ndarray, labels: np.ndarray) -> float:
    """Mean over the batch of -log softmax(logits)[n, labels[n]].

    logits: (N, C) float, labels: (N,) integers in [0, C) -> float.
    Use log_softmax, never log(softmax(...)): logits of 1000 must give a finite loss.
    Raises ValueError for logits that are not 2-d with C >= 1, and for labels of the wrong shape,
    a non-integer dtype or out of range.
    """
    logits = as_float_array(logits, "logits")
    _check_logits(logits)
    ### BEGIN SOLUTION
    labels = as_labels(labels, logits.shape[0], logits.shape[1])
    logp = log_softmax(logits, axis=1)
    return float(-np.mean(logp[np.arange(logits.shape[0]), labels]))
    ### END SOLUTION


def cross_entropy_backward(logits: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """d cross_entropy / d logits, the gradient of :func:`cross_entropy` with respect to the logits.

    logits: (N, C), labels: (N,) integers in [0, C) -> (N, C). The loss is a mean over the batch.
    Raises ValueError for what :func:`cross_entropy` refuses.
    Check it first with your own check_gradient (exercise 0.1) on f(z) = cross_entropy(z, labels).
    """
    logits = as_float_array(logits, "logits")
    _check_logits(logits)
    ### BEGIN SOLUTION
    labels = as_labels(labels, logits.shape[0], logits.shape[1])
    n = logits.shape[0]
    grad = softmax(logits, axis=1)
    grad[np.arange(n), labels] -= 1.0
    return grad / n
    ### END SOLUTION
