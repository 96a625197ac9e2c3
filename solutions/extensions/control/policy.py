"""Exercise C.3: a softmax policy over K items, improved with REINFORCE against a reward, on a leash.

The policy gives every item k a probability through a softmax of logits:

    pi_theta(k) = softmax(base_logits + features @ theta)_k,     theta: (D,)

At theta = 0 it is the starting policy pi_0 = softmax(base_logits). theta tilts it towards items
whose features point along theta. Two cases of the same code:
- ``features`` = the items' own features (D = 2 in the experiments): a few parameters move the
  probability of every item at once, the way a language model's weights move the probability of
  many answers at once. This is the policy of the experiments.
- ``features`` = np.eye(K): one free logit per item (a "tabular" policy).

The objective is the reward the policy expects, minus a penalty for drifting from pi_0:

    J_beta(theta) = E_{k ~ pi_theta}[ r(k) ] - beta KL(pi_theta || pi_0).

With K small every expectation can be written as a sum over the K items, and each function below
has an exact form to check the sampled one against.
"""

from __future__ import annotations

import numpy as np

from phase0_math.arrays import as_float_array, shape_str


def _check(theta, features, base_logits) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(theta, features, base_logits) as float arrays of shapes (D,), (K, D), (K,), or ValueError (given)."""
    theta = as_float_array(theta, "theta", ndim=1)
    features = as_float_array(features, "features", ndim=2)
    base_logits = as_float_array(base_logits, "base_logits", ndim=1)
    if features.shape != (base_logits.size, theta.size):
        raise ValueError(f"features: expected shape {shape_str((base_logits.size, theta.size))} for "
                         f"{base_logits.size} items and theta of shape {shape_str(theta.shape)}, "
                         f"got {shape_str(features.shape)}")
    return theta, features, base_logits


def _log_softmax(z: np.ndarray) -> np.ndarray:
    """log softmax of a vector (given): shifted by its maximum, so logits of 1000 are fine."""
    shifted = z - z.max()
    return shifted - np.log(np.exp(shifted).sum())


def _rewards(rewards, k: int) -> np.ndarray:
    rewards = as_float_array(rewards, "rewards", ndim=1)
    if rewards.size != k:
        raise ValueError(f"rewards: expected one reward per item, shape {shape_str((k,))}, got {shape_str(rewards.shape)}")
    return rewards


def policy_log_probs(theta: np.ndarray, features: np.ndarray, base_logits: np.ndarray) -> np.ndarray:
    """log pi_theta(k) for every item: log_softmax(base_logits + features @ theta).

    theta: (D,), features: (K, D), base_logits: (K,) -> (K,), every entry <= 0, exp summing to 1.
    Logits of 1000 must give finite values (shift by the maximum). Raises ValueError when the
    shapes do not fit, naming them.
    """
    ### BEGIN SOLUTION
    theta, features, base_logits = _check(theta, features, base_logits)
    return _log_softmax(base_logits + features @ theta)
    ### END SOLUTION


def sample_actions(log_probs: np.ndarray, n: int, seed) -> np.ndarray:
    """Draw n items from the policy whose log-probabilities are ``log_probs``.

    log_probs: (K,); n >= 1; seed: int or list of ints for np.random.default_rng -> (n,) int64.
    Draw exactly as ``np.random.default_rng(seed).choice(K, size=n, p=probs)`` with probs =
    exp(log_probs) (normalised to sum to 1), so the same seed gives the same items.
    Raises ValueError for n < 1 or log_probs that are not a 1-d array.
    """
    ### BEGIN SOLUTION
    log_probs = as_float_array(log_probs, "log_probs", ndim=1)
    if n < 1:
        raise ValueError(f"n: expected at least 1, got {n}")
    probs = np.exp(log_probs - log_probs.max())
    probs /= probs.sum()
    return np.random.default_rng(seed).choice(probs.size, size=n, p=probs).astype(np.int64)
    ### END SOLUTION


def expected_reward(theta: np.ndarray, features: np.ndarray, base_logits: np.ndarray, rewards: np.ndarray) -> float:
    """E_{k ~ pi_theta}[r(k)] = sum_k pi_theta(k) r_k, exactly.

    theta: (D,), features: (K, D), base_logits: (K,), rewards: (K,) one reward per item -> float.
    Raises ValueError when the shapes do not fit.
    """
    ### BEGIN SOLUTION
    theta, features, base_logits = _check(theta, features, base_logits)
    rewards = _rewards(rewards, base_logits.size)
    probs = np.exp(policy_log_probs(theta, features, base_logits))
    return float(probs @ rewards)
    ### END SOLUTION


def expected_reward_gradient(
    theta: np.ndarray, features: np.ndarray, base_logits: np.ndarray, rewards: np.ndarray
) -> np.ndarray:
    """The exact gradient of expected_reward with respect to theta: (D,).

    theta: (D,), features: (K, D), base_logits: (K,), rewards: (K,) -> (D,), d J / d theta with
    J = expected_reward(theta, ...), written as a sum over the K items (no sampling). Derive
    d log pi_theta(k) / d theta first: every gradient of this exercise is built on it.
    Raises ValueError when the shapes do not fit.
    Check it first with phase 0's check_gradient on f(theta) = expected_reward(theta, ...).
    """
    ### BEGIN SOLUTION
    theta, features, base_logits = _check(theta, features, base_logits)
    rewards = _rewards(rewards, base_logits.size)
    probs = np.exp(policy_log_probs(theta, features, base_logits))  # (K,)
    return features.T @ (probs * (rewards - probs @ rewards))
    ### END SOLUTION


def kl_to_reference(theta: np.ndarray, features: np.ndarray, base_logits: np.ndarray) -> float:
    """KL(pi_theta || pi_0) = sum_k pi_theta(k) (log pi_theta(k) - log pi_0(k)), pi_0 = softmax(base_logits).

    theta: (D,), features: (K, D), base_logits: (K,) -> float >= 0, 0 at theta = 0.
    The expectation is under the *new* policy: the penalty is for producing what pi_0 would not
    (InstructGPT's per-sample penalty beta log(pi(y) / pi_0(y)) is a sample of exactly this).
    Work with log-probabilities throughout: pi_0(k) can be 1e-300 where pi_theta(k) is not.
    Raises ValueError when the shapes do not fit.
    """
    ### BEGIN SOLUTION
    theta, features, base_logits = _check(theta, features, base_logits)
    log_pi = policy_log_probs(theta, features, base_logits)
    log_ref = _log_softmax(base_logits)
    return float(np.exp(log_pi) @ (log_pi - log_ref))
    ### END SOLUTION


def kl_gradient(theta: np.ndarray, features: np.ndarray, base_logits: np.ndarray) -> np.ndarray:
    """The exact gradient of kl_to_reference with respect to theta: (D,).

    theta: (D,), features: (K, D), base_logits: (K,) -> (D,). Both the weights pi_theta(k) and
    the log pi_theta(k) inside the sum depend on theta. Raises ValueError when the shapes do not fit.
    Check it first with phase 0's check_gradient on f(theta) = kl_to_reference(theta, ...).
    """
    ### BEGIN SOLUTION
    theta, features, base_logits = _check(theta, features, base_logits)
    log_pi = policy_log_probs(theta, features, base_logits)
    probs = np.exp(log_pi)
    d = log_pi - _log_softmax(base_logits)  # (K,)
    return features.T @ (probs * (d - probs @ d))
    ### END SOLUTION


def reinforce_gradient(
    theta: np.ndarray,
    features: np.ndarray,
    base_logits: np.ndarray,
    actions: np.ndarray,
    returns: np.ndarray,
    baseline=0.0,
) -> np.ndarray:
    """The REINFORCE estimate of the gradient of E[return] from M sampled items: (D,).

    actions: (M,) items drawn from pi_theta; returns: (M,) the return of each; baseline: a number,
    or (M,) one per sample, that must not depend on the sample's own action.
    g is the mean over the M samples of (returns[m] - baseline[m]) times the score of the sample,
    the gradient of log pi_theta(actions[m]) with respect to theta (derived in
    expected_reward_gradient). Any such baseline leaves E[g] unchanged (show why on paper); a good
    one (the mean return of the other samples) makes g vary much less from batch to batch.
    Check it against expected_reward_gradient: with many samples and returns = rewards[actions],
    g approaches the exact gradient.
    Raises ValueError when the shapes do not fit, for actions that are not integers in [0, K),
    for no samples (M = 0), and for a baseline that is neither a number nor of shape (M,).
    """
    ### BEGIN SOLUTION
    theta, features, base_logits = _check(theta, features, base_logits)
    actions = np.asarray(actions)
    returns = as_float_array(returns, "returns", ndim=1)
    if actions.dtype.kind not in "iu" or actions.shape != returns.shape or actions.size == 0:
        raise ValueError(f"actions and returns: expected an integer array and a float array of the same shape (M,), "
                         f"got {actions.dtype} {shape_str(actions.shape)} and {shape_str(returns.shape)}")
    if actions.min() < 0 or actions.max() >= base_logits.size:
        raise ValueError(f"actions: item indices must lie in [0, {base_logits.size}), got {actions.min()} to {actions.max()}")
    baseline = np.broadcast_to(as_float_array(baseline, "baseline"), returns.shape)
    probs = np.exp(policy_log_probs(theta, features, base_logits))
    scores = features[actions] - probs @ features  # (M, D): grad log pi of each sample
    return (returns - baseline) @ scores / returns.size
    ### END SOLUTION


def optimal_policy(base_logits: np.ndarray, rewards: np.ndarray, beta: float) -> np.ndarray:
    """The policy that maximises E_pi[r] - beta KL(pi || pi_0) over *all* policies: (K,).

    Derive it on paper (maximise over the probability vector pi, with sum_k pi_k = 1 as a
    constraint); the reading guide sets the derivation up.
    base_logits: (K,), rewards: (K,), beta > 0 -> (K,) probabilities. The larger beta, the closer
    to pi_0; as beta -> 0, all the mass goes to the item of largest reward. Raises ValueError for
    beta <= 0 and for rewards that are not of shape (K,).
    """
    base_logits = as_float_array(base_logits, "base_logits", ndim=1)
    ### BEGIN SOLUTION
    rewards = _rewards(rewards, base_logits.size)
    if not beta > 0:
        raise ValueError(f"beta: expected a positive number, got {beta}")
    return np.exp(_log_softmax(base_logits + rewards / beta))
    ### END SOLUTION


def improve_policy(
    features: np.ndarray,
    base_logits: np.ndarray,
    rewards: np.ndarray,
    beta: float,
    steps: int = 300,
    batch_size: int = 64,
    lr: float = 0.2,
    seed: int = 0,
) -> dict:
    """Improve the policy from theta = 0 by stochastic gradient ascent on J_beta, with REINFORCE.

    features: (K, D), base_logits: (K,), rewards: (K,) the reward of each item (a learned reward
    model's: the loop never sees the hidden utility); beta >= 0 the KL coefficient; batch_size >= 2.
    Each step:
      1. log_pi = policy_log_probs(theta, ...); draw batch_size items with
         sample_actions(log_pi, batch_size, [seed, step]);
      2. the return of each sample is its reward minus the KL penalty of that sample,
         R_m = rewards[a_m] - beta (log_pi[a_m] - log pi_0(a_m));
      3. the baseline of each sample is the mean return of the *other* samples of the batch
         (leave-one-out: it does not depend on the sample's own action, so E[g] is unchanged);
      4. one step of gradient *ascent* of size lr along reinforce_gradient(theta, ..., actions,
         R, baseline).
    Returns {"thetas": (steps + 1, D), theta before each step and after the last;
             "expected_reward": (steps + 1,), expected_reward at each of those thetas (exact);
             "kl": (steps + 1,), kl_to_reference at each}.
    Raises ValueError when the shapes do not fit, for beta < 0, batch_size < 2 or steps < 0.
    """
    ### BEGIN SOLUTION
    features = as_float_array(features, "features", ndim=2)
    theta = np.zeros(features.shape[1])
    theta, features, base_logits = _check(theta, features, base_logits)
    rewards = _rewards(rewards, base_logits.size)
    if beta < 0:
        raise ValueError(f"beta: expected a number >= 0, got {beta}")
    if batch_size < 2:
        raise ValueError(f"batch_size: expected at least 2 (the baseline uses the other samples), got {batch_size}")
    if steps < 0:
        raise ValueError(f"steps: expected a number >= 0, got {steps}")
    log_ref = _log_softmax(base_logits)
    thetas = np.empty((steps + 1, theta.size))
    expected = np.empty(steps + 1)
    kl = np.empty(steps + 1)
    for step in range(steps + 1):
        thetas[step] = theta
        expected[step] = expected_reward(theta, features, base_logits, rewards)
        kl[step] = kl_to_reference(theta, features, base_logits)
        if step == steps:
            break
        log_pi = policy_log_probs(theta, features, base_logits)
        actions = sample_actions(log_pi, batch_size, [seed, step])
        returns = rewards[actions] - beta * (log_pi[actions] - log_ref[actions])  # (M,)
        baseline = (returns.sum() - returns) / (batch_size - 1)  # leave-one-out mean
        theta = theta + lr * reinforce_gradient(theta, features, base_logits, actions, returns, baseline)
    return {"thetas": thetas, "expected_reward": expected, "kl": kl}
    ### END SOLUTION
