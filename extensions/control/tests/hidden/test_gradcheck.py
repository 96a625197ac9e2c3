"""The grader's gradient checks of the control extension, against central differences of the reference.

- the ranking loss with respect to both rewards, and with respect to every parameter of a reward
  model (a network with a hidden layer, smooth activations: no kink near the inputs);
- the exact gradients of a softmax policy's expected reward and of its KL to the starting policy,
  for a feature policy and a tabular one;
- the REINFORCE estimator in a form that is exact: one sample of every item, each weighted by its
  probability, has as expectation the sum over items, which is the gradient of the expected reward.
"""

import numpy as np
import pytest

from grader.engine.testing import assert_close, module_fixture, reference_fixture

rm = module_fixture("control.reward_model")
pol = module_fixture("control.policy")
ref_rm = reference_fixture("control.reward_model")
ref_pol = reference_fixture("control.policy")
ref_tr = reference_fixture("phase1_backprop.train")


@pytest.mark.gradcheck("ranking_loss")
def test_gradcheck_ranking_loss(rm, ref_rm, gradcheck, rng):
    r_c, r_r = rng.normal(size=5) * 2, rng.normal(size=5) * 2
    loss, d_c, d_r = rm.ranking_loss(r_c, r_r)
    assert_close(loss, ref_rm.ranking_loss(r_c, r_r)[0], "ranking_loss: loss")
    gradcheck("ranking_loss: d_chosen", d_c, lambda x: ref_rm.ranking_loss(x, r_r)[0], r_c)
    gradcheck("ranking_loss: d_rejected", d_r, lambda x: ref_rm.ranking_loss(r_c, x)[0], r_r)


@pytest.mark.parametrize("activation", ["tanh", "sigmoid"])
@pytest.mark.gradcheck("ranking_loss_and_grads")
def test_gradcheck_reward_model_every_parameter(rm, ref_rm, ref_tr, gradcheck, rng, activation):
    params = ref_tr.init_params([3, 4, 1], int(rng.integers(1000)), "xavier")
    params = {k: v + 0.1 * rng.normal(size=np.shape(v)) for k, v in params.items()}
    features = rng.normal(size=(5, 3))
    chosen, rejected = np.array([0, 2, 4, 1, 0, 3]), np.array([1, 1, 2, 4, 3, 0])  # repeats, both ways
    loss, grads = rm.ranking_loss_and_grads(params, features, chosen, rejected, activation)
    assert_close(loss, ref_rm.ranking_loss_and_grads(params, features, chosen, rejected, activation)[0],
                 "ranking_loss_and_grads: loss")
    for key in ("W1", "b1", "W2"):  # b2 shifts every reward alike: its gradient is 0, nothing to check
        def f(value, key=key):
            return ref_rm.ranking_loss_and_grads({**params, key: value}, features, chosen, rejected, activation)[0]

        gradcheck(f"ranking_loss_and_grads ({activation}): d{key}", grads[key], f, params[key])


def _policy_cases(rng):
    theta, features = rng.normal(size=3) * 0.5, rng.normal(size=(6, 3))
    base, rewards = rng.normal(size=6), rng.normal(size=6)
    tabular = rng.normal(size=4) * 0.5
    return [("features (K = 6, D = 3)", theta, features, base, rewards),
            ("tabular (K = 4)", tabular, np.eye(4), rng.normal(size=4), rng.normal(size=4))]


@pytest.mark.gradcheck("expected_reward_gradient")
def test_gradcheck_expected_reward_gradient(pol, ref_pol, gradcheck, rng):
    for label, theta, features, base, rewards in _policy_cases(rng):
        assert_close(pol.expected_reward(theta, features, base, rewards),
                     ref_pol.expected_reward(theta, features, base, rewards), f"expected_reward, {label}")
        gradcheck(f"expected_reward_gradient, {label}", pol.expected_reward_gradient(theta, features, base, rewards),
                  lambda t: ref_pol.expected_reward(t, features, base, rewards), theta)


@pytest.mark.gradcheck("kl_gradient")
def test_gradcheck_kl_gradient(pol, ref_pol, gradcheck, rng):
    for label, theta, features, base, _ in _policy_cases(rng):
        assert_close(pol.kl_to_reference(theta, features, base), ref_pol.kl_to_reference(theta, features, base),
                     f"kl_to_reference, {label}")
        gradcheck(f"kl_gradient, {label}", pol.kl_gradient(theta, features, base),
                  lambda t: ref_pol.kl_to_reference(t, features, base), theta)


@pytest.mark.gradcheck("reinforce_gradient (exact expectation)")
def test_gradcheck_reinforce_in_expectation(pol, ref_pol, gradcheck, rng):
    # actions = every item once, returns = K pi_k r_k: the mean is sum_k pi_k r_k grad log pi_k = dJ/dtheta
    for label, theta, features, base, rewards in _policy_cases(rng):
        k = base.size
        probs = np.exp(ref_pol.policy_log_probs(theta, features, base))
        estimate = pol.reinforce_gradient(theta, features, base, np.arange(k), k * probs * rewards, 0.0)
        gradcheck(f"reinforce_gradient summed over every item, {label}", estimate,
                  lambda t: ref_pol.expected_reward(t, features, base, rewards), theta)


@pytest.mark.gradcheck("KL-penalised objective")
def test_gradcheck_penalised_objective(pol, ref_pol, gradcheck, rng):
    # d/dtheta (E[r] - beta KL): the direction the loop climbs, from the two exact gradients
    for beta in (0.3, 2.0):
        for label, theta, features, base, rewards in _policy_cases(rng):
            g = pol.expected_reward_gradient(theta, features, base, rewards) - beta * pol.kl_gradient(theta, features, base)

            def objective(t):
                return ref_pol.expected_reward(t, features, base, rewards) - beta * ref_pol.kl_to_reference(t, features, base)

            gradcheck(f"E[r] - {beta:g} KL, {label}", g, objective, theta)
