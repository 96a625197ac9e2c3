"""The course's grading engine and tooling. Command line: ``python -m grader --help``."""
