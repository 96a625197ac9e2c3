"""The grader's own finite differences: never the student's gradcheck.py.

Everything is float64 and central: ``(f(x + eps e_i) - f(x - eps e_i)) / (2 eps)``, whose error
is O(eps^2). The relative error of an analytic gradient ``a`` against a numerical one ``n`` is

    max |a - n| / max(1e-8, max(|a| + |n|))

normalised by the largest entry, not entry by entry, so a gradient entry that is exactly 0 (a dead
ReLU, a masked position) does not turn round-off into a failure. The bands the reports use:
below 1e-7 right, up to THRESHOLD (1e-6, the pass mark) acceptable, up to 1e-4
suspicious, above 1e-2 wrong.
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

EPS = 1e-6
THRESHOLD = 1e-6


def perturbed_inputs(x: np.ndarray, eps: float = EPS) -> list[np.ndarray]:
    """[x + eps e_0, x - eps e_0, x + eps e_1, ...]: 2 * x.size copies of x, float64."""
    x = np.asarray(x, dtype=np.float64)
    out = []
    for i in range(x.size):
        for sign in (1.0, -1.0):
            y = x.copy()
            y.flat[i] += sign * eps
            out.append(y)
    return out


def gradient_from_values(values: Sequence[float], shape: tuple, eps: float = EPS) -> np.ndarray:
    """Central differences from f evaluated at :func:`perturbed_inputs`, in the same order."""
    v = np.asarray(values, dtype=np.float64).reshape(-1, 2)
    return ((v[:, 0] - v[:, 1]) / (2 * eps)).reshape(shape)


def numerical_gradient(f: Callable[[np.ndarray], float], x: np.ndarray, eps: float = EPS) -> np.ndarray:
    """Gradient of a scalar function f at x, shape x.shape."""
    x = np.asarray(x, dtype=np.float64)
    return gradient_from_values([float(f(y)) for y in perturbed_inputs(x, eps)], x.shape, eps)


def numerical_vjp(f: Callable[[np.ndarray], np.ndarray], x: np.ndarray, dout: np.ndarray, eps: float = EPS) -> np.ndarray:
    """Gradient of sum(f(x) * dout) at x: what a backward pass given upstream gradient dout returns."""
    dout = np.asarray(dout, dtype=np.float64)
    return numerical_gradient(lambda y: float(np.sum(np.asarray(f(y)) * dout)), x, eps)


def relative_error(analytic: np.ndarray, numeric: np.ndarray) -> float:
    a = np.asarray(analytic, dtype=np.float64)
    n = np.asarray(numeric, dtype=np.float64)
    if a.size == 0:
        return 0.0
    return float(np.max(np.abs(a - n)) / max(1e-8, float(np.max(np.abs(a) + np.abs(n)))))


def band(rel_error: float | None) -> str:
    """What a relative error means, in words a learner can act on."""
    if rel_error is None or not np.isfinite(rel_error):
        return "no gradient to compare"
    if rel_error < 1e-7:
        return "right"
    if rel_error < THRESHOLD:
        return "acceptable"
    if rel_error < 1e-4:
        return "suspicious: close, but too far for float64 (a small term missing?)"
    if rel_error < 1e-2:
        return "probably wrong (a factor or a term is off)"
    return "wrong"
