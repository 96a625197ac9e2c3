"""The exercise manifest, ``grader/exercises.toml``: every exercise of the course in order.

Each exercise has its package, number, name, the tests' ``exercise`` markers, file, functions,
difficulty, time budget, the README section to read and three levels of hints (the comment at the
top of the TOML file documents the fields). :func:`load_course` reads it into a :class:`Course`
with lookups by package, number, name and marker.

It lives in :mod:`grader.authoring` because the course author writes it and both sides read it:
the author's README tables (:mod:`grader.authoring.readmes`) and the learner's commands
(:mod:`grader.learner`). Imports: :mod:`grader.engine.phases` only.
"""

from __future__ import annotations

import argparse
import re
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from grader.engine.phases import PHASES, REPO, Phase, by_name

MANIFEST = REPO / "grader" / "exercises.toml"
LEVELS = 3  # hints per exercise: a nudge, the idea, the shape of the code


class ManifestError(ValueError):
    pass


@dataclass(frozen=True)
class Exercise:
    package: str
    number: str
    name: str
    markers: tuple[str, ...]
    file: str
    functions: tuple[str, ...]
    detail: str
    difficulty: int
    minutes: int
    section: str
    hints: tuple[str, ...]

    @property
    def phase(self) -> Phase:
        return by_name(self.package)

    @property
    def key(self) -> str:
        return f"{self.package}:{self.name}"

    @property
    def path(self) -> Path:
        return REPO / self.phase.path / self.file

    @property
    def shown_path(self) -> str:
        return f"{self.phase.path}/{self.file}"

    @property
    def title(self) -> str:
        return f"{self.number} {self.name}"


_FIELDS = {"package": str, "number": str, "name": str, "file": str, "functions": list, "difficulty": int,
           "minutes": int, "section": str, "hints": list}


def load_manifest(path: Path = MANIFEST) -> list[Exercise]:
    """Every exercise of ``path`` in order; ManifestError names the entry that is malformed."""
    try:
        data = tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ManifestError(f"{path}: {exc}") from None
    exercises = []
    for i, entry in enumerate(data.get("exercise", [])):
        where = f"{path.name}, exercise {i + 1} ({entry.get('number', '?')} {entry.get('name', '?')})"
        for key, kind in _FIELDS.items():
            if not isinstance(entry.get(key), kind):
                raise ManifestError(f"{where}: '{key}' must be a {kind.__name__}")
        markers = entry.get("markers", [entry["name"]])
        if not isinstance(markers, list) or not markers or not all(isinstance(m, str) for m in markers):
            raise ManifestError(f"{where}: 'markers' must be a non-empty list of names")
        try:
            by_name(entry["package"])
        except ValueError as exc:
            raise ManifestError(f"{where}: {exc}") from None
        exercises.append(Exercise(
            package=entry["package"], number=entry["number"], name=entry["name"], markers=tuple(markers),
            file=entry["file"], functions=tuple(entry["functions"]), detail=entry.get("detail", ""),
            difficulty=entry["difficulty"], minutes=entry["minutes"], section=entry["section"],
            hints=tuple(h.strip() for h in entry["hints"]),
        ))
    return exercises


class Course:
    """The manifest's exercises, with lookups by package, number and name."""

    def __init__(self, exercises: list[Exercise]):
        self.exercises = exercises
        order = {p.name: i for i, p in enumerate(PHASES)}
        self.packages = sorted(dict.fromkeys(e.package for e in exercises), key=order.__getitem__)

    def of(self, package: str) -> list[Exercise]:
        return [e for e in self.exercises if e.package == package]

    def owner(self, message: str) -> Exercise | None:
        """The exercise whose function a "not started: f (path:line)" message names."""
        match = re.match(r"not started: (\w+)(?: \(([^:)]+))?", message or "")
        if not match:
            return None
        function, path = match.groups()
        candidates = [e for e in self.exercises if function in e.functions]
        if path:
            here = [e for e in candidates if path.startswith(e.phase.path + "/")]
            candidates = here or candidates
        return candidates[0] if candidates else None

    def ref(self, exercise: Exercise) -> str:
        """How to name the exercise on a command line: its name when unique, else its number."""
        same = [e for e in self.exercises if e.name == exercise.name]
        return exercise.name if len(same) == 1 else exercise.number

    def resolve(self, spec: str, package: str | None = None) -> Exercise:
        """An exercise from a number ("0.2"), a name ("softmax"), "package:name", or a test marker."""
        spec = spec.strip()
        pool = self.of(package) if package else self.exercises
        if ":" in spec or "/" in spec:
            package_part, name = re.split(r"[:/]", spec, maxsplit=1)
            pool = [e for e in self.exercises if e.package == package_part]
            spec = name
        for test in (lambda e: e.number.lower() == spec.lower(), lambda e: e.name == spec,
                     lambda e: spec in e.markers):
            found = [e for e in pool if test(e)]
            if len(found) == 1:
                return found[0]
            if len(found) > 1 and len({e.package for e in found}) == 1 and spec not in {e.name for e in found}:
                return found[0]  # a marker shared inside one package: its first exercise
            if len(found) > 1:
                choices = ", ".join(f"{e.number} ({e.package})" for e in found)
                raise LookupError(f"{spec!r} names several exercises: {choices}; give the number")
        raise LookupError(f"no exercise {spec!r}; make status lists them (numbers like 0.2, or names)")


def load_course() -> Course:
    return Course(load_manifest())


def guarded(command: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """A command that reports a broken manifest in one line instead of a traceback."""

    def run(args: argparse.Namespace) -> int:
        try:
            return command(args)
        except ManifestError as exc:
            print(f"grader: the exercise manifest is broken: {exc}", file=sys.stderr)
            return 2

    return run
