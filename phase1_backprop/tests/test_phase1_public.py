"""Public tests of phase 1: run them with `make check PHASE=phase1_backprop`.

Each test names the exercise it belongs to (`-k relu_backward` runs the tests of one function).
Some of them check your backward functions against finite differences of your *own* forward
functions: they tell you whether the two agree. The grader runs more, hidden, tests, and its own
gradient checks against the reference forward pass.
"""

import numpy as np
import pytest

from grader.engine.testing import assert_close, assert_raises, assert_unchanged, expect_array, expect_float, module_fixture

fw = module_fixture("phase1_backprop.forward")
bw = module_fixture("phase1_backprop.backward")
tr = module_fixture("phase1_backprop.train", timeout=60)
gc = module_fixture("phase1_backprop.gradcheck", timeout=30)


def _params(rng, sizes):
    params = {}
    for layer, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
        params[f"W{layer}"] = rng.normal(size=(fan_in, fan_out)) / np.sqrt(fan_in)
        params[f"b{layer}"] = rng.normal(size=fan_out) * 0.5
    return params


# -- 1.1 forward -----------------------------------------------------------------------------------


@pytest.mark.exercise("forward")
def test_linear_forward_of_a_small_case(fw):
    x = np.array([[1.0, 2.0], [-1.0, 0.0]])
    w = np.array([[1.0, 0.0, 2.0], [0.0, 1.0, -1.0]])
    out, _ = fw.linear_forward(x, w, np.array([0.5, 0.0, -0.5]))
    assert_close(expect_array(out, "linear_forward", shape=(2, 3)), np.array([[1.5, 2.0, -0.5], [-0.5, 0.0, -2.5]]),
                 "linear_forward(x, w, b)")


@pytest.mark.exercise("forward")
def test_linear_forward_refuses_mismatched_shapes(fw):
    fw.linear_forward(np.ones((2, 3)), np.ones((3, 4)), np.zeros(4))
    assert_raises(ValueError, lambda: fw.linear_forward(np.ones((2, 3)), np.ones((2, 4)), np.zeros(4)),
                  "linear_forward with x (2, 3) and w (2, 4)", mentions=("(2, 3)", "(2, 4)"))


@pytest.mark.exercise("forward")
def test_sigmoid_forward_at_zero_and_far_out(fw):
    out, _ = fw.sigmoid_forward(np.array([0.0, -1000.0, 1000.0]))
    assert_close(expect_array(out, "sigmoid_forward", shape=(3,)), np.array([0.5, 0.0, 1.0]),
                 "sigmoid_forward([0, -1000, 1000])")


@pytest.mark.exercise("forward")
def test_relu_forward_and_tanh_forward_of_fixed_values(fw):
    x = np.array([[-1.5, 0.0, 2.0]])
    relu, _ = fw.relu_forward(x)
    assert_close(expect_array(relu, "relu_forward", shape=(1, 3)), np.array([[0.0, 0.0, 2.0]]), "relu_forward(x)")
    tanh, _ = fw.tanh_forward(x)
    assert_close(expect_array(tanh, "tanh_forward", shape=(1, 3)), np.tanh(x), "tanh_forward(x)")


@pytest.mark.exercise("forward")
@pytest.mark.parametrize("sizes", [(3, 5, 2), (3, 5, 4, 2)], ids=["2-layer", "3-layer"])
def test_mlp_forward_gives_scores_and_one_cache_per_layer(fw, rng, sizes):
    params = _params(rng, sizes)
    x = rng.normal(size=(4, 3))
    scores, caches = fw.mlp_forward(x, params, "tanh")
    h = x
    for layer in range(1, len(sizes)):
        h = h @ params[f"W{layer}"] + params[f"b{layer}"]
        if layer < len(sizes) - 1:
            h = np.tanh(h)
    assert_close(expect_array(scores, "mlp_forward scores", shape=(4, 2)), h, "mlp_forward scores")
    if len(caches) != len(sizes) - 1:
        raise AssertionError(f"mlp_forward: expected {len(sizes) - 1} caches, one per layer, got {len(caches)}")


@pytest.mark.exercise("forward")
def test_mlp_forward_names_the_layer_that_does_not_chain(fw, rng):
    params = _params(rng, (3, 5, 4, 2))
    x = rng.normal(size=(4, 3))
    fw.mlp_forward(x, params, "relu")
    params["W3"] = np.ones((3, 2))
    assert_raises(ValueError, lambda: fw.mlp_forward(x, params, "relu"), "mlp_forward with W2 (5, 4) and W3 (3, 2)",
                  mentions=("layer 3",))


# -- 1.2 backward ----------------------------------------------------------------------------------


@pytest.mark.exercise("backward")
def test_linear_backward_gives_each_gradient_the_shape_of_its_variable(fw, bw, rng):
    x, w, b = rng.normal(size=(2, 3)), rng.normal(size=(3, 4)), rng.normal(size=4)
    _, cache = fw.linear_forward(x, w, b)
    dx, dw, db = bw.linear_backward(np.ones((2, 4)), cache)
    expect_array(dx, "dx", shape=(2, 3))
    expect_array(dw, "dw (like w, not transposed)", shape=(3, 4))
    expect_array(db, "db (summed over the batch)", shape=(4,))
    assert_close(db, np.full(4, 2.0), "db with dout = ones((2, 4)): one per example, added up")


@pytest.mark.exercise("backward")
def test_linear_backward_agrees_with_finite_differences_of_your_linear_forward(fw, bw, gradcheck, rng):
    x, w, b, dout = rng.normal(size=(2, 3)), rng.normal(size=(3, 4)), rng.normal(size=4), rng.normal(size=(2, 4))
    _, cache = fw.linear_forward(x, w, b)
    dx, dw, db = bw.linear_backward(dout, cache)
    gradcheck("dx", dx, lambda x_: fw.linear_forward(x_, w, b)[0], x, dout)
    gradcheck("dw", dw, lambda w_: fw.linear_forward(x, w_, b)[0], w, dout)
    gradcheck("db", db, lambda b_: fw.linear_forward(x, w, b_)[0], b, dout)


@pytest.mark.exercise("backward")
def test_relu_backward_is_zero_at_and_below_zero(fw, bw):
    x = np.array([-1.0, 0.0, 1.0])
    _, cache = fw.relu_forward(x)
    assert_close(bw.relu_backward(np.array([5.0, 5.0, 5.0]), cache), np.array([0.0, 0.0, 5.0]),
                 "relu_backward at x = [-1, 0, 1]")


@pytest.mark.exercise("backward")
def test_sigmoid_backward_at_zero_is_a_quarter(fw, bw):
    _, cache = fw.sigmoid_forward(np.zeros((2, 2)))
    assert_close(bw.sigmoid_backward(np.ones((2, 2)), cache), np.full((2, 2), 0.25), "sigmoid_backward at x = 0")


@pytest.mark.exercise("backward")
def test_tanh_backward_agrees_with_finite_differences_of_your_tanh_forward(fw, bw, gradcheck, rng):
    x, dout = rng.normal(size=(3, 2)), rng.normal(size=(3, 2))
    _, cache = fw.tanh_forward(x)
    gradcheck("tanh_backward", bw.tanh_backward(dout, cache), lambda x_: fw.tanh_forward(x_)[0], x, dout)


@pytest.mark.exercise("backward")
def test_mse_loss_of_a_small_case(bw):
    loss, dpred = bw.mse_loss(np.array([[1.0, 3.0]]), np.array([[0.0, 1.0]]))
    assert_close(expect_float(loss, "mse_loss"), 2.5, "mse_loss([[1, 3]], [[0, 1]])")
    assert_close(expect_array(dpred, "dpred", shape=(1, 2)), np.array([[1.0, 2.0]]), "mse_loss gradient")


@pytest.mark.exercise("backward")
def test_softmax_cross_entropy_of_uniform_scores(bw):
    loss, dscores = bw.softmax_cross_entropy(np.zeros((2, 4)), np.array([1, 3]))
    assert_close(expect_float(loss, "softmax_cross_entropy"), np.log(4), "cross-entropy of equal scores: log C")
    expected = (np.full((2, 4), 0.25) - np.array([[0, 1, 0, 0], [0, 0, 0, 1]])) / 2
    assert_close(expect_array(dscores, "dscores", shape=(2, 4)), expected, "(softmax - onehot) / N")


@pytest.mark.exercise("backward")
@pytest.mark.parametrize("activation", ["sigmoid", "relu", "tanh"])
def test_mlp_backward_agrees_with_finite_differences_of_your_mlp_forward(fw, bw, gradcheck, rng, activation):
    params = _params(rng, (3, 4, 5, 2))
    x, dscores = rng.normal(size=(2, 3)), rng.normal(size=(2, 2))
    _, caches = fw.mlp_forward(x, params, activation)
    grads = bw.mlp_backward(dscores, caches)
    for key in params:  # (with ReLU, a pre-activation within 1e-6 of 0 would upset this; it is very unlikely)
        gradcheck(f"mlp_backward {key}", grads[key],
                  lambda p_, key=key: fw.mlp_forward(x, {**params, key: p_}, activation)[0], params[key], dscores)


@pytest.mark.exercise("backward")
def test_mlp_backward_leaves_its_inputs_unchanged(fw, bw, rng):
    params = _params(rng, (3, 4, 2))
    x, dscores = rng.normal(size=(2, 3)), rng.normal(size=(2, 2))
    saved = {key: value.copy() for key, value in params.items()}
    x_saved, d_saved = x.copy(), dscores.copy()
    _, caches = fw.mlp_forward(x, params, "relu")
    bw.mlp_backward(dscores, caches)
    assert_unchanged(x_saved, x, "mlp_forward / mlp_backward (x)")
    assert_unchanged(d_saved, dscores, "mlp_backward (dscores)")
    for key in params:
        assert_unchanged(saved[key], params[key], f"mlp_forward / mlp_backward ({key})")


# -- 1.3 train -------------------------------------------------------------------------------------


@pytest.mark.exercise("train")
def test_init_params_shapes_and_zero_biases(tr):
    params = tr.init_params([2, 3, 4], 0, "xavier")
    expect_array(params["W1"], "W1", shape=(2, 3))
    expect_array(params["W2"], "W2", shape=(3, 4))
    assert_close(params["b1"], np.zeros(3), "b1")
    assert_close(params["b2"], np.zeros(4), "b2")
    again = tr.init_params([2, 3, 4], 0, "xavier")
    assert_close(again["W1"], params["W1"], "init_params with the same seed twice", rtol=0.0, atol=0.0)


@pytest.mark.exercise("train")
def test_init_params_draws_each_weight_at_random(tr):
    # equal weights make every hidden unit learn the same thing; He's std is sqrt(2 / fan_in)
    w = expect_array(tr.init_params([200, 100, 3], 0, "he")["W1"], "W1 of init_params([200, 100, 3], 0, 'he')",
                     shape=(200, 100))
    distinct = np.unique(w).size
    if distinct < w.size // 2:
        raise AssertionError(f"W1: only {distinct} distinct values among {w.size} weights; draw each one at random")
    assert_close(float(w.std()), np.sqrt(2.0 / 200), "the standard deviation of W1's 20000 weights (He: sqrt(2 / 200))",
                 rtol=0.05)


@pytest.mark.exercise("train")
def test_sgd_step_of_a_small_case_leaves_its_inputs_unchanged(tr):
    params = {"W1": np.array([[1.0, 2.0]]), "b1": np.array([0.0])}
    grads = {"W1": np.array([[1.0, -1.0]]), "b1": np.array([2.0])}
    saved = {key: value.copy() for key, value in params.items()}
    new, velocity = tr.sgd_step(params, grads, 0.5)
    assert_close(new["W1"], np.array([[0.5, 2.5]]), "sgd_step: W1 - 0.5 dW1")
    assert_close(new["b1"], np.array([-1.0]), "sgd_step: b1 - 0.5 db1")
    for key in params:
        assert_unchanged(saved[key], params[key], f"sgd_step ({key})")
    new2, _ = tr.sgd_step(new, grads, 0.5, velocity, 0.5)
    assert_close(new2["W1"], np.array([[-0.25, 3.25]]), "sgd_step with momentum 0.5: W1 after two steps")


@pytest.mark.exercise("train")
def test_make_xor_and_make_spirals_shapes(tr):
    x, y = tr.make_xor()
    assert_close(expect_array(x, "make_xor x", shape=(4, 2)), np.array([[0, 0], [0, 1], [1, 0], [1, 1]]), "XOR inputs")
    assert_close(expect_array(y, "make_xor y", shape=(4,), kind="i").astype(np.float64), np.array([0, 1, 1, 0]),
                 "XOR labels")
    x, y = tr.make_spirals(10, 3, seed=0)
    expect_array(x, "make_spirals x", shape=(30, 2))
    assert_close(expect_array(y, "make_spirals y", shape=(30,), kind="i").astype(np.float64), np.repeat([0, 1, 2], 10),
                 "spiral labels")


@pytest.mark.exercise("train")
def test_accuracy_of_a_small_case(tr):
    assert_close(tr.accuracy(np.array([[1.0, 0.0], [0.0, 1.0], [3.0, 2.0]]), np.array([0, 0, 0])), 2 / 3,
                 "accuracy with 2 of 3 right")


@pytest.mark.exercise("train")
@pytest.mark.parametrize("loss", ["cross_entropy", "mse"])
def test_loss_and_grads_agrees_with_finite_differences_of_itself(tr, gradcheck, rng, loss):
    params = _params(rng, (2, 4, 3))
    x, labels = rng.normal(size=(5, 2)), np.array([0, 2, 1, 1, 0])
    _, grads = tr.loss_and_grads(params, x, labels, loss, "tanh")
    for key in params:
        gradcheck(f"loss_and_grads ({loss}) {key}", grads[key],
                  lambda p_, key=key: tr.loss_and_grads({**params, key: p_}, x, labels, loss, "tanh")[0], params[key])


@pytest.mark.exercise("train")
def test_train_solves_xor_with_cross_entropy(tr):
    x, y = tr.make_xor()
    result = tr.train(x, y, [2, 8, 2], loss="cross_entropy", activation="sigmoid", lr=2.0, epochs=500, seed=0)
    expect_array(result["history"], "history", shape=(500,))
    if result["accuracy"] != 1.0:
        raise AssertionError(f"train on XOR with cross-entropy: accuracy {result['accuracy']:.0%} after 500 epochs, "
                             "expected 100 %")


@pytest.mark.exercise("train")
def test_train_stops_when_the_loss_is_not_finite(tr):
    x, y = tr.make_spirals(10, 3, seed=0)
    assert_raises(ArithmeticError, lambda: tr.train(x, y, [2, 8, 3], loss="cross_entropy", activation="relu",
                                                    lr=1e300, epochs=20, seed=0),
                  "train with learning rate 1e300", mentions=("epoch",))


# -- 1.4 gradcheck ---------------------------------------------------------------------------------


@pytest.mark.exercise("gradcheck")
def test_check_linear_backward_passes_a_right_layer(gc, rng):
    reports = gc.check_linear_backward(rng.normal(size=(2, 3)), rng.normal(size=(3, 4)), rng.normal(size=4),
                                       rng.normal(size=(2, 4)))
    for key in ("x", "w", "b"):
        if reports[key]["passed"] is not True:
            raise AssertionError(f"check_linear_backward: {key} did not pass: {reports[key]}")


@pytest.mark.exercise("gradcheck")
def test_check_network_gradients_reports_every_parameter(gc, rng):
    params = _params(rng, (2, 3, 2))
    reports = gc.check_network_gradients(params, rng.normal(size=(4, 2)), np.array([0, 1, 1, 0]), "mse", "sigmoid")
    if set(reports) != set(params):
        raise AssertionError(f"check_network_gradients: expected reports for {sorted(params)}, got {sorted(reports)}")
    for key, report in reports.items():
        if report["passed"] is not True:
            raise AssertionError(f"check_network_gradients: {key} did not pass: {report}")


# -- golden cases: inputs and outputs of the reference over many shapes and value regimes ----------
# (tests/_snapshots/*.npz, written by the course authors with python -m grader.authoring.snapshots)

from grader.authoring.snapshots import snapshot_tests  # noqa: E402

globals().update(snapshot_tests(__file__))
