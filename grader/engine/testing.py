"""What every test file of the course uses: module fixtures and checks whose failures teach.

Test files never import a phase package themselves. They ask for it::

    softmax = module_fixture("phase0_math.softmax")

    def test_rows_sum_to_one(softmax):
        p = expect_array(softmax.softmax(x), "softmax(x)", shape=(2, 3))

When a student runs ``make check`` the fixture is the module itself, imported in-process. When the
grader runs (``python -m grader grade``) it is a proxy whose calls run in a sandboxed worker that
holds the target; values come back as plain arrays and every assertion runs here, in the trusted
process. Hidden tests may also ask for the trusted reference with :func:`reference_fixture`.

Every check raises ``AssertionError`` with one short message: what was checked, what came, what
was expected. No message quotes test source, so the grader can show it to a student.
"""

from __future__ import annotations

import re

from typing import Any, Callable

import numpy as np
import pytest

_BACKEND_KEY = "grader_backend"


def _backend(config: pytest.Config) -> Any:
    return getattr(config, _BACKEND_KEY)


def module_fixture(name: str, timeout: float | None = None) -> Any:
    """A fixture giving the implementation under test of module ``name`` (e.g. "phase0_math.softmax").

    ``timeout`` raises the per-call wall-clock limit in the grader for slow exercises (training).
    """

    @pytest.fixture
    def _module(request: pytest.FixtureRequest) -> Any:
        return _backend(request.config).load(name, timeout)

    return _module


def reference_fixture(name: str) -> Any:
    """A fixture giving the trusted reference module from solutions/ (grader runs only)."""

    @pytest.fixture
    def _reference(request: pytest.FixtureRequest) -> Any:
        return _backend(request.config).reference(name)

    return _reference


# -- checks ---------------------------------------------------------------------------------------


def fmt_shape(shape: tuple) -> str:
    return "(" + ", ".join(str(n) for n in shape) + ("," if len(shape) == 1 else "") + ")"


def excerpt(a: np.ndarray, limit: int = 6) -> str:
    flat = np.asarray(a).ravel()
    text = np.array2string(flat[:limit], precision=5, separator=", ", suppress_small=False)
    return text[:-1] + ", ...]" if flat.size > limit else text


def fmt_pair(got: float, expected: float) -> tuple[str, str]:
    """``got`` and ``expected`` printed with just enough digits to tell them apart (6 at least,
    17 at most): never "got -4, expected -4" for two different numbers."""
    got, expected = float(got), float(expected)
    for digits in range(6, 18):
        a, b = f"{got:.{digits}g}", f"{expected:.{digits}g}"
        if a != b or got == expected or got != got or expected != expected:
            return a, b
    return repr(got), repr(expected)


def fmt_values(got: float, expected: float) -> str:
    """"got A, expected B (off by D)": the two values told apart, and their difference."""
    a, b = fmt_pair(got, expected)
    off = abs(float(got) - float(expected))
    return f"got {a}, expected {b}" + (f" (off by {off:.3g})" if off == off and off != float("inf") else "")


def expect_array(value: Any, name: str, shape: tuple | None = None, kind: str = "f", finite: bool = True) -> np.ndarray:
    """Check ``value`` is exactly a numpy array of the right dtype kind, shape and finiteness.

    kind: "f" float, "i" integer (signed or unsigned), "b" bool. Returns the array.
    """
    if type(value) is not np.ndarray:
        got = getattr(value, "type_name", None) or type(value).__name__
        raise AssertionError(f"{name}: expected a numpy.ndarray, got {got}")
    kinds = {"f": ("f", "floating-point"), "i": ("iu", "integer"), "b": ("b", "bool")}[kind]
    if value.dtype.kind not in kinds[0]:
        raise AssertionError(f"{name}: expected a {kinds[1]} array, got dtype {value.dtype}")
    if shape is not None and tuple(value.shape) != tuple(shape):
        raise AssertionError(f"{name}: wrong shape: got {fmt_shape(value.shape)}, expected {fmt_shape(tuple(shape))}")
    if finite and kind == "f" and not np.all(np.isfinite(value)):
        bad = np.argwhere(~np.isfinite(value))[0]
        raise AssertionError(
            f"{name}: contains {value[tuple(bad)]} at index {tuple(int(i) for i in bad)} (overflow? log of 0?)"
        )
    return value


def expect_float(value: Any, name: str, finite: bool = True) -> float:
    """Check ``value`` is a real number (Python or numpy scalar, or a 0-d array)."""
    if type(value) is np.ndarray and value.shape == ():
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        got = getattr(value, "type_name", None) or type(value).__name__
        raise AssertionError(f"{name}: expected a number, got {got}")
    if finite and not np.isfinite(value):
        raise AssertionError(f"{name}: expected a finite number, got {value}")
    return float(value)


def assert_close(got: Any, expected: Any, name: str, rtol: float = 1e-7, atol: float = 1e-9) -> None:
    """Values agree within ``atol + rtol * |expected|``; the message shows where they differ most."""
    expected_arr = np.asarray(expected, dtype=np.float64)
    if expected_arr.shape == () and not isinstance(got, np.ndarray):
        value = expect_float(got, name)
        if not abs(value - float(expected_arr)) <= atol + rtol * abs(float(expected_arr)):
            raise AssertionError(f"{name}: wrong value: {fmt_values(value, float(expected_arr))}")
        return
    got_arr = expect_array(got, name, shape=expected_arr.shape, finite=False)
    error = np.abs(got_arr - expected_arr)
    allowed = atol + rtol * np.abs(expected_arr)
    bad = ~(error <= allowed)
    if bad.any():
        score = np.where(np.isnan(error), np.inf, error)
        index = np.unravel_index(int(np.argmax(score)), score.shape) if score.ndim else ()
        where = tuple(int(i) for i in index)
        raise AssertionError(
            f"{name}: wrong values in {int(bad.sum())} of {bad.size} entries; largest error "
            f"{float(score[index]):.3g} at index {where}: {fmt_values(got_arr[index], expected_arr[index])}"
            f"\n  got      {excerpt(got_arr)}\n"
            f"  expected {excerpt(expected_arr)}"
        )


def _a(name: str) -> str:
    return ("an " if name[:1].lower() in "aeiou" else "a ") + name


_SHAPE = re.compile(r"^\(\d+(?:, \d+)*,?\)$")


def _mentions(message: str, wanted: str) -> bool:
    """Does ``message`` mention ``wanted``? A shape such as "(2, 3)" may be written any common way:
    "(2, 3)", "(2,3)", "[2, 3]", "2x3", "2 x 3" (the sizes in order, nothing else between them)."""
    if wanted in message:
        return True
    if not _SHAPE.match(wanted):
        return False
    sizes = re.findall(r"\d+", wanted)
    pattern = r"(?<![\d.])" + r"\s*[,x×]\s*".join(sizes) + (r"\s*,?" if len(sizes) == 1 else "") + r"(?![\d.])"
    return re.search(pattern, message) is not None


def assert_raises(exc_type: type[BaseException], call: Callable[[], Any], name: str, mentions: tuple[str, ...] = (),
                  named: str | None = None) -> BaseException:
    """``call()`` must raise ``exc_type`` whose message contains every string in ``mentions``.

    ``named``: the exception's class name as the spec gives it (``"TrainingDiverged"``, a class of
    the learner's module, subclass of ``exc_type``): messages name it, and another subclass fails.
    """
    wanted = named or exc_type.__name__
    try:
        result = call()
    except exc_type as exc:
        got = getattr(exc, "remote_type", type(exc).__name__)
        if named is not None and got != named:
            raise AssertionError(f"{name}: expected {_a(named)}, got {got}: {exc}") from None
        message = str(exc)
        missing = [m for m in mentions if not _mentions(message, m)]
        if missing:
            raise AssertionError(
                f"{name}: the {wanted} should mention {', '.join(missing)}; its message was: {message!r}"
            ) from None
        return exc
    except NotImplementedError:
        raise
    except Exception as exc:
        got = getattr(exc, "remote_type", type(exc).__name__)
        raise AssertionError(f"{name}: expected {_a(wanted)}, got {got}: {exc}") from None
    shown = getattr(result, "shape", result)
    raise AssertionError(f"{name}: expected {_a(wanted)}, but it returned {shown!r}")


def assert_unchanged(before: np.ndarray, after: np.ndarray, name: str) -> None:
    """An input array must not be modified by the function under test."""
    if not np.array_equal(before, after):
        raise AssertionError(f"{name}: modified its input array; work on a copy (x = x.copy() or x - m)")


def float_dtypes(tree: Any) -> list[str]:
    """The dtype names of the float arrays in a tree of dicts, lists and tuples, sorted, without repeats
    (``["float32"]``: nothing was silently turned into float64)."""
    if isinstance(tree, dict):
        return sorted({name for v in tree.values() for name in float_dtypes(v)})
    if isinstance(tree, (list, tuple)):
        return sorted({name for v in tree for name in float_dtypes(v)})
    return [str(tree.dtype)] if isinstance(tree, np.ndarray) and tree.dtype.kind == "f" else []
