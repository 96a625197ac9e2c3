"""The learner's subcommands on the grader's command line (``python -m grader status`` ...).

:func:`add_commands` registers status, next, hint, watch, reset and solution (``check`` is
registered by :mod:`grader.cli` and runs :func:`grader.learner.check.run_check`). Each command's
module is imported only when that command runs, so building the parser stays cheap for every
other command; a broken manifest is reported in one line (:func:`grader.authoring.manifest.guarded`).

Imports: :mod:`grader.engine.phases`, :mod:`grader.authoring.manifest`, :mod:`grader.learner.runs`
and, when a command runs, its module.
"""

from __future__ import annotations

import argparse
from typing import Any

from grader.authoring.manifest import guarded
from grader.engine.phases import PHASES
from grader.learner.runs import PACKAGE_TIMEOUT


def _status(args: argparse.Namespace) -> int:
    from grader.learner.guide import cmd_status

    return cmd_status(args)


def _next(args: argparse.Namespace) -> int:
    from grader.learner.guide import cmd_next

    return cmd_next(args)


def _hint(args: argparse.Namespace) -> int:
    from grader.learner.guide import cmd_hint

    return cmd_hint(args)


def _watch(args: argparse.Namespace) -> int:
    from grader.learner.watch import cmd_watch

    return cmd_watch(args)


def _reset(args: argparse.Namespace) -> int:
    from grader.learner.reset import cmd_reset

    return cmd_reset(args)


def _solution(args: argparse.Namespace) -> int:
    from grader.learner.solution import cmd_solution

    return cmd_solution(args)


def add_commands(sub: Any) -> None:
    """Register status, next, hint, watch, reset and solution on the grader's CLI."""
    names = [p.name for p in PHASES]

    status = sub.add_parser("status", help="your progress: every exercise, done / failing / not started")
    status.add_argument("--all", action="store_true", help="list the exercises of every package")
    status.add_argument("--fresh", action="store_true", help="rerun every test (ignore .grader/cache.json)")
    status.add_argument("--timeout", type=float, default=PACKAGE_TIMEOUT, help="seconds per package")
    status.add_argument("--jobs", type=int, default=2, help="packages tested at once (default 2)")
    status.set_defaults(run=guarded(_status))

    nxt = sub.add_parser("next", help="the first unfinished exercise: file, function, how to check it")
    nxt.add_argument("--fresh", action="store_true", help="rerun every test (ignore .grader/cache.json)")
    nxt.add_argument("--timeout", type=float, default=PACKAGE_TIMEOUT, help="seconds per package")
    nxt.set_defaults(run=guarded(_next))

    hint = sub.add_parser("hint", help="a hint for an exercise (default: the current one), a level at a time")
    hint.add_argument("exercise", nargs="?", default=None, help="a number (0.2) or a name (softmax)")
    hint.add_argument("--level", type=int, default=None, help="show this level (1 nudge, 2 idea, 3 code shape)")
    hint.set_defaults(run=guarded(_hint))

    watch = sub.add_parser("watch", help="rerun the current exercise's public tests whenever a file changes")
    watch.add_argument("--poll", action="store_true", help="poll modification times instead of file events")
    watch.add_argument("--interval", type=float, default=1.0, help="seconds between polls (default 1)")
    watch.add_argument("--max-runs", type=int, default=0, help="stop after this many test runs (0: never)")
    watch.add_argument("--no-clear", action="store_true", help="never clear the screen between runs")
    watch.set_defaults(run=guarded(_watch))

    reset = sub.add_parser("reset", help="restore an exercise's functions to their stubs (keeps a backup)")
    reset.add_argument("exercise", help="a number (0.2) or a name (softmax)")
    reset.add_argument("--whole-file", action="store_true", help="restore the whole file, not just the functions")
    reset.set_defaults(run=guarded(_reset))

    solution = sub.add_parser("solution", help="your code against the reference, per function, once the grader "
                                                   "says the package is complete")
    solution.add_argument("package", choices=names)
    solution.add_argument("--force", action="store_true", help="show it even before the package is complete")
    solution.add_argument("--whole", action="store_true",
                          help="print the reference files whole instead of a diff per function against yours")
    solution.set_defaults(run=guarded(_solution))
