"""Feedback a learner can act on: whole messages on request, a reason for every failure listed,
numbers that show the difference, the spec's exception names, no LaTeX, the learner's own line,
and decoupled or coupled grading said plainly. In process, on made-up results: fast."""

from __future__ import annotations

import io
from dataclasses import dataclass

import pytest

from grader.engine import report
from grader.engine.phases import by_name
from grader.engine.pytest_plugin import learner_frame
from grader.engine.testing import assert_close, assert_raises, fmt_pair


def _phase(name: str, messages: list[str], complete: bool = False) -> dict:
    tests = [{"id": f"t{i}", "passed": False, "points": 0, "max_points": 1, "message": m}
             for i, m in enumerate(messages)]
    return {"name": name, "score": 1.0, "max_score": 10.0, "complete": complete, "tests": tests,
            "gradchecks": []}


def _render(result: dict, **options) -> str:
    stream = io.StringIO()
    report.render(result, stream=stream, **options)
    return stream.getvalue()


LONG = "softmax: wrong values in 3 of 6 entries; " + "very long explanation " * 8 + "END-OF-MESSAGE"


def test_grade_cuts_messages_by_default_and_prints_them_whole_with_full():
    result = {"target": ".", "score": 1.0, "max_score": 10.0,
              "phases": [_phase("phase0_math", [LONG, "second\nline two of it"])]}
    short = _render(result)
    assert "END-OF-MESSAGE" not in short and "make grade PHASE=phase0_math VERBOSE=1" in short
    full = _render(result, full=True)
    assert "END-OF-MESSAGE" in full and "line two of it" in full
    assert all(len(line) <= 80 for line in full.splitlines())


def test_a_decoupled_run_is_labelled_and_a_coupled_failure_points_at_the_earlier_phase():
    result = {"target": ".", "score": 1.0, "max_score": 10.0, "decoupled": True,
              "phases": [_phase("phase1_backprop", ["x: wrong values"])]}
    text = _render(result)
    assert "(decoupled" in text and "in progress (decoupled)" in text and "DECOUPLED=1" not in text
    result = {"target": ".", "score": 1.0, "max_score": 10.0,
              "phases": [_phase("phase1_backprop", ["ValueError: bad (phase0_math/softmax.py:12)"])]}
    text = " ".join(_render(result).split())
    assert "start in phase0_math (phase0_math/softmax.py:12)" in text
    assert "make grade PHASE=phase1_backprop DECOUPLED=1" in text
    result["phases"] = [_phase("phase0_math", [], complete=True) | {"tests": []},
                        _phase("phase1_backprop", ["x: wrong values"])]
    assert "DECOUPLED=1" not in _render(result)  # phase 0 is complete: no reason to doubt it


@dataclass
class Record:
    nodeid: str
    exercise: str
    passed: bool
    message: str = ""


def test_check_gives_a_one_line_reason_for_every_failure_then_how_many_more():
    records = [Record(f"t.py::test_{i}", "softmax", False, f"reason number {i}\nmore detail") for i in range(20)]
    stream = io.StringIO()
    report.render_check(by_name("phase0_math"), records, stream=stream, groups=[("0.3 softmax", records)])
    text = stream.getvalue()
    assert "0.3 softmax" in text
    for i in range(14):  # two in full, twelve on one line each
        assert f"reason number {i}" in text
    assert "reason number 14" not in text and "and 6 more: make check EX=0.3" in text


def test_numbers_show_the_difference_and_latex_never_reaches_the_terminal():
    assert fmt_pair(-4.0000001, -4.0) == ("-4.0000001", "-4")
    with pytest.raises(AssertionError, match=r"got -4.0000001, expected -4 \(off by 1e-07\)"):
        assert_close(-4.0000001, -4.0, "loss", rtol=1e-9, atol=0)
    assert report.plain(r"Masking with $-\infty$ before the softmax") == "Masking with -inf before the softmax"
    assert "$" not in "".join(report._wrap(r"as $T \to \infty$, $\beta \to 0$", 2))


class TrainingDiverged(ArithmeticError):
    pass


def test_exceptions_are_named_as_the_spec_names_them():
    with pytest.raises(AssertionError, match="expected a TrainingDiverged, but it returned 3"):
        assert_raises(ArithmeticError, lambda: 3, "fit", named="TrainingDiverged")
    def overflow():
        raise OverflowError("x")

    def diverge():
        raise TrainingDiverged("loss is inf at step 3")

    with pytest.raises(AssertionError, match="expected a TrainingDiverged, got OverflowError"):
        assert_raises(ArithmeticError, overflow, "fit", named="TrainingDiverged")

    assert assert_raises(ArithmeticError, diverge, "fit", named="TrainingDiverged")
    with pytest.raises(AssertionError, match="expected an ArithmeticError"):
        assert_raises(ArithmeticError, lambda: 3, "fit")


def test_the_location_is_the_learners_line_not_a_given_helper():
    frames = [("phase0_math/softmax.py", 17), ("phase0_math/arrays.py", 30)]
    assert learner_frame(frames) == "phase0_math/softmax.py:17"
    assert learner_frame([("phase0_math/arrays.py", 30)]) == "phase0_math/arrays.py:30"
    assert learner_frame([]) is None
