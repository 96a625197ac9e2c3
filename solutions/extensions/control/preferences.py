"""Exercise C.1: a world small enough to see whole, a hidden preference, and noisy choices from it.

There are K items (think of them as the K answers a model could give to one prompt), each
described by D features. People like some items more than others: that is a *utility* u, one
number per item, which in real life nobody can write down. Here it is written down (and given, so
you can look at it whenever you like), but the reward model and the policy never see it: they see
only which of two items a labeller chose.

The labeller is noisy, in the way of Bradley and Terry (1952): shown items i and j, they choose i
with probability

    P(i chosen over j) = sigmoid((u_i - u_j) / noise),

so near-ties are coin flips and clear differences are almost always called right.

The pairs shown to labellers are not arbitrary: they are drawn from the *starting policy*, the
model before any improvement (as in InstructGPT, where labellers rank samples of the supervised
model). Items the starting policy rarely gives are rarely compared, and a reward model knows
little about them.

The world of the experiments (given): a 7 x 7 grid of items in the plane, a starting policy that
prefers items near the origin, and a utility that rewards moving along a direction w but punishes
extremes,

    u(phi) = w . phi - curvature |phi|^2,      w = (1, 0.5), curvature = 0.5,

so "more of a good thing" helps near the origin and hurts far from it.
"""

from __future__ import annotations

import numpy as np

from phase0_math.arrays import as_float_array, shape_str

WEIGHTS = np.array([1.0, 0.5])  # w of the hidden utility
CURVATURE = 0.5  # how hard the hidden utility punishes extremes
NOISE = 0.5  # the labellers' noise: P(i over j) = sigmoid((u_i - u_j) / NOISE)


def grid_items(n_per_side: int = 7, half_width: float = 3.0) -> np.ndarray:
    """The items of the experiments (given): the points of a square grid, row by row.

    Returns features: (n_per_side ** 2, 2) float64, every coordinate in
    linspace(-half_width, half_width, n_per_side); item k has features[k].
    """
    side = np.linspace(-half_width, half_width, n_per_side)
    first, second = np.meshgrid(side, side, indexing="ij")
    return np.stack([first.ravel(), second.ravel()], axis=1)


def hidden_utility(features: np.ndarray, weights: np.ndarray = WEIGHTS, curvature: float = CURVATURE) -> np.ndarray:
    """The true preference (given): u = features @ weights - curvature * |features|^2, row by row.

    features: (K, D), weights: (D,) -> u: (K,). Only the experiment and the tests look at it.
    """
    features = as_float_array(features, "features", ndim=2)
    weights = as_float_array(weights, "weights", ndim=1)
    if weights.shape != (features.shape[1],):
        raise ValueError(f"weights: expected shape {shape_str((features.shape[1],))} for features "
                         f"{shape_str(features.shape)}, got {shape_str(weights.shape)}")
    return features @ weights - curvature * np.sum(features * features, axis=1)


def starting_logits(features: np.ndarray, width: float = 1.0) -> np.ndarray:
    """The logits of the starting policy (given): -|features|^2 / (2 width^2), one per item.

    features: (K, D) -> (K,). softmax of these is a discretised Gaussian around the origin:
    items far from it are (very) rarely produced, so (very) rarely compared.
    """
    features = as_float_array(features, "features", ndim=2)
    return -np.sum(features * features, axis=1) / (2.0 * width * width)


def _as_probs(probs) -> np.ndarray:
    probs = as_float_array(probs, "probs", ndim=1)
    if probs.size < 2 or np.any(probs < 0) or not np.isclose(probs.sum(), 1.0, atol=1e-9):
        raise ValueError(f"probs: expected a probability vector over at least 2 items (entries >= 0, "
                         f"summing to 1), got shape {shape_str(probs.shape)} summing to {probs.sum():.6g}")
    return probs / probs.sum()


def sample_pairs(probs: np.ndarray, n_pairs: int, seed) -> tuple[np.ndarray, np.ndarray]:
    """Draw ``n_pairs`` pairs of two *different* items, each item drawn from ``probs``.

    probs: (K,) the policy whose samples labellers compare; n_pairs: int >= 1; seed: an int (or a
    list of ints) for np.random.default_rng.
    Returns (first: (n_pairs,) int64, second: (n_pairs,) int64) with first[n] != second[n].
    Draw first and second independently from probs, then draw again (both) for every pair whose
    two items are the same, until none is; a labeller gains nothing from comparing an item with
    itself. Exactly: with rng = np.random.default_rng(seed), first = rng.choice(K, size=n_pairs,
    p=probs), then second the same way; then, while some pairs are equal (a boolean mask
    ``same``, c = same.sum()), first[same] = rng.choice(K, size=c, p=probs), then second[same]
    the same way. Raises ValueError for n_pairs < 1, probs that are not a probability vector
    over at least 2 items, or probs that put all their mass on one item.
    """
    ### BEGIN SOLUTION
    probs = _as_probs(probs)
    if n_pairs < 1:
        raise ValueError(f"n_pairs: expected at least 1, got {n_pairs}")
    if np.max(probs) >= 1.0 - 1e-12:
        raise ValueError("probs: all the mass is on one item, so no pair of two different items can be drawn")
    rng = np.random.default_rng(seed)
    k = probs.size
    first = rng.choice(k, size=n_pairs, p=probs)
    second = rng.choice(k, size=n_pairs, p=probs)
    same = first == second
    while same.any():
        first[same] = rng.choice(k, size=int(same.sum()), p=probs)
        second[same] = rng.choice(k, size=int(same.sum()), p=probs)
        same = first == second
    return first.astype(np.int64), second.astype(np.int64)
    ### END SOLUTION


def bradley_terry_choices(
    utility: np.ndarray, first: np.ndarray, second: np.ndarray, noise: float, seed
) -> tuple[np.ndarray, np.ndarray]:
    """A noisy labeller's choice between the two items of every pair.

    utility: (K,) the hidden utility; first, second: (N,) item indices; noise > 0; seed as in
    sample_pairs. The labeller chooses first[n] with probability
    sigmoid((utility[first[n]] - utility[second[n]]) / noise), else second[n].
    Returns (chosen: (N,) int64, rejected: (N,) int64): for every pair, the item chosen and the other one.
    Draw one uniform number per pair, u_n < P_n meaning "first chosen". Compute the sigmoid
    without overflow: a utility gap of 1000 is a sure choice, not a NaN.
    Raises ValueError for noise <= 0, or first and second that are not 1-d integer arrays of the
    same shape with entries in [0, K). N = 0 pairs is allowed (two empty arrays come back).
    """
    ### BEGIN SOLUTION
    utility = as_float_array(utility, "utility", ndim=1)
    first, second = np.asarray(first), np.asarray(second)
    if first.shape != second.shape or first.ndim != 1:
        raise ValueError(f"first and second: expected two 1-d arrays of the same shape, "
                         f"got {shape_str(first.shape)} and {shape_str(second.shape)}")
    for name, idx in (("first", first), ("second", second)):
        if idx.dtype.kind not in "iu":
            raise ValueError(f"{name}: expected integer item indices, got dtype {idx.dtype}")
        if idx.size and (idx.min() < 0 or idx.max() >= utility.size):
            raise ValueError(f"{name}: item indices must lie in [0, {utility.size}), got {idx.min()} to {idx.max()}")
    if not noise > 0:
        raise ValueError(f"noise: expected a positive number, got {noise}")
    rng = np.random.default_rng(seed)
    gap = (utility[first] - utility[second]) / noise
    p_first = 0.5 * (1.0 + np.tanh(0.5 * gap))  # sigmoid(gap), no overflow
    first_chosen = rng.random(first.size) < p_first
    chosen = np.where(first_chosen, first, second).astype(np.int64)
    rejected = np.where(first_chosen, second, first).astype(np.int64)
    return chosen, rejected
    ### END SOLUTION


def make_preferences(
    utility: np.ndarray, probs: np.ndarray, n_pairs: int, seed: int, noise: float = NOISE
) -> tuple[np.ndarray, np.ndarray]:
    """A preference data set (given): pairs drawn from ``probs``, each labelled by a noisy labeller.

    utility: (K,), probs: (K,) -> (chosen: (n_pairs,) int64, rejected: (n_pairs,) int64).
    Uses the seeds [seed, 0] for the pairs and [seed, 1] for the choices.
    """
    first, second = sample_pairs(probs, n_pairs, [seed, 0])
    return bradley_terry_choices(utility, first, second, noise, [seed, 1])
