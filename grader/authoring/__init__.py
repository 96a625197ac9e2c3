"""The course author's tools: stubs from ``solutions/``, the READMEs' exercise tables, the workbooks.

Everything generated from the one source of truth (``solutions/`` with nbgrader's markers) is
written here (``make stubs``, ``make readmes``, ``make notebooks``). The exercise manifest's
loader (:mod:`.manifest`, ``grader/exercises.toml``) lives here too: the author writes the
manifest, the README tables (:mod:`.readmes`) are made from it, and :mod:`grader.learner` reads
it. Imports: :mod:`grader.engine` (the phases) only.
"""
