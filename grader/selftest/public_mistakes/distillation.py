"""extensions/distillation/README.md's common mistakes as mutants the public tests must catch."""

from grader.selftest.public_mistakes import graded

MUTANTS = graded(
    "kl_from_the_student_to_the_teacher",
    "temperature_on_the_teacher_only",
    "temperature_on_the_student_only",
    "soft_term_without_t_squared",
    "soft_gradient_not_divided_by_t",
    "log_softmax_t_as_log_of_softmax",
    "distillation_kl_from_log_of_softmax",
)
