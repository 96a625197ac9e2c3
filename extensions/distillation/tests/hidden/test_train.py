"""Hidden tests: the student's loss and gradients, and training a student with and without a teacher."""

import numpy as np
import pytest

from grader.engine.testing import assert_close, assert_raises, expect_array, module_fixture, reference_fixture

st = module_fixture("distillation.train", timeout=60)
ref = reference_fixture("distillation.train")
ref_loss = reference_fixture("distillation.loss")
ref_fw = reference_fixture("phase1_backprop.forward")
ref_tr = reference_fixture("phase1_backprop.train")

pytestmark = pytest.mark.exercise("train")


def _same_params(got, expected, name, rtol=1e-6, atol=1e-9):
    if not isinstance(got, dict) or set(got) != set(expected):
        raise AssertionError(f"{name}: expected a dict with the keys {sorted(expected)}, "
                             f"got {sorted(got) if isinstance(got, dict) else type(got).__name__}")
    for key in expected:
        assert_close(got[key], expected[key], f"{name}[{key!r}]", rtol=rtol, atol=atol)


@pytest.mark.points(2)
def test_student_loss_and_grads_match_the_reference_with_and_without_a_teacher(st, ref, ref_tr, rng):
    params = ref_tr.init_params([3, 5, 4], int(rng.integers(1000)))
    x, labels = rng.normal(size=(6, 3)), np.array([0, 3, 1, 2, 3, 0])
    teacher_logits = rng.normal(size=(6, 4)) * 3
    for teacher, label in ((None, "hard labels only"), (teacher_logits, "with a teacher, T = 3, alpha = 0.7")):
        loss, grads = st.student_loss_and_grads(params, x, labels, teacher, 3.0, 0.7)
        ref_value, ref_grads = ref.student_loss_and_grads(params, x, labels, teacher, 3.0, 0.7)
        assert_close(loss, ref_value, f"student_loss_and_grads ({label}): loss")
        _same_params(grads, ref_grads, f"student_loss_and_grads ({label}): grads")


def test_student_loss_refuses_teacher_logits_of_the_wrong_shape(st, ref_tr, rng):
    params = ref_tr.init_params([2, 3], 0)
    x, labels = rng.normal(size=(4, 2)), np.array([0, 1, 2, 0])
    st.student_loss_and_grads(params, x, labels, np.zeros((4, 3)), 2.0, 0.5)
    assert_raises(ValueError, lambda: st.student_loss_and_grads(params, x, labels, np.zeros((4, 2)), 2.0, 0.5),
                  "student_loss_and_grads with teacher logits (4, 2) for a student with 3 outputs",
                  mentions=("(4, 2)",))


@pytest.mark.points(2)
def test_train_student_follows_the_recipe(st, ref, ref_tr):
    # init_params(sizes, seed), then full-batch steps of sgd_step with momentum: the reference's numbers
    x, y = ref_tr.make_spirals(8, 3, seed=2)
    teacher_logits = np.random.default_rng(5).normal(size=(24, 3)) * 2
    for teacher, label in ((None, "hard labels only"), (teacher_logits, "distilled, T = 2, alpha = 0.6")):
        got = st.train_student(x, y, [2, 7, 3], teacher, 2.0, 0.6, lr=0.1, epochs=40, seed=3, momentum=0.9)
        expected = ref.train_student(x, y, [2, 7, 3], teacher, 2.0, 0.6, lr=0.1, epochs=40, seed=3, momentum=0.9)
        _same_params(got["params"], expected["params"], f"train_student ({label}): params after 40 epochs")
        history = expect_array(got["history"], f"train_student ({label}): history", shape=(40,))
        assert_close(history, expected["history"], f"train_student ({label}): history", rtol=1e-6)


@pytest.mark.points(2)
def test_a_student_distilled_alone_learns_to_copy_the_teacher(st, ref_fw, ref_tr, ref_loss, rng):
    # alpha = 1: no labels at all. A student of the teacher's size can copy its soft targets almost exactly
    seed = int(rng.integers(1000))
    x, y = ref_tr.make_spirals(20, 3, seed=seed)
    teacher = ref_tr.train(x, y, [2, 16, 3], lr=0.1, epochs=300, seed=seed, momentum=0.9)["params"]
    teacher_logits, _ = ref_fw.mlp_forward(x, teacher)
    result = st.train_student(x, y, [2, 16, 3], teacher_logits, 2.0, 1.0, lr=0.1, epochs=1500, seed=seed + 1,
                              momentum=0.9)
    student_logits, _ = ref_fw.mlp_forward(x, result["params"])
    kl, _ = ref_loss.distillation_kl(student_logits, teacher_logits, 2.0)
    if not kl < 0.02:
        raise AssertionError(f"train_student with alpha = 1, T = 2: after 1500 epochs the student's softmax is still "
                             f"{kl:.4f} (mean KL) away from the teacher's, expected < 0.02")
    x_new, _ = ref_tr.make_spirals(100, 3, seed=seed + 7)
    agree = np.mean(np.argmax(ref_fw.mlp_forward(x_new, result["params"])[0], axis=1)
                    == np.argmax(ref_fw.mlp_forward(x_new, teacher)[0], axis=1))
    if not agree > 0.75:
        raise AssertionError(f"train_student with alpha = 1: the student agrees with the teacher on {agree:.1%} of "
                             "new points, expected more than 75%")


def test_train_student_refuses_x_that_does_not_fit_the_first_layer(st):
    x, y = np.zeros((4, 2)), np.array([0, 1, 0, 1])
    st.train_student(x, y, [2, 3, 2], epochs=1)
    assert_raises(ValueError, lambda: st.train_student(x, y, [3, 3, 2], epochs=1),
                  "train_student with x (4, 2) and layer_sizes [3, 3, 2]", mentions=("(4, 2)",))
