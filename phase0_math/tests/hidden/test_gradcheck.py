"""Hidden tests: gradcheck.py, the student's own finite-difference checker.

The functions it differentiates are named callbacks from grader/engine/callbacks.py: in the grader they
run inside the sandbox, and nothing is pickled.
"""

import numpy as np
import pytest

from grader.engine.protocol import Callback
from grader.engine.testing import assert_close, expect_array, expect_float, module_fixture

gc = module_fixture("phase0_math.gradcheck")

pytestmark = pytest.mark.exercise("gradcheck")


def test_numerical_gradient_of_cube_sum_is_three_x_squared(gc, rng):
    x = rng.uniform(0.5, 1.5, size=(2, 3))
    got = expect_array(gc.numerical_gradient(Callback("cube_sum"), x), "numerical_gradient(sum(x**3), x)", shape=(2, 3))
    # central differences are accurate to ~eps^2; a one-sided difference is off by ~3 x eps
    assert_close(got, 3 * x**2, "numerical_gradient(sum(x**3), x)", rtol=1e-8, atol=1e-9)


def test_numerical_gradient_puts_each_entry_at_its_own_index(gc, rng):
    x = rng.normal(size=(3, 2))
    w = np.arange(1, 7, dtype=np.float64).reshape(3, 2)
    got = gc.numerical_gradient(Callback("sin_weighted"), x)
    assert_close(got, np.cos(x) * w, "numerical_gradient(sum(sin(x) * w), x)", rtol=1e-7, atol=1e-8)


def test_numerical_gradient_does_not_depend_on_f_modifying_its_argument(gc, rng):
    x = rng.normal(size=(4,))
    got = gc.numerical_gradient(Callback("mutating_sum_squares"), x)
    assert_close(got, 2 * x, "numerical_gradient(sum(x**2), x)", rtol=1e-7, atol=1e-8)


def test_relative_error_of_equal_gradients_is_zero_even_when_both_are_zero(gc):
    assert_close(gc.relative_error(np.zeros(3), np.zeros(3)), 0.0, "relative_error(0, 0)", atol=0.0)
    assert_close(gc.relative_error(np.array([1.0, -2.0]), np.array([1.0, -2.0])), 0.0, "relative_error(a, a)", atol=0.0)


def test_relative_error_is_normalised_by_the_largest_entry(gc):
    got = gc.relative_error(np.array([1.0, 2.0, 0.0]), np.array([1.0, 2.0, 1e-3]))
    assert_close(got, 1e-3 / 4.0, "relative_error([1, 2, 0], [1, 2, 0.001])", rtol=1e-9)


def test_check_gradient_passes_a_right_gradient(gc, rng):
    x = rng.uniform(0.5, 1.5, size=(3,))
    report = gc.check_gradient(Callback("cube_sum"), x, 3 * x**2)
    if not isinstance(report, dict) or report.get("passed") is not True:
        raise AssertionError(f"check_gradient with the right gradient: expected passed=True, got {report!r}")
    if not expect_float(report.get("rel_error"), "rel_error") < 1e-7:
        raise AssertionError(f"check_gradient: rel_error {report['rel_error']:.2e} for a right gradient (expected < 1e-7)")


def test_check_gradient_passes_at_a_threshold_equal_to_the_error(gc):
    # passed is rel_error <= threshold: a gradient whose error is exactly the threshold passes. For
    # 3 sum(x) at dyadic x with eps = 2**-10 every step of the central differences is exact, so the
    # error is exactly 0 however the checker is written.
    x = np.array([0.5, 1.25, -0.75])
    report = gc.check_gradient(Callback("triple_sum"), x, np.full(3, 3.0), eps=2.0**-10, threshold=0.0)
    if not isinstance(report, dict) or report.get("passed") is not True:
        raise AssertionError("check_gradient(3 sum(x), exact gradient, eps=2**-10, threshold=0.0): the error is "
                             f"exactly 0 and passed means rel_error <= threshold, so expected passed=True, got {report!r}")


def test_the_gradient_checker_flags_a_wrong_gradient_and_its_worst_index(gc, rng):
    x = rng.uniform(0.5, 1.5, size=(2, 3))
    wrong = 3 * x**2
    wrong[1, 2] += 0.5
    report = gc.check_gradient(Callback("cube_sum"), x, wrong)
    if not isinstance(report, dict):
        raise AssertionError(f"check_gradient: expected a dict, got {type(report).__name__}")
    if report.get("passed") is not False:
        raise AssertionError(f"check_gradient: a gradient off by 0.5 at (1, 2) must fail, got passed={report.get('passed')!r}")
    if tuple(report.get("worst_index", ())) != (1, 2):
        raise AssertionError(f"check_gradient: worst_index should be (1, 2), got {report.get('worst_index')!r}")
    assert_close(report.get("analytic"), wrong[1, 2], "check_gradient: analytic at the worst index")
    assert_close(report.get("numeric"), 3 * x[1, 2] ** 2, "check_gradient: numeric at the worst index", rtol=1e-7)


# -- the whole contract, against the reference ---------------------------------------------------
# The checker is graded on right AND wrong gradients, at every documented eps and threshold: each
# case hands it one of the trusted functions of grader/engine/callbacks.py, a point x and an
# analytic gradient that is right, off by a little or a lot at one entry, scaled, of the wrong
# sign or zero. Cases are built by numpy from one drawn seed each.

from hypothesis import strategies as st  # noqa: E402

from grader.engine.differential import Contract, case, contract_tests  # noqa: E402


def _fill(rng, shape, regime):
    if regime == "normal":
        return rng.normal(size=shape)
    if regime == "wide":  # each row (last axis) on its own scale, 1e-3 to 1e3
        return rng.normal(size=shape) * 10.0 ** rng.uniform(-3, 3, size=shape[:-1] + (1,))
    if regime == "large":
        return rng.uniform(500.0, 1000.0, size=shape) * rng.choice([-1.0, 1.0], size=shape)
    if regime == "small":
        return rng.normal(size=shape) * 1e-8
    if regime == "ties":
        return rng.integers(-2, 3, size=shape).astype(np.float64)
    return np.zeros(shape)


def _sin_weights(x):
    return np.arange(1, x.size + 1, dtype=np.float64).reshape(x.shape)


# callback -> (regimes of x where it is finite, its exact gradient)
_FUNCTIONS = {
    "cube_sum": (("normal", "wide", "small", "ties", "zeros"), lambda x: 3 * x**2),
    "sin_weighted": (("normal", "wide", "large", "ties"), lambda x: np.cos(x) * _sin_weights(x)),
    "exp_sum": (("normal", "small", "ties", "zeros"), np.exp),
    "mutating_sum_squares": (("normal", "wide", "large", "small", "ties"), lambda x: 2 * x),
}
_NAMES = sorted(_FUNCTIONS)
_EPS = [None, 1e-6, 1e-4, 1e-3, 1e-2, 0.1]  # None: the default


def _cases(build):
    """Cases built by ``build(rng)`` from one drawn seed (one hypothesis draw per case: cheap)."""
    return st.integers(0, 2**32 - 1).map(lambda seed: build(np.random.default_rng(seed)))


from grader.engine.domains import pick as _pick  # noqa: E402


def _shape(rng, min_size=1):
    """Ranks 1 to 3, sides 1 to 3, at least ``min_size`` entries."""
    while True:
        shape = tuple(int(n) for n in rng.integers(1, 4, size=rng.integers(1, 4)))
        if np.prod(shape) >= min_size:
            return shape


def _gradient_cases(rng):
    name, shape, eps = _pick(rng, _NAMES), _shape(rng), _pick(rng, _EPS)
    regime = _pick(rng, _FUNCTIONS[name][0])
    x = _fill(rng, shape, regime)
    kwargs = {} if eps is None else {"eps": eps}
    return case(Callback(name), x, note=f"x {regime}", **kwargs)


def _error_cases(rng):
    shape, regime = _shape(rng), _pick(rng, ("normal", "wide", "large", "small", "ties", "zeros"))
    kind = _pick(rng, ("equal", "close", "off", "off", "unrelated", "unrelated", "zeros", "swapped zeros"))
    analytic = _fill(rng, shape, regime)
    numeric = {
        "equal": analytic.copy(),
        "close": analytic * (1 + 1e-7 * rng.normal(size=shape)),
        "off": analytic + rng.normal(size=shape) * 10.0 ** rng.uniform(-9, 1),
        "unrelated": _fill(rng, shape, regime),
        "zeros": np.zeros(shape),
        "swapped zeros": analytic,
    }[kind]
    if kind == "swapped zeros":
        analytic = np.zeros(shape)
    return case(analytic, numeric, note=f"analytic {regime}, numeric {kind}")


def _check_cases(rng):
    name, shape = _pick(rng, _NAMES), _shape(rng, min_size=2)  # two entries at least: a worst index to find
    # a large eps makes the truncation error of cube_sum the same at every entry (eps^2): keep it small there
    eps = _pick(rng, [None, 1e-6, 1e-4] if name == "cube_sum" else [None, 1e-6, 1e-4, 1e-2, 0.1])
    threshold = _pick(rng, [None, 1e-6, 1e-4, 1e-2, 0.5])
    kind = _pick(rng, ("right", "right", "one entry", "scaled", "sign", "zeros"))
    delta = _pick(rng, [1e-7, 1e-4, 1e-2, 1.0])
    x = _fill(rng, shape, "wide" if name != "exp_sum" and rng.random() < 0.3 else "normal")
    analytic = _FUNCTIONS[name][1](x)
    if kind == "one entry":
        analytic.flat[rng.integers(analytic.size)] += delta * rng.choice([-1.0, 1.0]) * (np.max(np.abs(analytic)) + 1.0)
    elif kind == "scaled":
        analytic = analytic * (1.0 + delta)
    elif kind == "sign":
        analytic = -analytic
    elif kind == "zeros":
        analytic = np.zeros(shape)
    kwargs = {k: v for k, v in (("eps", eps), ("threshold", threshold)) if v is not None}
    note = f"analytic {kind}" + (f" (delta {delta})" if kind in ("one entry", "scaled") else "")
    return case(Callback(name), x, analytic, note=note, **kwargs)


def _report(report):
    """What a report must agree on: passed and rel_error (below 1e-6 all is round-off); where the
    error is large, also the worst index and the two gradients there."""
    rel = float(report["rel_error"])
    shown = {"passed": report["passed"], "rel_error": max(rel, 1e-6)}
    if rel > 1e-3:
        shown.update(worst_index=[int(i) for i in report["worst_index"]], analytic=report["analytic"],
                     numeric=report["numeric"])
    return shown


CONTRACTS = [
    Contract("phase0_math.gradcheck", "numerical_gradient", _cases(_gradient_cases), exercise="gradcheck", examples=10,
             rtol=1e-6, atol=1e-8, fixed=[
                 case(Callback("coupled_sin"), np.array([[0.1, -0.2, 0.05], [0.3, 0.0, -0.1]]), eps=1e-2,
                      note="a non-separable f: each entry must be put back before the next"),
                 case(Callback("coupled_sin"), np.array([0.2, -0.1, 0.05, 0.1]),
                      note="a non-separable f, default eps"),
             ]),
    Contract("phase0_math.gradcheck", "relative_error", _cases(_error_cases), exercise="gradcheck", examples=10, fixed=[
        case(np.zeros(0), np.zeros(0), note="two empty arrays give 0"),
        case(np.array([1e-9, 0.0]), np.array([0.0, 0.0]), note="the 1e-8 floor"),
        case(np.array([2.0, 0.0]), np.array([0.0, 1.0]), note="max(|a| + |n|) is 2, not max|a| + max|n| = 3"),
        case(np.ones(3), np.ones((3, 1)), note="refused: shapes differ"),
        case(np.ones((2, 3)), np.ones((3, 2)), note="refused: shapes differ"),
    ]),
    Contract("phase0_math.gradcheck", "check_gradient", _cases(_check_cases), exercise="gradcheck", examples=14,
             project=_report, rtol=1e-5, fixed=[
                 case(Callback("cube_sum"), np.ones(3), np.ones((3, 1)), note="refused: analytic (3, 1) for x (3,)"),
                 case(Callback("cube_sum"), np.ones((2, 3)), np.ones((3, 2)), note="refused: analytic transposed"),
                 case(Callback("exp_sum"), np.zeros(3), np.ones(3), eps=1e-3, threshold=1e-12,
                      note="a right gradient, a threshold below its truncation error"),
                 case(Callback("mutating_sum_squares"), np.array([0.5, -2.0, 1.0]), np.array([-1.0, 4.0, -2.0]),
                      note="the sign is wrong: worst where |gradient| is largest, index (1,)"),
                 case(Callback("cube_sum"), np.array([[1.0, 0.2], [-0.5, 2.0]]),
                      1.5 * 3 * np.array([[1.0, 0.2], [-0.5, 2.0]]) ** 2, threshold=0.1,
                      note="1.5 times too large: worst at index (1, 1)"),
                 case(Callback("sin_weighted"), np.array([[0.3, -1.2], [2.0, 0.7]]),
                      np.cos([[0.3, -1.2], [2.0, 0.7]]) * np.array([[1.0, 2.0], [3.0, 4.0]]) + np.array(
                          [[0.0, 0.0], [0.0, 2e-3]]), eps=1e-6, threshold=1e-2,
                      note="a gradient off by 2e-3 at (1, 1) passes a threshold of 1e-2"),
             ]),
]
globals().update(contract_tests(CONTRACTS))
