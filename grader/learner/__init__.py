"""The learner's loop: check, status, next, hint, watch, reset, solution, and the workbook's helper.

Everything a student runs while working through the course (``make check``, ``make status`` ...),
answered from the public tests of the working copy and the exercise manifest
(:mod:`grader.authoring.manifest`). One job per module:

- :mod:`.names`: exercise names on the command line (``EX=0.4``, ``EX=phase0_math.gradcheck``)
  and the one label every tool shows (number and name);
- :mod:`.store`: the files kept in ``.grader/`` (cache, progress, backups), JSON read and written;
- :mod:`.runs`: running a package's public tests, in this process or a child, with the cache;
- :mod:`.states`: the state of every exercise (stubs read from the files, test records), the
  reports of packages and of the course, the current exercise, and the learner's progress;
- :mod:`.output`: the terminal output (80 columns, colour where wanted);
- :mod:`.check`: ``check``; :mod:`.guide`: ``status``, ``next``, ``hint``; :mod:`.reset`:
  ``reset``; :mod:`.solution`: ``solution``; :mod:`.watch`: ``watch`` (through ``watchfiles``);
- :mod:`.commands`: registers those subcommands on the CLI (:mod:`grader.cli`);
- :mod:`.workbook`: what the notebooks' cells call (standalone: :mod:`grader.engine.phases` only).

Imports: :mod:`grader.engine`, :mod:`grader.authoring` (the manifest; ``reset`` uses the stubs)
and each other, in the order of the list above (a module imports only those before it, so there
is no cycle); never :mod:`grader.classroom`.
"""
