"""The grading engine: grade one target (a working copy, ``solutions/`` or a submission).

What lives here: the course's phases in order (:mod:`.phases`), preparing a target copy
(:mod:`.target`), the sandboxed worker and its wire protocol (:mod:`.sandbox`, :mod:`.worker`,
:mod:`.protocol`, :mod:`.callbacks`), the grader's own finite differences (:mod:`.numeric`), the
checks every test file uses (:mod:`.testing`), input domains and differential tests against the
reference (:mod:`.domains`, :mod:`.differential`, :mod:`.chains`), the pytest plugin that turns failures into one-line
verdicts (:mod:`.pytest_plugin`), grading itself (:mod:`.grade`) and the progress table
(:mod:`.report`).

Imports: the standard library, numpy, pytest, hypothesis and its own modules only. Nothing here imports
``grader.learner``, ``grader.classroom`` or ``grader.authoring``; they all build on this package.
"""
