"""Hidden tests: matmul.py (dot, matmul with loops, matmul_backward)."""

import numpy as np
import pytest

from grader.engine.testing import assert_close, assert_raises, expect_float, module_fixture, reference_fixture

mm = module_fixture("phase0_math.matmul")
ref = reference_fixture("phase0_math.matmul")

pytestmark = pytest.mark.exercise("matmul")


def test_dot_of_fixed_vectors_is_exact(mm):
    assert_close(expect_float(mm.dot(np.array([1.0, 2.0, 3.0]), np.array([4.0, -5.0, 6.0])), "dot"), 12.0, "dot")


def test_dot_refuses_vectors_of_different_length(mm):
    assert_close(mm.dot(np.ones(2), np.ones(2)), 2.0, "dot(ones(2), ones(2))")
    assert_raises(ValueError, lambda: mm.dot(np.ones(3), np.ones(4)), "dot of (3,) and (4,)", mentions=("(3,)", "(4,)"))


def test_matmul_of_non_square_matrices_matches_numpy(mm, rng):
    # distinct sizes (2, 3) @ (3, 4) so a swapped index cannot pass
    a, b = rng.normal(size=(2, 3)), rng.normal(size=(3, 4))
    assert_close(mm.matmul(a, b), a @ b, "matmul(a, b)", rtol=1e-12, atol=1e-12)


def test_matmul_of_a_column_by_a_row_is_an_outer_product(mm):
    a = np.arange(1.0, 4.0).reshape(3, 1)
    b = np.array([[2.0, -1.0, 0.5, 4.0]])
    assert_close(mm.matmul(a, b), np.outer(a.ravel(), b.ravel()), "matmul((3,1), (1,4))")


def test_matmul_converts_integer_input_without_truncating(mm):
    a = np.array([[1, 2], [3, 4]])
    b = np.array([[0.5, 0.0], [0.0, 0.25]])
    assert_close(mm.matmul(a, b), np.array([[0.5, 0.5], [1.5, 1.0]]), "matmul(int array, float array)")


def test_matmul_refuses_a_2x3_by_4x5_product_naming_both_shapes(mm):
    assert_close(mm.matmul(np.ones((2, 3)), np.ones((3, 5))), np.full((2, 5), 3.0), "matmul(ones(2,3), ones(3,5))")
    assert_raises(ValueError, lambda: mm.matmul(np.ones((2, 3)), np.ones((4, 5))), "matmul (2, 3) by (4, 5)",
                  mentions=("(2, 3)", "(4, 5)"))


def test_matmul_refuses_vectors(mm):
    assert_close(mm.matmul(np.ones((1, 3)), np.ones((3, 1))), np.array([[3.0]]), "matmul(ones(1,3), ones(3,1))")
    assert_raises(ValueError, lambda: mm.matmul(np.ones(3), np.ones((3, 2))), "matmul of a 1-d array", mentions=("(3,)",))


def test_matmul_backward_matches_the_reference(mm, ref, rng):
    a, b = rng.normal(size=(3, 2)), rng.normal(size=(2, 4))
    dout = rng.normal(size=(3, 4))
    da, db = mm.matmul_backward(dout, a, b)
    eda, edb = ref.matmul_backward(dout, a, b)
    assert_close(da, eda, "da")
    assert_close(db, edb, "db")


def test_matmul_backward_refuses_dout_of_the_wrong_shape(mm, rng):
    a, b = rng.normal(size=(3, 2)), rng.normal(size=(2, 4))
    mm.matmul_backward(np.ones((3, 4)), a, b)
    assert_raises(ValueError, lambda: mm.matmul_backward(np.ones((4, 3)), a, b), "matmul_backward with dout (4, 3)")


# -- the whole contract, against the reference ---------------------------------------------------
# Cases are built by numpy from one drawn seed each (cheap to draw); the regimes
# are those of grader.engine.domains: normal, rows of very different scale, |x| near 1000, 1e-8,
# small integers (ties, exact zeros), all zeros; integer operands too (as_float_array converts them).

from hypothesis import strategies as st  # noqa: E402

from grader.engine.differential import Contract, case, contract_tests  # noqa: E402

REGIMES = ("normal", "wide", "large", "small", "ties", "zeros", "integers")


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
    if regime == "integers":
        return rng.integers(0, 4, size=shape).astype(rng.choice([np.int64, np.uint8]))
    return np.zeros(shape)


def _cases(build):
    """Cases built by ``build(rng)`` from one drawn seed (one hypothesis draw per case: cheap)."""
    return st.integers(0, 2**32 - 1).map(lambda seed: build(np.random.default_rng(seed)))


from grader.engine.domains import pick as _pick  # noqa: E402


def _vectors(rng):
    n, ra, rb = int(rng.integers(1, 7)), _pick(rng, REGIMES), _pick(rng, REGIMES)
    return case(_fill(rng, (n,), ra), _fill(rng, (n,), rb), note=f"a {ra}, b {rb}")


def _matrices(rng):
    (n, k, m), ra, rb = rng.integers(1, 5, size=3), _pick(rng, REGIMES), _pick(rng, REGIMES)
    return case(_fill(rng, (n, k), ra), _fill(rng, (k, m), rb), note=f"a {ra}, b {rb}")


def _backward_cases(rng):
    (n, k, m), ra, rb = rng.integers(1, 5, size=3), _pick(rng, REGIMES), _pick(rng, REGIMES)
    return case(_fill(rng, (n, m), "normal"), _fill(rng, (n, k), ra), _fill(rng, (k, m), rb), note=f"a {ra}, b {rb}")


_ONES = np.ones
CONTRACTS = [
    Contract("phase0_math.matmul", "dot", _cases(_vectors), exercise="matmul", examples=8, fixed=[
        case(np.zeros(0), np.zeros(0), note="two empty vectors: the sum of nothing is 0"),
        case(_ONES(3), _ONES(4), note="refused: lengths differ"),
        case(_ONES((2, 2)), _ONES((2, 2)), note="refused: matrices"),
        case(_ONES(3), _ONES((3, 1)), note="refused: a column"),
        case(_ONES(4), _ONES(3), note="refused: a longer than b"),
    ]),
    Contract("phase0_math.matmul", "matmul", _cases(_matrices), exercise="matmul", examples=8, fixed=[
        case(np.zeros((2, 0)), np.zeros((0, 3)), note="inner size 0: a (2, 3) array of zeros"),
        case(np.zeros((0, 3)), _ONES((3, 2)), note="no rows"),
        case(_ONES((2, 3)), _ONES((4, 5)), note="refused: inner sizes differ"),
        case(_ONES((3, 2)), _ONES((3, 2)), note="refused: inner sizes differ (same shapes)"),
        case(_ONES(3), _ONES((3, 2)), note="refused: a is 1-d"),
        case(_ONES((2, 3)), _ONES(3), note="refused: b is 1-d"),
        case(_ONES((1, 2, 3)), _ONES((3, 2)), note="refused: a is 3-d"),
        case(_ONES((2, 4)), _ONES((3, 2)), note="refused: a's columns exceed b's rows"),
        case(_ONES((2, 3)), _ONES((1, 3, 2)), note="refused: b is 3-d"),
        case(_ONES((2, 3, 1)), _ONES((3, 2)), note="refused: a is 3-d, (2, 3, 1)"),
        case(_ONES((2, 3)), _ONES((3, 2, 1)), note="refused: b is 3-d, (3, 2, 1)"),
        case(np.linspace(-1, 1, 300).reshape(1, 300), _ONES((300, 2)), note="inner size 300"),
    ]),
    Contract("phase0_math.matmul", "matmul_backward", _cases(_backward_cases), exercise="matmul", examples=8, fixed=[
        case(_ONES((4, 3)), _ONES((3, 2)), _ONES((2, 4)), note="refused: dout transposed"),
        case(_ONES((3, 3)), _ONES((3, 2)), _ONES((2, 4)), note="refused: dout has the wrong columns"),
        case(_ONES((3, 4)), _ONES((3, 2)), _ONES((3, 4)), note="refused: inner sizes differ"),
        case(_ONES(4), _ONES((1, 2)), _ONES((2, 4)), note="refused: dout is 1-d"),
        case(_ONES((3, 4)), _ONES(3), _ONES((1, 4)), note="refused: a is 1-d"),
        case(_ONES((3, 4)), _ONES((3, 2)), _ONES(2), note="refused: b is 1-d"),
        case(_ONES((3, 4)), _ONES((1, 3, 2)), _ONES((2, 4)), note="refused: a is 3-d"),
        case(_ONES((3, 4)), _ONES((3, 2)), _ONES((1, 2, 4)), note="refused: b is 3-d"),
        case(_ONES((3, 4)), _ONES((3, 5)), _ONES((2, 4)), note="refused: a's columns exceed b's rows"),
        case(_ONES((1, 3, 4)), _ONES((3, 2)), _ONES((2, 4)), note="refused: dout has an extra axis"),
        case(_ONES((3, 4)), _ONES((3, 2, 5)), _ONES((2, 4)), note="refused: a is 3-d, (3, 2, 5)"),
        case(_ONES((3, 4)), _ONES((3, 2)), _ONES((2, 4, 1)), note="refused: b is 3-d, (2, 4, 1)"),
        case(_ONES((1, 2)), np.linspace(-1, 1, 300).reshape(1, 300), _ONES((300, 2)), note="inner size 300"),
        case(_ONES((1, 2)), _ONES((1, 300)), _ONES((299, 2)), note="refused: inner sizes 300 and 299"),
        case(_ONES((2, 1)), _ONES((1, 3)), _ONES((3, 2)), note="refused: dout (2, 1) for out (1, 2)"),
        case(_ONES((3, 3, 3)), _ONES((3, 3)), _ONES((3, 3)), note="refused: dout (n, n, n)"),
    ]),
]
globals().update(contract_tests(CONTRACTS))
