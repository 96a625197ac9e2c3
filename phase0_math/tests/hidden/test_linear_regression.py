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
    assert_raises(ArithmeticError, lambda: lr.fit(x, 2 * x, lr=0.25, steps=5000), "fit with lr=0.25 on x ~ 20",
                  mentions=("0.25",), named="TrainingDiverged")


def test_standardize_gives_mean_zero_and_population_std_one(lr):
    x = np.array([2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0])
    z, mean, std = lr.standardize(x)
    assert_close(mean, 5.0, "mean")
    assert_close(std, 2.0, "std (population, divide by N)")
    assert_close(z, (x - 5.0) / 2.0, "standardised x")


def test_standardize_refuses_constant_input(lr):
    lr.standardize(np.array([1.0, 2.0]))
    assert_raises(ValueError, lambda: lr.standardize(np.full(4, 3.0)), "standardize of a constant")


def test_standardize_refuses_equal_values_whose_std_is_round_off(lr):
    # np.full(3, 0.1).std() is 1.4e-17, not 0: compare the std with the data's scale
    lr.standardize(np.array([0.1, 0.2, 0.1]))
    assert_raises(ValueError, lambda: lr.standardize(np.full(3, 0.1)), "standardize(np.full(3, 0.1))")
    assert_raises(ValueError, lambda: lr.standardize(np.full(7, 1e6 * np.pi)), "standardize(np.full(7, 1e6 pi))")


def test_standardizing_makes_a_diverging_learning_rate_converge(lr):
    x = np.linspace(50.0, 150.0, 20)
    y = 0.5 * x + 3.0
    assert_raises(ArithmeticError, lambda: lr.fit(x, y, lr=0.1, steps=2000), "fit on raw x in [50, 150] with lr=0.1",
                  named="TrainingDiverged")
    z, _, _ = lr.standardize(x)
    w, b, history = lr.fit(z, y, lr=0.1, steps=500)
    if not history[-1] < 1e-10:
        raise AssertionError(f"fit on standardised x: final loss {history[-1]:.3g}, expected < 1e-10")


def test_critical_learning_rate_on_one_point_is_one_over_x_squared_plus_one(lr):
    assert_close(lr.critical_learning_rate(np.array([3.0])), 1.0 / 10.0, "critical_learning_rate([3])")


def test_critical_learning_rate_on_a_data_set_matches_the_reference(lr, ref, rng):
    x = rng.normal(2.0, 3.0, size=12)
    assert_close(lr.critical_learning_rate(x), ref.critical_learning_rate(x), "critical_learning_rate(x)")


# -- the whole contract, against the reference ---------------------------------------------------
# Cases are built by numpy from one drawn seed each (cheap to draw); the regimes
# are those of grader.engine.domains (normal, one scale from 1e-3 to 1e3, |x| near 1000, 1e-8, small
# integers, zeros), plus data far from 0 (1e6 + normal) and constant data.

from hypothesis import strategies as st  # noqa: E402

from grader.engine.differential import Contract, case, contract_tests  # noqa: E402

REGIMES = ("normal", "wide", "large", "small", "ties", "zeros", "offset")
CONSTANTS = (0.1, 1 / 3, -7.3, 1e6 * np.pi, 2.5e-300, 0.0)


def _fill(rng, n, regime):
    if regime == "normal":
        return rng.normal(size=n)
    if regime == "wide":
        return rng.normal(size=n) * 10.0 ** rng.uniform(-3, 3)
    if regime == "large":
        return rng.uniform(500.0, 1000.0, size=n) * rng.choice([-1.0, 1.0], size=n)
    if regime == "small":
        return rng.normal(size=n) * 1e-8
    if regime == "ties":
        return rng.integers(-2, 3, size=n).astype(np.float64)
    if regime == "offset":
        return 1e6 + rng.normal(size=n)
    if regime == "constant":
        return np.full(n, CONSTANTS[rng.integers(len(CONSTANTS))])
    return np.zeros(n)


def _cases(build, **kwargs):
    """Cases built by ``build(rng, **kwargs)`` from one drawn seed (one hypothesis draw per case: cheap)."""
    return st.integers(0, 2**32 - 1).map(lambda seed: build(np.random.default_rng(seed), **kwargs))


from grader.engine.domains import pick as _pick  # noqa: E402


def _line(rng):
    """w and b: continuous draws, sometimes 0."""
    return tuple(0.0 if rng.random() < 0.15 else float(rng.normal() * 2) for _ in range(2))


def _x_cases(rng, regimes=REGIMES):
    n, regime = int(rng.integers(1, 7)), _pick(rng, regimes)
    return case(_fill(rng, n, regime), note=f"x {regime}")


def _predict_cases(rng):
    n, regime = int(rng.integers(0, 7)), _pick(rng, REGIMES)
    return case(_fill(rng, n, regime), *_line(rng), note=f"x {regime}")


def _data_cases(rng, with_lr=False):
    n, rx, ry = int(rng.integers(1, 7)), _pick(rng, REGIMES), _pick(rng, REGIMES)
    x, y = _fill(rng, n, rx), _fill(rng, n, ry)
    extra = (_pick(rng, [0.0, 0.01, 0.1, 0.5, 2.0]),) if with_lr else ()
    return case(x, y, *_line(rng), *extra, note=f"x {rx}, y {ry}")


def _fit_cases(rng):
    """A few steps from a drawn start at a drawn learning rate; sometimes a run that must diverge."""
    n, rx = int(rng.integers(1, 6)), _pick(rng, ("normal", "ties", "small", "wide"))
    lr, steps, start = _pick(rng, [0.01, 0.1, 0.3, 1.0]), int(rng.integers(0, 7)), rng.random() < 0.5
    if rng.random() < 1 / 6:
        rx, lr, steps = "large", 0.5, 40  # the loss overflows after about 25 steps: TrainingDiverged
    x = _fill(rng, n, rx)
    y = 1.5 * x - 0.5 + rng.normal(size=n)
    kwargs = dict(zip(("w", "b"), _line(rng))) if start else {}
    return case(x, y, lr=lr, steps=steps, note=f"x {rx}", **kwargs)


_Z3 = np.zeros(3)
_DATA_REFUSED = [
    case(_Z3, np.zeros(4), 1.0, 0.0, note="refused: x and y of different lengths"),
    case(np.zeros((2, 2)), np.zeros((2, 2)), 1.0, 0.0, note="refused: 2-d data"),
    case(np.zeros(0), np.zeros(0), 1.0, 0.0, note="refused: no data points"),
]
CONTRACTS = [
    Contract("phase0_math.linear_regression", "predict", _cases(_predict_cases), exercise="linear_regression",
             examples=6, fixed=[case(np.zeros((2, 2)), 1.0, 0.0, note="refused: 2-d x")]),
    Contract("phase0_math.linear_regression", "squared_loss", _cases(_data_cases), exercise="linear_regression",
             examples=8, fixed=_DATA_REFUSED),
    Contract("phase0_math.linear_regression", "gradients", _cases(_data_cases), exercise="linear_regression",
             examples=8, fixed=_DATA_REFUSED),
    Contract("phase0_math.linear_regression", "gd_step", _cases(_data_cases, with_lr=True),
             exercise="linear_regression", examples=8, fixed=[case(*c.args, 0.1, note=c.note) for c in _DATA_REFUSED]),
    Contract("phase0_math.linear_regression", "fit", _cases(_fit_cases), exercise="linear_regression", examples=10,
             fixed=[
                 case(np.array([10.0, 20.0, 30.0]), np.array([20.0, 40.0, 60.0]), lr=0.25, steps=200,
                      note="diverges: TrainingDiverged"),
                 case(np.array([1.0, 2.0]), np.array([3.0, 5.0]), lr=0.1, steps=-1, note="refused: steps < 0"),
                 case(np.array([0.0, 0.5, 1.0]), np.array([1.0, 1.4, 2.1]), lr=0.05, steps=300,
                      note="300 steps: exactly 300 updates"),
                 case(np.zeros(0), np.zeros(0), lr=0.1, steps=3, note="refused: no data points"),
             ]),
    Contract("phase0_math.linear_regression", "standardize", _cases(_x_cases, regimes=REGIMES + ("constant",) * 2),
             exercise="linear_regression", examples=10, fixed=[
                 case(np.full(3, 0.1), note="refused: equal values, std 1.4e-17 by round-off"),
                 case(np.full(7, 1e6 * np.pi), note="refused: equal values far from 0"),
                 case(np.array([0.1, 0.2, 0.1]), note="not equal"),
                 case(np.array([5.0]), note="refused: one value"),
                 case(np.zeros(0), note="refused: no values"),
                 case(np.zeros((2, 2)), note="refused: 2-d"),
             ]),
    Contract("phase0_math.linear_regression", "critical_learning_rate", _cases(_x_cases), exercise="linear_regression",
             examples=8, fixed=[case(np.zeros(0), note="refused: no data points"),
                                case(np.ones((2, 2)), note="refused: 2-d")]),
]
globals().update(contract_tests(CONTRACTS))
