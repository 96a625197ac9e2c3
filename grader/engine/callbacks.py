"""Trusted functions handed to a student's code by name (a student's gradient checker needs an f).

The worker loads this file by path and resolves ``Callback("cube_sum")`` to the function below,
so nothing is pickled and the hidden tests never send code. Each takes a float64 array and
returns a Python float.
"""

import numpy as np


def cube_sum(x):
    """f(x) = sum(x**3); gradient 3 x**2."""
    return float(np.sum(x**3))


def sin_weighted(x):
    """f(x) = sum(sin(x) * w) with w = 1, 2, ..., x.size in C order; gradient cos(x) * w."""
    w = np.arange(1, x.size + 1, dtype=np.float64).reshape(x.shape)
    return float(np.sum(np.sin(x) * w))


def exp_sum(x):
    """f(x) = sum(exp(x)); gradient exp(x)."""
    return float(np.sum(np.exp(x)))


def mutating_sum_squares(x):
    """f(x) = sum(x**2), computed in place on a scratch copy; catches a checker that shares buffers."""
    y = np.array(x, dtype=np.float64)
    y *= y
    return float(y.sum())


def triple_sum(x):
    """f(x) = 3 sum(x); gradient 3. Central differences are exact for it at dyadic x and a power-of-two eps."""
    return float(3.0 * np.sum(x))


def coupled_sin(x):
    """f(x) = sin(sum(w * x)) with w = 1, 2, ..., x.size in C order; gradient w cos(sum(w * x)).
    Every entry's derivative depends on every other entry, so a checker that leaves an entry nudged
    after its turn gets the later entries wrong (a separable f would not show it)."""
    w = np.arange(1, x.size + 1, dtype=np.float64).reshape(x.shape)
    return float(np.sin(np.sum(w * x)))
