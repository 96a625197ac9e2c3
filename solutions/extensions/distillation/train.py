"""Exercise B.3: train a student, on hard labels alone or on a teacher's soft targets as well.

The student is a Phase 1 network (``init_params``, ``mlp_forward``, ``mlp_backward``,
``sgd_step``), trained by full-batch gradient descent like Phase 1's ``train``; only the loss
changes. The teacher is trained first, by Phase 1's own ``train``, and then fixed: its logits on
the training inputs are computed once and passed in.
"""

from __future__ import annotations

import numpy as np

from phase0_math.arrays import as_float_array, as_labels, shape_str
from phase1_backprop.backward import mlp_backward, softmax_cross_entropy
from phase1_backprop.forward import mlp_forward
from phase1_backprop.train import init_params, sgd_step
from distillation.loss import distillation_loss


def student_loss_and_grads(
    params: dict,
    x: np.ndarray,
    labels: np.ndarray,
    teacher_logits: np.ndarray | None = None,
    temperature: float = 1.0,
    alpha: float = 0.5,
    activation: str = "relu",
) -> tuple[float, dict]:
    """The student's loss on (x, labels) and the gradient of every parameter.

    params: Phase 1's dict; x: (N, D_0); labels: (N,) integers in [0, C);
    teacher_logits: (N, C) the fixed teacher's logits on the same x, or None for hard labels only.
    With a teacher: distillation_loss(scores, teacher_logits, labels, temperature, alpha);
    without: Phase 1's softmax_cross_entropy(scores, labels) (temperature and alpha unused).
    Returns (loss: float, grads: dict with the keys and shapes of params).
    Raises ValueError when teacher_logits is not (N, C) like the student's scores, and for labels
    that do not fit (see Phase 1).
    """
    ### BEGIN SOLUTION
    scores, caches = mlp_forward(x, params, activation)  # (N, C)
    if teacher_logits is None:
        loss, dscores = softmax_cross_entropy(scores, labels)
    else:
        teacher_logits = as_float_array(teacher_logits, "teacher_logits")
        if teacher_logits.shape != scores.shape:
            raise ValueError(f"teacher_logits: expected shape {shape_str(scores.shape)} like the student's "
                             f"scores, got {shape_str(teacher_logits.shape)}")
        loss, dscores = distillation_loss(scores, teacher_logits, labels, temperature, alpha)
    return loss, mlp_backward(dscores, caches)
    ### END SOLUTION


def train_student(
    x: np.ndarray,
    y: np.ndarray,
    layer_sizes: list[int],
    teacher_logits: np.ndarray | None = None,
    temperature: float = 1.0,
    alpha: float = 0.5,
    lr: float = 0.1,
    epochs: int = 2000,
    seed: int = 0,
    momentum: float = 0.9,
    activation: str = "relu",
) -> dict:
    """Train a student network by full-batch gradient descent, with or without a teacher.

    x: (N, D_0); y: (N,) integer labels; layer_sizes: [D_0, ..., C]; teacher_logits: (N, C) or None.
    Initialise with init_params(layer_sizes, seed) (He for relu, Xavier otherwise), then run
    ``epochs`` steps of student_loss_and_grads and sgd_step(params, grads, lr, velocity, momentum),
    the velocity starting at None. The same seed gives the same initial weights with and without a
    teacher, so the two students differ only in what they learned from.
    Returns {"params": the trained params, "history": (epochs,) float64, the loss of each epoch
    before its update}.
    Raises ValueError when x does not fit layer_sizes[0], and for labels y that do not fit.
    """
    x = as_float_array(x, "x", ndim=2)
    ### BEGIN SOLUTION
    sizes = list(layer_sizes)
    if len(sizes) < 2 or sizes[0] != x.shape[1]:
        raise ValueError(f"layer_sizes: expected [{x.shape[1]}, ..., C] for x of shape {shape_str(x.shape)}, got {sizes}")
    y = as_labels(y, x.shape[0], sizes[-1], "y")
    params = init_params(sizes, seed, "he" if activation == "relu" else "xavier")
    velocity = None
    history = np.empty(epochs)
    for epoch in range(epochs):
        history[epoch], grads = student_loss_and_grads(params, x, y, teacher_logits, temperature, alpha, activation)
        params, velocity = sgd_step(params, grads, lr, velocity, momentum)
    return {"params": params, "history": history}
    ### END SOLUTION
