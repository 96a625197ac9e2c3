"""The Gradescope autograder zip: unpacked as Gradescope does, it grades a submission."""

import json
import os
import subprocess
import sys
import zipfile

from grader.classroom import gradescope
from grader.selftest.helpers import copy_solutions, write_stubs


def _run_autograder(tmp_path, make_submission):
    archive = gradescope.build(tmp_path / "build")
    with zipfile.ZipFile(archive) as zf:
        names = set(zf.namelist())
        assert {"setup.sh", "run_autograder", "grader/cli.py", "phase0_math/tests/hidden/test_softmax.py"} <= names
        zf.extractall(tmp_path / "autograder/source")
    make_submission(tmp_path / "autograder/submission")
    env = {**os.environ, "AUTOGRADER_ROOT": str(tmp_path / "autograder"), "PYTHON": sys.executable}
    done = subprocess.run(["bash", str(tmp_path / "autograder/source/run_autograder")], env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    return json.loads((tmp_path / "autograder/results/results.json").read_text())


def test_the_autograder_gives_the_reference_full_marks(tmp_path):
    results = _run_autograder(tmp_path, copy_solutions)
    assert results["score"] == sum(t["max_score"] for t in results["tests"]) > 0
    assert all(t["status"] == "passed" for t in results["tests"])


def test_the_autograder_gives_the_stubs_nothing(tmp_path):
    results = _run_autograder(tmp_path, write_stubs)
    assert results["score"] == 0 and results["tests"]
    assert all(t["status"] == "failed" and t["output"] for t in results["tests"])
