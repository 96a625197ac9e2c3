"""Wrong implementations of the control extension that the hidden tests and gradient checks must catch."""

from grader.selftest.mutants import Mutant


PREFERENCES = "extensions/control/preferences.py"
REWARD_MODEL = "extensions/control/reward_model.py"
POLICY = "extensions/control/policy.py"

MUTANTS = [
    Mutant(
        "ranking_loss_with_the_wrong_sign", REWARD_MODEL,
        "    loss = float(np.mean(np.logaddexp(0.0, -delta)))\n"
        "    push = 0.5 * (1.0 - np.tanh(0.5 * delta))  # sigmoid(-delta): how wrong each pair still is\n"
        "    return loss, -push / n, push / n\n",
        "    loss = float(np.mean(np.logaddexp(0.0, delta)))\n"
        "    push = 0.5 * (1.0 + np.tanh(0.5 * delta))\n"
        "    return loss, push / n, -push / n\n",
        "-log sigmoid(r_rejected - r_chosen): the reward model learns to prefer the rejected item",
    ),
    Mutant(
        "ranking_gradient_without_the_sigmoid", REWARD_MODEL,
        "    return loss, -push / n, push / n\n",
        "    return loss, -np.ones(n) / n, np.ones(n) / n\n",
        "the gradient of -log sigmoid(delta) taken as -1, as if the loss were -delta (pairs already right keep pushing)",
    ),
    Mutant(
        "ranking_gradient_assigned_not_accumulated", REWARD_MODEL,
        "    np.add.at(dr, chosen, d_chosen)\n    np.add.at(dr, rejected, d_rejected)\n",
        "    dr[chosen] = d_chosen\n    dr[rejected] += d_rejected\n",
        "dr[chosen] = ...: an item chosen in several pairs keeps the gradient of only one of them",
    ),
    Mutant(
        "labeller_ignores_the_noise", PREFERENCES,
        "    gap = (utility[first] - utility[second]) / noise\n",
        "    gap = utility[first] - utility[second]\n",
        "the Bradley-Terry choice uses sigmoid(u_i - u_j) whatever the noise",
    ),
    Mutant(
        "pairs_may_compare_an_item_with_itself", PREFERENCES,
        "    same = first == second\n    while same.any():\n",
        "    same = first == second\n    while False:\n",
        "pairs are drawn independently and an item can be compared with itself",
    ),
    Mutant(
        "reinforce_ignores_the_baseline", POLICY,
        "    return (returns - baseline) @ scores / returns.size\n",
        "    return returns @ scores / returns.size\n",
        "the baseline argument is accepted but never subtracted",
    ),
    Mutant(
        "reinforce_with_the_wrong_sign", POLICY,
        "    scores = features[actions] - probs @ features  # (M, D): grad log pi of each sample\n",
        "    scores = probs @ features - features[actions]\n",
        "grad log pi(a) written as E[phi] - phi(a): the estimate points downhill",
    ),
    Mutant(
        "reinforce_score_without_the_mean_feature", POLICY,
        "    scores = features[actions] - probs @ features  # (M, D): grad log pi of each sample\n",
        "    scores = features[actions]\n",
        "grad log pi(a) taken as phi(a), forgetting the normaliser's gradient",
    ),
    Mutant(
        "expected_reward_gradient_without_centering", POLICY,
        "    return features.T @ (probs * (rewards - probs @ rewards))\n",
        "    return features.T @ (probs * rewards)\n",
        "dJ/dtheta written as sum_k pi_k r_k phi_k: the term from the softmax's normaliser is missing",
    ),
    Mutant(
        "kl_in_the_wrong_direction", POLICY,
        "    return float(np.exp(log_pi) @ (log_pi - log_ref))\n",
        "    return float(np.exp(log_ref) @ (log_ref - log_pi))\n",
        "KL(pi_0 || pi) instead of KL(pi || pi_0): the expectation under the old policy",
    ),
    Mutant(
        "kl_gradient_with_the_wrong_sign", POLICY,
        "    return features.T @ (probs * (d - probs @ d))\n",
        "    return features.T @ (probs * (probs @ d - d))\n",
        "the KL gradient points towards more divergence",
    ),
    Mutant(
        "kl_penalty_added_to_the_return", POLICY,
        "    returns = rewards[actions] - beta * (log_pi[actions] - log_ref[actions])  # (M,)\n",
        "    returns = rewards[actions] + beta * (log_pi[actions] - log_ref[actions])\n",
        "the KL penalty's sign flipped in the loop: drifting from pi_0 is rewarded",
    ),
    Mutant(
        "loop_descends_instead_of_ascends", POLICY,
        "        theta = theta + lr * reinforce_gradient(theta, features, base_logits, actions, returns, baseline)\n",
        "        theta = theta - lr * reinforce_gradient(theta, features, base_logits, actions, returns, baseline)\n",
        "gradient descent on the reward: the policy gets worse",
    ),
    Mutant(
        "optimal_policy_multiplies_by_beta", POLICY,
        "    return np.exp(_log_softmax(base_logits + rewards / beta))\n",
        "    return np.exp(_log_softmax(base_logits + rewards * beta))\n",
        "pi_0 exp(beta r): a larger KL coefficient moves the policy further, not less",
    ),
    # -- issue 15: documented arguments varied, resumed states, exact short runs, stability, refusals
    Mutant(
        "loop_baseline_includes_its_own_sample", POLICY,
        "        baseline = (returns.sum() - returns) / (batch_size - 1)  # leave-one-out mean\n",
        "        baseline = np.full(batch_size, returns.mean())\n",
        "the baseline is the mean return of the whole batch, the sample's own return included",
    ),
    Mutant(
        "loop_penalty_without_beta", POLICY,
        "        returns = rewards[actions] - beta * (log_pi[actions] - log_ref[actions])  # (M,)\n",
        "        returns = rewards[actions] - (log_pi[actions] - log_ref[actions])\n",
        "the KL penalty of each sample is not multiplied by beta",
    ),
    Mutant(
        "loop_seeds_in_the_wrong_order", POLICY,
        "        actions = sample_actions(log_pi, batch_size, [seed, step])\n",
        "        actions = sample_actions(log_pi, batch_size, [step, seed])\n",
        "the sampler's seed list is [step, seed] instead of the documented [seed, step]",
    ),
    Mutant(
        "reinforce_per_sample_baseline_averaged", POLICY,
        "    baseline = np.broadcast_to(as_float_array(baseline, \"baseline\"), returns.shape)\n",
        "    baseline = np.full(returns.shape, float(np.mean(as_float_array(baseline, \"baseline\"))))\n",
        "a per-sample baseline is replaced by its mean",
    ),
    Mutant(
        "sample_actions_refuses_a_single_draw", POLICY,
        "    if n < 1:\n",
        "    if n < 2:\n",
        "n = 1 is refused",
    ),
    Mutant(
        "optimal_policy_without_the_max_shift", POLICY,
        "    return np.exp(_log_softmax(base_logits + rewards / beta))\n",
        "    z = np.exp(base_logits + rewards / beta)\n"
        "    return z / z.sum()\n",
        "softmax without subtracting the maximum: a small beta overflows",
    ),
    Mutant(
        "kl_from_probabilities", POLICY,
        "    return float(np.exp(log_pi) @ (log_pi - log_ref))\n",
        "    p, p0 = np.exp(log_pi), np.exp(log_ref)\n"
        "    return float(np.sum(np.where(p > 0, p * np.log(p / p0), 0.0)))\n",
        "KL computed from probabilities: pi_0 underflows to 0 and the KL to inf",
    ),
    Mutant(
        "log_probs_without_the_max_shift", POLICY,
        "    return _log_softmax(base_logits + features @ theta)\n",
        "    z = base_logits + features @ theta\n"
        "    return z - np.log(np.exp(z).sum())\n",
        "log-softmax without subtracting the maximum: logits of 1000 overflow",
    ),
    Mutant(
        "ranking_loss_log1p_exp_overflows", REWARD_MODEL,
        "    loss = float(np.mean(np.logaddexp(0.0, -delta)))\n",
        "    loss = float(np.mean(np.log1p(np.exp(-delta))))\n",
        "log(1 + exp(-delta)) written directly: a pair ranked wrong by 1000 costs inf",
    ),
    Mutant(
        "reward_training_without_momentum", REWARD_MODEL,
        "        params, velocity = sgd_step(params, grads, lr, velocity, momentum)\n",
        "        params, velocity = sgd_step(params, grads, lr, velocity)\n",
        "the momentum argument is never passed on: plain gradient descent",
    ),
    Mutant(
        "reward_training_he_init_for_every_activation", REWARD_MODEL,
        "    params = init_params(sizes, seed, \"he\" if activation == \"relu\" else \"xavier\")\n",
        "    params = init_params(sizes, seed, \"he\")\n",
        "He initialisation for tanh and sigmoid too",
    ),
    Mutant(
        "labeller_compares_the_wrong_way", PREFERENCES,
        "    first_chosen = rng.random(first.size) < p_first\n",
        "    first_chosen = rng.random(first.size) > 1.0 - p_first\n",
        "first chosen when u > 1 - P: the right probability, but not the documented draw",
    ),
    Mutant(
        "labeller_refuses_no_pairs", PREFERENCES,
        "    if not noise > 0:\n",
        "    if first.size == 0:\n"
        "        raise ValueError(\"no pairs\")\n"
        "    if not noise > 0:\n",
        "an empty set of pairs (allowed) is refused",
    ),
    Mutant(
        "pairwise_accuracy_tie_counts_wrong", REWARD_MODEL,
        "    return float(np.mean((gap > 0) + 0.5 * (gap == 0)))\n",
        "    return float(np.mean(gap > 0))\n",
        "a tie counts as a wrong ranking instead of half right",
    ),
]
