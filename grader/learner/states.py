"""Where the learner stands: the state of every exercise, and what the learner did so far.

- An exercise is *not started* while every one of its functions still raises the stub's
  ``NotImplementedError("not started: ...")`` (read from the file, no test needed: :func:`unwritten`);
  *done* when every public test that belongs to it passes; *in progress* while its only failures
  are its own functions not started yet; *blocked* when they are another exercise's; *failing*
  otherwise (:func:`evaluate`).
- :func:`package_report`, :func:`course_report` and :func:`find_current` run as few packages'
  public tests as they can (:mod:`grader.learner.runs`) to say so.
- :class:`Progress` keeps what the learner did in ``.grader/progress.json``.

Imports: :mod:`grader.engine.phases`, :mod:`grader.authoring.manifest`, :mod:`grader.learner.runs`
and :mod:`grader.learner.store`.
"""

from __future__ import annotations

import ast
import contextlib
import re
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from grader.authoring.manifest import Course, Exercise
from grader.engine.phases import REPO, Phase, by_name
from grader.learner.runs import PACKAGE_TIMEOUT, Run, run_package
from grader.learner.store import PROGRESS_FILE, load_json, save_json

NOT_STARTED = re.compile(r"not started: (\w+)")


# -- the student's files, read without running them -----------------------------------------------


def _is_stub_raise(statement: ast.stmt) -> bool:
    if not isinstance(statement, ast.Raise) or not isinstance(statement.exc, ast.Call):
        return False
    call = statement.exc
    if not (isinstance(call.func, ast.Name) and call.func.id == "NotImplementedError") or not call.args:
        return False
    first = call.args[0]
    return isinstance(first, ast.Constant) and isinstance(first.value, str) and first.value.startswith("not started")


def stub_lines(path: Path) -> dict[str, int] | None:
    """{function: line of its stub raise} for every function of ``path`` still a stub; None when the
    file does not parse (or is missing)."""
    try:
        tree = ast.parse(path.read_text())
    except (OSError, SyntaxError, ValueError):
        return None
    found = {}
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for statement in node.body:
                if _is_stub_raise(statement):
                    found[node.name] = statement.lineno
                    break
    return found


def unwritten(exercise: Exercise) -> dict[str, int]:
    """The exercise's functions still stubs, with their lines (all of them when the file is missing)."""
    if not exercise.path.exists():
        return {f: 0 for f in exercise.functions}
    stubs = stub_lines(exercise.path)
    if stubs is None:  # a syntax error: the tests will say so
        return {}
    return {f: stubs[f] for f in exercise.functions if f in stubs}


def started(exercise: Exercise) -> bool:
    return len(unwritten(exercise)) < len(exercise.functions)


# -- from test results to the state of each exercise -----------------------------------------------


@dataclass
class State:
    status: str  # done, failing, in progress, blocked, not started, written (no public tests), unknown
    passed: int = 0
    total: int = 0
    message: str = ""
    records: list[dict] = field(default_factory=list)
    waiting_for: str = ""  # blocked: the number of the exercise whose function is not started

    @property
    def finished(self) -> bool:
        """Done for the purpose of moving on (written counts: there is no public test to pass)."""
        return self.status in ("done", "written")

    @property
    def label(self) -> str:
        if self.status in ("failing", "in progress") and self.total:
            return f"{self.status} {self.passed}/{self.total}"
        if self.status == "written":
            return "written, no tests"
        if self.status == "blocked":
            return f"waits for {self.waiting_for}" if self.waiting_for else "blocked"
        if self.status == "unknown":
            return "could not run"
        return self.status


def _not_started_in(message: str, names: Iterable[str]) -> bool:
    match = NOT_STARTED.match(message or "")
    return bool(match) and match.group(1) in set(names)


def owners(test_name: str, candidates: list[Exercise]) -> list[Exercise]:
    """Which of the exercises sharing a marker a test belongs to: the one whose function the test's
    name spells out (the longest such name wins), else all of them."""
    best = {e.key: max((len(f) for f in e.functions if f in test_name), default=0) for e in candidates}
    top = max(best.values(), default=0)
    return [e for e in candidates if best[e.key] == top] if top else candidates


def tests_of(exercise: Exercise, package_exercises: list[Exercise], records: list[dict]) -> list[dict]:
    mine = []
    for record in records:
        if record.get("exercise") not in exercise.markers:
            continue
        sharing = [e for e in package_exercises if record["exercise"] in e.markers]
        if len(sharing) > 1 and exercise not in owners(record["name"], sharing):
            continue
        mine.append(record)
    return mine


def evaluate(course: Course, package: str, records: list[dict] | None, error: str = "") -> dict[str, State]:
    """The state of every exercise of ``package`` from its public test records (None: not run)."""
    exercises = course.of(package)
    states = {}
    for i, exercise in enumerate(exercises):
        todo = unwritten(exercise)
        broken = [r for r in tests_of(exercise, exercises, records or [])
                  if r["message"].startswith("the module does not import")]
        if len(todo) == len(exercise.functions) and not broken:
            first = exercise.functions[0]
            line = todo.get(first, 0)
            where = f" ({exercise.shown_path}:{line})" if line else f" ({exercise.shown_path} is missing)"
            states[exercise.key] = State("not started", message=f"not started: {first}{where}")
            continue
        if records is None:
            states[exercise.key] = State("unknown", message=error)
            continue
        mine = tests_of(exercise, exercises, records)
        if not mine:
            states[exercise.key] = State("written")
            continue
        later = {f for e in exercises[i + 1:] if set(e.markers) & set(exercise.markers) for f in e.functions}
        blocking = [r for r in mine if not r["passed"] and not _not_started_in(r["message"], later)]
        blocking.sort(key=lambda r: r["message"].startswith("not started"))  # real mistakes first
        passed = sum(r["passed"] for r in mine)
        waiting = None
        if not blocking and passed:
            status = "done"
        elif all(_not_started_in(r["message"], exercise.functions) for r in blocking):
            status = "in progress"
        elif all(NOT_STARTED.match(r["message"]) for r in blocking) and not any(
                _not_started_in(r["message"], exercise.functions) for r in blocking):
            status = "blocked"  # its own functions are written; another exercise's are not
            waiting = course.owner(blocking[0]["message"])
        else:
            status = "failing"
        shown = blocking or [r for r in mine if not r["passed"]]
        states[exercise.key] = State(status, passed, len(mine), shown[0]["message"] if shown else "", mine,
                                     waiting.number if waiting else "")
    return states


@dataclass
class PackageReport:
    phase: Phase
    states: dict[str, State]
    run: Run | None  # None when nothing was started (no test needed)
    present: bool = True


def package_report(course: Course, package: str, use_cache: bool = True,
                   timeout: float = PACKAGE_TIMEOUT) -> PackageReport:
    phase = by_name(package)
    if not (REPO / phase.path).is_dir():
        return PackageReport(phase, {e.key: State("not started", message=f"{phase.path}/ is not in this copy")
                                     for e in course.of(package)}, None, present=False)
    if not any(started(e) for e in course.of(package)):
        return PackageReport(phase, evaluate(course, package, None), None)
    run = run_package(phase, timeout=timeout, use_cache=use_cache)
    return PackageReport(phase, evaluate(course, package, run.records, run.error), run)


def course_report(course: Course, use_cache: bool = True, timeout: float = PACKAGE_TIMEOUT,
                  jobs: int = 2) -> dict[str, PackageReport]:
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = {p: pool.submit(package_report, course, p, use_cache, timeout) for p in course.packages}
        return {p: f.result() for p, f in futures.items()}


def find_current(course: Course, use_cache: bool = True,
                 timeout: float = PACKAGE_TIMEOUT) -> tuple[Exercise, State, PackageReport] | None:
    """The first exercise of the course not finished yet (running as few packages as it can)."""
    for package in course.packages:
        result = package_report(course, package, use_cache, timeout)
        if not result.present:
            continue
        for exercise in course.of(package):
            state = result.states[exercise.key]
            if not state.finished:
                return exercise, state, result
    return None


# -- what the learner did: .grader/progress.json --------------------------------------------------


class Progress:
    def __init__(self, path: Path = PROGRESS_FILE):
        self.path = path
        data = load_json(path)
        self.data = {"version": 1, "hints": {}, "exercises": {}, "solutions": {}}
        for key in ("hints", "exercises", "solutions"):
            if isinstance(data.get(key), dict):
                self.data[key] = data[key]

    @property
    def hints(self) -> dict[str, int]:
        return self.data["hints"]

    def observe(self, course: Course, reports: dict[str, PackageReport]) -> None:
        """Remember when each exercise was first seen started, and first seen done."""
        now = time.strftime("%Y-%m-%dT%H:%M:%S")
        for result in reports.values():
            for key, state in result.states.items():
                entry = self.data["exercises"].setdefault(key, {})
                if state.status != "not started":
                    entry.setdefault("started", now)
                if state.status == "done":
                    entry.setdefault("done", now)
                if not entry:
                    del self.data["exercises"][key]

    def save(self) -> None:
        with contextlib.suppress(OSError):
            save_json(self.path, self.data)
