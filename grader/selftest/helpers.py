"""Shared machinery of the repository's own tests: build targets, grade them in a subprocess."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from grader.authoring import stubs
from grader.engine.phases import PHASES, REPO, SOLUTIONS


def copy_solutions(dest: Path) -> Path:
    for phase in PHASES:
        if (SOLUTIONS / phase.path).is_dir():
            shutil.copytree(SOLUTIONS / phase.path, dest / phase.path, ignore=shutil.ignore_patterns("__pycache__"))
    return dest


def write_stubs(dest: Path) -> Path:
    for path, text in stubs.planned().items():
        out = dest / path.relative_to(REPO)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text)
    return dest


def replace_once(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    count = text.count(old)
    if count != 1:
        raise AssertionError(f"{path}: the text to replace occurs {count} times, expected once:\n{old}")
    path.write_text(text.replace(old, new))


def grade(target: Path, phases: list[str] | None = None, seed: int = 0, timeout: float | None = None,
          wall: float = 300, decoupled: bool = False) -> dict:
    """Run ``python -m grader grade`` on ``target`` as a user would; return its JSON."""
    out = target.parent / f"{target.name}-result-{seed}.json"
    command = [sys.executable, "-m", "grader", "grade", "--target", str(target), "--json", str(out), "--quiet",
               "--seed", str(seed)]
    for name in phases or []:
        command += ["--phase", name]
    if timeout is not None:
        command += ["--call-timeout", str(timeout)]
    if decoupled:
        command.append("--decoupled")
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=wall,
                          env={**os.environ, "NO_COLOR": "1"})
    if done.returncode != 0:
        raise AssertionError(f"grader exited {done.returncode}:\n{done.stdout}\n{done.stderr}")
    return json.loads(out.read_text())


def phase_result(result: dict, name: str) -> dict:
    return next(p for p in result["phases"] if p["name"] == name)


def available_phases() -> list[str]:
    return [p.name for p in PHASES if p.available]
