"""Hidden tests: KL divergence, the soft term of distillation and the whole distillation loss."""

import numpy as np
import pytest

from grader.engine.testing import assert_close, assert_raises, expect_array, expect_float, module_fixture, reference_fixture

ls = module_fixture("distillation.loss")
ref = reference_fixture("distillation.loss")

pytestmark = pytest.mark.exercise("loss")


def _softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _kl(p, q):
    return np.sum(p * np.log(p / q), axis=1)


def test_kl_divergence_on_a_hand_computed_case(ls):
    p, q = np.array([[0.5, 0.5], [0.9, 0.1]]), np.array([[0.25, 0.75], [0.9, 0.1]])
    got = expect_array(ls.kl_divergence(p, q), "kl_divergence", shape=(2,))
    assert_close(got, np.array([0.5 * np.log(2.0) + 0.5 * np.log(2.0 / 3.0), 0.0]), "kl_divergence", atol=1e-12)


def test_kl_divergence_is_not_symmetric(ls):
    p, q = np.array([[0.5, 0.5]]), np.array([[0.25, 0.75]])
    forward, backward = ls.kl_divergence(p, q), ls.kl_divergence(q, p)
    assert_close(forward, _kl(p, q), "kl_divergence(p, q) = sum p log(p / q)")
    assert_close(backward, _kl(q, p), "kl_divergence(q, p) = sum q log(q / p)")


def test_kl_divergence_lets_zero_probabilities_of_p_add_nothing(ls):
    # 0 log(0 / q) = 0, even where q is 0 too
    p, q = np.array([[0.0, 1.0, 0.0]]), np.array([[0.0, 0.5, 0.5]])
    assert_close(ls.kl_divergence(p, q), np.array([np.log(2.0)]), "kl_divergence with zeros in p (and in q)")


def test_kl_divergence_refuses_rows_of_different_shapes(ls):
    ls.kl_divergence(np.full((2, 3), 1 / 3), np.full((2, 3), 1 / 3))
    assert_raises(ValueError, lambda: ls.kl_divergence(np.full((2, 3), 1 / 3), np.full((2, 4), 0.25)),
                  "kl_divergence of (2, 3) and (2, 4)")


@pytest.mark.points(2)
def test_distillation_kl_goes_from_the_teacher_to_the_student_at_the_same_temperature(ls, rng):
    student, teacher = rng.normal(size=(4, 5)) * 2, rng.normal(size=(4, 5)) * 2
    value, grad = ls.distillation_kl(student, teacher, 3.0)
    p, q = _softmax(teacher / 3.0), _softmax(student / 3.0)
    if abs(expect_float(value, "distillation_kl") - np.mean(_kl(q, p))) < 1e-9:
        raise AssertionError("distillation_kl: you computed KL(student || teacher); the soft term is "
                             "KL(teacher || student), the teacher's distribution being the target")
    assert_close(value, np.mean(_kl(p, q)), "distillation_kl = mean KL(softmax(t / T) || softmax(s / T))")
    assert_close(grad, (q - p) / (4 * 3.0), "distillation_kl: gradient (q - p) / (N T)")


def test_distillation_kl_is_zero_when_the_student_matches_the_teacher(ls, rng):
    logits = rng.normal(size=(3, 4))
    value, grad = ls.distillation_kl(logits, logits + 5.0, 2.0)  # a constant per row changes no softmax
    assert_close(value, 0.0, "distillation_kl of equal logits (up to a constant)", atol=1e-12)
    assert_close(grad, np.zeros((3, 4)), "its gradient", atol=1e-12)


def test_distillation_kl_survives_a_teacher_that_is_very_sure(ls):
    # at T = 0.5 a logit gap of 400 puts exp(-800) on the other class: its log must not be -inf
    value, grad = ls.distillation_kl(np.array([[0.0, 0.0]]), np.array([[400.0, 0.0]]), 0.5)
    assert_close(value, np.log(2.0), "distillation_kl with teacher logits (400, 0) at T = 0.5", rtol=1e-9)
    expect_array(grad, "distillation_kl: gradient", shape=(1, 2))


def test_distillation_loss_with_alpha_0_is_the_cross_entropy(ls, rng):
    student, teacher = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    labels = np.array([2, 0, 1, 2])
    loss, grad = ls.distillation_loss(student, teacher, labels, 4.0, 0.0)
    p = _softmax(student)
    assert_close(loss, -np.mean(np.log(p[np.arange(4), labels])), "distillation_loss with alpha = 0")
    onehot = np.eye(3)[labels]
    assert_close(grad, (p - onehot) / 4, "its gradient: (softmax(s) - onehot) / N, at T = 1 whatever T is")


@pytest.mark.points(2)
def test_distillation_loss_multiplies_the_soft_term_by_t_squared(ls, rng):
    student, teacher, labels = rng.normal(size=(4, 3)), rng.normal(size=(4, 3)), np.array([0, 1, 2, 1])
    for temperature in (2.0, 5.0):
        loss, grad = ls.distillation_loss(student, teacher, labels, temperature, 1.0)
        p, q = _softmax(teacher / temperature), _softmax(student / temperature)
        assert_close(loss, temperature**2 * np.mean(_kl(p, q)), f"distillation_loss with alpha = 1, T = {temperature}: "
                     "T^2 times the mean KL")
        assert_close(grad, temperature * (q - p) / 4, f"its gradient at T = {temperature}: T (q - p) / N")


def test_at_high_temperature_distillation_matches_logits(ls, rng):
    # Hinton et al. 2.1: with zero-mean logits and T large, T^2 dKL/ds -> (s - t) / (N C)
    student, teacher = rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
    student -= student.mean(axis=1, keepdims=True)
    teacher -= teacher.mean(axis=1, keepdims=True)
    _, grad = ls.distillation_loss(student, teacher, np.array([0, 1, 2]), 1000.0, 1.0)
    assert_close(grad, (student - teacher) / (3 * 4), "distillation_loss gradient at T = 1000 against logit matching "
                 "(s - t) / (N C)", rtol=0.01, atol=1e-4)


def test_distillation_loss_matches_the_reference(ls, ref, rng):
    student, teacher, labels = rng.normal(size=(5, 3)), rng.normal(size=(5, 3)) * 3, np.array([0, 2, 1, 1, 0])
    loss, grad = ls.distillation_loss(student, teacher, labels, 3.0, 0.7)
    ref_loss, ref_grad = ref.distillation_loss(student, teacher, labels, 3.0, 0.7)
    assert_close(loss, ref_loss, "distillation_loss(T = 3, alpha = 0.7)")
    assert_close(grad, ref_grad, "its gradient")


def test_distillation_loss_refuses_an_alpha_outside_0_1(ls):
    s, t, y = np.zeros((2, 3)), np.zeros((2, 3)), np.array([0, 1])
    ls.distillation_loss(s, t, y, 2.0, 0.5)
    assert_raises(ValueError, lambda: ls.distillation_loss(s, t, y, 2.0, 1.5), "distillation_loss with alpha = 1.5")


# -- the whole contract, against the reference ---------------------------------------------------
#
# Each case is built by numpy from one drawn seed: several temperatures and weights alpha, logits in
# every regime, labels of every integer dtype. A soft term of exactly 0 (student = teacher up to a
# constant per row) is kept out of the drawn cases: there its value is round-off, and round-off is
# not graded.

from grader.engine import domains as dom  # noqa: E402
from grader.engine.differential import Contract, case, contract_tests  # noqa: E402

TEMPERATURES = (0.5, 1.0, 2.0, 3.0, 4.0, 10.0)
ALPHAS = (0.0, 0.1, 0.5, 0.9, 1.0)
SIDES = (1, 1, 2, 3, 4, 5)
LOGIT_REGIMES = ("normal", "wide", "large", "ties")


from grader.engine.domains import pick as _pick  # noqa: E402


def _array(rng, shape, regimes=dom.FLOAT_REGIMES):
    regime = _pick(rng, regimes)
    value = dom.fill(rng, tuple(shape), regime)
    dom.remember(value, regime)  # named in a failure message
    return value


def _cases(build):
    return dom.seeds().map(lambda seed: build(np.random.default_rng(seed)))


ROUND_OFF = 1e-12


def _no_round_off(value):
    """Entries below 1e-12 in magnitude read as 0 (in both outputs): where a function saturates (a sigmoid
    near 0 or 1, tanh near +-1, a softmax near certainty) a whole array can be that small, and there two
    right formulas differ by their round-off (the docstring's 0.5 (1 + tanh(x / 2)) gives 0 where
    exp(x) / (1 + exp(x)) gives 4e-18). Values that size are not graded; everything larger is."""
    if isinstance(value, np.ndarray) and value.dtype.kind == "f":
        return np.where(np.abs(value) < ROUND_OFF, 0.0, value).astype(value.dtype)
    if isinstance(value, float):
        return 0.0 if abs(value) < ROUND_OFF else value
    if isinstance(value, dict):
        return {key: _no_round_off(item) for key, item in value.items()}
    if isinstance(value, (tuple, list)):
        return type(value)(_no_round_off(item) for item in value)
    return value


def _probabilities(rng, n, c):
    p = rng.dirichlet(np.ones(c), size=n)
    if c > 1 and rng.random() < 0.6:  # zeros: where p = 0 (whatever q), and where q = 0 under p > 0 (inf)
        p = np.where(rng.random((n, c)) < 0.35, 0.0, p)
        p[:, 0] = np.where(p.sum(axis=1) == 0, 1.0, p[:, 0])
        p = p / p.sum(axis=1, keepdims=True)
    dom.remember(p, "probabilities")
    return p


def _kl_case(rng):
    n, c = _pick(rng, SIDES), _pick(rng, SIDES)
    return case(_probabilities(rng, n, c), _probabilities(rng, n, c))


def _logit_pair(rng):
    n, c = _pick(rng, SIDES), _pick(rng, (2, 2, 3, 4, 5))
    student, teacher = _array(rng, (n, c), LOGIT_REGIMES), _array(rng, (n, c), LOGIT_REGIMES)
    teacher = teacher + rng.normal(size=(n, c)) * 0.5  # never the student up to a constant per row
    # in row 0 the teacher favours the class the student likes least: at every temperature that row's
    # soft term is far from 0, so no output is all round-off (two sure, agreeing rows give q - p ~ 1e-13)
    least = int(np.argmin(student[0]))
    teacher[0, least] = teacher[0].max() + 2.0 * (student[0].max() - student[0].min()) + 1.0
    return student, teacher, least


def _kl_term_case(rng):
    student, teacher, _ = _logit_pair(rng)
    return case(student, teacher, _pick(rng, TEMPERATURES))


def _loss_case(rng):
    student, teacher, least = _logit_pair(rng)
    labels = rng.integers(0, student.shape[1], size=student.shape[0])
    labels[0] = least  # and row 0 is not confidently right about its label either
    return case(student, teacher, labels.astype(_pick(rng, (np.int64, np.int32, np.uint8))), _pick(rng, TEMPERATURES),
                _pick(rng, ALPHAS))


_P = np.array([[0.5, 0.5], [0.9, 0.1]])
_S, _T, _Y = np.array([[0.0, 1.0, -1.0], [2.0, 0.0, 0.5]]), np.array([[1.0, 0.0, 0.5], [-1.0, 2.0, 0.0]]), np.array([0, 2])

CONTRACTS = [
    Contract("distillation.loss", "kl_divergence", _cases(_kl_case), exercise="loss", examples=10, fixed=[
        case(np.array([[0.0, 1.0, 0.0]]), np.array([[0.0, 0.5, 0.5]]), note="0 log 0 and 0 log(0 / 0.5) are 0"),
        case(np.array([[0.5, 0.5]]), np.array([[1.0, 0.0]]), note="p > 0 where q = 0: inf"),
        case(_P, np.full((2, 3), 1 / 3), note="shapes differ"),
        case(np.array([0.5, 0.5]), np.array([0.5, 0.5]), note="1-d p and q"),
        case(np.full((2, 2, 2), 0.5), np.full((2, 2, 2), 0.5), note="3-d p and q (axis 1 sums to 1)"),
        case(np.array([[0.5, 0.6]]), np.array([[0.5, 0.5]]), note="a row of p sums to 1.1"),
        case(np.array([[0.5, 0.5]]), np.array([[0.3, 0.3]]), note="a row of q sums to 0.6"),
        case(np.array([[1.5, -0.5]]), np.array([[0.5, 0.5]]), note="a negative entry in p (the row sums to 1)"),
        case(np.array([[0.5, 0.5]]), np.array([[-0.25, 1.25]]), note="a negative entry in q (the row sums to 1)"),
    ]),
    Contract("distillation.loss", "distillation_kl", _cases(_kl_term_case), exercise="loss", examples=12,
             project=_no_round_off, fixed=[
        case(np.array([[0.0, 0.0]]), np.array([[400.0, 0.0]]), 0.5, note="the teacher's p underflows to 0"),
        case(_S, _T, 0.0, note="temperature 0"), case(_S, _T, -2.0, note="temperature -2"),
        case(_S, _T, np.nan, note="temperature nan"), case(_S, _T[:, :2], 2.0, note="logits of different shapes"),
        case(_S[0], _T[0], 2.0, note="1-d logits"),
    ]),
    Contract("distillation.loss", "distillation_loss", _cases(_loss_case), exercise="loss", examples=16,
             project=_no_round_off, fixed=[
        case(_S, _T, _Y, 2.0, -0.1, note="alpha -0.1"), case(_S, _T, _Y, 2.0, 1.5, note="alpha 1.5"),
        case(_S, _T, np.array([0, 3]), 2.0, 0.5, note="label 3 for 3 classes"),
        case(_S, _T, np.array([0.0, 1.0]), 2.0, 0.5, note="float labels"),
        case(_S, _T, np.array([0, 1, 2]), 2.0, 0.5, note="3 labels for 2 rows"),
        case(_S, _T, _Y, 0.0, 0.5, note="temperature 0"), case(_S, _T, _Y, np.inf, 0.5, note="temperature inf"),
        case(_S, _T[:, :2], _Y, 2.0, 0.5, note="logits of different shapes"),
    ]),
]
globals().update(contract_tests(CONTRACTS))
