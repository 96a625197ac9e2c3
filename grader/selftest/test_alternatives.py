"""Every correct, differently written implementation (grader/selftest/alternatives/) scores full marks."""

import pytest

from grader.engine.phases import PHASES
from grader.selftest.alternatives import all_alternatives
from grader.selftest.helpers import copy_solutions, grade, phase_result, replace_once

ALTERNATIVES = all_alternatives()


def test_each_package_has_enough_alternatives():
    for phase in PHASES:
        if phase.available:
            found = sum(a.package == phase.name for a in ALTERNATIVES)
            assert found >= 4, f"{phase.name}: {found} valid alternatives (at least 4)"


@pytest.mark.parametrize("alternative", ALTERNATIVES, ids=[a.name for a in ALTERNATIVES])
def test_alternative_scores_full_marks(alternative, tmp_path):
    target = copy_solutions(tmp_path / "alternative")
    replace_once(target / alternative.file, alternative.old, alternative.new)
    phase = phase_result(grade(target, phases=[alternative.package]), alternative.package)
    lost = [f"{t['id']}: {t['message']}" for t in phase["tests"] if not t["passed"]]
    lost += [f"{g['name']}: {g['rel_error']}" for g in phase["gradchecks"] if not g["passed"]]
    assert phase["complete"] and phase["score"] == phase["max_score"], (
        f"{alternative.name} ({alternative.bug}) lost points:\n" + "\n".join(lost))
