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
    assert_raises(ValueError, lambda: loss.mse(np.ones(3), np.ones((3, 1))), "mse of (3,) and (3, 1)")


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
    assert_raises(ValueError, lambda: loss.cross_entropy(logits, np.array([0, 3])), "labels [0, 3] with 3 classes")
    assert_raises(ValueError, lambda: loss.cross_entropy(logits, np.array([-1, 0])), "label -1")


def test_cross_entropy_refuses_float_labels_and_wrong_label_shape(loss):
    logits = np.zeros((2, 3))
    assert_close(loss.cross_entropy(logits, np.array([1, 1])), np.log(3), "cross_entropy with labels [1, 1]")
    assert_raises(ValueError, lambda: loss.cross_entropy(logits, np.array([0.0, 1.0])), "float labels")
    assert_raises(ValueError, lambda: loss.cross_entropy(logits, np.array([0, 1, 2])), "3 labels for 2 rows")


# -- the whole contract, against the reference ---------------------------------------------------
# Cases are built by numpy from one drawn seed each (cheap to draw); the regimes
# are those of grader.engine.domains: normal, rows of very different scale, |x| near 1000, 1e-8,
# small integers (ties), all zeros.

from hypothesis import strategies as st  # noqa: E402

from grader.engine.differential import Contract, case, contract_tests  # noqa: E402

REGIMES = ("normal", "wide", "large", "small", "ties", "zeros")


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


def _cases(build):
    """Cases built by ``build(rng)`` from one drawn seed (one hypothesis draw per case: cheap)."""
    return st.integers(0, 2**32 - 1).map(lambda seed: build(np.random.default_rng(seed)))


from grader.engine.domains import pick as _pick  # noqa: E402


def _pairs(rng):
    """pred and target of one shape (ranks 1 to 3), each in its own regime."""
    shape, rp, rt = tuple(rng.integers(1, 5, size=rng.integers(1, 4))), _pick(rng, REGIMES), _pick(rng, REGIMES)
    return case(_fill(rng, shape, rp), _fill(rng, shape, rt), note=f"pred {rp}, target {rt}")


def _logits_and_labels(rng):
    """(N, C) logits in any regime, labels (N,) of a signed or unsigned integer dtype; N = 1 and C = 1 too."""
    n, c, regime = int(rng.integers(1, 6)), int(rng.integers(1, 6)), _pick(rng, REGIMES)
    dtype = _pick(rng, [np.int64, np.int32, np.uint8])
    return case(_fill(rng, (n, c), regime), rng.integers(0, c, size=n).astype(dtype), note=f"logits {regime}")


_MSE_REFUSED = [
    case(np.ones(3), np.ones((3, 1)), note="refused: (3,) against (3, 1) would broadcast"),
    case(np.ones((1, 4)), np.ones(4), note="refused: (1, 4) against (4,)"),
    case(np.ones((2, 3)), np.ones((3, 2)), note="refused: same size, other shape"),
]
_Z = np.zeros((2, 3))
_CE_REFUSED = [
    case(_Z, np.array([0, 3]), note="refused: label 3 with 3 classes"),
    case(_Z, np.array([-1, 0]), note="refused: label -1"),
    case(_Z, np.array([0.0, 1.0]), note="refused: float labels, even whole ones"),
    case(_Z, np.array([0, 1, 2]), note="refused: 3 labels for 2 rows"),
    case(_Z, np.array([[0], [1]]), note="refused: labels of shape (2, 1)"),
    case(np.zeros(3), np.array([0]), note="refused: 1-d logits"),
    case(np.zeros((1, 2, 3)), np.array([0]), note="refused: 3-d logits"),
    case(np.zeros((2, 0)), np.array([0, 0]), note="refused: no classes"),
]
CONTRACTS = [
    Contract("phase0_math.loss", "mse", _cases(_pairs), exercise="loss", examples=8, fixed=_MSE_REFUSED),
    Contract("phase0_math.loss", "mse_backward", _cases(_pairs), exercise="loss", examples=8, fixed=_MSE_REFUSED),
    Contract("phase0_math.loss", "cross_entropy", _cases(_logits_and_labels), exercise="loss", examples=10,
             fixed=_CE_REFUSED),
    Contract("phase0_math.loss", "cross_entropy_backward", _cases(_logits_and_labels), exercise="loss", examples=10,
             fixed=_CE_REFUSED),
]
globals().update(contract_tests(CONTRACTS))
