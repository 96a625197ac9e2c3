"""Hidden tests: feed_forward and feed_forward_backward (transformer_block.py)."""

import numpy as np
import pytest

from grader.engine.testing import assert_close, assert_raises, expect_array, module_fixture, reference_fixture

tb = module_fixture("phase3_transformer.transformer_block")
ref = reference_fixture("phase3_transformer.transformer_block")

pytestmark = pytest.mark.exercise("feed_forward")

C = np.sqrt(2.0 / np.pi)


def _gelu(h):
    return 0.5 * h * (1.0 + np.tanh(C * (h + 0.044715 * h**3)))


def _identity_params(d):
    return {"w1": np.eye(d), "b1": np.zeros(d), "w2": np.eye(d), "b2": np.zeros(d)}


def _params(rng, d, f):
    return {"w1": rng.normal(size=(d, f)) / np.sqrt(d), "b1": rng.normal(size=f) * 0.5,
            "w2": rng.normal(size=(f, d)) / np.sqrt(f), "b2": rng.normal(size=d) * 0.5}


def test_ffn_with_identity_weights_is_relu(tb):
    x = np.array([[[-2.0, -0.5, 0.25, 3.0], [1.0, -1.0, 0.0, 2.0]]])
    out, _ = tb.feed_forward(x, _identity_params(4))
    assert_close(expect_array(out, "feed_forward(x (1, 2, 4))", shape=(1, 2, 4)), np.maximum(x, 0.0),
                 "feed_forward with identity weights (relu)")


def test_ffn_gelu_is_the_tanh_approximation(tb):
    x = np.array([[-3.0, -1.0, -0.1, 0.0, 0.5, 1.0, 2.5]])
    out, _ = tb.feed_forward(x, _identity_params(7), activation="gelu")
    assert_close(out, _gelu(x), "feed_forward(..., activation='gelu') with identity weights", rtol=1e-10)
    assert_close(out[0, 5], 0.8411919906082768, "gelu(1)", rtol=1e-9)


def test_ffn_matches_the_two_layer_formula(tb, rng):
    # width 4, hidden 6, batch 2, length 3
    x = rng.normal(size=(2, 3, 4))
    p = _params(rng, 4, 6)
    out, _ = tb.feed_forward(x, p)
    expected = np.maximum(x @ p["w1"] + p["b1"], 0.0) @ p["w2"] + p["b2"]
    assert_close(expect_array(out, "feed_forward(x (2, 3, 4)) with d_ff 6", shape=(2, 3, 4)), expected,
                 "feed_forward(x, params)")


def test_ffn_with_gelu_matches_the_two_layer_formula(tb, rng):
    x = rng.normal(size=(3, 2, 5))
    p = _params(rng, 5, 7)
    out, _ = tb.feed_forward(x, p, activation="gelu")
    assert_close(out, _gelu(x @ p["w1"] + p["b1"]) @ p["w2"] + p["b2"], "feed_forward(x, params, 'gelu')")


def test_ffn_refuses_an_unknown_activation(tb, rng):
    x = rng.normal(size=(1, 2, 3))
    expect_array(tb.feed_forward(x, _params(rng, 3, 4))[0], "feed_forward(x (1, 2, 3))", shape=(1, 2, 3))
    assert_raises(ValueError, lambda: tb.feed_forward(x, _params(rng, 3, 4), activation="tanh"),
                  "feed_forward(..., activation='tanh')")


def test_ffn_refuses_w1_that_does_not_fit_x(tb, rng):
    x = rng.normal(size=(2, 3, 4))
    expect_array(tb.feed_forward(x, _params(rng, 4, 6))[0], "feed_forward(x (2, 3, 4))", shape=(2, 3, 4))
    p = _params(rng, 5, 6)
    assert_raises(ValueError, lambda: tb.feed_forward(x, p), "feed_forward of x (2, 3, 4) with w1 (5, 6)")


def test_ffn_backward_matches_the_reference(tb, ref, rng):
    x = rng.normal(size=(2, 3, 4))
    p = _params(rng, 4, 5)
    dout = rng.normal(size=(2, 3, 4))
    dx, grads = tb.feed_forward_backward(dout, tb.feed_forward(x, p)[1])
    edx, egrads = ref.feed_forward_backward(dout, ref.feed_forward(x, p)[1])
    assert_close(dx, edx, "feed_forward_backward: dx")
    for name in ("w1", "b1", "w2", "b2"):
        if name not in grads:
            raise AssertionError(f"feed_forward_backward: grads has no key {name!r} (keys: {sorted(grads)})")
        assert_close(grads[name], egrads[name], f"feed_forward_backward: grads[{name!r}]")


def test_ffn_backward_with_gelu_matches_the_reference(tb, ref, rng):
    x = rng.normal(size=(3, 2, 4))
    p = _params(rng, 4, 6)
    dout = rng.normal(size=(3, 2, 4))
    dx, grads = tb.feed_forward_backward(dout, tb.feed_forward(x, p, activation="gelu")[1])
    edx, egrads = ref.feed_forward_backward(dout, ref.feed_forward(x, p, activation="gelu")[1])
    assert_close(dx, edx, "feed_forward_backward (gelu): dx")
    assert_close(grads["w1"], egrads["w1"], "feed_forward_backward (gelu): grads['w1']")


def test_ffn_backward_stops_at_relus_that_are_off(tb, rng):
    # every hidden unit negative: nothing reaches x, w1 or b1; w2 sees zeros; b2 still gets dout
    x = rng.normal(size=(2, 3, 4))
    p = _params(rng, 4, 5)
    p["b1"] = np.full(5, -50.0)
    dout = rng.normal(size=(2, 3, 4))
    dx, grads = tb.feed_forward_backward(dout, tb.feed_forward(x, p)[1])
    assert_close(expect_array(dx, "dx", shape=(2, 3, 4)), np.zeros((2, 3, 4)), "dx when every relu is off")
    assert_close(expect_array(grads["w1"], "grads['w1']", shape=(4, 5)), np.zeros((4, 5)),
                 "grads['w1'] when every relu is off")
    assert_close(expect_array(grads["w2"], "grads['w2']", shape=(5, 4)), np.zeros((5, 4)),
                 "grads['w2'] when every relu is off")
    assert_close(expect_array(grads["b2"], "grads['b2']", shape=(4,)), dout.sum(axis=(0, 1)), "grads['b2']")


# -- the whole contract, against the reference ---------------------------------------------------
# x of rank 1 to 4, both activations (and the default), widths and hidden sizes from 1, every
# value regime (|h| in the thousands: GELU's tanh saturates), random biases (no hidden unit sits
# exactly on ReLU's kink), and every refusal. Each case is built from one drawn seed.

from grader.engine import domains as dom  # noqa: E402
from grader.engine.differential import Contract, case, contract_tests  # noqa: E402


from grader.engine.domains import seeded as _seeded  # noqa: E402


def _ffn_case(rng):
    shape = tuple(int(n) for n in rng.integers(1, 5, size=rng.integers(1, 5)))
    regime = str(rng.choice(dom.FLOAT_REGIMES))
    p = _params(rng, shape[-1], int(rng.integers(1, 7)))
    activation = (None, "relu", "gelu", "gelu")[int(rng.integers(4))]
    if activation is None:
        return case(dom.fill(rng, shape, regime), p, note=f"{regime} x, the default activation")
    return case(dom.fill(rng, shape, regime), p, activation=activation, note=f"{regime} x")


_X = np.ones((2, 3, 4))
_P = _params(np.random.default_rng(0), 4, 5)

CONTRACTS = [
    Contract("phase3_transformer.transformer_block", "feed_forward", _seeded(_ffn_case), examples=10,
             project=lambda result: result[0],
             fixed=[case(_X, _P, activation="tanh", note="an unknown activation"),
                    case(_X, _P, activation="", note="an empty activation name"),
                    case(_X, _params(np.random.default_rng(1), 5, 5), note="w1 (5, 5) for x of width 4"),
                    case(_X, {**_P, "b1": np.zeros(6)}, note="b1 (6,) for F = 5"),
                    case(_X, {**_P, "w2": np.ones((5, 3))}, note="w2 (5, 3) for D = 4"),
                    case(_X, {**_P, "w2": np.ones((4, 5))}, note="w2 transposed"),
                    case(_X, {**_P, "b2": np.zeros(1)}, note="b2 (1,) that would broadcast")]),
]
globals().update(contract_tests(CONTRACTS))
