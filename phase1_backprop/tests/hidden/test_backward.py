"""Hidden tests: backward.py (each layer's backward pass, the two losses, the whole network's backward pass)."""

import numpy as np
import pytest

from grader.engine.testing import assert_close, assert_raises, expect_array, expect_float, module_fixture, reference_fixture

fw = module_fixture("phase1_backprop.forward")
bw = module_fixture("phase1_backprop.backward")
ref_fw = reference_fixture("phase1_backprop.forward")
ref_bw = reference_fixture("phase1_backprop.backward")

pytestmark = pytest.mark.exercise("backward")


def test_linear_backward_on_a_hand_computed_case(fw, bw):
    x = np.array([[1.0, 2.0], [3.0, -1.0], [0.0, 1.0]])  # N = 3, D_in = 2
    w = np.array([[1.0, -1.0, 2.0, 0.0], [0.5, 0.0, 1.0, -2.0]])  # D_out = 4
    dout = np.array([[1.0, 0.0, 0.0, 2.0], [0.0, 1.0, -1.0, 0.0], [1.0, 1.0, 1.0, 1.0]])
    _, cache = fw.linear_forward(x, w, np.zeros(4))
    dx, dw, db = bw.linear_backward(dout, cache)
    assert_close(expect_array(dx, "dx", shape=(3, 2)), dout @ w.T, "dx = dout @ w.T")
    assert_close(expect_array(dw, "dw", shape=(2, 4)), np.array([[1.0, 3.0, -3.0, 2.0], [3.0, 0.0, 2.0, 5.0]]), "dw")
    assert_close(expect_array(db, "db", shape=(4,)), np.array([2.0, 2.0, 0.0, 3.0]), "db")


def test_mse_loss_value_and_gradient_on_a_hand_computed_case(bw):
    pred = np.array([[1.0, 2.0], [4.0, -1.0]])
    target = np.array([[0.0, 2.0], [1.0, 1.0]])
    loss, dpred = bw.mse_loss(pred, target)
    assert_close(expect_float(loss, "mse_loss"), (1 + 0 + 9 + 4) / 4, "mse_loss value")
    assert_close(expect_array(dpred, "dpred", shape=(2, 2)), 2 * (pred - target) / 4,
                 "mse_loss gradient: 2 (pred - target) / number of entries")


def test_softmax_cross_entropy_on_a_hand_computed_case(bw):
    scores = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]])
    labels = np.array([2, 0])
    p = np.exp([1.0, 2.0, 3.0]) / np.exp([1.0, 2.0, 3.0]).sum()
    loss, dscores = bw.softmax_cross_entropy(scores, labels)
    assert_close(expect_float(loss, "softmax_cross_entropy"), (-np.log(p[2]) + np.log(3.0)) / 2, "cross-entropy value")
    expected = np.array([[p[0], p[1], p[2] - 1.0], [1 / 3 - 1.0, 1 / 3, 1 / 3]]) / 2
    assert_close(expect_array(dscores, "dscores", shape=(2, 3)), expected, "dscores = (softmax - onehot) / N")


def test_softmax_cross_entropy_refuses_labels_out_of_range(bw):
    scores = np.zeros((2, 3))
    bw.softmax_cross_entropy(scores, np.array([0, 2]))
    assert_raises(ValueError, lambda: bw.softmax_cross_entropy(scores, np.array([0, 3])),
                  "softmax_cross_entropy with label 3 for 3 classes", mentions=("3",))
    assert_raises(ValueError, lambda: bw.softmax_cross_entropy(scores, np.array([-1, 0])), "label -1",
                  mentions=("-1",))


# -- the whole contract, against the reference ---------------------------------------------------
#
# Each case is built by numpy from one drawn seed; caches are built here in the documented format
# (linear: (x, w); relu: x; sigmoid and tanh: out), so a backward function is graded on its own.

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


def _activate(name, z):
    """(out, cache) of an activation, in the documented cache format (relu: x; sigmoid, tanh: out)."""
    if name == "relu":
        return np.maximum(z, 0.0), z
    out = 0.5 * (1.0 + np.tanh(z / 2.0)) if name == "sigmoid" else np.tanh(z)
    return out, out


def _linear_backward_case(rng):
    n, d_in, d_out = (_pick(rng, SIDES) for _ in range(3))
    x, w = _array(rng, (n, d_in)), _array(rng, (d_in, d_out), ("normal", "wide", "ties"))
    return case(_array(rng, (n, d_out), ("normal", "wide", "large", "small", "ties")), (x, w))


def _near_saturation(name, z):
    """Inputs where two right formulas of the derivative part ways: a sigmoid just below 1, tanh just
    inside +-1. There out (1 - out) and out - out^2 (or 1 - out^2 and (1 - out)(1 + out)) differ by a
    round-off that is large next to the tiny derivative; exactly saturated inputs (out = 1 or +-1 to the
    last bit, |z| of 40 or 1000) and moderate ones are fine, and are drawn."""
    z = np.asarray(z)
    if name == "sigmoid":
        return bool(np.any((z > 15) & (z < 40)))
    if name == "tanh":
        return bool(np.any((np.abs(z) > 7) & (np.abs(z) < 21)))
    return False


def _activation_backward_case(name):
    def build(rng):
        shape = tuple(int(rng.integers(0, 6)) if rng.random() < 0.1 else _pick(rng, SIDES)
                      for _ in range(int(rng.integers(1, 4))))
        for _ in range(20):
            x = _array(rng, shape)  # every regime: saturated sigmoid and tanh, ReLU at 0 exactly
            if not _near_saturation(name, x):
                break
        else:
            x = _array(rng, shape, ("normal",))
        return case(_array(rng, shape, ("normal", "wide", "large", "small")), _activate(name, x)[1])

    return build


def _activation_fixed(name):
    edges = np.array([[-1000.0, -2.0, -1e-12, 0.0], [1e-12, 0.5, 30.0, 1000.0]])
    cache = _activate(name, np.linspace(-2.0, 2.0, 6).reshape(2, 3))[1]
    return [case(np.arange(1.0, 9.0).reshape(2, 4), _activate(name, edges)[1], note="x at 0, near 0 and saturated"),
            case(np.ones(3), cache, note="dout (3,) would broadcast against the cache (2, 3)"),
            case(np.ones((3, 2)), cache, note="dout (3, 2) for a cache of (2, 3)"),
            case(np.ones((2, 3)), cache[:1], note="dout (2, 3) for a cache of (1, 3)")]


def _mse_case(rng):
    shape = (_pick(rng, SIDES), _pick(rng, SIDES))
    return case(_array(rng, shape), _array(rng, shape, ("normal", "wide", "ties", "zeros")))


def _cross_entropy_case(rng):
    n, c = _pick(rng, SIDES), _pick(rng, SIDES)
    scores, labels = _array(rng, (n, c)), rng.integers(0, c, size=n)
    labels[0] = np.argmin(scores[0])  # one row not confidently right: dscores is not all round-off
    return case(scores, labels.astype(_pick(rng, (np.int64, np.int32, np.uint8))))


def _mlp_backward_try(rng, regimes):
    layers = _pick(rng, (1, 2, 2, 3, 3))
    sizes = [_pick(rng, SIDES) for _ in range(layers + 1)]
    activation = _pick(rng, ACTIVATIONS)
    n = _pick(rng, SIDES)
    h = _array(rng, (n, sizes[0]), regimes)
    caches, near = [], False
    for layer, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
        w = rng.normal(size=(fan_in, fan_out)) * _pick(rng, (0.3, 1.0, 3.0)) / np.sqrt(fan_in)
        z = h @ w + rng.normal(size=fan_out) * 0.5
        if layer < layers:
            out, cache = _activate(activation, z)
            caches.append(((h, w), activation, cache))
            near = near or _near_saturation(activation, z)
            h = out
        else:
            caches.append(((h, w), None, None))
    return case(_array(rng, (n, sizes[-1]), ("normal", "wide", "small", "ties")), caches), near


def _mlp_backward_case(rng):
    """Caches of a network of 1 to 3 layers, built as mlp_forward documents them, and a dscores."""
    for _ in range(20):
        drawn, near = _mlp_backward_try(rng, dom.FLOAT_REGIMES)
        if not near:
            return drawn
    return _mlp_backward_try(rng, ("normal", "small", "zeros"))[0]


CONTRACTS = [
    Contract("phase1_backprop.backward", "linear_backward", _cases(_linear_backward_case), exercise="backward",
             examples=8, fixed=[
                 case(np.ones((4, 2)), (np.ones((2, 3)), np.ones((3, 4))), note="dout (4, 2) for out (2, 4)"),
                 case(np.ones((2, 5)), (np.ones((2, 3)), np.ones((3, 4))), note="dout (2, 5) for out (2, 4)"),
                 case(np.ones(8), (np.ones((2, 3)), np.ones((3, 4))), note="dout 1-d for out (2, 4)"),
                 case(np.ones(4), (np.ones((2, 3)), np.ones((3, 4))), note="dout (4,) would broadcast"),
                 case(np.ones((2, 1, 4)), (np.ones((1, 3)), np.ones((3, 4))), note="dout (2, 1, 4) for out (1, 4)"),
             ]),
    *[Contract("phase1_backprop.backward", f"{name}_backward", _cases(_activation_backward_case(name)),
               exercise="backward", examples=8, fixed=_activation_fixed(name),
               project=None if name == "relu" else _no_round_off) for name in ACTIVATIONS],
    Contract("phase1_backprop.backward", "mse_loss", _cases(_mse_case), exercise="backward", examples=8, fixed=[
        case(np.ones(3), np.ones((3, 1)), note="(3,) and (3, 1) would broadcast"),
        case(np.ones((2, 3)), np.ones((2, 1)), note="(2, 3) and (2, 1) would broadcast"),
        case(np.ones((2, 3)), np.ones((3, 2)), note="(2, 3) and (3, 2)"),
    ]),
    Contract("phase1_backprop.backward", "softmax_cross_entropy", _cases(_cross_entropy_case), exercise="backward",
             examples=8, project=_no_round_off, fixed=[
                 case(np.zeros((2, 3)), np.array([0, 3]), note="label 3 for 3 classes"),
                 case(np.zeros((2, 3)), np.array([-1, 0]), note="label -1"),
                 case(np.zeros((2, 3)), np.array([0.0, 1.0]), note="float labels"),
                 case(np.zeros((2, 3)), np.array([True, False]), note="bool labels"),
                 case(np.zeros((2, 3)), np.array([[0], [1]]), note="labels (2, 1)"),
                 case(np.zeros((2, 3)), np.array([0, 1, 2]), note="3 labels for 2 rows"),
                 case(np.array([[1000.0, 0.0, -1000.0]]), np.array([2], dtype=np.uint8), note="scores of 1000"),
                 case(np.array([[1000.0, 0.0, -1000.0]]), np.array([0], dtype=np.uint8), note="certain and right"),
             ]),
    Contract("phase1_backprop.backward", "mlp_backward", _cases(_mlp_backward_case), exercise="backward",
             examples=12, project=_no_round_off),
]
globals().update(contract_tests(CONTRACTS))
