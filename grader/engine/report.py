"""The progress table ``make grade`` prints: readable at a glance, 80 columns, colour optional."""

from __future__ import annotations

import os
import re
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


_TEX = {r"\infty": "inf", r"\to": "->", r"\approx": "~", r"\times": "x", r"\cdot": "*", r"\le": "<=",
        r"\ge": ">=", r"\ne": "!=", r"\lVert": "||", r"\rVert": "||", r"\sum": "sum", r"\log": "log",
        r"\exp": "exp", r"\sqrt": "sqrt", r"\partial": "d", r"\ldots": "...", r"\dots": "..."}


def plain(text: str) -> str:
    r"""Terminal text without LaTeX source: ``$-\infty$`` -> ``-inf``, ``$\beta \to 0$`` -> ``beta -> 0``."""

    def math(match: re.Match) -> str:
        body = match.group(1)
        body = re.sub(r"\\(?:tilde|hat|bar|mathbf|mathrm|text|operatorname)\s*\{?([^{}\s]*)\}?", r"\1", body)
        body = re.sub(r"\\[a-zA-Z]+", lambda m: _TEX.get(m.group(0), m.group(0)[1:]), body)
        body = re.sub(r"[{}]", "", body)
        return re.sub(r"\s+", " ", body).strip()

    return re.sub(r"\$([^$\n]+)\$", math, text or "")


def _wrap(text: str, indent: int, width: int = 80, max_lines: int | None = 4) -> list[str]:
    """A failure message as lines of at most ``width`` columns (wrapped, not cut), at most
    ``max_lines`` (None: all of it)."""
    lines: list[str] = []
    for raw in plain(text or "failed").splitlines():
        lines += textwrap.wrap(raw.strip(), width - indent, break_on_hyphens=False,
                               subsequent_indent="  " if raw.startswith(" ") else "") or [""]
    if max_lines is not None and len(lines) > max_lines:
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


def earlier_cause(phase_name: str, messages: list[str]) -> tuple[str, str] | None:
    """(earlier phase, location) when a failure of ``phase_name`` points into an earlier phase's
    files: its cause lies there (the phases are graded coupled, on the learner's own earlier code)."""
    names = [p.name for p in PHASES]
    earlier = PHASES[: names.index(phase_name)] if phase_name in names else []
    for message in messages:
        for phase in earlier:
            found = re.search(rf"\(({re.escape(phase.path)}/[\w/]+\.py:\d+)\)", message or "")
            if found:
                return phase.name, found.group(1)
    return None


def render(result: dict[str, Any], stream: TextIO = sys.stdout, details: int = 5, full: bool = False) -> None:
    """The table; then the first unfinished phase's failures: ``details`` of them cut to a line,
    or with ``full`` every failing check of every phase, whole (``make grade VERBOSE=1``)."""
    colour = use_colour(stream)
    write = lambda line="": stream.write(line + "\n")  # noqa: E731
    decoupled = bool(result.get("decoupled"))
    write(_paint(f"Grading {result['target']}" + (" (decoupled: each phase on the reference of the ones "
                                                  "before it)" if decoupled else ""), "bold", colour))
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
        if decoupled and phase is not PHASES[0]:
            label += " (decoupled)"
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
    elif full:
        for p in unfinished:
            failures = sorted(dict.fromkeys(_failures(p)), key=lambda m: m.startswith("not started"))
            write(_paint(f"{p['name']}: {len(_failures(p))} check(s) failing, every distinct message in full:",
                         "bold", colour))
            for message in failures:
                lines = _wrap(message, 4, max_lines=None)
                write("  - " + lines[0][4:])
                for line in lines[1:]:
                    write(line)
            _coupled_note(p, decoupled, write, graded)
            write()
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
                first_line = plain(message.splitlines()[0] if message else "failed")
                write("  - " + (first_line if len(first_line) <= 76 else first_line[:73] + "..."))
            if any(len(m) > 76 or "\n" in m for m in failures[:details]) or len(failures) > details:
                write(f"Every message in full: make grade PHASE={phase.name} VERBOSE=1")
            _coupled_note(first, decoupled, write, graded)
            for line in textwrap.wrap(f"Run make check PHASE={phase.name} for the public tests, and see "
                                      f"{phase.readme}.", 80):
                write(line)
            write("make next names the exercise to work on; make hint gives a hint for it.")


def _coupled_note(phase: dict[str, Any], decoupled: bool, write: Any, graded: dict[str, Any]) -> None:
    """Point at an earlier phase when a failure starts there (its file in the message), or when an
    earlier phase this one runs on is not complete (or not graded in this run); suggest DECOUPLED=1."""
    if decoupled:
        return
    cause = earlier_cause(phase["name"], _failures(phase))
    names = [p.name for p in PHASES]
    if cause is not None:
        text = f"Some failures of {phase['name']} start in {cause[0]} ({cause[1]}): fix that phase first"
    else:
        earlier = [p for p in PHASES[: names.index(phase["name"])] if p.available] if phase["name"] in names else []
        doubtful = [p.name for p in earlier if p.name not in graded or not graded[p.name]["complete"]]
        if not doubtful:
            return
        state = "not complete" if all(n in graded for n in doubtful) else "not graded in this run"
        text = (f"{phase['name']} runs on your {', '.join(doubtful)} ({state}): some of these failures may "
                f"start there")
    for line in textwrap.wrap(f"{text}, or grade this phase on the reference of the earlier phases: make grade "
                              f"PHASE={phase['name']} DECOUPLED=1", 80):
        write(line)


def render_check(phase: Any, records: list[Any], stream: TextIO = sys.stdout,
                 footer: list[str] | None = None, groups: list[tuple[str, list[Any]]] | None = None,
                 max_reasons: int = 12) -> None:
    """``make check``: the public tests of one phase, grouped by exercise, in one screen of 80 columns.

    ``groups``: [(label, records)] in course order (the learner tools pass the manifest's "0.2
    softmax"); by default the records' exercise markers in file order. The first real mistake is
    shown in full (up to two tests); every other failing test gets its name and a one-line reason,
    up to ``max_reasons`` of them, then "and N more: make check EX=..."; an exercise whose failures
    only say "not started" gets one line. ``footer`` replaces the closing lines.
    """
    colour = use_colour(stream)
    write = lambda line="": stream.write(line + "\n")  # noqa: E731
    passed = sum(r.passed for r in records)
    write(_paint(f"{phase.name}: {passed} of {len(records)} public tests pass", "bold", colour))
    write()
    if groups is None:
        by_marker: dict[str, list[Any]] = {}
        for record in records:
            by_marker.setdefault(record.exercise or "other", []).append(record)
        groups = list(by_marker.items())
    detailed = False
    reasons = 0
    hidden: list[tuple[str, int]] = []  # (group label, failures not listed)

    def one_line(message: str | None, room: int) -> str:
        text = plain((message or "failed").splitlines()[0])
        if len(text) > room:  # the phase is in the header: its folder may go
            text = text.replace(f"({phase.path}/", "(")
        return _fit(text, room)

    for label, mine in groups:
        ok = sum(r.passed for r in mine)
        tint = "green" if ok == len(mine) else ("dim" if ok == 0 else "yellow")
        head = f"  {_fit(label, 24):<25}{ok:>3}/{len(mine)}"
        failed = [r for r in mine if not r.passed]
        real = [r for r in failed if not (r.message or "").startswith("not started")]
        if not failed:
            write(_paint(head, tint, colour))
            continue
        if not real:
            first = plain((failed[0].message or "failed").splitlines()[0]).replace(f"({phase.path}/", "(")
            if 36 + len(first) <= 80:
                write(_paint(head, tint, colour) + " " * max(1, 36 - len(head)) + first)
            else:
                write(_paint(head, tint, colour))
                write("      " + _fit(first, 74))
            continue
        write(_paint(head, "red", colour))
        rest = real
        if not detailed:
            detailed = True
            for record in real[:2]:
                write("      " + _fit(record.nodeid.rsplit("::", 1)[-1], 74))
                for line in _wrap(record.message, 8):
                    write(line)
            rest = real[2:]
        for record in rest:
            if reasons >= max_reasons:
                hidden.append((label, len(rest) - rest.index(record)))
                break
            reasons += 1
            write("      " + _fit(record.nodeid.rsplit("::", 1)[-1], 74))
            write("        " + one_line(record.message, 72))
    if hidden:
        count = sum(n for _, n in hidden)
        label = hidden[0][0]
        target = f"PHASE={phase.name}" if label == "other" else f"EX={label.split()[0]}"
        write(f"  and {count} more: make check {target} ARGS=-v lists every one in full")
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
