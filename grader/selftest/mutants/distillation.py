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
    # reviewer-style mistakes the contracts of issue 15 catch: refusals, every temperature and weight, every
    # activation, exact first steps of train_student
    Mutant(
        "softmax_t_accepts_any_temperature", TEMPERATURE,
        "    temperature = _check_temperature(temperature)\n    return softmax(logits / temperature, axis=1)\n",
        "    return softmax(logits / temperature, axis=1)\n",
        "softmax_t divides by whatever temperature it gets: 0, -1 and nan give numbers or nan, never a ValueError",
    ),
    Mutant(
        "log_softmax_t_as_log_of_softmax", TEMPERATURE,
        "    return log_softmax(logits / temperature, axis=1)\n",
        "    return np.log(softmax(logits / temperature, axis=1))\n",
        "log softmax_t taken as the log of the softmax: -inf where the softmax underflows",
    ),
    Mutant(
        "soft_targets_ignore_the_activation", TEMPERATURE,
        "    logits, _ = mlp_forward(x, teacher_params, activation)  # (N, C)\n",
        "    logits, _ = mlp_forward(x, teacher_params)  # (N, C)\n",
        "the teacher's forward pass always uses ReLU, whatever activation it was trained with",
    ),
    Mutant(
        "kl_divergence_accepts_rows_that_are_not_probabilities", LOSS,
        "        if np.any(a < 0) or not np.allclose(a.sum(axis=1), 1.0, atol=1e-8):\n",
        "        if False:\n",
        "kl_divergence never checks that its rows are probability vectors",
    ),
    Mutant(
        "distillation_kl_summed_not_averaged", LOSS,
        "    value = float(np.sum(p * (log_p - log_q)) / n)\n",
        "    value = float(np.sum(p * (log_p - log_q)))\n",
        "the soft term's value is a sum over the batch while its gradient is a mean",
    ),
    Mutant(
        "distillation_kl_from_log_of_softmax", LOSS,
        "    log_p = log_softmax_t(teacher_logits, temperature)  # (N, C) the teacher's soft targets, as logs\n",
        "    with np.errstate(divide=\"ignore\"):\n"
        "        log_p = np.log(np.exp(log_softmax_t(teacher_logits, temperature)))\n",
        "the teacher's log-probabilities taken as log(softmax): 0 * -inf = nan for a very sure teacher",
    ),
    Mutant(
        "distillation_loss_accepts_any_alpha", LOSS,
        "    if not 0.0 <= alpha <= 1.0:\n",
        "    if False:\n",
        "alpha outside [0, 1] is never refused",
    ),
    Mutant(
        "soft_term_times_t_not_t_squared", LOSS,
        "    scale = alpha * temperature * temperature\n",
        "    scale = alpha * temperature\n",
        "the soft term scaled by T instead of T^2: right at T = 1 only",
    ),
    Mutant(
        "hard_gradient_not_weighted", LOSS,
        "    return scale * soft + (1.0 - alpha) * hard, scale * dsoft + (1.0 - alpha) * dhard\n",
        "    return scale * soft + (1.0 - alpha) * hard, scale * dsoft + dhard\n",
        "the hard term's weight 1 - alpha applied to the loss but not to its gradient",
    ),
    Mutant(
        "student_forward_ignores_the_activation", TRAIN,
        "    scores, caches = mlp_forward(x, params, activation)  # (N, C)\n",
        "    scores, caches = mlp_forward(x, params)  # (N, C)\n",
        "the student's forward pass always uses ReLU",
    ),
    Mutant(
        "train_student_always_he_init", TRAIN,
        "    params = init_params(sizes, seed, \"he\" if activation == \"relu\" else \"xavier\")\n",
        "    params = init_params(sizes, seed)\n",
        "the student starts from He weights whatever its activation",
    ),
    Mutant(
        "train_student_forgets_the_velocity", TRAIN,
        "        params, velocity = sgd_step(params, grads, lr, velocity, momentum)\n    return {",
        "        params, _ = sgd_step(params, grads, lr, velocity, momentum)\n    return {",
        "the velocity sgd_step returns is dropped, so momentum never builds up",
    ),
    Mutant(
        "train_student_fixed_momentum", TRAIN,
        "        params, velocity = sgd_step(params, grads, lr, velocity, momentum)\n    return {",
        "        params, velocity = sgd_step(params, grads, lr, velocity, 0.9)\n    return {",
        "the momentum argument is ignored: always 0.9 (the default)",
    ),
]
