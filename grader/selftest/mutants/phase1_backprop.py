"""Wrong implementations of phase 1 that the hidden tests and gradient checks must catch."""

from grader.selftest.mutants import Mutant

FORWARD = "phase1_backprop/forward.py"
BACKWARD = "phase1_backprop/backward.py"
TRAIN = "phase1_backprop/train.py"
GRADCHECK = "phase1_backprop/gradcheck.py"

MUTANTS = [
    Mutant(
        "linear_backward_transposed_weight_gradient", "phase1_backprop/backward.py",
        "    dw = x.T @ dout  # (D_in, D_out)\n",
        "    dw = dout.T @ x  # (D_in, D_out)\n",
        "the weight gradient has the shape of w transposed",
    ),
    Mutant(
        "linear_backward_bias_gradient_averaged_not_summed", "phase1_backprop/backward.py",
        "    db = dout.sum(axis=0)  # (D_out,)\n",
        "    db = dout.mean(axis=0)  # (D_out,)\n",
        "the bias gradient is not summed over the batch",
    ),
    Mutant(
        "relu_backward_passes_gradient_where_x_is_negative", "phase1_backprop/backward.py",
        "    return np.where(x > 0, dout, 0.0)\n",
        "    return dout * (x != 0)\n",
        "ReLU lets the gradient through where x < 0",
    ),
    Mutant(
        "relu_backward_slope_one_at_zero", "phase1_backprop/backward.py",
        "    return np.where(x > 0, dout, 0.0)\n",
        "    return np.where(x >= 0, dout, 0.0)\n",
        "ReLU's gradient at exactly 0 is taken as 1",
    ),
    Mutant(
        "sigmoid_derivative_from_the_input", "phase1_backprop/forward.py",
        "    out[~positive] = e / (1.0 + e)\n    return out, out\n",
        "    out[~positive] = e / (1.0 + e)\n    return out, x\n",
        "the sigmoid caches its input, so its backward pass computes x (1 - x)",
    ),
    Mutant(
        "sigmoid_backward_applies_the_sigmoid_to_its_output", "phase1_backprop/backward.py",
        "    return dout * out * (1.0 - out)\n",
        "    s = 1.0 / (1.0 + np.exp(-out))\n    return dout * s * (1.0 - s)\n",
        "sigmoid'(x) evaluated at the output instead of the input",
    ),
    Mutant(
        "tanh_backward_without_the_square", "phase1_backprop/backward.py",
        "    return dout * (1.0 - out * out)\n",
        "    return dout * (1.0 - out)\n",
        "tanh's derivative written as 1 - tanh instead of 1 - tanh^2",
    ),
    Mutant(
        "softmax_cross_entropy_gradient_is_a_sum_over_the_batch", "phase1_backprop/backward.py",
        "    dscores /= n\n",
        "",
        "the loss is a mean over the batch but its gradient is a sum",
    ),
    Mutant(
        "mse_loss_gradient_missing_factor_two", "phase1_backprop/backward.py",
        "    dpred = 2.0 * diff / diff.size\n",
        "    dpred = diff / diff.size\n",
        "the MSE gradient lost the 2 of the square",
    ),
    Mutant(
        "mlp_backward_skips_the_activation", "phase1_backprop/backward.py",
        "            dh = ACTIVATION_BACKWARD[activation](dh, activation_cache)\n",
        "            pass\n",
        "the backward pass goes through the linear maps only, never through the nonlinearity",
    ),
    Mutant(
        "mlp_forward_activation_after_the_last_layer", "phase1_backprop/forward.py",
        "        if layer < n_layers:\n",
        "        if layer <= n_layers:\n",
        "the nonlinearity is applied to the scores too",
    ),
    Mutant(
        "mse_loss_forgets_the_output_sigmoid_derivative", "phase1_backprop/train.py",
        "        dscores = sigmoid_backward(dprobs, sigmoid_cache)\n",
        "        dscores = dprobs\n",
        "the gradient skips the sigmoid between the scores and the MSE",
    ),
    Mutant(
        "sgd_step_climbs_the_gradient", "phase1_backprop/train.py",
        "        new_velocity[key] = momentum * v - lr * g\n",
        "        new_velocity[key] = momentum * v + lr * g\n",
        "the update adds the gradient instead of subtracting it",
    ),
    Mutant(
        "sgd_step_updates_the_parameters_in_place", "phase1_backprop/train.py",
        "        new_params[key] = p + new_velocity[key]\n",
        "        p += new_velocity[key]\n        new_params[key] = p\n",
        "the step writes into the caller's arrays instead of making new ones",
    ),
    Mutant(
        "train_ignores_momentum", "phase1_backprop/train.py",
        "            params, velocity = sgd_step(params, grads, lr, velocity, momentum)\n",
        "            params, velocity = sgd_step(params, grads, lr, velocity)\n",
        "the momentum argument never reaches the update",
    ),
    Mutant(
        "he_init_scaled_by_fan_out", "phase1_backprop/train.py",
        "        std = np.sqrt(2.0 / fan_in) if scheme",
        "        std = np.sqrt(2.0 / fan_out) if scheme",
        "He initialisation divides by the layer's outputs instead of its inputs",
    ),
    Mutant(
        "train_without_divergence_check", "phase1_backprop/train.py",
        "            if not np.isfinite(value):\n",
        "            if False:\n",
        "training runs on with a NaN loss instead of stopping",
    ),
    Mutant(
        "network_gradcheck_ignores_the_given_gradients", "phase1_backprop/gradcheck.py",
        "    if grads is None:\n",
        "    if True:\n",
        "the checker always recomputes the gradients, so it cannot be shown a wrong one",
    ),
    # reviewer-style mistakes the contracts of issue 15 catch: value regimes, every activation, resumed state,
    # exact first steps, the checkers' eps and threshold
    Mutant(
        "sigmoid_forward_exp_over_one_plus_exp_everywhere", FORWARD,
        "    out = np.empty_like(x)\n    positive = x >= 0\n",
        "    e = np.exp(x)\n    return e / (1.0 + e), e / (1.0 + e)\n    positive = x >= 0\n",
        "the sigmoid written as exp(x) / (1 + exp(x)) for every x: inf / inf = nan at x = 1000",
    ),
    Mutant(
        "tanh_forward_from_exponentials", FORWARD,
        "    out = np.tanh(x)\n    return out, out\n",
        "    out = (np.exp(x) - np.exp(-x)) / (np.exp(x) + np.exp(-x))\n    return out, out\n",
        "tanh written from exponentials: nan for |x| near 1000",
    ),
    Mutant(
        "mlp_forward_always_relu", FORWARD,
        "            h, activation_cache = ACTIVATION_FORWARD[activation](z)\n",
        "            h, activation_cache = ACTIVATION_FORWARD[\"relu\"](z)\n",
        "the activation argument is checked but the hidden layers always use ReLU",
    ),
    Mutant(
        "mlp_backward_always_relu_backward", BACKWARD,
        "            dh = ACTIVATION_BACKWARD[activation](dh, activation_cache)\n",
        "            dh = np.where(activation_cache > 0, dh, 0.0)\n",
        "the backward pass takes every hidden layer for a ReLU, whatever its activation",
    ),
    Mutant(
        "sigmoid_backward_broadcasts_mismatched_shapes", BACKWARD,
        "    same_shape(dout, out, \"dout\", \"cache\")\n    return dout * out * (1.0 - out)\n",
        "    return dout * out * (1.0 - out)\n",
        "sigmoid_backward lets dout broadcast against a cache of another shape",
    ),
    Mutant(
        "softmax_cross_entropy_log_of_softmax", BACKWARD,
        "    logp = log_softmax(scores, axis=1)  # (N, C)\n",
        "    e = np.exp(scores)\n    logp = np.log(e / e.sum(axis=1, keepdims=True))  # (N, C)\n",
        "log(softmax) without the shift: nan for scores of 1000",
    ),
    Mutant(
        "mse_loss_gradient_divided_by_rows_only", BACKWARD,
        "    dpred = 2.0 * diff / diff.size\n",
        "    dpred = 2.0 * diff / diff.shape[0]\n",
        "the MSE gradient divided by the batch size N instead of the number of entries N C",
    ),
    Mutant(
        "sgd_step_ignores_a_resumed_velocity", TRAIN,
        "        v = np.zeros_like(p) if velocity is None else as_float_array(velocity[key], f\"velocity[{key!r}]\")\n",
        "        v = np.zeros_like(p)\n",
        "the velocity handed in is never used: momentum restarts from zero at every step",
    ),
    Mutant(
        "sgd_step_momentum_not_applied_to_the_parameters", TRAIN,
        "        new_params[key] = p + new_velocity[key]\n",
        "        new_params[key] = p - lr * g\n",
        "the velocity is accumulated and returned, but the parameters take a plain gradient step",
    ),
    Mutant(
        "xavier_init_without_the_two", TRAIN,
        "else np.sqrt(2.0 / (fan_in + fan_out))\n",
        "else np.sqrt(1.0 / (fan_in + fan_out))\n",
        "Xavier's standard deviation taken as sqrt(1 / (fan_in + fan_out))",
    ),
    Mutant(
        "init_params_fresh_generator_per_layer", TRAIN,
        "        params[f\"W{layer}\"] = rng.standard_normal((int(fan_in), int(fan_out))) * std\n",
        "        params[f\"W{layer}\"] = np.random.default_rng(seed).standard_normal((int(fan_in), int(fan_out))) * std\n",
        "every layer draws from a new generator with the same seed, so the layers share their numbers",
    ),
    Mutant(
        "train_always_he_init", TRAIN,
        "        scheme = \"he\" if activation == \"relu\" else \"xavier\"\n",
        "        scheme = \"he\"\n",
        "scheme None gives He for sigmoid and tanh too",
    ),
    Mutant(
        "train_one_update_too_few", TRAIN,
        "            params, velocity = sgd_step(params, grads, lr, velocity, momentum)\n        scores, _",
        "            if epoch < epochs - 1:\n                params, velocity = sgd_step(params, grads, lr, velocity, momentum)\n        scores, _",
        "the last epoch computes its loss but never takes its step",
    ),
    Mutant(
        "network_gradcheck_ignores_eps", GRADCHECK,
        "        reports[name] = check_gradient(f, as_float_array(value, name), grads[name], eps, threshold)\n",
        "        reports[name] = check_gradient(f, as_float_array(value, name), grads[name], 1e-6, threshold)\n",
        "check_network_gradients always uses eps = 1e-6, whatever it is given",
    ),
    Mutant(
        "activation_gradcheck_ignores_threshold", GRADCHECK,
        "    return check_gradient(lambda x_: np.sum(forward(x_)[0] * dout), x, dx, eps, threshold)\n",
        "    return check_gradient(lambda x_: np.sum(forward(x_)[0] * dout), x, dx, eps)\n",
        "check_activation_backward always uses the default threshold",
    ),
    Mutant(
        "linear_gradcheck_projects_without_dout", GRADCHECK,
        "        \"w\": check_gradient(lambda w_: np.sum(linear_forward(x, w_, b)[0] * dout), w, dw, eps, threshold),\n",
        "        \"w\": check_gradient(lambda w_: np.sum(linear_forward(x, w_, b)[0]), w, dw, eps, threshold),\n",
        "the weight check differentiates sum(out) instead of sum(out * dout)",
    ),
]
