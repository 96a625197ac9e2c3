"""Hidden tests: gradcheck.py, the student's own gradient checks of attention and multi-head attention.

The checks run on the target's own forward and backward passes; here their reports are compared
with the reference's gradients: a check whose numerical side differentiates the wrong function
(a mask left out, one role of x forgotten) reports numbers that are not the true gradient.
"""

import numpy as np
import pytest

from grader.engine.testing import assert_close, expect_array, expect_float, module_fixture, reference_fixture

gc = module_fixture("phase2_attention.gradcheck", timeout=60)
ref_att = reference_fixture("phase2_attention.attention")
ref_mh = reference_fixture("phase2_attention.multi_head")

pytestmark = pytest.mark.exercise("gradcheck")

REPORT_KEYS = {"rel_error", "abs_error", "passed", "analytic", "numeric"}
NAMES = ("wq", "bq", "wk", "bk", "wv", "bv", "wo", "bo")
CHECK_NAMES = (
    "attention",
    "attention, causal mask",
    "cross-attention, padding mask",
    "multi-head attention",
    "multi-head attention, causal mask",
    "self-attention, causal mask",
)


def expect_reports(reports, keys, what):
    if not isinstance(reports, dict) or sorted(reports) != sorted(keys):
        got = sorted(reports) if isinstance(reports, dict) else type(reports).__name__
        raise AssertionError(f"{what}: expected a dict of reports with keys {sorted(keys)}, got {got}")
    for key in keys:
        report = reports[key]
        if not isinstance(report, dict) or not REPORT_KEYS <= set(report):
            raise AssertionError(f"{what}[{key!r}]: a report needs rel_error, abs_error, passed, analytic, numeric "
                                 "(use compare)")
        if report["passed"] is not True:
            raise AssertionError(f"{what}[{key!r}]: your check did not pass (rel_error {report['rel_error']!r}); "
                                 "fix the backward pass or the check")
        expect_float(report["rel_error"], f"{what}[{key!r}]['rel_error']")
    return reports


def same_as_truth(report, truth, what):
    """The report's numerical and analytic gradients must both be the true gradient."""
    numeric = expect_array(report["numeric"], f"{what}: numeric", shape=np.shape(truth))
    assert_close(numeric, truth, f"{what}: your numerical gradient against the true one", rtol=1e-5, atol=1e-6)
    assert_close(report["analytic"], truth, f"{what}: your analytic gradient against the true one")


def random_params(rng, d):
    return {n: rng.normal(0.0, 0.5, size=(d, d) if n[0] == "w" else (d,)) for n in NAMES}


def test_check_attention_reports_the_true_gradients_of_q_k_v(gc, ref_att, rng):
    q, k, v = rng.normal(size=(2, 3, 5)), rng.normal(size=(2, 4, 5)), rng.normal(size=(2, 4, 6))
    dout = rng.normal(size=(2, 3, 6))
    reports = expect_reports(gc.check_attention(q, k, v, None, dout), ("q", "k", "v"), "check_attention")
    truth = ref_att.attention_backward(dout, ref_att.attention(q, k, v)[1])
    for name, grad in zip("qkv", truth):
        same_as_truth(reports[name], grad, f"check_attention[{name!r}]")


def test_check_attention_differentiates_the_masked_attention(gc, ref_att, rng):
    q, k, v = rng.normal(size=(2, 4, 5)), rng.normal(size=(2, 4, 5)), rng.normal(size=(2, 4, 3))
    mask = np.tril(np.ones((4, 4), dtype=bool))
    dout = rng.normal(size=(2, 4, 3))
    reports = expect_reports(gc.check_attention(q, k, v, mask, dout), ("q", "k", "v"), "check_attention with a mask")
    truth = ref_att.attention_backward(dout, ref_att.attention(q, k, v, mask)[1])
    for name, grad in zip("qkv", truth):
        same_as_truth(reports[name], grad, f"check_attention(causal mask)[{name!r}]")


def test_check_multi_head_attention_reports_every_input_and_weight(gc, ref_mh, rng):
    x_q, x_kv, p = rng.normal(size=(2, 3, 6)), rng.normal(size=(2, 4, 6)), random_params(rng, 6)
    mask = np.array([[[True, True, True, False]], [[True, True, False, False]]])
    dout = rng.normal(size=(2, 3, 6))
    reports = expect_reports(gc.check_multi_head_attention(x_q, x_kv, p, 2, mask, dout), ("x_q", "x_kv") + NAMES,
                             "check_multi_head_attention")
    _, cache = ref_mh.multi_head_attention(x_q, x_kv, p, 2, mask)
    dx_q, dx_kv, grads = ref_mh.multi_head_attention_backward(dout, cache)
    same_as_truth(reports["x_q"], dx_q, "check_multi_head_attention['x_q']")
    same_as_truth(reports["x_kv"], dx_kv, "check_multi_head_attention['x_kv']")
    for name in NAMES:
        same_as_truth(reports[name], grads[name], f"check_multi_head_attention[{name!r}]")


def test_check_self_attention_nudges_x_in_both_roles(gc, ref_mh, rng):
    x, p = rng.normal(size=(2, 4, 6)), random_params(rng, 6)
    mask = np.tril(np.ones((4, 4), dtype=bool))
    dout = rng.normal(size=(2, 4, 6))
    reports = expect_reports(gc.check_self_attention(x, p, 3, mask, dout), ("x",), "check_self_attention")
    dx_q, dx_kv, _ = ref_mh.multi_head_attention_backward(dout, ref_mh.multi_head_attention(x, x, p, 3, mask)[1])
    same_as_truth(reports["x"], dx_q + dx_kv, "check_self_attention['x']")


def test_run_all_runs_every_named_check_and_all_pass(gc):
    results = gc.run_all(0)
    if not isinstance(results, dict) or list(results) != list(CHECK_NAMES):
        got = list(results) if isinstance(results, dict) else type(results).__name__
        raise AssertionError(f"run_all: expected the checks {list(CHECK_NAMES)} in this order, got {got}")
    attention_keys, mh_keys = ("q", "k", "v"), ("x_q", "x_kv") + NAMES
    expected = [attention_keys] * 3 + [mh_keys] * 2 + [("x",)]
    for name, keys in zip(CHECK_NAMES, expected):
        expect_reports(results[name], keys, f"run_all()[{name!r}]")
