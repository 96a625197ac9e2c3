"""The mistakes the reading guides list under "Common mistakes", as mutants the public tests must catch.

One module per package, each a list ``MUTANTS`` of :class:`grader.selftest.mutants.Mutant` (a
textual edit of one reference module). ``test_public_mistakes.py`` applies each to a copy of
solutions/ and runs that package's public tests (``make check``'s tests, not the hidden ones):
each mutant must fail them, and solutions/ must pass them. A mutant the graded suite already
has is reused by name (:func:`graded`), so one edit stands for one mistake everywhere.
"""

from __future__ import annotations

import importlib
import pkgutil

from grader.selftest.mutants import Mutant, all_mutants as _graded_mutants


def graded(*names: str) -> list[Mutant]:
    """The mutants of grader/selftest/mutants/ with these names (every name must exist)."""
    known = {m.name: m for m in _graded_mutants()}
    missing = [n for n in names if n not in known]
    if missing:
        raise KeyError(f"no graded mutant named {missing}")
    return [known[n] for n in names]


def all_mutants() -> list[Mutant]:
    found: list[Mutant] = []
    for info in pkgutil.iter_modules(__path__):
        found.extend(importlib.import_module(f"{__name__}.{info.name}").MUTANTS)
    return found
