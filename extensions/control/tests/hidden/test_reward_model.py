"""Hidden tests: the pairwise ranking loss, a reward model's gradient, training it, pairwise accuracy."""

import numpy as np
import pytest

from grader.engine.testing import assert_close, assert_raises, expect_array, module_fixture, reference_fixture

rm = module_fixture("control.reward_model", timeout=60)
ref = reference_fixture("control.reward_model")
ref_pf = reference_fixture("control.preferences")
ref_tr = reference_fixture("phase1_backprop.train")

pytestmark = pytest.mark.exercise("reward_model")


def _softplus(z):
    return np.logaddexp(0.0, z)


def test_ranking_loss_on_a_hand_computed_case(rm):
    r_c, r_r = np.array([0.0, 3.0, -1.0]), np.array([0.0, 1.0, 0.0])  # margins 0, 2, -1
    loss, d_c, d_r = rm.ranking_loss(r_c, r_r)
    assert_close(loss, (np.log(2) + _softplus(-2.0) + _softplus(1.0)) / 3, "ranking_loss: loss")
    push = 1.0 / (1.0 + np.exp(np.array([0.0, 2.0, -1.0])))  # sigmoid(-margin)
    assert_close(d_c, -push / 3, "ranking_loss: d_chosen")
    assert_close(d_r, push / 3, "ranking_loss: d_rejected")


def test_ranking_loss_pushes_the_chosen_reward_up_and_the_rejected_down(rm, rng):
    # gradient *descent* moves r - lr * d: d_chosen must be negative and d_rejected positive
    _, d_c, d_r = rm.ranking_loss(rng.normal(size=5), rng.normal(size=5))
    if not (np.all(np.asarray(d_c) < 0) and np.all(np.asarray(d_r) > 0)):
        raise AssertionError(f"ranking_loss: d_chosen should be < 0 and d_rejected > 0 (descent raises the chosen "
                             f"reward), got d_chosen {np.round(d_c, 4)}, d_rejected {np.round(d_r, 4)}")


def test_ranking_loss_is_log_two_at_a_tie_and_falls_with_the_margin(rm):
    losses = [rm.ranking_loss(np.array([m]), np.array([0.0]))[0] for m in (-2.0, 0.0, 2.0, 8.0)]
    assert_close(losses[1], np.log(2.0), "ranking_loss at a tie")
    if not losses[0] > losses[1] > losses[2] > losses[3] > 0:
        raise AssertionError(f"ranking_loss at margins -2, 0, 2, 8: {np.round(losses, 5)}; it must fall with the margin "
                             "and stay positive")


def test_ranking_loss_survives_a_wrong_margin_of_1000(rm):
    loss, d_c, d_r = rm.ranking_loss(np.array([-1000.0, 1000.0]), np.array([0.0, 0.0]))
    assert_close(loss, 500.0, "ranking_loss with margins -1000 and +1000", rtol=1e-9)
    assert_close(d_c, np.array([-0.5, 0.0]), "ranking_loss: d_chosen with margins -1000 and +1000", atol=1e-12)


def test_ranking_loss_refuses_rewards_of_different_shapes(rm):
    rm.ranking_loss(np.zeros(3), np.ones(3))
    assert_raises(ValueError, lambda: rm.ranking_loss(np.zeros(3), np.ones(2)), "ranking_loss of (3,) and (2,)")


def test_item_rewards_is_the_networks_one_output(rm, ref, ref_tr, rng):
    params = ref_tr.init_params([3, 4, 1], 2)
    params["b1"] = rng.normal(size=4)
    features = rng.normal(size=(5, 3))
    got = expect_array(rm.item_rewards(params, features, "tanh"), "item_rewards", shape=(5,))
    assert_close(got, ref.item_rewards(params, features, "tanh"), "item_rewards")
    assert_raises(ValueError, lambda: rm.item_rewards(ref_tr.init_params([3, 2], 0), features),
                  "item_rewards of a network with 2 outputs")


@pytest.mark.points(2)
def test_ranking_gradient_adds_up_over_every_pair_an_item_is_in(rm, ref, ref_tr, rng):
    # item 1 wins twice and loses once; item 3 is never compared: its reward gets no gradient
    params = ref_tr.init_params([2, 5, 1], 4, "xavier")
    features = rng.normal(size=(4, 2))
    chosen, rejected = np.array([1, 0, 1, 2, 0]), np.array([0, 2, 2, 1, 1])
    loss, grads = rm.ranking_loss_and_grads(params, features, chosen, rejected, "tanh")
    ref_loss, ref_grads = ref.ranking_loss_and_grads(params, features, chosen, rejected, "tanh")
    assert_close(loss, ref_loss, "ranking_loss_and_grads: loss")
    if not isinstance(grads, dict) or set(grads) != set(params):
        raise AssertionError(f"ranking_loss_and_grads: grads must be a dict with the keys {sorted(params)}, "
                             f"got {sorted(grads) if isinstance(grads, dict) else type(grads).__name__}")
    for key in params:
        assert_close(grads[key], ref_grads[key], f"ranking_loss_and_grads: grads[{key!r}]")


def test_a_reward_model_learns_a_linear_preference(rm, ref, ref_pf, ref_tr, rng):
    # a linear hidden utility: a linear reward model can match it, up to scale and offset
    features = ref_pf.grid_items(5, 2.0)
    w = np.array([1.0, -0.5])
    utility = ref_pf.hidden_utility(features, w, 0.0)
    probs = np.full(25, 1.0 / 25)
    seed = int(rng.integers(1000))
    chosen, rejected = ref_pf.make_preferences(utility, probs, 400, seed, noise=0.5)
    result = rm.train_reward_model(features, chosen, rejected, [2, 1], lr=0.1, epochs=400, seed=seed)
    learned = expect_array(result["params"]["W1"], "trained W1", shape=(2, 1))[:, 0]
    cosine = learned @ w / (np.linalg.norm(learned) * np.linalg.norm(w))
    if not cosine > 0.98:
        raise AssertionError(f"train_reward_model: learned weights {np.round(learned, 3)} point away from the hidden "
                             f"w = {w} (cosine {cosine:.3f}, expected > 0.98)")
    history = expect_array(result["history"], "history", shape=(400,))
    assert_close(history[0], ref.ranking_loss_and_grads(ref_tr.init_params([2, 1], seed), features, chosen, rejected)[0],
                 "history[0], the loss of the initial weights")
    if not history[-1] < history[0] - 0.02:
        raise AssertionError(f"train_reward_model: the loss went from {history[0]:.4f} to {history[-1]:.4f}")


def test_train_reward_model_refuses_a_network_with_two_outputs(rm):
    features = np.array([[0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    rm.train_reward_model(features, np.array([0]), np.array([1]), [2, 1], epochs=2)
    assert_raises(ValueError, lambda: rm.train_reward_model(features, np.array([0]), np.array([1]), [2, 2], epochs=2),
                  "train_reward_model with layer_sizes [2, 2]")


def test_pairwise_accuracy_counts_a_tie_as_half(rm):
    rewards = np.array([0.0, 1.0, 1.0, 2.0])
    chosen, rejected = np.array([1, 3, 0, 2]), np.array([0, 1, 3, 1])  # right, right, wrong, tie
    assert_close(rm.pairwise_accuracy(rewards, chosen, rejected), 2.5 / 4, "pairwise_accuracy")


# -- the whole contract, against the reference ---------------------------------------------------
# Networks [D, 1] (linear), [D, h, 1] and [D, h, h, 1] with every activation; margins of every size
# (a pair ranked wrong by 1000, rows of very different size); repeated items; the training loop
# compared epoch by epoch with the reference, from the learner's own phase-1 initial weights (so
# their draw order is the learner's to choose). Values near 0 are judged on the scale of 1.

import importlib  # noqa: E402
import zlib  # noqa: E402

from grader.engine.differential import describe_case, draw_cases, judge, reference_outcome  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from grader.engine import domains as dom  # noqa: E402
from grader.engine.differential import Contract, case, contract_tests  # noqa: E402


from grader.engine.domains import seeded as _seeded  # noqa: E402


from grader.engine.domains import pick as _pick  # noqa: E402


from grader.engine.domains import values as _values  # noqa: E402


from grader.engine.domains import ints as _ints  # noqa: E402


def _floored(value):
    """Every float array as (shape, its entries and a 1), every float as [x, 1]."""
    if isinstance(value, dict):
        return {k: _floored(v) for k, v in value.items()}
    if isinstance(value, (tuple, list)):
        return type(value)(_floored(v) for v in value)
    if isinstance(value, np.ndarray) and value.dtype.kind == "f":
        return [list(value.shape), np.append(value.ravel(), 1.0)]
    if isinstance(value, (float, np.floating)):
        return np.array([float(value), 1.0])
    return value


def _reference(name):
    return importlib.import_module(name)


def _network(rng, notes):
    k, d = int(rng.integers(1, 6)), int(rng.integers(1, 4))
    sizes = [d] + [int(rng.integers(1, 4)) for _ in range(int(rng.integers(0, 3)))] + [1]
    init = _reference("phase1_backprop.train").init_params(sizes, int(rng.integers(1000)), "xavier")
    params = {key: value + 0.3 * rng.normal(size=np.shape(value)) for key, value in init.items()}
    features = _values(rng, (k, d), ("normal", "wide", "ties"), notes)
    activation = _pick(rng, ["relu", "tanh", "sigmoid"])
    notes.append(f"layers {sizes}, {activation}")
    return params, features, activation


def _pairs(rng, k):
    n = int(rng.integers(1, 7))
    return _ints(rng, (n,), 0, k), _ints(rng, (n,), 0, k)


def _loss_case(rng):
    shape, notes = (int(rng.integers(1, 7)),), []
    return case(_values(rng, shape, dom.FLOAT_REGIMES, notes), _values(rng, shape, dom.FLOAT_REGIMES, notes),
                note=", ".join(notes))


def _item_case(rng):
    notes = []
    params, features, activation = _network(rng, notes)
    return case(params, features, activation, note=", ".join(notes))


def _grad_case(rng):
    notes = []
    params, features, activation = _network(rng, notes)
    return case(params, features, *_pairs(rng, features.shape[0]), activation, note=", ".join(notes))


def _accuracy_case(rng):
    notes = []
    rewards = _values(rng, (int(rng.integers(1, 6)),), ("normal", "ties", "zeros", "large"), notes)
    return case(rewards, *_pairs(rng, rewards.size), note=notes[0])


def _train_case(rng):
    k, d = int(rng.integers(2, 6)), int(rng.integers(1, 4))
    features = _values(rng, (k, d), ("normal", "wide"))  # no exact zeros: biases start at 0 (no ReLU kink)
    sizes = [d, 1] if rng.random() < 0.5 else [d, int(rng.integers(1, 4)), 1]
    return case(features, *_pairs(rng, k), sizes, lr=_pick(rng, [0.05, 0.5]), epochs=int(rng.integers(0, 4)),
                seed=int(rng.integers(2**31)), momentum=_pick(rng, [0.0, 0.5, 0.9]),
                activation=_pick(rng, ["relu", "tanh", "sigmoid"]))


def _two_outputs():
    return _reference("phase1_backprop.train").init_params([2, 2], 0)


def _one_output():
    return _reference("phase1_backprop.train").init_params([2, 3, 1], 0, "xavier")


_X = np.array([[0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
_ITEM_PAIRS = [(np.array([0.0, 1.0]), np.array([1, 2]), "float items"),
               (np.array([0, 3]), np.array([1, 2]), "item 3 of 3"),
               (np.array([0, -1]), np.array([1, 2]), "item -1"),
               (np.array([0, 1]), np.array([2]), "2 chosen, 1 rejected"),
               (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), "no pairs"),
               (np.array([[0, 1]]), np.array([[1, 2]]), "items of rank 2")]

CONTRACTS = [
    Contract("control.reward_model", "ranking_loss", _seeded(_loss_case), project=_floored, examples=10, points=2,
             fixed=[case(np.zeros(3), np.ones(2), note="(3,) and (2,)"), case(np.zeros(0), np.zeros(0), note="N = 0"),
                    case(np.zeros(1), np.ones(3), note="(1,) and (3,): would broadcast"),
                    case(np.zeros((2, 2)), np.ones((2, 2)), note="rank 2")]),
    Contract("control.reward_model", "item_rewards", _seeded(_item_case), examples=5,
             fixed=[case(_two_outputs(), _X, note="a network with 2 outputs")]),
    Contract("control.reward_model", "ranking_loss_and_grads", _seeded(_grad_case), project=_floored, examples=7,
             points=2, fixed=[case(_one_output(), _X, c, r, "tanh", note=note) for c, r, note in _ITEM_PAIRS]
             + [case(_two_outputs(), _X, np.array([0]), np.array([1]), note="a network with 2 outputs")]),
    Contract("control.reward_model", "pairwise_accuracy", _seeded(_accuracy_case), examples=6,
             fixed=[case(np.zeros(3), c, r, note=note) for c, r, note in _ITEM_PAIRS]),
]
globals().update(contract_tests(CONTRACTS))


def _simulate(init, features, chosen, rejected, sizes, lr=0.1, epochs=1000, seed=0, momentum=0.9, activation="relu"):
    """train_reward_model's documented loop, with the reference's parts, from the given initial weights."""
    ref_rm, ref_tr = _reference("control.reward_model"), _reference("phase1_backprop.train")
    params, velocity, history = init, None, np.empty(epochs)
    for epoch in range(epochs):
        history[epoch], grads = ref_rm.ranking_loss_and_grads(params, features, chosen, rejected, activation)
        params, velocity = ref_tr.sgd_step(params, grads, lr, velocity, momentum)
    return {"params": params, "history": history}


_TRAIN = Contract("control.reward_model", "train_reward_model", _seeded(_train_case), project=_floored, examples=5,
                  fixed=[case(_X, np.array([0]), np.array([1]), [2, 2], epochs=2, note="layer_sizes [2, 2]"),
                         case(_X, np.array([0]), np.array([1]), [3, 1], epochs=2, note="layer_sizes [3, 1] for D = 2"),
                         case(_X, np.array([0]), np.array([1]), [2], epochs=2, note="layer_sizes [2]"),
                         case(_X[:, :1], np.array([0]), np.array([1]), [1], epochs=2, note="layer_sizes [1] for D = 1"),
                         case(_X, np.array([0]), np.array([1]), [2, 3, 0], epochs=2, note="layer_sizes [2, 3, 0]"),
                         case(_X, np.array([0]), np.array([1]), [2, 1], epochs=-1, note="epochs -1"),
                         case(_X, np.array([0]), np.array([1]), [1, 1], epochs=0, note="layer_sizes [1, 1] for D = 2, 0 epochs"),
                         case(_X, np.array([0]), np.array([3]), [2, 1], epochs=2, note="item 3 of 3")],
                  name="test_contract_train_reward_model_epoch_by_epoch")


@pytest.mark.points(2)
def test_contract_train_reward_model_epoch_by_epoch(rm, ref, request):
    seed = zlib.crc32(f"{_TRAIN.module}.{_TRAIN.test_name}:{request.config.getoption('--grade-seed')}".encode())
    cases = draw_cases(_TRAIN.cases, _TRAIN.examples, seed)
    fixed = list(_TRAIN.fixed)
    schemes = ["he" if c.kwargs["activation"] == "relu" else "xavier" for c in cases]
    inits = rm.init_params.outcomes([((c.args[3], c.kwargs["seed"], s), {}) for c, s in zip(cases, schemes)])
    for outcome in inits:
        if not outcome["ok"]:
            raise AssertionError(f"init_params (phase 1) failed: {outcome['error']['type']}: "
                                 f"{outcome['error']['message'][:200]}")
    got = rm.train_reward_model.outcomes([(c.args, c.kwargs) for c in cases + fixed])
    expected = [reference_outcome(lambda *a, init=o["value"], **k: _simulate(init, *a, **k), c)
                for c, o in zip(cases, inits)] + [reference_outcome(ref.train_reward_model, c) for c in fixed]
    everything = cases + fixed
    failures = [(i, problem) for i, (g, e) in enumerate(zip(got, expected))
                if (problem := judge(g, e, _TRAIN)) is not None]
    if failures:
        i, problem = failures[0]
        if "): not started" in problem:
            raise NotImplementedError(problem.split(": ", 1)[1])
        raise AssertionError(f"{problem}\n  case {i + 1} of {len(everything)} ({len(failures)} failing): "
                             f"{describe_case(everything[i])}")
