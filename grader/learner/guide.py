"""``status``, ``next`` and ``hint``: where am I, what now, and how do I get unstuck.

- ``status`` (``make status``): every exercise of the phases in progress, done / failing /
  waiting / not started, the time left, and the next step;
- ``next`` (``make next``): the first unfinished exercise, its file and function, what to read,
  how to check it, the first problem;
- ``hint`` (``make hint EX=...``): the manifest's hints, one level at a time, remembered in
  ``.grader/progress.json``.

All three answer from the public tests (:mod:`grader.learner.states`); ``make grade`` alone says
a phase is complete. Imports: :mod:`grader.engine.phases`, :mod:`grader.authoring.manifest` and
:mod:`grader.learner`'s ``states`` and ``output``.
"""

from __future__ import annotations

import argparse
import sys
import time

from grader.authoring.manifest import LEVELS, Course, Exercise, load_course
from grader.engine.phases import PHASES
from grader.learner import names
from grader.learner.output import TINTS, WIDTH, Out, duration, fit, reading
from grader.learner.states import Progress, State, course_report, find_current, unwritten


def cmd_status(args: argparse.Namespace) -> int:
    out = Out()
    course = load_course()
    started_at = time.monotonic()
    reports = course_report(course, use_cache=not args.fresh, timeout=args.timeout, jobs=args.jobs)
    seconds = time.monotonic() - started_at
    progress = Progress()
    progress.observe(course, reports)
    progress.save()
    current = next(((e, reports[e.package].states[e.key]) for e in course.exercises
                    if reports[e.package].present and not reports[e.package].states[e.key].finished), None)
    out("Progress (public tests of your files; make grade runs the hidden tests)", "bold")
    total_done = total = minutes_left = 0
    previous_expanded = True
    for phase in PHASES:
        if phase.name not in course.packages:
            out(out.paint(f"{phase.name:<20}coming soon", "dim"))
            previous_expanded = False
            continue
        result = reports[phase.name]
        exercises = course.of(phase.name)
        states = [result.states[e.key] for e in exercises]
        done = sum(s.finished for s in states)
        left = sum(e.minutes for e, s in zip(exercises, states) if not s.finished)
        if result.present:
            total_done += done
            total += len(exercises)
            minutes_left += left
        counts = f"{done}/{len(exercises)} done" + (f", {duration(left)} left" if left else "")
        is_current = current is not None and current[0].package == phase.name
        untouched = all(s.status == "not started" for s in states)
        expand = result.present and (args.all or is_current or not (untouched or done == len(exercises)))
        if not expand:
            if previous_expanded:
                out()
            shown = "not in this copy" if not result.present else counts
            out(f"{phase.name:<20}" + out.paint(shown, "green" if done == len(exercises) else "dim"))
            previous_expanded = False
            if result.run is not None and result.run.records is None:
                out.wrap(result.run.error, indent=2)
            continue
        head = f"{phase.name}: "
        room = WIDTH - len(head) - len(counts) - 2
        out()
        out(head + fit(phase.title, room).ljust(room) + "  " + counts, "bold")
        if result.run is not None and result.run.records is None:
            out.wrap(result.run.error, indent=2)
        for exercise, state in zip(exercises, states):
            row = (f"  {exercise.number:<6}{fit(exercise.name, 20):<21}{fit(exercise.file, 22):<23}"
                   f"{exercise.minutes:>3} min  ")
            out(row + out.paint(state.label, TINTS.get(state.status, "dim")))
        previous_expanded = True
    out()
    left_text = f"about {duration(minutes_left)} of work left" if minutes_left else "nothing left"
    out(f"Total: {total_done} of {total} exercises done; {left_text} ({seconds:.1f} s).")
    if current is None:
        out("Every exercise passes its public tests. make grade confirms each phase.", "green")
    else:
        exercise, state = current
        out(f"Next: {exercise.title} in {exercise.shown_path} ({state.label}).")
        out("      make next says what to do, make watch checks it on every save.")
    if not args.all:
        out(out.paint("(make status ARGS=--all lists every exercise of every package)", "dim"))
    return 0


def describe_next(course: Course, exercise: Exercise, state: State, out: Out) -> None:
    exercises = course.of(exercise.package)
    position = exercises.index(exercise) + 1
    ref = course.ref(exercise)
    out(f"Next: {exercise.title} ({exercise.package}, exercise {position} of {len(exercises)})", "bold")
    out(f"      difficulty {exercise.difficulty}/3, about {duration(exercise.minutes)}")
    out()
    todo = unwritten(exercise)
    if todo:
        first = next(f for f in exercise.functions if f in todo)
        line = f" (line {todo[first]})" if todo[first] else ""
        rest = [f for f in exercise.functions if f in todo and f != first]
        out.wrap(f"{first} in {exercise.shown_path}{line}" + (", then " + ", ".join(rest) if rest else ""),
                 indent=10, first="  Write   ")
        if len(todo) < len(exercise.functions):
            done = [f for f in exercise.functions if f not in todo]
            out.wrap("already written: " + ", ".join(done), indent=10)
    else:
        out.wrap(", ".join(exercise.functions) + f" in {exercise.shown_path}", indent=10, first="  Fix     ")
    out.wrap(reading(exercise), indent=10, first="  Read    ")
    out(f"  Check   make check EX={ref}   (or leave make watch running)")
    seen = Progress().hints.get(exercise.key, 0)
    more = f"hint {min(seen + 1, LEVELS)} of {LEVELS}" if seen < LEVELS else f"all {LEVELS} hints seen"
    out(f"  Stuck?  make hint EX={ref}   ({more})")
    if state.status in ("failing", "in progress", "blocked", "unknown") and state.message:
        out()
        if state.total:
            out(f"Now {state.total - state.passed} of {state.total} public tests fail; the first problem:")
        out.message(state.message, indent=2, max_lines=6)


def cmd_next(args: argparse.Namespace) -> int:
    out = Out()
    course = load_course()
    found = find_current(course, use_cache=not args.fresh, timeout=args.timeout)
    if found is None:
        out("Every exercise of the course passes its public tests.", "green")
        out("make grade runs the hidden tests and gradient checks of every phase.")
        return 0
    exercise, state, _ = found
    describe_next(course, exercise, state, out)
    return 0


def cmd_hint(args: argparse.Namespace) -> int:
    out = Out()
    course = load_course()
    if args.exercise:
        try:
            exercise = names.resolve(course, args.exercise)
        except LookupError as exc:
            print(f"grader: {exc}", file=sys.stderr)
            return 2
    else:
        found = find_current(course)
        if found is None:
            out("Every exercise passes its public tests: no hint needed. make hint EX=0.2 shows one anyway.")
            return 0
        exercise = found[0]
    progress = Progress()
    seen = int(progress.hints.get(exercise.key, 0))
    level = args.level if args.level is not None else min(seen + 1, LEVELS)
    if not 1 <= level <= len(exercise.hints):
        print(f"grader: --level must be between 1 and {len(exercise.hints)}", file=sys.stderr)
        return 2
    ref = course.ref(exercise)
    out(f"{exercise.title}, hint {level} of {len(exercise.hints)} ({exercise.shown_path})", "bold")
    out()
    out.wrap(exercise.hints[level - 1], indent=2)
    out()
    upcoming = max(seen, level) + 1
    if level < len(exercise.hints) and upcoming <= len(exercise.hints):
        out(f"Still stuck? make hint EX={ref} gives hint {upcoming}"
            f"{' (the shape of the code)' if upcoming == LEVELS else ''}.")
    elif level < len(exercise.hints):
        out(f"The next one again: make hint EX={ref} LEVEL={level + 1}")
    else:
        out("That is the last hint. Once the phase is complete,")
        out(f"make solution PHASE={exercise.package} shows the reference to compare with.")
    out.wrap(reading(exercise), indent=6, first="Read: ")
    progress.hints[exercise.key] = max(seen, level)
    progress.save()
    return 0
