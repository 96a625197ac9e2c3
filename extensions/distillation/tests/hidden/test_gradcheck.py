"""The grader's gradient checks of the distillation extension, against central differences of the reference.

The soft term alone at several temperatures, the whole loss at several (temperature, alpha), and
the student network's every parameter through the whole loss (smooth activations, so no kink
near the inputs). The forward values are compared with the reference first.
"""

import numpy as np
import pytest

from grader.engine.testing import assert_close, module_fixture, reference_fixture

ls = module_fixture("distillation.loss")
st = module_fixture("distillation.train")
ref_ls = reference_fixture("distillation.loss")
ref_st = reference_fixture("distillation.train")
ref_tr = reference_fixture("phase1_backprop.train")


@pytest.mark.parametrize("temperature", [0.5, 1.0, 3.0])
@pytest.mark.gradcheck("distillation_kl")
def test_gradcheck_distillation_kl(ls, ref_ls, gradcheck, rng, temperature):
    student, teacher = rng.normal(size=(4, 5)) * 2, rng.normal(size=(4, 5)) * 2
    value, grad = ls.distillation_kl(student, teacher, temperature)
    assert_close(value, ref_ls.distillation_kl(student, teacher, temperature)[0], f"distillation_kl(T = {temperature})")
    gradcheck(f"distillation_kl(T = {temperature}): dstudent", grad,
              lambda s: ref_ls.distillation_kl(s, teacher, temperature)[0], student)


@pytest.mark.parametrize("temperature, alpha", [(1.0, 0.5), (2.0, 0.9), (4.0, 1.0), (5.0, 0.3), (3.0, 0.0), (0.7, 0.6)])
@pytest.mark.gradcheck("distillation_loss")
def test_gradcheck_distillation_loss(ls, ref_ls, gradcheck, rng, temperature, alpha):
    student, teacher = rng.normal(size=(4, 5)) * 2, rng.normal(size=(4, 5)) * 3
    labels = np.array([4, 0, 2, 2])
    loss, grad = ls.distillation_loss(student, teacher, labels, temperature, alpha)
    assert_close(loss, ref_ls.distillation_loss(student, teacher, labels, temperature, alpha)[0],
                 f"distillation_loss(T = {temperature}, alpha = {alpha})")
    gradcheck(f"distillation_loss(T = {temperature}, alpha = {alpha}): dstudent", grad,
              lambda s: ref_ls.distillation_loss(s, teacher, labels, temperature, alpha)[0], student)


@pytest.mark.parametrize("with_teacher", [True, False])
@pytest.mark.gradcheck("student_loss_and_grads")
def test_gradcheck_student_every_parameter(st, ref_st, ref_tr, gradcheck, rng, with_teacher):
    params = ref_tr.init_params([3, 5, 4], int(rng.integers(1000)), "xavier")
    params = {k: v + 0.1 * rng.normal(size=np.shape(v)) for k, v in params.items()}
    x, labels = rng.normal(size=(6, 3)), np.array([0, 3, 1, 2, 3, 1])
    teacher = rng.normal(size=(6, 4)) * 2 if with_teacher else None
    loss, grads = st.student_loss_and_grads(params, x, labels, teacher, 2.5, 0.8, "tanh")
    assert_close(loss, ref_st.student_loss_and_grads(params, x, labels, teacher, 2.5, 0.8, "tanh")[0],
                 "student_loss_and_grads: loss")
    label = "with a teacher (T = 2.5, alpha = 0.8)" if with_teacher else "hard labels only"
    for key in params:
        def f(value, key=key):
            return ref_st.student_loss_and_grads({**params, key: value}, x, labels, teacher, 2.5, 0.8, "tanh")[0]

        gradcheck(f"student_loss_and_grads, {label}: d{key}", grads[key], f, params[key])
