"""``python -m grader solution`` (``make solution PHASE=...``): the reference, once it is earned.

The grader decides (hidden tests and gradient checks, through ``python -m grader grade`` in a
subprocess: :func:`grade_package`); before the phase is complete the reference stays hidden
unless ``--force`` asks. It is shown per exercise function as a unified diff of the learner's
code against the reference (:func:`function_diffs`; a function written like the reference gets one
line); ``--whole`` prints the reference files instead. Viewing is remembered in ``.grader/progress.json``. ``watch`` uses
:func:`grade_package` and :func:`grade_summary` too, when a phase passes its public tests.

Imports: :mod:`grader.engine.phases`, :mod:`grader.authoring.manifest` and :mod:`grader.learner`'s
``states`` and ``output``.
"""

from __future__ import annotations

import argparse
import ast
import difflib
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from grader.authoring.manifest import load_course
from grader.engine.phases import REPO, SOLUTIONS, WORKBOOK_SOURCE, Phase, by_name
from grader.learner.output import Out
from grader.learner.states import Progress


def grade_package(phase: Phase, timeout: float = 900) -> tuple[dict | None, str]:
    """The grader's result for one package of the working copy (hidden tests, gradient checks)."""
    with tempfile.TemporaryDirectory(prefix="grader-learner-") as tmp:
        out = Path(tmp) / "result.json"
        try:
            done = subprocess.run([sys.executable, "-m", "grader", "grade", "--phase", phase.name, "--json",
                                   str(out), "--quiet"], cwd=REPO, capture_output=True, text=True, timeout=timeout,
                                  stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            return None, f"grading {phase.name} took longer than {timeout:g} s"
        if done.returncode != 0 or not out.exists():
            tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or [f"exit code {done.returncode}"]
            return None, f"could not grade {phase.name}: {tail[0]}"
        result = json.loads(out.read_text())
    mine = next((p for p in result["phases"] if p["name"] == phase.name), None)
    return mine, "" if mine else f"{phase.name} has no hidden tests to grade"


def grade_summary(graded: dict) -> str:
    tests = f"{sum(t['passed'] for t in graded['tests'])}/{len(graded['tests'])} hidden tests"
    checks = f"{sum(g['passed'] for g in graded['gradchecks'])}/{len(graded['gradchecks'])} gradient checks"
    return f"{graded['score']:g}/{graded['max_score']:g} points, {tests}, {checks}"


def _strip_markers(text: str) -> str:
    return "".join(line for line in text.splitlines(keepends=True)
                   if line.strip() not in ("### BEGIN SOLUTION", "### END SOLUTION"))


def _functions(text: str) -> dict[str, str] | None:
    """{name: source} of every top-level function (and method) of a module; None if it does not parse."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return None
    lines = text.splitlines(keepends=True)
    found = {}
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name not in found:
            first = min([node.lineno] + [d.lineno for d in node.decorator_list])
            found[node.name] = "".join(lines[first - 1: node.end_lineno])
    return found


def function_diffs(reference: str, mine: str | None, functions: list[str], shown: str) -> list[str]:
    """Per function of ``functions`` (those with a solution region), the unified diff of the learner's
    version (``mine``, the text of ``shown``) against the reference's; one line when they agree."""
    theirs = _functions(_strip_markers(reference)) or {}
    yours = _functions(_strip_markers(mine)) if mine is not None else None
    out: list[str] = []
    for name in functions:
        ref = theirs.get(name, "")
        own = (yours or {}).get(name)
        if own is None:
            why = "does not parse" if mine is not None and yours is None else "has no such function"
            out.append(f"--- {name}: your {shown} {why}; the reference:")
            out += ["+" + line for line in ref.splitlines()]
        elif own.strip() == ref.strip():
            out.append(f"=== {name}: the same as the reference")
        else:
            out += [line.rstrip("\n") for line in difflib.unified_diff(
                own.splitlines(keepends=True), ref.splitlines(keepends=True),
                fromfile=f"yours: {shown} {name}", tofile=f"reference: {name}", n=2)]
        out.append("")
    return out


def _regions(text: str) -> list[str]:
    """The functions that hold a solution region, in file order."""
    tree = ast.parse(text)
    names = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            segment = ast.get_source_segment(text, node) or ""
            if "### BEGIN SOLUTION" in segment and node.name not in names:
                names.append((node.lineno, node.name))
    return [name for _, name in sorted(names)]


def cmd_solution(args: argparse.Namespace) -> int:
    out = Out()
    try:
        phase = by_name(args.package)
    except ValueError as exc:
        print(f"grader: {exc}", file=sys.stderr)
        return 2
    source = SOLUTIONS / phase.path
    if not source.is_dir():
        print(f"grader: the reference of {phase.name} is not part of this copy of the course", file=sys.stderr)
        return 1
    if not args.force:
        if not phase.available:
            print(f"grader: {phase.name} has no hidden tests, so the grader cannot say it is complete; "
                  f"make solution PHASE={phase.name} FORCE=1 shows it anyway", file=sys.stderr)
            return 1
        print(f"Grading {phase.name} first (hidden tests and gradient checks)...", file=sys.stderr)
        graded, error = grade_package(phase)
        if graded is None:
            print(f"grader: {error}", file=sys.stderr)
            return 1
        if not graded["complete"]:
            out(f"Not yet: {phase.name} is not complete ({grade_summary(graded)}).", "yellow")
            out(f"Finish it first: make grade PHASE={phase.name} shows what is left, make next and")
            out("make hint help. The reference teaches most once your own version works.")
            out(f"To look anyway: make solution PHASE={phase.name} FORCE=1")
            return 1
        out(f"{phase.name} is complete ({grade_summary(graded)}). The reference, to compare with yours:",
            "green")
    else:
        out(f"The reference of {phase.name}, shown before the grader calls it complete, as you asked.", "yellow")
    order = [e.file for e in load_course().of(phase.name)]
    files = [p for p in sorted(source.rglob("*.py"))
             if "__pycache__" not in p.parts and "tests" not in p.parts and p.name != WORKBOOK_SOURCE
             and "### BEGIN SOLUTION" in p.read_text()]
    files.sort(key=lambda p: order.index(p.name) if p.name in order else len(order))
    if not args.whole:
        out("Per function: a unified diff from your code (-) to the reference (+).")
    for path in files:
        out()
        if args.whole:
            out(f"==> {path.relative_to(REPO)} <==", "bold")
            out.stream.write(_strip_markers(path.read_text()))
            continue
        mine = REPO / phase.path / path.relative_to(source)
        shown = str(mine.relative_to(REPO))
        out(f"==> {shown} against {path.relative_to(REPO)} <==", "bold")
        text = path.read_text()
        for line in function_diffs(text, mine.read_text() if mine.exists() else None, _regions(text), shown):
            tint = "green" if line.startswith("+") and not line.startswith("+++") else (
                "red" if line.startswith("-") and not line.startswith("---") else None)
            out(line, tint)
    if not args.whole:
        out(f"The reference files whole: make solution PHASE={phase.name} ARGS=--whole")
    progress = Progress()
    progress.data["solutions"][phase.name] = {"at": time.strftime("%Y-%m-%dT%H:%M:%S"), "forced": bool(args.force)}
    progress.save()
    return 0
