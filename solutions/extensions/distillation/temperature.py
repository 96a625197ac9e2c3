"""Exercise B.1: softmax with a temperature, and the soft targets of a teacher.

Dividing logits by a temperature T > 0 before the softmax keeps their order and changes how sure
the distribution is: T = 1 is the ordinary softmax, T -> infinity tends to uniform, T -> 0 to all
the mass on the largest logit. A trained network is usually very sure of its answer on its
training data (probabilities like 0.999, 0.0009, 0.0001); at T = 4 the same logits give something
like 0.7, 0.2, 0.1, and the small probabilities, *which wrong classes the teacher finds
plausible*, become large enough to learn from. Hinton, Vinyals and Dean call them dark knowledge.
"""

from __future__ import annotations

import numpy as np

from phase0_math.arrays import as_float_array, shape_str
from phase0_math.softmax import log_softmax, softmax
from phase1_backprop.forward import mlp_forward


def _check_temperature(temperature) -> float:
    """temperature as a float, or ValueError unless it is a positive finite number (given)."""
    if isinstance(temperature, bool) or not isinstance(temperature, (int, float, np.integer, np.floating)):
        raise ValueError(f"temperature: expected a positive number, got {temperature!r}")
    if not (np.isfinite(temperature) and temperature > 0):
        raise ValueError(f"temperature: expected a positive number, got {temperature}")
    return float(temperature)


def _check_logits(logits, name: str) -> np.ndarray:
    logits = as_float_array(logits, name)
    if logits.ndim != 2 or logits.shape[1] == 0:
        raise ValueError(f"{name}: expected shape (N, C) with C >= 1, got {shape_str(logits.shape)}")
    return logits


def softmax_t(logits: np.ndarray, temperature: float) -> np.ndarray:
    """Softmax of logits / temperature, row by row.

    logits: (N, C), temperature > 0 -> (N, C) probabilities, each row summing to 1.
    Phase 0's softmax does the numerics (it shifts by the maximum: logits of 1000 at T = 0.1 are fine).
    Raises ValueError for a temperature that is not a positive number (0, -1, inf, nan), and for
    logits that are not (N, C) with C >= 1.
    """
    ### BEGIN SOLUTION
    logits = _check_logits(logits, "logits")
    temperature = _check_temperature(temperature)
    return softmax(logits / temperature, axis=1)
    ### END SOLUTION


def log_softmax_t(logits: np.ndarray, temperature: float) -> np.ndarray:
    """log softmax(logits / temperature), row by row, without the log of an underflowed 0.

    logits: (N, C), temperature > 0 -> (N, C), every entry <= 0.
    Raises ValueError like softmax_t: for a temperature that is not a positive number, and for
    logits that are not (N, C) with C >= 1.
    """
    ### BEGIN SOLUTION
    logits = _check_logits(logits, "logits")
    temperature = _check_temperature(temperature)
    return log_softmax(logits / temperature, axis=1)
    ### END SOLUTION


def soft_targets(teacher_params: dict, x: np.ndarray, temperature: float, activation: str = "relu") -> np.ndarray:
    """The teacher's soft targets: its softmax at temperature T on every input.

    teacher_params: an MLP's parameters (Phase 1's dict W1, b1, ...); x: (N, D_0);
    temperature > 0 -> (N, C) probabilities, C the teacher's number of outputs.
    The teacher is fixed: this is a forward pass only, never a gradient step on the teacher.
    Raises ValueError for a temperature that is not a positive number, and as Phase 1's mlp_forward
    does (an unknown activation, x that does not fit the teacher).
    """
    ### BEGIN SOLUTION
    temperature = _check_temperature(temperature)
    logits, _ = mlp_forward(x, teacher_params, activation)  # (N, C)
    return softmax_t(logits, temperature)
    ### END SOLUTION
