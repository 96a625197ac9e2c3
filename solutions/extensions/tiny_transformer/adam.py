"""Exercise A.5: Adam (Kingma and Ba 2015, Algorithm 1) and gradient clipping, by hand.

Adam keeps, for every parameter, two running means of its gradient (the first moment m and the
second moment v, both starting at 0) and a step counter t, and corrects both means for their start
at 0. The update itself is in the reading guide (README, "Adam, by hand") and in the paper; the
test to run first: on the first step every parameter moves by about lr, whatever the size of its
gradient. The functions are pure: they return new parameters and a new state and modify nothing
they were given. Parameters, gradients and moments are trees (trees.py): use ``tree_map``. Every
array keeps the parameters' dtype: float32 parameters (the opt-in single precision) give float32
moments and float32 new parameters, with no silent float64 in between.
"""

from __future__ import annotations

import numpy as np

from tiny_transformer.trees import leaves, tree_map, zeros_like


def init_adam(params) -> dict:
    """The optimiser state before the first step: {"m": zeros like params, "v": zeros like params,
    "t": 0}; m and v are trees shaped like params, each leaf in its parameter's dtype
    (``trees.zeros_like``)."""
    ### BEGIN SOLUTION
    return {"m": zeros_like(params), "v": zeros_like(params), "t": 0}
    ### END SOLUTION


def adam_step(
    params, grads, state: dict, lr: float, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8,
) -> tuple[object, dict]:
    """One Adam update (Algorithm 1 of the paper, with bias correction, at step t = state["t"] + 1):
    (params, grads, state) -> (new_params, new_state), new_state = {"m": ..., "v": ..., "t": t}.
    new_params and the new moments are trees like params, in the params' dtype. Nothing given is
    modified. Raises ValueError for lr <= 0 or betas outside [0, 1).
    """
    ### BEGIN SOLUTION
    if not lr > 0:
        raise ValueError(f"lr must be > 0, got {lr}")
    for name, beta in (("beta1", beta1), ("beta2", beta2)):
        if not 0 <= beta < 1:
            raise ValueError(f"{name} must be in [0, 1), got {beta}")
    t = int(state["t"]) + 1
    m = tree_map(lambda m_, g: beta1 * m_ + (1.0 - beta1) * g, state["m"], grads)
    v = tree_map(lambda v_, g: beta2 * v_ + (1.0 - beta2) * g * g, state["v"], grads)
    c1, c2 = 1.0 - beta1**t, 1.0 - beta2**t
    new_params = tree_map(lambda p, m_, v_: p - lr * (m_ / c1) / (np.sqrt(v_ / c2) + eps), params, m, v)
    return new_params, {"m": m, "v": v, "t": t}
    ### END SOLUTION


def global_norm(grads) -> float:
    """sqrt(sum of the squares of every entry of every leaf): the size of the whole gradient, the
    number to log while training (a sudden jump means trouble)."""
    ### BEGIN SOLUTION
    return float(np.sqrt(sum(float(np.sum(np.square(g))) for g in leaves(grads))))
    ### END SOLUTION


def clip_by_global_norm(grads, max_norm: float) -> tuple[object, float]:
    """Scale the whole gradient down when it is too long: -> (clipped, norm before clipping).

    With n = global_norm(grads): every leaf times max_norm / n when n > max_norm, unchanged
    otherwise. One factor for all leaves keeps the gradient's direction. Raises ValueError for
    max_norm <= 0.
    """
    ### BEGIN SOLUTION
    if not max_norm > 0:
        raise ValueError(f"max_norm must be > 0, got {max_norm}")
    norm = global_norm(grads)
    factor = max_norm / norm if norm > max_norm else 1.0
    return tree_map(lambda g: g * factor, grads), norm
    ### END SOLUTION
