"""The progress table ``make grade`` prints: readable at a glance, 80 columns, colour optional."""

from __future__ import annotations

import os
import sys
import textwrap
from typing import Any, TextIO

from grader.engine.phases import PHASES, by_name

_COLOURS = {"green": "32", "yellow": "33", "red": "31", "dim": "2", "bold": "1"}


def use_colour(stream: TextIO) -> bool:
    """Colour on a terminal; never with NO_COLOR set (no-color.org), always with FORCE_COLOR set."""
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty()) and os.environ.get("TERM") != "dumb"


def _wrap(text: str, indent: int, width: int = 80, max_lines: int = 4) -> list[str]:
    """A failure message as lines of at most ``width`` columns (wrapped, not cut), at most ``max_lines``."""
    lines: list[str] = []
    for raw in (text or "failed").splitlines():
        lines += textwrap.wrap(raw.strip(), width - indent, break_on_hyphens=False,
                               subsequent_indent="  " if raw.startswith(" ") else "") or [""]
    if len(lines) > max_lines:
        lines = lines[: max_lines - 1] + [lines[max_lines - 1][: width - indent - 4] + " ..."]
    return [" " * indent + line for line in lines]


def _fit(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."


def _paint(text: str, colour: str, on: bool) -> str:
    return f"\033[{_COLOURS[colour]}m{text}\033[0m" if on else text


def _status(phase: dict[str, Any]) -> tuple[str, str]:
    if phase["complete"]:
        return "complete", "green"
    if phase["score"] == 0:
        return "not started" if all(m.startswith("not started") for m in _failures(phase)) else "0 points", "dim"
    return "in progress", "yellow"


def _failures(phase: dict[str, Any]) -> list[str]:
    return [t["message"] for t in phase["tests"] if not t["passed"]]


def render(result: dict[str, Any], stream: TextIO = sys.stdout, details: int = 5) -> None:
    colour = use_colour(stream)
    write = lambda line="": stream.write(line + "\n")  # noqa: E731
    write(_paint(f"Grading {result['target']}", "bold", colour))
    write()
    write(f"  {'phase':<22}{'score':>13}  {'tests':>7}  {'gradchecks':>10}  status")
    graded = {p["name"]: p for p in result["phases"]}
    for phase in PHASES:
        if phase.name not in graded:
            label = "not graded" if phase.available else "coming soon"
            write(_paint(f"  {phase.name:<22}{'-':>13}  {'':>7}  {'':>10}  {label}", "dim", colour))
            continue
        p = graded[phase.name]
        tests = f"{sum(t['passed'] for t in p['tests'])}/{len(p['tests'])}"
        checks = f"{sum(g['passed'] for g in p['gradchecks'])}/{len(p['gradchecks'])}"
        score = f"{p['score']:g} / {p['max_score']:g}"
        label, tint = _status(p)
        write(f"  {phase.name:<22}{score:>13}  {tests:>7}  {checks:>10}  " + _paint(label, tint, colour))
    write(f"  {'total':<22}{result['score']:>6g} / {result['max_score']:<4g}")
    write()
    unfinished = [p for p in result["phases"] if not p["complete"]]
    if not result["phases"]:
        write("No hidden tests here: in a student release they stay with your instructor.")
        write("Check your work with the public tests: make check PHASE=phase0_math (or make status).")
    elif not unfinished:
        every = "Every phase" if len(result["phases"]) == sum(p.available for p in PHASES) else "Every graded phase"
        write(_paint(f"{every} is complete. Well done.", "green", colour))
    else:
        first = unfinished[0]
        phase = by_name(first["name"])
        # distinct messages, real mistakes before exercises not started yet
        failures = sorted(dict.fromkeys(_failures(first)), key=lambda m: m.startswith("not started"))
        if first["score"] == 0 and all(m.startswith("not started") for m in failures):
            write(f"Next: read {phase.readme} and fill in the stubs;")
            write(f"      then check your work: make check PHASE={phase.name}")
        else:
            count = len(_failures(first))
            write(f"Next: {phase.name}, {count} check(s) still failing, for example:")
            for message in failures[:details]:
                first_line = message.splitlines()[0] if message else "failed"
                write("  - " + (first_line if len(first_line) <= 76 else first_line[:73] + "..."))
            for line in textwrap.wrap(f"Run make check PHASE={phase.name} for the public tests, and see "
                                      f"{phase.readme}.", 80):
                write(line)
            write("make next names the exercise to work on; make hint gives a hint for it.")


def render_check(phase: Any, records: list[Any], stream: TextIO = sys.stdout,
                 footer: list[str] | None = None) -> None:
    """``make check``: the public tests of one phase, grouped by exercise, in one screen of 80 columns.

    Real mistakes are shown first and in full (up to two tests of the first exercise that has
    them); an exercise whose failures only say "not started" gets one line. ``footer`` replaces
    the closing lines (the learner tools name the exercise to work on and its hint).
    """
    colour = use_colour(stream)
    write = lambda line="": stream.write(line + "\n")  # noqa: E731
    passed = sum(r.passed for r in records)
    write(_paint(f"{phase.name}: {passed} of {len(records)} public tests pass", "bold", colour))
    write()
    groups: dict[str, list[Any]] = {}
    for record in records:
        groups.setdefault(record.exercise or "other", []).append(record)
    detailed = False
    for exercise, mine in groups.items():
        ok = sum(r.passed for r in mine)
        tint = "green" if ok == len(mine) else ("dim" if ok == 0 else "yellow")
        head = f"  {_fit(exercise, 19):<20}{ok:>3}/{len(mine)}"
        failed = [r for r in mine if not r.passed]
        real = [r for r in failed if not (r.message or "").startswith("not started")]
        if not failed:
            write(_paint(head, tint, colour))
        elif real and not detailed:
            detailed = True
            write(_paint(head, "red", colour))
            for record in real[:2]:
                write("      " + _fit(record.nodeid.rsplit("::", 1)[-1], 74))
                for line in _wrap(record.message, 8):
                    write(line)
        else:
            first = ((real or failed)[0].message or "failed").splitlines()[0]
            if 29 + len(first) <= 80:
                write(_paint(head, "red" if real else tint, colour) + " " * (29 - len(head)) + first)
            else:
                if len(first) > 74:  # the phase is in the header: its folder may go
                    first = first.replace(f"({phase.path}/", "(")
                write(_paint(head, "red" if real else tint, colour))
                write("      " + _fit(first, 74))
    write()
    if footer is not None:
        for line in footer:
            write(line)
    elif passed == len(records):
        write(_paint("All public tests pass.", "green", colour) + " The grader also runs hidden tests and its own")
        write(f"gradient checks: make grade PHASE={phase.name}")
    else:
        first = next(r for r in records if not r.passed)
        write(f"Next: {first.exercise or first.nodeid} (see {phase.readme}); one exercise at a time:")
        write(f"      make check PHASE={phase.name} ARGS='-k {first.exercise}'" if first.exercise else "")
