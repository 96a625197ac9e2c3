"""Hidden tests: linear_regression.py (predict, loss, gradients, a step, fit, standardise)."""

import numpy as np
import pytest

from grader.engine.testing import assert_close, assert_raises, expect_array, module_fixture, reference_fixture

lr = module_fixture("phase0_math.linear_regression")
ref = reference_fixture("phase0_math.linear_regression")

pytestmark = pytest.mark.exercise("linear_regression")

X = np.array([0.0, 1.0, 2.0, 3.0])
Y = np.array([1.0, 3.0, 5.0, 7.0])  # exactly y = 2x + 1


def test_predict_is_w_x_plus_b_over_the_whole_data_set(lr):
    assert_close(lr.predict(X, 2.0, 1.0), Y, "predict(x, w=2, b=1)")


def test_squared_loss_is_a_mean_over_points(lr):
    assert_close(lr.squared_loss(X, Y, 0.0, 0.0), np.mean(Y**2), "squared_loss(w=0, b=0)")
    assert_close(lr.squared_loss(X, Y, 2.0, 1.0), 0.0, "squared_loss at the true line", atol=1e-12)


def test_gradients_on_a_hand_computed_case(lr):
    # e = 0*x + 0 - y = -y; dw = 2 mean(-y x), db = 2 mean(-y)
    dw, db = lr.gradients(X, Y, 0.0, 0.0)
    assert_close(dw, 2 * np.mean(-Y * X), "dL/dw at w=0, b=0")
    assert_close(db, 2 * np.mean(-Y), "dL/db at w=0, b=0")


def test_one_step_on_one_point_lands_on_the_target_at_half_the_critical_rate(lr):
    # the article's experiment: with lr = 1 / (2 (x^2 + 1)) a single step fits one point exactly
    x, y = np.array([3.0]), np.array([5.0])
    w, b = lr.gd_step(x, y, 0.0, 0.0, 1.0 / (2 * (9.0 + 1.0)))
    assert_close(w * 3.0 + b, 5.0, "prediction after one step", rtol=1e-12)


def test_fit_recovers_the_line_and_keeps_a_falling_history(lr):
    w, b, history = lr.fit(X, Y, lr=0.05, steps=2000)
    history = expect_array(history, "history", shape=(2001,))
    assert_close(w, 2.0, "fitted w", rtol=1e-6)
    assert_close(b, 1.0, "fitted b", rtol=1e-6)
    if not np.all(np.diff(history) <= 1e-12):
        raise AssertionError("history: with a small learning rate the loss must never rise")


def test_fit_history_starts_with_the_initial_loss(lr):
    _, _, history = lr.fit(X, Y, lr=0.01, steps=3, w=1.0, b=-1.0)
    assert_close(history[0], np.mean((X - 1 - Y) ** 2), "history[0], the loss before any step")


def test_fit_stops_on_divergence_and_names_the_learning_rate(lr):
    x = np.array([10.0, 20.0, 30.0])
    lr.fit(x, 2 * x, lr=1e-4, steps=5)
    exc = assert_raises(ArithmeticError, lambda: lr.fit(x, 2 * x, lr=0.25, steps=5000), "fit with lr=0.25 on x ~ 20",
                        mentions=("0.25",))
    if getattr(exc, "remote_type", type(exc).__name__) != "TrainingDiverged":
        raise AssertionError(f"fit: expected TrainingDiverged, got {type(exc).__name__}")


def test_standardize_gives_mean_zero_and_population_std_one(lr):
    x = np.array([2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0])
    z, mean, std = lr.standardize(x)
    assert_close(mean, 5.0, "mean")
    assert_close(std, 2.0, "std (population, divide by N)")
    assert_close(z, (x - 5.0) / 2.0, "standardised x")


def test_standardize_refuses_constant_input(lr):
    lr.standardize(np.array([1.0, 2.0]))
    assert_raises(ValueError, lambda: lr.standardize(np.full(4, 3.0)), "standardize of a constant")


def test_standardizing_makes_a_diverging_learning_rate_converge(lr):
    x = np.linspace(50.0, 150.0, 20)
    y = 0.5 * x + 3.0
    assert_raises(ArithmeticError, lambda: lr.fit(x, y, lr=0.1, steps=2000), "fit on raw x in [50, 150] with lr=0.1")
    z, _, _ = lr.standardize(x)
    w, b, history = lr.fit(z, y, lr=0.1, steps=500)
    if not history[-1] < 1e-10:
        raise AssertionError(f"fit on standardised x: final loss {history[-1]:.3g}, expected < 1e-10")


def test_critical_learning_rate_on_one_point_is_one_over_x_squared_plus_one(lr):
    assert_close(lr.critical_learning_rate(np.array([3.0])), 1.0 / 10.0, "critical_learning_rate([3])")


def test_critical_learning_rate_on_a_data_set_matches_the_reference(lr, ref, rng):
    x = rng.normal(2.0, 3.0, size=12)
    assert_close(lr.critical_learning_rate(x), ref.critical_learning_rate(x), "critical_learning_rate(x)")
