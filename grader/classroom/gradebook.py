"""What a class run writes for people: each student's feedback and results.json, the class's grades.csv.

A *row* is one student of the gradebook, a plain dict kept as ``<out>/<student>/row.json``:
``student``, ``name``, ``email`` (from the roster), ``submission`` (the entry's name, '' when
missing), ``error`` ('' when graded), ``notes`` (how the packages were found) and ``result`` (the
grader's JSON, or None). The gradebook and the summary are built from rows only, so a merged set
of shards gives the same files as one run.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from grader.engine import numeric
from grader.engine.phases import PHASES

VISIBILITIES = ("visible", "after_due_date", "after_published", "hidden")


def isolation_text(result: dict[str, Any] | None) -> str:
    """The grade's isolation mode in one line ('' when the grade does not say)."""
    value = (result or {}).get("isolation")
    if isinstance(value, dict):
        text = str(value.get("mode") or json.dumps(value, sort_keys=True))
        return text + (f" (warning: {value['warning']})" if value.get("warning") else "")
    return str(value or "")


def gradescope_results(result: dict[str, Any], visibility: str = "visible",
                       execution_time: float | None = None) -> dict[str, Any]:
    """Gradescope's results.json for a grade; ``visibility`` applies to every test's message."""
    if visibility not in VISIBILITIES:
        raise ValueError(f"visibility must be one of {', '.join(VISIBILITIES)}; got {visibility!r}")
    tests = []
    for phase in result["phases"]:
        for test in phase["tests"]:
            tests.append({
                "name": f"{phase['name']}: {test['id']}",
                "score": test["points"],
                "max_score": test["max_points"],
                "status": "passed" if test["passed"] else "failed",
                "output": test["message"],
                "visibility": visibility,
            })
    lines = [f"- **{p['name']}** {p['score']:g} / {p['max_score']:g}{' (complete)' if p['complete'] else ''}"
             for p in result["phases"]]
    if isolation_text(result):
        lines.append(f"\nGraded with isolation: {isolation_text(result)}")
    done: dict[str, Any] = {"score": result["score"], "tests": tests, "output": "\n".join(lines),
                            "output_format": "md", "stdout_visibility": "hidden"}
    if execution_time is not None:
        done["execution_time"] = round(execution_time)
    if result.get("isolation"):
        done["extra_data"] = {"isolation": result["isolation"]}
    return done


def failed_results(message: str, execution_time: float | None = None) -> dict[str, Any]:
    done: dict[str, Any] = {"score": 0, "output": message, "output_format": "md", "stdout_visibility": "hidden",
                            "tests": []}
    if execution_time is not None:
        done["execution_time"] = round(execution_time)
    return done


def feedback_markdown(student: str, result: dict[str, Any], notes: list[str] = ()) -> str:
    lines = [f"# Feedback for {student}", "", f"Total: **{result['score']:g} / {result['max_score']:g}**", ""]
    if notes:
        lines += ["How your files were found:", "", *(f"- {n}" for n in notes), ""]
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


def error_feedback(student: str, error: str, notes: list[str] = ()) -> str:
    lines = [f"# Feedback for {student}", "", f"Your submission could not be graded: {error}", ""]
    if notes:
        lines += ["What the grader saw:", "", *(f"- {n}" for n in notes), ""]
    return "\n".join(lines)


def write_row(folder: Path, row: dict[str, Any]) -> None:
    kept = {k: row[k] for k in ("student", "name", "email", "submission", "error", "notes")}
    (folder / "row.json").write_text(json.dumps(kept, indent=1) + "\n")


def read_row(folder: Path) -> dict[str, Any]:
    """A student's row from its folder: row.json plus its grade.json when graded."""
    row = json.loads((folder / "row.json").read_text())
    graded = folder / "grade.json"
    row["result"] = json.loads(graded.read_text()) if not row["error"] and graded.is_file() else None
    return row


def phase_names(rows: list[dict[str, Any]]) -> list[str]:
    present = {p["name"] for r in rows if r["result"] for p in r["result"]["phases"]}
    return [p.name for p in PHASES if p.name in present]


def write_gradebook(rows: list[dict[str, Any]], out: Path) -> None:
    """``grades.csv``: one line per student (sorted by id), scores per phase, total, isolation, error."""
    names = phase_names(rows)
    with open(out / "grades.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["student", "name", "email", "submission", *[f"{n}_score" for n in names],
                         *[f"{n}_complete" for n in names], "total", "max_total", "isolation", "error"])
        for row in sorted(rows, key=lambda r: r["student"]):
            result = row["result"] or {}
            phases = {p["name"]: p for p in result.get("phases", [])}
            writer.writerow([
                row["student"], row.get("name", ""), row.get("email", ""), row.get("submission", ""),
                *[f"{phases[n]['score']:g}" if n in phases else "" for n in names],
                *[str(phases[n]["complete"]).lower() if n in phases else "" for n in names],
                f"{result['score']:g}" if result else "0",
                f"{result['max_score']:g}" if result else "",
                isolation_text(result),
                row["error"].strip().splitlines()[-1] if row["error"].strip() else "",
            ])
