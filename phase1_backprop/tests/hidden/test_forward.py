"""Hidden tests: forward.py (the linear layer, sigmoid, ReLU, tanh, the whole network's forward pass)."""

import numpy as np
import pytest

from grader.engine.testing import assert_close, assert_raises, expect_array, module_fixture, reference_fixture

fw = module_fixture("phase1_backprop.forward")
ref = reference_fixture("phase1_backprop.forward")

pytestmark = pytest.mark.exercise("forward")


def _params(rng, sizes):
    """Random weights and non-zero biases, so a forgotten bias shows."""
    params = {}
    for layer, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
        params[f"W{layer}"] = rng.normal(size=(fan_in, fan_out)) / np.sqrt(fan_in)
        params[f"b{layer}"] = rng.normal(size=fan_out) * 0.5
    return params


def test_linear_forward_on_a_hand_computed_case(fw):
    x = np.array([[1.0, 2.0], [0.0, -1.0], [3.0, 0.5]])
    w = np.array([[1.0, 0.0, -1.0, 2.0], [0.5, 1.0, 0.0, -1.0]])
    b = np.array([0.1, 0.2, 0.3, 0.4])
    out, _ = fw.linear_forward(x, w, b)
    expected = np.array([[2.1, 2.2, -0.7, 0.4], [-0.4, -0.8, 0.3, 1.4], [3.35, 0.7, -2.7, 5.9]])
    assert_close(expect_array(out, "linear_forward(x, w, b)", shape=(3, 4)), expected, "linear_forward(x, w, b)")


def test_linear_forward_refuses_inner_sizes_that_differ(fw, rng):
    fw.linear_forward(np.ones((2, 3)), np.ones((3, 4)), np.zeros(4))
    assert_raises(ValueError, lambda: fw.linear_forward(np.ones((2, 3)), np.ones((4, 5)), np.zeros(5)),
                  "linear_forward with x (2, 3) and w (4, 5)", mentions=("(2, 3)", "(4, 5)"))


def test_linear_forward_refuses_a_bias_of_the_wrong_length(fw):
    fw.linear_forward(np.ones((2, 3)), np.ones((3, 4)), np.zeros(4))
    assert_raises(ValueError, lambda: fw.linear_forward(np.ones((2, 3)), np.ones((3, 4)), np.zeros(3)),
                  "linear_forward with b (3,) for w (3, 4)", mentions=("(3,)",))


def test_mlp_forward_refuses_layers_that_do_not_chain_and_names_the_layer(fw, rng):
    params = _params(rng, (2, 4, 3))
    x = rng.normal(size=(3, 2))
    fw.mlp_forward(x, params, "relu")
    params["W2"] = rng.normal(size=(5, 3))
    assert_raises(ValueError, lambda: fw.mlp_forward(x, params, "relu"), "mlp_forward with W1 (2, 4), W2 (5, 3)",
                  mentions=("layer 2",))


def test_mlp_forward_refuses_x_with_the_wrong_number_of_features(fw, rng):
    params = _params(rng, (2, 4, 3))
    fw.mlp_forward(rng.normal(size=(3, 2)), params, "tanh")
    assert_raises(ValueError, lambda: fw.mlp_forward(rng.normal(size=(3, 5)), params, "tanh"),
                  "mlp_forward with x (3, 5) and W1 (2, 4)", mentions=("layer 1",))


# -- the whole contract, against the reference ---------------------------------------------------
#
# Each case is built by numpy from one drawn seed (cheap to draw, the same for the same grade seed);
# sizes favour 1 and coinciding values, every value regime of grader.engine.domains is used.

from grader.engine import domains as dom  # noqa: E402
from grader.engine.differential import Contract, case, contract_tests  # noqa: E402

ACTIVATIONS = ("relu", "sigmoid", "tanh")
SIDES = (1, 1, 2, 3, 4, 5)


from grader.engine.domains import pick as _pick  # noqa: E402


def _array(rng, shape, regimes=dom.FLOAT_REGIMES):
    regime = _pick(rng, regimes)
    value = dom.fill(rng, tuple(shape), regime)
    dom.remember(value, regime)  # named in a failure message
    return value


def _cases(build):
    return dom.seeds().map(lambda seed: build(np.random.default_rng(seed)))


ROUND_OFF = 1e-12


def _no_round_off(value):
    """Entries below 1e-12 in magnitude read as 0 (in both outputs): where a function saturates (a sigmoid
    near 0 or 1, tanh near +-1, a softmax near certainty) a whole array can be that small, and there two
    right formulas differ by their round-off (the docstring's 0.5 (1 + tanh(x / 2)) gives 0 where
    exp(x) / (1 + exp(x)) gives 4e-18). Values that size are not graded; everything larger is."""
    if isinstance(value, np.ndarray) and value.dtype.kind == "f":
        return np.where(np.abs(value) < ROUND_OFF, 0.0, value).astype(value.dtype)
    if isinstance(value, float):
        return 0.0 if abs(value) < ROUND_OFF else value
    if isinstance(value, dict):
        return {key: _no_round_off(item) for key, item in value.items()}
    if isinstance(value, (tuple, list)):
        return type(value)(_no_round_off(item) for item in value)
    return value


def _out(result):
    """The output of an (out, cache) pair."""
    return result[0]


def _saturating_out(result):
    return _no_round_off(result[0])


def _scores_and_names(result):
    """mlp_forward: the scores, and each layer's activation name as its cache records it."""
    scores, caches = result
    return scores, [c[1] for c in caches]


def _random_params(rng, sizes):
    params = {}
    for layer, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
        params[f"W{layer}"] = rng.normal(size=(fan_in, fan_out)) * _pick(rng, (0.3, 1.0, 3.0)) / np.sqrt(fan_in)
        params[f"b{layer}"] = rng.normal(size=fan_out) * 0.5
    return params


def _linear_case(rng):
    n, d_in, d_out = (_pick(rng, SIDES) for _ in range(3))
    return case(_array(rng, (n, d_in)), _array(rng, (d_in, d_out), ("normal", "wide", "ties")),
                _array(rng, (d_out,), ("normal", "ties", "zeros")))


def _activation_case(rng):
    rank = int(rng.integers(1, 4))  # any shape: ranks 1 to 3, empty sides too
    return case(_array(rng, tuple(int(rng.integers(0, 6)) if rng.random() < 0.1 else _pick(rng, SIDES)
                                  for _ in range(rank))))


def _mlp_case(rng):
    layers = _pick(rng, (1, 2, 2, 3, 3))  # one layer never runs the activation: most cases have more
    sizes = [_pick(rng, SIDES) for _ in range(layers)] + [_pick(rng, (1, 2, 3, 4))]
    if layers > 1:
        sizes[1] = max(sizes[1], 2)
    x = _array(rng, (_pick(rng, SIDES), sizes[0]))
    params, activation = _random_params(rng, sizes), _pick(rng, ACTIVATIONS)
    if activation == "relu" and rng.random() < 0.3:
        return case(x, params, note="the default activation")
    return case(x, params, activation)


def _net(*sizes):
    return _random_params(np.random.default_rng(sum(sizes)), sizes)


def _without(params, key):
    return {k: v for k, v in params.items() if k != key}


_NET = _net(2, 4, 3)
_X = np.linspace(-1.0, 1.0, 6).reshape(3, 2)

MLP_FIXED = [
    case(np.array([[1000.0, -1000.0], [-800.0, 700.0]]), _NET, "sigmoid", note="saturated sigmoid"),
    case(np.array([[1000.0, -1000.0], [-800.0, 700.0]]), _net(2, 3, 3, 2), "tanh", note="saturated tanh"),
    case(_X, _NET, "softplus", note="unknown activation"),
    case(_X, _NET, "ReLU", note="unknown activation (names are lower case)"),
    case(_X, {**_NET, "W2": np.ones((5, 3))}, "relu", note="layer 2 does not chain"),
    case(_X, {**_net(2, 4, 3, 2), "W3": np.ones((4, 2))}, "tanh", note="layer 3 does not chain"),
    case(np.ones((3, 5)), _NET, "tanh", note="x does not fit W1"),
    case(np.ones(2), _NET, "relu", note="x is 1-d"),
    case(np.ones((1, 3, 2)), _NET, "relu", note="x is 3-d"),
    case(_X, _without(_NET, "b2"), "relu", note="b2 missing"),
    case(_X, {**_NET, "W3": np.ones((3, 2))}, "relu", note="W3 without b3"),
    case(_X, {**_NET, "b1": np.zeros(3)}, "sigmoid", note="b1 of the wrong length"),
    case(_X, {**_NET, "b2": np.zeros((1, 3))}, "sigmoid", note="b2 is 2-d"),
]

CONTRACTS = [
    Contract("phase1_backprop.forward", "linear_forward", _cases(_linear_case), project=_out, exercise="forward",
             examples=8, fixed=[
                 case(np.ones((2, 3)), np.ones((4, 5)), np.zeros(5), note="x's columns differ from w's rows"),
                 case(np.ones((2, 3)), np.ones((3, 4)), np.zeros(3), note="b of the wrong length"),
                 case(np.ones((2, 3)), np.ones((3, 4)), np.zeros((1, 4)), note="b is 2-d"),
                 case(np.ones(3), np.ones((3, 4)), np.zeros(4), note="x is 1-d"),
                 case(np.ones((2, 3)), np.ones(3), np.zeros(1), note="w is 1-d"),
                 case(np.ones((1, 3)), np.ones((3, 4)), np.zeros((4, 1)), note="b is (4, 1): it would broadcast"),
                 case(np.ones((2, 3)), np.ones((3, 3, 3)), np.zeros(3), note="w is 3-d (3, 3, 3)"),
             ]),
    Contract("phase1_backprop.forward", "sigmoid_forward", _cases(_activation_case), project=_saturating_out, exercise="forward",
             examples=10, fixed=[case(np.array([-1000.0, -745.0, -40.0, -1e-9, 0.0, 1e-9, 40.0, 745.0, 1000.0]),
                                      note="very large |x|")]),
    Contract("phase1_backprop.forward", "relu_forward", _cases(_activation_case), project=_out, exercise="forward",
             examples=8, rtol=0.0, atol=0.0),
    Contract("phase1_backprop.forward", "tanh_forward", _cases(_activation_case), project=_saturating_out, exercise="forward",
             examples=10, fixed=[case(np.array([-1000.0, -400.0, -20.0, -1e-9, 0.0, 1e-9, 20.0, 400.0, 1000.0]),
                                      note="very large |x|")]),
    Contract("phase1_backprop.forward", "mlp_forward", _cases(_mlp_case), project=_scores_and_names,
             exercise="forward", examples=12, fixed=MLP_FIXED),
]
globals().update(contract_tests(CONTRACTS))
