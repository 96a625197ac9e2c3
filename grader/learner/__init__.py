"""The learner's loop: check, status, next, hint, watch, reset, solution, and the workbook's helper.

Everything a student runs while working through the course (``make check``, ``make status`` ...).
Imports: :mod:`grader.engine` (phases, report, the pytest plugin, grading one package) and
:mod:`grader.authoring.stubs` (``reset`` puts a function back to its stub); never
:mod:`grader.classroom`.
"""
