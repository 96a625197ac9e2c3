"""Grade a class: every sub-folder or ``.zip`` of a submissions folder is one student.

Each student is graded by its own ``python -m grader grade`` process (so one student's crash or
hang cannot touch another's), several at a time. For every student it writes
``<out>/<student>/grade.json`` (the grader's JSON), ``results.json`` (Gradescope's format) and
``feedback.md``; for the class ``grades.csv`` and ``summary.md`` (+ ``summary.png``). A student
already graded from the same files is not graded again, so an interrupted batch resumes.
"""

from __future__ import annotations

import concurrent.futures
import csv
import hashlib
import json
import re
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from tqdm import tqdm

from grader.engine import numeric
from grader.engine.phases import PHASES, REPO

MAX_UNZIPPED_BYTES = 50 * 2**20
STUDENT_WALL_SECONDS = 900


def _student_name(path: Path) -> str:
    stem = path.stem if path.suffix == ".zip" else path.name
    return re.sub(r"[^A-Za-z0-9_.-]", "_", stem) or "student"


def find_submissions(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if (p.is_dir() and not p.name.startswith(".")) or p.suffix == ".zip")


def fingerprint(path: Path) -> str:
    """A hash of every file of a submission (names and bytes): unchanged files, same grade."""
    digest = hashlib.sha256()
    if path.is_file():
        digest.update(path.read_bytes())
    else:
        for file in sorted(p for p in path.rglob("*") if p.is_file() and not p.is_symlink()):
            digest.update(str(file.relative_to(path)).encode() + b"\0" + file.read_bytes())
    return digest.hexdigest()


def unpack_zip(archive: Path, dest: Path) -> Path:
    """Extract safely (no absolute paths, no '..', no links, bounded size); return the folder that
    holds the phase packages (the archive's single top folder when it has one)."""
    with zipfile.ZipFile(archive) as zf:
        total = 0
        for info in zf.infolist():
            name = Path(info.filename)
            if name.is_absolute() or ".." in name.parts or (info.external_attr >> 16) & 0o170000 == 0o120000:
                continue
            total += info.file_size
            if total > MAX_UNZIPPED_BYTES:
                raise ValueError(f"{archive.name} unpacks to more than {MAX_UNZIPPED_BYTES // 2**20} MB")
            zf.extract(info, dest)
    names = {p.name for p in PHASES}
    entries = [p for p in dest.iterdir() if not p.name.startswith(("__MACOSX", "."))]
    if len(entries) == 1 and entries[0].is_dir() and entries[0].name not in names:
        return entries[0]
    return dest


def gradescope_results(result: dict[str, Any]) -> dict[str, Any]:
    tests = []
    for phase in result["phases"]:
        for test in phase["tests"]:
            tests.append({
                "name": f"{phase['name']}: {test['id']}",
                "score": test["points"],
                "max_score": test["max_points"],
                "status": "passed" if test["passed"] else "failed",
                "output": test["message"],
                "visibility": "visible",
            })
    summary = ", ".join(f"{p['name']} {p['score']:g}/{p['max_score']:g}{' complete' if p['complete'] else ''}"
                        for p in result["phases"])
    return {"score": result["score"], "tests": tests, "output": summary}


def feedback_markdown(student: str, result: dict[str, Any]) -> str:
    lines = [f"# Feedback for {student}", "", f"Total: **{result['score']:g} / {result['max_score']:g}**", ""]
    for phase in result["phases"]:
        state = "complete" if phase["complete"] else "not complete"
        lines += [f"## {phase['name']}: {phase['score']:g} / {phase['max_score']:g} ({state})", ""]
        failed = [t for t in phase["tests"] if not t["passed"]]
        if not failed:
            lines += ["Every test passes.", ""]
        for test in failed:
            name = test["id"].rsplit("::", 1)[-1]
            message = (test["message"] or "failed").replace("\n", "\n    ")
            lines.append(f"- `{name}`: {message}")
        checks = [g for g in phase["gradchecks"] if not g["passed"]]
        if checks:
            lines += ["", "Gradient checks that failed:", ""]
            for check in checks:
                error = "not computed" if check["rel_error"] is None else f"relative error {check['rel_error']:.2e}"
                lines.append(f"- {check['name']}: {error} ({numeric.band(check['rel_error'])})")
        lines.append("")
    return "\n".join(lines)


def grade_one(submission: Path, out: Path, seed: int) -> dict[str, Any]:
    """Grade one submission in a subprocess; return a row for the gradebook."""
    student = _student_name(submission)
    folder = out / student
    folder.mkdir(parents=True, exist_ok=True)
    stamp = fingerprint(submission) + f":{seed}"
    done = folder / "grade.json"
    if done.exists() and (folder / ".fingerprint").exists() and (folder / ".fingerprint").read_text() == stamp:
        return {"student": student, "result": json.loads(done.read_text()), "error": "", "resumed": True}
    with tempfile.TemporaryDirectory(prefix="grader-submission-") as tmp:
        try:
            target = unpack_zip(submission, Path(tmp)) if submission.suffix == ".zip" else submission
            run = subprocess.run(
                [sys.executable, "-m", "grader", "grade", "--target", str(target), "--json", str(done),
                 "--quiet", "--seed", str(seed), "--jobs", "1"],  # the batch is parallel across students
                cwd=REPO, capture_output=True, text=True, timeout=STUDENT_WALL_SECONDS,
            )
            error = "" if run.returncode == 0 and done.exists() else (run.stderr.strip()[-2000:] or "grading failed")
        except (ValueError, zipfile.BadZipFile, subprocess.TimeoutExpired, OSError) as exc:
            error = f"{type(exc).__name__}: {exc}"
    if error:
        done.unlink(missing_ok=True)
        (folder / "feedback.md").write_text(f"# Feedback for {student}\n\nYour submission could not be graded: {error}\n")
        return {"student": student, "result": None, "error": error, "resumed": False}
    result = json.loads(done.read_text())
    (folder / "results.json").write_text(json.dumps(gradescope_results(result), indent=2) + "\n")
    (folder / "feedback.md").write_text(feedback_markdown(student, result))
    (folder / ".fingerprint").write_text(stamp)
    return {"student": student, "result": result, "error": "", "resumed": False}


def write_gradebook(rows: list[dict[str, Any]], out: Path) -> None:
    names = [p.name for p in PHASES if any(r["result"] and any(q["name"] == p.name for q in r["result"]["phases"])
                                            for r in rows)]
    with open(out / "grades.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["student", *[f"{n}_score" for n in names], *[f"{n}_complete" for n in names],
                         "total", "max_total", "error"])
        for row in sorted(rows, key=lambda r: r["student"]):
            phases = {p["name"]: p for p in (row["result"] or {}).get("phases", [])}
            writer.writerow([
                row["student"],
                *[f"{phases[n]['score']:g}" if n in phases else "" for n in names],
                *[str(phases[n]["complete"]).lower() if n in phases else "" for n in names],
                f"{row['result']['score']:g}" if row["result"] else "0",
                f"{row['result']['max_score']:g}" if row["result"] else "",
                row["error"].splitlines()[-1] if row["error"] else "",
            ])


def write_summary(rows: list[dict[str, Any]], out: Path) -> None:
    """The pass rate of every test across the class: what confused the students."""
    graded = [r["result"] for r in rows if r["result"]]
    rates: dict[str, list[bool]] = {}
    for result in graded:
        for phase in result["phases"]:
            for test in phase["tests"]:
                rates.setdefault(f"{phase['name']}: {test['id']}", []).append(test["passed"])
    lines = [f"# Class summary: {len(rows)} submissions, {len(graded)} graded", ""]
    failed = [r["student"] for r in rows if r["error"]]
    if failed:
        lines += [f"Could not be graded: {', '.join(failed)}", ""]
    lines += ["| pass rate | test |", "| ---: | --- |"]
    ordered = sorted(rates.items(), key=lambda kv: (sum(kv[1]) / len(kv[1]), kv[0]))
    for name, outcomes in ordered:
        lines.append(f"| {100 * sum(outcomes) / len(outcomes):.0f} % | `{name}` |")
    (out / "summary.md").write_text("\n".join(lines) + "\n")
    if ordered:
        _plot_summary(ordered, out / "summary.png")


def _plot_summary(ordered: list[tuple[str, list[bool]]], path: Path) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return
    worst = ordered[:30]
    fig, ax = plt.subplots(figsize=(9, 0.3 * len(worst) + 1.2))
    ax.barh([n.split("::")[-1][:60] for n, _ in worst], [100 * sum(o) / len(o) for _, o in worst], color="#4a7ab5")
    ax.set_xlabel("students passing (%)")
    ax.set_xlim(0, 100)
    ax.invert_yaxis()
    ax.set_title("Hardest tests of the class (lowest pass rate first)")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def run_batch(submissions: Path, out: Path, jobs: int = 2, seed: int = 0) -> int:
    if not submissions.is_dir():
        print(f"grader: {submissions} is not a folder", file=sys.stderr)
        return 2
    entries = find_submissions(submissions)
    out.mkdir(parents=True, exist_ok=True)
    rows: list[dict[str, Any]] = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, jobs)) as pool, \
            tqdm(total=len(entries), unit="student", file=sys.stderr, dynamic_ncols=True) as bar:
        futures = {pool.submit(grade_one, entry, out, seed): entry for entry in entries}
        for future in concurrent.futures.as_completed(futures):
            row = future.result()
            rows.append(row)
            bar.set_postfix_str(row["student"][:30])
            bar.update()
    write_gradebook(rows, out)
    write_summary(rows, out)
    resumed = sum(r["resumed"] for r in rows)
    broken = [r["student"] for r in rows if r["error"]]
    print(f"Graded {len(rows)} submission(s) into {out} ({resumed} unchanged since the last run).")
    if broken:
        print(f"Could not grade: {', '.join(broken)} (see their feedback.md)")
    for row in sorted(rows, key=lambda r: r["student"]):
        if row["result"]:
            print(f"  {row['student']:<24} {row['result']['score']:>6g} / {row['result']['max_score']:g}")
    return 0
