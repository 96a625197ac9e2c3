"""Grade one target: run the trusted hidden tests of each phase against it and total the points.

pytest runs here, in this (trusted) process, over the repository's own ``<phase>/tests/hidden``;
the target's code runs in sandboxed workers (see :mod:`grader.sandbox`). The result is the
dictionary whose JSON form DESIGN.md fixes.
"""

from __future__ import annotations

import contextlib
import io
from pathlib import Path
from typing import Any

from grader import pytest_plugin, target as targets
from grader.phases import PHASES, REPO, Phase, by_name


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


def grade(
    target: str | Path | None = None, phase_names: list[str] | None = None, seed: int = 0, call_timeout: float = 10.0,
    decoupled: bool = False,
) -> dict[str, Any]:
    """Grade ``target``; ``decoupled`` grades each phase against the reference of the phases before it."""
    target_path = targets.resolve(target)
    phases = gradable(phase_names)
    records = run_pytest(target_path, phases, seed, call_timeout, decoupled) if phases else {}
    result: dict[str, Any] = {"target": targets.display_name(target_path), "score": 0.0, "max_score": 0.0, "phases": []}
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
    return result
