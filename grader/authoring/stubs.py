"""Stub generation: solutions/ is the one place an exercise is written.

Every ``.py`` file under ``solutions/<phase>/`` becomes ``<phase>/<same path>``: the text is kept
as it is, except each region between ``### BEGIN SOLUTION`` and ``### END SOLUTION`` (nbgrader's
markers), which becomes::

    # YOUR CODE HERE
    raise NotImplementedError("not started: <function>")

at the marker's indentation, ``<function>`` being the function that holds the region. Files
without markers (helpers given to students) are copied unchanged. A phase's workbook text
(``solutions/<path>/workbook.py``) is a notebook, not a module: it has no stub (a learner gets
the generated ``workbook.ipynb``, see :mod:`grader.authoring.notebooks`). ``check`` compares what
would be written with what is in the files (``python -m grader stubs --check``, for authors).

No generator loses a learner's work (:func:`guarded_write`, used for stubs, README tables and
workbooks): every text a generator writes is remembered by its SHA-256 digest in
``grader/authoring/generated.json`` (committed). A file is overwritten only when it is missing,
already holds the new text, or holds a text the generator itself once wrote; anything else was
changed by hand (a learner's code) and is refused unless ``force`` (``FORCE=1``), which first
copies it to ``.grader/backups/<time>/`` and says where. ``make test`` checks that the record's
latest digest of every stub is the digest of what solutions/ makes now (:func:`stale`), which
catches a forgotten ``make stubs`` without reading the learner's files.
"""

from __future__ import annotations

import ast
import hashlib
import json
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from grader.engine.phases import PHASES, REPO, SOLUTIONS, WORKBOOK_SOURCE

BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"
BACKUPS = REPO / ".grader" / "backups"
RECORD = REPO / "grader" / "authoring" / "generated.json"
KEEP = 30  # digests remembered per file (older generated texts count as hand-written)


class MarkerError(ValueError):
    pass


def _enclosing_function(tree: ast.AST, line: int) -> str | None:
    best = None
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.lineno <= line <= (node.end_lineno or 0):
            if best is None or node.lineno > best.lineno:
                best = node
    return best.name if best else None


def make_stub(source: str, filename: str = "<solution>") -> str:
    """The student's version of one solution module."""
    tree = ast.parse(source, filename)
    lines = source.splitlines(keepends=True)
    out: list[str] = []
    i = 0
    while i < len(lines):
        text = lines[i].strip()
        if text == END:
            raise MarkerError(f"{filename}:{i + 1}: {END} without {BEGIN}")
        if text != BEGIN:
            out.append(lines[i])
            i += 1
            continue
        end = next((j for j in range(i + 1, len(lines)) if lines[j].strip() in (BEGIN, END)), None)
        if end is None or lines[end].strip() != END:
            raise MarkerError(f"{filename}:{i + 1}: {BEGIN} without a matching {END}")
        name = _enclosing_function(tree, i + 1)
        if name is None:
            raise MarkerError(f"{filename}:{i + 1}: a solution region must lie inside a function")
        indent = lines[i][: len(lines[i]) - len(lines[i].lstrip())]
        out.append(f"{indent}# YOUR CODE HERE\n")
        out.append(f'{indent}raise NotImplementedError("not started: {name}")\n')
        i = end + 1
    return "".join(out)


def planned() -> dict[Path, str]:
    """Every stub file the generator writes, with its content."""
    files: dict[Path, str] = {}
    for phase in PHASES:
        source_dir = SOLUTIONS / phase.path
        if not source_dir.is_dir():
            continue
        for source in sorted(source_dir.rglob("*.py")):
            relative = source.relative_to(source_dir)
            if "tests" in relative.parts or "__pycache__" in relative.parts or relative == Path(WORKBOOK_SOURCE):
                continue
            files[REPO / phase.path / relative] = make_stub(source.read_text(), str(source.relative_to(REPO)))
    return files


def digest(text: str) -> str:
    """The SHA-256 of a generated text (hex)."""
    return hashlib.sha256(text.encode()).hexdigest()


class Record:
    """What the generators wrote: {repository path: [digest, ...]}, oldest first, in ``RECORD``."""

    def __init__(self, path: Path = RECORD):
        self.path = path
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError):
            data = {}
        files = data.get("files") if isinstance(data, dict) else None
        self.files: dict[str, list[str]] = {k: list(v) for k, v in (files or {}).items() if isinstance(v, list)}

    def known(self, key: str, text: str) -> bool:
        return digest(text) in self.files.get(key, [])

    def latest(self, key: str) -> str | None:
        return (self.files.get(key) or [None])[-1]

    def add(self, key: str, text: str) -> None:
        kept = [d for d in self.files.get(key, []) if d != digest(text)] + [digest(text)]
        self.files[key] = kept[-KEEP:]

    def save(self) -> None:
        body = {"about": "digests of every text make stubs / make readmes / make notebooks wrote; "
                         "a file holding another text was changed by hand and is not overwritten",
                "files": dict(sorted(self.files.items()))}
        self.path.write_text(json.dumps(body, indent=1) + "\n")


@dataclass
class Outcome:
    """What :func:`guarded_write` did: files written, files refused, backups made {file: backup}."""

    written: list[Path] = field(default_factory=list)
    refused: list[Path] = field(default_factory=list)
    backups: dict[Path, Path] = field(default_factory=dict)

    def report(self, what: str, force_hint: str) -> list[str]:
        lines = [f"wrote {p.relative_to(REPO)}" for p in self.written]
        lines += [f"{p.relative_to(REPO)}: {what} written over changes made by hand, which are kept in "
                  f"{b.relative_to(REPO)}" for p, b in self.backups.items()]
        if self.refused:
            lines.append(f"refused to overwrite {len(self.refused)} file(s) changed by hand (your work?):")
            lines += [f"  {p.relative_to(REPO)}" for p in self.refused]
            lines.append(f"  {force_hint} overwrites them, after a backup in .grader/backups/")
        return lines


def guarded_write(files: dict[Path, str], force: bool = False, key: str = "",
                  part: Callable[[str], str] = str, record: Record | None = None) -> Outcome:
    """Write ``files`` {path: new text} without losing hand-made changes.

    ``part(text)`` is what the generator owns in a file's text (the whole text for a stub, the
    exercise table of a README, a notebook without outputs); the part a file holds now must be one
    the generator once wrote (its digest is in the record) or the new one, else the file is
    refused, or with ``force`` backed up to .grader/backups/ first. ``key`` is appended to each
    record key (a README's table is ``README.md#exercises``).
    """
    record = record or Record()
    stamp = time.strftime("%Y%m%d-%H%M%S")
    outcome = Outcome()
    for path, new in files.items():
        name = str(path.relative_to(REPO)) + key
        old = path.read_text() if path.exists() else None
        if old is not None and old != new:
            try:
                current = part(old)
            except Exception:  # noqa: BLE001 - unreadable (a broken notebook): changed by hand
                current = old
            if current != part(new) and not record.known(name, current):
                if not force:
                    outcome.refused.append(path)
                    continue
                backup = BACKUPS / stamp / path.relative_to(REPO)
                backup.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, backup)
                outcome.backups[path] = backup
        if old != new:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(new)
            outcome.written.append(path)
        record.add(name, part(new))
    record.save()
    return outcome


def stale(record: Record | None = None) -> list[str]:
    """Stubs whose generated text changed since ``make stubs`` last wrote them (solutions/ edited
    without regenerating); reads only solutions/ and the record, never a learner's module."""
    record = record or Record()
    problems = []
    for path, text in planned().items():
        shown = str(path.relative_to(REPO))
        if record.latest(shown) != digest(text):
            problems.append(f"{shown}: solutions/ changed since make stubs wrote it (run make stubs)")
    return problems


def check() -> list[str]:
    """Differences between the committed stubs and what the generator writes (empty when in sync)."""
    problems = []
    for path, text in planned().items():
        shown = path.relative_to(REPO)
        if not path.exists():
            problems.append(f"{shown}: missing (run make stubs)")
        elif path.read_text() != text:
            problems.append(f"{shown}: differs from its generated stub (run make stubs)")
    return problems


def write(force: bool = False) -> Outcome:
    """Write every stub that changed, refusing (or with ``force`` backing up) a learner's edits."""
    return guarded_write(planned(), force=force)
