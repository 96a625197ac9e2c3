"""The learner's loop in a copy of the course, as a learner runs it: watch (moving on, going back
after a reset or a regression, stopping), status surviving a crash, decoupled checks, and the
author commands keeping a learner's work. Helpers come from :mod:`test_learner`."""

from __future__ import annotations

import ast
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from grader.authoring import stubs
from grader.engine.phases import REPO
from grader.learner import watch
from grader.selftest.test_learner import COURSE, assert_one_screen, grader, make_copy, solve


def _watch(root: Path, *args: str) -> subprocess.Popen:
    environment = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    return subprocess.Popen([sys.executable, "-m", "grader", "watch", "--interval", "0.2", *args], cwd=root,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=environment)


def _read_until(process: subprocess.Popen, needle: str, timeout: float = 60) -> str:
    seen = ""
    deadline = time.monotonic() + timeout
    while needle not in seen:
        assert time.monotonic() < deadline, f"no {needle!r} in:\n{seen}"
        line = process.stdout.readline()
        assert line or process.poll() is None, f"watch ended before {needle!r}:\n{seen}"
        seen += line
    return seen


@pytest.mark.parametrize("poll", [False, True], ids=["file-events", "polling"])
def test_change_watcher_sees_a_saved_file_and_ignores_others(tmp_path, poll):
    folder = tmp_path / "pkg"
    folder.mkdir()
    (folder / "a.py").write_text("x = 1\n")
    watcher = watch.ChangeWatcher([folder], poll=poll, interval=0.1)
    try:
        assert watcher.mode == ("polling every 0.1 s" if poll else "file events")
        assert watcher.wait(timeout=0.3) is False
        (folder / "notes.txt").write_text("not python")
        assert watcher.wait(timeout=0.5) is False
        (folder / "a.py").write_text("x = 22\n")
        assert watcher.wait(timeout=5) is True
        (folder / "b.py").write_text("y = 1\n")  # a new module counts too
        assert watcher.wait(timeout=5) is True
    finally:
        watcher.close()


def test_watch_reruns_on_a_change_and_says_when_the_phase_and_course_are_complete(tmp_path):
    mode: list[str] = []
    # the copy's manifest holds one exercise, so finishing it finishes the phase and the course
    mm = COURSE.resolve("phase0_math:matmul")
    root = make_copy(tmp_path / "course", only=(mm.number,))
    for file in ("softmax.py", "loss.py", "gradcheck.py", "linear_regression.py"):
        solve(root, "phase0_math", file)  # for the grader, whose hidden tests cover the whole phase
    process = _watch(root, *mode, "--max-runs", "5")
    try:
        first = _read_until(process, "Watching for changes")
        assert mm.title in first and "not started: dot" in first
        assert ("polling" in first) == bool(mode)
        solve(root, "phase0_math", "matmul.py")
        rest, _ = process.communicate(timeout=240)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, rest
    assert f"{mm.title} is done" in rest
    assert "Every exercise of phase0_math passes its public tests" in rest
    assert "The grader agrees: phase0_math is complete" in rest
    assert "Every exercise of the course passes its public tests" in rest
    assert "Traceback" not in rest and all(len(line) <= 80 for line in (first + rest).splitlines())


def test_watch_goes_back_after_a_reset_and_names_an_earlier_exercise_that_broke(tmp_path):
    root = make_copy(tmp_path / "course")
    exercises = COURSE.of("phase0_math")
    for exercise in exercises[:2]:
        solve(root, "phase0_math", exercise.file)
    early, later = exercises[0], exercises[2]
    process = _watch(root, "--max-runs", "4", "--poll")
    try:
        first = _read_until(process, "Watching for changes")
        assert later.title in first
        path = root / "phase0_math" / early.file
        text = path.read_text()
        body = ast.parse(text)
        function = next(n for n in body.body if isinstance(n, ast.FunctionDef) and n.name == early.functions[0])
        lines = text.splitlines(keepends=True)
        indent = " " * function.body[-1].col_offset
        lines.insert(function.body[-1].lineno - 1, f'{indent}raise ValueError("broken on purpose")\n')
        path.write_text("".join(lines))  # a regression in an earlier exercise
        broke = _read_until(process, "Watching for changes")
        assert f"{early.title} broke" in broke and "broken on purpose" in broke
        path.write_text(text)  # mended: watch moves on again
        assert later.title in _read_until(process, "Watching for changes")
        assert grader(root, "reset", early.number).returncode == 0  # back to the stub
        rest, _ = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
    assert f"Back to {early.title}" in rest and "stubs again" in rest, rest


def test_watch_stops_cleanly_on_ctrl_c(tmp_path):
    root = make_copy(tmp_path / "course")
    process = _watch(root)
    try:
        _read_until(process, "Watching for changes")
        process.send_signal(signal.SIGINT)
        rest, _ = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0 and "Stopped watching." in rest and "Traceback" not in rest


def test_status_survives_a_package_that_kills_its_process(tmp_path):
    root = make_copy(tmp_path / "course")
    solve(root, "phase0_math", "matmul.py")
    softmax = root / "phase0_math" / "softmax.py"
    softmax.write_text(softmax.read_text() + "\nimport os\nos._exit(3)\n")  # kills whoever imports it
    status = grader(root, "status", "--fresh")
    assert status.returncode == 0, status.stderr
    assert "stopped early" in status.stdout and "could not run" in status.stdout
    assert_one_screen(status.stdout, lines=40)


def test_check_decoupled_uses_the_reference_of_the_earlier_phases(tmp_path):
    root = make_copy(tmp_path / "course", packages=("phase0_math", "phase2_attention"))
    solve(root, "phase2_attention", "mask.py")
    solve(root, "phase2_attention", "attention.py")  # phase 2 done, phase 0 still stubs
    coupled = grader(root, "check", "phase2_attention", "-e", "attention_loops")
    assert coupled.returncode == 1 and "not started: softmax (phase0_math/softmax.py" in coupled.stdout
    decoupled = grader(root, "check", "phase2_attention", "-e", "attention_loops", "--decoupled")
    assert decoupled.returncode == 0, decoupled.stdout
    assert "phase0_math came from the reference" in decoupled.stdout
    assert re.search(r"(\d+) of \1 public tests pass", decoupled.stdout), decoupled.stdout
    assert_one_screen(decoupled.stdout)


def test_author_commands_keep_a_learners_work_unless_forced(tmp_path):
    root = make_copy(tmp_path / "course")
    solve(root, "phase0_math", "softmax.py")
    mine = (root / "phase0_math" / "softmax.py").read_text()
    refused = grader(root, "stubs")
    assert refused.returncode == 1 and "phase0_math/softmax.py" in refused.stdout and "FORCE=1" in refused.stdout
    assert (root / "phase0_math" / "softmax.py").read_text() == mine
    stale = subprocess.run([sys.executable, "-c", "from grader.authoring import stubs; print(stubs.stale())"],
                           cwd=root, capture_output=True, text=True)
    assert "softmax" not in stale.stdout  # make test's drift check does not trip on the learner's code
    forced = grader(root, "stubs", "--force")
    assert forced.returncode == 0 and ".grader/backups/" in forced.stdout
    backup = next((root / ".grader" / "backups").rglob("softmax.py"))
    assert backup.read_text() == mine
    assert (root / "phase0_math" / "softmax.py").read_text() == stubs.planned()[REPO / "phase0_math" / "softmax.py"]
