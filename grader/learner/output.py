"""The learner's terminal output: lines of at most 80 columns, in colour only where it is wanted.

:class:`Out` writes (and stops quietly on a closed pipe, ``make status | head``); :func:`fit`,
:func:`render_text` and :func:`duration` shape text; :data:`TINTS` colours each exercise state;
:func:`reading` names the README section of an exercise.

Imports: :mod:`grader.engine.report` (colour, wrapping) and :mod:`grader.authoring.manifest`.
"""

from __future__ import annotations

import contextlib
import os
import sys
import textwrap
from typing import TextIO

from grader.authoring.manifest import Exercise
from grader.engine import report

WIDTH = 80
TINTS = {"done": "green", "failing": "red", "in progress": "yellow", "not started": "dim", "written": "green",
         "unknown": "red", "blocked": "yellow"}


class Out:
    """Writes lines of at most WIDTH columns, in colour only on a terminal that wants it."""

    def __init__(self, stream: TextIO | None = None):
        self.stream = stream or sys.stdout
        self.colour = report.use_colour(self.stream)

    def __call__(self, line: str = "", colour: str | None = None) -> None:
        try:
            self.stream.write((report._paint(line, colour, self.colour) if colour else line) + "\n")
        except BrokenPipeError:  # `make status | head`: stop quietly
            with contextlib.suppress(OSError):
                os.dup2(os.open(os.devnull, os.O_WRONLY), self.stream.fileno())
            raise SystemExit(0) from None

    def message(self, text: str, indent: int = 2, max_lines: int = 5) -> None:
        """A failure message: each of its lines wrapped on its own (got / expected stay apart)."""
        for line in report._wrap(text, indent, WIDTH, max_lines):
            self(line.rstrip())

    def paint(self, text: str, colour: str) -> str:
        return report._paint(text, colour, self.colour)

    def wrap(self, text: str, indent: int = 2, first: str | None = None, max_lines: int | None = None,
             colour: str | None = None) -> None:
        """Paragraphs of ``text`` reflowed to the width; lines indented by 4+ spaces kept (code)."""
        lines = render_text(text, WIDTH - indent)
        if max_lines is not None and len(lines) > max_lines:
            lines = lines[: max_lines - 1] + [fit(lines[max_lines - 1], WIDTH - indent - 4) + " ..."]
        for i, line in enumerate(lines):
            prefix = first if (i == 0 and first is not None) else " " * indent
            self((prefix + line).rstrip(), colour)

    def flush(self) -> None:
        self.stream.flush()


def fit(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(0, width - 3)] + "..."


def render_text(text: str, width: int) -> list[str]:
    out: list[str] = []
    paragraph: list[str] = []

    def flush_paragraph() -> None:
        if paragraph:
            out.extend(textwrap.wrap(" ".join(paragraph), width, break_on_hyphens=False) or [""])
            paragraph.clear()

    for raw in text.splitlines():
        if not raw.strip():
            flush_paragraph()
            if out and out[-1] != "":
                out.append("")
        elif raw.startswith("    ") or raw.startswith("\t"):
            flush_paragraph()
            out.append(fit(raw.rstrip(), width))
        else:
            paragraph.append(raw.strip())
    flush_paragraph()
    while out and out[-1] == "":
        out.pop()
    return out


def duration(minutes: int) -> str:
    hours, rest = divmod(int(minutes), 60)
    if not hours:
        return f"{rest} min"
    return f"{hours} h" + (f" {rest:02d} min" if rest else "")


def reading(exercise: Exercise) -> str:
    """What to read for ``exercise``: its package README and the section, when it has one."""
    readme = exercise.phase.readme
    return f'{readme}, "{exercise.section}"' if exercise.section else readme
