"""Wrong implementations of phase 1 that the hidden tests and gradient checks must catch."""

from grader.selftest.mutants import Mutant

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
]
