"""Grading a class: one row per student, Gradescope results, feedback without hidden tests, resume."""

import csv
import json
import shutil
import subprocess
import sys
import zipfile

from grader.engine.phases import REPO
from grader.selftest.helpers import copy_solutions, write_stubs


def _zip_folder(folder, archive):
    with zipfile.ZipFile(archive, "w") as zf:
        for path in folder.rglob("*"):
            zf.write(path, path.relative_to(folder.parent))


def _batch(submissions, out):
    return subprocess.run([sys.executable, "-m", "grader", "batch", str(submissions), "--out", str(out), "--jobs", "2"],
                          cwd=REPO, capture_output=True, text=True, timeout=600)


def test_a_batch_grades_every_student_and_resumes(tmp_path):
    subs = tmp_path / "submissions"
    copy_solutions(subs / "alice")
    write_stubs(subs / "bob")
    write_stubs(subs / "carol")
    shutil.copy(REPO / "solutions/phase0_math/softmax.py", subs / "carol/phase0_math/softmax.py")
    copy_solutions(tmp_path / "dave")
    _zip_folder(tmp_path / "dave", subs / "dave.zip")
    (subs / "eve.zip").write_bytes(b"this is not a zip file")

    done = _batch(subs, tmp_path / "out")
    assert done.returncode == 0, done.stderr
    rows = {r["student"]: r for r in csv.DictReader(open(tmp_path / "out/grades.csv"))}
    assert set(rows) == {"alice", "bob", "carol", "dave", "eve"}
    assert rows["alice"]["total"] == rows["alice"]["max_total"] and rows["alice"]["phase0_math_complete"] == "true"
    assert rows["dave"]["total"] == rows["alice"]["total"]
    assert float(rows["bob"]["total"]) == 0
    assert 0 < float(rows["carol"]["total"]) < float(rows["alice"]["total"])
    assert rows["eve"]["error"] and rows["eve"]["total"] == "0"

    results = json.loads((tmp_path / "out/carol/results.json").read_text())
    assert set(results) >= {"score", "tests"}
    assert set(results["tests"][0]) == {"name", "score", "max_score", "status", "output", "visibility"}
    feedback = (tmp_path / "out/carol/feedback.md").read_text()
    assert "not started" in feedback
    hidden_source = (REPO / "phase0_math/tests/hidden/test_softmax.py").read_text()
    for line in hidden_source.splitlines():
        if "assert_close(" in line or "rng.normal" in line:
            assert line.strip() not in feedback, "feedback quotes a hidden test"
    assert (tmp_path / "out/summary.md").exists() and (tmp_path / "out/summary.png").exists()

    again = _batch(subs, tmp_path / "out")
    assert "4 unchanged since the last run" in again.stdout, again.stdout
    regraded = {r["student"]: r for r in csv.DictReader(open(tmp_path / "out/grades.csv"))}
    assert regraded == rows, "resuming must give the same gradebook"
