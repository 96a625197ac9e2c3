"""extensions/language_models/README.md's common mistakes as mutants the public tests must catch."""

from grader.selftest.public_mistakes import graded

MUTANTS = graded(
    "counts_normalised_over_the_wrong_axis",
    "add_k_in_the_numerator_only",
    "unknown_tokens_get_the_last_id",
    "perplexity_as_exp_of_the_sum",
    "cross_entropy_scores_a_wrapped_first_token",
    "sampling_ignores_the_seed",
    "bpe_ties_broken_at_random",
    "bpe_ties_go_to_the_largest_pair",
    "bpe_merges_overlapping_occurrences",
    "logit_gradient_assigned_not_accumulated",
)
