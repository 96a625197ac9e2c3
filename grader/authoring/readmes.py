"""The READMEs' exercise tables, written from the manifest (``python -m grader readmes``).

Each package README holds its exercises as a table between ``<!-- exercises:begin -->`` and
``<!-- exercises:end -->`` (or, before it has the markers, the first table under an "Exercises"
heading). The table is generated from ``grader/exercises.toml``: edit the manifest, not the
table. ``make stubs`` runs this too; ``--check`` only reports the tables that differ. Only the
table is rewritten, and only when it is a table the generator once wrote (a learner's notes in it
are refused unless ``--force``, which backs the README up first: :func:`grader.authoring.stubs.guarded_write`).

Imports: :mod:`grader.engine.phases`, :mod:`grader.authoring.manifest` and :mod:`grader.authoring.stubs`.
"""

from __future__ import annotations

import argparse
import re
import textwrap
from typing import Any

from grader.authoring import stubs
from grader.authoring.manifest import Course, guarded, load_course
from grader.engine.phases import REPO, by_name

BEGIN_TABLE = "<!-- exercises:begin -->"
END_TABLE = "<!-- exercises:end -->"


def readme_block(course: Course, package: str) -> str:
    exercises = course.of(package)
    lines = [BEGIN_TABLE,
             "<!-- generated from grader/exercises.toml by `make stubs`; edit the manifest, not this table -->",
             "| # | file | functions | difficulty | time |",
             "| --- | --- | --- | --- | --- |"]
    for e in exercises:
        functions = e.detail or ", ".join(f"`{f}`" for f in e.functions)
        lines.append(f"| {e.number} | `{e.file}` | {functions} | {e.difficulty}/3 | {e.minutes} min |")
    first = exercises[0]
    lines += [""] + textwrap.wrap(
        f"`make next` names the exercise to do now; `make check EX={first.number}` runs the public tests of one "
        f"exercise (a number or a name from the table), `make watch` reruns them whenever you save, and "
        f"`make hint EX={first.number}` gives a hint, one level at a time (see `docs/learner.md`).",
        100, break_on_hyphens=False, break_long_words=False) + [END_TABLE]
    return "\n".join(lines)


def updated_readme(text: str, block: str) -> str | None:
    """The README with its exercise table replaced by ``block``; None when it has neither markers
    nor a table under an "Exercises" heading."""
    if BEGIN_TABLE in text and END_TABLE in text:
        start = text.index(BEGIN_TABLE)
        end = text.index(END_TABLE, start) + len(END_TABLE)
        return text[:start] + block + text[end:]
    lines = text.splitlines(keepends=True)
    heading = next((i for i, line in enumerate(lines) if re.match(r"#+ .*\bExercises\b", line, re.I)), None)
    if heading is None:
        return None
    start = next((i for i in range(heading + 1, len(lines)) if lines[i].startswith("|")), None)
    if start is None or any(lines[i].startswith("#") for i in range(heading + 1, start)):
        return None
    end = start
    while end < len(lines) and lines[end].startswith("|"):
        end += 1
    return "".join(lines[:start]) + block + "\n" + "".join(lines[end:])


TABLE_KEY = "#exercises"


def current_table(text: str) -> str:
    """The exercise table a README holds now (between the markers; the whole text before it has them)."""
    if BEGIN_TABLE in text and END_TABLE in text:
        start = text.index(BEGIN_TABLE)
        return text[start: text.index(END_TABLE, start) + len(END_TABLE)]
    return text


def readme_problems(course: Course, write: bool = False, force: bool = False) -> list[str]:
    problems = []
    files: dict = {}
    for package in course.packages:
        path = REPO / by_name(package).readme
        if not path.exists():
            continue
        text = path.read_text()
        new = updated_readme(text, readme_block(course, package))
        shown = path.relative_to(REPO)
        if new is None:
            problems.append(f"{shown}: no exercise table; put {BEGIN_TABLE} {END_TABLE} where it belongs")
        elif new != text:
            if write:
                files[path] = new
            else:
                problems.append(f"{shown}: its exercise table differs from grader/exercises.toml (run make stubs)")
    if files:
        outcome = stubs.guarded_write(files, force=force, key=TABLE_KEY, part=current_table)
        for line in outcome.report("its exercise table", "make readmes FORCE=1 (python -m grader readmes --force)"):
            print(line)
    return problems


def stale(course: Course) -> list[str]:
    """Tables whose text changed since ``make readmes`` last wrote them (the manifest edited without
    regenerating); reads the manifest and the record only, never a learner's README."""
    record = stubs.Record()
    problems = []
    for package in course.packages:
        shown = by_name(package).readme
        if (REPO / shown).exists() and record.latest(shown + TABLE_KEY) != stubs.digest(readme_block(course, package)):
            problems.append(f"{shown}: grader/exercises.toml changed since make readmes wrote its table")
    return problems


def cmd_readmes(args: argparse.Namespace) -> int:
    problems = readme_problems(load_course(), write=not args.check, force=args.force)
    for line in problems:
        print(line)
    return 1 if problems else 0


def add_command(sub: Any) -> None:
    """Register ``readmes`` on the grader's CLI."""
    readmes = sub.add_parser("readmes", help="write the READMEs' exercise tables from grader/exercises.toml")
    readmes.add_argument("--check", action="store_true", help="only report tables that differ")
    readmes.add_argument("--force", action="store_true",
                         help="also rewrite tables changed by hand, after backing the README up")
    readmes.set_defaults(run=guarded(cmd_readmes))
