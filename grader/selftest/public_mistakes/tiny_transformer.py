"""extensions/tiny_transformer/README.md's common mistakes as mutants the public tests must catch."""

from grader.selftest.public_mistakes import graded

MUTANTS = graded(
    "pre_norm_residual_gradient_dropped",
    "post_norm_residual_gradient_dropped",
    "self_attention_key_value_gradient_dropped",
    "stack_gradients_in_reverse_order",
    "causal_mask_missing_in_the_model",
    "loss_not_shifted_by_one_token",
    "loss_averaged_over_every_position_despite_the_mask",
    "tied_output_gradient_reshaped_not_transposed",
    "tied_embedding_misses_the_output_gradient",
    "adam_without_bias_correction",
    "adam_moments_swapped",
    "adam_eps_inside_the_square_root",
    "grad_norm_logged_after_clipping",
    "sampling_feeds_the_whole_history",
)
