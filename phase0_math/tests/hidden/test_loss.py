"""Hidden tests: loss.py (mean squared error, cross-entropy from logits, their gradients)."""

import numpy as np
import pytest

from grader.engine.testing import assert_close, assert_raises, module_fixture, reference_fixture

loss = module_fixture("phase0_math.loss")
ref = reference_fixture("phase0_math.loss")

pytestmark = pytest.mark.exercise("loss")


def test_mse_is_the_mean_over_every_entry(loss):
    pred = np.array([[1.0, 2.0], [3.0, 4.0]])
    target = np.array([[1.0, 0.0], [0.0, 4.0]])
    assert_close(loss.mse(pred, target), (0 + 4 + 9 + 0) / 4, "mse on a hand-computed case")


def test_mse_refuses_shapes_that_would_broadcast(loss):
    assert_close(loss.mse(np.ones(3), np.zeros(3)), 1.0, "mse(ones(3), zeros(3))")
    assert_raises(ValueError, lambda: loss.mse(np.ones(3), np.ones((3, 1))), "mse of (3,) and (3, 1)",
                  mentions=("(3,)", "(3, 1)"))


def test_mse_backward_has_the_factor_two_over_size(loss):
    pred = np.array([1.0, 2.0, 4.0, -1.0])
    target = np.array([0.0, 2.0, 1.0, 1.0])
    assert_close(loss.mse_backward(pred, target), 2 * (pred - target) / 4, "mse_backward on a hand-computed case")


def test_cross_entropy_equals_minus_log_p_on_a_hand_computed_case(loss):
    logits = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]])
    labels = np.array([2, 0])
    p0 = np.exp(3.0) / np.exp([1.0, 2.0, 3.0]).sum()
    expected = (-np.log(p0) - np.log(1 / 3)) / 2
    assert_close(loss.cross_entropy(logits, labels), expected, "cross_entropy on [[1, 2, 3], [0, 0, 0]]")


def test_cross_entropy_stays_finite_for_logits_of_1000(loss):
    logits = np.array([[1000.0, 0.0], [0.0, 1000.0]])
    assert_close(loss.cross_entropy(logits, np.array([1, 0])), 1000.0, "cross_entropy with a confident wrong answer")


def test_cross_entropy_of_uniform_logits_is_log_of_classes(loss):
    assert_close(loss.cross_entropy(np.zeros((4, 7)), np.array([0, 3, 6, 2])), np.log(7), "cross_entropy of zeros")


def test_cross_entropy_backward_is_softmax_minus_onehot_over_n(loss, ref, rng):
    logits = rng.normal(size=(4, 3))
    labels = np.array([2, 0, 1, 2])
    assert_close(loss.cross_entropy_backward(logits, labels), ref.cross_entropy_backward(logits, labels),
                 "cross_entropy_backward")


def test_cross_entropy_refuses_labels_out_of_range(loss):
    logits = np.zeros((2, 3))
    assert_close(loss.cross_entropy(logits, np.array([0, 2])), np.log(3), "cross_entropy with labels [0, 2]")
    assert_raises(ValueError, lambda: loss.cross_entropy(logits, np.array([0, 3])), "labels [0, 3] with 3 classes",
                  mentions=("3",))
    assert_raises(ValueError, lambda: loss.cross_entropy(logits, np.array([-1, 0])), "label -1")


def test_cross_entropy_refuses_float_labels_and_wrong_label_shape(loss):
    logits = np.zeros((2, 3))
    assert_close(loss.cross_entropy(logits, np.array([1, 1])), np.log(3), "cross_entropy with labels [1, 1]")
    assert_raises(ValueError, lambda: loss.cross_entropy(logits, np.array([0.0, 1.0])), "float labels")
    assert_raises(ValueError, lambda: loss.cross_entropy(logits, np.array([0, 1, 2])), "3 labels for 2 rows")
