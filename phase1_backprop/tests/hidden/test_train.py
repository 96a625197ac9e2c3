"""Hidden tests: train.py (initialisation, the SGD step, the data sets, the training loop and what it reaches).

Training is tested by behaviour: a fixed seed and a fixed budget of epochs, and an accuracy to
reach, never exact loss values (they depend on the order of the random draws). The budgets leave
a wide margin: the reference solves these for every one of 100 seeds it was tried with.
"""

import numpy as np
import pytest

from grader.engine.testing import assert_close, assert_raises, expect_array, expect_float, module_fixture, reference_fixture

tr = module_fixture("phase1_backprop.train", timeout=60)
ref = reference_fixture("phase1_backprop.train")

pytestmark = pytest.mark.exercise("train")


def _expect_result(result, epochs, name):
    if not isinstance(result, dict) or not {"params", "history", "accuracy"} <= set(result):
        got = sorted(result) if isinstance(result, dict) else type(result).__name__
        raise AssertionError(f"{name}: expected a dict with params, history and accuracy, got {got}")
    expect_array(result["history"], f"{name}: history", shape=(epochs,))
    return expect_float(result["accuracy"], f"{name}: accuracy")


# -- initialisation ---------------------------------------------------------------------------------


def test_init_params_gives_every_layer_its_shape_and_zero_biases(tr):
    params = tr.init_params([2, 5, 4, 3], 0, "he")
    if not isinstance(params, dict) or set(params) != {"W1", "b1", "W2", "b2", "W3", "b3"}:
        got = sorted(params) if isinstance(params, dict) else type(params).__name__
        raise AssertionError(f"init_params([2, 5, 4, 3]): expected the keys W1, b1, W2, b2, W3, b3, got {got}")
    for key, shape in {"W1": (2, 5), "b1": (5,), "W2": (5, 4), "b2": (4,), "W3": (4, 3), "b3": (3,)}.items():
        expect_array(params[key], f"init_params: {key}", shape=shape)
    for key in ("b1", "b2", "b3"):
        assert_close(params[key], np.zeros_like(params[key]), f"init_params: {key} starts at zero", atol=0.0)


@pytest.mark.parametrize("scheme, std", [("he", np.sqrt(2 / 400)), ("xavier", np.sqrt(2 / (400 + 300)))],
                         ids=["he", "xavier"])
def test_init_params_scales_weights_by_the_scheme(tr, scheme, std):
    params = tr.init_params([400, 300, 2], 3, scheme)
    w = expect_array(params["W1"], f"init_params({scheme}): W1", shape=(400, 300))
    # 120 000 draws: the sample standard deviation is within 1 % of the true one
    if not abs(w.std() / std - 1) < 0.02 or not abs(w.mean()) < 0.05 * std:
        raise AssertionError(f"init_params({scheme!r}): W1 of shape (400, 300) has mean {w.mean():.4g} and standard "
                             f"deviation {w.std():.4g}; expected mean 0 and standard deviation {std:.4g}")


def test_init_params_same_seed_same_weights_other_seed_other_weights(tr):
    a, b, c = (tr.init_params([3, 4, 2], seed, "xavier") for seed in (7, 7, 8))
    assert_close(a["W1"], b["W1"], "init_params with the same seed twice: W1", rtol=0.0, atol=0.0)
    assert_close(a["W2"], b["W2"], "init_params with the same seed twice: W2", rtol=0.0, atol=0.0)
    if np.allclose(a["W1"], c["W1"]):
        raise AssertionError("init_params: seeds 7 and 8 gave the same W1 (is the seed used?)")
    if np.allclose(a["W1"].ravel()[:8] / np.sqrt(2 / 7), a["W2"].ravel() / np.sqrt(2 / 6)):
        raise AssertionError("init_params: W1 and W2 hold the same numbers (draw each layer from one rng in turn)")


def test_init_params_refuses_an_unknown_scheme_and_bad_sizes(tr):
    tr.init_params([2, 3], 0, "he")
    assert_raises(ValueError, lambda: tr.init_params([2, 3], 0, "lecun"), "init_params scheme 'lecun'", mentions=("lecun",))
    assert_raises(ValueError, lambda: tr.init_params([2, 0, 3], 0, "he"), "init_params with a layer of size 0")
    assert_raises(ValueError, lambda: tr.init_params([2], 0, "he"), "init_params with a single size")


# -- the update -------------------------------------------------------------------------------------


def test_sgd_step_moves_every_parameter_against_its_gradient(tr):
    params = {"W1": np.array([[1.0, 2.0]]), "b1": np.array([0.5, -0.5])}
    grads = {"W1": np.array([[0.5, -1.0]]), "b1": np.array([2.0, 0.0])}
    new, velocity = tr.sgd_step(params, grads, 0.1)
    assert_close(new["W1"], np.array([[0.95, 2.1]]), "sgd_step: W1 - 0.1 dW1")
    assert_close(new["b1"], np.array([0.3, -0.5]), "sgd_step: b1 - 0.1 db1")
    assert_close(velocity["W1"], np.array([[-0.05, 0.1]]), "sgd_step: the velocity -lr grad after one step")


def test_sgd_step_with_momentum_accumulates_the_velocity(tr):
    params = {"W1": np.array([[1.0, -1.0]]), "b1": np.array([0.0])}
    grads = {"W1": np.array([[1.0, 2.0]]), "b1": np.array([-1.0])}
    p1, v1 = tr.sgd_step(params, grads, 0.5, None, 0.9)
    p2, v2 = tr.sgd_step(p1, grads, 0.5, v1, 0.9)
    # v1 = -0.5 g, v2 = 0.9 v1 - 0.5 g = -0.95 g; p2 = p0 + v1 + v2 = p0 - 1.45 g
    assert_close(v2["W1"], np.array([[-0.95, -1.9]]), "sgd_step: velocity after two steps with momentum 0.9")
    assert_close(p2["W1"], np.array([[-0.45, -3.9]]), "sgd_step: W1 after two steps with momentum 0.9")
    assert_close(p2["b1"], np.array([1.45]), "sgd_step: b1 after two steps with momentum 0.9")


def test_sgd_step_refuses_a_missing_or_misshapen_gradient(tr):
    params = {"W1": np.ones((2, 3)), "b1": np.zeros(3)}
    tr.sgd_step(params, {"W1": np.ones((2, 3)), "b1": np.ones(3)}, 0.1)
    assert_raises(ValueError, lambda: tr.sgd_step(params, {"W1": np.ones((2, 3))}, 0.1), "sgd_step without grads['b1']",
                  mentions=("b1",))
    assert_raises(ValueError, lambda: tr.sgd_step(params, {"W1": np.ones((3, 2)), "b1": np.ones(3)}, 0.1),
                  "sgd_step with a (3, 2) gradient for W1 (2, 3)", mentions=("W1",))


# -- data and accuracy ------------------------------------------------------------------------------


def test_make_xor_is_the_truth_table(tr):
    x, y = tr.make_xor()
    assert_close(expect_array(x, "make_xor: x", shape=(4, 2)), np.array([[0, 0], [0, 1], [1, 0], [1, 1]]), "make_xor: x")
    y = expect_array(y, "make_xor: y", shape=(4,), kind="i")
    assert_close(y.astype(np.float64), np.array([0.0, 1.0, 1.0, 0.0]), "make_xor: y")


def test_make_spirals_puts_each_arm_at_its_radii_and_angles(tr):
    x, y = tr.make_spirals(50, 3, seed=4)
    x = expect_array(x, "make_spirals(50, 3): x", shape=(150, 2))
    y = expect_array(y, "make_spirals(50, 3): y", shape=(150,), kind="i")
    assert_close(y.astype(np.float64), np.repeat([0.0, 1.0, 2.0], 50), "make_spirals: labels, class by class")
    t = np.tile(np.arange(1, 51) / 50, 3)
    assert_close(np.hypot(x[:, 0], x[:, 1]), t, "make_spirals: radius of each point (t = i / n_per_class)")
    noise = np.angle(np.exp(1j * (np.arctan2(x[:, 1], x[:, 0]) - 2 * np.pi * (t + y / 3))))
    # 150 draws of 0.2 e: the sample standard deviation is 0.2 within about 0.012
    if not (0.16 < noise.std() < 0.24 and abs(noise.mean()) < 0.05):
        raise AssertionError(f"make_spirals: the angles stray from 2 pi (t + k / 3) by a mean of {noise.mean():.3g} "
                             f"and a standard deviation of {noise.std():.3g} radians; expected noise 0.2 e, e standard "
                             "normal (mean 0, standard deviation 0.2)")
    again, _ = tr.make_spirals(50, 3, seed=4)
    other, _ = tr.make_spirals(50, 3, seed=5)
    assert_close(again, x, "make_spirals with the same seed twice", rtol=0.0, atol=0.0)
    if np.allclose(other, x):
        raise AssertionError("make_spirals: seeds 4 and 5 gave the same points (is the seed used?)")


def test_accuracy_is_the_fraction_of_argmax_hits(tr):
    scores = np.array([[0.1, 0.9], [2.0, -1.0], [0.0, 3.0], [5.0, 4.0], [1.0, 2.0]])
    assert_close(tr.accuracy(scores, np.array([1, 0, 0, 1, 1])), 0.6, "accuracy of 3 hits in 5")


def test_predict_returns_the_class_of_largest_score(tr):
    params = {"W1": np.array([[1.0, -1.0, 0.0]]), "b1": np.array([0.0, 0.0, 0.5])}
    got = expect_array(tr.predict(params, np.array([[2.0], [-2.0], [0.1]]), "relu"), "predict", shape=(3,), kind="i")
    assert_close(got.astype(np.float64), np.array([0.0, 1.0, 2.0]), "predict with a one-layer network")


def test_mse_through_a_saturated_sigmoid_gives_a_vanishing_gradient_cross_entropy_does_not(tr):
    # the reason cross-entropy learns XOR faster: a confidently wrong sigmoid output barely moves under MSE
    params = {"W1": np.array([[0.0, 0.0]]), "b1": np.array([-8.0, 8.0])}
    x, labels = np.array([[1.0], [0.0]]), np.array([0, 0])
    _, mse_grads = tr.loss_and_grads(params, x, labels, "mse", "sigmoid")
    _, ce_grads = tr.loss_and_grads(params, x, labels, "cross_entropy", "sigmoid")
    p = 1 / (1 + np.exp(-8.0))
    # mse over 2 x 2 entries: d/db of mean((sigmoid(b) - onehot)^2) summed over the two rows
    expected_mse = 2 * np.array([2 * ((1 - p) - 1) * p * (1 - p), 2 * p * p * (1 - p)]) / 4
    assert_close(mse_grads["b1"], expected_mse, "loss_and_grads('mse'): db1 with saturated outputs")
    softmax = np.exp([-8.0, 8.0]) / np.exp([-8.0, 8.0]).sum()
    assert_close(ce_grads["b1"], softmax - np.array([1.0, 0.0]), "loss_and_grads('cross_entropy'): db1")


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


def test_history_starts_at_the_initial_loss(tr, ref):
    x, y = ref.make_xor()
    params = tr.init_params([2, 4, 2], 5, "xavier")
    result = tr.train(x, y, [2, 4, 2], loss="cross_entropy", activation="tanh", lr=0.5, epochs=3, seed=5)
    _expect_result(result, 3, "train for 3 epochs")
    initial = ref.loss_and_grads(params, x, y, "cross_entropy", "tanh")[0]
    assert_close(result["history"][0], initial, "history[0]: the loss of init_params([2, 4, 2], seed 5, 'xavier')")


def test_training_is_reproducible_with_the_same_seed(tr, ref):
    x, y = ref.make_spirals(20, 3, seed=1)
    runs = [tr.train(x, y, [2, 6, 3], loss="cross_entropy", activation="relu", lr=0.3, epochs=50, seed=s)
            for s in (11, 11, 12)]
    for run in runs:
        _expect_result(run, 50, "train on 60 spiral points")
    assert_close(runs[1]["history"], runs[0]["history"], "history of two runs with seed 11", rtol=0.0, atol=0.0)
    assert_close(runs[1]["params"]["W1"], runs[0]["params"]["W1"], "trained W1 of two runs with seed 11", rtol=0.0,
                 atol=0.0)
    if np.array_equal(runs[2]["history"], runs[0]["history"]):
        raise AssertionError("train: seeds 11 and 12 gave the same history (does the seed reach init_params?)")


def test_training_stops_on_a_non_finite_loss_and_names_the_epoch(tr, ref):
    x, y = ref.make_spirals(20, 3, seed=0)
    tr.train(x, y, [2, 8, 3], loss="cross_entropy", activation="relu", lr=0.1, epochs=5, seed=0)
    exc = assert_raises(ArithmeticError, lambda: tr.train(x, y, [2, 8, 3], loss="cross_entropy", activation="relu",
                                                          lr=1e300, epochs=50, seed=0),
                        "train with learning rate 1e300", mentions=("epoch",))
    if getattr(exc, "remote_type", type(exc).__name__) != "TrainingDiverged":
        raise AssertionError(f"train: expected TrainingDiverged, got {getattr(exc, 'remote_type', type(exc).__name__)}")


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
                  "train with layer_sizes [3, 3, 2] on x of shape (4, 2)", mentions=("layer 1", "(4, 2)"))
