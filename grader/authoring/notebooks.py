"""Workbooks: one notebook per phase, written as text beside its reference, graded by nbgrader.

Where things live, for a phase package ``<pkg>`` at ``<path>`` (see :mod:`grader.engine.phases`):

- ``solutions/<path>/workbook.py``: the workbook, a jupytext notebook in the percent format. This
  is the one place a workbook is written; it holds answers and hidden tests, so it never goes
  into a release (nor into the stubs, nor into the grader's copies of a target).
- ``solutions/<path>/workbook.ipynb``: the nbgrader *source* notebook read from it (solution
  regions, hidden tests, cell metadata with points). Run it to try the workbook against the
  reference: its kernel, started in ``solutions/<path>``, imports ``solutions/``.
- ``<path>/workbook.ipynb``: the *student* version, made by nbgrader's own ``generate_assignment``
  from the source notebook, committed. ``python -m grader notebooks --check`` (and ``make test``)
  fail when either file differs from what this module writes.

The text format: ``# %% [markdown]`` starts a markdown cell, ``# %%`` a code cell; nbgrader's cell
metadata goes on that line as JSON (``# %% nbgrader={"grade_id": "x-check", "points": 2, "grade":
true, "locked": true}``). An answer cell (``"solution": true``) holds its solution between ``###
BEGIN SOLUTION`` / ``### END SOLUTION``; a test cell (``"grade": true``, ``points``) its hidden
part between ``### BEGIN HIDDEN TESTS`` / ``### END HIDDEN TESTS``. A cell's id is its
``grade_id``; cells without nbgrader metadata (experiments) are ``free-1``, ``free-2`` ...
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from grader.authoring import nbgrader_course
from grader.engine.phases import PHASES, REPO, SOLUTIONS, WORKBOOK_SOURCE, Phase

NOTEBOOK = nbgrader_course.NOTEBOOK
KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
SCHEMA_VERSION = 3
FORMAT = "py:percent"


# -- from text to the nbgrader source notebook ----------------------------------------------------


def _nbgrader(meta: dict[str, Any], cell_type: str, source: str, where: str) -> dict[str, Any]:
    """nbgrader's metadata of one cell, completed and checked."""
    meta = dict(meta)
    grade_id = meta.get("grade_id")
    if not isinstance(grade_id, str) or not grade_id:
        raise ValueError(f"{where}: a cell with nbgrader metadata needs a grade_id")
    for flag in ("grade", "solution", "locked"):
        meta.setdefault(flag, False)
    meta.setdefault("schema_version", SCHEMA_VERSION)
    if meta["solution"] and (cell_type != "code" or "### BEGIN SOLUTION" not in source
                             or "### END SOLUTION" not in source):
        raise ValueError(f"{where}: answer {grade_id} needs ### BEGIN SOLUTION / ### END SOLUTION")
    if meta["grade"]:
        if not isinstance(meta.get("points"), (int, float)) or meta["points"] <= 0:
            raise ValueError(f"{where}: test cell {grade_id}: points must be a positive number")
        meta["points"] = float(meta["points"])
    elif "points" in meta:
        raise ValueError(f"{where}: {grade_id} has points but is no test cell (\"grade\": true)")
    if "### BEGIN HIDDEN TESTS" in source and not meta["grade"]:
        raise ValueError(f"{where}: {grade_id}: hidden tests belong in a test cell (\"grade\": true)")
    return meta


def language_info() -> dict:
    """The kernel's own language_info: JupyterLab writes it when the kernel starts, and a notebook
    that already holds the same value does not show as modified the moment it is opened."""
    from ipykernel.ipkernel import IPythonKernel

    return copy.deepcopy(IPythonKernel.language_info)


def build(text_nb: Any, where: str = "<workbook>") -> Any:
    """The nbgrader source notebook of a workbook as jupytext reads it: stable cell ids, nbgrader's
    metadata checked, the notebook metadata reduced to the kernel."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.metadata = {"kernelspec": dict(text_nb.metadata.get("kernelspec") or KERNELSPEC),
                   "language_info": language_info()}
    seen: set[str] = set()
    free = 0
    for cell in text_nb.cells:
        if cell.cell_type not in ("markdown", "code"):
            raise ValueError(f"{where}: a {cell.cell_type} cell (only markdown and code)")
        metadata = copy.deepcopy(dict(cell.metadata))
        if "nbgrader" in metadata:
            metadata["nbgrader"] = _nbgrader(metadata["nbgrader"], cell.cell_type, cell.source, where)
            cell_id = metadata["nbgrader"]["grade_id"]
        else:
            free += 1
            cell_id = f"free-{free}"
        if cell_id in seen:
            raise ValueError(f"{where}: two cells are called {cell_id}")
        seen.add(cell_id)
        new = nbformat.v4.new_markdown_cell if cell.cell_type == "markdown" else nbformat.v4.new_code_cell
        out = new(cell.source)
        out.id = cell_id
        out.metadata.update(metadata)
        nb.cells.append(out)
    nbformat.validate(nb)
    return nb


def read(path: Path) -> Any:
    """A workbook's text, as the nbgrader source notebook."""
    import jupytext

    return build(jupytext.reads(path.read_text(), fmt=FORMAT), str(path.relative_to(REPO)))


# -- the workbooks of the course ------------------------------------------------------------------


def text_path(phase: Phase) -> Path:
    return SOLUTIONS / phase.path / WORKBOOK_SOURCE


def source_path(phase: Phase) -> Path:
    return SOLUTIONS / phase.path / NOTEBOOK


def student_path(phase: Phase) -> Path:
    return REPO / phase.path / NOTEBOOK


def workbook_phases() -> list[Phase]:
    """The phases that have a workbook (a ``solutions/<path>/workbook.py``), in course order."""
    return [p for p in PHASES if text_path(p).is_file()]


def source_notebook(phase: Phase) -> Any:
    return read(text_path(phase))


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
    import tempfile

    import nbformat

    phases = workbook_phases() if phases is None else phases
    made: dict[Phase, Any] = {}
    with tempfile.TemporaryDirectory(prefix="workbooks-") as tmp:
        course = Path(tmp) / "course"
        for phase in phases:
            folder = course / "source" / phase.name
            folder.mkdir(parents=True)
            nbformat.write(source_notebook(phase), folder / NOTEBOOK)
        nbgrader_course.write_config(course, phases, exclude={})
        api = nbgrader_course.open_api(course)
        for phase in phases:
            nbgrader_course.generate(api, phase.name)
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
        student = normalised(nb)
        student.metadata["language_info"] = language_info()
        files[student_path(phase)] = dumps(student)
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
            problems.append(f"{shown}: differs from what its {WORKBOOK_SOURCE} makes (run make notebooks)")
    for phase in PHASES:  # a workbook without its text is stale
        for path in (source_path(phase), student_path(phase)):
            if path.exists() and phase not in workbook_phases():
                problems.append(f"{path.relative_to(REPO)}: no {text_path(phase).relative_to(REPO)} makes it")
    return problems


def canonical(text: str) -> str:
    """What a workbook's generator owns: the notebook without outputs and run metadata, as JSON."""
    import nbformat

    return json.dumps(normalised(nbformat.reads(text, as_version=4)), sort_keys=True)


def write(force: bool = False) -> Any:
    """Write the workbooks; a notebook changed by hand (a learner's answers) is refused unless
    ``force``, which backs it up first (:func:`grader.authoring.stubs.guarded_write`)."""
    from grader.authoring import stubs

    files = {path: text for path, text in planned().items() if not (_same(path, text) and path.read_text() == text)}
    return stubs.guarded_write(files, force=force, part=canonical)


def stale(made: dict[Phase, Any] | None = None) -> list[str]:
    """Workbooks whose text changed since ``make notebooks`` last wrote them; reads the sources and
    the record (:mod:`grader.authoring.stubs`) only, never a learner's answered workbook."""
    from grader.authoring import stubs

    record = stubs.Record()
    problems = []
    for path, text in planned(made).items():
        shown = str(path.relative_to(REPO))
        if record.latest(shown) != stubs.digest(canonical(text)):
            problems.append(f"{shown}: its {WORKBOOK_SOURCE} changed since make notebooks wrote it")
    return problems


def main(check_only: bool = False, force: bool = False) -> int:
    """``python -m grader notebooks [--check]``: write the workbooks, or compare the committed ones."""
    if check_only:
        problems = check()
        for line in problems:
            print(line)
        if not problems:
            print(f"workbooks in sync: {', '.join(p.name for p in workbook_phases()) or 'none yet'}")
        return 1 if problems else 0
    outcome = write(force=force)
    for line in outcome.report("the workbook", "make notebooks FORCE=1 (python -m grader notebooks --force)"):
        print(line)
    if not outcome.written and not outcome.refused:
        print("workbooks already up to date")
    return 1 if outcome.refused else 0
