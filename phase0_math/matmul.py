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
    # YOUR CODE HERE
    raise NotImplementedError("not started: dot")


def matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Matrix product with three nested loops (no ``@``, no ``np.dot``).

    a: (n, k), b: (k, m) -> out: (n, m), out[i, j] = sum_p a[i, p] * b[p, j].
    Raises ValueError naming both shapes unless both are 2-d and a's columns equal b's rows,
    e.g. "cannot multiply (2, 3) by (4, 5): inner sizes 3 and 4 differ".
    """
    a = as_float_array(a, "a")
    b = as_float_array(b, "b")
    # YOUR CODE HERE
    raise NotImplementedError("not started: matmul")


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
    # YOUR CODE HERE
    raise NotImplementedError("not started: matmul_backward")
