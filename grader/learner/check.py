"""``python -m grader check`` (``make check``): the public tests of one phase or one exercise.

The tests run in this process; the engine's pytest plugin turns each failure into one line
("wrong shape: got (3, 4), expected (4, 3)") and :func:`grader.engine.report.render_check` prints
one screen, ending with :func:`check_footer`: the exercise to work on, how to check it alone, a
hint. ``EX=...`` keeps one exercise's tests (:func:`check_target`); ``--decoupled`` imports the
phases before this one from the reference solutions.

Imports: :mod:`grader.engine`, :mod:`grader.authoring.manifest` and :mod:`grader.learner`'s
``runs``, ``states`` and ``output``.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import re
import sys
import textwrap
from typing import Any

from grader.authoring.manifest import Exercise, ManifestError, load_course
from grader.engine import report
from grader.engine.phases import PHASES, REPO, SOLUTIONS, Phase, by_name
from grader.learner import names
from grader.learner.output import WIDTH, Out, reading
from grader.learner.runs import MarkerFilter, ReferenceFirst, as_record
from grader.learner.states import NOT_STARTED, owners, tests_of


def check_target(phase_name: str | None, spec: str | None) -> tuple[Phase, Exercise | None, tuple[str, ...]]:
    """The phase and the markers ``check`` runs, from a phase name and/or an exercise (EX=...)."""
    if spec is None:
        if phase_name is None:
            raise LookupError("name a phase (make check PHASE=phase0_math) or an exercise (make check EX=0.2)")
        return by_name(phase_name), None, ()
    course = load_course()
    exercise = None
    try:
        exercise = names.resolve(course, spec, package=phase_name)
    except LookupError:
        if phase_name is None:
            raise
    if exercise is not None:
        return exercise.phase, exercise, exercise.markers
    return by_name(phase_name), None, (spec,)  # a bare test marker of that phase


def check_footer(phase: Phase, records: list[Any], exercise: Exercise | None,
                 decoupled: bool = False) -> list[str] | None:
    """What ``check`` prints last: the exercise to work on, how to check it alone, a hint."""
    try:
        course = load_course()
    except ManifestError:
        return None
    exercises = course.of(phase.name)
    failed = [r for r in records if not r.passed]
    if not failed:
        if exercise is None:
            return None
        return [f"{exercise.title}: every public test passes. make next names what comes next."]
    first = next((r for r in failed if not (r.message or "").startswith("not started")), failed[0])
    elsewhere = re.search(r"\(([\w/]+)/\w+\.py:\d+\)", first.message or "")
    if elsewhere and elsewhere.group(1) != phase.path and all(
            (r.message or "").startswith("not started") for r in failed):
        match = NOT_STARTED.match(first.message or "")
        what = match.group(1) if match else "a function"
        return textwrap.wrap(f"Next: {what} in {elsewhere.group(1)}/ is not started, and this phase uses it. "
                             f"Finish that first, or check this phase against the reference of the earlier "
                             f"ones: make check PHASE={phase.name} DECOUPLED=1", WIDTH, subsequent_indent="      ")
    cause = report.earlier_cause(phase.name, [r.message or "" for r in failed
                                              if not (r.message or "").startswith("not started")])
    if cause is not None and not decoupled:
        return textwrap.wrap(f"Next: some failures start in {cause[0]} ({cause[1]}), which this phase uses. "
                             f"Fix that first, or check this phase against the reference of the earlier ones: "
                             f"make check PHASE={phase.name} DECOUPLED=1", WIDTH, subsequent_indent="      ")
    owner = None
    match = NOT_STARTED.match(first.message or "")
    if match:
        owner = next((e for e in exercises if match.group(1) in e.functions), None)
    if owner is None:
        candidates = [e for e in exercises if first.exercise in e.markers]
        name = first.nodeid.rsplit("::", 1)[-1]
        owner = (owners(name, candidates) or [None])[0] if candidates else exercise
    if owner is None:
        return None
    ref = course.ref(owner)
    lines = textwrap.wrap(f"Next: {owner.title} in {owner.shown_path}; read {reading(owner)}.", WIDTH,
                          subsequent_indent="      ")
    lines.append(f"      make check EX={ref}   runs this exercise's tests alone")
    lines.append(f"      make hint EX={ref}    gives a hint, one level at a time")
    return lines


def course_groups(phase: Phase, records: list[Any]) -> list[tuple[str, list[Any]]] | None:
    """The records grouped by exercise, labelled and ordered as every learner tool does (the
    manifest's "0.2 softmax", course order); tests of no exercise last, as "other"."""
    try:
        exercises = load_course().of(phase.name)
    except ManifestError:
        return None
    plain = {r.nodeid: as_record(r) for r in records}
    groups, seen = [], set()
    for exercise in exercises:
        mine = {d["nodeid"] for d in tests_of(exercise, exercises, list(plain.values()))}
        chosen = [r for r in records if r.nodeid in mine and r.nodeid not in seen]
        seen |= mine
        if chosen:
            groups.append((names.label(exercise), chosen))
    rest = [r for r in records if r.nodeid not in seen]
    if rest:
        groups.append(("other", rest))
    return groups


def run_check(args: argparse.Namespace) -> int:
    """``python -m grader check``: the public tests of one phase (or exercise), in this process."""
    import pytest

    from grader.engine import pytest_plugin

    rest = list(args.pytest_args)
    for flag in ("--decoupled",):  # options given after the phase land in pytest's arguments
        if flag in rest:
            rest.remove(flag)
            args.decoupled = True
    for flag in ("-v", "--verbose"):
        if flag in rest:
            rest.remove(flag)
            args.verbose = True
    for i, item in enumerate(list(rest)):
        if item in ("--exercise", "-e") and i + 1 < len(rest):
            args.exercise = rest[i + 1]
            del rest[i:i + 2]
            break
        if item.startswith("--exercise="):
            args.exercise = item.split("=", 1)[1]
            del rest[i]
            break
    try:
        phase, exercise, markers = check_target(args.phase, args.exercise)
    except (LookupError, ValueError) as exc:
        print(f"grader: {exc}", file=sys.stderr)
        return 2
    plugins: list[Any] = []
    if args.decoupled:
        if not (SOLUTIONS / PHASES[0].path).is_dir():
            print("grader: --decoupled needs the reference in solutions/, which this copy does not have",
                  file=sys.stderr)
            return 2
        plugins.append(ReferenceFirst(phase))
    if markers:
        plugins.append(MarkerFilter(markers))
    options = ["-p", "no:cacheprovider", f"--rootdir={REPO}", "-c", str(REPO / "pyproject.toml"),
               "-W", "ignore::pytest.PytestAssertRewriteWarning"]
    target = [str(phase.tests_dir), f"--ignore={phase.hidden_dir}"]
    if not any(phase.tests_dir.glob("test_*.py")):
        print(f"{phase.name} has no public tests yet; make grade PHASE={phase.name} runs the hidden ones.")
        return 0
    if args.verbose:
        return int(pytest.main([*target, *options, *rest], plugins=plugins))
    output = io.StringIO()
    with contextlib.redirect_stdout(output), contextlib.redirect_stderr(output):
        code = pytest.main([*target, "-q", "--tb=no", *options, *rest], plugins=plugins)
    if code == pytest.ExitCode.NO_TESTS_COLLECTED and markers:
        what = exercise.title if exercise else f"marker {markers[0]!r}"
        print(f"No public test of {what} in {phase.name}; make grade PHASE={phase.name} runs the hidden ones.")
        return 0
    if code not in (0, 1):
        print(output.getvalue())
        return int(code)
    records = list(pytest_plugin.RESULTS.values())
    if exercise is not None:  # tests shared with other exercises: keep those that are this one's
        course = load_course()
        mine = {r["nodeid"] for r in tests_of(exercise, course.of(phase.name), [as_record(r) for r in records])}
        if mine:
            records = [r for r in records if r.nodeid in mine]
            code = pytest.ExitCode.OK if all(r.passed for r in records) else pytest.ExitCode.TESTS_FAILED
    out = Out()
    if args.decoupled and isinstance(plugins[0], ReferenceFirst) and plugins[0].names:
        out.wrap(f"Decoupled: {', '.join(plugins[0].names)} came from the reference solutions for this run.",
                 indent=0)
    groups = course_groups(phase, records)
    if groups is not None:  # the footer's "first failure" follows the course's order too
        records = [r for _, mine in groups for r in mine]
    report.render_check(phase, records, footer=check_footer(phase, records, exercise, args.decoupled),
                        groups=groups)
    return int(code)
