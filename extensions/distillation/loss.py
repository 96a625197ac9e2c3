"""Exercise B.2: the distillation loss and its gradient, written by hand.

With teacher logits t, student logits s, both (N, C), hard labels y and a temperature T,

    p = softmax(t / T)    the teacher's soft targets     q = softmax(s / T)    the student's, at the same T

    L = alpha * T^2 * mean_n KL(p_n || q_n)  +  (1 - alpha) * mean_n -log softmax(s_n)[y_n].

The KL term is measured from the teacher's distribution (the target) to the student's: it is the
cross-entropy of the student against the soft targets minus the teacher's own entropy, a constant.
The hard-label term uses the student's ordinary softmax (T = 1). T^2 keeps the soft term's
gradient the same size whatever T is (see the reading guide).
"""

from __future__ import annotations

import numpy as np

from phase0_math.arrays import as_float_array, as_labels, same_shape, shape_str
from phase1_backprop.backward import softmax_cross_entropy
from distillation.temperature import _check_logits, _check_temperature, log_softmax_t


def kl_divergence(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """KL(p_n || q_n) = sum_c p[n, c] log(p[n, c] / q[n, c]) for every row n.

    p, q: (N, C) probability rows -> (N,), every entry >= 0. An entry with p = 0 adds 0 (the limit
    of p log p), whatever q is; p > 0 where q = 0 gives inf. KL is not symmetric: KL(p || q) and
    KL(q || p) differ, and the order matters.
    Raises ValueError when the shapes differ, when p and q are not 2-d, or when a row of either is
    not a probability vector (entries >= 0, summing to 1).
    """
    p = as_float_array(p, "p")
    q = as_float_array(q, "q")
    # YOUR CODE HERE
    raise NotImplementedError("not started: kl_divergence")


def distillation_kl(
    student_logits: np.ndarray, teacher_logits: np.ndarray, temperature: float
) -> tuple[float, np.ndarray]:
    """The soft term without its weight: mean_n KL(softmax(t_n / T) || softmax(s_n / T)), and its gradient.

    student_logits, teacher_logits: (N, C); temperature > 0.
    Returns (value: float, dstudent: (N, C)), the gradient of value with respect to the student's
    logits s (derive it on paper first: the reading guide sets it up).
    Compute the KL from log-softmaxes (log p - log q), never log(softmax): at T = 0.5 a teacher
    logit gap of 400 underflows p to 0, and log 0 is -inf. The teacher gets no gradient: it is fixed.
    Raises ValueError when the two logits differ in shape or are not (N, C) with C >= 1, and for a
    temperature that is not a positive number.
    Check dstudent first with phase 0's check_gradient on f(s) = distillation_kl(s, t, T)[0].
    """
    student_logits = _check_logits(student_logits, "student_logits")
    teacher_logits = _check_logits(teacher_logits, "teacher_logits")
    # YOUR CODE HERE
    raise NotImplementedError("not started: distillation_kl")


def distillation_loss(
    student_logits: np.ndarray, teacher_logits: np.ndarray, labels: np.ndarray, temperature: float, alpha: float
) -> tuple[float, np.ndarray]:
    """Hinton's distillation loss and its gradient with respect to the student's logits.

    student_logits, teacher_logits: (N, C); labels: (N,) integers in [0, C); temperature > 0;
    alpha in [0, 1], the weight of the soft term.
        loss = alpha T^2 distillation_kl(s, t, T) + (1 - alpha) cross_entropy(s, labels)
    Returns (loss: float, dstudent: (N, C)). The cross-entropy is Phase 1's softmax_cross_entropy
    (at T = 1). alpha = 1 learns from the teacher alone, alpha = 0 from the labels alone.
    Raises ValueError for alpha outside [0, 1], for labels that do not fit (see Phase 1), and where
    distillation_kl does (logits of different shapes, a temperature that is not a positive number).
    Check dstudent with phase 0's check_gradient too, at an alpha strictly between 0 and 1.
    """
    # YOUR CODE HERE
    raise NotImplementedError("not started: distillation_loss")
