"""Exercise C.2: a reward model trained with the pairwise ranking loss.

A reward model r maps an item's features to one number. It is trained on pairs (chosen, rejected)
only, so it can only learn *differences*: the Bradley-Terry model says the chosen item won with
probability sigmoid(r_chosen - r_rejected), and maximising the likelihood of the choices is
minimising

    L = -(1/N) sum_n log sigmoid(r(chosen_n) - r(rejected_n)),

the loss of InstructGPT's reward model (there over all pairs of a ranking of K answers). Adding a
constant to r changes nothing, so the reward's zero means nothing either.

The reward model here is Phase 1's multi-layer perceptron with one output: layer_sizes [D, 1] is
a linear reward (w . phi + b), [D, 16, 1] a small network. Its parameters are the dict of
``phase1_backprop.train.init_params``; ``phase1_backprop.forward.mlp_forward`` and
``phase1_backprop.backward.mlp_backward`` do the forward and backward passes.
"""

from __future__ import annotations

import numpy as np

from phase0_math.arrays import as_float_array, shape_str
from phase1_backprop.backward import mlp_backward
from phase1_backprop.forward import mlp_forward
from phase1_backprop.train import init_params, sgd_step


def _as_items(idx, name: str, n_items: int) -> np.ndarray:
    arr = np.asarray(idx)
    if arr.dtype.kind not in "iu" or arr.ndim != 1:
        raise ValueError(f"{name}: expected a 1-d array of integer item indices, got {arr.dtype} of shape {shape_str(arr.shape)}")
    if arr.size and (arr.min() < 0 or arr.max() >= n_items):
        raise ValueError(f"{name}: item indices must lie in [0, {n_items}), got {arr.min()} to {arr.max()}")
    return arr.astype(np.int64)


def ranking_loss(r_chosen: np.ndarray, r_rejected: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """The pairwise ranking loss and its gradient with respect to both rewards.

    r_chosen, r_rejected: (N,) the rewards of the chosen and of the rejected item of each pair.
    Returns (loss: float, d_chosen: (N,), d_rejected: (N,)), with delta = r_chosen - r_rejected,
        loss = mean_n -log sigmoid(delta_n) = mean_n log(1 + exp(-delta_n)),
    and d_chosen, d_rejected the gradients of loss with respect to r_chosen and r_rejected.
    A pair ranked right by a wide margin costs almost nothing; a pair ranked wrong by a margin
    of 1000 costs about 1000, not inf (np.logaddexp(0, -delta)), and its gradients stay finite.
    Raises ValueError when the two arrays are not of the same shape (N,) with N >= 1.
    Check both gradients first with phase 0's check_gradient on the loss as a function of each array.
    """
    r_chosen = as_float_array(r_chosen, "r_chosen")
    r_rejected = as_float_array(r_rejected, "r_rejected")
    # YOUR CODE HERE
    raise NotImplementedError("not started: ranking_loss")


def item_rewards(params: dict, features: np.ndarray, activation: str = "relu") -> np.ndarray:
    """The reward of every item: the network's one output, as a flat vector.

    params: an MLP's parameters whose last layer has one output; features: (K, D) -> (K,).
    Raises ValueError when the network has more than one output.
    """
    # YOUR CODE HERE
    raise NotImplementedError("not started: item_rewards")


def ranking_loss_and_grads(
    params: dict, features: np.ndarray, chosen: np.ndarray, rejected: np.ndarray, activation: str = "relu"
) -> tuple[float, dict]:
    """The ranking loss of a reward model on a preference data set, and its gradient.

    params: as init_params returns, last layer of size 1; features: (K, D) the items;
    chosen, rejected: (N,) item indices, the winner and the loser of each pair.
    Returns (loss: float, grads: dict with the keys and shapes of params).
    Run the network once on the K items (not once per pair): r, the reward of every item, (K,).
    An item may appear in many pairs, as a winner or as a loser, and its reward gets a gradient
    from every one of them.
    Check it with phase 1's check_network_gradients idea: phase 0's check_gradient on the loss
    as a function of one parameter at a time.
    Raises ValueError for chosen or rejected that are not 1-d integer arrays of indices in
    [0, K) of the same shape (N,) with N >= 1, and for a network with more than one output.
    """
    features = as_float_array(features, "features", ndim=2)
    # YOUR CODE HERE
    raise NotImplementedError("not started: ranking_loss_and_grads")


def train_reward_model(
    features: np.ndarray,
    chosen: np.ndarray,
    rejected: np.ndarray,
    layer_sizes: list[int],
    lr: float = 0.1,
    epochs: int = 1000,
    seed: int = 0,
    momentum: float = 0.9,
    activation: str = "relu",
) -> dict:
    """Fit a reward model to preferences by full-batch gradient descent on the ranking loss.

    features: (K, D); chosen, rejected: (N,) item indices; layer_sizes: [D, ..., 1].
    Initialise with init_params(layer_sizes, seed) (He for relu, Xavier for sigmoid and tanh, as
    Phase 1's train does), then run ``epochs`` steps of ranking_loss_and_grads and
    sgd_step(..., lr, velocity, momentum), the velocity starting at None.
    Returns {"params": the trained params, "history": (epochs,) float64, the loss of each epoch
    before its update}. Raises ValueError when layer_sizes does not start with D and end with 1,
    for epochs < 0, and where ranking_loss_and_grads does (chosen, rejected).
    """
    features = as_float_array(features, "features", ndim=2)
    # YOUR CODE HERE
    raise NotImplementedError("not started: train_reward_model")


def pairwise_accuracy(rewards: np.ndarray, chosen: np.ndarray, rejected: np.ndarray) -> float:
    """The fraction of pairs the rewards rank as the labeller did: r[chosen] > r[rejected].

    rewards: (K,) one reward per item (or the hidden utility, to see the best any model can do);
    chosen, rejected: (N,) item indices -> float in [0, 1]. A tie counts as half right.
    Raises ValueError for chosen or rejected that are not 1-d integer arrays of indices in
    [0, K) of the same shape (N,) with N >= 1.
    """
    rewards = as_float_array(rewards, "rewards", ndim=1)
    # YOUR CODE HERE
    raise NotImplementedError("not started: pairwise_accuracy")
