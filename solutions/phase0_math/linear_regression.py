"""Exercise 0.5: fit y = w * x + b by gradient descent, with gradients derived by hand.

The model, the loss and the update rule, the three parts every later phase has too:

    prediction   y_hat_i = w x_i + b
    loss         L(w, b) = (1/N) sum_i (y_hat_i - y_i)^2
    update       (w, b) takes a step of size lr against the gradient (dL/dw, dL/db)

On data with large x a learning rate that is fine for small x makes the loss explode;
standardising x (zero mean, unit variance) fixes it. The reading guide asks you to derive the
gradients and the threshold on paper before you write them here.
"""

from __future__ import annotations

import numpy as np

from phase0_math.arrays import as_float_array, same_shape


class TrainingDiverged(ArithmeticError):
    """Raised by :func:`fit` when the loss stops being a finite number."""


def _data(x, y) -> tuple[np.ndarray, np.ndarray]:
    x = as_float_array(x, "x", ndim=1)
    y = as_float_array(y, "y", ndim=1)
    same_shape(x, y, "x", "y")
    if x.size == 0:
        raise ValueError("x: expected at least one data point, got shape (0,)")
    return x, y


def predict(x: np.ndarray, w: float, b: float) -> np.ndarray:
    """x: (N,) -> y_hat: (N,), w * x + b (N = 0 gives an empty array).

    Raises ValueError for an x that is not 1-d.
    """
    x = as_float_array(x, "x", ndim=1)
    ### BEGIN SOLUTION
    return w * x + b
    ### END SOLUTION


def squared_loss(x: np.ndarray, y: np.ndarray, w: float, b: float) -> float:
    """Mean squared error of the line on the data. x, y: (N,) -> float.

    Raises ValueError unless x and y are 1-d arrays of the same length N >= 1.
    """
    x, y = _data(x, y)
    ### BEGIN SOLUTION
    return float(np.mean((w * x + b - y) ** 2))
    ### END SOLUTION


def gradients(x: np.ndarray, y: np.ndarray, w: float, b: float) -> tuple[float, float]:
    """(dL/dw, dL/db) of :func:`squared_loss` at (w, b). x, y: (N,) -> (float, float), in that order.

    Raises ValueError unless x and y are 1-d arrays of the same length N >= 1.
    Check both with your own check_gradient (exercise 0.1) first: as a function of the array
    [w, b], the loss is f(p) = squared_loss(x, y, p[0], p[1]).
    """
    x, y = _data(x, y)
    ### BEGIN SOLUTION
    error = w * x + b - y
    return float(2.0 * np.mean(error * x)), float(2.0 * np.mean(error))
    ### END SOLUTION


def gd_step(x: np.ndarray, y: np.ndarray, w: float, b: float, lr: float) -> tuple[float, float]:
    """One step of plain gradient descent on :func:`squared_loss` with learning rate lr.

    Returns the new (w, b) as two floats: each moved against its own gradient from
    :func:`gradients`, the step scaled by lr. Raises ValueError for x, y that :func:`gradients` refuses.
    """
    ### BEGIN SOLUTION
    dw, db = gradients(x, y, w, b)
    return float(w - lr * dw), float(b - lr * db)
    ### END SOLUTION


def fit(
    x: np.ndarray, y: np.ndarray, lr: float, steps: int, w: float = 0.0, b: float = 0.0
) -> tuple[float, float, np.ndarray]:
    """Run ``steps`` gradient-descent steps from (w, b).

    Returns (w, b, history) with history: (steps + 1,), the loss before each step and after the
    last. If the loss becomes inf or NaN, raise TrainingDiverged with a message that names the
    step and the learning rate, e.g. "loss became inf at step 12 with learning rate 0.5".
    Raises ValueError for steps < 0 and for x, y that :func:`squared_loss` refuses.
    """
    x, y = _data(x, y)
    if steps < 0:
        raise ValueError(f"steps must be >= 0, got {steps}")
    ### BEGIN SOLUTION
    history = np.empty(steps + 1)
    with np.errstate(over="ignore", invalid="ignore"):
        for step in range(steps + 1):
            loss = squared_loss(x, y, w, b)
            if not np.isfinite(loss):
                raise TrainingDiverged(
                    f"loss became {loss} at step {step} with learning rate {lr}: "
                    "lower the learning rate or standardise x"
                )
            history[step] = loss
            if step < steps:
                w, b = gd_step(x, y, w, b, lr)
    return float(w), float(b), history
    ### END SOLUTION


def standardize(x: np.ndarray) -> tuple[np.ndarray, float, float]:
    """Shift and scale x to mean 0 and standard deviation 1.

    x: (N,) -> (z: (N,), mean: float, std: float) with z = (x - mean) / std, std the population
    standard deviation (divide by N, numpy's default). Raises ValueError for N = 0 and when every
    x is equal. Equal values do not always give a std of exactly 0 (np.full(3, 0.1).std() is
    1.4e-17, round-off), so compare the std with the data's scale: treat std <= 1e-12 * max|x|
    as zero.
    """
    x = as_float_array(x, "x", ndim=1)
    ### BEGIN SOLUTION
    if x.size == 0:
        raise ValueError("x: cannot standardise an empty array")
    mean = float(x.mean())
    std = float(x.std())
    if std <= 1e-12 * float(np.max(np.abs(x))):
        raise ValueError("x: cannot standardise, every value is the same (standard deviation 0)")
    return (x - mean) / std, mean, std
    ### END SOLUTION


def critical_learning_rate(x: np.ndarray) -> float:
    """The learning rate above which gradient descent on this data diverges.

    x: (N,) -> float, the threshold lr*: gradient descent on :func:`squared_loss` with a constant
    learning rate lr > lr* diverges from almost every start, with lr < lr* the loss converges. The
    threshold depends on x only, never on y. Raises ValueError for an empty x (N = 0).
    The reading guide derives it (the loss is a quadratic in (w, b)); fit() shows it in practice.
    """
    x = as_float_array(x, "x", ndim=1)
    ### BEGIN SOLUTION
    if x.size == 0:
        raise ValueError("x: expected at least one data point, got shape (0,)")
    n = x.size
    hessian = (2.0 / n) * np.array([[np.sum(x * x), np.sum(x)], [np.sum(x), n]])
    return float(2.0 / np.linalg.eigvalsh(hessian)[-1])
    ### END SOLUTION
