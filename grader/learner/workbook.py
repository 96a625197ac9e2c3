"""What a workbook's cells call: setup, unanswered cells skipped, and the course's tests.

A workbook's one-line setup cell calls :func:`setup`, which puts the folder that holds its phase
package first on ``sys.path``, so the notebook imports the modules next to it: a student's working copy, a submission being
autograded by nbgrader, or ``solutions/`` when the source workbook runs against the reference.
The functions here test exactly those packages, in a fresh Python process each time (edits to a
module count without restarting the kernel):

- :func:`check_phase` runs the phase's public tests (what ``make check`` runs);
- :func:`grade_phase` runs the grader's hidden tests (what ``make grade`` runs); only an
  instructor's copy of the course has them.

:func:`answered` and :func:`experiment` let a notebook run top to bottom while some answers or
modules are not written yet: the cell says what it skipped and execution goes on. Checked
derivations live in :mod:`grader.learner.derivations`.

Both print a short report on stdout (never stderr: nbgrader gives a test cell that writes to
stderr no credit) and return the share of ``out_of`` points earned, the value nbgrader reads as
partial credit when it is the cell's result.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ElementTree
from pathlib import Path

from grader.engine.phases import PHASES, REPO, by_name

_SKIP = shutil.ignore_patterns("tests", "__pycache__", ".ipynb_checkpoints", "*.ipynb", "*.pyc")


def _course_root(here: Path) -> Path:
    """The course folder: ``FPAI_ROOT``, or the nearest folder above ``here`` holding the grader."""
    given = os.environ.get("FPAI_ROOT")
    if given:
        return Path(given).resolve()
    for folder in (here, *here.parents):
        if (folder / "grader" / "learner" / "workbook.py").is_file():
            return folder
    return here.parent


def _stop_on_stubs() -> None:
    """An unanswered cell (nbgrader's ``raise NotImplementedError()``) says so and lets the
    notebook go on: an IPython input transformer rewrites that line into a message."""
    try:
        shell = get_ipython()  # type: ignore[name-defined]  # noqa: F821 (IPython's builtin)
    except NameError:
        return

    def skip(lines: list[str]) -> list[str]:
        return [("print('this answer is not written yet: skipped (replace this line by your answer)')\n"
                 if line.strip() == "raise NotImplementedError()" else line) for line in lines]

    if not any(getattr(t, "__name__", "") == "skip" for t in shell.input_transformers_cleanup):
        shell.input_transformers_cleanup.append(skip)


def setup(here: str | Path | None = None) -> None:
    """Prepare a workbook's kernel (its setup cell calls this, from the notebook's folder).

    Puts on ``sys.path``, first: the folder holding this notebook's package (a learner's working
    copy, a submission being autograded, or ``solutions/``), then the course folder and its
    ``extensions/``. Defines ``np``, ``plt``, ``workbook`` and ``derivations`` in the notebook, sets inline plots
    and short array printing, and makes unanswered cells skip instead of stopping the notebook.
    """
    import __main__

    here = Path(here or Path.cwd()).resolve()
    root = _course_root(here)
    folders = [here.parent, *([here.parent.parent] if here.parent.name == "extensions" else []),
               root, root / "extensions"]
    relative = {"..", "../..", "../../.."}  # what the setup line added, to find the grader
    sys.path[:] = [p for p in sys.path if p not in relative and p not in map(str, folders)]
    sys.path[:0] = [str(f) for f in folders]

    import matplotlib.pyplot as plt
    import numpy as np

    np.set_printoptions(precision=4, suppress=True)
    with contextlib.suppress(NameError, AttributeError):
        get_ipython().run_line_magic("matplotlib", "inline")  # type: ignore[name-defined]  # noqa: F821
    _stop_on_stubs()
    from grader.learner import derivations

    names = vars(__main__)
    names.update(np=np, plt=plt, workbook=sys.modules[__name__], derivations=derivations)
    phase = next((p.name for p in PHASES if p.name == here.name), here.name)
    print(f"setup done: {phase} imported from {here}")


def answered(name: str, names: str, where: dict | None = None) -> bool:
    """True when every variable in ``names`` (space-separated) is set in the notebook; otherwise
    prints which are missing and returns False (under nbgrader's autograde: AssertionError)."""
    if where is None:
        where = sys._getframe(1).f_globals
    missing = [n for n in names.split() if where.get(n, None) in (None, Ellipsis)]
    if not missing:
        return True
    line = f"{name}: not answered yet ({', '.join(missing)} not set): skipped"
    if os.environ.get("NBGRADER_EXECUTION") == "autograde":
        raise AssertionError(line)
    print(line)
    return False


class experiment(contextlib.AbstractContextManager):  # noqa: N801 (used as `with workbook.experiment(...)`)
    """``with workbook.experiment("4. a learning-rate sweep"):`` runs the block; a module or an
    answer not written yet (NotImplementedError, or a name not defined) skips the rest of the
    block with one line saying why, and the notebook goes on."""

    def __init__(self, title: str):
        self.title = title

    def __exit__(self, kind, error, traceback) -> bool:
        if kind is None or not issubclass(kind, (NotImplementedError, NameError)):
            return False
        import matplotlib.pyplot as plt

        plt.close("all")  # a half-drawn figure of the skipped block is not shown
        if issubclass(kind, NotImplementedError):
            print(f"{self.title}: skipped, something it uses is not written yet ({error or 'NotImplementedError'})")
            return True
        if issubclass(kind, NameError):
            print(f"{self.title}: skipped, it needs something an earlier cell sets ({error})")
            return True
        return False


def package_dir(name: str) -> Path | None:
    """Where this process imports the package ``name`` from, or None when it cannot."""
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0]).resolve()


def snapshot(dest: Path) -> Path:
    """Copy every phase package this process imports into ``dest`` (laid out as a grader target)."""
    for phase in PHASES:
        found = package_dir(phase.name)
        if found is not None and found.is_dir():
            shutil.copytree(found, dest / phase.path, ignore=_SKIP)
    return dest


def _run(command: list[str], timeout: float) -> subprocess.CompletedProcess:
    env = {**os.environ, "NO_COLOR": "1", "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("PYTHONPATH", None)
    return subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=timeout, env=env)


def _share(out_of: float, score: float, total: float) -> float:
    return round(out_of * score / total, 2) if total > 0 else 0.0


def check_phase(name: str, out_of: float = 10, timeout: float = 600) -> float:
    """Run the public tests of phase ``name`` on the packages this notebook imports.

    Prints one line per failing test and returns ``out_of`` times the share of tests passed.
    """
    phase = by_name(name)
    if os.environ.get("NBGRADER_EXECUTION") == "autograde" and phase.available:
        print(f"{name}: graded by the hidden tests")  # they run next, in the same cell
        return 0.0
    if not any(phase.tests_dir.glob("test_*.py")):
        print(f"{name}: no public tests found under {phase.tests_dir}")
        return 0.0
    with tempfile.TemporaryDirectory(prefix="workbook-check-") as tmp:
        target = snapshot(Path(tmp) / "target")
        report = Path(tmp) / "report.xml"
        paths = [str(target), str(target / "extensions")]
        names = [p.name for p in PHASES if (target / p.path / "__init__.py").is_file()]
        args = [str(phase.tests_dir), f"--ignore={phase.hidden_dir}", f"--rootdir={REPO}",
                "-c", str(REPO / "pyproject.toml"), "-q", "--no-header", "-p", "no:cacheprovider",
                "--tb=no", f"--junitxml={report}"]
        # The packages are imported before pytest starts: collecting a test file imports the package
        # that holds it (the repository's own copy), and the copy already in sys.modules must win.
        bootstrap = (
            f"import sys, importlib\nsys.path[:0] = {paths!r}\n"
            f"for name in {names!r}:\n"
            "    try:\n        importlib.import_module(name)\n    except Exception as exc:\n"
            "        print(f'{name}: cannot import: {exc!r}')\n"
            f"import pytest\nsys.exit(pytest.main({args!r}))\n"
        )
        done = _run([sys.executable, "-c", bootstrap], timeout)
        if not report.exists():
            print(f"{name}: the public tests could not run (pytest exit code {done.returncode})")
            print(done.stdout[-2000:])
            return 0.0
        cases = ElementTree.parse(report).getroot().iter("testcase")
        failed, total = [], 0
        for case in cases:
            total += 1
            problem = case.find("failure")
            if problem is None:
                problem = case.find("error")
            if problem is not None:
                failed.append(f"  {case.get('name')}: {(problem.get('message') or '').splitlines()[0][:200]}")
    passed = total - len(failed)
    print(f"{name}: {passed} of {total} public tests pass")
    for line in failed[:15]:
        print(line)
    if len(failed) > 15:
        print(f"  ... and {len(failed) - 15} more")
    return _share(out_of, passed, total)


def grade_phase(name: str, out_of: float = 10, timeout: float = 900) -> float:
    """Grade phase ``name`` with the hidden tests on the packages this notebook imports.

    Prints the score and the failing tests' messages; returns ``out_of`` times the share of the
    phase's points earned (gradient checks included).
    """
    phase = by_name(name)
    if not phase.available:
        print(f"{name}: the hidden tests are not in this copy of the course ({phase.hidden_dir})")
        return 0.0
    with tempfile.TemporaryDirectory(prefix="workbook-grade-") as tmp:
        target = snapshot(Path(tmp) / "target")
        out = Path(tmp) / "result.json"
        done = _run(
            [sys.executable, "-m", "grader", "grade", "--target", str(target), "--phase", name,
             "--json", str(out), "--quiet"],
            timeout,
        )
        if done.returncode != 0 or not out.exists():
            print(f"{name}: the grader could not run (exit code {done.returncode})")
            print((done.stdout + done.stderr)[-2000:])
            return 0.0
        result = json.loads(out.read_text())
    mine = next((p for p in result["phases"] if p["name"] == name), None)
    if mine is None:
        print(f"{name}: the grader reported nothing for this phase")
        return 0.0
    print(f"{name}: {mine['score']:g} of {mine['max_score']:g} points" + (", complete" if mine["complete"] else ""))
    failed = [t for t in mine["tests"] if not t["passed"]]
    for test in failed[:15]:
        print(f"  {test['id'].rsplit('::', 1)[-1]}: {test['message'][:200]}")  # the name, as make grade shows it
    if len(failed) > 15:
        print(f"  ... and {len(failed) - 15} more")
    return _share(out_of, mine["score"], mine["max_score"])
