"""A class: collection, batch grading, the gradebook and summary, shards and their merge, the
student's submission zip, Gradescope, nbgrader release and autograde.

What an instructor runs (``make grade SUBMISSIONS=dir``, ``python -m grader merge``,
``make release``, ``make autograde``, ``make gradescope``) and what a student runs to hand work in
(``make submission``). Modules: ``collect`` (entries, ids, packages found in a submission),
``batch`` (one graded process per student), ``stamp`` (the resume key), ``gradebook`` (rows,
grades.csv, feedback, results.json), ``summary``, ``merge``, ``submission``, ``gradescope``,
``release``. Imports: :mod:`grader.engine` and :mod:`grader.authoring`; never :mod:`grader.learner`.
"""
