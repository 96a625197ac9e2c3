"""Hidden tests: the softmax policy, its exact gradients, the REINFORCE estimate, and the improvement loop."""

import numpy as np
import pytest

from grader.engine.testing import assert_close, assert_raises, expect_array, expect_float, module_fixture, reference_fixture

pol = module_fixture("control.policy", timeout=60)
ref = reference_fixture("control.policy")
ref_pf = reference_fixture("control.preferences")

pytestmark = pytest.mark.exercise("policy")

BASE = np.array([0.3, -0.5, 0.0, 1.0, -1.0])  # five items: a tabular policy uses features = eye(5)
REWARDS = np.array([1.0, 0.0, 2.0, -1.0, 0.5])


def _problem(rng, k=6, d=3):
    """A feature policy with distinct sizes: K = 6 items, D = 3 features."""
    return rng.normal(size=d) * 0.5, rng.normal(size=(k, d)), rng.normal(size=k), rng.normal(size=k)


def _probs(ref, theta, features, base):
    return np.exp(ref.policy_log_probs(theta, features, base))


# -- the policy -----------------------------------------------------------------------------------

def test_log_probs_at_theta_zero_are_the_starting_policy(pol):
    logp = expect_array(pol.policy_log_probs(np.zeros(5), np.eye(5), BASE), "policy_log_probs", shape=(5,))
    e = np.exp(BASE - BASE.max())
    assert_close(logp, np.log(e / e.sum()), "policy_log_probs at theta = 0")


def test_log_probs_tilt_along_the_features(pol, ref, rng):
    theta, features, base, _ = _problem(rng)
    got = expect_array(pol.policy_log_probs(theta, features, base), "policy_log_probs", shape=(6,))
    assert_close(got, ref.policy_log_probs(theta, features, base), "policy_log_probs(theta, features, base)")


def test_log_probs_survive_logits_of_1000(pol):
    logp = pol.policy_log_probs(np.array([1000.0]), np.array([[1.0], [0.0], [-1.0]]), np.zeros(3))
    assert_close(logp, np.array([0.0, -1000.0, -2000.0]), "policy_log_probs with logits 1000, 0, -1000", rtol=1e-12)


def test_log_probs_refuse_features_that_do_not_fit(pol):
    pol.policy_log_probs(np.zeros(2), np.zeros((3, 2)), np.zeros(3))
    assert_raises(ValueError, lambda: pol.policy_log_probs(np.zeros(2), np.zeros((3, 4)), np.zeros(3)),
                  "policy_log_probs with theta (2,) and features (3, 4)", mentions=("(3, 4)",))


def test_sample_actions_follow_the_policy_and_the_seed(pol):
    probs = np.array([0.1, 0.6, 0.3])
    actions = expect_array(pol.sample_actions(np.log(probs), 20000, 4), "sample_actions", shape=(20000,), kind="i")
    assert_close(np.bincount(actions, minlength=3) / 20000, probs, "sample_actions: frequencies over 20 000 draws",
                 rtol=0, atol=0.012)
    again = pol.sample_actions(np.log(probs), 20000, 4)
    if not np.array_equal(actions, again):
        raise AssertionError("sample_actions: the same seed gave different actions")


# -- exact expectations ---------------------------------------------------------------------------

def test_expected_reward_is_the_probability_weighted_sum(pol):
    e = np.exp(BASE - BASE.max())
    assert_close(pol.expected_reward(np.zeros(5), np.eye(5), BASE, REWARDS), (e / e.sum()) @ REWARDS,
                 "expected_reward at theta = 0 (tabular)")


def test_expected_reward_gradient_matches_the_reference(pol, ref, rng):
    theta, features, base, rewards = _problem(rng)
    got = expect_array(pol.expected_reward_gradient(theta, features, base, rewards), "expected_reward_gradient",
                       shape=(3,))
    assert_close(got, ref.expected_reward_gradient(theta, features, base, rewards), "expected_reward_gradient")


def test_expected_reward_gradient_ignores_a_constant_added_to_every_reward(pol, rng):
    theta, features, base, rewards = _problem(rng)
    g = pol.expected_reward_gradient(theta, features, base, rewards)
    assert_close(pol.expected_reward_gradient(theta, features, base, rewards + 100.0), g,
                 "expected_reward_gradient with every reward + 100 (probabilities sum to 1: nothing changes)",
                 rtol=1e-6, atol=1e-9)


def test_kl_is_zero_at_the_start_and_positive_elsewhere(pol, rng):
    theta, features, base, _ = _problem(rng)
    assert_close(pol.kl_to_reference(np.zeros(3), features, base), 0.0, "kl_to_reference at theta = 0", atol=1e-12)
    if not expect_float(pol.kl_to_reference(theta, features, base), "kl_to_reference") > 0:
        raise AssertionError("kl_to_reference: a policy different from pi_0 must have a positive KL")


@pytest.mark.points(2)
def test_kl_is_measured_under_the_new_policy(pol, ref):
    # KL(pi || pi_0) and KL(pi_0 || pi) differ here: the expectation must be under pi (the new policy)
    theta, base = np.array([2.0, 0.0, -1.0]), np.array([0.0, 0.5, 1.0])
    p = _probs(ref, theta, np.eye(3), base)
    e = np.exp(base - base.max())
    p0 = e / e.sum()
    forward, backward = float(np.sum(p * np.log(p / p0))), float(np.sum(p0 * np.log(p0 / p)))
    got = expect_float(pol.kl_to_reference(theta, np.eye(3), base), "kl_to_reference")
    if abs(got - backward) < 1e-6:
        raise AssertionError(f"kl_to_reference: got {got:.6f} = KL(pi_0 || pi), the wrong direction; expected "
                             f"KL(pi || pi_0) = {forward:.6f}, an expectation under the new policy")
    assert_close(got, forward, "kl_to_reference = KL(pi || pi_0)")


def test_kl_survives_an_item_the_start_policy_almost_never_gives(pol):
    # pi_0 = (1/2, 1/2, about exp(-800) / 2): as a probability the last underflows to 0, as a log it is fine.
    # theta = 800 makes pi uniform, so KL = log(2 / 3) + 800 / 3
    kl = pol.kl_to_reference(np.array([800.0]), np.array([[0.0], [0.0], [1.0]]), np.array([0.0, 0.0, -800.0]))
    assert_close(kl, np.log(2.0 / 3.0) + 800.0 / 3.0, "kl_to_reference with pi_0(item 2) = exp(-800) / 2", rtol=1e-9)


def test_kl_gradient_matches_the_reference(pol, ref, rng):
    theta, features, base, _ = _problem(rng)
    got = expect_array(pol.kl_gradient(theta, features, base), "kl_gradient", shape=(3,))
    assert_close(got, ref.kl_gradient(theta, features, base), "kl_gradient")
    assert_close(pol.kl_gradient(np.zeros(3), features, base), np.zeros(3), "kl_gradient at theta = 0", atol=1e-12)


# -- REINFORCE ------------------------------------------------------------------------------------

@pytest.mark.points(2)
def test_reinforce_is_the_mean_of_return_minus_baseline_times_the_score(pol, ref, rng):
    theta, features, base, rewards = _problem(rng)
    p = _probs(ref, theta, features, base)
    actions = rng.choice(6, size=7, p=p)
    returns = rewards[actions]
    scores = features[actions] - p @ features  # grad log pi of each sample
    for baseline in (0.0, 0.7, rng.normal(size=7)):
        got = expect_array(pol.reinforce_gradient(theta, features, base, actions, returns, baseline),
                           "reinforce_gradient", shape=(3,))
        shown = "per-sample" if np.ndim(baseline) else f"{baseline:g}"
        assert_close(got, (returns - baseline) @ scores / 7, f"reinforce_gradient with baseline {shown}")


@pytest.mark.points(2)
def test_reinforce_estimate_is_unbiased(pol, ref, rng):
    # 5 batches of 4000 samples: their mean must land within 5 standard errors of the exact gradient
    theta, features, base, rewards = _problem(rng)
    p = _probs(ref, theta, features, base)
    exact = ref.expected_reward_gradient(theta, features, base, rewards)
    estimates, terms = [], []
    for _ in range(5):
        actions = rng.choice(6, size=4000, p=p)
        estimates.append(expect_array(pol.reinforce_gradient(theta, features, base, actions, rewards[actions], 0.3),
                                      "reinforce_gradient", shape=(3,)))
        terms.append((rewards[actions] - 0.3)[:, None] * (features[actions] - p @ features))
    got = np.mean(estimates, axis=0)
    tolerance = 5 * np.concatenate(terms).std(axis=0) / np.sqrt(20000)
    if np.any(np.abs(got - exact) > tolerance):
        raise AssertionError(f"reinforce_gradient over 20 000 samples: {np.round(got, 4)}, but the exact gradient is "
                             f"{np.round(exact, 4)} (allowed: +-{np.round(tolerance, 4)}); check the score "
                             "features[a] - pi @ features and the sign")


def test_a_baseline_makes_the_estimate_vary_less(pol, ref, rng):
    # rewards far from 0: without a baseline every sample pushes hard, and the pushes mostly cancel
    theta, features, base, rewards = _problem(rng)
    rewards = rewards + 10.0
    p = _probs(ref, theta, features, base)
    exact_mean = float(p @ rewards)
    batches = [rng.choice(6, size=8, p=p) for _ in range(60)]
    calls = [((theta, features, base, a, rewards[a], b), {}) for b in (0.0, exact_mean) for a in batches]
    if hasattr(pol.reinforce_gradient, "map"):  # the grader: every call in one round trip
        results = pol.reinforce_gradient.map(calls)
    else:
        results = [pol.reinforce_gradient(*args, **kwargs) for args, kwargs in calls]
    plain, based = results[:60], results[60:]
    spread_plain = float(np.sum(np.var(np.array(plain), axis=0)))
    spread_based = float(np.sum(np.var(np.array(based), axis=0)))
    if not spread_based < 0.2 * spread_plain:
        raise AssertionError(f"reinforce_gradient: with baseline E[r] the estimates vary by {spread_based:.4g}, without "
                             f"by {spread_plain:.4g}; a baseline should cut that many times (is it subtracted?)")


# -- the optimum and the loop ---------------------------------------------------------------------

def test_optimal_policy_tilts_the_start_by_exp_reward_over_beta(pol):
    got = expect_array(pol.optimal_policy(BASE, REWARDS, 0.5), "optimal_policy", shape=(5,))
    z = BASE + REWARDS / 0.5
    e = np.exp(z - z.max())
    assert_close(got, e / e.sum(), "optimal_policy(beta = 0.5)")
    e0 = np.exp(BASE - BASE.max())
    assert_close(pol.optimal_policy(BASE, REWARDS, 1e6), e0 / e0.sum(), "optimal_policy(beta = 1e6) = pi_0",
                 rtol=1e-5, atol=1e-7)
    assert_raises(ValueError, lambda: pol.optimal_policy(BASE, REWARDS, 0.0), "optimal_policy with beta = 0")


@pytest.mark.points(2)
def test_the_loop_finds_the_kl_regularised_optimum(pol, ref, rng):
    # tabular policy: any policy can be reached, and E[r] - beta KL is maximised by pi_0 exp(r / beta) / Z
    seed = int(rng.integers(1000))
    run = pol.improve_policy(np.eye(5), BASE, REWARDS, 1.0, steps=300, batch_size=64, lr=1.0, seed=seed)
    thetas = expect_array(run["thetas"], "improve_policy: thetas", shape=(301, 5))
    final = _probs(ref, thetas[-1], np.eye(5), BASE)
    best = ref.optimal_policy(BASE, REWARDS, 1.0)
    gap = float(np.abs(final - best).sum())
    if not gap < 0.01:
        raise AssertionError(f"improve_policy (beta = 1, 300 steps): final policy {np.round(final, 3)}, the optimum "
                             f"is {np.round(best, 3)} (sum of differences {gap:.3f}, expected < 0.01)")


def test_the_loop_records_where_it_was(pol, ref, rng):
    features, base = rng.normal(size=(4, 2)), rng.normal(size=4)
    rewards = rng.normal(size=4)
    run = pol.improve_policy(features, base, rewards, 0.5, steps=5, batch_size=8, lr=0.3, seed=3)
    thetas = expect_array(run["thetas"], "thetas", shape=(6, 2))
    assert_close(thetas[0], np.zeros(2), "thetas[0], the start")
    expected = expect_array(run["expected_reward"], "expected_reward", shape=(6,))
    kl = expect_array(run["kl"], "kl", shape=(6,))
    for i in (0, 5):
        assert_close(expected[i], ref.expected_reward(thetas[i], features, base, rewards), f"expected_reward[{i}]")
        assert_close(kl[i], ref.kl_to_reference(thetas[i], features, base), f"kl[{i}]", atol=1e-12)
    again = pol.improve_policy(features, base, rewards, 0.5, steps=5, batch_size=8, lr=0.3, seed=3)
    if not np.array_equal(thetas, np.asarray(again["thetas"])):
        raise AssertionError("improve_policy: the same seed gave a different run")


def _hacking_world(ref_pf):
    features = ref_pf.grid_items()
    base = ref_pf.starting_logits(features)
    learned = features @ np.array([0.9, 0.55])  # a linear reward model, as the experiment learns
    return features, base, learned, ref_pf.hidden_utility(features)


@pytest.mark.points(2)
def test_without_a_penalty_the_learned_reward_rises_and_the_true_one_falls(pol, ref, ref_pf, rng):
    features, base, learned, utility = _hacking_world(ref_pf)
    run = pol.improve_policy(features, base, learned, 0.0, steps=300, seed=int(rng.integers(1000)))
    thetas = expect_array(run["thetas"], "thetas", shape=(301, 2))
    true = [float(_probs(ref, t, features, base) @ utility) for t in (thetas[0], thetas[-1])]
    gain = float(run["expected_reward"][-1] - run["expected_reward"][0])
    if not (gain > 3.5 and true[1] < true[0] - 2.0 and run["kl"][-1] > 8.0):
        raise AssertionError(f"improve_policy (beta = 0): learned reward gained {gain:.2f} (expected > 3.5), true "
                             f"utility {true[0]:.2f} -> {true[1]:.2f} (expected to fall by > 2), KL {run['kl'][-1]:.2f} "
                             "(expected > 8): the policy should run to the far corner the reward model overrates")


@pytest.mark.points(2)
def test_with_a_penalty_the_kl_stays_bounded_and_the_true_reward_rises(pol, ref, ref_pf, rng):
    features, base, learned, utility = _hacking_world(ref_pf)
    run = pol.improve_policy(features, base, learned, 1.0, steps=300, seed=int(rng.integers(1000)))
    kl = expect_array(run["kl"], "kl", shape=(301,))
    thetas = np.asarray(run["thetas"])
    true = [float(_probs(ref, t, features, base) @ utility) for t in (thetas[0], thetas[-1])]
    gain = float(run["expected_reward"][-1] - run["expected_reward"][0])
    if not (kl.max() < 0.7 and gain > 0.8 and true[1] > true[0] + 0.5):
        raise AssertionError(f"improve_policy (beta = 1): KL reached {kl.max():.2f} (expected < 0.7), learned reward "
                             f"gained {gain:.2f} (expected > 0.8), true utility {true[0]:.2f} -> {true[1]:.2f} "
                             "(expected to rise by > 0.5); is the penalty subtracted from the return?")


# -- the whole contract, against the reference ---------------------------------------------------
# Feature policies and tabular ones (features = eye(K)), K = 1 item and more, logits of 1000 on
# either side. Values near 0 (a gradient at a nearly sure policy, the KL at theta = 0) are judged
# on the scale of 1 (each output is compared next to a 1), not on their own round-off. The
# improvement loop is compared step by step with the reference: sample_actions' draws are
# documented exactly, and the baseline must leave each sample's own return out.

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


def _policy(rng, notes, base_regimes=("normal", "wide", "ties"), theta_regimes=("normal", "small", "zeros")):
    k = int(rng.integers(1, 6))
    if rng.random() < 0.4:
        features = np.eye(k)
        notes.append("tabular")
    else:
        features = _values(rng, (k, int(rng.integers(1, 4))), ("normal", "ties"))
    theta = _values(rng, (features.shape[1],), theta_regimes, notes)
    return theta, features, _values(rng, (k,), base_regimes, notes)


def _log_probs_case(rng):
    notes = []
    return case(*_policy(rng, notes, ("normal", "wide", "large", "ties"), ("normal", "large", "zeros")),
                note=", ".join(notes))


def _sample_case(rng):
    notes = []
    logits = _values(rng, (int(rng.integers(1, 6)),), ("normal", "wide", "large", "ties"), notes)
    log_probs = logits - logits.max() - np.log(np.exp(logits - logits.max()).sum())
    if logits.size > 1 and rng.random() < 0.5:
        log_probs[int(rng.integers(logits.size))] = -np.inf  # an item of probability 0
        log_probs = log_probs - np.log(np.exp(log_probs).sum())
        notes.append("an item of probability 0")
    seed = int(rng.integers(2**31)) if rng.random() < 0.5 else [int(s) for s in rng.integers(0, 1000, size=2)]
    return case(log_probs, int(rng.integers(1, 7)), seed, note=", ".join(notes))


def _reward_case(rng):
    notes = []
    theta, features, base = _policy(rng, notes, ("normal", "wide", "large", "ties"))
    return case(theta, features, base, _values(rng, (base.size,), ("normal", "wide", "ties", "zeros"), notes),
                note=", ".join(notes))


def _kl_case(rng):
    notes = []  # logits of 1000 on either side: pi_0 of an item can underflow where pi_theta's does not
    return case(*_policy(rng, notes, ("normal", "wide", "large", "ties"), ("normal", "small", "zeros", "large")),
                note=", ".join(notes))


def _reinforce_case(rng):
    notes = []
    theta, features, base = _policy(rng, notes)
    m = int(rng.integers(1, 7))
    actions = _ints(rng, (m,), 0, base.size)
    returns = _values(rng, (m,), ("normal", "wide", "zeros"), notes)
    kind = _pick(rng, ["none", "number", "per-sample"])
    if kind == "none":
        return case(theta, features, base, actions, returns, note=", ".join(notes))
    baseline = float(rng.uniform(-3, 3)) if kind == "number" else rng.normal(size=m)
    return case(theta, features, base, actions, returns, baseline, note=", ".join(notes + [f"{kind} baseline"]))


def _optimal_case(rng):
    k, notes = int(rng.integers(1, 6)), []
    return case(_values(rng, (k,), ("normal", "wide", "ties"), notes),
                _values(rng, (k,), ("normal", "wide", "ties", "zeros"), notes), _pick(rng, [1e-3, 0.1, 1.0, 10.0]),
                note=", ".join(notes))


def _loop_case(rng):
    k = int(rng.integers(2, 6))
    features = np.eye(k) if rng.random() < 0.4 else rng.normal(size=(k, int(rng.integers(1, 4))))
    return case(features, _values(rng, (k,), ("normal", "ties")), rng.normal(size=k), _pick(rng, [0.0, 0.3, 2.0]),
                steps=int(rng.integers(0, 4)), batch_size=int(rng.integers(2, 6)), lr=_pick(rng, [0.1, 1.0]),
                seed=int(rng.integers(2**31)))


_T, _F, _B, _R = np.zeros(2), np.ones((3, 2)), np.zeros(3), np.ones(3)
_SHAPES = [case(_T, np.ones((3, 3)), _B, note="features (3, 3) for theta (2,)"),
           case(_T, _F, np.zeros(4), note="base_logits (4,) for features (3, 2)"),
           case(np.zeros((2, 1)), _F, _B, note="theta of rank 2"),
           case(_T, np.ones(3), _B, note="features of rank 1")]
# pi_0(item 2) = exp(-800) / 2 underflows as a probability; pi_theta makes it likely (theta = 800, 1000)
_FAR = [case(np.array([800.0]), np.array([[0.0], [0.0], [1.0]]), np.array([0.0, 0.0, -800.0]), note="pi_0 of 1e-348"),
        case(np.array([1000.0, 0.0]), np.eye(3)[:, :2], np.array([-900.0, 0.0, 50.0]), note="pi_0 of 1e-413")]
_REWARD_SHAPES = [case(*c.args, _R, note=c.note) for c in _SHAPES] + [
    case(_T, _F, _B, np.ones(4), note="rewards (4,) for 3 items")]
_A = np.array([0, 2])
_REINFORCE = [case(_T, _F, _B, np.array([0.0, 2.0]), np.ones(2), note="float actions"),
              case(_T, _F, _B, np.array([0, 3]), np.ones(2), note="action 3 of 3 items"),
              case(_T, _F, _B, np.array([0, -1]), np.ones(2), note="action -1"),
              case(_T, _F, _B, np.zeros(0, dtype=np.int64), np.zeros(0), note="no samples"),
              case(_T, _F, _B, _A, np.ones(3), note="3 returns for 2 actions"),
              case(_T, _F, _B, _A, np.ones(1), note="1 return for 2 actions: it would broadcast"),
              case(_T, _F, _B, _A, np.ones(2), np.ones(3), note="a baseline of 3 for 2 samples"),
              case(_T, np.ones((3, 3)), _B, _A, np.ones(2), note="features (3, 3) for theta (2,)")]
_LOOP = [case(_F, _B, _R, -0.1, steps=2, note="beta < 0"), case(_F, _B, _R, 0.5, steps=2, batch_size=1, note="batch 1"),
         case(_F, _B, _R, 0.5, steps=-1, note="steps -1"), case(_F, np.zeros(4), _R, 0.5, steps=2, note="4 logits"),
         case(_F, _B, np.ones(2), 0.5, steps=2, note="2 rewards for 3 items"),
         case(np.eye(3), np.array([0.5, -0.5, 0.0]), np.array([1.0, 0.2, -0.4]), 2.0, steps=3, batch_size=4, lr=1.0,
              seed=11, note="beta 2: each sample's own KL penalty, from the second step on")]

CONTRACTS = [
    Contract("control.policy", "policy_log_probs", _seeded(_log_probs_case), examples=8, fixed=_SHAPES),
    Contract("control.policy", "sample_actions", _seeded(_sample_case), examples=7,
             fixed=[case(np.log(np.full(3, 1 / 3)), 0, 1, note="n = 0"),
                    case(np.zeros((2, 2)), 2, 1, note="log_probs of rank 2")]),
    Contract("control.policy", "expected_reward", _seeded(_reward_case), project=_floored, examples=5,
             fixed=_REWARD_SHAPES),
    Contract("control.policy", "expected_reward_gradient", _seeded(_reward_case), project=_floored, examples=6,
             fixed=_REWARD_SHAPES),
    Contract("control.policy", "kl_to_reference", _seeded(_kl_case), project=_floored, examples=6,
             fixed=_SHAPES + _FAR),
    Contract("control.policy", "kl_gradient", _seeded(_kl_case), project=_floored, examples=6, fixed=_SHAPES + _FAR),
    Contract("control.policy", "reinforce_gradient", _seeded(_reinforce_case), project=_floored, examples=7, points=2,
             fixed=_REINFORCE),
    Contract("control.policy", "optimal_policy", _seeded(_optimal_case), examples=6,
             fixed=[case(np.zeros(3), np.array([1.0, 2.0, 0.5]), 1e-3, note="beta 1e-3: logits of 2000"),
                    case(_B, _R, 0.0, note="beta = 0"), case(_B, _R, -1.0, note="beta < 0"),
                    case(_B, np.ones(2), 1.0, note="2 rewards for 3 items")]),
    Contract("control.policy", "improve_policy", _seeded(_loop_case), project=_floored, examples=10, points=3,
             fixed=_LOOP, name="test_contract_improve_policy_first_steps"),
]
globals().update(contract_tests(CONTRACTS))
