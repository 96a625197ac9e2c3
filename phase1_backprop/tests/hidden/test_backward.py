"""Hidden tests: backward.py (each layer's backward pass, the two losses, the whole network's backward pass)."""

import numpy as np
import pytest

from grader.engine.testing import assert_close, assert_raises, expect_array, expect_float, module_fixture, reference_fixture

fw = module_fixture("phase1_backprop.forward")
bw = module_fixture("phase1_backprop.backward")
ref_fw = reference_fixture("phase1_backprop.forward")
ref_bw = reference_fixture("phase1_backprop.backward")

pytestmark = pytest.mark.exercise("backward")


def _params(rng, sizes):
    params = {}
    for layer, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
        params[f"W{layer}"] = rng.normal(size=(fan_in, fan_out)) / np.sqrt(fan_in)
        params[f"b{layer}"] = rng.normal(size=fan_out) * 0.5
    return params


def test_linear_backward_on_a_hand_computed_case(fw, bw):
    x = np.array([[1.0, 2.0], [3.0, -1.0], [0.0, 1.0]])  # N = 3, D_in = 2
    w = np.array([[1.0, -1.0, 2.0, 0.0], [0.5, 0.0, 1.0, -2.0]])  # D_out = 4
    dout = np.array([[1.0, 0.0, 0.0, 2.0], [0.0, 1.0, -1.0, 0.0], [1.0, 1.0, 1.0, 1.0]])
    _, cache = fw.linear_forward(x, w, np.zeros(4))
    dx, dw, db = bw.linear_backward(dout, cache)
    assert_close(expect_array(dx, "dx", shape=(3, 2)), dout @ w.T, "dx = dout @ w.T")
    assert_close(expect_array(dw, "dw", shape=(2, 4)), np.array([[1.0, 3.0, -3.0, 2.0], [3.0, 0.0, 2.0, 5.0]]), "dw")
    assert_close(expect_array(db, "db", shape=(4,)), np.array([2.0, 2.0, 0.0, 3.0]), "db")


def test_weight_gradient_is_not_transposed(fw, bw, rng):
    # w is (3, 4); dw must be (3, 4) too, not dout.T @ x of shape (4, 3)
    x, w, b = rng.normal(size=(2, 3)), rng.normal(size=(3, 4)), rng.normal(size=4)
    _, cache = fw.linear_forward(x, w, b)
    _, dw, _ = bw.linear_backward(rng.normal(size=(2, 4)), cache)
    expect_array(dw, "dw for w of shape (3, 4)", shape=(3, 4))


def test_bias_gradient_is_summed_over_the_batch(fw, bw, rng):
    # five examples each pushing the bias by 1: db is 5, not their mean 1 and not a (5, 2) array
    x, w, b = rng.normal(size=(5, 3)), rng.normal(size=(3, 2)), rng.normal(size=2)
    _, cache = fw.linear_forward(x, w, b)
    _, _, db = bw.linear_backward(np.ones((5, 2)), cache)
    assert_close(expect_array(db, "db", shape=(2,)), np.array([5.0, 5.0]), "db with dout = ones((5, 2))")


def test_linear_backward_matches_the_reference(fw, bw, rng):
    x, w, b = rng.normal(size=(4, 3)), rng.normal(size=(3, 2)), rng.normal(size=2)
    dout = rng.normal(size=(4, 2))
    _, cache = fw.linear_forward(x, w, b)
    got = bw.linear_backward(dout, cache)
    expected = (dout @ w.T, x.T @ dout, dout.sum(axis=0))
    for name, g, e in zip(("dx", "dw", "db"), got, expected):
        assert_close(g, e, f"linear_backward: {name}")


def test_linear_backward_refuses_dout_of_the_wrong_shape(fw, bw, rng):
    _, cache = fw.linear_forward(rng.normal(size=(2, 3)), rng.normal(size=(3, 4)), np.zeros(4))
    bw.linear_backward(np.ones((2, 4)), cache)
    assert_raises(ValueError, lambda: bw.linear_backward(np.ones((4, 2)), cache), "linear_backward with dout (4, 2)",
                  mentions=("(4, 2)",))


def test_relu_backward_blocks_the_gradient_at_and_below_zero(fw, bw):
    x = np.array([-2.0, -0.5, -1e-12, 0.0, 1e-12, 0.5, 3.0])
    dout = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0])
    _, cache = fw.relu_forward(x)
    got = expect_array(bw.relu_backward(dout, cache), "relu_backward", shape=(7,))
    assert_close(got, np.array([0.0, 0.0, 0.0, 0.0, 5.0, 6.0, 7.0]),
                 "relu_backward at x = [-2, -0.5, -1e-12, 0, 1e-12, 0.5, 3] (0 at x <= 0)", atol=0.0, rtol=0.0)


def test_sigmoid_backward_is_out_times_one_minus_out(fw, bw):
    # at x = 0 the output is 1/2 and the slope 1/4; at x = log 3 the output is 3/4 and the slope 3/16
    x = np.array([[0.0, np.log(3.0)], [-np.log(3.0), 0.0]])
    dout = np.array([[1.0, 2.0], [4.0, -8.0]])
    _, cache = fw.sigmoid_forward(x)
    got = bw.sigmoid_backward(dout, cache)
    assert_close(got, np.array([[0.25, 2 * 3 / 16], [4 * 3 / 16, -2.0]]), "sigmoid_backward at x = 0, +-log 3")


def test_tanh_backward_is_one_minus_out_squared(fw, bw, rng):
    x = rng.normal(size=(2, 3))
    dout = rng.normal(size=(2, 3))
    _, cache = fw.tanh_forward(x)
    assert_close(bw.tanh_backward(dout, cache), dout * (1 - np.tanh(x) ** 2), "tanh_backward")


def test_mse_loss_value_and_gradient_on_a_hand_computed_case(bw):
    pred = np.array([[1.0, 2.0], [4.0, -1.0]])
    target = np.array([[0.0, 2.0], [1.0, 1.0]])
    loss, dpred = bw.mse_loss(pred, target)
    assert_close(expect_float(loss, "mse_loss"), (1 + 0 + 9 + 4) / 4, "mse_loss value")
    assert_close(expect_array(dpred, "dpred", shape=(2, 2)), 2 * (pred - target) / 4,
                 "mse_loss gradient: 2 (pred - target) / number of entries")


def test_mse_loss_refuses_shapes_that_would_broadcast(bw):
    bw.mse_loss(np.ones((3, 1)), np.zeros((3, 1)))
    assert_raises(ValueError, lambda: bw.mse_loss(np.ones(3), np.ones((3, 1))), "mse_loss of (3,) and (3, 1)",
                  mentions=("(3,)", "(3, 1)"))


def test_softmax_cross_entropy_on_a_hand_computed_case(bw):
    scores = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]])
    labels = np.array([2, 0])
    p = np.exp([1.0, 2.0, 3.0]) / np.exp([1.0, 2.0, 3.0]).sum()
    loss, dscores = bw.softmax_cross_entropy(scores, labels)
    assert_close(expect_float(loss, "softmax_cross_entropy"), (-np.log(p[2]) + np.log(3.0)) / 2, "cross-entropy value")
    expected = np.array([[p[0], p[1], p[2] - 1.0], [1 / 3 - 1.0, 1 / 3, 1 / 3]]) / 2
    assert_close(expect_array(dscores, "dscores", shape=(2, 3)), expected, "dscores = (softmax - onehot) / N")


def test_cross_entropy_gradient_is_divided_by_the_batch(bw, rng):
    # the same row repeated N times: the mean loss is unchanged, each row's gradient shrinks as 1/N
    row = rng.normal(size=(1, 4))
    _, one = bw.softmax_cross_entropy(row, np.array([3]))
    loss, many = bw.softmax_cross_entropy(np.repeat(row, 5, axis=0), np.full(5, 3))
    _ = expect_float(loss, "softmax_cross_entropy")
    assert_close(many, np.repeat(one, 5, axis=0) / 5, "dscores of 5 copies of a row against 1/5 of one copy's")


def test_softmax_cross_entropy_survives_scores_of_1000(bw):
    loss, dscores = bw.softmax_cross_entropy(np.array([[1000.0, 0.0], [0.0, 1000.0]]), np.array([1, 0]))
    assert_close(loss, 1000.0, "cross-entropy of confident wrong answers")
    assert_close(dscores, np.array([[0.5, -0.5], [-0.5, 0.5]]), "dscores of confident wrong answers")


def test_softmax_cross_entropy_refuses_labels_out_of_range(bw):
    scores = np.zeros((2, 3))
    bw.softmax_cross_entropy(scores, np.array([0, 2]))
    assert_raises(ValueError, lambda: bw.softmax_cross_entropy(scores, np.array([0, 3])),
                  "softmax_cross_entropy with label 3 for 3 classes", mentions=("3",))
    assert_raises(ValueError, lambda: bw.softmax_cross_entropy(scores, np.array([-1, 0])), "label -1",
                  mentions=("-1",))


@pytest.mark.parametrize("sizes", [(3, 5, 4), (3, 5, 6, 4)], ids=["2-layer", "3-layer"])
def test_mlp_backward_returns_every_parameter_with_its_shape(fw, bw, rng, sizes):
    params = _params(rng, sizes)
    x = rng.normal(size=(2, sizes[0]))
    scores, caches = fw.mlp_forward(x, params, "tanh")
    grads = bw.mlp_backward(rng.normal(size=(2, sizes[-1])), caches)
    if not isinstance(grads, dict) or set(grads) != set(params):
        got = sorted(grads) if isinstance(grads, dict) else type(grads).__name__
        raise AssertionError(f"mlp_backward: expected a dict with the keys {sorted(params)}, got {got}")
    for key, value in params.items():
        expect_array(grads[key], f"mlp_backward: grads[{key!r}]", shape=value.shape)


@pytest.mark.parametrize("sizes", [(3, 5, 4), (3, 5, 6, 4)], ids=["2-layer", "3-layer"])
@pytest.mark.parametrize("activation", ["relu", "sigmoid", "tanh"])
def test_mlp_backward_matches_the_reference(fw, bw, ref_fw, ref_bw, rng, sizes, activation):
    params = _params(rng, sizes)
    x = rng.normal(size=(4, sizes[0]))
    dscores = rng.normal(size=(4, sizes[-1]))
    _, caches = fw.mlp_forward(x, params, activation)
    grads = bw.mlp_backward(dscores, caches)
    _, ref_caches = ref_fw.mlp_forward(x, params, activation)
    expected = ref_bw.mlp_backward(dscores, ref_caches)
    if not isinstance(grads, dict):
        raise AssertionError(f"mlp_backward: expected a dict of gradients, got {type(grads).__name__}")
    for key in expected:
        if key not in grads:
            raise AssertionError(f"mlp_backward: no gradient for {key}")
        assert_close(grads[key], expected[key], f"mlp_backward ({len(sizes) - 1} layers, {activation}): {key}")
