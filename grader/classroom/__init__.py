"""A class: batch grading of submissions, the gradebook, Gradescope, nbgrader release and autograde.

What an instructor runs (``make grade SUBMISSIONS=dir``, ``make release``, ``make autograde``,
``make gradescope``). Imports: :mod:`grader.engine` and :mod:`grader.authoring` (the release builds
the workbooks); never :mod:`grader.learner`.
"""
