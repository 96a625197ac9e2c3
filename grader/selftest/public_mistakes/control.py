"""extensions/control/README.md's common mistakes as mutants the public tests must catch."""

from grader.selftest.public_mistakes import graded

MUTANTS = graded(
    "ranking_loss_with_the_wrong_sign",
    "ranking_loss_log1p_exp_overflows",
    "ranking_gradient_assigned_not_accumulated",
    "reinforce_score_without_the_mean_feature",
    "reinforce_ignores_the_baseline",
    "loop_baseline_includes_its_own_sample",
    "loop_descends_instead_of_ascends",
    "kl_in_the_wrong_direction",
    "kl_penalty_added_to_the_return",
    "kl_from_probabilities",
)
