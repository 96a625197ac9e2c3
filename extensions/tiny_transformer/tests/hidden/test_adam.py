"""Hidden tests: adam.py (Adam with bias correction, purity, the global norm, clipping)."""

import numpy as np
import pytest

from grader.engine.testing import (assert_close, assert_raises, expect_array, expect_float, float_dtypes,
                                   module_fixture)

adam = module_fixture("tiny_transformer.adam")


def _tree(rng):
    # a tree like a model's: nested dicts, a list, arrays of different shapes
    return {"embed": rng.normal(size=(3, 2)), "blocks": [{"w": rng.normal(size=(2, 2)), "b": rng.normal(size=2)}],
            "b_out": rng.normal(size=3)}


def _leaves(tree):
    return [tree["embed"], tree["blocks"][0]["w"], tree["blocks"][0]["b"], tree["b_out"]]


def _adam_by_hand(p, grads, lr, b1=0.9, b2=0.999, eps=1e-8):
    """Kingma and Ba's Algorithm 1 on one array, for a list of gradients."""
    m, v = np.zeros_like(p), np.zeros_like(p)
    for t, g in enumerate(grads, start=1):
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        p = p - lr * (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + eps)
    return p, m, v


@pytest.mark.exercise("adam")
def test_init_adam_is_zeros_like_the_params_and_step_zero(adam, rng):
    params = _tree(rng)
    state = adam.init_adam(params)
    if not isinstance(state, dict) or set(state) != {"m", "v", "t"}:
        raise AssertionError("init_adam: expected a dict with keys 'm', 'v', 't'")
    if state["t"] != 0:
        raise AssertionError(f"init_adam: t must start at 0, got {state['t']!r}")
    for key in ("m", "v"):
        for got, p in zip(_leaves(state[key]), _leaves(params)):
            assert_close(expect_array(got, f"init_adam()[{key!r}] leaf", shape=p.shape), np.zeros(p.shape),
                         f"init_adam()[{key!r}]")


@pytest.mark.exercise("adam")
@pytest.mark.points(2)
def test_first_adam_step_moves_every_entry_by_lr_whatever_the_gradient_size(adam, rng):
    # bias correction: m_hat = g and v_hat = g^2 at t = 1, so the step is lr * g / |g| = lr * sign(g)
    params = _tree(rng)
    grads = {"embed": 1e3 * rng.normal(size=(3, 2)), "blocks": [{"w": 1e-3 * rng.normal(size=(2, 2)),
             "b": rng.normal(size=2)}], "b_out": 50.0 * rng.normal(size=3)}
    new, state = adam.adam_step(params, grads, adam.init_adam(params), 0.01)
    for got, p, g in zip(_leaves(new), _leaves(params), _leaves(grads)):
        # lr g / (|g| + eps): lr * sign(g) but for eps, which matters for the tiniest gradients
        assert_close(got - p, -0.01 * g / (np.abs(g) + 1e-8), "first Adam step (bias-corrected: every entry moves "
                     "by lr)", rtol=1e-6, atol=1e-9)
    if state["t"] != 1:
        raise AssertionError(f"adam_step: the new state's t must be 1 after the first step, got {state['t']!r}")


@pytest.mark.exercise("adam")
@pytest.mark.points(2)
def test_three_adam_steps_match_algorithm_1(adam, rng):
    params = _tree(rng)
    state = adam.init_adam(params)
    grads_seq = [_tree(rng) for _ in range(3)]
    p = params
    for g in grads_seq:
        p, state = adam.adam_step(p, g, state, 0.05, beta1=0.8, beta2=0.95, eps=1e-6)
    for i, (got, start) in enumerate(zip(_leaves(p), _leaves(params))):
        want, m, v = _adam_by_hand(start, [_leaves(g)[i] for g in grads_seq], 0.05, 0.8, 0.95, 1e-6)
        assert_close(got, want, "parameters after 3 Adam steps (beta1 = 0.8, beta2 = 0.95)")
        assert_close(_leaves(state["m"])[i], m, "first moment m after 3 steps (a running mean of g)")
        assert_close(_leaves(state["v"])[i], v, "second moment v after 3 steps (a running mean of g^2)")


@pytest.mark.exercise("adam")
def test_adam_step_is_pure_and_keeps_the_tree(adam, rng):
    params, grads = _tree(rng), _tree(rng)
    state = adam.init_adam(params)
    new, new_state = adam.adam_step(params, grads, state, 0.1)
    if not isinstance(new, dict) or set(new) != set(params) or not isinstance(new["blocks"], (list, tuple)):
        raise AssertionError("adam_step: the new parameters must be a tree like the old ones")
    if state["t"] != 0:
        raise AssertionError("adam_step modified the state it was given (t changed): return a new state")
    for got in _leaves(state["m"]):
        assert_close(got, np.zeros(got.shape), "the old state's m after adam_step (must stay 0)")


@pytest.mark.exercise("adam")
def test_adam_step_refuses_a_learning_rate_of_zero(adam, rng):
    params = _tree(rng)
    adam.adam_step(params, params, adam.init_adam(params), 0.1)
    assert_raises(ValueError, lambda: adam.adam_step(params, params, adam.init_adam(params), 0.0), "adam_step(lr=0)")


@pytest.mark.exercise("adam")
def test_global_norm_of_a_tree(adam):
    tree = {"a": np.array([3.0, 0.0]), "b": [{"c": np.array([[4.0]])}, {"d": np.array([12.0])}]}
    assert_close(expect_float(adam.global_norm(tree), "global_norm"), 13.0, "global_norm of leaves 3, 0, 4, 12")


@pytest.mark.exercise("adam")
@pytest.mark.points(2)
def test_clip_by_global_norm_scales_every_leaf_by_one_factor(adam, rng):
    tree = _tree(rng)
    norm = np.sqrt(sum(np.sum(x * x) for x in _leaves(tree)))
    clipped, got_norm = adam.clip_by_global_norm(tree, norm / 4)
    assert_close(got_norm, norm, "clip_by_global_norm: the norm before clipping")
    for got, x in zip(_leaves(clipped), _leaves(tree)):
        assert_close(got, x / 4, "a leaf clipped to a quarter of the global norm (same direction, one factor)")
    kept, _ = adam.clip_by_global_norm(tree, 2 * norm)
    for got, x in zip(_leaves(kept), _leaves(tree)):
        assert_close(got, x, "a gradient shorter than max_norm is unchanged")
    assert_raises(ValueError, lambda: adam.clip_by_global_norm(tree, 0.0), "clip_by_global_norm(max_norm=0)")


# -- the whole contract, against the reference ---------------------------------------------------
# Trees shaped like a model's (a dict with a list of 0-2 block dicts, leaves of rank 1-3), gradients
# in every value regime, a fresh Adam state and one resumed after t steps, every documented beta and
# eps, clipping that bites, that does not, and a zero gradient.

from hypothesis import strategies as st  # noqa: E402

from grader.engine import domains as dom  # noqa: E402
from grader.engine.differential import Contract, case, contract_tests  # noqa: E402


from grader.engine.domains import seeded as _seeded  # noqa: E402


from grader.engine.domains import pick as _pick  # noqa: E402


from grader.engine.domains import values as _values  # noqa: E402


from grader.engine.domains import ints as _ints  # noqa: E402


def _layout(rng):
    blocks = [{"w": tuple(rng.integers(1, 4, size=rng.integers(1, 4))), "b": (int(rng.integers(1, 4)),)}
              for _ in range(int(rng.integers(0, 3)))]
    return {"embed": tuple(rng.integers(1, 4, size=rng.integers(1, 4))), "blocks": blocks,
            "b_out": (int(rng.integers(1, 5)),)}


def _fill(rng, layout, regimes, notes=None, positive=False):
    if isinstance(layout, dict):
        return {k: _fill(rng, v, regimes, notes, positive) for k, v in layout.items()}
    if isinstance(layout, list):
        return [_fill(rng, v, regimes, notes, positive) for v in layout]
    value = _values(rng, tuple(int(n) for n in layout), regimes, notes)
    return np.abs(value) if positive else value


def _tree_case(rng):
    notes = []
    return case(_fill(rng, _layout(rng), dom.FLOAT_REGIMES, notes), note=f"leaves {', '.join(notes)}")


def _adam_case(rng):
    layout, notes = _layout(rng), []
    params = _fill(rng, layout, ("normal", "zeros", "small", "wide"))
    grads = _fill(rng, layout, dom.FLOAT_REGIMES, notes)
    t = _pick(rng, [0, 0, 1, 2, 4])  # a fresh state, or one resumed after t steps
    if t == 0:
        state = {"m": _fill(rng, layout, ("zeros",)), "v": _fill(rng, layout, ("zeros",)), "t": 0}
    else:
        state = {"m": _fill(rng, layout, ("normal", "small")), "v": _fill(rng, layout, ("normal", "small"), None, True),
                 "t": t}
    kwargs = {}
    if rng.random() < 0.6:
        kwargs = {"beta1": _pick(rng, [0.0, 0.5, 0.9]), "beta2": _pick(rng, [0.0, 0.8, 0.999]),
                  "eps": _pick(rng, [1e-8, 1e-3, 0.5])}
    return case(params, grads, state, _pick(rng, [1e-3, 0.01, 0.3]), note=f"state after {t} steps, gradients "
                f"{', '.join(notes)}", **kwargs)


def _clip_case(rng):
    notes = []
    grads = _fill(rng, _layout(rng), dom.FLOAT_REGIMES, notes)
    norm = float(np.sqrt(sum(np.sum(np.square(leaf)) for leaf in _leaves_of(grads))))
    if rng.random() < 0.7 and norm > 0:
        max_norm = norm * _pick(rng, [0.01, 0.5, 0.999, 1.0, 2.0, 100.0])
    else:
        max_norm = _pick(rng, [1e-3, 1.0, 5.0])
    return case(grads, max_norm, note=f"global norm {norm:.4g}, leaves {', '.join(notes)}")


def _single(tree):
    """The tree with every float array in float32 (the opt-in single-precision training)."""
    if isinstance(tree, dict):
        return {k: _single(v) for k, v in tree.items()}
    if isinstance(tree, list):
        return [_single(v) for v in tree]
    return tree.astype(np.float32) if isinstance(tree, np.ndarray) and tree.dtype.kind == "f" else tree


def _float32_tree_case(rng):
    drawn = _tree_case(rng)
    return case(*_single(list(drawn.args)), note=drawn.note + ", float32")


def _float32_adam_case(rng):
    drawn = _adam_case(rng)
    return case(*_single(list(drawn.args)), note=drawn.note + ", float32", **drawn.kwargs)


def _with_dtypes(out):
    """The output and the dtypes of its arrays: float32 in, float32 out (no silent float64)."""
    return {"value": out, "dtypes": float_dtypes(out)}


def _leaves_of(tree):
    if isinstance(tree, dict):
        return [leaf for key in sorted(tree) for leaf in _leaves_of(tree[key])]
    if isinstance(tree, (list, tuple)):
        return [leaf for item in tree for leaf in _leaves_of(item)]
    return [tree]


def _fixed_tree():
    return {"embed": np.ones((2, 2)), "blocks": [{"w": np.ones(3), "b": np.zeros(1)}], "b_out": np.ones(2)}


_STATE = {"m": {"embed": np.zeros((2, 2)), "blocks": [{"w": np.zeros(3), "b": np.zeros(1)}], "b_out": np.zeros(2)},
          "v": {"embed": np.zeros((2, 2)), "blocks": [{"w": np.zeros(3), "b": np.zeros(1)}], "b_out": np.zeros(2)},
          "t": 0}
_P = _fixed_tree()

CONTRACTS = [
    Contract("tiny_transformer.adam", "init_adam", _seeded(_tree_case), exercise="adam", examples=3),
    Contract("tiny_transformer.adam", "adam_step", _seeded(_adam_case), exercise="adam", points=2, examples=10,
             fixed=[case(_P, _P, _STATE, 0.0, note="lr = 0"), case(_P, _P, _STATE, -0.1, note="lr < 0"),
                    case(_P, _P, _STATE, 0.1, beta1=1.0, note="beta1 = 1"),
                    case(_P, _P, _STATE, 0.1, beta1=-0.1, note="beta1 < 0"),
                    case(_P, _P, _STATE, 0.1, beta2=1.0, note="beta2 = 1"),
                    case(_P, _P, _STATE, 0.1, beta2=-0.5, note="beta2 < 0"),
                    case(_P, _P, _STATE, 0.1, beta1=1.5, note="beta1 > 1"),
                    case(_P, _P, _STATE, 0.1, beta2=2.0, note="beta2 > 1")]),
    Contract("tiny_transformer.adam", "init_adam", _seeded(_float32_tree_case), project=_with_dtypes, exercise="adam",
             examples=2, name="test_contract_init_adam_float32"),
    Contract("tiny_transformer.adam", "adam_step", _seeded(_float32_adam_case), project=_with_dtypes, exercise="adam",
             examples=4, rtol=1e-4, atol=1e-5, name="test_contract_adam_step_float32"),
    Contract("tiny_transformer.adam", "global_norm", _seeded(_tree_case), exercise="adam", examples=4),
    Contract("tiny_transformer.adam", "clip_by_global_norm", _seeded(_clip_case), exercise="adam", examples=7,
             fixed=[case(_P, 0.0, note="max_norm = 0"), case(_P, -1.0, note="max_norm < 0")]),
]
globals().update(contract_tests(CONTRACTS))
