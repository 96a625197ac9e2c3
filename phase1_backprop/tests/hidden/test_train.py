"""Hidden tests: train.py (initialisation, the SGD step, the data sets, the training loop and what it reaches).

Training is tested by behaviour: a fixed seed and a fixed budget of epochs, and an accuracy to
reach. The budgets leave a wide margin: the reference solves these for every one of 100 seeds it
was tried with. Exact numbers are compared only where the order of the random draws cannot matter:
init_params by the multiset of its standardised weights, train's first epochs against the
reference's recipe started from the learner's own init_params (end of this file).
"""

import numpy as np
import pytest

from grader.engine.testing import assert_raises, expect_array, expect_float, module_fixture, reference_fixture

tr = module_fixture("phase1_backprop.train", timeout=60)
ref = reference_fixture("phase1_backprop.train")
ref_fw = reference_fixture("phase1_backprop.forward")

pytestmark = pytest.mark.exercise("train")


def _expect_result(result, epochs, name):
    if not isinstance(result, dict) or not {"params", "history", "accuracy"} <= set(result):
        got = sorted(result) if isinstance(result, dict) else type(result).__name__
        raise AssertionError(f"{name}: expected a dict with params, history and accuracy, got {got}")
    expect_array(result["history"], f"{name}: history", shape=(epochs,))
    return expect_float(result["accuracy"], f"{name}: accuracy")


# -- initialisation ---------------------------------------------------------------------------------


@pytest.mark.parametrize("scheme", ["he", "xavier"])
def test_init_params_scales_every_layer_by_the_scheme(tr, scheme):
    # statistics only (any order of drawing): every layer's weights have mean 0 and the scheme's std
    params = tr.init_params([400, 300, 200], 3, scheme)
    for key, (fan_in, fan_out) in (("W1", (400, 300)), ("W2", (300, 200))):
        std = np.sqrt(2 / fan_in) if scheme == "he" else np.sqrt(2 / (fan_in + fan_out))
        w = expect_array(params[key], f"init_params({scheme}): {key}", shape=(fan_in, fan_out))
        # 60 000 draws or more: the sample standard deviation is within 1 % of the true one
        if not abs(w.std() / std - 1) < 0.02 or not abs(w.mean()) < 0.05 * std:
            raise AssertionError(f"init_params([400, 300, 200], 3, {scheme!r}): {key} of shape ({fan_in}, {fan_out}) "
                                 f"has mean {w.mean():.4g} and standard deviation {w.std():.4g}; expected mean 0 and "
                                 f"standard deviation {std:.4g}")


# -- the update -------------------------------------------------------------------------------------


def test_sgd_step_refuses_a_missing_or_misshapen_gradient(tr):
    params = {"W1": np.ones((2, 3)), "b1": np.zeros(3)}
    tr.sgd_step(params, {"W1": np.ones((2, 3)), "b1": np.ones(3)}, 0.1)
    assert_raises(ValueError, lambda: tr.sgd_step(params, {"W1": np.ones((2, 3))}, 0.1), "sgd_step without grads['b1']",
                  mentions=("b1",))
    assert_raises(ValueError, lambda: tr.sgd_step(params, {"W1": np.ones((3, 2)), "b1": np.ones(3)}, 0.1),
                  "sgd_step with a (3, 2) gradient for W1 (2, 3)", mentions=("W1",))


# -- training ----------------------------------------------------------------------------------------


@pytest.mark.points(3)
def test_xor_is_solved_by_sigmoid_and_mse_within_2000_epochs(tr, ref):
    x, y = ref.make_xor()
    result = tr.train(x, y, [2, 8, 2], loss="mse", activation="sigmoid", lr=2.0, epochs=2000, seed=0)
    acc = _expect_result(result, 2000, "train on XOR with sigmoid + MSE")
    if acc != 1.0:
        raise AssertionError(f"train on XOR, [2, 8, 2], sigmoid + MSE, lr 2, 2000 epochs, seed 0: accuracy {acc:.0%}, "
                             "expected 100 % (the reference needs about 500 epochs)")


@pytest.mark.points(3)
def test_xor_is_solved_by_cross_entropy_within_500_epochs(tr, ref):
    x, y = ref.make_xor()
    result = tr.train(x, y, [2, 8, 2], loss="cross_entropy", activation="sigmoid", lr=2.0, epochs=500, seed=0)
    acc = _expect_result(result, 500, "train on XOR with cross-entropy")
    if acc != 1.0:
        raise AssertionError(f"train on XOR, [2, 8, 2], sigmoid hidden units, cross-entropy, lr 2, 500 epochs, seed 0: "
                             f"accuracy {acc:.0%}, expected 100 % (the reference needs about 110 epochs)")


def test_xor_is_solved_by_a_three_layer_tanh_network(tr, ref):
    x, y = ref.make_xor()
    result = tr.train(x, y, [2, 8, 8, 2], loss="cross_entropy", activation="tanh", lr=0.5, epochs=300, seed=1)
    acc = _expect_result(result, 300, "train on XOR with 3 tanh layers")
    if acc != 1.0:
        raise AssertionError(f"train on XOR, [2, 8, 8, 2], tanh, cross-entropy, lr 0.5, 300 epochs: accuracy {acc:.0%}, "
                             "expected 100 %")


@pytest.mark.points(4)
def test_three_spirals_reach_95_percent_with_relu_and_cross_entropy(tr, ref):
    x, y = ref.make_spirals(100, 3, seed=0)
    result = tr.train(x, y, [2, 32, 3], loss="cross_entropy", activation="relu", lr=0.5, epochs=500, seed=0,
                      momentum=0.9)
    acc = _expect_result(result, 500, "train on the spirals")
    if not acc >= 0.95:
        raise AssertionError(f"train on 3 spirals of 100 points, [2, 32, 3], ReLU, cross-entropy, lr 0.5, momentum 0.9, "
                             f"500 epochs: training accuracy {acc:.1%}, expected at least 95 % (the reference passes "
                             "95 % near epoch 200)")
    history = result["history"]
    if not history[-1] < 0.25 * history[0]:
        raise AssertionError(f"train on the spirals: the loss went from {history[0]:.4g} to {history[-1]:.4g}; "
                             "expected it to fall below a quarter of its start")


def test_spirals_with_two_hidden_layers_reach_95_percent(tr, ref):
    x, y = ref.make_spirals(100, 3, seed=0)
    result = tr.train(x, y, [2, 32, 32, 3], loss="cross_entropy", activation="relu", lr=0.2, epochs=300, seed=2,
                      momentum=0.9)
    acc = _expect_result(result, 300, "train on the spirals with [2, 32, 32, 3]")
    if not acc >= 0.95:
        raise AssertionError(f"train on 3 spirals, [2, 32, 32, 3], ReLU, lr 0.2, momentum 0.9, 300 epochs: "
                             f"training accuracy {acc:.1%}, expected at least 95 %")


def test_training_stops_on_a_non_finite_loss_and_names_the_epoch(tr, ref):
    x, y = ref.make_spirals(20, 3, seed=0)
    tr.train(x, y, [2, 8, 3], loss="cross_entropy", activation="relu", lr=0.1, epochs=5, seed=0)
    # an infinite learning rate: inf or nan at epoch 1 whatever the initial weights (1e300 leaves ~1 % of inits finite)
    exc = assert_raises(ArithmeticError, lambda: tr.train(x, y, [2, 8, 3], loss="cross_entropy", activation="relu",
                                                          lr=np.inf, epochs=50, seed=0),
                        "train with learning rate inf", mentions=("epoch",), named="TrainingDiverged")


def test_train_refuses_labels_out_of_range_naming_the_label(tr, ref):
    x, y = ref.make_xor()
    tr.train(x, y, [2, 3, 2], loss="cross_entropy", activation="tanh", lr=0.1, epochs=2, seed=0)
    assert_raises(ValueError, lambda: tr.train(x, np.array([0, 1, 2, 0]), [2, 3, 2], loss="cross_entropy",
                                               activation="tanh", lr=0.1, epochs=2, seed=0),
                  "train with label 2 for 2 outputs", mentions=("2",))


def test_train_refuses_x_that_does_not_fit_the_first_layer(tr, ref):
    x, y = ref.make_xor()
    tr.train(x, y, [2, 3, 2], loss="mse", activation="sigmoid", lr=0.1, epochs=2, seed=0)
    assert_raises(ValueError, lambda: tr.train(x, y, [3, 3, 2], loss="mse", activation="sigmoid", lr=0.1, epochs=2,
                                               seed=0),
                  "train with layer_sizes [3, 3, 2] on x of shape (4, 2)", mentions=("layer 1", "3", "2"))


# -- the whole contract, against the reference ---------------------------------------------------
#
# Each case is built by numpy from one drawn seed (cheap to draw, the same for the same grade seed).

from grader.engine import domains as dom  # noqa: E402
from grader.engine.differential import (Contract, case, contract_tests, describe_case, draw_cases, judge,  # noqa: E402
                                        learner_outcomes)

ACTIVATIONS = ("relu", "sigmoid", "tanh")
LOSSES = ("cross_entropy", "mse")
SIDES = (1, 1, 2, 3, 4, 5)
LABEL_DTYPES = (np.int64, np.int32, np.uint8)


from grader.engine.domains import pick as _pick  # noqa: E402


def _array(rng, shape, regimes=dom.FLOAT_REGIMES):
    regime = _pick(rng, regimes)
    value = dom.fill(rng, tuple(shape), regime)
    dom.remember(value, regime)  # named in a failure message
    return value


def _labels(rng, n, n_classes):
    return rng.integers(0, n_classes, size=n).astype(_pick(rng, LABEL_DTYPES))


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


def _random_params(rng, sizes):
    params = {}
    for layer, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
        params[f"W{layer}"] = rng.normal(size=(fan_in, fan_out)) * _pick(rng, (0.3, 1.0, 3.0)) / np.sqrt(fan_in)
        params[f"b{layer}"] = rng.normal(size=fan_out) * 0.5
    return params


def _network(rng, min_out=1):
    layers = _pick(rng, (1, 2, 2, 3, 3))
    sizes = [_pick(rng, SIDES) for _ in range(layers)] + [int(rng.integers(min_out, 5))]
    return sizes, _random_params(rng, sizes)


# init_params: compared without the order of its draws

def _std(scheme, fan_in, fan_out):
    return np.sqrt(2.0 / fan_in) if scheme == "he" else np.sqrt(2.0 / (fan_in + fan_out))


def _standardized(scheme):
    """init_params' result with the order of its draws taken out: every shape, every bias, and the
    sorted multiset of all weights divided by their layer's standard deviation. Any order of drawing
    W1, W2, ... from the one generator (a transposed draw, all weights in one draw) gives the same
    multiset; a wrong scale, another generator or a fresh generator per layer does not."""

    def project(params):
        if not isinstance(params, dict):
            return params
        shapes = {key: tuple(np.shape(value)) for key, value in params.items()}
        biases = {key: value for key, value in params.items() if key.startswith("b")}
        weights = [np.asarray(value, dtype=np.float64).ravel() / _std(scheme, *np.shape(value))
                   for key, value in sorted(params.items()) if key.startswith("W") and np.ndim(value) == 2]
        return {"shapes": shapes, "biases": biases, "weights": np.sort(np.concatenate(weights or [np.zeros(0)]))}

    return project


def _init_case(scheme):
    def build(rng):
        sizes = [_pick(rng, (1, 2, 3, 4, 5, 6)) for _ in range(int(rng.integers(2, 5)))]
        seed = int(rng.integers(2**31))
        if scheme == "he" and rng.random() < 0.4:
            return case(sizes, seed, note="the default scheme")
        return case(sizes, seed, scheme)

    return build


INIT_REFUSALS = [
    case([2, 3], 0, "lecun", note="unknown scheme"),
    case([2, 3], 0, "Xavier", note="unknown scheme (names are lower case)"),
    case([2, 0, 3], 0, "he", note="a layer of size 0"),
    case([0, 3], 0, "xavier", note="an input of size 0"),
    case([2, -1], 0, "he", note="a negative size"),
    case([4], 0, "he", note="a single size"),
    case([], 0, "he", note="no sizes"),
    case([2, 2.5], 0, "he", note="a size that is not an integer"),
]


# sgd_step: plain, with momentum from zero, and resumed with a velocity

def _sgd_case(rng):
    sizes = [_pick(rng, (1, 2, 3, 4)) for _ in range(int(rng.integers(2, 5)))]
    shapes = {}
    for layer, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
        shapes[f"W{layer}"], shapes[f"b{layer}"] = (fan_in, fan_out), (fan_out,)
    scale = _pick(rng, (1e-3, 1.0, 100.0))
    params = {key: rng.normal(size=shape) for key, shape in shapes.items()}
    grads = {key: rng.normal(size=shape) * scale for key, shape in shapes.items()}
    lr, momentum = _pick(rng, (1e-3, 0.1, 0.5, 1.0, 3.0)), _pick(rng, (0.0, 0.5, 0.9, 0.99))
    how = _pick(rng, ("plain", "fresh", "resumed", "resumed", "keywords"))
    if how == "plain":
        return case(params, grads, lr, note="no velocity, no momentum")
    if how == "fresh":
        return case(params, grads, lr, None, momentum, note="velocity None: zeros")
    velocity = {key: rng.normal(size=shape) * 0.5 for key, shape in shapes.items()}
    if how == "keywords":
        return case(params, grads, lr=lr, velocity=velocity, momentum=momentum, note="a resumed velocity")
    return case(params, grads, lr, velocity, momentum, note="a resumed velocity")


_P = {"W1": np.ones((2, 3)), "b1": np.zeros(3)}
SGD_FIXED = [
    case({"W1": np.array([[1.0, -1.0]]), "b1": np.array([0.0])}, {"W1": np.array([[1.0, 2.0]]), "b1": np.array([-1.0])},
         0.5, {"W1": np.array([[-0.5, -1.0]]), "b1": np.array([0.5])}, 0.9, note="a second step with momentum 0.9"),
    case(_P, {"W1": np.ones((2, 3))}, 0.1, note="no gradient for b1"),
    case(_P, {"b1": np.ones(3)}, 0.1, note="no gradient for W1"),
    case(_P, {"W1": np.ones((3, 2)), "b1": np.ones(3)}, 0.1, note="a (3, 2) gradient for W1 (2, 3)"),
    case(_P, {"W1": np.ones(3), "b1": np.ones(3)}, 0.1, note="a (3,) gradient for W1 (2, 3): it would broadcast"),
    case(_P, {"W1": np.ones((2, 3)), "b1": np.ones((1, 3))}, 0.1, note="a (1, 3) gradient for b1 (3,)"),
]


def _spiral_case(rng):
    n, k, seed = int(rng.integers(1, 7)), int(rng.integers(2, 6)), int(rng.integers(2**16))
    how = _pick(rng, ("positional", "keywords", "defaults"))
    if how == "defaults":
        return case(n)
    return case(n, k, seed) if how == "positional" else case(n, n_classes=k, seed=seed)


def _accuracy_case(rng):
    n, c = _pick(rng, (1, 2, 3, 5, 8)), _pick(rng, (1, 2, 3, 4))
    scores = _array(rng, (n, c), ("normal", "wide", "large"))  # no ties: which max would be "the" max?
    labels = _labels(rng, n, c)
    if rng.random() < 0.5:  # make some rows hits, so the fraction is not always near 1 / C
        labels = np.where(rng.random(n) < 0.5, np.argmax(scores, axis=1), labels).astype(labels.dtype)
    return case(scores, labels)


def _predict_case(rng):
    sizes, params = _network(rng, min_out=2)
    x = _array(rng, (_pick(rng, (1, 2, 3, 6)), sizes[0]), ("normal", "wide", "large"))
    activation = _pick(rng, ACTIVATIONS)
    return case(params, x) if activation == "relu" and rng.random() < 0.3 else case(params, x, activation)


def _near_saturation(name, z):
    """Inputs where two right formulas of a derivative part ways: a sigmoid just below 1, tanh just
    inside +-1 (out (1 - out) against out - out^2, 1 - out^2 against (1 - out)(1 + out)): there the
    round-off is large next to the tiny derivative. Exactly saturated and moderate inputs are drawn."""
    z = np.asarray(z)
    if name == "sigmoid":
        return bool(np.any((z > 15) & (z < 40)))
    if name == "tanh":
        return bool(np.any((np.abs(z) > 7) & (np.abs(z) < 21)))
    return False


def _forward(params, x, activation):
    """The hidden pre-activations and the scores (numpy, for choosing cases only)."""
    layers, h, hidden = len(params) // 2, x, []
    for layer in range(1, layers + 1):
        z = h @ params[f"W{layer}"] + params[f"b{layer}"]
        if layer == layers:
            return hidden, z
        hidden.append(z)
        h = np.maximum(z, 0.0) if activation == "relu" else np.tanh(z) if activation == "tanh" else \
            0.5 * (1.0 + np.tanh(z / 2.0))


def _loss_and_grads_try(rng, regimes):
    sizes, params = _network(rng)
    n = _pick(rng, SIDES)
    x = _array(rng, (n, sizes[0]), regimes)
    labels = _labels(rng, n, sizes[-1])
    loss, activation = _pick(rng, LOSSES), _pick(rng, ACTIVATIONS)
    hidden, scores = _forward(params, x, activation)
    near = any(_near_saturation(activation, z) for z in hidden) or (loss == "mse" and _near_saturation("sigmoid",
                                                                                                       scores))
    if loss == "cross_entropy":  # one row not confidently right: the gradients are not all round-off
        labels[0] = np.argmin(scores[0])
    if loss == "cross_entropy" and activation == "relu" and rng.random() < 0.3:
        return case(params, x, labels, note="the default loss and activation"), near
    return case(params, x, labels, loss, activation), near


def _loss_and_grads_case(rng):
    for _ in range(20):
        drawn, near = _loss_and_grads_try(rng, dom.FLOAT_REGIMES)
        if not near:
            return drawn
    return _loss_and_grads_try(rng, ("small", "zeros"))[0]


_NET = {"W1": np.array([[1.0, -1.0, 0.5], [0.5, 2.0, -1.0]]), "b1": np.array([0.1, -0.2, 0.3])}
_XN = np.array([[0.5, -1.0], [2.0, 0.0]])
LOSS_FIXED = [
    case({"W1": np.array([[0.0, 0.0]]), "b1": np.array([-8.0, 8.0])}, np.array([[1.0], [0.0]]), np.array([0, 0]),
         "mse", "sigmoid", note="saturated sigmoid outputs under mse"),
    case(_NET, _XN, np.array([0, 1]), "hinge", "relu", note="unknown loss"),
    case(_NET, _XN, np.array([0, 1]), "mse", "gelu", note="unknown activation"),
    case(_NET, _XN, np.array([0, 3]), "cross_entropy", "relu", note="label 3 for 3 outputs"),
    case(_NET, _XN, np.array([0, 3]), "mse", "sigmoid", note="label 3 for 3 outputs, mse"),
    case(_NET, _XN, np.array([-1, 0]), "mse", "tanh", note="label -1, mse"),
    case(_NET, _XN, np.array([0.0, 1.0]), "mse", "tanh", note="float labels, mse"),
    case(_NET, _XN, np.array([0, 1, 2]), "mse", "relu", note="3 labels for 2 rows, mse"),
]


def _spirals(n, k, seed):  # make_spirals' documented recipe
    rng, t = np.random.default_rng(seed), np.arange(1, n + 1) / n
    angles = [2 * np.pi * (t + arm / k) + 0.2 * rng.standard_normal(n) for arm in range(k)]
    return np.concatenate([np.stack([t * np.cos(a), t * np.sin(a)], axis=1) for a in angles]), np.repeat(np.arange(k), n)


_XOR_X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
_XOR_Y = np.array([0, 1, 1, 0])
_SPIRALS = _spirals(10, 3, 0)
TRAIN_REFUSALS = [
    case(_XOR_X, _XOR_Y, [3, 3, 2], "mse", "sigmoid", 0.1, 2, 0, note="x (4, 2) for layer_sizes [3, 3, 2]"),
    case(_XOR_X, np.array([0, 1, 2, 0]), [2, 3, 2], "cross_entropy", "tanh", 0.1, 2, 0, note="label 2 for 2 outputs"),
    case(_XOR_X, np.array([0, 1, 2, 0]), [2, 3, 2], "mse", "tanh", 0.1, 2, 0, note="label 2 for 2 outputs, mse"),
    case(_XOR_X, _XOR_Y, [2, 3, 2], "hinge", "relu", 0.1, 2, 0, note="unknown loss"),
    case(_XOR_X, _XOR_Y, [2, 3, 2], "mse", "elu", 0.1, 2, 0, note="unknown activation"),
    case(_XOR_X, _XOR_Y, [2, 3, 2], "mse", "tanh", 0.1, 0, 0, note="epochs 0"),
    case(np.ones(2), np.array([0]), [2, 3, 2], "mse", "tanh", 0.1, 2, 0, note="x is 1-d"),
    # an infinite step makes the loss inf or nan at epoch 1 whatever the initial weights (any init order)
    case(*_SPIRALS, [2, 8, 3], "cross_entropy", "relu", np.inf, 5, 0, note="learning rate inf: diverges"),
    case(*_SPIRALS, [2, 4, 4, 3], "mse", "tanh", np.inf, 5, 7, 0.5, note="learning rate inf, mse: diverges"),
]

CONTRACTS = [
    Contract("phase1_backprop.train", "init_params", _cases(_init_case("he")), project=_standardized("he"),
             exercise="train", examples=8, fixed=INIT_REFUSALS),
    Contract("phase1_backprop.train", "init_params", _cases(_init_case("xavier")), project=_standardized("xavier"),
             exercise="train", examples=6, name="test_contract_init_params_xavier"),
    Contract("phase1_backprop.train", "sgd_step", _cases(_sgd_case), exercise="train", examples=8, fixed=SGD_FIXED),
    Contract("phase1_backprop.train", "make_xor", None, exercise="train", fixed=[case()], rtol=0.0, atol=0.0),
    Contract("phase1_backprop.train", "make_spirals", _cases(_spiral_case), exercise="train", examples=6, fixed=[
        case(0, 3, 1, note="no points per class"), case(5, 1, 1, note="a single class")]),
    Contract("phase1_backprop.train", "accuracy", _cases(_accuracy_case), exercise="train", examples=8, fixed=[
        case(np.eye(3), np.array([0, 1, 3]), note="label 3 for 3 classes"),
        case(np.eye(3), np.array([0.0, 1.0, 2.0]), note="float labels"),
        case(np.eye(3), np.array([0, 1]), note="2 labels for 3 rows"),
    ]),
    Contract("phase1_backprop.train", "predict", _cases(_predict_case), exercise="train", examples=6),
    Contract("phase1_backprop.train", "loss_and_grads", _cases(_loss_and_grads_case), exercise="train", examples=12,
             fixed=LOSS_FIXED, project=_no_round_off),
    Contract("phase1_backprop.train", "train", None, exercise="train", fixed=TRAIN_REFUSALS,
             name="test_contract_train_refusals"),
]
globals().update(contract_tests(CONTRACTS))


# -- train's first epochs, exactly, from the learner's own init_params ------------------------------
#
# train must initialise with init_params(layer_sizes, seed, scheme) and then take full-batch steps. Its
# first epochs are compared with the reference's recipe started from the *learner's own* init_params,
# so the order in which init_params draws its weights never matters here (it is graded above).


def _train_case(rng):
    layers = _pick(rng, (1, 2, 2, 3))
    n_classes = int(rng.integers(2, 5))
    sizes = [_pick(rng, (1, 2, 3, 4))] + [int(rng.integers(2, 6)) for _ in range(layers - 1)] + [n_classes]
    n = _pick(rng, (1, 3, 5, 8))
    kwargs = {"loss": _pick(rng, LOSSES), "activation": _pick(rng, ACTIVATIONS), "lr": _pick(rng, (0.05, 0.5, 2.0)),
              "epochs": int(rng.integers(1, 5)), "seed": int(rng.integers(2**16)),
              "momentum": _pick(rng, (0.0, 0.5, 0.9)), "scheme": _pick(rng, (None, None, "he", "xavier"))}
    for key in ("momentum", "scheme"):  # sometimes left to its default
        if kwargs[key] in (0.0, None) and rng.random() < 0.5:
            del kwargs[key]
    return case(_array(rng, (n, sizes[0]), ("normal", "wide")), _labels(rng, n, n_classes), sizes, **kwargs)


def _recipe(ref, ref_fw, params, x, y, loss="cross_entropy", activation="relu", lr=0.5, epochs=1000, seed=0,
            momentum=0.0, scheme=None):
    """The reference's train from given initial params; and whether every row's top score is clear."""
    velocity, history = None, []
    for _ in range(epochs):
        value, grads = ref.loss_and_grads(params, x, y, loss, activation)
        history.append(value)
        params, velocity = ref.sgd_step(params, grads, lr, velocity, momentum)
    scores, _ = ref_fw.mlp_forward(x, params, activation)
    top = np.sort(scores, axis=1)
    clear = bool(np.all(top[:, -1] - top[:, -2] > 1e-9 * (1 + np.abs(top[:, -1]))))
    return {"params": params, "history": np.array(history), "accuracy": ref.accuracy(scores, y)}, clear


@pytest.mark.points(2)
def test_train_takes_the_recipes_first_steps_from_init_params(tr, ref, ref_fw, rng):
    cases = draw_cases(_cases(_train_case), 6, int(rng.integers(2**31)))
    # 300 inputs: sizes past CPython's small-int cache (a check written with `is` instead of `==` fails here)
    wide = np.random.default_rng(int(rng.integers(2**31)))
    cases.append(case(wide.normal(size=(3, 300)), np.array([0, 1, 1]), [300, 2, 2], loss="mse", activation="tanh",
                      lr=0.1, epochs=2, seed=3, note="300 input features"))
    init_cases = [case(c.args[2], c.kwargs["seed"],
                       c.kwargs.get("scheme") or ("he" if c.kwargs["activation"] == "relu" else "xavier"))
                  for c in cases]
    inits = learner_outcomes(tr, "init_params", init_cases)
    got = learner_outcomes(tr, "train", cases)
    contract = Contract("phase1_backprop.train", "train")
    for i, (c, init, outcome) in enumerate(zip(cases, inits, got)):
        if not init["ok"]:
            raise AssertionError(f"init_params{tuple(init_cases[i].args)} raised {init['error']['type']}: "
                                 f"{init['error']['message'][:200]} (train starts from it)")
        expected, clear = _recipe(ref, ref_fw, init["value"], *c.args[:2], **c.kwargs)
        if outcome["ok"] and not clear and isinstance(outcome["value"], dict):  # a tie for the top score
            outcome = {"ok": True, "value": {**outcome["value"], "accuracy": expected["accuracy"]}}
        problem = judge(outcome, {"ok": True, "value": expected}, contract)
        if problem:
            raise AssertionError(f"{problem}\n  (against the reference's recipe run from your own init_params("
                                 f"layer_sizes, seed, scheme))\n  case {i + 1} of {len(cases)}: {describe_case(c)}")
