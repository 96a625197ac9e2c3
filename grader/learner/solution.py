"""``python -m grader solution`` (``make solution PHASE=...``): the reference, once it is earned.

The grader decides (hidden tests and gradient checks, through ``python -m grader grade`` in a
subprocess: :func:`grade_package`); before the phase is complete the reference stays hidden
unless ``--force`` asks. Viewing is remembered in ``.grader/progress.json``. ``watch`` uses
:func:`grade_package` and :func:`grade_summary` too, when a phase passes its public tests.

Imports: :mod:`grader.engine.phases`, :mod:`grader.authoring.manifest` and :mod:`grader.learner`'s
``states`` and ``output``.
"""

from __future__ import annotations

import argparse
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
    for path in files:
        out()
        out(f"==> {path.relative_to(REPO)} <==", "bold")
        out.stream.write(_strip_markers(path.read_text()))
    progress = Progress()
    progress.data["solutions"][phase.name] = {"at": time.strftime("%Y-%m-%dT%H:%M:%S"), "forced": bool(args.force)}
    progress.save()
    return 0
