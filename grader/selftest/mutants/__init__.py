"""Plausible wrong implementations, one module per phase, each a list ``MUTANTS``.

A mutant is a textual edit of one reference module (the text must occur exactly once, so a
mutant cannot silently stop applying when the reference changes). ``make test`` grades every
mutant and fails unless it loses points.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass


@dataclass(frozen=True)
class Mutant:
    name: str
    file: str  # relative to solutions/, e.g. "phase0_math/softmax.py"
    old: str
    new: str
    bug: str  # the mistake it stands for, in a student's words

    @property
    def package(self) -> str:
        """The package the mutated file belongs to ("phase0_math", "language_models" ...)."""
        parts = self.file.split("/")
        return parts[1] if parts[0] == "extensions" else parts[0]


def all_mutants() -> list[Mutant]:
    found: list[Mutant] = []
    for info in pkgutil.iter_modules(__path__):
        found.extend(importlib.import_module(f"{__name__}.{info.name}").MUTANTS)
    return found
