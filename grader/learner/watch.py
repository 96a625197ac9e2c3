"""``python -m grader watch`` (``make watch``): rerun the current exercise's tests on every save.

It shows the current exercise's public tests on one screen, waits until a ``.py`` file of the
course's packages changes (their ``tests/`` folders aside), and then re-verifies: it reruns every
public test of the phase and shows the first exercise that does not pass, so it moves on when the
current one passes, and goes back (saying which earlier exercise broke) after a ``make reset`` or
a regression (:func:`first_open`, :func:`went_back`). When a whole phase passes it asks the grader
whether the phase is complete, and when the course is done it says so and stops.

Waiting is the ``watchfiles`` library's job (:class:`ChangeWatcher`): the operating system's file
events, or with ``--poll`` a poll of the files every ``--interval`` seconds (for shared and
network folders, where events do not arrive).

Imports: :mod:`watchfiles`, :mod:`grader.engine.phases`, :mod:`grader.authoring.manifest` and
:mod:`grader.learner`'s ``runs``, ``states``, ``output`` and ``solution``.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path
from typing import Iterable

import watchfiles

from grader.authoring.manifest import LEVELS, Course, Exercise, load_course
from grader.engine.phases import PHASES, REPO, Phase
from grader.learner.output import WIDTH, Out, fit, reading
from grader.learner.runs import run_package
from grader.learner.solution import grade_package, grade_summary
from grader.learner.states import Progress, State, evaluate, find_current, started

TICK_MS = 200  # watchfiles hands control back this often without a change (timeouts)
SETTLE_MS = 150  # an editor's save is several events: a change counts once this long passes without another


class PythonSources(watchfiles.DefaultFilter):
    """The changes watch cares about: ``.py`` files under the watched folders, not in ``tests/``
    (nor in ``__pycache__``, ``.git`` ... nor editors' lock and backup files: watchfiles' defaults)."""

    ignore_dirs = (*watchfiles.DefaultFilter.ignore_dirs, "tests")

    def __init__(self, folders: Iterable[Path]):
        super().__init__()
        roots = {str(f) for f in folders} | {str(f.resolve()) for f in folders}
        self.roots = sorted(roots, key=len, reverse=True)

    def __call__(self, change: watchfiles.Change, path: str) -> bool:
        if not path.endswith(".py"):
            return False
        for root in self.roots:
            if path.startswith(root + os.sep):
                return super().__call__(change, path[len(root):])  # judged below the folder only
        return False


class ChangeWatcher:
    """Waits until a ``.py`` file under ``folders`` changes, through watchfiles: file events, or a
    poll every ``interval`` seconds when ``poll`` is asked for."""

    def __init__(self, folders: Iterable[Path], poll: bool = False, interval: float = 1.0):
        self.folders = [f for f in folders if f.is_dir()]
        self.poll = poll
        self.interval = interval
        try:
            self._start()
        except (OSError, RuntimeError):  # no file events here (the system's limit of watches?): poll
            if poll:
                raise
            self.poll = True
            self._start()

    def _start(self) -> None:
        self._changes = watchfiles.watch(
            *self.folders, watch_filter=PythonSources(self.folders), step=SETTLE_MS, rust_timeout=TICK_MS,
            yield_on_timeout=True, force_polling=True if self.poll else None,
            poll_delay_ms=max(1, round(self.interval * 1000)))
        # the first step starts the watching thread: changes from now on count, even before wait()
        self._pending = bool(self.folders) and bool(next(self._changes))

    @property
    def mode(self) -> str:
        return f"polling every {self.interval:g} s" if self.poll else "file events"

    def wait(self, timeout: float | None = None) -> bool:
        """Block until a .py file changes (True) or ``timeout`` seconds pass (False)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self._pending:
            if deadline is not None and time.monotonic() >= deadline:
                return False
            if not self.folders:
                time.sleep(TICK_MS / 1000)
                continue
            self._pending = bool(next(self._changes))
        self._pending = False
        return True

    def close(self) -> None:
        self._changes.close()


def show_exercise(course: Course, exercise: Exercise, state: State, out: Out, max_listed: int = 10) -> None:
    """One screen: the exercise's public tests, a reason for every failure (the first one whole,
    the others on one line), where to get help."""
    ref = course.ref(exercise)
    right = f"{state.passed} of {state.total} public tests pass" if state.total else state.label
    left = f"{exercise.title}  {exercise.shown_path}"
    out(fit(left, WIDTH - len(right) - 2).ljust(WIDTH - len(right) - 2) + "  " + right, "bold")
    if not state.records:
        if state.message:
            out.message(state.message, indent=2)
    failures = [r for r in state.records if not r["passed"]]
    if len(state.records) > max_listed and failures:
        passes = len(state.records) - len(failures)
        if passes:
            out("  " + out.paint("pass", "green") + f"  {passes} test(s)")
    else:
        for record in state.records:
            if record["passed"]:
                out("  " + out.paint("pass", "green") + "  " + fit(record["name"], WIDTH - 8))
    for i, record in enumerate(failures):
        if i >= max_listed:
            out(f"  and {len(failures) - i} more: make check EX={ref} ARGS=-v lists every one in full")
            break
        out("  " + out.paint("FAIL", "red") + "  " + fit(record["name"], WIDTH - 8))
        if i == 0:
            out.message(record["message"], indent=8, max_lines=4)
        else:
            out.message(record["message"].replace(f"({exercise.phase.path}/", "("), indent=8, max_lines=1)
    if state.status != "done":
        seen = Progress().hints.get(exercise.key, 0)
        hint = f"make hint EX={ref}" + (f" (hint {seen + 1} of {LEVELS})" if seen < LEVELS else "")
        out.wrap(f"Stuck? {hint}. Read {reading(exercise)}.", indent=0)


def _watch_folders() -> list[Path]:
    return [REPO / p.path for p in PHASES if (REPO / p.path).is_dir()]


def _phase_finished(phase: Phase, out: Out) -> None:
    out()
    out(f"Every exercise of {phase.name} passes its public tests.", "green")
    if not phase.available:
        return
    out.wrap(f"Asking the grader (hidden tests, gradient checks: make grade PHASE={phase.name})...", indent=0)
    out.flush()
    graded, error = grade_package(phase)
    if graded is None:
        out(f"  {error}")
    elif graded["complete"]:
        out.wrap(f"The grader agrees: {phase.name} is complete ({grade_summary(graded)}).", indent=0,
                 colour="green")
        out(f"make solution PHASE={phase.name} now shows the reference, to compare.")
    else:
        out.wrap(f"Not complete yet for the grader ({grade_summary(graded)}). It finds:", indent=0,
                 colour="yellow")
        messages = list(dict.fromkeys(t["message"].splitlines()[0] for t in graded["tests"]
                                      if not t["passed"] and t["message"]))
        for message in messages[:4]:
            out.wrap(message, indent=4, first="  - ", max_lines=2)
        out(f"Fix those, then make grade PHASE={phase.name}. Watch moves on meanwhile.")


def first_open(course: Course, phase: Phase) -> tuple[Exercise, State] | None:
    """Every public test of ``phase`` run again: its first exercise not passing, with its state."""
    exercises = course.of(phase.name)
    if any(started(e) for e in exercises):
        run = run_package(phase, use_cache=False)
        states = evaluate(course, phase.name, run.records, run.error)
    else:  # every function still a stub: no test needed to say so
        states = evaluate(course, phase.name, None)
    return next(((e, states[e.key]) for e in exercises if not states[e.key].finished), None)


def went_back(course: Course, exercise: Exercise, state: State, before: Exercise | None, out: Out) -> None:
    """Say so when the exercise to work on is an earlier one than last time (a reset, a regression)."""
    exercises = course.of(exercise.package)
    if before is None or before.package != exercise.package or before not in exercises:
        return
    if exercises.index(exercise) >= exercises.index(before):
        return
    if state.status == "not started":
        out.wrap(f"Back to {exercise.title}: its functions are stubs again (make reset?). "
                 f"{before.title} waits.", indent=0, colour="yellow")
    else:
        out.wrap(f"{exercise.title} broke: it passed its public tests before, now it does not "
                 f"({state.label}). Fix it first; {before.title} waits.", indent=0, colour="red")


def cmd_watch(args: argparse.Namespace) -> int:
    out = Out()
    course = load_course()
    clear = out.stream.isatty() and os.environ.get("TERM") != "dumb" and not args.no_clear
    watcher: ChangeWatcher | None = None
    runs = 0
    before: Exercise | None = None
    try:
        watcher = ChangeWatcher(_watch_folders(), poll=args.poll, interval=args.interval)
        found = find_current(course)
        phase = found[0].phase if found else None
        while True:
            current = first_open(course, phase) if phase is not None else None
            if current is None and phase is not None:  # the whole phase passes
                if before is not None and before.package == phase.name:
                    out()
                    out(f"{before.title} is done: every public test of it passes.", "green")
                _phase_finished(phase, out)
                found = find_current(course)
                phase = found[0].phase if found else None
                if found is not None:
                    out(f"On to {found[0].title} ({found[0].shown_path}).")
                out.flush()
                runs += 1
                if args.max_runs and runs >= args.max_runs:
                    return 0
                if clear and found is not None:
                    time.sleep(3)  # time to read the news before the screen is cleared
                before = None
                if phase is None:
                    continue
                current = first_open(course, phase)
            if current is None:
                out()
                out("Every exercise of the course passes its public tests. Congratulations!", "green")
                out("make grade gives the final table (hidden tests and gradient checks).")
                return 0
            exercise, state = current
            runs += 1
            if clear:
                out.stream.write("\033[2J\033[H")
            stamp = time.strftime("%H:%M:%S")
            out(out.paint("-" * (WIDTH - len(stamp) - 4) + f" {stamp} --", "dim"))
            if before is not None and exercise is not before and before.package == exercise.package:
                if course.of(exercise.package).index(exercise) > course.of(exercise.package).index(before):
                    out(f"{before.title} is done: every public test of it passes.", "green")
                    out(f"On to {exercise.title} ({exercise.shown_path}).")
            went_back(course, exercise, state, before, out)
            show_exercise(course, exercise, state, out)
            before = exercise
            out(out.paint(f"Watching for changes ({watcher.mode}); Ctrl-C to stop.", "dim"))
            out.flush()
            if args.max_runs and runs >= args.max_runs:
                return 0
            watcher.wait()
    except KeyboardInterrupt:
        out()
        out("Stopped watching.")
        return 0
    finally:
        if watcher is not None:
            watcher.close()
