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
