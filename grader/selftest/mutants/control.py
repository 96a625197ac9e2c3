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
]
