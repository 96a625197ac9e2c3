"""Put the shards of a class back together: ``python -m grader merge OUT1 OUT2 ... --out OUT``.

Each shard's OUT (``batch --shard I/N``) holds ``run.json`` (its options, shard and students) and
one folder per student. The merge checks that the shards were graded with the same options and
together cover ``0 .. N-1`` once each, copies every student's folder into ``--out`` and writes
``grades.csv`` and ``summary.md``/``summary.png`` from the rows, exactly as one run over the
whole class does.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import Any

from grader.classroom import gradebook, summary


def _runs(outs: list[Path]) -> list[dict[str, Any]]:
    runs = []
    for folder in outs:
        run = folder / "run.json"
        if not run.is_file():
            raise ValueError(f"{folder}: expected the OUT of a batch run (with run.json); found none")
        runs.append({**json.loads(run.read_text()), "folder": folder})
    options = {json.dumps(r["options"], sort_keys=True) for r in runs}
    if len(options) > 1:
        raise ValueError(f"the shards were graded with different options: {sorted(options)}")
    counts = {r["shard"][1] for r in runs}
    indices = sorted(r["shard"][0] for r in runs)
    if len(counts) != 1 or indices != list(range(next(iter(counts)))):
        raise ValueError(f"expected shards 0..N-1 of one N, once each; got {[tuple(r['shard']) for r in runs]}")
    return runs


def merge(outs: list[Path], out: Path) -> list[dict[str, Any]]:
    """Combine shard folders into ``out``; return the rows of the whole class."""
    runs = _runs(outs)
    out.mkdir(parents=True, exist_ok=True)
    students: dict[str, Path] = {}
    for run in runs:
        for student in run["students"]:
            if student in students:
                raise ValueError(f"student {student!r} is in two shards ({students[student]} and {run['folder']})")
            students[student] = run["folder"]
    for student, folder in sorted(students.items()):
        if (folder / student).resolve() != (out / student).resolve():
            if (out / student).exists():
                shutil.rmtree(out / student)
            shutil.copytree(folder / student, out / student)
    skipped = sorted({tuple(s) for run in runs for s in run["skipped"]})
    (out / "run.json").write_text(json.dumps({"options": runs[0]["options"], "shard": [0, 1],
                                              "students": sorted(students), "skipped": skipped}, indent=1) + "\n")
    rows = [gradebook.read_row(out / student) for student in sorted(students)]
    gradebook.write_gradebook(rows, out)
    summary.write_summary(rows, out, skipped)
    return rows


def merge_command(outs: list[Path], out: Path) -> int:
    try:
        rows = merge(outs, out)
    except (ValueError, OSError) as exc:
        print(f"grader merge: {exc}", file=sys.stderr)
        return 2
    errors = sum(bool(r["error"]) for r in rows)
    print(f"Merged {len(outs)} shard(s): {len(rows)} student(s), {errors} with an error, into {out}")
    return 0
