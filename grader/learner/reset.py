"""``python -m grader reset`` (``make reset EX=...``): put an exercise back to its stub.

Only the exercise's functions are replaced by their stubs (helpers and the rest of the file stay);
the whole file when it does not parse or ``--whole-file`` asks. The learner's version is kept
under ``.grader/backups/<time>/``. The stubs come from :func:`grader.authoring.stubs.planned`
(generated from ``solutions/``).

Imports: :mod:`grader.engine.phases`, :mod:`grader.authoring` (``manifest``, ``stubs``) and
:mod:`grader.learner`'s ``store`` and ``output``.
"""

from __future__ import annotations

import argparse
import ast
import shutil
import sys
import time
from typing import Iterable

from grader.authoring.manifest import load_course
from grader.engine.phases import REPO
from grader.learner import names
from grader.learner.output import Out
from grader.learner.store import BACKUPS


def _function_spans(source: str) -> dict[str, tuple[int, int]]:
    """{name: (first line, last line)} of the module's top-level functions, decorators included,
    and comments indented inside the function after its last statement (``### END SOLUTION``)."""
    lines = source.splitlines()
    spans = {}
    for node in ast.parse(source).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            first = min([node.lineno] + [d.lineno for d in node.decorator_list])
            last = node.end_lineno or node.lineno
            for number in range(last + 1, len(lines) + 1):
                text = lines[number - 1]
                if not text.strip():
                    continue
                if text.lstrip().startswith("#") and len(text) - len(text.lstrip()) > node.col_offset:
                    last = number
                    continue
                break
            spans[node.name] = (first, last)
    return spans


def restore_functions(current: str, stub: str, names: Iterable[str]) -> str | None:
    """``current`` with the functions ``names`` replaced by their versions in ``stub``; None when
    ``current`` does not parse or lacks one of them (then the whole file is restored)."""
    try:
        mine, theirs = _function_spans(current), _function_spans(stub)
    except SyntaxError:
        return None
    names = list(names)
    if any(n not in mine or n not in theirs for n in names):
        return None
    lines, stub_lines_ = current.splitlines(keepends=True), stub.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    for name in sorted(names, key=lambda n: mine[n][0], reverse=True):
        start, end = mine[name]
        s_start, s_end = theirs[name]
        lines[start - 1:end] = stub_lines_[s_start - 1:s_end]
    return "".join(lines)


def cmd_reset(args: argparse.Namespace) -> int:
    from grader.authoring import stubs

    out = Out()
    course = load_course()
    try:
        exercise = names.resolve(course, args.exercise)
    except LookupError as exc:
        print(f"grader: {exc}", file=sys.stderr)
        return 2
    planned = stubs.planned()
    stub = planned.get(exercise.path)
    if stub is None:
        print(f"grader: no generated stub for {exercise.shown_path} (solutions/ is not in this copy); "
              f"git checkout -- {exercise.shown_path} restores the committed one", file=sys.stderr)
        return 1
    current = exercise.path.read_text() if exercise.path.exists() else None
    whole = args.whole_file or current is None
    new = stub if whole else restore_functions(current, stub, exercise.functions)
    if new is None:
        new, whole = stub, True
    if current == new:
        out(f"{exercise.shown_path}: {', '.join(exercise.functions)} already are the stubs; nothing to reset.")
        return 0
    if current is not None:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        backup = BACKUPS / stamp / exercise.path.relative_to(REPO)
        for count in range(1, 1000):
            if not backup.exists():
                break
            backup = BACKUPS / f"{stamp}-{count}" / exercise.path.relative_to(REPO)
        backup.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(exercise.path, backup)
    exercise.path.write_text(new)
    what = "the whole file" if whole else ", ".join(exercise.functions)
    out(f"Reset {exercise.title}: {what} in {exercise.shown_path} back to the stub.")
    if current is not None:
        out.wrap(f"Your version is saved as {backup.relative_to(REPO)}", indent=2, first="")
    return 0
