"""Every known wrong implementation (grader/selftest/mutants/) must lose points."""

import pytest

from grader.phases import SOLUTIONS
from grader.selftest.helpers import copy_solutions, grade, phase_result, replace_once
from grader.selftest.mutants import all_mutants

MUTANTS = all_mutants()


def test_each_phase_keeps_enough_mutants():
    minimum = {"phase0_math": 6, "phase1_backprop": 6, "phase2_attention": 8, "phase3_transformer": 6}
    for phase, needed in minimum.items():
        if (SOLUTIONS / phase).is_dir() and any(m.phase == phase for m in MUTANTS):
            assert sum(m.phase == phase for m in MUTANTS) >= needed, phase
    assert sum(m.phase == "phase0_math" for m in MUTANTS) >= 6


@pytest.mark.parametrize("mutant", MUTANTS, ids=[m.name for m in MUTANTS])
def test_mutant_loses_points(mutant, tmp_path):
    target = copy_solutions(tmp_path / "mutant")
    replace_once(target / mutant.file, mutant.old, mutant.new)
    phase = phase_result(grade(target, phases=[mutant.phase]), mutant.phase)
    caught = [t["id"] for t in phase["tests"] if not t["passed"]]
    assert phase["score"] < phase["max_score"] and not phase["complete"], f"not caught: {mutant.bug}"
    assert caught
