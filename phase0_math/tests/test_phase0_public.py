"""Public tests of phase 0: run them with `make check PHASE=phase0_math`.

Each test names the exercise it belongs to; `make check PHASE=phase0_math -k softmax` runs one
exercise's tests. The grader runs more, hidden, tests and its own gradient checks.
"""

import numpy as np
import pytest

from grader.engine.testing import assert_close, assert_raises, expect_array, module_fixture

mm = module_fixture("phase0_math.matmul")
sm = module_fixture("phase0_math.softmax")
loss = module_fixture("phase0_math.loss")
gc = module_fixture("phase0_math.gradcheck")
lr = module_fixture("phase0_math.linear_regression")


# -- 0.1 matmul ----------------------------------------------------------------------------------

@pytest.mark.exercise("matmul")
def test_matmul_dot_of_two_vectors(mm):
    assert_close(mm.dot(np.array([1.0, 2.0]), np.array([3.0, 4.0])), 11.0, "dot([1, 2], [3, 4])")


@pytest.mark.exercise("matmul")
def test_matmul_2x3_by_3x2(mm):
    a = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    b = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    assert_close(mm.matmul(a, b), np.array([[4.0, 5.0], [10.0, 11.0]]), "matmul(a, b)")


@pytest.mark.exercise("matmul")
def test_matmul_refuses_mismatched_shapes(mm):
    mm.matmul(np.ones((2, 3)), np.ones((3, 1)))
    assert_raises(ValueError, lambda: mm.matmul(np.ones((2, 3)), np.ones((2, 3))), "matmul (2, 3) by (2, 3)",
                  mentions=("(2, 3)",))


@pytest.mark.exercise("matmul")
def test_matmul_backward_shapes(mm):
    da, db = mm.matmul_backward(np.ones((2, 4)), np.ones((2, 3)), np.ones((3, 4)))
    expect_array(da, "da", shape=(2, 3))
    expect_array(db, "db", shape=(3, 4))
    assert_close(da, np.full((2, 3), 4.0), "da = dout @ b.T")


# -- 0.2 softmax ---------------------------------------------------------------------------------

@pytest.mark.exercise("softmax")
def test_softmax_of_equal_logits_is_uniform(sm):
    assert_close(sm.softmax(np.zeros((2, 4))), np.full((2, 4), 0.25), "softmax(zeros)")


@pytest.mark.exercise("softmax")
def test_softmax_survives_logits_of_1000(sm):
    assert_close(sm.softmax(np.array([1000.0, 1000.0])), np.array([0.5, 0.5]), "softmax([1000, 1000])")


@pytest.mark.exercise("softmax")
def test_log_softmax_of_equal_logits(sm):
    assert_close(sm.log_softmax(np.zeros(3)), np.full(3, -np.log(3)), "log_softmax(zeros(3))")


@pytest.mark.exercise("softmax")
def test_softmax_backward_of_a_constant_upstream_gradient_is_zero(sm):
    # shifting every logit by the same amount leaves softmax unchanged, so dout = 1 gives dx = 0
    p = sm.softmax(np.array([0.1, 0.7, -0.3]))
    assert_close(sm.softmax_backward(np.ones(3), p), np.zeros(3), "softmax_backward(ones, p)", atol=1e-12)


@pytest.mark.exercise("softmax")
def test_softmax_shifts_each_row_by_its_own_maximum(sm):
    # rows 1000 apart: shifting by the array's maximum leaves exp(-1000) = 0 in the low row, then 0 / 0
    e = np.exp([0.0, 1.0, 2.0])
    assert_close(sm.softmax(np.array([[0.0, 1.0, 2.0], [1000.0, 1001.0, 1002.0]])), np.array([e / e.sum()] * 2),
                 "softmax of rows 1000 apart [[0, 1, 2], [1000, 1001, 1002]]", rtol=1e-12)


@pytest.mark.exercise("softmax")
def test_log_softmax_of_a_probability_that_underflows(sm):
    # softmax([0, -1000]) is [1, 0] in float64, and log(0) is -inf: log-softmax keeps -1000
    assert_close(sm.log_softmax(np.array([[0.0, -1000.0], [500.0, -500.0]])), np.array([[0.0, -1000.0], [0.0, -1000.0]]),
                 "log_softmax([[0, -1000], [500, -500]]) (not log(softmax(x)))", rtol=1e-12)


@pytest.mark.exercise("softmax")
def test_softmax_backward_sums_each_row_on_its_own(sm):
    # two rows: the row sum sum_j dout_j p_j belongs to its own row, not to the whole array
    p = np.array([[0.5, 0.5], [0.25, 0.75]])
    dout = np.array([[1.0, 0.0], [0.0, 0.0]])
    assert_close(sm.softmax_backward(dout, p), np.array([[0.25, -0.25], [0.0, 0.0]]),
                 "softmax_backward(dout=[[1, 0], [0, 0]], p=[[0.5, 0.5], [0.25, 0.75]])", atol=1e-15)


# -- 0.3 loss ------------------------------------------------------------------------------------

@pytest.mark.exercise("loss")
def test_loss_mse_and_its_gradient(loss):
    pred, target = np.array([1.0, 3.0]), np.array([0.0, 0.0])
    assert_close(loss.mse(pred, target), 5.0, "mse([1, 3], [0, 0])")
    assert_close(loss.mse_backward(pred, target), np.array([1.0, 3.0]), "mse_backward([1, 3], [0, 0])")


@pytest.mark.exercise("loss")
def test_loss_cross_entropy_of_uniform_logits_is_log_classes(loss):
    assert_close(loss.cross_entropy(np.zeros((2, 5)), np.array([0, 4])), np.log(5), "cross_entropy(zeros)")


@pytest.mark.exercise("loss")
def test_loss_cross_entropy_backward_rows_sum_to_zero(loss):
    g = loss.cross_entropy_backward(np.array([[2.0, 1.0, 0.0]]), np.array([0]))
    assert_close(g.sum(axis=1), np.zeros(1), "row sums of dlogits", atol=1e-12)


@pytest.mark.exercise("loss")
def test_loss_cross_entropy_backward_is_divided_by_the_batch_size(loss):
    # N = 4 equal rows: each row's gradient is (softmax - onehot) / 4, since the loss is a mean
    logits = np.zeros((4, 2))
    g = loss.cross_entropy_backward(logits, np.array([0, 0, 0, 0]))
    assert_close(g, np.tile([-0.125, 0.125], (4, 1)), "cross_entropy_backward(zeros((4, 2)), [0, 0, 0, 0])",
                 atol=1e-15)


# -- 0.4 gradcheck -------------------------------------------------------------------------------

@pytest.mark.exercise("gradcheck")
def test_gradcheck_numerical_gradient_of_a_quadratic(gc):
    x = np.array([1.0, -2.0, 0.5])
    got = gc.numerical_gradient(lambda v: float(np.sum(v**2)), x)
    assert_close(got, 2 * x, "numerical_gradient(sum(x**2))", rtol=1e-7)
    assert_close(x, np.array([1.0, -2.0, 0.5]), "x after numerical_gradient (must be unchanged)")


@pytest.mark.exercise("gradcheck")
def test_gradcheck_flags_a_wrong_gradient(gc):
    x = np.array([1.0, 2.0])
    report = gc.check_gradient(lambda v: float(np.sum(v**2)), x, np.array([2.0, 5.0]))
    if report["passed"] or tuple(report["worst_index"]) != (1,):
        raise AssertionError(f"check_gradient: a wrong entry at index 1 must fail there, got {report}")


@pytest.mark.exercise("gradcheck")
def test_gradcheck_relative_error_of_two_zero_gradients_is_zero(gc):
    # max |a - n| / max(1e-8, ...): the floor turns 0 / 0 into 0
    assert_close(gc.relative_error(np.zeros(3), np.zeros(3)), 0.0, "relative_error(zeros(3), zeros(3))")
    assert_close(gc.relative_error(np.array([1e-12]), np.array([0.0])), 1e-4,
                 "relative_error([1e-12], [0]) (below the floor 1e-8: divided by 1e-8)", rtol=1e-9)


# -- 0.5 linear regression -----------------------------------------------------------------------

@pytest.mark.exercise("linear_regression")
def test_linear_regression_one_point_by_hand(lr):
    # x = 2, y = 5, start at w = b = 0: e = -5, dL/dw = 2 e x = -20, dL/db = 2 e = -10
    dw, db = lr.gradients(np.array([2.0]), np.array([5.0]), 0.0, 0.0)
    assert_close(dw, -20.0, "dL/dw")
    assert_close(db, -10.0, "dL/db")


@pytest.mark.exercise("linear_regression")
def test_linear_regression_fit_a_line(lr):
    x = np.linspace(-1, 1, 9)
    w, b, history = lr.fit(x, 3 * x - 2, lr=0.1, steps=500)
    expect_array(history, "history", shape=(501,))
    assert_close(w, 3.0, "w", rtol=1e-6)
    assert_close(b, -2.0, "b", rtol=1e-6)


@pytest.mark.exercise("linear_regression")
def test_linear_regression_standardize(lr):
    z, mean, std = lr.standardize(np.array([1.0, 3.0]))
    assert_close(z, np.array([-1.0, 1.0]), "z")
    assert_close(mean, 2.0, "mean")
    assert_close(std, 1.0, "std")


@pytest.mark.exercise("linear_regression")
def test_linear_regression_fit_stops_when_the_loss_diverges(lr):
    x = np.linspace(-3, 3, 7)
    assert_raises(lr.TrainingDiverged, lambda: lr.fit(x, 2 * x, lr=2.5, steps=2000),
                  "fit(x in [-3, 3], lr=2.5, steps=2000): the loss grows to inf", mentions=("2.5",))


@pytest.mark.exercise("linear_regression")
def test_linear_regression_standardize_refuses_a_constant(lr):
    # np.full(3, 0.1).std() is 1.4e-17, not 0: compare the std with the data's scale
    for x in (np.full(3, 2.0), np.full(3, 0.1)):
        assert_raises(ValueError, lambda: lr.standardize(x), f"standardize(np.full(3, {x[0]}))")


# -- golden cases: inputs and outputs of the reference over many shapes and value regimes ----------
# (tests/_snapshots/*.npz, written by the course authors with python -m grader.authoring.snapshots)

from grader.authoring.snapshots import snapshot_tests  # noqa: E402

globals().update(snapshot_tests(__file__))
