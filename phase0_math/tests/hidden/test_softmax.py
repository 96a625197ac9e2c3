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


# -- the whole contract, against the reference ---------------------------------------------------

from hypothesis import strategies as st  # noqa: E402

from grader.engine import domains as dom  # noqa: E402
from grader.engine.differential import Contract, case, contract_tests  # noqa: E402


@st.composite
def _logits_and_axis(draw):
    # rows far apart ("wide", "large") drawn more often: a shift by the array's maximum fails there
    x = draw(dom.arrays(ranks=(1, 2, 3), regimes=dom.FLOAT_REGIMES + ("wide", "large")))
    axis = draw(st.one_of(st.none(), dom.axes(x.ndim)))  # None: the default axis, -1
    return case(x) if axis is None else case(x, axis=axis)


@st.composite
def _backward_cases(draw):
    shape = draw(dom.shapes((1, 2, 3)))
    axis = draw(dom.axes(len(shape)))
    # "large" logits give probabilities of exactly 0 and 1
    logits = draw(dom.arrays(shape, regimes=("normal", "wide", "ties", "large")))
    e = np.exp(logits - logits.max(axis=axis, keepdims=True))
    return case(draw(dom.arrays(shape, regimes=("normal", "wide", "small"))), e / e.sum(axis=axis, keepdims=True),
                axis=axis)


# rows 1000 apart: each row needs its own shift (the array's maximum leaves 0 / 0 in the low row)
_FAR_APART = [case(np.array([[0.0, 1.0, 2.0], [1000.0, 1001.0, 999.0]]), note="rows 1000 apart"),
              case(np.array([[[0.0, -1.0], [-1200.0, -1201.0]], [[3.0, 2.0], [5.0, 4.0]]]), axis=2,
                   note="rows 1200 apart, axis 2"),
              case(np.array([[-900.0, 800.0], [-901.0, 801.0]]), axis=0, note="columns 1700 apart, axis 0")]
CONTRACTS = [
    Contract("phase0_math.softmax", "softmax", _logits_and_axis(), exercise="softmax", examples=14,
             fixed=[*_FAR_APART, case(np.ones((2, 3)), axis=2)]),
    Contract("phase0_math.softmax", "log_softmax", _logits_and_axis(), exercise="softmax", examples=14,
             fixed=[*_FAR_APART, case(np.ones((2, 3)), axis=2), case(np.ones((2, 3)), axis=-3)]),
    Contract("phase0_math.softmax", "softmax_backward", _backward_cases(), exercise="softmax", examples=14,
             fixed=[case(np.ones((2, 3)), np.full((3, 2), 0.5)), case(np.ones(4), np.full((1, 4), 0.25)),
                    case(np.ones((2, 3)), np.full((2, 3), 1 / 3), axis=2)]),
]
globals().update(contract_tests(CONTRACTS))
