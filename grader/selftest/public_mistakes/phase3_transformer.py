"""phase3_transformer/README.md's common mistakes as mutants the public tests must catch."""

from grader.selftest.public_mistakes import graded

MUTANTS = graded(
    "layer_norm_over_the_batch_axis",
    "layer_norm_unbiased_variance",
    "layer_norm_eps_outside_the_square_root",
    "positional_encoding_sine_and_cosine_swapped",
    "positional_encoding_halves_not_interleaved",
    "positional_encoding_exponent_i_over_d",
    "embed_backward_assigns_instead_of_accumulating",
    "embed_accepts_negative_ids",
    "layer_norm_backward_without_the_mean_terms",
    "block_ffn_residual_from_the_block_input",
    "block_pre_norm_residual_adds_the_normalised_input",
    "stack_drops_the_options",
)
