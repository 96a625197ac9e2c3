"""The invariants that keep the tests honest: the reference scores everything, the stubs nothing."""

import pytest

from grader.selftest.helpers import available_phases, copy_solutions, grade, phase_result, write_stubs


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_solutions_score_full_marks_on_every_phase(seed):
    result = grade(copy_solutions_once(), seed=seed)
    assert result["target"]
    for name in available_phases():
        phase = phase_result(result, name)
        failed = [f"{t['id']}: {t['message']}" for t in phase["tests"] if not t["passed"]]
        assert phase["complete"] and phase["score"] == phase["max_score"] > 0, "\n".join(failed)
        assert all(g["passed"] and g["rel_error"] < g["threshold"] for g in phase["gradchecks"])
    assert result["score"] == result["max_score"]


_SOLUTION_COPY = {}


def copy_solutions_once():
    # the solutions copied once per worker process: grading never writes into a target
    if "path" not in _SOLUTION_COPY:
        import tempfile
        from pathlib import Path

        _SOLUTION_COPY["path"] = copy_solutions(Path(tempfile.mkdtemp(prefix="selftest-solutions-")) / "solutions")
    return _SOLUTION_COPY["path"]


def test_every_hidden_test_and_gradient_check_fails_on_the_stubs(tmp_path):
    result = grade(write_stubs(tmp_path / "stubs"))
    assert result["score"] == 0
    for name in available_phases():
        phase = phase_result(result, name)
        assert not phase["complete"]
        passing = [t["id"] for t in phase["tests"] if t["passed"]]
        assert not passing, f"{name}: these hidden tests pass on the stubs, so they check nothing: {passing}"
        assert phase["gradchecks"], f"{name} has no gradient checks"
        assert not any(g["passed"] for g in phase["gradchecks"])
        assert all(t["message"] for t in phase["tests"]), "every failure needs a message"


def test_the_json_has_exactly_the_documented_keys():
    result = grade(copy_solutions_once(), phases=["phase0_math"])
    assert set(result) == {"target", "score", "max_score", "phases", "isolation"}
    assert set(result["isolation"]) == {"mode", "detail", "warning"}
    phase = result["phases"][0]
    assert set(phase) == {"name", "score", "max_score", "complete", "tests", "gradchecks"}
    assert set(phase["tests"][0]) == {"id", "passed", "points", "max_points", "message"}
    assert set(phase["gradchecks"][0]) == {"name", "rel_error", "threshold", "passed"}


def test_regrading_gives_the_same_result():
    first = grade(copy_solutions_once(), phases=["phase0_math"], seed=5)
    second = grade(copy_solutions_once(), phases=["phase0_math"], seed=5)
    strip = lambda r: [(t["id"], t["passed"]) for p in r["phases"] for t in p["tests"]]  # noqa: E731
    assert strip(first) == strip(second)
    assert [g["rel_error"] for g in first["phases"][0]["gradchecks"]] == [
        g["rel_error"] for g in second["phases"][0]["gradchecks"]
    ]


def test_grading_in_two_jobs_gives_the_same_result_as_one(tmp_path):
    import json
    import subprocess
    import sys

    from grader.engine.phases import REPO

    results = []
    for jobs in ("1", "2"):
        out = tmp_path / f"jobs{jobs}.json"
        subprocess.run([sys.executable, "-m", "grader", "grade", "--target", str(copy_solutions_once()), "--json",
                        str(out), "--quiet", "--jobs", jobs, "--phase", "phase0_math", "--phase", "phase3_transformer",
                        "--phase", "language_models"], cwd=REPO, check=True, timeout=600)
        results.append(json.loads(out.read_text()))
    assert results[0] == results[1]
    assert [p["name"] for p in results[1]["phases"]] == ["phase0_math", "phase3_transformer", "language_models"]
