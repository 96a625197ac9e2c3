"""The Gradescope autograder zip: unpacked as Gradescope does, it grades a submission, writes
results.json with Gradescope's fields, and writes nothing outside its root."""

import json
import os
import shutil
import subprocess
import sys
import zipfile

from grader.classroom import gradescope
from grader.selftest.helpers import copy_solutions, write_stubs


def _run_autograder(tmp_path, make_submission, visibility="visible"):
    archive = gradescope.build(tmp_path / "build", visibility)
    with zipfile.ZipFile(archive) as zf:
        names = set(zf.namelist())
        assert {"setup.sh", "run_autograder", "grader/cli.py", "phase0_math/tests/hidden/test_softmax.py"} <= names
        zf.extractall(tmp_path / "autograder/source")
    make_submission(tmp_path / "autograder/submission")
    root = tmp_path / "autograder"
    env = {**os.environ, "AUTOGRADER_ROOT": str(root), "PYTHON": sys.executable}
    done = subprocess.run(["bash", str(root / "source/run_autograder")], env=env,
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["autograder", "build"]
    results = json.loads((root / "results/results.json").read_text())
    assert results["output_format"] == "md" and results["stdout_visibility"] == "hidden"
    assert isinstance(results["execution_time"], int)
    return results


def test_the_autograder_gives_the_reference_full_marks(tmp_path):
    def nested(folder):  # uploaded as one folder holding the course
        copy_solutions(folder / "my-work")

    results = _run_autograder(tmp_path, nested)
    assert results["score"] == sum(t["max_score"] for t in results["tests"]) > 0
    assert all(t["status"] == "passed" and t["visibility"] == "visible" for t in results["tests"])
    grade = json.loads((tmp_path / "autograder/work/grade.json").read_text())
    assert grade["target"] == "submission"


def test_the_autograder_gives_the_stubs_nothing_and_can_hold_messages_until_the_deadline(tmp_path):
    results = _run_autograder(tmp_path, write_stubs, visibility="after_due_date")
    assert results["score"] == 0 and results["tests"]
    assert all(t["status"] == "failed" and t["output"] for t in results["tests"])
    assert {t["visibility"] for t in results["tests"]} == {"after_due_date"}


def test_a_submission_without_a_package_says_what_was_found(tmp_path):
    root = tmp_path / "autograder"
    (root / "submission").mkdir(parents=True)
    (root / "submission/report.pdf").write_bytes(b"%PDF")
    done = gradescope.run(root)
    assert done == 0
    results = json.loads((root / "results/results.json").read_text())
    assert results["score"] == 0 and "report.pdf" in results["output"] and "make submission" in results["output"]
    assert all("$ROOT/" in line for line in gradescope.RUN_AUTOGRADER.splitlines() if "/tmp" in line)
    shutil.rmtree(root / "work")
