"""Correct but differently written implementations of the distillation extension: each must score full marks.

Phase 1's init_params drawn in another order (transposed, or the last layer first) must not cost
distillation points either; grader/selftest/alternatives/phase1_backprop.py grades phase 1 with one,
and train_student is graded from whatever init_params it calls (extensions/distillation/tests/hidden/test_train.py).
"""

from grader.selftest.alternatives import Alternative

TEMPERATURE = "extensions/distillation/temperature.py"
LOSS = "extensions/distillation/loss.py"
TRAIN = "extensions/distillation/train.py"

ALTERNATIVES = [
    Alternative(
        "softmax_t_as_exp_of_log_softmax", TEMPERATURE,
        "    return softmax(logits / temperature, axis=1)\n",
        "    return np.exp(log_softmax(logits / temperature, axis=1))\n",
        "exp of the log-softmax instead of the softmax",
    ),
    Alternative(
        "log_softmax_t_with_explicit_logsumexp", TEMPERATURE,
        "    return log_softmax(logits / temperature, axis=1)\n",
        "    z = logits / temperature\n    z = z - z.max(axis=1, keepdims=True)\n"
        "    return z - np.log(np.exp(z).sum(axis=1, keepdims=True))\n",
        "the log-sum-exp written out instead of phase 0's log_softmax",
    ),
    Alternative(
        "kl_divergence_as_cross_entropy_minus_entropy", LOSS,
        "        terms = np.where(p > 0, p * (np.log(np.where(p > 0, p, 1.0)) - np.log(q)), 0.0)  # (N, C)\n",
        "        plogp = np.where(p > 0, p * np.log(np.where(p > 0, p, 1.0)), 0.0)\n"
        "        plogq = np.where(p > 0, p * np.log(np.where(p > 0, q, 1.0)), 0.0)\n"
        "        terms = plogp - plogq  # (N, C)\n",
        "sum p log p minus sum p log q, each masked where p = 0",
    ),
    Alternative(
        "distillation_kl_as_cross_entropy_minus_entropy", LOSS,
        "    value = float(np.sum(p * (log_p - log_q)) / n)\n",
        "    value = float((np.einsum(\"nc,nc->\", p, log_p) - np.einsum(\"nc,nc->\", p, log_q)) / n)\n",
        "the teacher's cross-entropy against the student minus its own entropy, with einsum",
    ),
    Alternative(
        "hard_term_written_out", LOSS,
        "    hard, dhard = softmax_cross_entropy(student_logits, labels)\n",
        "    rows = np.arange(student_logits.shape[0])\n"
        "    log_s = log_softmax_t(student_logits, 1.0)\n"
        "    hard = float(-np.mean(log_s[rows, labels]))\n"
        "    dhard = np.exp(log_s)\n    dhard[rows, labels] -= 1.0\n    dhard = dhard / student_logits.shape[0]\n",
        "the cross-entropy with the hard labels written out from log_softmax_t at T = 1",
    ),
    Alternative(
        "hard_labels_only_as_alpha_zero", TRAIN,
        "    if teacher_logits is None:\n        loss, dscores = softmax_cross_entropy(scores, labels)\n",
        "    if teacher_logits is None:\n        loss, dscores = distillation_loss(scores, scores, labels, 1.0, 0.0)\n",
        "no teacher: the distillation loss with alpha = 0 (its soft term weighs exactly 0)",
    ),
    Alternative(
        "train_student_with_a_zero_velocity_and_a_list", TRAIN,
        "    velocity = None\n    history = np.empty(epochs)\n    for epoch in range(epochs):\n"
        "        history[epoch], grads = student_loss_and_grads(params, x, y, teacher_logits, temperature, alpha, activation)\n"
        "        params, velocity = sgd_step(params, grads, lr, velocity, momentum)\n"
        "    return {\"params\": params, \"history\": history}\n",
        "    velocity = {key: np.zeros_like(value) for key, value in params.items()}\n    losses = []\n"
        "    for _ in range(epochs):\n"
        "        value, grads = student_loss_and_grads(params, x, y, teacher_logits, temperature, alpha, activation)\n"
        "        losses.append(value)\n"
        "        params, velocity = sgd_step(params, grads, lr, velocity, momentum)\n"
        "    return {\"params\": params, \"history\": np.array(losses, dtype=np.float64)}\n",
        "explicit zeros for the first velocity (the same first step) and the history grown as a list",
    ),
]
