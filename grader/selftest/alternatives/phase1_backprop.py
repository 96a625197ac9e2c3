"""Correct but differently written implementations of phase 1: each must score full marks."""

from grader.selftest.alternatives import Alternative

FORWARD = "phase1_backprop/forward.py"
BACKWARD = "phase1_backprop/backward.py"
TRAIN = "phase1_backprop/train.py"
GRADCHECK = "phase1_backprop/gradcheck.py"

ALTERNATIVES = [
    Alternative(
        "sigmoid_from_tanh", FORWARD,
        "    out = np.empty_like(x)\n    positive = x >= 0\n    out[positive] = 1.0 / (1.0 + np.exp(-x[positive]))\n"
        "    e = np.exp(x[~positive])\n    out[~positive] = e / (1.0 + e)\n    return out, out\n",
        "    out = 0.5 * (1.0 + np.tanh(x / 2.0))\n    return out, out\n",
        "the docstring's own 0.5 (1 + tanh(x / 2)): 0 instead of 4e-18 at x = -40, right on the array's scale",
    ),
    Alternative(
        "linear_forward_with_einsum", FORWARD,
        "    out = x @ w + b  # (N, D_out)\n",
        "    out = np.einsum(\"nd,do->no\", x, w) + b[None, :]  # (N, D_out)\n",
        "einsum and an explicit broadcast instead of @",
    ),
    Alternative(
        "linear_backward_with_dot_and_ones", BACKWARD,
        "    dx = dout @ w.T  # (N, D_in)\n    dw = x.T @ dout  # (D_in, D_out)\n    db = dout.sum(axis=0)  # (D_out,)\n",
        "    dx = np.dot(dout, w.T)\n    dw = np.einsum(\"ni,no->io\", x, dout)\n    db = np.ones(x.shape[0]) @ dout\n",
        "np.dot, einsum and a product with ones instead of @ and sum",
    ),
    Alternative(
        "relu_backward_by_masking", BACKWARD,
        "    return np.where(x > 0, dout, 0.0)\n",
        "    return dout * (x > 0).astype(dout.dtype)\n",
        "multiplying by a 0/1 mask instead of np.where",
    ),
    Alternative(
        "cross_entropy_with_explicit_logsumexp", BACKWARD,
        "    logp = log_softmax(scores, axis=1)  # (N, C)\n",
        "    shifted = scores - scores.max(axis=1, keepdims=True)\n"
        "    logp = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))  # (N, C)\n",
        "the log-sum-exp written out instead of phase 0's log_softmax",
    ),
    Alternative(
        "init_params_draws_transposed", TRAIN,
        "        params[f\"W{layer}\"] = rng.standard_normal((int(fan_in), int(fan_out))) * std\n",
        "        params[f\"W{layer}\"] = rng.normal(0.0, std, size=(int(fan_out), int(fan_in))).T.copy()\n",
        "the weights drawn as (fan_out, fan_in) and transposed, with rng.normal: another order of the same draws",
    ),
    Alternative(
        "sgd_step_in_place_on_copies", TRAIN,
        "        new_velocity[key] = momentum * v - lr * g\n        new_params[key] = p + new_velocity[key]\n",
        "        step = v * momentum\n        step -= lr * g\n        new_velocity[key] = step\n"
        "        new_params[key] = p.copy()\n        new_params[key] += step\n",
        "in-place arithmetic on new arrays (the inputs are untouched)",
    ),
    Alternative(
        "train_with_a_zero_velocity_dict", TRAIN,
        "    velocity = None\n    history = np.empty(epochs)\n",
        "    velocity = {key: np.zeros_like(value) for key, value in params.items()}\n    history = np.empty(epochs)\n",
        "the velocity starts as explicit zeros instead of None (the same first step)",
    ),
    Alternative(
        "mlp_backward_walks_reversed_caches", BACKWARD,
        "    for layer in range(n_layers, 0, -1):\n        linear_cache, activation, activation_cache = caches[layer - 1]\n",
        "    for layer, (linear_cache, activation, activation_cache) in zip(range(n_layers, 0, -1), reversed(caches)):\n",
        "zip over reversed(caches) instead of indexing",
    ),
]
