"""Hidden tests: gradcheck.py, the student's own checks built on phase 0's check_gradient.

The grader does not trust these checks for grading (its own run in test_gradients.py); here it
tests that they work: they pass right gradients, and they catch a wrong one at the right entry.
"""

import numpy as np
import pytest

from grader.engine import numeric
from grader.engine.testing import assert_close, expect_float, module_fixture, reference_fixture

gc = module_fixture("phase1_backprop.gradcheck", timeout=30)
fw = module_fixture("phase1_backprop.forward")
bw = module_fixture("phase1_backprop.backward")
ref_fw = reference_fixture("phase1_backprop.forward")
ref_tr = reference_fixture("phase1_backprop.train")

pytestmark = pytest.mark.exercise("gradcheck")


def _params(rng, sizes):
    params = {}
    for layer, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
        params[f"W{layer}"] = rng.normal(size=(fan_in, fan_out)) / np.sqrt(fan_in)
        params[f"b{layer}"] = rng.normal(size=fan_out) * 0.5
    return params


def _expect_report(report, name, passed):
    if not isinstance(report, dict) or not {"rel_error", "worst_index", "analytic", "numeric", "passed"} <= set(report):
        shown = sorted(report) if isinstance(report, dict) else type(report).__name__
        raise AssertionError(f"{name}: expected a check_gradient report (rel_error, worst_index, analytic, numeric, "
                             f"passed), got {shown}")
    error = expect_float(report["rel_error"], f"{name}: rel_error")
    if report["passed"] is not passed:
        raise AssertionError(f"{name}: expected passed={passed}, got passed={report['passed']!r} "
                             f"(rel_error {error:.2e})")
    return error


def _expect_reports(reports, keys, name):
    if not isinstance(reports, dict) or set(reports) != set(keys):
        shown = sorted(reports) if isinstance(reports, dict) else type(reports).__name__
        raise AssertionError(f"{name}: expected one report for each of {sorted(keys)}, got {shown}")


def _truth(analytic, f, x, dout):
    """Does ``analytic`` pass the grader's own check against the reference forward pass?"""
    error = numeric.relative_error(analytic, numeric.numerical_vjp(f, x, dout))
    return error <= numeric.THRESHOLD


def _expect_verdict(report, name, analytic, passed):
    error = _expect_report(report, name, passed)
    if passed and not error < 1e-7:
        raise AssertionError(f"{name}: rel_error {error:.2e} for a right gradient (central differences in float64 "
                             "give < 1e-7)")
    if not passed:
        index = tuple(int(i) for i in report["worst_index"])
        assert_close(report["analytic"], np.asarray(analytic)[index], f"{name}: analytic at the worst index {index}")


# The student's checks run the student's backward functions. These tests hold each report against
# the truth about those functions (the grader's own check), so a right checker scores here even
# when a backward function is wrong: that mistake costs points where it is made, not twice.


def test_check_linear_backward_tells_the_truth_about_linear_backward(gc, fw, bw, ref_fw, rng):
    x, w, b, dout = rng.normal(size=(2, 3)), rng.normal(size=(3, 4)), rng.normal(size=4), rng.normal(size=(2, 4))
    reports = gc.check_linear_backward(x, w, b, dout)
    _expect_reports(reports, ("x", "w", "b"), "check_linear_backward")
    _, cache = fw.linear_forward(x, w, b)
    dx, dw, db = bw.linear_backward(dout, cache)
    cases = {"x": (dx, lambda x_: ref_fw.linear_forward(x_, w, b)[0], x),
             "w": (dw, lambda w_: ref_fw.linear_forward(x, w_, b)[0], w),
             "b": (db, lambda b_: ref_fw.linear_forward(x, w, b_)[0], b)}
    for key, (analytic, f, value) in cases.items():
        _expect_verdict(reports[key], f"check_linear_backward: {key}", analytic, _truth(analytic, f, value, dout))


@pytest.mark.parametrize("activation", ["relu", "sigmoid", "tanh"])
def test_check_activation_backward_tells_the_truth_about_each_activation(gc, fw, bw, ref_fw, rng, activation):
    x = rng.uniform(0.2, 2.0, size=(3, 2)) * rng.choice([-1.0, 1.0], size=(3, 2))
    dout = rng.normal(size=(3, 2))
    report = gc.check_activation_backward(activation, x, dout)
    _, cache = getattr(fw, f"{activation}_forward")(x)
    dx = getattr(bw, f"{activation}_backward")(dout, cache)
    f = getattr(ref_fw, f"{activation}_forward")
    _expect_verdict(report, f"check_activation_backward({activation!r})", dx, _truth(dx, lambda x_: f(x_)[0], x, dout))


@pytest.mark.parametrize("sizes, activation, loss", [((2, 4, 3), "tanh", "cross_entropy"),
                                                     ((3, 4, 3, 2), "sigmoid", "mse")], ids=["2-layer", "3-layer"])
def test_check_network_gradients_passes_every_right_parameter(gc, ref_tr, rng, sizes, activation, loss):
    params = _params(rng, sizes)
    x, labels = rng.normal(size=(5, sizes[0])), rng.integers(0, sizes[-1], size=5)
    _, grads = ref_tr.loss_and_grads(params, x, labels, loss, activation)  # right gradients, handed in
    reports = gc.check_network_gradients(params, x, labels, loss, activation, grads)
    _expect_reports(reports, params, "check_network_gradients")
    for key in params:
        _expect_verdict(reports[key], f"check_network_gradients: {key}", grads[key], True)


def test_check_network_gradients_catches_a_wrong_gradient_at_its_entry(gc, ref_tr, rng):
    params = _params(rng, (2, 4, 3))
    x, labels = rng.normal(size=(5, 2)), rng.integers(0, 3, size=5)
    _, grads = ref_tr.loss_and_grads(params, x, labels, "cross_entropy", "tanh")
    wrong = {key: value.copy() for key, value in grads.items()}
    wrong["W2"][3, 1] += 0.5
    reports = gc.check_network_gradients(params, x, labels, "cross_entropy", "tanh", wrong)
    _expect_reports(reports, params, "check_network_gradients with a wrong dW2")
    _expect_report(reports["W2"], "check_network_gradients: W2 off by 0.5 at (3, 1)", False)
    for key in ("W1", "b1", "b2"):
        _expect_report(reports[key], f"check_network_gradients: {key} (right)", True)
    if tuple(reports["W2"]["worst_index"]) != (3, 1):
        raise AssertionError(f"check_network_gradients: W2's worst_index should be (3, 1), "
                             f"got {reports['W2']['worst_index']!r}")
    assert_close(reports["W2"]["analytic"], wrong["W2"][3, 1], "check_network_gradients: W2 analytic at (3, 1)")
    assert_close(reports["W2"]["numeric"], grads["W2"][3, 1], "check_network_gradients: W2 numeric at (3, 1)",
                 rtol=1e-6, atol=1e-8)
