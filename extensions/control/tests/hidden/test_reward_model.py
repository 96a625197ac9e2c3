"""Hidden tests: the pairwise ranking loss, a reward model's gradient, training it, pairwise accuracy."""

import numpy as np
import pytest

from grader.engine.testing import assert_close, assert_raises, expect_array, module_fixture, reference_fixture

rm = module_fixture("control.reward_model", timeout=60)
ref = reference_fixture("control.reward_model")
ref_pf = reference_fixture("control.preferences")
ref_tr = reference_fixture("phase1_backprop.train")

pytestmark = pytest.mark.exercise("reward_model")


def _softplus(z):
    return np.logaddexp(0.0, z)


def test_ranking_loss_on_a_hand_computed_case(rm):
    r_c, r_r = np.array([0.0, 3.0, -1.0]), np.array([0.0, 1.0, 0.0])  # margins 0, 2, -1
    loss, d_c, d_r = rm.ranking_loss(r_c, r_r)
    assert_close(loss, (np.log(2) + _softplus(-2.0) + _softplus(1.0)) / 3, "ranking_loss: loss")
    push = 1.0 / (1.0 + np.exp(np.array([0.0, 2.0, -1.0])))  # sigmoid(-margin)
    assert_close(d_c, -push / 3, "ranking_loss: d_chosen")
    assert_close(d_r, push / 3, "ranking_loss: d_rejected")


def test_ranking_loss_pushes_the_chosen_reward_up_and_the_rejected_down(rm, rng):
    # gradient *descent* moves r - lr * d: d_chosen must be negative and d_rejected positive
    _, d_c, d_r = rm.ranking_loss(rng.normal(size=5), rng.normal(size=5))
    if not (np.all(np.asarray(d_c) < 0) and np.all(np.asarray(d_r) > 0)):
        raise AssertionError(f"ranking_loss: d_chosen should be < 0 and d_rejected > 0 (descent raises the chosen "
                             f"reward), got d_chosen {np.round(d_c, 4)}, d_rejected {np.round(d_r, 4)}")


def test_ranking_loss_is_log_two_at_a_tie_and_falls_with_the_margin(rm):
    losses = [rm.ranking_loss(np.array([m]), np.array([0.0]))[0] for m in (-2.0, 0.0, 2.0, 8.0)]
    assert_close(losses[1], np.log(2.0), "ranking_loss at a tie")
    if not losses[0] > losses[1] > losses[2] > losses[3] > 0:
        raise AssertionError(f"ranking_loss at margins -2, 0, 2, 8: {np.round(losses, 5)}; it must fall with the margin "
                             "and stay positive")


def test_ranking_loss_survives_a_wrong_margin_of_1000(rm):
    loss, d_c, d_r = rm.ranking_loss(np.array([-1000.0, 1000.0]), np.array([0.0, 0.0]))
    assert_close(loss, 500.0, "ranking_loss with margins -1000 and +1000", rtol=1e-9)
    assert_close(d_c, np.array([-0.5, 0.0]), "ranking_loss: d_chosen with margins -1000 and +1000", atol=1e-12)


def test_ranking_loss_refuses_rewards_of_different_shapes(rm):
    rm.ranking_loss(np.zeros(3), np.ones(3))
    assert_raises(ValueError, lambda: rm.ranking_loss(np.zeros(3), np.ones(2)), "ranking_loss of (3,) and (2,)",
                  mentions=("(3,)", "(2,)"))


def test_item_rewards_is_the_networks_one_output(rm, ref, ref_tr, rng):
    params = ref_tr.init_params([3, 4, 1], 2)
    params["b1"] = rng.normal(size=4)
    features = rng.normal(size=(5, 3))
    got = expect_array(rm.item_rewards(params, features, "tanh"), "item_rewards", shape=(5,))
    assert_close(got, ref.item_rewards(params, features, "tanh"), "item_rewards")
    assert_raises(ValueError, lambda: rm.item_rewards(ref_tr.init_params([3, 2], 0), features),
                  "item_rewards of a network with 2 outputs")


@pytest.mark.points(2)
def test_ranking_gradient_adds_up_over_every_pair_an_item_is_in(rm, ref, ref_tr, rng):
    # item 1 wins twice and loses once; item 3 is never compared: its reward gets no gradient
    params = ref_tr.init_params([2, 5, 1], 4, "xavier")
    features = rng.normal(size=(4, 2))
    chosen, rejected = np.array([1, 0, 1, 2, 0]), np.array([0, 2, 2, 1, 1])
    loss, grads = rm.ranking_loss_and_grads(params, features, chosen, rejected, "tanh")
    ref_loss, ref_grads = ref.ranking_loss_and_grads(params, features, chosen, rejected, "tanh")
    assert_close(loss, ref_loss, "ranking_loss_and_grads: loss")
    if not isinstance(grads, dict) or set(grads) != set(params):
        raise AssertionError(f"ranking_loss_and_grads: grads must be a dict with the keys {sorted(params)}, "
                             f"got {sorted(grads) if isinstance(grads, dict) else type(grads).__name__}")
    for key in params:
        assert_close(grads[key], ref_grads[key], f"ranking_loss_and_grads: grads[{key!r}]")


def test_a_reward_model_learns_a_linear_preference(rm, ref, ref_pf, ref_tr, rng):
    # a linear hidden utility: a linear reward model can match it, up to scale and offset
    features = ref_pf.grid_items(5, 2.0)
    w = np.array([1.0, -0.5])
    utility = ref_pf.hidden_utility(features, w, 0.0)
    probs = np.full(25, 1.0 / 25)
    seed = int(rng.integers(1000))
    chosen, rejected = ref_pf.make_preferences(utility, probs, 400, seed, noise=0.5)
    result = rm.train_reward_model(features, chosen, rejected, [2, 1], lr=0.1, epochs=400, seed=seed)
    learned = expect_array(result["params"]["W1"], "trained W1", shape=(2, 1))[:, 0]
    cosine = learned @ w / (np.linalg.norm(learned) * np.linalg.norm(w))
    if not cosine > 0.98:
        raise AssertionError(f"train_reward_model: learned weights {np.round(learned, 3)} point away from the hidden "
                             f"w = {w} (cosine {cosine:.3f}, expected > 0.98)")
    history = expect_array(result["history"], "history", shape=(400,))
    assert_close(history[0], ref.ranking_loss_and_grads(ref_tr.init_params([2, 1], seed), features, chosen, rejected)[0],
                 "history[0], the loss of the initial weights")
    if not history[-1] < history[0] - 0.02:
        raise AssertionError(f"train_reward_model: the loss went from {history[0]:.4f} to {history[-1]:.4f}")


def test_train_reward_model_refuses_a_network_with_two_outputs(rm):
    features = np.array([[0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    rm.train_reward_model(features, np.array([0]), np.array([1]), [2, 1], epochs=2)
    assert_raises(ValueError, lambda: rm.train_reward_model(features, np.array([0]), np.array([1]), [2, 2], epochs=2),
                  "train_reward_model with layer_sizes [2, 2]")


def test_pairwise_accuracy_counts_a_tie_as_half(rm):
    rewards = np.array([0.0, 1.0, 1.0, 2.0])
    chosen, rejected = np.array([1, 3, 0, 2]), np.array([0, 1, 3, 1])  # right, right, wrong, tie
    assert_close(rm.pairwise_accuracy(rewards, chosen, rejected), 2.5 / 4, "pairwise_accuracy")
