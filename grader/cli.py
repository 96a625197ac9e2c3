"""Command line: ``python -m grader {grade,batch,check,stubs,notebooks,status,next,hint,watch,reset,solution,readmes}``;
the Makefile calls these."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from grader.engine.phases import PHASES, REPO


def _grade(args: argparse.Namespace) -> int:
    from grader.engine import report
    from grader.engine.grade import grade

    try:
        result = grade(args.target, args.phase or None, seed=args.seed, call_timeout=args.call_timeout,
                       decoupled=args.decoupled, jobs=args.jobs)
    except (FileNotFoundError, ValueError) as exc:
        print(f"grader: {exc}", file=sys.stderr)
        return 2
    if args.decoupled:
        result["decoupled"] = True
    warning = (result.get("isolation") or {}).get("warning")
    if warning:
        print(f"grader: warning: {warning}", file=sys.stderr)
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n")
    if not args.quiet:
        report.render(result, full=args.full)
    return 0


def _check(args: argparse.Namespace) -> int:
    from grader.learner.check import run_check

    return run_check(args)


def _stubs(args: argparse.Namespace) -> int:
    from grader.authoring import stubs

    if args.check:
        problems = stubs.check()
        for line in problems:
            print(line)
        return 1 if problems else 0
    outcome = stubs.write(force=args.force)
    for line in outcome.report("its stub", "make stubs FORCE=1 (python -m grader stubs --force)"):
        print(line)
    return 1 if outcome.refused else 0


def _notebooks(args: argparse.Namespace) -> int:
    try:
        if args.action == "write":
            from grader.authoring import notebooks

            return notebooks.main(check_only=args.check, force=args.force)
        from grader.classroom import release
    except ImportError as exc:  # a student's release has neither
        if not (exc.name or "").startswith("grader."):
            raise
        print(f"grader: notebooks {args.action} is for course authors and instructors; this copy of the course "
              "does not have it", file=sys.stderr)
        return 2
    if args.action == "release":
        return release.release_command(Path(args.course), Path(args.out))
    return release.autograde_command(Path(args.course))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m grader", description="Grade and run the course.")
    sub = parser.add_subparsers(dest="command", required=True)
    names = [p.name for p in PHASES]

    grade = sub.add_parser("grade", help="grade a target (default: the working copy) and print the table")
    grade.add_argument("--target", default=None, help="directory holding the phase packages (default: the repository)")
    grade.add_argument("--phase", action="append", choices=names, help="grade only this phase (repeatable)")
    grade.add_argument("--json", default=None, help="also write the results to this JSON file")
    grade.add_argument("--seed", type=int, default=0, help="seed of the random test inputs (default 0)")
    grade.add_argument("--call-timeout", type=float, default=10.0, help="seconds one call of the target may take")
    grade.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1),
                       help="grade groups of phases in this many processes at once (default: 2 cores' worth)")
    grade.add_argument("--decoupled", action="store_true",
                       help="grade each phase against the reference of the phases before it (one early bug "
                            "does not block the rest)")
    grade.add_argument("--quiet", action="store_true", help="print no table")
    grade.add_argument("--full", action="store_true",
                       help="print every failing check's whole message, for every phase (make grade VERBOSE=1)")
    grade.set_defaults(run=_grade)

    try:  # a student's release has no grader/classroom/
        from grader.classroom.commands import add_commands as add_classroom_commands
    except ImportError as exc:
        if not (exc.name or "").startswith("grader."):
            raise
    else:
        add_classroom_commands(sub)

    check = sub.add_parser("check", help="run the public tests of one phase (or one exercise) on the working copy")
    check.add_argument("phase", nargs="?", choices=names, default=None)
    check.add_argument("--exercise", "-e", default=None,
                       help="only this exercise's tests: a number (0.2), a name (softmax) or a test marker")
    check.add_argument("--decoupled", action="store_true",
                       help="import the phases before this one from the reference solutions for this run")
    check.add_argument("-v", "--verbose", action="store_true", help="pytest's own output, one line per test")
    check.add_argument("pytest_args", nargs=argparse.REMAINDER, help="passed on to pytest (e.g. -k softmax)")
    check.set_defaults(run=_check)

    stub = sub.add_parser("stubs", help="write the phase stubs from solutions/ (or --check they are in sync)")
    stub.add_argument("--check", action="store_true", help="only list the files that differ from their stubs")
    stub.add_argument("--force", action="store_true",
                      help="also overwrite modules changed by hand (a learner's work), after a backup")
    stub.set_defaults(run=_stubs)

    from grader.authoring import readmes
    from grader.learner.commands import add_commands

    add_commands(sub)
    readmes.add_command(sub)

    books = sub.add_parser("notebooks", help="write the workbooks (or --check them); release or autograde a course")
    books.add_argument("action", nargs="?", default="write", choices=["write", "release", "autograde"],
                       help="write: the workbooks from solutions/<path>/workbook.py (default); release: the nbgrader "
                            "course and the student release; autograde: grade the course's submitted/")
    books.add_argument("--check", action="store_true", help="only compare the committed workbooks (write)")
    books.add_argument("--force", action="store_true",
                       help="also overwrite workbooks changed by hand (a learner's answers), after a backup")
    books.add_argument("--course", default="build/course", help="the nbgrader course directory")
    books.add_argument("--out", default="build/release", help="where the student release goes (release)")
    books.set_defaults(run=_notebooks)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.run(args))
