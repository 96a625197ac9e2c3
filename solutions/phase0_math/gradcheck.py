"""Exercise 0.1: a finite-difference gradient checker, the tool that proves every later gradient.

It comes first: every backward pass of the course, from 0.2 on, is checked with it before it is
handed in.

For a scalar function f of an array x, the central difference

    (f(x + eps e_i) - f(x - eps e_i)) / (2 eps)

approximates df/dx_i with an error of order eps^2 (a one-sided difference is only order eps).
Work in float64: in float32, eps = 1e-6 is lost in round-off.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from phase0_math.arrays import as_float_array, same_shape


def numerical_gradient(f: Callable[[np.ndarray], float], x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Central-difference gradient of the scalar function ``f`` at ``x``.

    f: takes an array shaped like x, returns a float; x: any shape -> grad: x.shape, float64.
    ``x`` itself must be unchanged afterwards (nudge a copy, or put every entry back).
    """
    x = as_float_array(x, "x")
    ### BEGIN SOLUTION
    x = x.copy()
    grad = np.zeros_like(x)
    for i in range(x.size):
        original = x.flat[i]
        x.flat[i] = original + eps
        f_plus = float(f(x.copy()))
        x.flat[i] = original - eps
        f_minus = float(f(x.copy()))
        x.flat[i] = original
        grad.flat[i] = (f_plus - f_minus) / (2.0 * eps)
    return grad
    ### END SOLUTION


def relative_error(analytic: np.ndarray, numeric: np.ndarray) -> float:
    """max |a - n| / max(1e-8, max(|a| + |n|)) over all entries: 0 when equal, about 1 when unrelated.

    analytic, numeric: same shape -> float. The 1e-8 floor keeps two all-zero gradients at 0
    instead of 0 / 0. Two empty arrays give 0.0. Raises ValueError when the shapes differ.
    """
    analytic = as_float_array(analytic, "analytic")
    numeric = as_float_array(numeric, "numeric")
    ### BEGIN SOLUTION
    same_shape(analytic, numeric, "analytic", "numeric")
    if analytic.size == 0:
        return 0.0
    scale = max(1e-8, float(np.max(np.abs(analytic) + np.abs(numeric))))
    return float(np.max(np.abs(analytic - numeric)) / scale)
    ### END SOLUTION


def check_gradient(
    f: Callable[[np.ndarray], float],
    x: np.ndarray,
    analytic: np.ndarray,
    eps: float = 1e-6,
    threshold: float = 1e-6,
) -> dict:
    """Compare an analytic gradient of f at x with the numerical one and report the worst entry.

    x: any shape, analytic: x.shape -> a dict with
      "rel_error": float, relative_error(analytic, numeric);
      "worst_index": tuple of ints, where |analytic - numeric| is largest;
      "analytic", "numeric": floats, the two gradients at that index;
      "passed": bool, rel_error <= threshold.
    ``eps`` is the step of the central differences (passed on to numerical_gradient).
    Raises ValueError when analytic's shape differs from x's.
    """
    x = as_float_array(x, "x")
    analytic = as_float_array(analytic, "analytic")
    ### BEGIN SOLUTION
    same_shape(x, analytic, "x", "analytic")
    numeric = numerical_gradient(f, x, eps)
    error = relative_error(analytic, numeric)
    index = np.unravel_index(int(np.argmax(np.abs(analytic - numeric))), x.shape)
    return {
        "rel_error": error,
        "worst_index": tuple(int(i) for i in index),
        "analytic": float(analytic[index]),
        "numeric": float(numeric[index]),
        "passed": bool(error <= threshold),
    }
    ### END SOLUTION
