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


def test_linear_forward_adds_the_bias_to_every_row(fw, rng):
    # batch 2, 3 features in, 4 out: distinct sizes so a swapped axis cannot pass
    x, w, b = rng.normal(size=(2, 3)), rng.normal(size=(3, 4)), rng.normal(size=4)
    out, _ = fw.linear_forward(x, w, b)
    assert_close(out, x @ w + b, "linear_forward(x, w, b) with x (2, 3), w (3, 4)")


def test_linear_forward_refuses_inner_sizes_that_differ(fw, rng):
    fw.linear_forward(np.ones((2, 3)), np.ones((3, 4)), np.zeros(4))
    assert_raises(ValueError, lambda: fw.linear_forward(np.ones((2, 3)), np.ones((4, 5)), np.zeros(5)),
                  "linear_forward with x (2, 3) and w (4, 5)", mentions=("(2, 3)", "(4, 5)"))


def test_linear_forward_refuses_a_bias_of_the_wrong_length(fw):
    fw.linear_forward(np.ones((2, 3)), np.ones((3, 4)), np.zeros(4))
    assert_raises(ValueError, lambda: fw.linear_forward(np.ones((2, 3)), np.ones((3, 4)), np.zeros(3)),
                  "linear_forward with b (3,) for w (3, 4)", mentions=("(3,)",))


def test_sigmoid_forward_of_fixed_values(fw):
    x = np.array([[0.0, np.log(3.0), -np.log(3.0)]])
    out, _ = fw.sigmoid_forward(x)
    assert_close(expect_array(out, "sigmoid_forward(x)", shape=(1, 3)), np.array([[0.5, 0.75, 0.25]]),
                 "sigmoid_forward([0, log 3, -log 3])")


def test_sigmoid_forward_survives_plus_and_minus_1000(fw):
    out, _ = fw.sigmoid_forward(np.array([-1000.0, -40.0, 40.0, 1000.0]))
    expected = np.array([0.0, np.exp(-40.0) / (1 + np.exp(-40.0)), 1.0 / (1.0 + np.exp(-40.0)), 1.0])
    assert_close(expect_array(out, "sigmoid_forward(+-1000)", shape=(4,)), expected,
                 "sigmoid_forward([-1000, -40, 40, 1000])", rtol=1e-12, atol=1e-300)


def test_relu_forward_zeroes_negatives_and_keeps_positives(fw):
    x = np.array([[-2.0, -0.5, 0.0], [0.25, 3.0, -1e-9]])
    out, _ = fw.relu_forward(x)
    assert_close(expect_array(out, "relu_forward(x)", shape=(2, 3)), np.array([[0.0, 0.0, 0.0], [0.25, 3.0, 0.0]]),
                 "relu_forward(x)", atol=0.0, rtol=0.0)


def test_tanh_forward_matches_the_hyperbolic_tangent(fw, rng):
    x = rng.normal(size=(3, 2)) * 2
    out, _ = fw.tanh_forward(x)
    assert_close(out, np.tanh(x), "tanh_forward(x)")


@pytest.mark.parametrize("sizes", [(3, 5, 4), (3, 5, 6, 4)], ids=["2-layer", "3-layer"])
@pytest.mark.parametrize("activation", ["relu", "sigmoid", "tanh"])
def test_mlp_forward_matches_the_reference(fw, ref, rng, sizes, activation):
    params = _params(rng, sizes)
    x = rng.normal(size=(2, sizes[0]))
    scores, caches = fw.mlp_forward(x, params, activation)
    expected, _ = ref.mlp_forward(x, params, activation)
    name = f"mlp_forward({len(sizes) - 1} layers, {activation})"
    assert_close(expect_array(scores, name, shape=(2, sizes[-1])), expected, name)
    if not isinstance(caches, (list, tuple)) or len(caches) != len(sizes) - 1:
        got = len(caches) if isinstance(caches, (list, tuple)) else type(caches).__name__
        raise AssertionError(f"{name}: expected a list of {len(sizes) - 1} caches, one per layer, got {got}")


def test_mlp_forward_applies_no_activation_after_the_last_layer(fw, rng):
    # with ReLU after the last layer no score could be negative, and with sigmoid none above 1
    params = _params(rng, (2, 4, 3))
    params["b2"] = np.array([-3.0, 0.0, 5.0])
    x = rng.normal(size=(5, 2))
    for activation in ("relu", "sigmoid"):
        scores, _ = fw.mlp_forward(x, params, activation)
        hidden = {"relu": np.maximum(x @ params["W1"] + params["b1"], 0.0),
                  "sigmoid": 1.0 / (1.0 + np.exp(-(x @ params["W1"] + params["b1"])))}[activation]
        assert_close(scores, hidden @ params["W2"] + params["b2"], f"mlp_forward scores with {activation}")


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


def test_mlp_forward_refuses_an_unknown_activation(fw, rng):
    params = _params(rng, (2, 4, 3))
    x = rng.normal(size=(3, 2))
    fw.mlp_forward(x, params, "sigmoid")
    assert_raises(ValueError, lambda: fw.mlp_forward(x, params, "softplus"), "mlp_forward with activation 'softplus'",
                  mentions=("softplus",))
