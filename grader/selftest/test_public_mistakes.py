"""The public tests catch every mistake a reading guide lists under "Common mistakes".

Each mutant of grader/selftest/public_mistakes/ is applied to a copy of solutions/; that package's
public tests (``make check``, run in-process as a learner runs them, with the repository's public
test files and snapshots copied beside the copy) must fail, and on solutions/ they must pass.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from grader.engine.phases import PHASES, REPO, by_name
from grader.selftest.helpers import copy_solutions, replace_once, write_stubs
from grader.selftest.public_mistakes import all_mutants

MUTANTS = all_mutants()
INI = "[pytest]\naddopts = -p grader.engine.pytest_plugin --import-mode=importlib\n"


def public_target(dest: Path, stubs: bool = False) -> Path:
    """solutions/ (or, with ``stubs``, the generated stubs) copied to ``dest``, each package with the
    repository's public tests and snapshots beside it."""
    write_stubs(dest) if stubs else copy_solutions(dest)
    for phase in PHASES:
        if not (dest / phase.path).is_dir():
            continue
        tests = dest / phase.path / "tests"
        tests.mkdir(exist_ok=True)
        for path in phase.tests_dir.glob("test_*.py"):
            shutil.copy(path, tests / path.name)
        if (phase.tests_dir / "_snapshots").is_dir():
            shutil.copytree(phase.tests_dir / "_snapshots", tests / "_snapshots", dirs_exist_ok=True)
    (dest / "pytest.ini").write_text(INI)
    return dest


def run_public(target: Path, package: str, first_failure: bool = True) -> subprocess.CompletedProcess:
    """The package's public tests against ``target``, in-process as ``make check`` runs them."""
    tests = target / by_name(package).path / "tests"
    path = os.pathsep.join([str(target), str(target / "extensions"), str(REPO)])
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-rf", *(["-x"] if first_failure else []),
                           "-p", "no:cacheprovider", "-c",
                           str(target / "pytest.ini"), "--rootdir", str(target), str(tests)],
                          cwd=target, capture_output=True, text=True, timeout=600,
                          env={**os.environ, "PYTHONPATH": path, "NO_COLOR": "1"})


@pytest.fixture(scope="module")
def reference_target(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return public_target(tmp_path_factory.mktemp("public") / "solutions")


@pytest.mark.parametrize("package", sorted({m.package for m in MUTANTS}))
def test_solutions_pass_the_public_tests(package, reference_target):
    done = run_public(reference_target, package)
    assert done.returncode == 0, done.stdout[-3000:]


@pytest.mark.parametrize("package", [p.name for p in PHASES if p.available])
def test_every_snapshot_test_fails_on_the_stubs(package, tmp_path):
    target = public_target(tmp_path / "stubs", stubs=True)
    done = run_public(target, package, first_failure=False)
    expected = {f"test_snapshot_{p.stem}" for p in (by_name(package).tests_dir / "_snapshots").glob("*.npz")}
    failed = {line.split("::")[-1].split(" ")[0] for line in done.stdout.splitlines() if line.startswith("FAILED")}
    assert expected and expected <= failed, f"passed on the stubs: {sorted(expected - failed)}"


@pytest.mark.parametrize("mutant", MUTANTS, ids=[m.name for m in MUTANTS])
def test_public_tests_catch_the_mistake(mutant, tmp_path):
    target = public_target(tmp_path / "mutant")
    replace_once(target / mutant.file, mutant.old, mutant.new)
    done = run_public(target, mutant.package)
    assert done.returncode == 1, f"the public tests let this through: {mutant.bug}\n{done.stdout[-2000:]}"
    assert "NotImplementedError" not in done.stdout, done.stdout[-2000:]
