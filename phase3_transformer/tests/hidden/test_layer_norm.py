"""Hidden tests: layer_norm and layer_norm_backward (transformer_block.py)."""

import numpy as np
import pytest

from grader.engine.testing import assert_close, assert_raises, expect_array, module_fixture, reference_fixture

tb = module_fixture("phase3_transformer.transformer_block")
ref = reference_fixture("phase3_transformer.transformer_block")

pytestmark = pytest.mark.exercise("layer_norm")


def _layer_norm(x, gamma, beta, eps=1e-5):
    # independent formula: statistics of each token over its D features, biased variance
    mu = x.mean(axis=-1, keepdims=True)
    var = ((x - mu) ** 2).mean(axis=-1, keepdims=True)
    return gamma * (x - mu) / np.sqrt(var + eps) + beta


def test_layer_norm_gives_every_token_mean_0_and_variance_1(tb, rng):
    # batch 2, length 3, width 5; shifted and scaled input so only per-token statistics can pass
    x = 4.0 * rng.normal(size=(2, 3, 5)) + 3.0
    out, _ = tb.layer_norm(x, np.ones(5), np.zeros(5))
    expect_array(out, "layer_norm(x (2, 3, 5))", shape=(2, 3, 5))
    assert_close(out.mean(axis=-1), np.zeros((2, 3)), "mean of every token after layer_norm", atol=1e-10)
    # biased variance of the output is var / (var + eps): 1 up to eps; an unbiased variance gives (D-1)/D
    assert_close(out.var(axis=-1), np.ones((2, 3)), "variance (over D, divided by D) of every token", atol=1e-4)


def test_layer_norm_of_a_hand_computed_token(tb):
    # x = [1, 2, 3, 4]: mean 2.5, biased variance 1.25
    x = np.array([[1.0, 2.0, 3.0, 4.0]])
    gamma = np.array([1.0, 2.0, -1.0, 0.5])
    beta = np.array([0.0, 1.0, 0.0, -2.0])
    xhat = np.array([-1.5, -0.5, 0.5, 1.5]) / np.sqrt(1.25 + 1e-5)
    out, _ = tb.layer_norm(x, gamma, beta)
    assert_close(out, (gamma * xhat + beta)[None], "layer_norm([[1, 2, 3, 4]])", rtol=1e-10)


def test_layer_norm_applies_gamma_and_beta_per_feature(tb, rng):
    x = rng.normal(size=(3, 2, 6))
    gamma, beta = rng.normal(size=6), rng.normal(size=6)
    assert_close(tb.layer_norm(x, gamma, beta)[0], _layer_norm(x, gamma, beta), "layer_norm(x, gamma, beta)")


def test_layer_norm_normalises_each_token_not_the_batch(tb, rng):
    # changing other tokens (other sequences, other positions) must not change this token's output
    x = rng.normal(size=(3, 4, 5))
    gamma, beta = np.ones(5), np.zeros(5)
    out, _ = tb.layer_norm(x, gamma, beta)
    y = x.copy()
    y[1:] = 10.0 * rng.normal(size=(2, 4, 5)) + 7.0
    y[0, 1:] = -5.0 * rng.normal(size=(3, 5))
    out_y, _ = tb.layer_norm(y, gamma, beta)
    assert_close(out_y[0, 0], out[0, 0], "layer_norm output of token (0, 0) after the other tokens changed")
    assert_close(out, _layer_norm(x, gamma, beta), "layer_norm of x (3, 4, 5)")


def test_layer_norm_puts_eps_inside_the_square_root(tb):
    # a token whose variance (5e-6) is of the size of eps: (x - mu) / sqrt(var + eps), not / (sqrt(var) + eps)
    x = np.array([[0.0, 0.002, 0.004, 0.006], [0.0, 0.0, 0.0, 0.003]])
    out, _ = tb.layer_norm(x, np.ones(4), np.zeros(4))
    assert_close(out, _layer_norm(x, np.ones(4), np.zeros(4)), "layer_norm of tokens with a tiny variance", rtol=1e-9)


def test_layer_norm_uses_the_eps_it_is_given(tb, rng):
    x = rng.normal(size=(2, 5))
    gamma, beta = rng.normal(size=5), rng.normal(size=5)
    assert_close(tb.layer_norm(x, gamma, beta, eps=0.5)[0], _layer_norm(x, gamma, beta, eps=0.5),
                 "layer_norm(x, gamma, beta, eps=0.5)")


def test_layer_norm_of_a_constant_token_is_beta(tb):
    # variance 0: eps keeps the division finite, the normalised token is 0, the output is beta
    beta = np.array([0.5, -1.0, 2.0])
    out, _ = tb.layer_norm(np.full((2, 3), 7.0), np.array([3.0, 3.0, 3.0]), beta)
    assert_close(out, np.stack([beta, beta]), "layer_norm of constant tokens", atol=1e-9)


def test_layer_norm_refuses_gamma_of_the_wrong_width(tb):
    x = np.arange(8.0).reshape(2, 4)
    expect_array(tb.layer_norm(x, np.ones(4), np.zeros(4))[0], "layer_norm(x (2, 4))", shape=(2, 4))
    assert_raises(ValueError, lambda: tb.layer_norm(x, np.ones(3), np.zeros(4)), "layer_norm with gamma (3,)")
    assert_raises(ValueError, lambda: tb.layer_norm(x, np.ones(4), np.zeros(2)), "layer_norm with beta (2,)")


def test_layer_norm_backward_matches_the_reference(tb, ref, rng):
    x = rng.normal(size=(2, 3, 5))
    gamma, beta = rng.normal(size=5), rng.normal(size=5)
    dout = rng.normal(size=(2, 3, 5))
    dx, dgamma, dbeta = tb.layer_norm_backward(dout, tb.layer_norm(x, gamma, beta)[1])
    edx, edgamma, edbeta = ref.layer_norm_backward(dout, ref.layer_norm(x, gamma, beta)[1])
    assert_close(dx, edx, "layer_norm_backward: dx")
    assert_close(dgamma, edgamma, "layer_norm_backward: dgamma")
    assert_close(dbeta, edbeta, "layer_norm_backward: dbeta")


def test_layer_norm_backward_sums_gamma_and_beta_gradients_over_batch_and_time(tb, rng):
    x = rng.normal(size=(3, 4, 2))
    dout = rng.normal(size=(3, 4, 2))
    _, dgamma, dbeta = tb.layer_norm_backward(dout, tb.layer_norm(x, np.ones(2), np.zeros(2))[1])
    xhat = _layer_norm(x, np.ones(2), np.zeros(2))
    assert_close(expect_array(dbeta, "dbeta", shape=(2,)), dout.sum(axis=(0, 1)), "dbeta = dout summed over (B, T)")
    assert_close(expect_array(dgamma, "dgamma", shape=(2,)), (dout * xhat).sum(axis=(0, 1)),
                 "dgamma = (dout * xhat) summed over (B, T)")


def test_layer_norm_backward_dx_of_every_token_sums_to_zero(tb, rng):
    # adding a constant to a token leaves its normalisation unchanged, so dx sums to 0 over D
    x = rng.normal(size=(2, 3, 6))
    dout = rng.normal(size=(2, 3, 6))
    dx, _, _ = tb.layer_norm_backward(dout, tb.layer_norm(x, rng.normal(size=6), np.zeros(6))[1])
    assert_close(expect_array(dx, "dx", shape=(2, 3, 6)).sum(axis=-1), np.zeros((2, 3)), "dx summed over D",
                 atol=1e-10)


# -- the whole contract, against the reference ---------------------------------------------------
# x of rank 1 to 4, one feature (D = 1) to five, every value regime (rows of very different
# magnitude in one array, constant rows, |x| near 1000, |x| near 1e-8), eps from 1e-8 to 1 and
# the default, random gamma and beta, and the refusals. Each case is built from one drawn seed.

from grader.engine import domains as dom  # noqa: E402
from grader.engine.differential import Contract, case, contract_tests  # noqa: E402

EPS = (None, 1e-8, 1e-3, 0.1, 1.0)  # None: the default, 1e-5


from grader.engine.domains import seeded as _seeded  # noqa: E402


def _layer_norm_case(rng):
    shape = tuple(int(n) for n in rng.integers(1, 6, size=rng.integers(1, 5)))
    regime = str(rng.choice(dom.FLOAT_REGIMES))
    d = shape[-1]
    gamma, beta = (rng.normal(size=d), rng.normal(size=d)) if rng.random() < 0.7 else (np.ones(d), np.zeros(d))
    eps = EPS[int(rng.integers(len(EPS)))]
    if eps is None:
        return case(dom.fill(rng, shape, regime), gamma, beta, note=regime)
    return case(dom.fill(rng, shape, regime), gamma, beta, eps=eps, note=regime)


_X = np.arange(8.0).reshape(2, 4)

CONTRACTS = [
    Contract("phase3_transformer.transformer_block", "layer_norm", _seeded(_layer_norm_case), examples=10,
             project=lambda result: result[0],
             fixed=[case(_X, np.ones(3), np.zeros(4), note="gamma (3,) for D = 4"),
                    case(_X, np.ones(4), np.zeros(2), note="beta (2,) for D = 4"),
                    case(_X, np.ones((1, 4)), np.zeros(4), note="gamma (1, 4)")]),
]
globals().update(contract_tests(CONTRACTS))
