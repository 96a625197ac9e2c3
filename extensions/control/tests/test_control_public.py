"""Public tests of the control extension: `make check PHASE=control`.

Each test names its exercise; `make check PHASE=control ARGS='-k policy'` runs one exercise. The
grader runs more, hidden, tests (statistical ones, the training loops, the reward-hacking
experiment) and its own gradient checks.
"""

import numpy as np
import pytest

from grader.engine.testing import assert_close, assert_raises, expect_array, expect_float, module_fixture

pf = module_fixture("control.preferences")
rm = module_fixture("control.reward_model")
pol = module_fixture("control.policy")


def _numerical_gradient(f, x, eps=1e-6):
    grad = np.zeros_like(x)
    for i in range(x.size):
        step = np.zeros_like(x)
        step.flat[i] = eps
        grad.flat[i] = (f(x + step) - f(x - step)) / (2 * eps)
    return grad


# -- C.1 preferences ------------------------------------------------------------------------------

@pytest.mark.exercise("preferences")
def test_preferences_pairs_are_two_different_items(pf):
    first, second = pf.sample_pairs(np.array([0.6, 0.3, 0.1]), 200, 0)
    expect_array(first, "first", shape=(200,), kind="i")
    expect_array(second, "second", shape=(200,), kind="i")
    if np.any(np.asarray(first) == np.asarray(second)):
        raise AssertionError("sample_pairs: a pair compares an item with itself")


@pytest.mark.exercise("preferences")
def test_preferences_the_labeller_prefers_the_better_item_more_often(pf):
    utility = np.array([0.0, 1.0])
    chosen, rejected = pf.bradley_terry_choices(utility, np.zeros(2000, dtype=int), np.ones(2000, dtype=int), 0.5, 0)
    rate = float(np.mean(np.asarray(chosen) == 1))
    if abs(rate - 1 / (1 + np.exp(-2.0))) > 0.04:
        raise AssertionError(f"bradley_terry_choices: item 1 (utility 1 vs 0, noise 0.5) won {rate:.3f} of the time, "
                             f"expected about sigmoid(2) = {1 / (1 + np.exp(-2.0)):.3f}")


# -- C.2 reward model -----------------------------------------------------------------------------

@pytest.mark.exercise("reward_model")
def test_reward_model_ranking_loss_at_a_tie_is_log_2(rm):
    loss, d_c, d_r = rm.ranking_loss(np.array([1.0, -2.0]), np.array([1.0, -2.0]))
    assert_close(loss, np.log(2.0), "ranking_loss with every margin 0")
    assert_close(d_c, np.array([-0.25, -0.25]), "d_chosen = -sigmoid(0) / N")
    assert_close(d_r, np.array([0.25, 0.25]), "d_rejected = +sigmoid(0) / N")


@pytest.mark.exercise("reward_model")
def test_reward_model_ranking_loss_gradient_by_finite_differences(rm, rng):
    r_c, r_r = rng.normal(size=4), rng.normal(size=4)
    _, d_c, _ = rm.ranking_loss(r_c, r_r)
    assert_close(d_c, _numerical_gradient(lambda x: rm.ranking_loss(x, r_r)[0], r_c), "d_chosen", rtol=1e-5, atol=1e-8)


@pytest.mark.exercise("reward_model")
def test_reward_model_ranking_loss_and_grads_have_the_shapes_of_the_params(rm, rng):
    params = {"W1": rng.normal(size=(2, 3)), "b1": np.zeros(3), "W2": rng.normal(size=(3, 1)), "b2": np.zeros(1)}
    features = rng.normal(size=(4, 2))
    loss, grads = rm.ranking_loss_and_grads(params, features, np.array([0, 1, 1]), np.array([2, 3, 0]), "tanh")
    expect_float(loss, "loss")
    for key, value in params.items():
        expect_array(grads[key], f"grads[{key!r}]", shape=value.shape)


@pytest.mark.exercise("reward_model")
def test_reward_model_train_reward_model_lowers_the_loss(rm):
    features = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    chosen, rejected = np.array([1, 3, 3, 2, 1]), np.array([0, 0, 1, 0, 2])
    result = rm.train_reward_model(features, chosen, rejected, [2, 1], lr=0.1, epochs=200, seed=0)
    history = expect_array(result["history"], "history", shape=(200,))
    if not history[-1] < history[0]:
        raise AssertionError(f"train_reward_model: the loss went from {history[0]:.4f} to {history[-1]:.4f}")


@pytest.mark.exercise("reward_model")
def test_reward_model_pairwise_accuracy(rm):
    assert_close(rm.pairwise_accuracy(np.array([0.0, 1.0, 2.0]), np.array([2, 0]), np.array([1, 1])), 0.5,
                 "pairwise_accuracy: one pair right, one wrong")


# -- C.3 policy -----------------------------------------------------------------------------------

@pytest.mark.exercise("policy")
def test_policy_log_probs_of_a_tabular_policy(pol):
    logp = expect_array(pol.policy_log_probs(np.array([0.0, np.log(3.0)]), np.eye(2), np.zeros(2)),
                        "policy_log_probs", shape=(2,))
    assert_close(np.exp(logp), np.array([0.25, 0.75]), "pi with logits 0 and log 3")


@pytest.mark.exercise("policy")
def test_policy_expected_reward_gradient_by_finite_differences(pol, rng):
    theta, features, base, rewards = rng.normal(size=2), rng.normal(size=(5, 2)), rng.normal(size=5), rng.normal(size=5)
    got = expect_array(pol.expected_reward_gradient(theta, features, base, rewards), "expected_reward_gradient", shape=(2,))
    numerical = _numerical_gradient(lambda t: pol.expected_reward(t, features, base, rewards), theta)
    assert_close(got, numerical, "expected_reward_gradient against finite differences", rtol=1e-5, atol=1e-8)


@pytest.mark.exercise("policy")
def test_policy_kl_to_reference_and_kl_gradient(pol, rng):
    theta, features, base = rng.normal(size=2), rng.normal(size=(5, 2)), rng.normal(size=5)
    assert_close(pol.kl_to_reference(np.zeros(2), features, base), 0.0, "KL at theta = 0", atol=1e-12)
    got = expect_array(pol.kl_gradient(theta, features, base), "kl_gradient", shape=(2,))
    numerical = _numerical_gradient(lambda t: pol.kl_to_reference(t, features, base), theta)
    assert_close(got, numerical, "kl_gradient against finite differences", rtol=1e-5, atol=1e-8)


@pytest.mark.exercise("policy")
def test_policy_reinforce_gradient_of_one_sample(pol):
    # one sample of item 1 under the uniform tabular policy of 2 items: score = e_1 - (1/2, 1/2)
    g = pol.reinforce_gradient(np.zeros(2), np.eye(2), np.zeros(2), np.array([1]), np.array([3.0]), 1.0)
    assert_close(g, (3.0 - 1.0) * np.array([-0.5, 0.5]), "reinforce_gradient of one sample")


@pytest.mark.exercise("policy")
def test_policy_optimal_policy_and_the_loop(pol):
    base, rewards = np.zeros(3), np.array([0.0, 1.0, 2.0])
    best = expect_array(pol.optimal_policy(base, rewards, 1.0), "optimal_policy", shape=(3,))
    assert_close(best, np.exp(rewards) / np.exp(rewards).sum(), "optimal_policy with pi_0 uniform, beta = 1")
    run = pol.improve_policy(np.eye(3), base, rewards, 1.0, steps=200, batch_size=32, lr=1.0, seed=0)
    final = np.exp(pol.policy_log_probs(run["thetas"][-1], np.eye(3), base))
    if np.abs(final - best).sum() > 0.05:
        raise AssertionError(f"improve_policy (beta = 1, 200 steps): final policy {np.round(final, 3)}, the optimum "
                             f"is {np.round(best, 3)}")


# -- golden cases: inputs and outputs of the reference over many shapes and value regimes ----------
# (tests/_snapshots/*.npz, written by the course authors with python -m grader.authoring.snapshots)

from grader.authoring.snapshots import snapshot_tests  # noqa: E402

globals().update(snapshot_tests(__file__))
