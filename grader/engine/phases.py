"""The course in order: every phase and extension package, where it lives and what it costs.

A package's ``path`` is relative to a target's root (the repository, ``solutions/`` or one
submission); its tests live under the repository's own ``<path>/tests``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SOLUTIONS = REPO / "solutions"
# A phase's workbook, written as a jupytext notebook beside its reference
# (``solutions/<path>/workbook.py``): not a module. Stubs, graded copies and releases leave it out.
WORKBOOK_SOURCE = "workbook.py"


@dataclass(frozen=True)
class Phase:
    name: str  # the package name, as imported and as reported
    path: str  # relative to a target root
    title: str
    hours: str  # the study plan's time budget

    @property
    def tests_dir(self) -> Path:
        return REPO / self.path / "tests"

    @property
    def hidden_dir(self) -> Path:
        return self.tests_dir / "hidden"

    @property
    def readme(self) -> str:
        return f"{self.path}/README.md"

    @property
    def available(self) -> bool:
        """A phase counts once it has hidden tests; until then it is announced, not graded."""
        return any(self.hidden_dir.glob("test_*.py"))


PHASES: tuple[Phase, ...] = (
    Phase("phase0_math", "phase0_math", "Math primitives and linear regression", "4 h"),
    Phase("phase1_backprop", "phase1_backprop", "Backpropagation through an MLP", "6 h"),
    Phase("phase2_attention", "phase2_attention", "Attention and multi-head attention", "6 h"),
    Phase("phase3_transformer", "phase3_transformer", "A Transformer block", "4 h"),
    Phase("language_models", "extensions/language_models", "Counting language models (bigrams, BPE)", "3 h"),
    Phase("tiny_transformer", "extensions/tiny_transformer", "Extension A: train a tiny Transformer", "8-10 h"),
    Phase("distillation", "extensions/distillation", "Extension B: distillation", "4-6 h"),
    Phase("control", "extensions/control", "Extension C: a reward model and policy improvement", "4-6 h"),
)


def by_name(name: str) -> Phase:
    for phase in PHASES:
        if phase.name == name:
            return phase
    known = ", ".join(p.name for p in PHASES)
    raise ValueError(f"unknown phase {name!r}; the phases are: {known}")


def phase_of_path(path: str | Path) -> Phase | None:
    """The phase whose folder holds ``path`` (a test file, a module), or None."""
    resolved = Path(path).resolve()
    for phase in PHASES:
        if resolved.is_relative_to(REPO / phase.path) or resolved.is_relative_to(SOLUTIONS / phase.path):
            return phase
    return None
