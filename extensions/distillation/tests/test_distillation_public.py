"""Public tests of the distillation extension: `make check PHASE=distillation`.

Each test names its exercise; `make check PHASE=distillation ARGS='-k loss'` runs one exercise.
The grader runs more, hidden, tests (the reference's numbers, training a student to copy a
teacher) and its own gradient checks of the loss at several temperatures and weights.
"""

import numpy as np
import pytest

from grader.engine.testing import assert_close, assert_raises, expect_array, expect_float, module_fixture

tp = module_fixture("distillation.temperature")
ls = module_fixture("distillation.loss")
st = module_fixture("distillation.train")


def _numerical_gradient(f, x, eps=1e-6):
    grad = np.zeros_like(x)
    for i in range(x.size):
        step = np.zeros_like(x)
        step.flat[i] = eps
        grad.flat[i] = (f(x + step) - f(x - step)) / (2 * eps)
    return grad


# -- B.1 temperature ------------------------------------------------------------------------------

@pytest.mark.exercise("temperature")
def test_temperature_softmax_t_at_t_2(tp):
    got = expect_array(tp.softmax_t(np.array([[0.0, np.log(4.0)]]), 2.0), "softmax_t", shape=(1, 2))
    assert_close(got, np.array([[1 / 3, 2 / 3]]), "softmax_t([0, ln 4], T = 2) = softmax([0, ln 2])")


@pytest.mark.exercise("temperature")
def test_temperature_refuses_t_0(tp):
    tp.softmax_t(np.zeros((1, 3)), 1.0)
    assert_raises(ValueError, lambda: tp.softmax_t(np.zeros((1, 3)), 0.0), "softmax_t with temperature 0")


@pytest.mark.exercise("temperature")
def test_temperature_soft_targets_are_probabilities(tp, rng):
    teacher = {"W1": rng.normal(size=(2, 4)), "b1": np.zeros(4), "W2": rng.normal(size=(4, 3)), "b2": np.zeros(3)}
    p = expect_array(tp.soft_targets(teacher, rng.normal(size=(5, 2)), 4.0), "soft_targets", shape=(5, 3))
    assert_close(p.sum(axis=1), np.ones(5), "soft_targets: rows sum to 1")


# -- B.2 loss -------------------------------------------------------------------------------------

@pytest.mark.exercise("loss")
def test_loss_kl_divergence_hand_case(ls):
    got = expect_array(ls.kl_divergence(np.array([[0.5, 0.5]]), np.array([[0.25, 0.75]])), "kl_divergence", shape=(1,))
    assert_close(got, np.array([0.5 * np.log(2.0) + 0.5 * np.log(2.0 / 3.0)]), "KL([0.5, 0.5] || [0.25, 0.75])")


@pytest.mark.exercise("loss")
def test_loss_distillation_kl_gradient_by_finite_differences(ls, rng):
    student, teacher = rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
    value, grad = ls.distillation_kl(student, teacher, 2.0)
    expect_float(value, "distillation_kl")
    numerical = _numerical_gradient(lambda s: ls.distillation_kl(s, teacher, 2.0)[0], student)
    assert_close(grad, numerical, "distillation_kl gradient against finite differences", rtol=1e-5, atol=1e-8)


@pytest.mark.exercise("loss")
def test_loss_distillation_loss_gradient_by_finite_differences(ls, rng):
    student, teacher, labels = rng.normal(size=(3, 4)), rng.normal(size=(3, 4)), np.array([3, 0, 1])
    _, grad = ls.distillation_loss(student, teacher, labels, 4.0, 0.75)
    numerical = _numerical_gradient(lambda s: ls.distillation_loss(s, teacher, labels, 4.0, 0.75)[0], student)
    assert_close(grad, numerical, "distillation_loss gradient (T = 4, alpha = 0.75) against finite differences",
                 rtol=1e-5, atol=1e-8)


@pytest.mark.exercise("loss")
def test_loss_the_soft_term_is_scaled_by_t_squared(ls, rng):
    student, teacher, labels = rng.normal(size=(3, 4)), rng.normal(size=(3, 4)), np.array([3, 0, 1])
    kl, _ = ls.distillation_kl(student, teacher, 3.0)
    loss, _ = ls.distillation_loss(student, teacher, labels, 3.0, 1.0)
    assert_close(loss, 9.0 * kl, "distillation_loss(alpha = 1, T = 3) = 9 distillation_kl(T = 3)")


# -- B.3 train ------------------------------------------------------------------------------------

@pytest.mark.exercise("train")
def test_train_grads_have_the_shapes_of_the_params(st, rng):
    params = {"W1": rng.normal(size=(2, 5)), "b1": np.zeros(5), "W2": rng.normal(size=(5, 3)), "b2": np.zeros(3)}
    x, labels = rng.normal(size=(4, 2)), np.array([0, 2, 1, 2])
    loss, grads = st.student_loss_and_grads(params, x, labels, rng.normal(size=(4, 3)), 2.0, 0.5)
    expect_float(loss, "loss")
    for key, value in params.items():
        expect_array(grads[key], f"grads[{key!r}]", shape=value.shape)


@pytest.mark.exercise("train")
def test_train_a_student_lowers_its_loss(st):
    x = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = np.array([0, 1, 1, 0])
    teacher_logits = np.array([[2.0, -2.0], [-2.0, 2.0], [-2.0, 2.0], [2.0, -2.0]])
    result = st.train_student(x, y, [2, 8, 2], teacher_logits, 2.0, 0.5, lr=0.1, epochs=300, seed=0)
    history = expect_array(result["history"], "history", shape=(300,))
    if not history[-1] < 0.5 * history[0]:
        raise AssertionError(f"train_student on XOR: the loss went from {history[0]:.4f} to {history[-1]:.4f}, "
                             "expected it at least halved")


# -- golden cases: inputs and outputs of the reference over many shapes and value regimes ----------
# (tests/_snapshots/*.npz, written by the course authors with python -m grader.authoring.snapshots)

from grader.authoring.snapshots import snapshot_tests  # noqa: E402

globals().update(snapshot_tests(__file__))
