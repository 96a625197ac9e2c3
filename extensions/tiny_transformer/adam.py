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
    # YOUR CODE HERE
    raise NotImplementedError("not started: init_adam")


def adam_step(
    params, grads, state: dict, lr: float, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8,
) -> tuple[object, dict]:
    """One Adam update (Algorithm 1 of the paper, with bias correction, at step t = state["t"] + 1):
    (params, grads, state) -> (new_params, new_state), new_state = {"m": ..., "v": ..., "t": t}.
    new_params and the new moments are trees like params, in the params' dtype. Nothing given is
    modified. Raises ValueError for lr <= 0 or betas outside [0, 1).
    """
    # YOUR CODE HERE
    raise NotImplementedError("not started: adam_step")


def global_norm(grads) -> float:
    """sqrt(sum of the squares of every entry of every leaf): the size of the whole gradient, the
    number to log while training (a sudden jump means trouble)."""
    # YOUR CODE HERE
    raise NotImplementedError("not started: global_norm")


def clip_by_global_norm(grads, max_norm: float) -> tuple[object, float]:
    """Scale the whole gradient down when it is too long: -> (clipped, norm before clipping).

    With n = global_norm(grads): every leaf times max_norm / n when n > max_norm, unchanged
    otherwise. One factor for all leaves keeps the gradient's direction. Raises ValueError for
    max_norm <= 0.
    """
    # YOUR CODE HERE
    raise NotImplementedError("not started: clip_by_global_norm")
