"""nbgrader's side of a course directory: its config, its API, and ``generate_assignment``.

Both the workbook builder (:mod:`grader.authoring.notebooks`, which runs ``generate_assignment``
in a temporary course to make the student versions) and the release
(:mod:`grader.classroom.release`, the real course) work through this module:

    <course>/nbgrader_config.py     :func:`write_config` (nbgrader's own command line reads it too)
    <course>/source/<pkg>/          written by the caller
    <course>/release/<pkg>/         :func:`generate`, through :func:`open_api`

Failures nbgrader's API reports as ``success: False`` become :class:`NbgraderFailed`.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path
from typing import Any

from grader.engine.phases import REPO, Phase

# jsonschema (under nbformat) imports this optional IRI checker if it can, which compiles dozens of
# grammars (seconds); nothing here validates IRIs. Import this module before nbformat/nbconvert.
sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]

NOTEBOOK = "workbook.ipynb"


class NbgraderFailed(RuntimeError):
    pass


def student_modules(folder: Path) -> list[str]:
    """The files of a phase package a student writes: every module outside tests/."""
    return sorted(
        str(p.relative_to(folder)) for p in folder.rglob("*.py")
        if "tests" not in p.relative_to(folder).parts and "__pycache__" not in p.parts
    )


def config_text(course: Path, exclude: dict[str, list[str]], feedback: list[str] | None = None) -> str:
    """The course's ``nbgrader_config.py``. ``feedback``: preprocessors run between nbgrader's
    ``GetGrades`` and the HTML header when feedback is generated (None: nbgrader's defaults)."""
    text = f'''"""nbgrader configuration of this course, written by {REPO.name}/grader/authoring/nbgrader_course.py."""
import os
import sys

sys.path.insert(0, {str(REPO)!r})  # the course repository: the grader (feedback preprocessors), the hidden tests
os.environ.setdefault("FPAI_ROOT", {str(REPO)!r})  # the workbooks grade with this repository's grader

c = get_config()  # noqa: F821 (nbgrader provides it)
c.CourseDirectory.root = {str(course)!r}
c.CourseDirectory.db_url = {"sqlite:///" + str(course / "gradebook.db")!r}
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", ".pytest_cache"]

# The student's modules survive autograde (nbgrader would overwrite them with the stubs).
c.Autograde.exclude_overwriting = {exclude!r}

# The last cell of a workbook runs the grader: give it time.
c.Execute.timeout = 900
c.Execute.extra_arguments = ["--HistoryManager.hist_file=:memory:", "--IPKernelApp.log_level=ERROR"]
'''
    if feedback is not None:
        steps = ["nbgrader.preprocessors.GetGrades", *feedback, "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor"]
        text += "\n# Feedback shows neither the hidden tests nor the tracebacks that would quote them.\n"
        text += "c.GenerateFeedback.preprocessors = [\n" + "".join(f"    {s!r},\n" for s in steps) + "]\n"
    return text


def write_config(course: Path, phases: list[Phase], exclude: dict[str, list[str]] | None = None,
                 feedback: list[str] | None = None) -> Path:
    """Write ``<course>/nbgrader_config.py``; ``exclude`` defaults to the modules of each
    ``source/<pkg>`` (see :func:`student_modules`)."""
    course.mkdir(parents=True, exist_ok=True)
    if exclude is None:
        exclude = {p.name: student_modules(course / "source" / p.name) for p in phases}
    path = course / "nbgrader_config.py"
    path.write_text(config_text(course.resolve(), exclude, feedback))
    return path


_HEAD: list[str] = []


def _alembic_head() -> str:
    """nbgrader's gradebook schema version, read in-process (nbgrader starts an `alembic heads`
    process for it whenever it creates a gradebook: a second of start-up)."""
    if not _HEAD:
        import nbgrader
        from alembic.config import Config
        from alembic.script import ScriptDirectory

        config = Config()
        config.set_main_option("script_location", str(Path(nbgrader.__file__).parent / "alembic"))
        _HEAD.append(str(ScriptDirectory.from_config(config).get_current_head()))
    return _HEAD[0]


def open_api(course: Path) -> Any:
    """nbgrader's API on a course directory, configured by its nbgrader_config.py only."""
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config.loader import PyFileConfigLoader

    # nbgrader runs the `alembic` command of its own environment to open a gradebook
    bindir = str(Path(sys.executable).parent)
    if bindir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bindir + os.pathsep + os.environ.get("PATH", "")
    import nbgrader.api

    nbgrader.api.get_alembic_version = _alembic_head
    course = course.resolve()
    config = PyFileConfigLoader("nbgrader_config.py", path=str(course)).load_config()
    config.NbGraderAPI.log_level = "ERROR"
    coursedir = CourseDirectory(config=config)
    api = NbGraderAPI(coursedir=coursedir, config=config)
    api.log.setLevel("ERROR")
    return api


def checked(result: dict, what: str) -> dict:
    """nbgrader's API reports failure as ``success: False`` and exits 0: turn that into an error."""
    if not result.get("success"):
        detail = (result.get("error") or "") + "\n" + (result.get("log") or "")
        raise NbgraderFailed(f"nbgrader {what} failed:\n{detail.strip()[-4000:]}")
    return result


def generate(api: Any, assignment: str) -> None:
    """nbgrader's ``generate_assignment``: ``source/<assignment>`` -> ``release/<assignment>``."""
    release = Path(api.coursedir.root) / "release" / assignment
    if release.exists():
        shutil.rmtree(release)
    checked(api.generate_assignment(assignment, force=True, create=True), f"generate_assignment {assignment}")
    if not (release / NOTEBOOK).is_file():
        raise NbgraderFailed(f"nbgrader generate_assignment {assignment} wrote no {release / NOTEBOOK}")
