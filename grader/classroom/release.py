"""The nbgrader side of the course: a course directory, the student release, autograding.

``make release`` (:func:`release_command`) builds an nbgrader course directory from the repository,
one assignment per phase, and writes the student release:

    <course>/nbgrader_config.py         :mod:`grader.authoring.nbgrader_course`; also read by nbgrader's
                                        own command line
    <course>/source/<pkg>/              the stubs, the public tests, the reading guide and the source
                                        workbook (solution cells, hidden tests). Never the reference
                                        modules, never tests/hidden.
    <course>/release/<pkg>/             nbgrader's generate_assignment output
    <out>/                              the student release: <out>/<path> per phase (the release
                                        folder above; a phase without a workbook as stubs + public
                                        tests), and what ``make check`` needs (grader/ minus
                                        classroom/, the self-tests and the workbook machinery,
                                        Makefile, pyproject.toml, README.md). Never solutions/, so
                                        never a workbook's text (solutions/<path>/workbook.py).

At autograde nbgrader copies every non-notebook file of ``source/<pkg>`` over the submission; the
student's modules are listed in ``Autograde.exclude_overwriting`` so their work survives.

``make autograde`` (:func:`autograde_command`) runs nbgrader's autograde over every
``<course>/submitted/<student>/<pkg>``, exports the gradebook to ``<course>/grades.csv`` and
generates feedback in ``<course>/feedback/`` with hidden tests removed from test cells and
tracebacks cut to their last line (:class:`HideHiddenTests`). The score of each workbook's
modules cell (``MODULES_CELL``) is not what the cell computed in the student's kernel (a student's
cell could redefine ``grade_phase``): :func:`trusted_fraction` grades the submitted modules with
this repository's grader in its own process, and that share of the cell's points replaces the
cell's score in nbgrader's gradebook before the export and the feedback.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

import grader.authoring.nbgrader_course  # noqa: F401, I001 (first: it keeps nbformat's import light)
from nbconvert.preprocessors import Preprocessor
from traitlets import Bool

from grader.authoring.nbgrader_course import NOTEBOOK, NbgraderFailed, checked, generate, open_api, write_config
from grader.authoring.notebooks import source_path, workbook_phases
from grader.classroom import collect
from grader.engine.phases import PHASES, REPO, Phase, by_name

MARKER = ".course-release"  # written into a release folder, so a rebuild may replace it
SUPPORT_FILES = ["Makefile", "pyproject.toml", "README.md", ".gitignore", "extensions/README.md"]
# What a student's copy of grader/ leaves out: the instructor's tools (grader/classroom, the
# self-tests) and the workbook machinery of grader/authoring (it quotes the markers). The rest of
# authoring stays: the stub generator (`make reset`) and the exercise manifest the learner reads.
GRADER_SKIP = {"selftest", "classroom", "__pycache__", "notebooks.py", "nbgrader_course.py"}
_COPY_SKIP = shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints", ".pytest_cache")
# Feedback shows neither the hidden tests nor the tracebacks that would quote them.
FEEDBACK = ["grader.classroom.release.HideHiddenTests"]
MODULES_CELL = "modules"  # the grade_id of every workbook's last cell: the modules, graded


# -- the course directory and the release ---------------------------------------------------------


def released_phases() -> list[Phase]:
    """Every phase whose stubs are in the repository, in course order."""
    return [p for p in PHASES if (REPO / p.path / "__init__.py").is_file()]


def _phase_files(phase: Phase, dest: Path) -> None:
    """A phase as a student gets it: stubs, public tests, reading guide (no hidden tests, no notebook)."""
    source = REPO / phase.path

    def skip(directory: str, names: list[str]) -> set[str]:
        skipped = set(_COPY_SKIP(directory, names))
        here = Path(directory)
        for name in names:
            if here == source / "tests" and name == "hidden":
                skipped.add(name)
            if here == source and name == NOTEBOOK:
                skipped.add(name)
            if (here / name).is_symlink():
                skipped.add(name)
        return skipped

    shutil.copytree(source, dest, ignore=skip)


def build_course(course: Path) -> list[Phase]:
    """Write source/<pkg> for every phase with a workbook, the config, and run generate_assignment."""
    phases = [p for p in workbook_phases() if p in released_phases()]
    for phase in phases:
        folder = course / "source" / phase.name
        if folder.exists():
            shutil.rmtree(folder)
        _phase_files(phase, folder)
        shutil.copy(source_path(phase), folder / NOTEBOOK)
    write_config(course, phases, feedback=FEEDBACK)
    api = open_api(course)
    for phase in phases:
        generate(api, phase.name)
    return phases


def _clear(out: Path) -> None:
    if out.exists():
        if any(out.iterdir()) and not (out / MARKER).exists():
            raise NbgraderFailed(f"{out} exists and is not a release written by make release; choose another OUT")
        shutil.rmtree(out)
    out.mkdir(parents=True)


def write_release(course: Path, out: Path, with_workbook: list[Phase]) -> list[str]:
    """The student's copy of the course: one folder per phase, plus what make check needs."""
    _clear(out)
    (out / MARKER).write_text("written by make release; safe to delete\n")
    written = []
    for phase in released_phases():
        dest = out / phase.path
        if phase in with_workbook:
            shutil.copytree(course / "release" / phase.name, dest, ignore=_COPY_SKIP)
        else:
            _phase_files(phase, dest)
        written.append(phase.path)
    for name in SUPPORT_FILES:
        if (REPO / name).is_file():
            (out / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(REPO / name, out / name)
    shutil.copytree(REPO / "grader", out / "grader",
                    ignore=lambda d, names: {n for n in names if n in GRADER_SKIP or n.endswith(".pyc")})
    return written


def release(course: Path, out: Path) -> dict[str, Any]:
    course, out = course.resolve(), out.resolve()
    if out == REPO or REPO.is_relative_to(out) or out.is_relative_to(course):
        raise NbgraderFailed(f"OUT={out} would overwrite the repository or the course; choose another folder")
    phases = build_course(course)
    written = write_release(course, out, phases)
    return {"course": course, "out": out, "workbooks": [p.name for p in phases], "phases": written}


def release_command(course: Path, out: Path) -> int:
    start = time.perf_counter()
    try:
        done = release(course, out)
    except NbgraderFailed as exc:
        print(f"release: {exc}", file=sys.stderr)
        return 1
    print(f"nbgrader course: {done['course']} (assignments: {', '.join(done['workbooks']) or 'none'})")
    print(f"student release: {done['out']} ({', '.join(done['phases'])})")
    print(f"done in {time.perf_counter() - start:.1f} s")
    return 0


# -- autograde, export, feedback ------------------------------------------------------------------


class HideHiddenTests(Preprocessor):
    """Feedback preprocessor: test cells lose their hidden-test regions and error tracebacks (which
    quote the failing line) are cut to ``Error: message``."""

    enabled = Bool(True).tag(config=True)  # nbconvert registers preprocessors named in config disabled

    def preprocess_cell(self, cell: Any, resources: Any, index: int) -> tuple[Any, Any]:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type != "code" or meta.get("solution"):
            return cell, resources
        if meta.get("grade") or meta.get("locked"):
            kept, hidden = [], False
            for line in cell.source.split("\n"):
                if "BEGIN HIDDEN TESTS" in line:
                    hidden = True
                elif "END HIDDEN TESTS" in line:
                    hidden = False
                elif not hidden:
                    kept.append(line)
            cell.source = "\n".join(kept)
            for output in cell.get("outputs", []):
                if output.get("output_type") == "error":
                    message = str(output.get("evalue", "")).strip()
                    output["traceback"] = [f"{output.get('ename', 'Error')}: {message}" if message
                                           else f"{output.get('ename', 'Error')}"]
        return cell, resources


def submissions(course: Path) -> list[tuple[str, str]]:
    """(assignment, student) for every folder submitted/<student>/<assignment>, in course order."""
    found = []
    folder = course / "submitted"
    students = sorted(p.name for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []
    for phase in PHASES:
        for student in students:
            if (folder / student / phase.name).is_dir():
                found.append((phase.name, student))
    return found


def export_csv(api: Any, dest: Path) -> Path:
    from nbgrader.plugins.export import CsvExportPlugin

    plugin = CsvExportPlugin(to=str(dest))
    gradebook = api.gradebook
    try:
        plugin.export(gradebook)
    finally:
        gradebook.close()
    return dest


def scores(api: Any) -> dict[tuple[str, str], dict[str, float]]:
    """(assignment, student) -> {"score", "max_score", "<grade_id>": score ...} from the gradebook."""
    table: dict[tuple[str, str], dict[str, float]] = {}
    gradebook = api.gradebook
    try:
        for assignment in gradebook.assignments:
            for submission in assignment.submissions:
                row = {"score": float(submission.score), "max_score": float(submission.max_score)}
                for notebook in submission.notebooks:
                    for grade in notebook.grades:
                        row[grade.name] = float(grade.score)
                table[(assignment.name, submission.student.id)] = row
    finally:
        gradebook.close()
    return table


def trusted_fraction(folder: Path, assignment: str) -> float:
    """The share of ``assignment``'s points the modules in ``folder`` earn (0 when none found),
    graded by this repository's grader in a process of its own, decoupled (the phases before it
    from the reference: the assignment's own modules are graded, whatever else was handed in).
    ``folder`` is one student's submitted folder: nbgrader's flat layout
    (``submitted/<student>/<pkg>/``) is found by name."""
    with tempfile.TemporaryDirectory(prefix="grader-autograde-") as tmp:
        collected = collect.assemble(folder, Path(tmp))
        if collected.error or assignment not in collected.found:
            return 0.0
        out = Path(tmp) / "grade.json"
        run = subprocess.run([sys.executable, "-m", "grader", "grade", "--target", str(collected.target),
                              "--phase", assignment, "--decoupled", "--json", str(out), "--quiet", "--jobs", "1"],
                             cwd=REPO, capture_output=True, text=True, timeout=900)
        if run.returncode != 0 or not out.is_file():
            raise NbgraderFailed(f"grading {folder.name}'s {assignment} failed:\n{run.stderr[-2000:]}")
        result = json.loads(out.read_text())
    return result["score"] / result["max_score"] if result["max_score"] else 0.0


def trust_modules_cells(api: Any, course: Path, todo: list[tuple[str, str]]) -> dict[tuple[str, str], float]:
    """Replace each workbook's modules-cell score by the trusted grader's; return the points given."""
    given = {}
    gradebook = api.gradebook
    try:
        for assignment, student in todo:
            try:
                grade = gradebook.find_grade(MODULES_CELL, "workbook", assignment, student)
            except Exception:  # noqa: BLE001 (nbgrader raises MissingEntry; a workbook without the cell)
                continue
            fraction = trusted_fraction(course / "submitted" / student, assignment)
            grade.auto_score = round(fraction * float(grade.max_score), 2)  # as the cell rounds it
            given[(assignment, student)] = grade.auto_score
        gradebook.db.commit()
    finally:
        gradebook.close()
    return given


def autograde(course: Path) -> dict[str, Any]:
    course = course.resolve()
    if not (course / "nbgrader_config.py").is_file():
        raise NbgraderFailed(f"{course} is not a course directory (no nbgrader_config.py): run make release first")
    os.environ["FPAI_ROOT"] = str(REPO)  # the workbooks' last cell grades with this repository's grader
    api = open_api(course)
    todo = submissions(course)
    if not todo:
        raise NbgraderFailed(f"nothing to grade: no {course}/submitted/<student>/<assignment> folder")
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", module="nbgrader")  # SQLAlchemy session notices from inside nbgrader
        for assignment, student in todo:
            by_name(assignment)
            checked(api.autograde(assignment, student, force=True, create=True), f"autograde {assignment} {student}")
        trust_modules_cells(api, course, todo)
        csv_path = export_csv(api, course / "grades.csv")
        for assignment, student in todo:
            checked(api.generate_feedback(assignment, student, force=True),
                     f"generate_feedback {assignment} {student}")
        table = scores(api)
    return {"graded": todo, "csv": csv_path, "scores": table}


def autograde_command(course: Path) -> int:
    start = time.perf_counter()
    try:
        done = autograde(course)
    except NbgraderFailed as exc:
        print(f"autograde: {exc}", file=sys.stderr)
        return 1
    for (assignment, student), row in sorted(done["scores"].items()):
        print(f"  {student:<20} {assignment:<20} {row['score']:6.2f} / {row['max_score']:g}")
    print(f"gradebook: {done['csv']}; feedback: {course.resolve() / 'feedback'}")
    print(f"done in {time.perf_counter() - start:.1f} s")
    return 0


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open() as handle:
        return list(csv.DictReader(handle))
