"""``make submission``: the zip a student hands in, holding exactly the files the grader grades.

``python -m grader submission [--out submission.zip] [--root DIR]`` zips each course package found
in DIR (default: this working copy) at its course path: its ``.py`` modules, nothing else (no
tests, notebooks, caches, ``.venv``). It then reads the zip back the way a class run does
(:func:`grader.classroom.collect.assemble`) and prints the packages found and the size, so what
the student sees is what the instructor will grade.
"""

from __future__ import annotations

import sys
import tempfile
import zipfile
from pathlib import Path

from grader.classroom import collect
from grader.engine.phases import PHASES, WORKBOOK_SOURCE


def graded_files(root: Path) -> list[str]:
    """The files of ``root`` a grade reads, relative to it: every package's top-level modules."""
    files = []
    for phase in PHASES:
        folder = root / phase.path
        if folder.is_dir() and not folder.is_symlink():
            files += [f"{phase.path}/{p.name}" for p in sorted(folder.glob("*.py"))
                      if p.is_file() and not p.is_symlink() and p.name != WORKBOOK_SOURCE]
    return files


def write(root: Path, archive: Path) -> list[str]:
    files = graded_files(root)
    if not files:
        raise ValueError(f"{root}: expected course packages (phase0_math/ ...); found none")
    archive.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for name in files:
            info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))  # same files, same zip
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, (root / name).read_bytes())
    return files


def submission_command(root: Path, archive: Path) -> int:
    try:
        files = write(root.resolve(), archive)
    except (ValueError, OSError) as exc:
        print(f"grader submission: {exc}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="grader-check-") as tmp:
        collected = collect.assemble(archive, Path(tmp))
    if collected.error:
        print(f"grader submission: {archive} does not read back: {collected.error}", file=sys.stderr)
        return 1
    size = archive.stat().st_size
    print(f"wrote {archive}: {len(files)} files, {size / 1024:.1f} KB")
    for name in collected.found:
        count = sum(1 for f in files if f.split("/")[-2] == name)
        print(f"  {name:<20} {count} module file(s)")
    print("Upload this zip (Gradescope: drag it in as it is; it is graded exactly as listed).")
    return 0
