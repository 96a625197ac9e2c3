"""Correct but differently written implementations, one module per package, each a list
``ALTERNATIVES``.

An alternative is a textual edit of one reference module (the text must occur exactly once), like a
mutant (grader/selftest/mutants/), but it stands for code that is *right*: another loop order,
einsum instead of matmul, logsumexp, another valid tie-break, a large finite negative instead of
-inf where results are identical. ``make test`` grades every alternative and fails unless it scores
full marks: a hidden test that rejects correct code is a bug in the test.
"""

from __future__ import annotations

import importlib
import pkgutil

from grader.selftest.mutants import Mutant as Alternative  # same shape: name, file, old, new, and why

__all__ = ["Alternative", "all_alternatives"]


def all_alternatives() -> list[Alternative]:
    found: list[Alternative] = []
    for info in pkgutil.iter_modules(__path__):
        found.extend(importlib.import_module(f"{__name__}.{info.name}").ALTERNATIVES)
    return found
