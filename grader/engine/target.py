"""Targets: a directory holding phase packages (the repository, solutions/, a submission).

The grader never runs code in place. :func:`prepare` copies the packages of a target into a fresh
directory, flattening ``extensions/<pkg>`` next to the phases, and leaving out tests, notebooks
(and a workbook's text, ``workbook.py``), caches and symbolic links (a link could point at the
reference solutions). The worker gets that copy, and only that copy, on its import path.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from grader.engine.phases import PHASES, REPO, WORKBOOK_SOURCE

_SKIP_NAMES = {"tests", "__pycache__", ".ipynb_checkpoints", WORKBOOK_SOURCE}
_SKIP_SUFFIXES = (".ipynb", ".png", ".pyc", ".npz")


def resolve(target: str | os.PathLike | None) -> Path:
    """The target directory: the repository when None, else the path (relative to the repository
    when it does not exist relative to the current directory, so ``--target solutions`` works
    from anywhere)."""
    if target is None:
        return REPO
    path = Path(target)
    if not path.exists() and (REPO / path).exists():
        path = REPO / path
    if not path.is_dir():
        raise FileNotFoundError(f"target {target} is not a directory")
    return path.resolve()


def _ignore(directory: str, names: list[str]) -> set[str]:
    skipped = set()
    for name in names:
        full = os.path.join(directory, name)
        if name in _SKIP_NAMES or name.endswith(_SKIP_SUFFIXES) or os.path.islink(full):
            skipped.add(name)
    return skipped


def prepare(target: Path, workdir: Path, reference_for: frozenset[str] = frozenset(),
            solutions: Path | None = None) -> list[str]:
    """Copy the target's phase packages into ``workdir``; return the names found.

    Packages named in ``reference_for`` are copied from ``solutions`` instead (decoupled grading:
    phase N against the reference of the phases before it).
    """
    found = []
    for phase in PHASES:
        source = (solutions if phase.name in reference_for and solutions else target) / phase.path
        if source.is_dir() and not source.is_symlink():
            shutil.copytree(source, workdir / phase.name, ignore=_ignore)
            found.append(phase.name)
    return found


def display_name(target: Path) -> str:
    try:
        relative = target.relative_to(REPO)
        return "." if str(relative) == "." else str(relative)
    except ValueError:
        return str(target)
