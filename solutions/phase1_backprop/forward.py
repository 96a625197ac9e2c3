"""Exercise 1.1: the forward pass of a multi-layer perceptron, one layer at a time.

Every layer function returns ``(out, cache)``. The cache holds exactly what the backward pass of
the same layer will need (exercises 1.3a-1.3c), so the backward pass never recomputes the forward
one.

A network of L layers alternates affine maps and a nonlinearity, with no nonlinearity after the
last layer (its outputs are the scores, or logits, that a loss turns into a number):

    h_0 = x,   z_l = h_{l-1} W_l + b_l,   h_l = act(z_l) for l < L,   scores = z_L
"""

from __future__ import annotations

import numpy as np

from phase0_math.arrays import as_float_array, shape_str

ACTIVATIONS = ("relu", "sigmoid", "tanh")


def count_layers(params: dict) -> int:
    """The number of layers L of a parameter dict holding exactly W1, b1, ..., WL, bL (given).

    Raises ValueError when a key is missing or unexpected, e.g. a W3 without a b3.
    """
    if not isinstance(params, dict) or not params:
        raise ValueError(f"params: expected a dict of arrays W1, b1, W2, b2, ..., got {params!r:.60}")
    n_layers = len(params) // 2
    expected = {f"{kind}{layer}" for layer in range(1, n_layers + 1) for kind in ("W", "b")}
    if set(params) != expected or len(params) % 2:
        missing = sorted(expected - set(params))
        extra = sorted(set(params) - expected)
        raise ValueError(
            f"params: expected the keys W1, b1, ..., W{n_layers}, b{n_layers}; "
            f"missing {missing or 'none'}, unexpected {extra or 'none'}"
        )
    return n_layers


def linear_forward(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, tuple]:
    """A fully connected (affine) layer: out = x @ w + b, the bias added to every row.

    x: (N, D_in), w: (D_in, D_out), b: (D_out,) -> (out: (N, D_out), cache: (x, w)).
    The cache keeps the input and the weights: the backward pass needs x for dw and w for dx.
    Raises ValueError naming the shapes when x's columns differ from w's rows, or b is not (D_out,);
    raises ValueError too when x or w is not 2-d.
    """
    x = as_float_array(x, "x")
    w = as_float_array(w, "w")
    b = as_float_array(b, "b")
    ### BEGIN SOLUTION
    if x.ndim != 2 or w.ndim != 2:
        raise ValueError(f"linear_forward: x and w must be 2-d, got x {shape_str(x.shape)} and w {shape_str(w.shape)}")
    if x.shape[1] != w.shape[0]:
        raise ValueError(
            f"linear_forward: x {shape_str(x.shape)} has {x.shape[1]} features per row, "
            f"but w {shape_str(w.shape)} expects {w.shape[0]}"
        )
    if b.shape != (w.shape[1],):
        raise ValueError(
            f"linear_forward: b must have shape {shape_str((w.shape[1],))} to match w {shape_str(w.shape)}, "
            f"got {shape_str(b.shape)}"
        )
    out = x @ w + b  # (N, D_out)
    return out, (x, w)
    ### END SOLUTION


def sigmoid_forward(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The logistic sigmoid 1 / (1 + exp(-x)), entry by entry.

    x: any shape -> (out: same shape, every entry in [0, 1]; cache: out).
    The cache is the *output*: the backward pass needs nothing else (derive sigmoid'(x) and
    write it in terms of sigmoid(x) to see why), so no exp is computed twice.
    x = -1000 must give 0 without an overflow (exp(1000) is inf); use exp(x) / (1 + exp(x)) where
    x < 0, or 0.5 * (1 + tanh(x / 2)).
    """
    x = as_float_array(x, "x")
    ### BEGIN SOLUTION
    out = np.empty_like(x)
    positive = x >= 0
    out[positive] = 1.0 / (1.0 + np.exp(-x[positive]))
    e = np.exp(x[~positive])
    out[~positive] = e / (1.0 + e)
    return out, out
    ### END SOLUTION


def relu_forward(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The rectified linear unit max(x, 0), entry by entry.

    x: any shape -> (out: same shape; cache: x, the input: its sign decides where the gradient flows).
    """
    x = as_float_array(x, "x")
    ### BEGIN SOLUTION
    return np.maximum(x, 0.0), x
    ### END SOLUTION


def tanh_forward(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The hyperbolic tangent, entry by entry.

    x: any shape -> (out: same shape, in [-1, 1]; cache: out, the output, which is all the backward
    pass needs, as for sigmoid).
    """
    x = as_float_array(x, "x")
    ### BEGIN SOLUTION
    out = np.tanh(x)
    return out, out
    ### END SOLUTION


ACTIVATION_FORWARD = {"relu": relu_forward, "sigmoid": sigmoid_forward, "tanh": tanh_forward}


def mlp_forward(x: np.ndarray, params: dict, activation: str = "relu") -> tuple[np.ndarray, list]:
    """The forward pass of an L-layer perceptron (L = 2 or 3 here; any L >= 1 works).

    x: (N, D_0); params: {"W1": (D_0, D_1), "b1": (D_1,), "W2": (D_1, D_2), "b2": (D_2,), ...};
    activation: "relu", "sigmoid" or "tanh", applied after every layer but the last.
    Returns (scores: (N, D_L), caches): caches is a list of L tuples, one per layer in order,
    (linear_cache, activation_name, activation_cache); the last layer's is (linear_cache, None, None).

    Raises ValueError for an unknown activation, for params whose keys are not exactly W1, b1, ...,
    WL, bL, for x that is not 2-d, for a bias b_l that is not (D_l,), and when the layers do not
    chain, naming the layer: "layer 2: W2 has shape (5, 3), so it takes 5 inputs, but layer 1 gives
    4 (W1 has shape (2, 4))"; x whose width does not fit W1 names layer 1.
    Hint: count_layers(params) gives L and checks the keys; ACTIVATION_FORWARD maps a name to its function.
    """
    x = as_float_array(x, "x")
    ### BEGIN SOLUTION
    if activation not in ACTIVATION_FORWARD:
        raise ValueError(f"activation: expected one of {', '.join(ACTIVATIONS)}, got {activation!r}")
    n_layers = count_layers(params)
    if x.ndim != 2:
        raise ValueError(f"x: expected a 2-d array (N, D_0), got shape {shape_str(x.shape)}")
    h = x
    caches = []
    for layer in range(1, n_layers + 1):
        w = as_float_array(params[f"W{layer}"], f"W{layer}", ndim=2)
        b = as_float_array(params[f"b{layer}"], f"b{layer}", ndim=1)
        if w.shape[0] != h.shape[1]:
            if layer == 1:
                source = f"x has shape {shape_str(x.shape)}"
            else:
                previous = np.shape(params[f"W{layer - 1}"])
                source = f"layer {layer - 1} gives {h.shape[1]} (W{layer - 1} has shape {shape_str(previous)})"
            raise ValueError(
                f"layer {layer}: W{layer} has shape {shape_str(w.shape)}, so it takes {w.shape[0]} inputs, but {source}"
            )
        if b.shape != (w.shape[1],):
            raise ValueError(
                f"layer {layer}: b{layer} must have shape {shape_str((w.shape[1],))} to match W{layer} "
                f"{shape_str(w.shape)}, got {shape_str(b.shape)}"
            )
        z, linear_cache = linear_forward(h, w, b)  # (N, D_layer)
        if layer < n_layers:
            h, activation_cache = ACTIVATION_FORWARD[activation](z)
            caches.append((linear_cache, activation, activation_cache))
        else:
            h = z
            caches.append((linear_cache, None, None))
    return h, caches
    ### END SOLUTION
