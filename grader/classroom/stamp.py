"""When a graded student must be graded again: the resume key of a class run.

A student's folder in OUT keeps the key it was graded under (``.fingerprint``, JSON): a digest of
the submission's collected files, the options (seed, phases, decoupled), and digests of the
hidden tests, the grader and the reference. A rerun regrades a student when any part differs and
says which (:func:`why_stale`).
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from pathlib import Path
from typing import Any

from grader.engine.phases import PHASES, REPO, SOLUTIONS

PARTS = {"submission": "the submission changed", "options": "the options (seed, phases, decoupled) changed",
         "hidden_tests": "the hidden tests changed", "grader": "the grader changed",
         "reference": "the reference solutions changed"}


def _digest(files: list[Path], root: Path) -> str:
    sha = hashlib.sha256()
    for file in sorted(files):
        sha.update(str(file.relative_to(root)).encode() + b"\0" + file.read_bytes() + b"\0")
    return sha.hexdigest()


@cache
def course_digests() -> dict[str, str]:
    """Digests of what decides a verdict besides the submission: hidden tests, grader, reference."""
    hidden = [f for p in PHASES for f in [*p.hidden_dir.rglob("*"), *p.tests_dir.glob("conftest.py")]
              if f.is_file() and "__pycache__" not in f.parts]
    grader = [f for f in (REPO / "grader").rglob("*") if f.is_file() and f.suffix in (".py", ".toml")
              and "__pycache__" not in f.parts and "selftest" not in f.parts]
    reference = [f for f in SOLUTIONS.rglob("*.py") if "__pycache__" not in f.parts]
    return {"hidden_tests": _digest(hidden, REPO), "grader": _digest(grader, REPO),
            "reference": _digest(reference, REPO)}


def key(submission_digest: str, options: dict[str, Any]) -> dict[str, str]:
    """The full resume key of one student."""
    return {"submission": submission_digest,
            "options": hashlib.sha256(json.dumps(options, sort_keys=True).encode()).hexdigest(),
            **course_digests()}


def why_stale(folder: Path, wanted: dict[str, str]) -> str:
    """'' when the student in ``folder`` was graded under ``wanted``; else why it must be regraded."""
    stored = folder / ".fingerprint"
    if not (folder / "grade.json").is_file() or not stored.is_file():
        return "not graded yet"
    try:
        old = json.loads(stored.read_text())
    except ValueError:
        old = None
    if not isinstance(old, dict):
        return "graded by an older grader (no resume key)"
    changed = [PARTS[part] for part in PARTS if old.get(part) != wanted.get(part)]
    return "; ".join(changed)


def store(folder: Path, wanted: dict[str, str]) -> None:
    (folder / ".fingerprint").write_text(json.dumps(wanted, indent=1, sort_keys=True) + "\n")
