"""Exercises 1.4a-1.4c: initialise, take gradient steps, train; XOR and a three-armed spiral.

Training is full-batch gradient descent: every epoch runs the forward pass on the whole data
set, computes the loss and its gradient, runs the backward pass, and moves every parameter a
step against its gradient. Randomness enters only through the initial weights (and the data set),
each from ``np.random.default_rng(seed)``: the same seed gives the same run, number for number.
"""

from __future__ import annotations

import numpy as np

from phase0_math.arrays import as_float_array, as_labels, shape_str
from phase1_backprop.backward import mlp_backward, mse_loss, sigmoid_backward, softmax_cross_entropy
from phase1_backprop.forward import ACTIVATIONS, mlp_forward, sigmoid_forward

LOSSES = ("cross_entropy", "mse")
SCHEMES = ("he", "xavier")


class TrainingDiverged(ArithmeticError):
    """Raised by :func:`train` when the loss stops being a finite number (given)."""


def init_params(layer_sizes: list[int], seed: int, scheme: str = "he") -> dict:
    """Random weights and zero biases for a network with the given layer sizes.

    layer_sizes: [D_0, D_1, ..., D_L], the width of the input, of each hidden layer and of the
    output (L >= 1 layers); seed: int. Returns {"W1": (D_0, D_1), "b1": (D_1,), ..., "bL": (D_L,)}.
    W_l is drawn from a normal distribution with mean 0 and standard deviation
      "he":     sqrt(2 / D_{l-1})              (for ReLU, which zeroes half its inputs)
      "xavier": sqrt(2 / (D_{l-1} + D_l))      (Glorot, for sigmoid and tanh)
    so that the activations keep roughly the same size from layer to layer. Biases start at 0.
    Use one rng = np.random.default_rng(seed) and draw W1, W2, ... in order.
    Raises ValueError for an unknown scheme, fewer than two sizes, or a size that is not a positive int.
    """
    ### BEGIN SOLUTION
    if scheme not in SCHEMES:
        raise ValueError(f"scheme: expected one of {', '.join(SCHEMES)}, got {scheme!r}")
    sizes = list(layer_sizes)
    if len(sizes) < 2:
        raise ValueError(f"layer_sizes: expected at least an input and an output size, got {sizes}")
    for i, size in enumerate(sizes):
        if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 1:
            raise ValueError(f"layer_sizes[{i}]: expected a positive integer, got {size!r}")
    rng = np.random.default_rng(seed)
    params = {}
    for layer, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
        std = np.sqrt(2.0 / fan_in) if scheme == "he" else np.sqrt(2.0 / (fan_in + fan_out))
        params[f"W{layer}"] = rng.standard_normal((int(fan_in), int(fan_out))) * std
        params[f"b{layer}"] = np.zeros(int(fan_out))
    return params
    ### END SOLUTION


def sgd_step(
    params: dict, grads: dict, lr: float, velocity: dict | None = None, momentum: float = 0.0
) -> tuple[dict, dict]:
    """One step of gradient descent, with optional (heavy-ball) momentum.

    params, grads: dicts with the same keys and, key by key, the same shapes; velocity: a dict
    like params, or None for zeros. The velocity is the step itself: for every key,
    new_velocity[key] = new_params[key] - params[key]. With momentum = 0 the step is plain
    gradient descent with learning rate lr; with momentum m it is that plain step plus
    m times the previous step (the velocity passed in), Polyak's heavy ball.
    Returns (new_params, new_velocity), two new dicts of new arrays: params, grads and velocity
    are left unchanged.
    Raises ValueError naming the key when a gradient is missing or has the wrong shape.
    """
    ### BEGIN SOLUTION
    new_params, new_velocity = {}, {}
    for key, value in params.items():
        p = as_float_array(value, key)
        if key not in grads:
            raise ValueError(f"grads: no gradient for parameter {key!r}")
        g = as_float_array(grads[key], f"grads[{key!r}]")
        if g.shape != p.shape:
            raise ValueError(
                f"grads[{key!r}]: expected shape {shape_str(p.shape)} like the parameter, got {shape_str(g.shape)}"
            )
        v = np.zeros_like(p) if velocity is None else as_float_array(velocity[key], f"velocity[{key!r}]")
        new_velocity[key] = momentum * v - lr * g
        new_params[key] = p + new_velocity[key]
    return new_params, new_velocity
    ### END SOLUTION


def make_xor() -> tuple[np.ndarray, np.ndarray]:
    """The XOR truth table: x: (4, 2) float64, rows (0,0), (0,1), (1,0), (1,1); y: (4,) int64, [0, 1, 1, 0].

    No straight line separates the two classes: a network needs a hidden layer to get all four.
    """
    ### BEGIN SOLUTION
    x = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = np.array([0, 1, 1, 0], dtype=np.int64)
    return x, y
    ### END SOLUTION


def make_spirals(n_per_class: int, n_classes: int = 3, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Points on ``n_classes`` interleaved spiral arms in the plane, one class per arm.

    Returns (x: (n_per_class * n_classes, 2) float64, y: (n_per_class * n_classes,) int64), the
    points of class 0 first, then class 1, and so on. Arm k: for t taking n_per_class evenly
    spaced values in (0, 1] (t = i / n_per_class, i = 1 ... n_per_class), the point at radius t
    and angle 2 pi (t + k / n_classes) + 0.2 e, e standard normal noise from
    np.random.default_rng(seed), drawn arm by arm: each arm winds once around the origin.
    Every point lies within radius 1. Raises ValueError when n_per_class < 1 or n_classes < 2.
    """
    ### BEGIN SOLUTION
    if n_per_class < 1 or n_classes < 2:
        raise ValueError(f"make_spirals: need n_per_class >= 1 and n_classes >= 2, got {n_per_class}, {n_classes}")
    rng = np.random.default_rng(seed)
    t = np.arange(1, n_per_class + 1) / n_per_class
    xs, ys = [], []
    for k in range(n_classes):
        angle = 2.0 * np.pi * (t + k / n_classes) + 0.2 * rng.standard_normal(n_per_class)
        xs.append(np.stack([t * np.cos(angle), t * np.sin(angle)], axis=1))
        ys.append(np.full(n_per_class, k, dtype=np.int64))
    return np.concatenate(xs), np.concatenate(ys)
    ### END SOLUTION


def accuracy(scores: np.ndarray, labels: np.ndarray) -> float:
    """The fraction of rows whose largest score is at the true label.

    scores: (N, C), labels: (N,) integers in [0, C) -> float in [0, 1].
    Raises ValueError for labels of the wrong shape or dtype, or out of range.
    """
    scores = as_float_array(scores, "scores", ndim=2)
    ### BEGIN SOLUTION
    labels = as_labels(labels, scores.shape[0], scores.shape[1])
    return float(np.mean(np.argmax(scores, axis=1) == labels))
    ### END SOLUTION


def predict(params: dict, x: np.ndarray, activation: str = "relu") -> np.ndarray:
    """The predicted class of every row of x: the index of the largest score. x: (N, D_0) -> (N,) int64."""
    ### BEGIN SOLUTION
    scores, _ = mlp_forward(x, params, activation)
    return np.argmax(scores, axis=1).astype(np.int64)
    ### END SOLUTION


def loss_and_grads(
    params: dict, x: np.ndarray, labels: np.ndarray, loss: str = "cross_entropy", activation: str = "relu"
) -> tuple[float, dict]:
    """Forward pass, loss, backward pass: the loss of the network on (x, labels) and every gradient.

    params: as init_params returns; x: (N, D_0); labels: (N,) integers in [0, D_L).
    loss "cross_entropy": softmax_cross_entropy(scores, labels).
    loss "mse": the outputs go through a sigmoid, p = sigmoid(scores), and the loss is
        mse_loss(p, onehot(labels)), onehot(labels): (N, D_L) with a 1 at each row's label.
    Returns (loss: float, grads: dict with the keys and shapes of params).
    Check it with your check_network_gradients (exercise 1.2), with either loss.
    Raises ValueError for an unknown loss or activation, and for labels that do not fit (wrong
    shape or dtype, or out of range), with either loss.
    """
    ### BEGIN SOLUTION
    if loss not in LOSSES:
        raise ValueError(f"loss: expected one of {', '.join(LOSSES)}, got {loss!r}")
    scores, caches = mlp_forward(x, params, activation)  # (N, D_L)
    n, n_classes = scores.shape
    if loss == "cross_entropy":
        value, dscores = softmax_cross_entropy(scores, labels)
    else:
        labels = as_labels(labels, n, n_classes)
        target = np.zeros((n, n_classes))
        target[np.arange(n), labels] = 1.0
        probs, sigmoid_cache = sigmoid_forward(scores)
        value, dprobs = mse_loss(probs, target)
        dscores = sigmoid_backward(dprobs, sigmoid_cache)
    return value, mlp_backward(dscores, caches)
    ### END SOLUTION


def train(
    x: np.ndarray,
    y: np.ndarray,
    layer_sizes: list[int],
    loss: str = "cross_entropy",
    activation: str = "relu",
    lr: float = 0.5,
    epochs: int = 1000,
    seed: int = 0,
    momentum: float = 0.0,
    scheme: str | None = None,
) -> dict:
    """Train a network of the given layer sizes on (x, y) by full-batch gradient descent.

    x: (N, D_0) with D_0 = layer_sizes[0]; y: (N,) integer labels in [0, layer_sizes[-1]).
    scheme: the initialisation, None for "he" with ReLU and "xavier" with sigmoid or tanh.
    Initialise with init_params(layer_sizes, seed, scheme), then run ``epochs`` epochs of
    loss_and_grads and sgd_step (with ``momentum``; the velocity starts at zero).
    Returns {"params": the trained params, "history": (epochs,) float64, the loss computed in
    each epoch before its update, "accuracy": float, the training accuracy of the trained params}.

    Raises ValueError when x does not fit the first layer (naming layer 1 and both sizes), when a
    label is out of range (naming the label), for an unknown loss or activation, and for epochs < 1.
    If the loss becomes inf or NaN, raises TrainingDiverged
    naming the epoch (counted from 0) and the learning rate, e.g.
    "loss became nan at epoch 3 with learning rate 1e+30: lower the learning rate".
    """
    x = as_float_array(x, "x")
    ### BEGIN SOLUTION
    sizes = list(layer_sizes)
    if loss not in LOSSES:
        raise ValueError(f"loss: expected one of {', '.join(LOSSES)}, got {loss!r}")
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation: expected one of {', '.join(ACTIVATIONS)}, got {activation!r}")
    if x.ndim != 2 or len(sizes) < 2 or x.shape[1] != sizes[0]:
        raise ValueError(
            f"layer 1 takes {sizes[0] if sizes else '?'} inputs (layer_sizes[0]), "
            f"but x has shape {shape_str(x.shape)}"
        )
    y = as_labels(y, x.shape[0], sizes[-1], "y")
    if epochs < 1:
        raise ValueError(f"epochs: expected at least 1, got {epochs}")
    if scheme is None:
        scheme = "he" if activation == "relu" else "xavier"
    params = init_params(sizes, seed, scheme)
    velocity = None
    history = np.empty(epochs)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for epoch in range(epochs):
            value, grads = loss_and_grads(params, x, y, loss, activation)
            if not np.isfinite(value):
                raise TrainingDiverged(
                    f"loss became {value} at epoch {epoch} with learning rate {lr}: lower the learning rate"
                )
            history[epoch] = value
            params, velocity = sgd_step(params, grads, lr, velocity, momentum)
        scores, _ = mlp_forward(x, params, activation)
    return {"params": params, "history": history, "accuracy": accuracy(scores, y)}
    ### END SOLUTION
