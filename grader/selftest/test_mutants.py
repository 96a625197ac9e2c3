"""Every known wrong implementation (grader/selftest/mutants/) must lose points."""

import pytest

from grader.engine.phases import PHASES
from grader.selftest.helpers import copy_solutions, grade, phase_result, replace_once
from grader.selftest.mutants import all_mutants

MUTANTS = all_mutants()


def test_each_phase_keeps_enough_mutants():
    # the issues' minimums; a package counts once its reference exists
    minimum = {"phase0_math": 6, "phase1_backprop": 6, "phase2_attention": 8, "phase3_transformer": 6,
               "language_models": 3, "tiny_transformer": 3, "distillation": 4, "control": 4}
    for phase in PHASES:
        if phase.available:
            found = sum(m.package == phase.name for m in MUTANTS)
            assert found >= minimum.get(phase.name, 4), f"{phase.name}: {found} mutants"


@pytest.mark.parametrize("mutant", MUTANTS, ids=[m.name for m in MUTANTS])
def test_mutant_loses_points(mutant, tmp_path):
    target = copy_solutions(tmp_path / "mutant")
    replace_once(target / mutant.file, mutant.old, mutant.new)
    phase = phase_result(grade(target, phases=[mutant.package]), mutant.package)
    caught = [t["id"] for t in phase["tests"] if not t["passed"]]
    assert phase["score"] < phase["max_score"] and not phase["complete"], f"not caught: {mutant.bug}"
    assert caught
