"""Exercise 0.2: the matrix product, written with loops, and its backward pass.

numpy's ``@`` does this in optimised C; here you write it with explicit loops once, so the
indices are yours. Later phases use ``@``.
"""

from __future__ import annotations

import numpy as np

from phase0_math.arrays import as_float_array, shape_str


def dot(a: np.ndarray, b: np.ndarray) -> float:
    """Dot product of two vectors, with a loop.

    a: (n,), b: (n,) -> float, sum_i a[i] * b[i].
    Raises ValueError naming both shapes when they are not two vectors of the same length.
    """
    a = as_float_array(a, "a")
    b = as_float_array(b, "b")
    ### BEGIN SOLUTION
    if a.ndim != 1 or b.ndim != 1 or a.shape != b.shape:
        raise ValueError(f"dot needs two vectors of the same length, got {shape_str(a.shape)} and {shape_str(b.shape)}")
    total = 0.0
    for i in range(a.shape[0]):
        total += a[i] * b[i]
    return float(total)
    ### END SOLUTION


def matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Matrix product with three nested loops (no ``@``, no ``np.dot``).

    a: (n, k), b: (k, m) -> out: (n, m), out[i, j] = sum_p a[i, p] * b[p, j].
    Raises ValueError naming both shapes unless both are 2-d and a's columns equal b's rows,
    e.g. "cannot multiply (2, 3) by (4, 5): inner sizes 3 and 4 differ".
    """
    a = as_float_array(a, "a")
    b = as_float_array(b, "b")
    ### BEGIN SOLUTION
    if a.ndim != 2 or b.ndim != 2:
        raise ValueError(f"matmul needs two 2-d arrays, got {shape_str(a.shape)} and {shape_str(b.shape)}")
    n, k = a.shape
    k2, m = b.shape
    if k != k2:
        raise ValueError(f"cannot multiply {shape_str(a.shape)} by {shape_str(b.shape)}: inner sizes {k} and {k2} differ")
    out = np.zeros((n, m))
    for i in range(n):
        for j in range(m):
            total = 0.0
            for p in range(k):
                total += a[i, p] * b[p, j]
            out[i, j] = total
    return out
    ### END SOLUTION


def matmul_backward(dout: np.ndarray, a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Gradients of a loss L through out = a @ b, given dout = dL/dout.

    dout: (n, m), a: (n, k), b: (k, m) -> (da: (n, k), db: (k, m)).
    You may use ``@`` here. Each gradient has the shape of what it is the gradient of.
    Raises ValueError unless a and b are 2-d, a's columns equal b's rows and dout has shape (n, m).
    Check it first with your own check_gradient (exercise 0.1): the scalar
    f(a) = sum(matmul(a, b) * dout) has the gradient da with respect to a, and likewise for b.
    """
    dout = as_float_array(dout, "dout")
    a = as_float_array(a, "a")
    b = as_float_array(b, "b")
    ### BEGIN SOLUTION
    if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[0] or dout.shape != (a.shape[0], b.shape[1]):
        raise ValueError(
            f"matmul_backward: a {shape_str(a.shape)} and b {shape_str(b.shape)} need dout of shape "
            f"{shape_str((a.shape[0], b.shape[-1]))}, got {shape_str(dout.shape)}"
        )
    return dout @ b.T, a.T @ dout
    ### END SOLUTION
