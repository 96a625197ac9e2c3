"""phase1_backprop/README.md's common mistakes as mutants the public tests must catch."""

from grader.selftest.public_mistakes import graded

MUTANTS = graded(
    "linear_backward_transposed_weight_gradient",
    "linear_backward_bias_gradient_averaged_not_summed",
    "relu_backward_passes_gradient_where_x_is_negative",
    "relu_backward_slope_one_at_zero",
    "sigmoid_derivative_from_the_input",
    "softmax_cross_entropy_gradient_is_a_sum_over_the_batch",
    "mse_loss_gradient_missing_factor_two",
    "mse_loss_gradient_divided_by_rows_only",
    "mlp_forward_activation_after_the_last_layer",
    "mse_loss_forgets_the_output_sigmoid_derivative",
    "train_without_divergence_check",
    "sgd_step_updates_the_parameters_in_place",
)

from grader.selftest.mutants import Mutant  # noqa: E402

MUTANTS += [
    Mutant(
        "init_params_all_equal_weights", "phase1_backprop/train.py",
        "        params[f\"W{layer}\"] = rng.standard_normal((int(fan_in), int(fan_out))) * std\n",
        "        params[f\"W{layer}\"] = np.full((int(fan_in), int(fan_out)), std)\n",
        "every weight starts at the same value: every hidden unit learns the same thing",
    ),
]
