"""Wrong implementations of the distillation extension that the hidden tests and gradient checks must catch."""

from grader.selftest.mutants import Mutant


TEMPERATURE = "extensions/distillation/temperature.py"
LOSS = "extensions/distillation/loss.py"
TRAIN = "extensions/distillation/train.py"

MUTANTS = [
    Mutant(
        "soft_term_without_t_squared", LOSS,
        "    scale = alpha * temperature * temperature\n",
        "    scale = alpha\n",
        "the soft term is not multiplied by T^2, so it fades as the temperature grows",
    ),
    Mutant(
        "kl_from_the_student_to_the_teacher", LOSS,
        "    log_p = log_softmax_t(teacher_logits, temperature)  # (N, C) the teacher's soft targets, as logs\n"
        "    log_q = log_softmax_t(student_logits, temperature)  # (N, C) the student's, at the same T\n",
        "    log_p = log_softmax_t(student_logits, temperature)\n"
        "    log_q = log_softmax_t(teacher_logits, temperature)\n",
        "KL(student || teacher): the divergence in the wrong direction",
    ),
    Mutant(
        "temperature_on_the_teacher_only", LOSS,
        "    log_q = log_softmax_t(student_logits, temperature)  # (N, C) the student's, at the same T\n",
        "    log_q = log_softmax_t(student_logits, 1.0)\n",
        "the teacher's soft targets are softened, the student's softmax is not",
    ),
    Mutant(
        "temperature_on_the_student_only", LOSS,
        "    log_p = log_softmax_t(teacher_logits, temperature)  # (N, C) the teacher's soft targets, as logs\n",
        "    log_p = log_softmax_t(teacher_logits, 1.0)\n",
        "the student is softened but compared with the teacher's hard-looking T = 1 probabilities",
    ),
    Mutant(
        "soft_gradient_not_divided_by_t", LOSS,
        "    return value, (q - p) / (n * temperature)\n",
        "    return value, (q - p) / n\n",
        "the chain rule through s / T forgotten: the soft gradient lacks its 1/T",
    ),
    Mutant(
        "soft_gradient_with_the_wrong_sign", LOSS,
        "    return value, (q - p) / (n * temperature)\n",
        "    return value, (p - q) / (n * temperature)\n",
        "the soft gradient is teacher minus student: descent moves the student away from the teacher",
    ),
    Mutant(
        "hard_term_at_temperature_t", LOSS,
        "    hard, dhard = softmax_cross_entropy(student_logits, labels)\n",
        "    hard, dhard = softmax_cross_entropy(student_logits / temperature, labels)\n",
        "the cross-entropy with the hard labels uses the softened student too (it belongs at T = 1)",
    ),
    Mutant(
        "alpha_weights_swapped", LOSS,
        "    return scale * soft + (1.0 - alpha) * hard, scale * dsoft + (1.0 - alpha) * dhard\n",
        "    scale = (1.0 - alpha) * temperature * temperature\n"
        "    return scale * soft + alpha * hard, scale * dsoft + alpha * dhard\n",
        "alpha weighs the hard labels and 1 - alpha the teacher",
    ),
    Mutant(
        "kl_divergence_counts_zero_probabilities_as_nan", LOSS,
        "        terms = np.where(p > 0, p * (np.log(np.where(p > 0, p, 1.0)) - np.log(q)), 0.0)  # (N, C)\n",
        "        terms = p * (np.log(p) - np.log(q))\n",
        "p log(p / q) computed everywhere: 0 log 0 gives NaN instead of 0",
    ),
    Mutant(
        "softmax_t_multiplies_by_the_temperature", TEMPERATURE,
        "    return softmax(logits / temperature, axis=1)\n",
        "    return softmax(logits * temperature, axis=1)\n",
        "logits times T: a higher temperature makes the softmax sharper instead of softer",
    ),
    Mutant(
        "student_ignores_the_teacher", TRAIN,
        "    if teacher_logits is None:\n        loss, dscores = softmax_cross_entropy(scores, labels)\n",
        "    if True:\n        loss, dscores = softmax_cross_entropy(scores, labels)\n",
        "the student trains on the hard labels whether or not a teacher is given",
    ),
    Mutant(
        "distilled_student_gradient_halved", TRAIN,
        "    return loss, mlp_backward(dscores, caches)\n",
        "    return loss, mlp_backward(dscores * (1.0 if teacher_logits is None else 0.5), caches)\n",
        "the distilled student's gradient is halved (a stray factor in the backward pass)",
    ),
]
