"""Workbooks: one notebook per phase, written here in Python, graded by nbgrader.

Where things live, for a phase package ``<pkg>`` at ``<path>`` (see :mod:`grader.engine.phases`):

- ``grader/workbook_sources/<pkg>.py``: the workbook's cells (``CELLS``), built with the helpers
  below. This is the one place a workbook is written; it holds answers and hidden tests, so it
  never goes into a release.
- ``solutions/<path>/workbook.ipynb``: the nbgrader *source* notebook built from those cells
  (solution regions, hidden tests, cell metadata with points). Run it to try the workbook against
  the reference: its kernel, started in ``solutions/<path>``, imports ``solutions/``.
- ``<path>/workbook.ipynb``: the *student* version, made by nbgrader's own ``generate_assignment``
  from the source notebook, committed. ``python -m grader notebooks --check`` (and ``make test``)
  fail when either file differs from what this module writes.

Cell kinds: :func:`md` (instructions, read-only), :func:`given` (code given to the student,
read-only), :func:`code` (a free cell: experiments, plots), :func:`answer` (an autograded answer:
its solution between ``### BEGIN SOLUTION`` / ``### END SOLUTION``) and :func:`tests` (a graded test
cell worth ``points``, its hidden part between ``### BEGIN HIDDEN TESTS`` / ``### END HIDDEN TESTS``).
:func:`setup_cell` and :func:`modules_check` are the first and last cells every workbook has.
"""

from __future__ import annotations

import copy
import importlib
import json
import sys
import tempfile
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader.engine.phases import PHASES, REPO, SOLUTIONS, Phase

# jsonschema (under nbformat) imports this optional IRI checker if it can, which compiles dozens of
# grammars (seconds); nothing here validates IRIs.
sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]

NOTEBOOK = "workbook.ipynb"
SOURCES = REPO / "grader" / "workbook_sources"
KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
SCHEMA_VERSION = 3


# -- cells ----------------------------------------------------------------------------------------


@dataclass
class Cell:
    kind: str  # "md", "given", "code", "answer", "tests"
    source: str
    grade_id: str | None = None
    points: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)


def _text(source: str) -> str:
    return textwrap.dedent(source).strip("\n")


def md(source: str, grade_id: str | None = None) -> Cell:
    """Markdown the student reads (read-only)."""
    return Cell("md", _text(source), grade_id)


def given(source: str, grade_id: str) -> Cell:
    """Code given to the student (read-only; restored from the source at autograde)."""
    return Cell("given", _text(source), grade_id)


def code(source: str) -> Cell:
    """A free code cell: experiments and plots the student may change."""
    return Cell("code", _text(source))


def answer(grade_id: str, source: str) -> Cell:
    """An autograded answer cell: the solution between the solution markers."""
    text = _text(source)
    if "### BEGIN SOLUTION" not in text or "### END SOLUTION" not in text:
        raise ValueError(f"answer {grade_id}: needs ### BEGIN SOLUTION / ### END SOLUTION")
    return Cell("answer", text, grade_id)


def tests(grade_id: str, points: float, source: str) -> Cell:
    """A graded test cell (read-only). Hidden checks go between the hidden-test markers; a failing
    check must say what is wrong without quoting the expected value (the feedback shows it)."""
    if points <= 0:
        raise ValueError(f"tests {grade_id}: points must be positive")
    return Cell("tests", _text(source), grade_id, float(points))


def setup_cell() -> Cell:
    """The first code cell of every workbook: the import path, numpy, matplotlib, the checks."""
    return given(
        '''
        # Setup: run this cell first. It finds the course folder and puts the phase packages first on
        # the import path: the folder that holds this workbook's package (your working copy, or a
        # submission when the course is graded), then the course folder itself.
        import os
        import sys
        from pathlib import Path

        HERE = Path.cwd()
        ROOT = Path(os.environ.get("FPAI_ROOT") or next(
            (p for p in (HERE, *HERE.parents) if (p / "grader" / "learner" / "workbook.py").is_file()), HERE.parent))
        FOLDERS = [HERE.parent, *([HERE.parent.parent] if HERE.parent.name == "extensions" else []),
                   ROOT, ROOT / "extensions"]
        for folder in reversed(FOLDERS):
            if str(folder) in sys.path:
                sys.path.remove(str(folder))
            sys.path.insert(0, str(folder))

        import numpy as np
        import matplotlib.pyplot as plt
        from grader.learner import workbook

        %matplotlib inline
        np.set_printoptions(precision=4, suppress=True)
        ''',
        "setup",
    )


def modules_check(package: str, points: float = 10) -> list[Cell]:
    """The last cells of every workbook: the phase's modules, checked through the grader."""
    return [
        md(
            f'''
            ## Your modules, graded

            The cell below checks your `{package}` modules through the course's grader. While you work
            it runs the public tests (what `make check PHASE={package}` runs); when your instructor
            grades the workbook it runs the hidden tests and gradient checks too (what `make grade`
            runs). The number it shows is your share of its {points:g} points.
            ''',
            "modules-intro",
        ),
        tests(
            "modules",
            points,
            f'''
            points = workbook.check_phase("{package}", out_of={points:g})
            ### BEGIN HIDDEN TESTS
            points = workbook.grade_phase("{package}", out_of={points:g})
            ### END HIDDEN TESTS
            points
            ''',
        ),
    ]


def _nbgrader(cell: Cell) -> dict[str, Any] | None:
    if cell.kind == "code":
        return None
    meta: dict[str, Any] = {
        "grade": cell.kind == "tests",
        "solution": cell.kind == "answer",
        "locked": cell.kind in ("md", "given", "tests"),
        "grade_id": cell.grade_id,
        "schema_version": SCHEMA_VERSION,
    }
    if cell.kind == "tests":
        meta["points"] = cell.points
    return meta


def build(cells: list[Cell]) -> Any:
    """The nbgrader source notebook of a list of cells."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.metadata = {"kernelspec": dict(KERNELSPEC), "language_info": {"name": "python"}}
    seen: set[str] = set()
    counters: dict[str, int] = {}
    for cell in cells:
        if cell.kind in ("md", "given") and cell.grade_id is None:
            counters[cell.kind] = counters.get(cell.kind, 0) + 1
            cell = copy.copy(cell)
            cell.grade_id = f"{'text' if cell.kind == 'md' else 'given'}-{counters[cell.kind]}"
        if cell.kind == "code":
            counters["code"] = counters.get("code", 0) + 1
            cell_id = f"free-{counters['code']}"
        else:
            cell_id = str(cell.grade_id)
        if cell_id in seen:
            raise ValueError(f"two cells are called {cell_id}")
        seen.add(cell_id)
        if cell.kind == "md":
            out = nbformat.v4.new_markdown_cell(cell.source)
        else:
            out = nbformat.v4.new_code_cell(cell.source)
        out.id = cell_id
        meta = _nbgrader(cell)
        if meta is not None:
            out.metadata["nbgrader"] = meta
        out.metadata.update(cell.extra)
        nb.cells.append(out)
    nbformat.validate(nb)
    return nb


# -- the workbooks of the course ------------------------------------------------------------------


def workbook_phases() -> list[Phase]:
    """The phases that have a workbook (a ``grader/workbook_sources/<pkg>.py``), in course order."""
    return [p for p in PHASES if (SOURCES / f"{p.name}.py").is_file()]


def source_notebook(phase: Phase) -> Any:
    module = importlib.import_module(f"grader.workbook_sources.{phase.name}")
    module = importlib.reload(module)
    return build(list(module.CELLS))


def source_path(phase: Phase) -> Path:
    return SOLUTIONS / phase.path / NOTEBOOK


def student_path(phase: Phase) -> Path:
    return REPO / phase.path / NOTEBOOK


def dumps(nb: Any) -> str:
    import nbformat

    return nbformat.writes(nb) + "\n"


def normalised(nb: Any) -> Any:
    """The notebook without what varies between runs: outputs, execution counts, notebook metadata
    beyond the kernel, cell metadata beyond nbgrader's, and nbgrader's checksums are kept (they
    are a function of the source)."""
    nb = copy.deepcopy(nb)
    nb.metadata = {k: v for k, v in nb.metadata.items() if k == "kernelspec"}
    for cell in nb.cells:
        cell.metadata = {k: v for k, v in cell.metadata.items() if k == "nbgrader"}
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    return nb


def student_versions(phases: list[Phase] | None = None) -> dict[Phase, Any]:
    """Run nbgrader's generate_assignment on each source notebook (in a temporary course)."""
    import nbformat

    from grader.classroom import release

    phases = workbook_phases() if phases is None else phases
    made: dict[Phase, Any] = {}
    with tempfile.TemporaryDirectory(prefix="workbooks-") as tmp:
        course = Path(tmp) / "course"
        for phase in phases:
            folder = course / "source" / phase.name
            folder.mkdir(parents=True)
            nbformat.write(source_notebook(phase), folder / NOTEBOOK)
        release.write_config(course, phases, exclude={})
        api = release.open_api(course)
        for phase in phases:
            release.generate(api, phase.name)
            made[phase] = nbformat.read(course / "release" / phase.name / NOTEBOOK, as_version=4)
    return made


def planned(made: dict[Phase, Any] | None = None) -> dict[Path, str]:
    """Every workbook file this module writes (source and student versions), with its text.

    ``made``: student versions nbgrader already generated from the current sources (a course's
    release/<pkg>/workbook.ipynb), to save running it again.
    """
    files: dict[Path, str] = {}
    phases = workbook_phases()
    for phase in phases:
        files[source_path(phase)] = dumps(source_notebook(phase))
    made = made if made is not None and set(made) == set(phases) else student_versions(phases)
    for phase, nb in made.items():
        files[student_path(phase)] = dumps(normalised(nb))
    return files


def _same(path: Path, text: str) -> bool:
    import nbformat

    if not path.exists():
        return False
    try:
        old = nbformat.reads(path.read_text(), as_version=4)
    except Exception:  # noqa: BLE001 - an unreadable notebook differs
        return False
    return json.dumps(normalised(old), sort_keys=True) == json.dumps(
        normalised(nbformat.reads(text, as_version=4)), sort_keys=True)


def check(made: dict[Phase, Any] | None = None) -> list[str]:
    """Differences between the committed workbooks and what would be written (empty when in sync)."""
    problems = []
    for path, text in planned(made).items():
        shown = path.relative_to(REPO)
        if not path.exists():
            problems.append(f"{shown}: missing (run make notebooks)")
        elif not _same(path, text):
            problems.append(f"{shown}: differs from what grader/workbook_sources makes (run make notebooks)")
    for phase in PHASES:  # a workbook without a source is stale
        for path in (source_path(phase), student_path(phase)):
            if path.exists() and phase not in workbook_phases():
                problems.append(f"{path.relative_to(REPO)}: no grader/workbook_sources/{phase.name}.py makes it")
    return problems


def write() -> list[Path]:
    written = []
    for path, text in planned().items():
        if _same(path, text) and path.read_text() == text:
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        written.append(path)
    return written


def main(args: Any) -> int:
    """``python -m grader notebooks [--check]`` and its actions (release, autograde)."""
    from grader.classroom import release

    if args.action == "release":
        return release.release_command(Path(args.course), Path(args.out))
    if args.action == "autograde":
        return release.autograde_command(Path(args.course))
    if args.check:
        problems = check()
        for line in problems:
            print(line)
        if not problems:
            print(f"workbooks in sync: {', '.join(p.name for p in workbook_phases()) or 'none yet'}")
        return 1 if problems else 0
    written = write()
    for path in written:
        print(f"wrote {path.relative_to(REPO)}")
    if not written:
        print("workbooks already up to date")
    return 0

