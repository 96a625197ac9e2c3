"""The progress table ``make grade`` prints: readable at a glance, 80 columns, colour optional."""

from __future__ import annotations

import os
import sys
from typing import Any, TextIO

from grader.phases import PHASES, by_name

_COLOURS = {"green": "32", "yellow": "33", "red": "31", "dim": "2", "bold": "1"}


def use_colour(stream: TextIO) -> bool:
    return stream.isatty() and "NO_COLOR" not in os.environ and os.environ.get("TERM") != "dumb"


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
            write(_paint(f"  {phase.name:<22}{'-':>13}  {'':>7}  {'':>10}  coming soon", "dim", colour))
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
        write("No phase has hidden tests yet.")
    elif not unfinished:
        write(_paint("Every phase is complete. Well done.", "green", colour))
    else:
        first = unfinished[0]
        phase = by_name(first["name"])
        # distinct messages, real mistakes before exercises not started yet
        failures = sorted(dict.fromkeys(_failures(first)), key=lambda m: m.startswith("not started"))
        if first["score"] == 0 and all(m.startswith("not started") for m in failures):
            write(f"Next: read {phase.readme}, fill in its stubs, and check your work with")
            write(f"      make check PHASE={phase.name}")
        else:
            count = len(_failures(first))
            write(f"Next: {phase.name}, {count} check(s) still failing, for example:")
            for message in failures[:details]:
                first_line = message.splitlines()[0] if message else "failed"
                write("  - " + (first_line if len(first_line) <= 76 else first_line[:73] + "..."))
            write(f"Run make check PHASE={phase.name} for the public tests, and see {phase.readme}.")


def render_check(phase: Any, records: list[Any], stream: TextIO = sys.stdout) -> None:
    """``make check``: the public tests of one phase, grouped by exercise, first problem of each."""
    colour = use_colour(stream)
    write = lambda line="": stream.write(line + "\n")  # noqa: E731
    passed = sum(r.passed for r in records)
    write(_paint(f"{phase.name}: {passed} of {len(records)} public tests pass", "bold", colour))
    write()
    groups: dict[str, list[Any]] = {}
    for record in records:
        groups.setdefault(record.exercise or "other", []).append(record)
    for exercise, mine in groups.items():
        ok = sum(r.passed for r in mine)
        tint = "green" if ok == len(mine) else ("dim" if ok == 0 else "yellow")
        write("  " + _paint(f"{exercise:<20}{ok:>3}/{len(mine):<3}", tint, colour))
        for record in [r for r in mine if not r.passed][:2]:
            name = record.nodeid.rsplit("::", 1)[-1]
            lines = (record.message or "failed").splitlines()
            write(f"      {name}")
            for line in lines[:4]:
                write(f"        {line if len(line) <= 70 else line[:67] + '...'}")
    write()
    if passed == len(records):
        write(_paint("All public tests pass.", "green", colour) + " The grader also runs hidden tests and its own")
        write(f"gradient checks: make grade PHASE={phase.name}")
    else:
        first = next(r for r in records if not r.passed)
        write(f"Next: {first.exercise or first.nodeid} (see {phase.readme}); one exercise at a time:")
        write(f"      make check PHASE={phase.name} ARGS='-k {first.exercise}'" if first.exercise else "")
