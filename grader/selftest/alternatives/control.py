"""Correct, differently written implementations of the control extension: each must score full marks."""

from grader.selftest.alternatives import Alternative

PREFERENCES = "extensions/control/preferences.py"
REWARD_MODEL = "extensions/control/reward_model.py"
POLICY = "extensions/control/policy.py"

ALTERNATIVES = [
    Alternative(
        "ranking_gradient_with_an_exp_sigmoid", REWARD_MODEL,
        "    push = 0.5 * (1.0 - np.tanh(0.5 * delta))  # sigmoid(-delta): how wrong each pair still is\n",
        "    e = np.exp(-np.abs(delta))  # never overflows\n"
        "    push = np.where(delta >= 0, e / (1.0 + e), 1.0 / (1.0 + e))  # sigmoid(-delta)\n",
        "sigmoid(-delta) from exp(-|delta|), accurate where the tanh form rounds to 0",
    ),
    Alternative(
        "ranking_loss_as_softplus_by_hand", REWARD_MODEL,
        "    loss = float(np.mean(np.logaddexp(0.0, -delta)))\n",
        "    loss = float(np.mean(np.maximum(-delta, 0.0) + np.log1p(np.exp(-np.abs(delta)))))\n",
        "softplus(-delta) = max(-delta, 0) + log1p(exp(-|delta|))",
    ),
    Alternative(
        "ranking_gradient_with_bincount", REWARD_MODEL,
        "    dr = np.zeros(n_items)\n    np.add.at(dr, chosen, d_chosen)\n    np.add.at(dr, rejected, d_rejected)\n",
        "    dr = (np.bincount(chosen, weights=d_chosen, minlength=n_items)\n"
        "          + np.bincount(rejected, weights=d_rejected, minlength=n_items))\n",
        "the per-item gradient summed with np.bincount instead of np.add.at",
    ),
    Alternative(
        "pairwise_accuracy_from_the_sign", REWARD_MODEL,
        "    return float(np.mean((gap > 0) + 0.5 * (gap == 0)))\n",
        "    return float(np.mean(0.5 + 0.5 * np.sign(gap)))\n",
        "right = 1, tie = 1/2, wrong = 0 as (1 + sign) / 2",
    ),
    Alternative(
        "expected_reward_gradient_uncentred", POLICY,
        "    return features.T @ (probs * (rewards - probs @ rewards))\n",
        "    return features.T @ (probs * rewards) - (probs @ rewards) * (probs @ features)\n",
        "E[r phi] - E[r] E[phi], the covariance written out (more round-off, same gradient)",
    ),
    Alternative(
        "kl_as_two_expectations", POLICY,
        "    return float(np.exp(log_pi) @ (log_pi - log_ref))\n",
        "    probs = np.exp(log_pi)\n    return float(probs @ log_pi - probs @ log_ref)\n",
        "KL = E[log pi] - E[log pi_0] under the new policy",
    ),
    Alternative(
        "log_probs_with_an_explicit_logsumexp", POLICY,
        "    return _log_softmax(base_logits + features @ theta)\n",
        "    z = base_logits + np.einsum(\"kd,d->k\", features, theta)\n"
        "    top = z.max()\n    return z - (top + np.log(np.sum(np.exp(z - top))))\n",
        "z - logsumexp(z), the logits through einsum",
    ),
    Alternative(
        "sample_actions_by_inverse_cdf", POLICY,
        "    return np.random.default_rng(seed).choice(probs.size, size=n, p=probs).astype(np.int64)\n",
        "    cdf = np.cumsum(probs)\n    cdf /= cdf[-1]\n"
        "    return np.searchsorted(cdf, np.random.default_rng(seed).random(n), side=\"right\").astype(np.int64)\n",
        "what Generator.choice does, written out: n uniforms searched in the normalised cumulative sum",
    ),
    Alternative(
        "reinforce_with_einsum", POLICY,
        "    return (returns - baseline) @ scores / returns.size\n",
        "    return np.einsum(\"m,md->d\", returns - baseline, scores) / returns.size\n",
        "the weighted sum of scores as an einsum",
    ),
    Alternative(
        "leave_one_out_baseline_by_a_loop", POLICY,
        "        baseline = (returns.sum() - returns) / (batch_size - 1)  # leave-one-out mean\n",
        "        baseline = np.array([np.delete(returns, m).mean() for m in range(batch_size)])\n",
        "each sample's baseline as the mean of the batch with that sample deleted",
    ),
    Alternative(
        "labeller_sigmoid_from_exp", PREFERENCES,
        "    p_first = 0.5 * (1.0 + np.tanh(0.5 * gap))  # sigmoid(gap), no overflow\n",
        "    e = np.exp(-np.abs(gap))\n    p_first = np.where(gap >= 0, 1.0 / (1.0 + e), e / (1.0 + e))\n",
        "the stable two-branch sigmoid instead of the tanh form",
    ),
]
