"""The learner's tools: the exercise manifest, the README tables, and a new user's walk through
Phase 0 (next, check, hint, reset, status, solution) in a temporary copy of the course (watch, going
back, decoupled checks and the author commands: test_learner_loop.py, with these helpers).

The manifest tests read the working copy; everything that writes runs in a copy under tmp_path,
through ``python -m grader`` in a subprocess, as a learner would run it.
"""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from grader.authoring import manifest, readmes, stubs
from grader.engine import report
from grader.engine.phases import PHASES, REPO, SOLUTIONS, WORKBOOK_SOURCE, by_name
from grader.learner import output, reset, states

ANSI = re.compile(r"\x1b\[[0-9;]*m")


# -- the manifest, against solutions/ and the tests ------------------------------------------------


def _solution_regions() -> dict[tuple[str, str], list[str]]:
    """{(package, file): [functions with a ### BEGIN SOLUTION region]} over solutions/."""
    found = {}
    for phase in PHASES:
        folder = SOLUTIONS / phase.path
        for path in sorted(folder.rglob("*.py")) if folder.is_dir() else []:
            if path.name == WORKBOOK_SOURCE:  # a notebook's text: its answers are cells, not exercises
                continue
            source = path.read_text()
            tree = ast.parse(source)
            names = []
            for number, line in enumerate(source.splitlines(), start=1):
                if line.strip() == stubs.BEGIN:
                    name = stubs._enclosing_function(tree, number)
                    if name not in names:
                        names.append(name)
            if names:
                found[(phase.name, str(path.relative_to(folder)))] = names
    return found


def _test_markers(phase) -> set[str]:
    markers = set()
    for path in phase.tests_dir.rglob("test_*.py") if phase.tests_dir.is_dir() else []:
        markers |= set(re.findall(r"mark\.exercise\(\s*[\"'](\w+)[\"']", path.read_text()))
    return markers


COURSE = manifest.load_course()


def num(package: str, name: str) -> str:
    """An exercise's number, read from the manifest (numbers move when exercises are reordered)."""
    return COURSE.resolve(f"{package}:{name}").number


def test_every_solution_function_belongs_to_exactly_one_exercise():
    owners: dict[tuple[str, str, str], list[str]] = {}
    for e in COURSE.exercises:
        for f in e.functions:
            owners.setdefault((e.package, e.file, f), []).append(e.number)
    problems = []
    for (package, file), names in _solution_regions().items():
        for name in names:
            got = owners.get((package, file, name), [])
            if len(got) != 1:
                problems.append(f"{package}/{file}: {name} is in {len(got)} exercises {got} of grader/exercises.toml")
    assert not problems, "\n".join(problems)


def test_every_listed_function_exists_with_a_solution_region():
    regions = _solution_regions()
    problems = [f"{e.number} {e.name}: {e.package}/{e.file} has no solution region in {f}"
                for e in COURSE.exercises for f in e.functions
                if f not in regions.get((e.package, e.file), [])]
    assert not problems, "\n".join(problems)


def test_exercise_markers_match_the_tests_markers():
    problems = []
    for package in COURSE.packages:
        phase = by_name(package)
        tested = _test_markers(phase)
        if not tested:
            continue  # no tests yet
        claimed = {m for e in COURSE.of(package) for m in e.markers}
        problems += [f"{package}: exercise marker {m!r} is on no test" for m in sorted(claimed - tested)]
        problems += [f"{package}: test marker {m!r} belongs to no exercise" for m in sorted(tested - claimed)]
    assert not problems, "\n".join(problems)


def test_manifest_is_in_course_order_with_unique_numbers_and_names():
    order = [p.name for p in PHASES]
    packages = [e.package for e in COURSE.exercises]
    assert packages == sorted(packages, key=order.index), "exercises must follow the order of grader/engine/phases.py"
    numbers = [e.number for e in COURSE.exercises]
    assert len(numbers) == len(set(numbers)), "exercise numbers must be unique"
    keys = [e.key for e in COURSE.exercises]
    assert len(keys) == len(set(keys)), "exercise names must be unique within a package"
    for e in COURSE.exercises:
        assert 1 <= e.difficulty <= 3 and 5 <= e.minutes <= 180, e.number
        assert (SOLUTIONS / e.phase.path / e.file).exists(), f"{e.number}: solutions/{e.phase.path}/{e.file}"


def test_sections_are_headings_of_the_package_readme():
    problems = []
    for e in COURSE.exercises:
        readme = REPO / e.phase.readme
        if not e.section or not readme.exists():
            continue
        headings = {line.lstrip("#").strip() for line in readme.read_text().splitlines() if line.startswith("#")}
        if e.section not in headings:
            problems.append(f"{e.number} {e.name}: no heading {e.section!r} in {e.phase.readme}")
    assert not problems, "\n".join(problems)


def _solution_bodies() -> dict[tuple[str, str, str], list[str]]:
    """{(package, file, function): the code lines of its solution region, stripped}."""
    bodies: dict[tuple[str, str, str], list[str]] = {}
    for (package, file), _ in _solution_regions().items():
        text = (SOLUTIONS / by_name(package).path / file).read_text()
        tree = ast.parse(text)
        inside = None
        for number, line in enumerate(text.splitlines(), start=1):
            if line.strip() == stubs.BEGIN:
                inside = stubs._enclosing_function(tree, number)
            elif line.strip() == stubs.END:
                inside = None
            elif inside and line.strip() and not line.strip().startswith("#"):
                bodies.setdefault((package, file, inside), []).append(line.strip())
    return bodies


def test_hints_have_three_levels_fit_80_columns_and_never_give_the_whole_solution():
    bodies = _solution_bodies()
    problems = []
    for e in COURSE.exercises:
        if len(e.hints) != manifest.LEVELS or not all(h.strip() for h in e.hints):
            problems.append(f"{e.number}: needs {manifest.LEVELS} non-empty hints")
        for level, hint in enumerate(e.hints, start=1):
            for line in output.render_text(hint, output.WIDTH - 2):
                if len(line) > output.WIDTH - 2:
                    problems.append(f"{e.number} hint {level}: line longer than 78 columns: {line!r}")
        quoted = {line.strip() for hint in e.hints for line in hint.splitlines()}
        for function in e.functions:
            body = bodies.get((e.package, e.file, function), [])
            shown = sum(line in quoted for line in body)
            if len(body) >= 2 and shown > 0.75 * len(body):  # the shape of the code, not the code
                problems.append(f"{e.number}: the hints quote {shown} of the {len(body)} lines of {function}")
    assert not problems, "\n".join(problems)


# -- README tables ---------------------------------------------------------------------------------


def test_readme_tables_match_the_manifest():
    # the record of what make readmes wrote, not the READMEs: a learner's notes cannot fail make test
    problems = readmes.stale(COURSE)
    assert not problems, "\n".join(problems) + "\n(make readmes rewrites them)"


def test_readme_block_replaces_the_table_and_nothing_else():
    text = "# P\n\n## Exercises, in order\n\n| # | f |\n| --- | --- |\n| 0.1 | x |\n\nAfter.\n"
    once = readmes.updated_readme(text, "BLOCK")
    assert once == "# P\n\n## Exercises, in order\n\nBLOCK\n\nAfter.\n"
    marked = f"intro\n{readmes.BEGIN_TABLE}\nold\n{readmes.END_TABLE}\noutro\n"
    assert readmes.updated_readme(marked, "NEW") == "intro\nNEW\noutro\n"
    assert readmes.updated_readme("# P\n\nno table here\n", "NEW") is None
    block = readmes.readme_block(COURSE, "phase0_math")
    assert block.startswith(readmes.BEGIN_TABLE) and block.endswith(readmes.END_TABLE)
    matmul = num("phase0_math", "matmul")
    assert f"| {matmul} | `matmul.py` | `dot`, `matmul` (explicit loops), `matmul_backward` | 1/3 | 30 min |" in block


# -- the manifest's lookups and the file reading, in process ---------------------------------------


def test_exercises_are_found_by_number_name_package_and_marker():
    softmax, backward = num("phase0_math", "softmax"), num("phase2_attention", "attention_backward")
    assert COURSE.resolve(softmax).name == "softmax"
    assert COURSE.resolve("softmax").number == softmax
    assert COURSE.resolve(backward.upper()).name == "attention_backward"
    with pytest.raises(LookupError, match="several exercises"):
        COURSE.resolve("gradcheck")
    with pytest.raises(LookupError, match="no exercise"):
        COURSE.resolve("nonsense")
    gradcheck = num("phase0_math", "gradcheck")
    assert COURSE.ref(COURSE.resolve(gradcheck)) == gradcheck and COURSE.ref(COURSE.resolve(softmax)) == "softmax"


def test_learners_name_an_exercise_with_its_phase_and_get_the_choices_when_ambiguous():
    from grader.learner import names

    gradcheck = num("phase0_math", "gradcheck")
    for spec in ("phase0_math.gradcheck", "phase0_math:gradcheck", gradcheck):
        assert names.resolve(COURSE, spec).number == gradcheck
    assert names.resolve(COURSE, "gradcheck", package="phase1_backprop").package == "phase1_backprop"
    with pytest.raises(LookupError) as ambiguous:
        names.resolve(COURSE, "gradcheck")
    for phase in ("phase0_math", "phase1_backprop", "phase2_attention"):
        assert f"{num(phase, 'gradcheck')} gradcheck ({phase})" in str(ambiguous.value)
    assert "EX=phase0_math.gradcheck" in str(ambiguous.value)


def test_tests_shared_by_exercises_go_to_the_exercise_their_name_spells():
    exercises = COURSE.of("phase2_attention")
    forward, backward = COURSE.resolve("phase2_attention:attention"), COURSE.resolve("attention_backward")
    records = [{"name": "test_attention_backward_matches_finite_differences", "exercise": "attention"},
               {"name": "test_attention_weights_are_cached_and_rows_sum_to_one", "exercise": "attention"}]
    assert [r["name"] for r in states.tests_of(backward, exercises, records)] == [records[0]["name"]]
    assert [r["name"] for r in states.tests_of(forward, exercises, records)] == [records[1]["name"]]


def test_restore_functions_keeps_the_rest_of_the_file():
    stub = 'import numpy\n\n\ndef a(x):\n    """A."""\n    raise NotImplementedError("not started: a")\n\n\n' \
           'def b(x):\n    raise NotImplementedError("not started: b")\n'
    mine = 'import numpy\nHELPER = 1\n\n\ndef a(x):\n    """A."""\n    ### BEGIN SOLUTION\n    return x\n' \
           '    ### END SOLUTION\n\n\ndef b(x):\n    return 2 * x\n'
    restored = reset.restore_functions(mine, stub, ["a"])
    assert restored == ('import numpy\nHELPER = 1\n\n\ndef a(x):\n    """A."""\n'
                        '    raise NotImplementedError("not started: a")\n\n\ndef b(x):\n    return 2 * x\n')
    assert reset.restore_functions("def a(:\n", stub, ["a"]) is None
    assert reset.restore_functions(mine, stub, ["missing"]) is None


def test_colour_follows_the_terminal_and_the_conventions(monkeypatch):
    class Tty:
        def isatty(self):
            return True

    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    assert report.use_colour(Tty())
    assert not report.use_colour(open(os.devnull, "w"))
    monkeypatch.setenv("NO_COLOR", "1")
    assert not report.use_colour(Tty())
    monkeypatch.delenv("NO_COLOR")
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert report.use_colour(open(os.devnull, "w"))


# -- a new user in a copy of the course -------------------------------------------------------------


def make_copy(root: Path, packages: tuple[str, ...] = ("phase0_math",), only: tuple[str, ...] | None = None) -> Path:
    """A course with ``packages`` as a fresh clone has them: stubs, README, tests, the reference.

    ``only``: keep just these exercise numbers in the copy's manifest (to reach "course complete")."""
    shutil.copytree(REPO / "grader", root / "grader",
                    ignore=shutil.ignore_patterns("__pycache__", "selftest", "workbook_sources"))
    shutil.copy2(REPO / "pyproject.toml", root / "pyproject.toml")
    planned = stubs.planned()
    for name in packages:
        phase = by_name(name)
        shutil.copytree(REPO / phase.path, root / phase.path,
                        ignore=shutil.ignore_patterns("__pycache__", "*.ipynb", "*.png"))
        shutil.copytree(SOLUTIONS / phase.path, root / "solutions" / phase.path,
                        ignore=shutil.ignore_patterns("__pycache__", "*.ipynb"))
        for path, text in planned.items():
            if path.is_relative_to(REPO / phase.path):
                (root / path.relative_to(REPO)).write_text(text)
    if only is not None:
        manifest_file = root / "grader" / "exercises.toml"
        entries = re.split(r"^\[\[exercise\]\]$", manifest_file.read_text(), flags=re.M)
        kept = [e for e in entries[1:] if re.search(r'^number = "([^"]+)"', e, re.M).group(1) in only]
        manifest_file.write_text(entries[0] + "".join("[[exercise]]" + e for e in kept))
    return root


def grader(root: Path, *args: str, env: dict | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    environment.update(env or {})
    return subprocess.run([sys.executable, "-m", "grader", *args], cwd=root, capture_output=True, text=True,
                          timeout=timeout, env=environment, stdin=subprocess.DEVNULL)


def solve(root: Path, package: str, file: str) -> None:
    phase = by_name(package)
    shutil.copy2(root / "solutions" / phase.path / file, root / phase.path / file)


def assert_one_screen(text: str, lines: int = 25) -> None:
    shown = text.rstrip("\n").splitlines()
    assert len(shown) < lines, f"{len(shown)} lines:\n{text}"
    assert all(len(line) <= 80 for line in shown), "\n".join(line for line in shown if len(line) > 80)
    assert "Traceback" not in text and not ANSI.search(text), text


def test_a_new_user_goes_through_phase0(tmp_path):
    root = make_copy(tmp_path / "course")
    matmul = root / "phase0_math" / "matmul.py"
    exercises = COURSE.of("phase0_math")
    mm = COURSE.resolve("phase0_math:matmul")
    after = exercises[exercises.index(mm) + 1]
    for earlier in exercises[: exercises.index(mm)]:  # the manifest's order decides what comes first
        solve(root, "phase0_math", earlier.file)

    first = grader(root, "next")
    assert first.returncode == 0, first.stderr
    assert f"Next: {mm.title}" in first.stdout and "dot in phase0_math/matmul.py (line " in first.stdout
    assert "make check EX=matmul" in first.stdout and "make hint EX=matmul" in first.stdout
    assert_one_screen(first.stdout)

    # a wrong answer: a transposed weight gradient
    solve(root, "phase0_math", "matmul.py")
    matmul.write_text(matmul.read_text().replace("return dout @ b.T, a.T @ dout", "return dout @ b.T, dout.T @ a"))
    wrong = grader(root, "check", "phase0_math")
    assert wrong.returncode == 1
    assert "db: wrong shape: got (4, 3), expected (3, 4)" in wrong.stdout
    assert f"  {mm.title}" in wrong.stdout  # the manifest's labels, as in status and next
    assert f"Next: {mm.title}" in wrong.stdout and "make hint EX=matmul" in wrong.stdout
    assert_one_screen(wrong.stdout)
    alone = grader(root, "check", "--exercise", mm.number)
    assert re.search(r"phase0_math: \d+ of \d+ public tests pass", alone.stdout) and "softmax" not in alone.stdout
    assert_one_screen(alone.stdout)
    still = grader(root, "next")
    assert f"Next: {mm.title}" in still.stdout and "wrong shape" in still.stdout
    assert_one_screen(still.stdout)

    # a right answer: next moves on
    solve(root, "phase0_math", "matmul.py")
    moved = grader(root, "next")
    assert f"Next: {after.title}" in moved.stdout
    if after.name == "softmax":
        assert "softmax in phase0_math/softmax.py (line " in moved.stdout
        solve(root, "phase0_math", "loss.py")  # written ahead; its cross-entropy needs log_softmax
    status = grader(root, "status")
    assert status.returncode == 0, status.stderr
    row = lambda e, state: re.search(  # noqa: E731
        rf"{re.escape(e.number)}\s+{e.name}\s+{e.file}\s+{e.minutes} min\s+{state}", status.stdout)
    assert row(mm, "done"), status.stdout
    assert row(after, "not started"), status.stdout
    if after.name == "softmax":
        assert row(COURSE.resolve("phase0_math:loss"), rf"waits for {re.escape(after.number)}"), status.stdout
    assert f"Total: {exercises.index(mm) + 1} of {len(exercises)} exercises done" in status.stdout
    assert_one_screen(status.stdout, lines=40)
    coloured = grader(root, "status", env={"FORCE_COLOR": "1"})
    assert ANSI.search(coloured.stdout)
    assert not ANSI.search(grader(root, "status", env={"FORCE_COLOR": "1", "NO_COLOR": "1"}).stdout)


def test_hints_come_one_level_at_a_time_and_are_remembered(tmp_path):
    root = make_copy(tmp_path / "course")
    softmax, first = num("phase0_math", "softmax"), COURSE.of("phase0_math")[0]
    shown = [grader(root, "hint", "softmax").stdout for _ in range(4)]
    assert [re.search(r"hint (\d) of 3", s).group(1) for s in shown] == ["1", "2", "3", "3"]
    assert "make hint EX=softmax gives hint 2" in shown[0] and "last hint" in shown[3]
    for text in shown:
        assert_one_screen(text, lines=40)
    assert '"phase0_math:softmax": 3' in (root / ".grader" / "progress.json").read_text()
    again = grader(root, "hint", softmax, "--level", "1")
    assert "hint 1 of 3" in again.stdout and "make hint EX=softmax LEVEL=2" in again.stdout
    current = grader(root, "hint")  # no exercise: the current one
    assert f"{first.title}, hint 1 of 3" in current.stdout
    ambiguous = grader(root, "hint", "gradcheck")  # which phase?
    assert ambiguous.returncode == 2 and "EX=phase0_math.gradcheck" in ambiguous.stderr
    assert f"{num('phase0_math', 'gradcheck')} gradcheck, hint" in grader(root, "hint", "phase0_math.gradcheck").stdout
    assert grader(root, "hint", softmax, "--level", "4").returncode == 2


def test_reset_restores_the_stub_and_backs_up_the_learner_version(tmp_path):
    root = make_copy(tmp_path / "course")
    solve(root, "phase0_math", "softmax.py")
    mine = (root / "phase0_math" / "softmax.py").read_text()
    done = grader(root, "reset", "softmax")
    assert done.returncode == 0 and "back to the stub" in done.stdout, done.stdout + done.stderr
    assert (root / "phase0_math" / "softmax.py").read_text() == (root / "phase0_math" / "softmax.py").read_text()
    expected = stubs.planned()[REPO / "phase0_math" / "softmax.py"]
    assert (root / "phase0_math" / "softmax.py").read_text() == expected
    backups = list((root / ".grader" / "backups").rglob("softmax.py"))
    assert len(backups) == 1 and backups[0].read_text() == mine
    assert "nothing to reset" in grader(root, "reset", num("phase0_math", "softmax")).stdout


def test_solution_refuses_before_the_phase_is_complete_then_allows(tmp_path):
    root = make_copy(tmp_path / "course")
    refused = grader(root, "solution", "phase0_math", timeout=300)
    assert refused.returncode == 1 and "Not yet" in refused.stdout and "def softmax" not in refused.stdout
    forced = grader(root, "solution", "phase0_math", "--force")
    assert forced.returncode == 0 and "+++ reference: softmax" in forced.stdout
    assert '-    raise NotImplementedError("not started: softmax")' in forced.stdout
    assert "BEGIN SOLUTION" not in forced.stdout
    for file in ("matmul.py", "softmax.py", "loss.py", "gradcheck.py", "linear_regression.py"):
        solve(root, "phase0_math", file)
    softmax = root / "phase0_math" / "softmax.py"
    softmax.write_text(softmax.read_text().replace('"""', '"""Mine.', 1) + "\n\ndef helper():\n    return 1\n")
    allowed = grader(root, "solution", "phase0_math", timeout=300)
    assert allowed.returncode == 0, allowed.stdout + allowed.stderr
    assert "is complete" in allowed.stdout and "=== matmul_backward: the same as the reference" in allowed.stdout
    assert "==> phase0_math/matmul.py against solutions/phase0_math/matmul.py <==" in allowed.stdout
    assert "def helper" not in allowed.stdout  # only the exercises' functions are compared
    whole = grader(root, "solution", "phase0_math", "--force", "--whole")
    assert "==> solutions/phase0_math/matmul.py <==" in whole.stdout and "def softmax" in whole.stdout
