"""Grading a class: one row per student, a clear error for every malformed submission, feedback
without hidden tests, resume, and a regrade (with its reason) when the resume key changes."""

import csv
import json
import shutil
import subprocess
import sys
import zipfile

from grader.engine.phases import REPO, SOLUTIONS
from grader.selftest.helpers import copy_solutions, write_stubs


def _zip_folder(folder, archive, prefix=""):
    with zipfile.ZipFile(archive, "w") as zf:
        for path in folder.rglob("*"):
            zf.write(path, prefix + str(path.relative_to(folder.parent)))


def _batch(submissions, out, *extra):
    return subprocess.run([sys.executable, "-m", "grader", "batch", str(submissions), "--out", str(out), "--jobs", "2",
                           "--phase", "phase0_math", *map(str, extra)],
                          cwd=REPO, capture_output=True, text=True, timeout=600)


def _rows(out):
    return {r["student"]: r for r in csv.DictReader(open(out / "grades.csv"))}


def test_a_batch_grades_every_student_and_resumes(tmp_path):
    subs = tmp_path / "submissions"
    copy_solutions(subs / "alice")
    write_stubs(subs / "carol")
    shutil.copy(REPO / "solutions/phase0_math/softmax.py", subs / "carol/phase0_math/softmax.py")
    (subs / "carol/.venv/lib").mkdir(parents=True)  # junk: never read, not counted against the cap
    (subs / "carol/.venv/lib/big.bin").write_bytes(b"\0" * (60 * 2**20))
    shutil.copytree(SOLUTIONS / "phase0_math", tmp_path / "dave/two/levels/phase0_math")
    (tmp_path / "dave/__MACOSX").mkdir()
    (tmp_path / "dave/__MACOSX/._softmax.py").write_bytes(b"\0\5\26\7")
    _zip_folder(tmp_path / "dave", subs / "dave.zip")
    (subs / "eve.zip").write_bytes(b"this is not a zip file")
    (subs / "gus").mkdir()  # empty
    (subs / "ivy").mkdir()
    (subs / "ivy/README.md").write_text("nothing here")
    write_stubs(subs / "Zed Z")
    write_stubs(subs / "Zed_Z")
    (subs / "notes.pdf").write_bytes(b"%PDF")
    with zipfile.ZipFile(subs / "...zip", "w") as zf:
        zf.writestr("../../escaped.py", "x = 1\n")
    roster = tmp_path / "roster.csv"
    roster.write_text("id,name,email\nalice,Alice A,a@x.org\njoe,Joe J,j@x.org\n")

    out = tmp_path / "out"
    done = _batch(subs, out, "--roster", roster)
    assert done.returncode == 0, done.stderr
    rows = _rows(out)
    assert set(rows) >= {"alice", "carol", "dave", "eve", "gus", "ivy", "Zed_Z", "joe"}
    full = rows["alice"]["max_total"]
    assert rows["alice"]["total"] == full and rows["alice"]["phase0_math_complete"] == "true"
    assert rows["alice"]["name"] == "Alice A" and rows["alice"]["email"] == "a@x.org"
    assert rows["dave"]["total"] == full and not rows["dave"]["error"]
    assert 0 < float(rows["carol"]["total"]) < float(full) and not rows["carol"]["error"]
    assert rows["eve"]["error"] and rows["eve"]["total"] == "0"
    assert "empty" in rows["gus"]["error"] and "README.md" in rows["ivy"]["error"]
    assert "claimed by 2 entries" in rows["Zed_Z"]["error"]
    assert rows["joe"]["error"] == "no submission" and rows["joe"]["name"] == "Joe J"
    assert "notes.pdf" in done.stdout and "not a folder, .zip or .tar.gz" in done.stdout
    dotted = [r for r in rows.values() if r["submission"] == "...zip"]
    assert len(dotted) == 1 and dotted[0]["error"] and dotted[0]["student"].startswith("unnamed-")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dave", "out", "roster.csv", "submissions"]
    assert all(p.resolve().is_relative_to(out.resolve()) for p in out.rglob("*"))

    grade = json.loads((out / "dave/grade.json").read_text())
    assert grade["target"] == "dave" and grade["submission"] == "dave.zip"
    assert "README.md" in (out / "ivy/feedback.md").read_text()
    results = json.loads((out / "carol/results.json").read_text())
    assert set(results) >= {"score", "tests", "execution_time", "output_format", "stdout_visibility"}
    assert set(results["tests"][0]) == {"name", "score", "max_score", "status", "output", "visibility"}
    feedback = (out / "carol/feedback.md").read_text()
    assert "not started" in feedback
    hidden_source = (REPO / "phase0_math/tests/hidden/test_softmax.py").read_text()
    for line in hidden_source.splitlines():
        if "assert_close(" in line or "rng.normal" in line:
            assert line.strip() not in feedback, "feedback quotes a hidden test"
    summary = (out / "summary.md").read_text()
    assert "## Total scores" in summary and "| phase0_math |" in summary and "notes.pdf" in summary
    assert (out / "summary.png").stat().st_size > 0

    again = _batch(subs, out, "--roster", roster)
    graded = sum(1 for r in rows.values() if not r["error"])
    assert f"({graded} unchanged since the last run)" in again.stdout, again.stdout
    assert _rows(out) == rows, "resuming must give the same gradebook"

    key = json.loads((out / "alice/.fingerprint").read_text())
    key["hidden_tests"] = "an older digest"
    (out / "alice/.fingerprint").write_text(json.dumps(key))
    third = _batch(subs, out, "--roster", roster)
    assert "alice (the hidden tests changed)" in third.stdout, third.stdout
    assert f"({graded - 1} unchanged" in third.stdout
    assert _rows(out) == rows
