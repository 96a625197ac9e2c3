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
    assert_raises(ValueError, lambda: mm.matmul_backward(np.ones((4, 3)), a, b), "matmul_backward with dout (4, 3)",
                  mentions=("(4, 3)",))
