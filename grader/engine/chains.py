"""Chained differential tests: a backward function judged on the learner's own forward cache.

A backward function takes ``(dout, cache)`` where the cache is whatever the learner's forward
returned: its layout is the learner's choice. A :class:`Chain` runs the learner's forward on each
drawn case, hands its cache to the learner's backward with the drawn ``dout``, and compares the
result with the reference's forward and backward on the same inputs. Values are judged on the
scale of the largest gradient of the case, so a gradient that is zero up to round-off (a key bias,
coinciding keys) is not judged on its own noise.
"""

from __future__ import annotations

import copy
import zlib
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import pytest

from grader.engine.differential import (
    Case, Contract, compare, describe_case, draw_cases, judge, learner_outcomes, reference_outcome)
from grader.engine.testing import _backend


@dataclass
class Chain:
    """``backward(dout, forward(*args, **kwargs)[1])``; a case is ``case(dout, *args, **kwargs)``."""

    module: str
    forward: str
    backward: str
    cases: Any = None
    fixed: tuple = ()
    project: Callable | None = None
    rtol: float = 1e-6
    atol: float = 1e-9
    examples: int = 12
    exercise: str | None = None
    points: float = 1.0

    @property
    def test_name(self) -> str:
        return f"test_contract_{self.backward}"


def _largest(value: Any) -> float:
    if isinstance(value, np.ndarray) and value.dtype.kind == "f":
        finite = value[np.isfinite(value)]
        return float(np.max(np.abs(finite))) if finite.size else 0.0
    items = value.values() if isinstance(value, dict) else value if isinstance(value, (tuple, list)) else ()
    return max((_largest(v) for v in items), default=0.0)


def _compare_on_scale(got: Any, expected: Any, name: str, rtol: float, atol: float, scale: float) -> str | None:
    """differential.compare, with atol taken relative to ``scale`` instead of each array's own maximum."""
    if isinstance(expected, np.ndarray) and expected.dtype.kind == "f":
        if not isinstance(got, np.ndarray) or got.shape != expected.shape or got.dtype.kind != "f":
            return compare(got, expected, name, rtol, atol)
        own = _largest(expected)
        if own > 0.0:
            return compare(got, expected, name, rtol, atol * scale / own)
        worst = float(np.max(np.abs(got), initial=0.0))
        if not worst <= atol * scale:  # also catches NaN
            return f"{name}: expected all zeros, got an entry of magnitude {worst!r}"
        return None
    if isinstance(expected, (tuple, list)) and isinstance(got, (tuple, list)) and len(got) == len(expected):
        for i, (g, e) in enumerate(zip(got, expected)):
            problem = _compare_on_scale(g, e, f"{name}[{i}]", rtol, atol, scale)
            if problem:
                return problem
        return None
    if isinstance(expected, dict) and isinstance(got, dict) and set(got) == set(expected):
        for key in expected:
            problem = _compare_on_scale(got[key], expected[key], f"{name}[{key!r}]", rtol, atol, scale)
            if problem:
                return problem
        return None
    return compare(got, expected, name, rtol, atol)


def _judge(got: dict, expected: dict, chain: Chain) -> str | None:
    if not expected["ok"] or not got["ok"]:
        return judge(got, expected, Contract(chain.module, chain.backward, rtol=chain.rtol, atol=chain.atol))
    values = [got["value"], expected["value"]]
    if chain.project is not None:
        try:
            values = [chain.project(v) for v in values]
        except Exception as exc:  # noqa: BLE001 - the learner's output has the wrong structure
            return f"{chain.backward}(...): its result does not have the documented structure ({exc})"
    return _compare_on_scale(values[0], values[1], f"{chain.backward}(...)", chain.rtol, chain.atol,
                             _largest(values[1]))


def _run_chain(chain: Chain, module: Any, reference: Any, grade_seed: int) -> None:
    seed = zlib.crc32(f"{chain.module}.{chain.test_name}:{grade_seed}".encode())
    cases = (draw_cases(chain.cases, chain.examples, seed) if chain.cases is not None else []) + list(chain.fixed)
    forward, backward = getattr(reference, chain.forward), getattr(reference, chain.backward)
    expected = [reference_outcome(lambda dout, *a, **k: backward(dout, forward(*a, **k)[1]), c) for c in cases]
    forwards = learner_outcomes(module, chain.forward, [Case(c.args[1:], c.kwargs) for c in cases])
    problems: dict[int, str] = {}
    ran, calls = [], []
    for i, (c, got) in enumerate(zip(cases, forwards)):
        if not got["ok"]:
            error = got["error"]
            if error["type"] == "NotImplementedError":
                raise NotImplementedError(f"{chain.forward}: {error['message'][:200]}")
            problems[i] = f"{chain.forward}(...) raised {error['type']}: {error['message'][:200]}"
        elif not isinstance(got["value"], (tuple, list)) or len(got["value"]) != 2:
            problems[i] = f"{chain.forward}(...) must return a tuple (out, cache)"
        else:
            ran.append(i)
            calls.append(Case((copy.deepcopy(c.args[0]), got["value"][1])))
    for i, got in zip(ran, learner_outcomes(module, chain.backward, calls) if calls else []):
        if not got["ok"] and got["error"]["type"] == "NotImplementedError":
            raise NotImplementedError(f"{chain.backward}: {got['error']['message'][:200]}")
        problem = _judge(got, expected[i], chain)
        if problem is not None:
            problems[i] = problem
    if problems:
        i = min(problems)
        raise AssertionError(f"{problems[i]}\n  case {i + 1} of {len(cases)} ({len(problems)} failing), "
                             f"dout first, then the forward pass's inputs: {describe_case(cases[i])}")


def chain_tests(chains) -> dict:
    """``globals().update(chain_tests(CHAINS))``: one pytest test per chain."""
    tests = {}
    for chain in chains:
        def test(request, chain=chain):
            backend = _backend(request.config)
            _run_chain(chain, backend.load(chain.module, None), backend.reference(chain.module),
                       request.config.getoption("--grade-seed"))

        test.__name__ = chain.test_name
        test = pytest.mark.points(chain.points)(test)
        if chain.exercise:
            test = pytest.mark.exercise(chain.exercise)(test)
        tests[chain.test_name] = test
    return tests
