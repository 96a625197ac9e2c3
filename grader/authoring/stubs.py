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
would be written with what is committed; ``make test`` fails on any difference.
"""

from __future__ import annotations

import ast
import shutil
import time
from pathlib import Path

from grader.engine.phases import PHASES, REPO, SOLUTIONS, WORKBOOK_SOURCE

BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"
BACKUPS = REPO / ".grader" / "backups"


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


def write() -> list[Path]:
    """Write every stub; a file that would change is first backed up under .grader/backups/."""
    written = []
    stamp = time.strftime("%Y%m%d-%H%M%S")
    for path, text in planned().items():
        if path.exists() and path.read_text() == text:
            continue
        if path.exists():
            backup = BACKUPS / stamp / path.relative_to(REPO)
            backup.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, backup)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        written.append(path)
    return written
