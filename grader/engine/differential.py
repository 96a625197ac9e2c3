"""Differential tests: the learner's function and the trusted reference on the same drawn inputs.

A hidden test file declares one :class:`Contract` per function: the module and function, a
hypothesis strategy of :class:`Case` objects (the inputs its docstring allows: ranks, sizes, value
regimes, every documented argument over its documented values, built with
:mod:`grader.engine.domains`), and fixed cases that must always run (refusals, extremes).
:func:`contract_tests` turns the contracts into ordinary pytest tests, one per contract.

Each test:

1. draws ``examples`` cases with hypothesis, seeded by the grade seed and the contract's name
   (no shrinking, no database: the same seed draws the same cases, so regrading gives the same
   verdict), and appends the fixed cases;
2. calls the reference on every case here, in the trusted process;
3. calls the learner's function on every case in one round trip to the sandboxed worker
   (``RemoteFunction.outcomes``), each case answered by a value or an exception;
4. compares, case by case: where the reference raises, the learner must raise the same builtin
   exception class (and the same class name when the reference's class is the course's own);
   where it returns, the learner must return the same structure (arrays of the same shape and
   dtype kind, values within a tolerance scaled to the magnitude of the expected array).

The first failing case is reported with its shapes, regimes and arguments, and, when the inputs
are small, their exact values, so the learner can rerun it.
"""

from __future__ import annotations

import copy
import zlib
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, given, seed as hypothesis_seed, settings
from hypothesis import strategies as st

from grader.engine import domains
from grader.engine.protocol import Callback, Handle
from grader.engine.testing import _backend, fmt_shape

EXAMPLES = 24  # drawn cases per contract (plus its fixed cases)
SHOWN_VALUES = 16  # arrays up to this many entries are printed in full in a failure


@dataclass
class Case:
    """One call: positional and keyword arguments, and an optional note on what the case probes."""

    args: tuple
    kwargs: dict = field(default_factory=dict)
    note: str = ""


def case(*args: Any, note: str = "", **kwargs: Any) -> Case:
    return Case(tuple(args), dict(kwargs), note)


@dataclass
class Contract:
    """What one function promises, as inputs to draw and a way to compare outputs.

    module, function: what is called (``"phase0_math.softmax"``, ``"softmax"``).
    cases: a hypothesis strategy of :class:`Case` (or None: only ``fixed``).
    fixed: cases that always run after the drawn ones (refusals, documented extremes).
    project: applied to both outputs before comparing (e.g. keep ``out`` of ``(out, cache)``).
    rtol: tolerance relative to each expected value; atol: relative to the expected array's
        largest magnitude (so an entry near 0 next to entries near 1 is judged on the array's
        scale, not its own).
    name: the test's name (default ``test_contract_<function>``); exercise: the exercise marker.
    points, timeout: the test's weight and the per-call limit of the batched round trip.
    """

    module: str
    function: str
    cases: st.SearchStrategy | None = None
    fixed: list[Case] = field(default_factory=list)
    project: Callable[[Any], Any] | None = None
    rtol: float = 1e-6
    atol: float = 1e-9
    examples: int = EXAMPLES
    name: str | None = None
    exercise: str | None = None
    points: float = 1.0
    timeout: float | None = None

    @property
    def test_name(self) -> str:
        return self.name or f"test_contract_{self.function}"


# -- drawing ----------------------------------------------------------------------------------------


def draw_cases(strategy: st.SearchStrategy, count: int, seed: int) -> list[Case]:
    """``count`` cases from ``strategy``, the same ones for the same seed."""
    drawn: list[Case] = []

    @settings(max_examples=count, database=None, phases=[Phase.generate], deadline=None,
              suppress_health_check=list(HealthCheck), derandomize=False, report_multiple_bugs=False)
    @hypothesis_seed(seed)
    @given(strategy)
    def collect(value: Case) -> None:
        drawn.append(value)

    collect()
    return drawn[:count]


# -- describing a case -------------------------------------------------------------------------------


def _describe_value(value: Any) -> str:
    if isinstance(value, np.ndarray):
        text = f"{value.dtype} {fmt_shape(value.shape)}"
        regime = domains.note_of(value)
        if regime:
            text += f" {regime}"
        return text
    if isinstance(value, Callback):
        return f"the function {value.name}"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k!r}: {_describe_value(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)) and len(value) > 6:
        return f"{type(value).__name__} of {len(value)}"
    if isinstance(value, (list, tuple)):
        inner = ", ".join(_describe_value(v) for v in value)
        return f"[{inner}]" if isinstance(value, list) else f"({inner})"
    return repr(value)


def _exact(value: Any) -> str | None:
    """Python text that rebuilds ``value`` when it is small, else None."""
    if isinstance(value, np.ndarray):
        if value.size > SHOWN_VALUES:
            return None
        with np.printoptions(precision=17, floatmode="unique", threshold=SHOWN_VALUES):
            return f"np.array({value.tolist()!r}, dtype=np.{value.dtype})"
    if isinstance(value, Callback):
        return None
    if isinstance(value, (dict, list, tuple)):
        items = value.values() if isinstance(value, dict) else value
        return repr(value) if all(_exact(v) is not None for v in items) and len(repr(value)) < 300 else None
    return repr(value)


def describe_case(case_: Case) -> str:
    parts = [_describe_value(a) for a in case_.args] + [f"{k}={_describe_value(v)}" for k, v in case_.kwargs.items()]
    text = ", ".join(parts)
    if case_.note:
        text += f"  [{case_.note}]"
    exact = [_exact(a) for a in case_.args] + [_exact(v) for v in case_.kwargs.values()]
    if all(e is not None for e in exact) and (case_.args or case_.kwargs):
        call = ", ".join([e for e in exact[: len(case_.args)]]
                         + [f"{k}={e}" for k, e in zip(case_.kwargs, exact[len(case_.args):])])
        text += f"\n  rerun it: ({call})"
    return text


# -- calling -----------------------------------------------------------------------------------------


def _builtin_base(kind: type) -> str:
    import builtins

    return next((k.__name__ for k in kind.__mro__ if getattr(builtins, k.__name__, None) is k), "Exception")


def _resolve_callbacks(value: Any) -> Any:
    """The trusted functions a :class:`Callback` names, for the reference's call."""
    from grader.engine import callbacks

    if isinstance(value, Callback):
        return getattr(callbacks, value.name)
    if isinstance(value, tuple):
        return tuple(_resolve_callbacks(v) for v in value)
    if isinstance(value, list):
        return [_resolve_callbacks(v) for v in value]
    if isinstance(value, dict):
        return {k: _resolve_callbacks(v) for k, v in value.items()}
    return value


def reference_outcome(function: Callable, case_: Case) -> dict:
    args = _resolve_callbacks(copy.deepcopy(case_.args))
    kwargs = _resolve_callbacks(copy.deepcopy(case_.kwargs))
    try:
        return {"ok": True, "value": function(*args, **kwargs)}
    except Exception as exc:  # noqa: BLE001 - the reference's refusal is the expected outcome
        return {"ok": False, "error": {"type": type(exc).__name__, "base": _builtin_base(type(exc)),
                                       "message": str(exc), "where": None}}


def learner_outcomes(module: Any, function: str, cases: list[Case]) -> list[dict]:
    target = getattr(module, function)
    if hasattr(target, "outcomes"):  # the grader: one round trip to the sandboxed worker
        return target.outcomes([(c.args, c.kwargs) for c in cases])
    results = []
    for c in cases:  # in-process (a learner's own run): the same shape of answer
        try:
            results.append({"ok": True, "value": target(*_resolve_callbacks(copy.deepcopy(c.args)),
                                                          **_resolve_callbacks(copy.deepcopy(c.kwargs)))})
        except NotImplementedError:
            raise
        except Exception as exc:  # noqa: BLE001
            results.append({"ok": False, "error": {"type": type(exc).__name__, "base": _builtin_base(type(exc)),
                                                   "message": str(exc), "where": None}})
    return results


# -- comparing ---------------------------------------------------------------------------------------


def _kind(dtype: np.dtype) -> str:
    return {"f": "floating-point", "i": "integer", "u": "integer", "b": "bool", "c": "complex"}.get(dtype.kind, str(dtype))


def compare(got: Any, expected: Any, name: str, rtol: float, atol: float) -> str | None:
    """None when ``got`` matches ``expected``; else one line saying what differs and where."""
    if isinstance(expected, Handle) or (not isinstance(expected, (np.ndarray, np.generic, int, float, str, bool,
                                                                    tuple, list, dict, type(None)))):
        return None  # an object the contract does not describe (a cache object): nothing to compare
    if isinstance(expected, np.ndarray):
        if not isinstance(got, np.ndarray):
            shown = getattr(got, "type_name", None) or type(got).__name__
            return f"{name}: expected a numpy.ndarray, got {shown}"
        if _kind(got.dtype) != _kind(expected.dtype):
            return f"{name}: expected a {_kind(expected.dtype)} array, got dtype {got.dtype}"
        if got.shape != expected.shape:
            return f"{name}: wrong shape: got {fmt_shape(got.shape)}, expected {fmt_shape(expected.shape)}"
        if expected.dtype.kind != "f":
            if not np.array_equal(got, expected):
                index = tuple(int(i) for i in np.argwhere(got != expected)[0])
                return f"{name}: wrong value at index {index}: got {got[index]!r}, expected {expected[index]!r}"
            return None
        return _compare_floats(got.astype(np.float64), expected.astype(np.float64), name, rtol, atol)
    if isinstance(expected, (bool, np.bool_)):
        return None if isinstance(got, (bool, np.bool_)) and bool(got) == bool(expected) else \
            f"{name}: got {got!r}, expected {bool(expected)!r}"
    if isinstance(expected, (int, float, np.integer, np.floating)):
        if isinstance(got, np.ndarray) and got.shape == ():
            got = got.item()
        if isinstance(got, bool) or not isinstance(got, (int, float, np.integer, np.floating)):
            return f"{name}: expected a number, got {getattr(got, 'type_name', None) or type(got).__name__}"
        return _compare_floats(np.asarray(float(got)), np.asarray(float(expected)), name, rtol, atol)
    if isinstance(expected, (tuple, list)):
        if not isinstance(got, (tuple, list)) or len(got) != len(expected):
            size = len(got) if isinstance(got, (tuple, list)) else None
            return f"{name}: expected a sequence of {len(expected)} values, got " + (
                f"{size}" if size is not None else type(got).__name__)
        for i, (g, e) in enumerate(zip(got, expected)):
            problem = compare(g, e, f"{name}[{i}]", rtol, atol)
            if problem:
                return problem
        return None
    if isinstance(expected, dict):
        if not isinstance(got, dict):
            return f"{name}: expected a dict, got {getattr(got, 'type_name', None) or type(got).__name__}"
        if set(got) != set(expected):
            missing, extra = sorted(map(str, set(expected) - set(got))), sorted(map(str, set(got) - set(expected)))
            return f"{name}: wrong keys" + (f"; missing {missing}" if missing else "") + (
                f"; unexpected {extra}" if extra else "")
        for key in expected:
            problem = compare(got[key], expected[key], f"{name}[{key!r}]", rtol, atol)
            if problem:
                return problem
        return None
    return None if got == expected else f"{name}: got {got!r}, expected {expected!r}"


def _compare_floats(got: np.ndarray, expected: np.ndarray, name: str, rtol: float, atol: float) -> str | None:
    same_special = (np.isnan(got) == np.isnan(expected)) & (np.isinf(got) == np.isinf(expected))
    finite = np.isfinite(expected)
    scale = float(np.max(np.abs(expected[finite]))) if finite.any() else 0.0
    with np.errstate(invalid="ignore", over="ignore"):
        error = np.where(finite, np.abs(got - expected), 0.0)
    allowed = rtol * np.abs(np.where(finite, expected, 0.0)) + atol * scale + 1e-300
    infinite_ok = np.where(np.isinf(expected), got == expected, True)
    bad = ~(same_special & infinite_ok & (np.nan_to_num(error, nan=np.inf) <= allowed))
    if not bad.any():
        return None
    score = np.where(bad, np.nan_to_num(error, nan=np.inf, posinf=np.inf) + 1.0, 0.0)
    index = np.unravel_index(int(np.argmax(score)), score.shape) if score.ndim else ()
    where = f" at index {tuple(int(i) for i in index)}" if score.ndim else ""
    count = f" in {int(bad.sum())} of {bad.size} entries" if bad.size > 1 else ""
    return (f"{name}: wrong values{count}; worst{where}: got {float(got[index])!r}, "
            f"expected {float(expected[index])!r}")


def judge(got: dict, expected: dict, contract: Contract) -> str | None:
    """One case's verdict: None when the learner's outcome matches the reference's."""
    call = f"{contract.function}(...)"
    if not expected["ok"]:
        error = expected["error"]
        if got["ok"]:
            shown = getattr(got["value"], "shape", None)
            return (f"{call} should raise {error['type']} here"
                    + (f" ({error['base']})" if error["base"] != error["type"] else "")
                    + f", but it returned" + (f" an array of shape {fmt_shape(shown)}" if shown is not None else
                                               f" {got['value']!r}"[:80]))
        theirs = got["error"]
        if theirs["base"] != error["base"] or (error["type"] != error["base"] and theirs["type"] != error["type"]):
            return f"{call} should raise {error['type']}, got {theirs['type']}: {theirs['message'][:200]}"
        return None
    if not got["ok"]:
        theirs = got["error"]
        if theirs["type"] == "NotImplementedError":
            return f"{call}: {theirs['message'][:200]}"
        where = f" ({theirs['where']})" if theirs.get("where") else ""
        return f"{call} raised {theirs['type']}: {theirs['message'][:200]}{where}"
    values = [got["value"], expected["value"]]
    if contract.project is not None:
        try:
            values = [contract.project(v) for v in values]
        except Exception as exc:  # noqa: BLE001 - the learner's output has the wrong structure
            return f"{call}: its result does not have the documented structure ({type(exc).__name__}: {exc})"
    return compare(values[0], values[1], call, contract.rtol, contract.atol)


# -- tests -------------------------------------------------------------------------------------------


def run_contract(contract: Contract, module: Any, reference: Any, grade_seed: int) -> None:
    seed = zlib.crc32(f"{contract.module}.{contract.test_name}:{grade_seed}".encode())
    cases = draw_cases(contract.cases, contract.examples, seed) if contract.cases is not None else []
    cases += list(contract.fixed)
    expected = [reference_outcome(getattr(reference, contract.function), c) for c in cases]
    got = learner_outcomes(module, contract.function, cases)
    failures = [(i, problem) for i, (g, e) in enumerate(zip(got, expected))
                if (problem := judge(g, e, contract)) is not None]
    if failures:
        i, problem = failures[0]
        if problem.startswith(f"{contract.function}(...): not started"):
            raise NotImplementedError(problem.split(": ", 1)[1])
        raise AssertionError(
            f"{problem}\n  case {i + 1} of {len(cases)} ({len(failures)} failing): {describe_case(cases[i])}")


def contract_test(contract: Contract) -> Callable:
    def test(request: pytest.FixtureRequest) -> None:
        backend = _backend(request.config)
        module = backend.load(contract.module, contract.timeout)
        reference = backend.reference(contract.module)
        run_contract(contract, module, reference, request.config.getoption("--grade-seed"))

    test.__name__ = contract.test_name
    test = pytest.mark.points(contract.points)(test)
    if contract.exercise:
        test = pytest.mark.exercise(contract.exercise)(test)
    return test


def contract_tests(contracts: Iterable[Contract]) -> dict[str, Callable]:
    """``globals().update(contract_tests(CONTRACTS))`` in a hidden test file: one test per contract."""
    tests: dict[str, Callable] = {}
    for contract in contracts:
        if contract.test_name in tests:
            raise ValueError(f"two contracts named {contract.test_name}; give one a name=")
        tests[contract.test_name] = contract_test(contract)
    return tests
