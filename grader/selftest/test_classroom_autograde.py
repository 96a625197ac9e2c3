"""nbgrader's autograde: the modules cell's points come from the trusted grader, run outside the
student's kernel on nbgrader's flat folders, never from what the cell computed."""

import json
import shutil
from types import SimpleNamespace

from grader.classroom import release
from grader.engine.phases import SOLUTIONS
from grader.selftest.helpers import write_stubs

CHEAT = {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
         "source": "import grader.learner.workbook as _w\n_w.check_phase = _w.grade_phase = lambda *a, **k: 10.0"}


class _Gradebook:
    def __init__(self, grades):
        self.grades, self.committed, self.db = grades, False, SimpleNamespace(commit=self.commit)

    def commit(self):
        self.committed = True

    def find_grade(self, cell, notebook, assignment, student):
        return self.grades[(cell, notebook, assignment, student)]

    def close(self):
        pass


def test_the_modules_cell_gets_the_trusted_grade_not_its_own(tmp_path):
    course = tmp_path / "course"
    write_stubs(tmp_path / "stubs")
    cheater = course / "submitted/cheater/phase0_math"  # nbgrader's flat layout
    shutil.copytree(tmp_path / "stubs/phase0_math", cheater)
    notebook = {"cells": [CHEAT], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    (cheater / "workbook.ipynb").write_text(json.dumps(notebook))
    shutil.copytree(SOLUTIONS / "phase0_math", course / "submitted/honest/phase0_math")
    grades = {("modules", "workbook", "phase0_math", s): SimpleNamespace(auto_score=10.0, max_score=10.0)
              for s in ("cheater", "honest")}
    book = _Gradebook(grades)
    given = release.trust_modules_cells(SimpleNamespace(gradebook=book), course,
                                        [("phase0_math", "cheater"), ("phase0_math", "honest")])
    assert given == {("phase0_math", "cheater"): 0.0, ("phase0_math", "honest"): 10.0}
    assert book.committed and grades[("modules", "workbook", "phase0_math", "cheater")].auto_score == 0.0


def test_a_flat_extension_folder_is_graded(tmp_path):
    folder = tmp_path / "student"
    shutil.copytree(SOLUTIONS / "extensions/language_models", folder / "language_models")
    assert release.trusted_fraction(folder, "language_models") == 1.0
    assert release.trusted_fraction(folder, "phase0_math") == 0.0
