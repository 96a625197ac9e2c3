"""Grade one target: run the trusted hidden tests of each phase against it and total the points.

pytest runs here, in this (trusted) process, over the repository's own ``<phase>/tests/hidden``;
the target's code runs in sandboxed workers (see :mod:`grader.engine.sandbox`). The result is a
plain dictionary (the JSON of ``python -m grader grade --json``)::

    {"target": str, "score": float, "max_score": float,
     "isolation": {"mode": "bwrap" | "user" | "none", "detail": str, "warning": str | None},
     "phases": [{"name", "score", "max_score", "complete", "tests": [{"id", "passed", "points",
                 "max_points", "message"}], "gradchecks": [{"name", "rel_error", "threshold", "passed"}]}]}

Class grading sets ``require_isolation`` (or the environment variable GRADER_REQUIRE_ISOLATION=1):
then a machine that can isolate neither with bubblewrap nor with an unprivileged uid refuses to
grade, unless GRADER_SANDBOX=none asks for limits alone (see :mod:`grader.engine.isolation`).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from grader.engine import isolation, pytest_plugin, redact, target as targets
from grader.engine.phases import PHASES, REPO, Phase, by_name


def gradable(names: list[str] | None = None) -> list[Phase]:
    phases = [by_name(n) for n in names] if names else list(PHASES)
    return [p for p in phases if p.available]


def run_pytest(
    target: Path, phases: list[Phase], seed: int, call_timeout: float, decoupled: bool = False
) -> dict[str, pytest_plugin.TestRecord]:
    import pytest

    args = [
        *(str(p.hidden_dir) for p in phases),
        f"--rootdir={REPO}",
        "-c", str(REPO / "pyproject.toml"),
        f"--target={target}",
        f"--grade-seed={seed}",
        f"--call-timeout={call_timeout}",
        *(["--decoupled"] if decoupled else []),
        "--assert=plain",  # assertion rewriting would quote hidden-test source in messages
        "-p", "no:cacheprovider",
        "-q", "--no-header", "--tb=no", "-p", "no:randomly",
    ]
    output = io.StringIO()
    with contextlib.redirect_stdout(output), contextlib.redirect_stderr(output):
        code = pytest.main(args)
    if code not in (0, 1):  # 1 = some tests failed, which is grading; anything else is our fault
        raise RuntimeError(f"the hidden tests could not run (pytest exit code {code}):\n{output.getvalue()[-4000:]}")
    return dict(pytest_plugin.RESULTS)


def _split(phases: list[Phase], jobs: int) -> list[list[Phase]]:
    """Phases in ``jobs`` groups of about equal work (the size of their hidden tests stands for it)."""
    cost = {p.name: sum(f.stat().st_size for f in p.hidden_dir.glob("test_*.py")) for p in phases}
    groups: list[list[Phase]] = [[] for _ in range(jobs)]
    for phase in sorted(phases, key=lambda p: -cost[p.name]):
        min(groups, key=lambda g: sum(cost[p.name] for p in g)).append(phase)
    return [g for g in groups if g]


def _grade_in_parallel(target: Path, phases: list[Phase], jobs: int, options: list[str]) -> dict[str, Any]:
    """One ``grade`` process per group of phases, run side by side; their results merged in course order."""
    with tempfile.TemporaryDirectory(prefix="grader-jobs-") as tmp:
        runs = []
        for i, group in enumerate(_split(phases, jobs)):
            out = Path(tmp) / f"{i}.json"
            command = [sys.executable, "-m", "grader", "grade", "--target", str(target), "--json", str(out),
                       "--quiet", "--jobs", "1", *options, *(f"--phase={p.name}" for p in group)]
            runs.append((subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE), out))
        parts = []
        for proc, out in runs:
            _, err = proc.communicate()
            if proc.returncode != 0 or not out.exists():
                raise RuntimeError(f"a grading job failed:\n{err.decode(errors='replace')[-3000:]}")
            parts.append(json.loads(out.read_text()))
    by_name = {p["name"]: p for part in parts for p in part["phases"]}
    merged = [by_name[p.name] for p in phases]
    return {"target": parts[0]["target"], "score": sum(p["score"] for p in merged),
            "max_score": sum(p["max_score"] for p in merged), "isolation": parts[0]["isolation"], "phases": merged}


def grade(
    target: str | Path | None = None, phase_names: list[str] | None = None, seed: int = 0, call_timeout: float = 10.0,
    decoupled: bool = False, jobs: int = 1, require_isolation: bool | None = None,
) -> dict[str, Any]:
    """Grade ``target``; ``decoupled`` grades each phase against the reference of the phases before it;
    ``jobs`` > 1 grades groups of phases in that many processes side by side (same result);
    ``require_isolation`` (default: GRADER_REQUIRE_ISOLATION=1) raises IsolationError rather than
    grade a class without isolation that GRADER_SANDBOX=none did not ask for."""
    if require_isolation is None:
        require_isolation = os.environ.get("GRADER_REQUIRE_ISOLATION", "") not in ("", "0")
    mode = isolation.summary(require=require_isolation)
    target_path = targets.resolve(target)
    phases = gradable(phase_names)
    if jobs > 1 and len(phases) > 1:
        options = [f"--seed={seed}", f"--call-timeout={call_timeout}", *(["--decoupled"] if decoupled else [])]
        return redact.feedback(_grade_in_parallel(target_path, phases, jobs, options))
    records = run_pytest(target_path, phases, seed, call_timeout, decoupled) if phases else {}
    result: dict[str, Any] = {"target": targets.display_name(target_path), "score": 0.0, "max_score": 0.0,
                              "isolation": mode, "phases": []}
    for phase in phases:
        mine = [r for r in records.values() if r.phase == phase.name]
        tests = [
            {
                "id": r.nodeid.split("tests/hidden/", 1)[-1],
                "passed": r.passed,
                "points": r.points if r.passed else 0.0,
                "max_points": r.points,
                "message": r.message,
            }
            for r in mine
        ]
        gradchecks = [
            {
                "name": r.gradcheck,
                "rel_error": r.rel_error,
                "threshold": r.threshold,
                "passed": r.passed and r.rel_error is not None and r.rel_error <= r.threshold,
            }
            for r in mine
            if r.gradcheck is not None
        ]
        score = sum(t["points"] for t in tests)
        max_score = sum(t["max_points"] for t in tests)
        complete = bool(tests) and all(t["passed"] for t in tests) and all(g["passed"] for g in gradchecks)
        result["phases"].append(
            {"name": phase.name, "score": score, "max_score": max_score, "complete": complete,
             "tests": tests, "gradchecks": gradchecks}
        )
        result["score"] += score
        result["max_score"] += max_score
    return redact.feedback(result)
