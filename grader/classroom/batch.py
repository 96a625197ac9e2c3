"""Grade a class: every folder, ``.zip`` or ``.tar.gz`` of a submissions folder is one student.

Each submission is collected (:mod:`grader.classroom.collect`: its course packages found wherever
they are, junk left out) and graded by its own ``python -m grader grade`` process, several at a
time, so one student's crash or hang cannot touch another's. For every student it writes
``<out>/<student>/`` with ``grade.json`` (the grader's JSON, its ``target`` the student's id),
``results.json`` (Gradescope's format), ``feedback.md`` and ``row.json``; for the class
``grades.csv``, ``summary.md`` and ``summary.png``, and ``run.json`` (the options, the shard, the
students it holds, the skipped entries). A student already graded under the same resume key
(:mod:`grader.classroom.stamp`) is not graded again; any change regrades and says why.

``shard=(i, n)`` grades the students whose index in the sorted list of ids is ``i`` modulo ``n``;
``python -m grader merge`` puts shards back together (:mod:`grader.classroom.merge`).
"""

from __future__ import annotations

import concurrent.futures
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from tqdm import tqdm

from grader.classroom import collect, gradebook, stamp, summary
from grader.engine.phases import REPO, by_name

STUDENT_WALL_SECONDS = 900


def read_roster(path: Path) -> dict[str, dict[str, str]]:
    """id -> {"name", "email"} from a CSV with an ``id`` column (``name`` and ``email`` optional)."""
    with path.open(newline="") as handle:
        reader = csv.DictReader(handle)
        if not reader.fieldnames or "id" not in reader.fieldnames:
            raise ValueError(f"roster {path}: expected a CSV with a header holding id (and name, email); "
                             f"got columns {reader.fieldnames}")
        roster = {}
        for line in reader:
            ident = collect.student_id(Path((line.get("id") or "").strip() or "_"))
            roster[ident] = {"name": (line.get("name") or "").strip(), "email": (line.get("email") or "").strip()}
    return roster


def _grade_command(target: Path, json_out: Path, options: dict[str, Any]) -> list[str]:
    return [sys.executable, "-m", "grader", "grade", "--target", str(target), "--json", str(json_out), "--quiet",
            "--seed", str(options["seed"]), "--jobs", "1",  # the batch is parallel across students
            *(f"--phase={p}" for p in options["phases"]), *(["--decoupled"] if options["decoupled"] else [])]


def grade_one(student: str, entries: list[collect.Entry], out: Path, options: dict[str, Any],
              person: dict[str, str]) -> dict[str, Any]:
    """Collect and grade one student; write its folder; return its row."""
    folder = out / student
    folder.mkdir(parents=True, exist_ok=True)
    row: dict[str, Any] = {"student": student, "name": person.get("name", ""), "email": person.get("email", ""),
                           "submission": ", ".join(e.path.name for e in entries), "error": "", "notes": [],
                           "result": None, "resumed": False, "why": ""}
    if not entries:
        row["error"] = "no submission"
    elif entries[0].error:
        row["error"] = entries[0].error
    if row["error"]:
        return _finish_error(folder, row)
    with tempfile.TemporaryDirectory(prefix="grader-submission-") as tmp:
        collected = collect.assemble(entries[0].path, Path(tmp))
        row["notes"] = collected.notes
        if collected.error:
            row["error"] = collected.error
            return _finish_error(folder, row)
        wanted = stamp.key(collect.digest(collected.target), options)
        row["why"] = stamp.why_stale(folder, wanted)
        if not row["why"]:
            row["result"], row["resumed"] = json.loads((folder / "grade.json").read_text()), True
            gradebook.write_row(folder, row)
            return row
        done = folder / "grade.json"
        done.unlink(missing_ok=True)
        start = time.perf_counter()
        try:
            run = subprocess.run(_grade_command(collected.target, done, options), cwd=REPO, capture_output=True,
                                 text=True, timeout=STUDENT_WALL_SECONDS,
                                 env={**os.environ, "GRADER_REQUIRE_ISOLATION": "1"})  # never limits only, silently
            failed = run.returncode != 0 or not done.exists()
            row["error"] = (run.stderr.strip()[-2000:] or "grading failed") if failed else ""
        except (subprocess.TimeoutExpired, OSError) as exc:
            row["error"] = f"{type(exc).__name__}: {exc}"
        elapsed = time.perf_counter() - start
    if row["error"]:
        return _finish_error(folder, row)
    result = json.loads(done.read_text())
    result["target"] = student  # not the temporary folder it was graded in
    result["submission"] = row["submission"]
    done.write_text(json.dumps(result, indent=2) + "\n")
    row["result"] = result
    (folder / "results.json").write_text(json.dumps(gradebook.gradescope_results(result, execution_time=elapsed),
                                                    indent=2) + "\n")
    (folder / "feedback.md").write_text(gradebook.feedback_markdown(student, result, row["notes"]))
    gradebook.write_row(folder, row)
    stamp.store(folder, wanted)
    return row


def _finish_error(folder: Path, row: dict[str, Any]) -> dict[str, Any]:
    for name in ("grade.json", "results.json", ".fingerprint"):
        (folder / name).unlink(missing_ok=True)
    (folder / "feedback.md").write_text(gradebook.error_feedback(row["student"], row["error"], row["notes"]))
    (folder / "results.json").write_text(json.dumps(gradebook.failed_results(
        f"Your submission could not be graded: {row['error'].strip().splitlines()[-1]}"), indent=2) + "\n")
    gradebook.write_row(folder, row)
    return row


def parse_shard(text: str | None) -> tuple[int, int]:
    """'I/N' -> (I, N) with 0 <= I < N; None -> (0, 1)."""
    if not text:
        return 0, 1
    try:
        index, count = (int(x) for x in text.split("/"))
    except ValueError:
        raise ValueError(f"--shard: expected I/N (e.g. 0/4); got {text!r}") from None
    if not (count >= 1 and 0 <= index < count):
        raise ValueError(f"--shard: expected 0 <= I < N; got {text!r}")
    return index, count


def plan(submissions: Path, roster: dict[str, dict[str, str]], shard: tuple[int, int], out: Path | None = None
         ) -> tuple[dict[str, list[collect.Entry]], list[tuple[str, str]]]:
    """The students of this shard (id -> entries, [] when only on the roster) and the skipped entries."""
    entries, skipped = collect.find_entries(submissions)
    if out is not None and any(e.path.resolve() == out.resolve() for e in entries):
        entries = [e for e in entries if e.path.resolve() != out.resolve()]
        skipped = sorted([*skipped, (out.name, "the output folder")])
    by_id: dict[str, list[collect.Entry]] = {}
    for entry in entries:
        by_id.setdefault(entry.student, []).append(entry)
    for ident in roster:
        by_id.setdefault(ident, [])
    ids = sorted(by_id)
    mine = {ident: by_id[ident] for i, ident in enumerate(ids) if i % shard[1] == shard[0]}
    return mine, skipped


def run_batch(submissions: Path, out: Path, jobs: int = 2, seed: int = 0, phases: list[str] | None = None,
              decoupled: bool = False, shard: str | None = None, roster: Path | None = None) -> int:
    if not submissions.is_dir():
        print(f"grader: {submissions} is not a folder", file=sys.stderr)
        return 2
    try:
        for name in phases or []:
            by_name(name)
        where = parse_shard(shard)
        people = read_roster(roster) if roster else {}
    except (ValueError, OSError) as exc:
        print(f"grader: {exc}", file=sys.stderr)
        return 2
    options = {"seed": seed, "phases": sorted(phases or [], key=lambda n: by_name(n).path), "decoupled": decoupled}
    students, skipped = plan(submissions, people, where, out)
    out.mkdir(parents=True, exist_ok=True)
    rows: list[dict[str, Any]] = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, jobs)) as pool, \
            tqdm(total=len(students), unit="student", file=sys.stderr, dynamic_ncols=True) as bar:
        futures = [pool.submit(grade_one, ident, found, out, options, people.get(ident, {}))
                   for ident, found in students.items()]
        for future in concurrent.futures.as_completed(futures):
            row = future.result()
            rows.append(row)
            bar.set_postfix_str(row["student"][:30])
            bar.update()
    (out / "run.json").write_text(json.dumps({"options": options, "shard": list(where), "students": sorted(students),
                                              "skipped": skipped}, indent=1) + "\n")
    live = sorted(rows, key=lambda r: r["student"])
    rows = [gradebook.read_row(out / ident) for ident in sorted(students)]  # as merge reads them
    gradebook.write_gradebook(rows, out)
    summary.write_summary(rows, out, skipped)
    _report(live, skipped, out, where)
    return 0


def _report(rows: list[dict[str, Any]], skipped: list[tuple[str, str]], out: Path, where: tuple[int, int]) -> None:
    shard = f" (shard {where[0]}/{where[1]})" if where[1] > 1 else ""
    resumed = sum(r["resumed"] for r in rows)
    print(f"Graded {len(rows)} student(s) into {out}{shard} ({resumed} unchanged since the last run).")
    regraded = [f"{r['student']} ({r['why']})" for r in rows if r["why"] and r["why"] != "not graded yet"]
    if regraded:
        print(f"Regraded: {'; '.join(regraded)}")
    for name, why in skipped:
        print(f"  skipped {name!r}: {why}")
    for row in rows:
        if row["error"]:
            print(f"  {row['student']:<24} error: {row['error'].strip().splitlines()[-1]}")
        else:
            print(f"  {row['student']:<24} {row['result']['score']:>6g} / {row['result']['max_score']:g}")

