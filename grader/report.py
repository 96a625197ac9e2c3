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
        failures = _failures(first)
        if first["score"] == 0 and all(m.startswith("not started") for m in failures):
            write(f"Next: read {phase.readme}, fill in its stubs, and check your work with")
            write(f"      make check PHASE={phase.name}")
        else:
            write(f"Next: {phase.name}, {len(failures)} check(s) still failing, for example:")
            for message in failures[:details]:
                first_line = message.splitlines()[0] if message else "failed"
                write("  - " + (first_line if len(first_line) <= 76 else first_line[:73] + "..."))
            write(f"Run make check PHASE={phase.name} for the public tests, and see {phase.readme}.")
