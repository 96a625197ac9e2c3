"""Hidden tests: softmax.py (stable softmax over any axis, log-softmax, softmax backward)."""

import numpy as np
import pytest

from grader.engine.testing import assert_close, expect_array, module_fixture, reference_fixture

sm = module_fixture("phase0_math.softmax")
ref = reference_fixture("phase0_math.softmax")

pytestmark = pytest.mark.exercise("softmax")


def test_softmax_of_a_hand_computed_row(sm):
    e = np.exp([0.0, 1.0, 2.0])
    assert_close(sm.softmax(np.array([[0.0, 1.0, 2.0]])), (e / e.sum())[None, :], "softmax([[0, 1, 2]])")


def test_softmax_rows_sum_to_one_and_are_positive(sm, rng):
    p = expect_array(sm.softmax(rng.normal(size=(4, 5)) * 3), "softmax(x)", shape=(4, 5))
    assert_close(p.sum(axis=-1), np.ones(4), "row sums of softmax(x)")
    if not np.all(p > 0):
        raise AssertionError("softmax(x): every probability must be > 0 for finite logits")


def test_softmax_survives_logits_of_1000(sm):
    p = sm.softmax(np.array([[1000.0, 1000.0, 999.0], [-1000.0, 0.0, 1000.0]]))
    e = np.exp([0.0, 0.0, -1.0])
    assert_close(p, np.array([e / e.sum(), [0.0, 0.0, 1.0]]), "softmax of logits near 1000", atol=1e-12)


def test_softmax_is_unchanged_by_a_constant_shift(sm, rng):
    x = rng.normal(size=(3, 4))
    assert_close(sm.softmax(x + 50.0), sm.softmax(x), "softmax(x + 50) against softmax(x)", rtol=1e-10)


def test_softmax_over_axis_0_normalises_columns(sm, rng):
    x = rng.normal(size=(3, 5))
    p = sm.softmax(x, axis=0)
    e = np.exp(x - x.max(axis=0))
    assert_close(p, e / e.sum(axis=0), "softmax(x, axis=0)")


def test_softmax_over_the_middle_axis_of_a_3d_array(sm, ref, rng):
    x = rng.normal(size=(2, 3, 4))
    assert_close(sm.softmax(x, axis=1), ref.softmax(x, axis=1), "softmax(x, axis=1) of shape (2, 3, 4)")


def test_log_softmax_keeps_tiny_probabilities_finite(sm):
    got = sm.log_softmax(np.array([[0.0, -1000.0], [500.0, -500.0]]))
    assert_close(got, np.array([[0.0, -1000.0], [0.0, -1000.0]]), "log_softmax of [[0, -1000], [500, -500]]")


def test_log_softmax_matches_the_reference_on_random_logits(sm, ref, rng):
    x = rng.normal(size=(3, 6)) * 4
    assert_close(sm.log_softmax(x), ref.log_softmax(x), "log_softmax(x)")
    assert_close(sm.log_softmax(x, axis=0), ref.log_softmax(x, axis=0), "log_softmax(x, axis=0)")


def test_softmax_backward_is_the_jacobian_vector_product(sm, rng):
    x = rng.normal(size=(5,))
    dout = rng.normal(size=(5,))
    p = np.exp(x - x.max())
    p /= p.sum()
    jacobian = np.diag(p) - np.outer(p, p)
    assert_close(sm.softmax_backward(dout, p), jacobian.T @ dout, "softmax_backward on a vector")


def test_softmax_backward_follows_the_axis_argument(sm, ref, rng):
    x = rng.normal(size=(4, 3))
    p = ref.softmax(x, axis=0)
    dout = rng.normal(size=(4, 3))
    assert_close(sm.softmax_backward(dout, p, axis=0), ref.softmax_backward(dout, p, axis=0), "softmax_backward(axis=0)")
