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
tr = module_fixture("phase1_backprop.train")
ref_fw = reference_fixture("phase1_backprop.forward")
ref_tr = reference_fixture("phase1_backprop.train")
ref_gc = reference_fixture("phase1_backprop.gradcheck")
ref_gc0 = reference_fixture("phase0_math.gradcheck")

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


# -- the whole contract, against the reference ---------------------------------------------------
#
# The checkers at several eps and thresholds, on right gradients and (check_network_gradients) on
# wrong ones. A report is compared by its verdict, and by its rel_error only where that is not
# round-off (above 1e-4: the truncation error of a large eps, or a wrong gradient): round-off differs
# between two right implementations, so it never decides anything here. Where the worst entry is
# unique by construction (one entry shifted by far more than round-off), also by that entry and the
# two gradients there; elsewhere |analytic - numeric| may tie (the two entries of a 2-class db2 are
# +g and -g), and any of the tied entries is right.

from grader.engine import domains as dom  # noqa: E402
from grader.engine.differential import (Contract, case, contract_tests, describe_case, draw_cases, judge,  # noqa: E402
                                        learner_outcomes, reference_outcome)

ACTIVATIONS = ("relu", "sigmoid", "tanh")
EPS = (1e-6, 1e-5, 1e-3, 1e-1)
THRESHOLDS = (1e-6, 1e-4, 1e-2, 0.3)


from grader.engine.domains import pick as _pick  # noqa: E402


def _cases(build):
    return dom.seeds().map(lambda seed: build(np.random.default_rng(seed)))


def _verdict(report, where=False):
    if not isinstance(report, dict) or "passed" not in report or "rel_error" not in report:
        return report
    error = float(report["rel_error"])
    shown = {"passed": report["passed"], "rel_error": error if error > 1e-4 else None}
    if where:
        shown.update(worst_index=tuple(report.get("worst_index", ())), analytic=report.get("analytic"),
                     numeric=report.get("numeric"))
    return shown


def _verdicts(reports, where=()):
    if not isinstance(reports, dict):
        return reports
    return {key: _verdict(value, key in where) for key, value in reports.items()}


def _settings(rng):
    """eps and threshold as keywords: the defaults, or drawn."""
    how = _pick(rng, ("defaults", "eps", "threshold", "both", "both"))
    kwargs = {}
    if how in ("eps", "both"):
        kwargs["eps"] = _pick(rng, EPS)
    if how in ("threshold", "both"):
        kwargs["threshold"] = _pick(rng, THRESHOLDS)
    return kwargs


def _linear_check_case(rng):
    n, d_in, d_out = (_pick(rng, (1, 2, 3, 4)) for _ in range(3))
    x, w, b = rng.normal(size=(n, d_in)), rng.normal(size=(d_in, d_out)), rng.normal(size=d_out)
    return case(x, w, b, rng.normal(size=(n, d_out)), **_settings(rng))


def _activation_check_case(rng):
    shape = tuple(_pick(rng, (1, 2, 3)) for _ in range(int(rng.integers(1, 4))))
    x = rng.uniform(0.2, 2.0, size=shape) * rng.choice([-1.0, 1.0], size=shape) * _pick(rng, (1.0, 3.0))
    return case(_pick(rng, ACTIVATIONS), x, rng.normal(size=shape), **_settings(rng))


def _network_check_case(rng):
    """A network, data, and which gradients to hand in: the right ones or one of them made wrong.
    The gradients themselves are computed by the test, with the reference (see below)."""
    layers = _pick(rng, (1, 2, 2, 3))
    sizes = [_pick(rng, (1, 2, 3, 4)) for _ in range(layers)] + [_pick(rng, (2, 3))]
    params = {}
    for layer, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
        params[f"W{layer}"] = rng.normal(size=(fan_in, fan_out)) / np.sqrt(fan_in)
        params[f"b{layer}"] = rng.normal(size=fan_out) * 0.5
    n = _pick(rng, (1, 2, 3, 4))
    x, labels = rng.normal(size=(n, sizes[0])), rng.integers(0, sizes[-1], size=n)
    loss, activation = _pick(rng, ("cross_entropy", "mse")), _pick(rng, ACTIVATIONS)
    wrong = None
    if rng.random() < 0.7:
        key = _pick(rng, sorted(params))
        wrong = (key, _pick(rng, ("shifted", "shifted", "scaled", "signed")),
                 tuple(int(rng.integers(side)) for side in params[key].shape), _pick(rng, (0.5, -0.2, 0.05, 2.0)))
    return case(params, x, labels, loss, activation, wrong, **_settings(rng))


def _hand_in(ref_tr, c):
    """The case with its gradients (the reference's, one of them made wrong if the case says so), and
    the key whose worst entry is unique (one entry shifted), if any."""
    params, x, labels, loss, activation, wrong = c.args
    _, grads = ref_tr.loss_and_grads(params, x, labels, loss, activation)
    note, where = "right gradients", ()
    if wrong is not None:
        key, kind, index, amount = wrong
        value = grads[key].copy()
        if kind == "shifted":
            value[index] += amount
            where = (key,) if c.kwargs.get("eps", 1e-6) <= 1e-3 else ()  # a large eps's error could rival the shift
        else:
            value = value * amount if kind == "scaled" else -value
        grads, note = {**grads, key: value}, f"a wrong gradient for {key} ({kind})"
    return case(params, x, labels, loss, activation, grads, **c.kwargs, note=note), where


_NET = {"W1": np.array([[0.5, -1.0, 0.3], [1.2, 0.4, -0.7]]), "b1": np.array([0.1, -0.2, 0.3]),
        "W2": np.array([[0.4, -0.6], [1.0, 0.2], [-0.3, 0.8]]), "b2": np.array([0.05, -0.1])}
_XN, _YN = np.array([[0.5, -1.0], [2.0, 0.3], [-0.4, 0.9]]), np.array([0, 1, 1])

# check_linear_backward and check_activation_backward run the learner's own backward functions, so
# what a right checker reports depends on them. The expected report is the reference's check_gradient
# of the learner's own gradients (from their linear_forward's cache and backward) against the reference
# forward pass: a right checker scores here even when a backward function is wrong (that mistake costs
# points where it is made, not twice), and a checker that ignores its gradients or its eps and
# threshold does not.

def _own_gradients(fw, bw, forward, backward, cases, inputs, douts):
    """The learner's gradients for each case: their forward's cache handed to their backward."""
    forwards = learner_outcomes(fw, forward, [case(*args) for args in inputs])
    runs = [case(d, f["value"][1]) for d, f in zip(douts, forwards) if f["ok"]]
    backwards = iter(learner_outcomes(bw, backward, runs))
    own = [next(backwards) if f["ok"] else f for f in forwards]
    for outcome in own:
        if not outcome["ok"] and outcome["error"]["type"] == "NotImplementedError":
            raise NotImplementedError(f"{forward} and {backward} first: a check reports on them")
    return own


def _judge_all(contract, cases, got, expected, project):
    for i, (c, g, e) in enumerate(zip(cases, got, expected)):
        problem = judge(g, e, Contract("phase1_backprop.gradcheck", contract, rtol=1e-5, atol=1e-9, project=project))
        if problem:
            raise AssertionError(f"{problem}\n  (the expected report checks the gradients your own backward "
                                 f"function gives)\n  case {i + 1} of {len(cases)}: {describe_case(c)}")


def test_contract_check_linear_backward(gc, fw, bw, ref_fw, ref_gc0, rng):
    cases = draw_cases(_cases(_linear_check_case), 6, int(rng.integers(2**31)))
    fixed = np.random.default_rng(int(rng.integers(2**31)))
    x, w, b, dout = fixed.normal(size=(3, 2)), fixed.normal(size=(2, 4)), fixed.normal(size=4), fixed.normal(size=(3, 4))
    cases += [case(x, w, b, dout, threshold=1e-13, note="threshold 1e-13: round-off fails it"),
              case(x, w, b, dout, 1e-3, 1e-13, note="eps 1e-3 and threshold 1e-13 by position")]
    own = _own_gradients(fw, bw, "linear_forward", "linear_backward", cases,
                         [c.args[:3] for c in cases], [c.args[3] for c in cases])
    expected = []
    for c, grads in zip(cases, own):
        if not grads["ok"]:
            expected.append(grads)  # a right checker passes on its backward's refusal
            continue
        x, w, b, dout = c.args[:4]
        settings = {"eps": c.args[4] if len(c.args) > 4 else c.kwargs.get("eps", 1e-6),
                    "threshold": c.args[5] if len(c.args) > 5 else c.kwargs.get("threshold", 1e-6)}
        fs = {"x": (lambda x_: float(np.sum(ref_fw.linear_forward(x_, w, b)[0] * dout)), x),
              "w": (lambda w_: float(np.sum(ref_fw.linear_forward(x, w_, b)[0] * dout)), w),
              "b": (lambda b_: float(np.sum(ref_fw.linear_forward(x, w, b_)[0] * dout)), b)}
        expected.append({"ok": True, "value": {key: ref_gc0.check_gradient(f, value, np.asarray(g), **settings)
                                               for (key, (f, value)), g in zip(fs.items(), grads["value"])}})
    _judge_all("check_linear_backward", cases, learner_outcomes(gc, "check_linear_backward", cases), expected,
               _verdicts)


def test_contract_check_activation_backward(gc, fw, bw, ref_fw, ref_gc0, rng):
    cases = draw_cases(_cases(_activation_check_case), 8, int(rng.integers(2**31)))
    cases += [case("sigmoid", np.array([[0.5, -1.5]]), np.array([[1.0, -2.0]]), 1e-1, 1e-6,
                   note="eps 0.1 by position: truncation error fails the default threshold"),
              case("tanh", np.array([[0.5, -1.5]]), np.array([[1.0, -2.0]]), threshold=0.3, eps=1e-1,
                   note="eps 0.1 with threshold 0.3: passes")]
    expected = []
    for c in cases:
        name, x, dout = c.args[:3]
        own = _own_gradients(fw, bw, f"{name}_forward", f"{name}_backward", [c], [(x,)], [dout])[0]
        if not own["ok"]:
            expected.append(own)
            continue
        eps = c.args[3] if len(c.args) > 3 else c.kwargs.get("eps", 1e-6)
        threshold = c.args[4] if len(c.args) > 4 else c.kwargs.get("threshold", 1e-6)
        forward = getattr(ref_fw, f"{name}_forward")
        f = lambda x_, forward=forward, dout=dout: float(np.sum(forward(x_)[0] * dout))  # noqa: E731
        expected.append({"ok": True, "value": ref_gc0.check_gradient(f, x, np.asarray(own["value"]), eps, threshold)})
    _judge_all("check_activation_backward", cases, learner_outcomes(gc, "check_activation_backward", cases),
               expected, _verdict)




def test_contract_check_network_gradients(gc, ref_gc, ref_tr, rng):
    # right and wrong gradients, handed in, at several eps and thresholds, against the reference checker
    drawn = [_hand_in(ref_tr, c) for c in draw_cases(_cases(_network_check_case), 8, int(rng.integers(2**31)))]
    cases, wheres = [c for c, _ in drawn], [w for _, w in drawn]
    right_ce = ref_tr.loss_and_grads(_NET, _XN, _YN, "cross_entropy", "tanh")[1]
    wrong_ce = {**right_ce, "W2": right_ce["W2"] + np.array([[0.0, 0.0], [0.0, 0.3], [0.0, 0.0]])}
    right_mse = ref_tr.loss_and_grads(_NET, _XN, _YN, "mse", "sigmoid")[1]
    right_relu = ref_tr.loss_and_grads(_NET, _XN, _YN, "mse", "relu")[1]
    cases += [case(_NET, _XN, _YN, "cross_entropy", "tanh", wrong_ce, note="dW2 off by 0.3 at (1, 1), by position"),
              case(_NET, _XN, _YN, "mse", "sigmoid", right_mse, 1e-1, note="eps 0.1 by position"),
              case(_NET, _XN, _YN, "mse", "relu", right_relu, 1e-6, 1e-13,
                   note="threshold 1e-13 by position: round-off fails it")]
    wheres += [("W2",), (), ()]
    expected = [reference_outcome(ref_gc.check_network_gradients, c) for c in cases]
    got = learner_outcomes(gc, "check_network_gradients", cases)
    for i, (c, g, e, where) in enumerate(zip(cases, got, expected, wheres)):
        problem = judge(g, e, Contract("phase1_backprop.gradcheck", "check_network_gradients", rtol=1e-5, atol=1e-9,
                                       project=lambda reports, where=where: _verdicts(reports, where)))
        if problem:
            raise AssertionError(f"{problem}\n  case {i + 1} of {len(cases)}: {describe_case(c)}")


# grads=None checks loss_and_grads' own gradients: whatever they are, the reports must be those of the
# same gradients handed in (so a wrong backward pass costs points where it is made, not here too).


def test_check_network_gradients_by_default_checks_loss_and_grads(gc, tr, rng):
    loss, activation = "mse", "tanh"
    params = _params(rng, (2, 3, 3, 2))
    x, labels = rng.normal(size=(4, 2)), rng.integers(0, 2, size=4)
    got = gc.check_network_gradients(params, x, labels, loss, activation)
    _, own = tr.loss_and_grads(params, x, labels, loss, activation)
    handed = gc.check_network_gradients(params, x, labels, loss, activation, own)
    _expect_reports(got, params, "check_network_gradients without grads")
    for key in params:
        _expect_report(got[key], f"check_network_gradients without grads: {key}", handed[key]["passed"])
