"""Hidden tests: softmax with a temperature, and a teacher's soft targets."""

import numpy as np
import pytest

from grader.engine.testing import assert_close, assert_raises, expect_array, module_fixture, reference_fixture

tp = module_fixture("distillation.temperature")
ref = reference_fixture("distillation.temperature")
ref_tr = reference_fixture("phase1_backprop.train")

pytestmark = pytest.mark.exercise("temperature")


def _softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def test_softmax_t_at_temperature_1_is_the_softmax(tp, rng):
    logits = rng.normal(size=(2, 5)) * 3
    got = expect_array(tp.softmax_t(logits, 1.0), "softmax_t(logits, 1)", shape=(2, 5))
    assert_close(got, _softmax(logits), "softmax_t(logits, T = 1)")


def test_softmax_t_divides_the_logits_by_the_temperature(tp):
    # logits (0, ln 4) at T = 2 are (0, ln 2): probabilities 1/3 and 2/3
    assert_close(tp.softmax_t(np.array([[0.0, np.log(4.0)]]), 2.0), np.array([[1 / 3, 2 / 3]]), "softmax_t at T = 2")


def test_a_higher_temperature_keeps_the_order_and_flattens_each_row(tp, rng):
    logits = rng.normal(size=(3, 4)) * 2
    entropies = []
    for temperature in (0.5, 1.0, 4.0, 20.0):
        p = np.asarray(tp.softmax_t(logits, temperature))
        if not np.array_equal(np.argsort(p, axis=1), np.argsort(logits, axis=1)):
            raise AssertionError(f"softmax_t at T = {temperature}: the order of the classes changed")
        entropies.append(-np.sum(p * np.log(p), axis=1))
    if not np.all(np.diff(np.array(entropies), axis=0) > 0):
        raise AssertionError("softmax_t: the entropy of each row must grow with the temperature (T = 0.5, 1, 4, 20)")


def test_extreme_temperatures_give_uniform_and_one_hot_rows(tp):
    logits = np.array([[1.0, 3.0, 2.0], [1000.0, 0.0, -1000.0]])
    assert_close(tp.softmax_t(logits, 1e8), np.full((2, 3), 1 / 3), "softmax_t at T = 1e8", rtol=1e-4)
    assert_close(tp.softmax_t(logits, 0.01), np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]]),
                 "softmax_t at T = 0.01 (logits / T up to 1e5: shift by the maximum)", atol=1e-12)


def test_log_softmax_t_survives_what_softmax_underflows(tp):
    got = expect_array(tp.log_softmax_t(np.array([[0.0, -1000.0]]), 0.5), "log_softmax_t", shape=(1, 2))
    assert_close(got, np.array([[0.0, -2000.0]]), "log_softmax_t([0, -1000], T = 0.5)", rtol=1e-12)


def test_log_softmax_t_is_the_log_of_softmax_t(tp, rng):
    logits = rng.normal(size=(4, 3))
    assert_close(tp.log_softmax_t(logits, 3.0), np.log(_softmax(logits / 3.0)), "log_softmax_t(logits, T = 3)")


def test_temperature_must_be_a_positive_number(tp):
    tp.softmax_t(np.zeros((1, 2)), 1.0)
    for bad in (0.0, -1.0, np.inf, np.nan):
        assert_raises(ValueError, lambda: tp.softmax_t(np.zeros((1, 2)), bad), f"softmax_t with temperature {bad}")


@pytest.mark.points(2)
def test_soft_targets_are_the_teachers_softmax_at_temperature(tp, ref, ref_tr, rng):
    teacher = ref_tr.init_params([2, 6, 3], int(rng.integers(1000)))
    x = rng.normal(size=(5, 2))
    for temperature in (1.0, 4.0):
        got = expect_array(tp.soft_targets(teacher, x, temperature), f"soft_targets(T = {temperature})", shape=(5, 3))
        assert_close(got, ref.soft_targets(teacher, x, temperature), f"soft_targets at T = {temperature}")


# -- the whole contract, against the reference ---------------------------------------------------
#
# Each case is built by numpy from one drawn seed; temperatures from 0.01 to 1e8.

from grader.engine import domains as dom  # noqa: E402
from grader.engine.differential import Contract, case, contract_tests  # noqa: E402

TEMPERATURES = (0.01, 0.1, 0.5, 1.0, 1.0, 2.0, 4.0, 20.0, 1e8)
BAD_TEMPERATURES = (0.0, -1.0, -1e-3, np.inf, -np.inf, np.nan)
SIDES = (1, 1, 2, 3, 4, 5)


from grader.engine.domains import pick as _pick  # noqa: E402


def _array(rng, shape, regimes=dom.FLOAT_REGIMES):
    regime = _pick(rng, regimes)
    value = dom.fill(rng, tuple(shape), regime)
    dom.remember(value, regime)  # named in a failure message
    return value


def _cases(build):
    return dom.seeds().map(lambda seed: build(np.random.default_rng(seed)))


def _temperature(rng):
    t = _pick(rng, TEMPERATURES)
    return int(t) if t == 2.0 and rng.random() < 0.5 else t  # an int temperature is a positive number too


def _softmax_t_case(rng):
    return case(_array(rng, (_pick(rng, SIDES), _pick(rng, SIDES))), _temperature(rng))


def _refusals(logits):
    return ([case(logits, bad, note=f"temperature {bad}") for bad in BAD_TEMPERATURES]
            + [case(np.zeros(3), 1.0, note="1-d logits"), case(np.zeros((2, 0)), 1.0, note="no classes"),
               case(np.zeros((1, 2, 3)), 1.0, note="3-d logits")])


def _soft_targets_case(rng):
    layers = _pick(rng, (1, 2, 2, 3))
    sizes = [_pick(rng, SIDES) for _ in range(layers)] + [_pick(rng, (1, 2, 3, 4))]
    params = {}
    for layer, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
        params[f"W{layer}"] = rng.normal(size=(fan_in, fan_out)) * _pick(rng, (0.5, 2.0, 20.0)) / np.sqrt(fan_in)
        params[f"b{layer}"] = rng.normal(size=fan_out)
    x = _array(rng, (_pick(rng, SIDES), sizes[0]), ("normal", "wide", "large", "ties"))
    activation = _pick(rng, ("relu", "sigmoid", "tanh"))
    if activation == "relu" and rng.random() < 0.3:
        return case(params, x, _temperature(rng), note="the default activation")
    return case(params, x, _temperature(rng), activation)


_TEACHER = {"W1": np.array([[1.0, -2.0, 0.5]]), "b1": np.array([0.0, 0.5, -0.5]),
            "W2": np.array([[1.0, 0.0], [0.0, 1.0], [2.0, -1.0]]), "b2": np.array([0.1, -0.1])}
_XT = np.array([[0.5], [-1.5], [3.0]])

CONTRACTS = [
    Contract("distillation.temperature", "softmax_t", _cases(_softmax_t_case), exercise="temperature", examples=12,
             fixed=[case(np.array([[1000.0, 0.0, -1000.0], [1.0, 3.0, 2.0]]), 0.01, note="logits / T up to 1e5"),
                    *_refusals(np.zeros((1, 2)))]),
    Contract("distillation.temperature", "log_softmax_t", _cases(_softmax_t_case), exercise="temperature",
             examples=12, fixed=[case(np.array([[0.0, -1000.0], [400.0, 0.0]]), 0.5, note="softmax underflows to 0"),
                                 *_refusals(np.zeros((1, 2)))]),
    Contract("distillation.temperature", "soft_targets", _cases(_soft_targets_case), exercise="temperature",
             examples=10, fixed=[case(_TEACHER, _XT, bad, "tanh", note=f"temperature {bad}") for bad in (0.0, -2.0)]
             + [case(_TEACHER, _XT, 2.0, "gelu", note="unknown activation"),
                case(_TEACHER, np.ones((3, 2)), 2.0, "relu", note="x does not fit the teacher")]),
]
globals().update(contract_tests(CONTRACTS))
