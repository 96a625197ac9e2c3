"""The grader's gradient checks of phase 1: every backward function, and every parameter of whole networks.

The analytic gradient comes from the target's backward pass; the numerical one from the grader's
own central differences of the trusted reference forward pass (float64, a random upstream
gradient). The target's forward pass is compared with the reference as well: a gradient that
agrees with a wrong forward pass is still wrong. Inputs of ReLU are kept away from its kink at 0.
"""

import numpy as np
import pytest

from grader.engine.testing import assert_close, module_fixture, reference_fixture

fw = module_fixture("phase1_backprop.forward")
bw = module_fixture("phase1_backprop.backward")
tr = module_fixture("phase1_backprop.train")
ref_fw = reference_fixture("phase1_backprop.forward")
ref_bw = reference_fixture("phase1_backprop.backward")
ref_tr = reference_fixture("phase1_backprop.train")

pytestmark = pytest.mark.points(2)


def _params(rng, sizes):
    params = {}
    for layer, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
        params[f"W{layer}"] = rng.normal(size=(fan_in, fan_out)) / np.sqrt(fan_in)
        params[f"b{layer}"] = rng.normal(size=fan_out) * 0.5
    return params


def _network(ref_fw, rng, sizes, n, activation):
    """Random params and inputs whose pre-activations all lie at least 1e-3 away from ReLU's kink."""
    for _ in range(100):
        params = _params(rng, sizes)
        x = rng.normal(size=(n, sizes[0]))
        h, pre = x, []
        for layer in range(1, len(sizes) - 1):  # the hidden layers' pre-activations
            pre.append(h @ params[f"W{layer}"] + params[f"b{layer}"])
            h = ref_fw.ACTIVATION_FORWARD[activation](pre[-1])[0]
        if min(np.min(np.abs(z)) for z in pre) > 1e-3:
            return params, x
    raise RuntimeError("could not draw a network away from the ReLU kink")


def _away_from_zero(rng, shape):
    return rng.uniform(0.1, 2.0, size=shape) * rng.choice([-1.0, 1.0], size=shape)


@pytest.mark.gradcheck("linear_backward")
def test_gradcheck_linear_backward(fw, bw, ref_fw, gradcheck, rng):
    x, w, b = rng.normal(size=(2, 3)), rng.normal(size=(3, 4)), rng.normal(size=4)
    dout = rng.normal(size=(2, 4))
    out, cache = fw.linear_forward(x, w, b)
    assert_close(out, ref_fw.linear_forward(x, w, b)[0], "linear_forward(x, w, b)")
    dx, dw, db = bw.linear_backward(dout, cache)
    gradcheck("linear_backward: dx", dx, lambda x_: ref_fw.linear_forward(x_, w, b)[0], x, dout)
    gradcheck("linear_backward: dw", dw, lambda w_: ref_fw.linear_forward(x, w_, b)[0], w, dout)
    gradcheck("linear_backward: db", db, lambda b_: ref_fw.linear_forward(x, w, b_)[0], b, dout)


@pytest.mark.gradcheck("sigmoid_backward")
def test_gradcheck_sigmoid_backward(fw, bw, ref_fw, gradcheck, rng):
    x, dout = rng.normal(size=(3, 4)) * 2, rng.normal(size=(3, 4))
    out, cache = fw.sigmoid_forward(x)
    assert_close(out, ref_fw.sigmoid_forward(x)[0], "sigmoid_forward(x)")
    gradcheck("sigmoid_backward: dx", bw.sigmoid_backward(dout, cache), lambda x_: ref_fw.sigmoid_forward(x_)[0], x, dout)


@pytest.mark.gradcheck("relu_backward")
def test_gradcheck_relu_backward(fw, bw, ref_fw, gradcheck, rng):
    x, dout = _away_from_zero(rng, (3, 4)), rng.normal(size=(3, 4))
    out, cache = fw.relu_forward(x)
    assert_close(out, ref_fw.relu_forward(x)[0], "relu_forward(x)")
    gradcheck("relu_backward: dx", bw.relu_backward(dout, cache), lambda x_: ref_fw.relu_forward(x_)[0], x, dout)


@pytest.mark.gradcheck("tanh_backward")
def test_gradcheck_tanh_backward(fw, bw, ref_fw, gradcheck, rng):
    x, dout = rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
    out, cache = fw.tanh_forward(x)
    assert_close(out, ref_fw.tanh_forward(x)[0], "tanh_forward(x)")
    gradcheck("tanh_backward: dx", bw.tanh_backward(dout, cache), lambda x_: ref_fw.tanh_forward(x_)[0], x, dout)


@pytest.mark.gradcheck("mse_loss")
def test_gradcheck_mse_loss(bw, ref_bw, gradcheck, rng):
    pred, target = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    loss, dpred = bw.mse_loss(pred, target)
    assert_close(loss, ref_bw.mse_loss(pred, target)[0], "mse_loss value")
    gradcheck("mse_loss: dpred", dpred, lambda p_: ref_bw.mse_loss(p_, target)[0], pred)


@pytest.mark.gradcheck("softmax_cross_entropy")
def test_gradcheck_softmax_cross_entropy(bw, ref_bw, gradcheck, rng):
    scores, labels = rng.normal(size=(5, 3)) * 2, np.array([0, 2, 1, 2, 0])
    loss, dscores = bw.softmax_cross_entropy(scores, labels)
    assert_close(loss, ref_bw.softmax_cross_entropy(scores, labels)[0], "softmax_cross_entropy value")
    gradcheck("softmax_cross_entropy: dscores", dscores, lambda s_: ref_bw.softmax_cross_entropy(s_, labels)[0], scores)


MLP_CASES = [
    pytest.param(sizes, activation, id=f"{len(sizes) - 1}-layer-{activation}",
                 marks=pytest.mark.gradcheck(f"mlp_backward ({len(sizes) - 1} layers, {activation})"))
    for sizes in [(3, 4, 2), (3, 4, 5, 2)]
    for activation in ["sigmoid", "relu", "tanh"]
]


@pytest.mark.parametrize("sizes, activation", MLP_CASES)
def test_gradcheck_mlp_backward_every_parameter(fw, bw, ref_fw, gradcheck, rng, sizes, activation):
    params, x = _network(ref_fw, rng, sizes, 3, activation)
    scores, caches = fw.mlp_forward(x, params, activation)
    assert_close(scores, ref_fw.mlp_forward(x, params, activation)[0], f"mlp_forward ({activation})")
    dscores = rng.normal(size=scores.shape)
    grads = bw.mlp_backward(dscores, caches)
    if not isinstance(grads, dict) or set(grads) != set(params):
        got = sorted(grads) if isinstance(grads, dict) else type(grads).__name__
        raise AssertionError(f"mlp_backward: expected a dict with the keys {sorted(params)}, got {got}")
    for key in params:
        gradcheck(f"mlp_backward: d{key}", grads[key],
                  lambda p_, key=key: ref_fw.mlp_forward(x, {**params, key: p_}, activation)[0], params[key], dscores)


NETWORK_CASES = [
    pytest.param(sizes, activation, loss, id=f"{len(sizes) - 1}-layer-{activation}-{loss}",
                 marks=pytest.mark.gradcheck(f"network loss ({len(sizes) - 1} layers, {activation}, {loss})"))
    for sizes, activation, loss in [
        ((2, 4, 2), "sigmoid", "mse"),
        ((2, 5, 3), "relu", "cross_entropy"),
        ((2, 4, 3), "tanh", "mse"),
        ((3, 4, 5, 3), "tanh", "cross_entropy"),
        ((3, 5, 4, 2), "relu", "mse"),
        ((2, 3, 4, 3), "sigmoid", "cross_entropy"),
    ]
]


@pytest.mark.parametrize("sizes, activation, loss", NETWORK_CASES)
def test_gradcheck_whole_network_every_parameter(tr, ref_fw, ref_tr, gradcheck, rng, sizes, activation, loss):
    params, x = _network(ref_fw, rng, sizes, 4, activation)
    labels = rng.integers(0, sizes[-1], size=4)
    value, grads = tr.loss_and_grads(params, x, labels, loss, activation)
    assert_close(value, ref_tr.loss_and_grads(params, x, labels, loss, activation)[0], f"loss_and_grads: {loss} value")
    if not isinstance(grads, dict) or set(grads) != set(params):
        got = sorted(grads) if isinstance(grads, dict) else type(grads).__name__
        raise AssertionError(f"loss_and_grads: expected gradients with the keys {sorted(params)}, got {got}")
    for key in params:
        gradcheck(f"loss_and_grads: d{key}", grads[key],
                  lambda p_, key=key: ref_tr.loss_and_grads({**params, key: p_}, x, labels, loss, activation)[0],
                  params[key])
