"""``.grader/``: the files the learner's commands keep in the working copy.

- ``cache.json``: the public tests' records per package, until a file they depend on changes
  (:mod:`grader.learner.runs`);
- ``progress.json``: what the learner did, hint levels seen, when exercises were first seen
  started and done, solutions viewed (:class:`grader.learner.states.Progress`);
- ``backups/``: the learner's versions of the files ``reset`` put back to their stubs.

JSON files are read forgivingly (a missing or damaged file reads as empty) and written
atomically. Imports: :mod:`grader.engine.phases` only.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

from grader.engine.phases import REPO

STATE_DIR = REPO / ".grader"
PROGRESS_FILE = STATE_DIR / "progress.json"
CACHE_FILE = STATE_DIR / "cache.json"
BACKUPS = STATE_DIR / "backups"


def load_json(path: Path) -> dict:
    try:
        data = json.loads(path.read_text())
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def save_json(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + f".{os.getpid()}.{threading.get_ident()}.tmp")
    temporary.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
    os.replace(temporary, path)
