"""The last guard on feedback: no message may quote a hidden test, the reference or a course path.

Isolation keeps the learner's code from reading those files (see :mod:`grader.engine.isolation`);
this check holds even where it cannot (``GRADER_SANDBOX=none``), for the plain ways a submission
could smuggle them out in an exception's message or a returned string. A message that contains a
line of a secret file (one that does not also appear in a public file), or the path of the
repository, is replaced by a notice; the test's score is not changed.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from grader.engine.phases import PHASES, REPO, SOLUTIONS

MIN_LINE = 24  # shorter lines (``return x``, ``import numpy as np``) are common to any code
WITHHELD = "(the message was withheld: it quoted the course's hidden tests, reference or files)"


def _lines(paths: list[Path]) -> set[str]:
    found: set[str] = set()
    for path in paths:
        try:
            text = path.read_text(errors="replace")
        except OSError:
            continue
        found.update(line.strip() for line in text.splitlines() if len(line.strip()) >= MIN_LINE)
    return found


@functools.lru_cache(maxsize=1)
def secret_lines() -> frozenset[str]:
    """Lines of the hidden tests and of the reference that no public file of the course shows."""
    hidden = [f for p in PHASES for f in (REPO / p.path / "tests" / "hidden").rglob("*.py")]
    reference = [f for f in SOLUTIONS.rglob("*.py") if "__pycache__" not in f.parts]
    public = [f for p in PHASES for f in (REPO / p.path).rglob("*.py") if "hidden" not in f.parts]
    return frozenset(_lines(hidden + reference) - _lines(public))


def _secret_paths() -> list[str]:
    return sorted({str(REPO), str(REPO.resolve()), str(SOLUTIONS), str(SOLUTIONS.resolve())}, key=len, reverse=True)


def leaks(message: str, lines: frozenset[str] | None = None) -> bool:
    """True when ``message`` quotes a secret line or names the repository's path."""
    lines = secret_lines() if lines is None else lines
    if any(path in message for path in _secret_paths()):
        return True
    if any(line.strip() in lines for line in message.splitlines()):
        return True
    return len(message) >= MIN_LINE and any(line in message for line in lines)


def feedback(result: dict[str, Any]) -> dict[str, Any]:
    """``result`` (a grade() dict) with every leaking test message replaced by a notice, in place."""
    messages = [t.get("message") or "" for p in result.get("phases", []) for t in p.get("tests", [])]
    everything = "\n".join(messages)
    lines = secret_lines()
    if not any(path in everything for path in _secret_paths()) and not any(line in everything for line in lines):
        return result
    for phase in result.get("phases", []):
        for test in phase.get("tests", []):
            if test.get("message") and leaks(test["message"], lines):
                test["message"] = WITHHELD
    return result
