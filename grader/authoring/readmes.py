"""The READMEs' exercise tables, written from the manifest (``python -m grader readmes``).

Each package README holds its exercises as a table between ``<!-- exercises:begin -->`` and
``<!-- exercises:end -->`` (or, before it has the markers, the first table under an "Exercises"
heading). The table is generated from ``grader/exercises.toml``: edit the manifest, not the
table. ``make stubs`` runs this too; ``--check`` only reports the tables that differ.

Imports: :mod:`grader.engine.phases` and :mod:`grader.authoring.manifest`.
"""

from __future__ import annotations

import argparse
import re
import textwrap
from typing import Any

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


def readme_problems(course: Course, write: bool = False) -> list[str]:
    problems = []
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
                path.write_text(new)
                print(f"wrote {shown}")
            else:
                problems.append(f"{shown}: its exercise table differs from grader/exercises.toml (run make stubs)")
    return problems


def cmd_readmes(args: argparse.Namespace) -> int:
    problems = readme_problems(load_course(), write=not args.check)
    for line in problems:
        print(line)
    return 1 if problems and args.check else 0


def add_command(sub: Any) -> None:
    """Register ``readmes`` on the grader's CLI."""
    readmes = sub.add_parser("readmes", help="write the READMEs' exercise tables from grader/exercises.toml")
    readmes.add_argument("--check", action="store_true", help="only report tables that differ")
    readmes.set_defaults(run=guarded(cmd_readmes))
