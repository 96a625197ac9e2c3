"""The course author's tools: stubs from ``solutions/``, the READMEs' exercise tables, the workbooks.

Everything generated from the one source of truth (``solutions/`` with nbgrader's markers) is
written here (``make stubs``, ``make readmes``, ``make notebooks``). Imports: :mod:`grader.engine`
(the phases) only.
"""
