"""The grader's gradient checks of phase 0: every backward function against central differences.

The analytic gradient comes from the target's backward function; the numerical one from the
grader's own finite differences of the trusted reference forward pass (float64, random upstream
gradient). The target's forward pass is compared with the reference too: a gradient that agrees
with a wrong forward pass is still wrong.
"""

import numpy as np
import pytest

from grader.engine.testing import assert_close, module_fixture, reference_fixture

mm = module_fixture("phase0_math.matmul")
sm = module_fixture("phase0_math.softmax")
loss = module_fixture("phase0_math.loss")
lr = module_fixture("phase0_math.linear_regression")
ref_mm = reference_fixture("phase0_math.matmul")
ref_sm = reference_fixture("phase0_math.softmax")
ref_loss = reference_fixture("phase0_math.loss")
ref_lr = reference_fixture("phase0_math.linear_regression")


@pytest.mark.gradcheck("matmul_backward")
def test_gradcheck_matmul_backward(mm, ref_mm, gradcheck, rng):
    a, b, dout = rng.normal(size=(2, 3)), rng.normal(size=(3, 4)), rng.normal(size=(2, 4))
    assert_close(mm.matmul(a, b), a @ b, "matmul(a, b)")
    da, db = mm.matmul_backward(dout, a, b)
    gradcheck("matmul_backward: da", da, lambda a_: ref_mm.matmul(a_, b), a, dout)
    gradcheck("matmul_backward: db", db, lambda b_: ref_mm.matmul(a, b_), b, dout)


@pytest.mark.gradcheck("softmax_backward")
def test_gradcheck_softmax_backward(sm, ref_sm, gradcheck, rng):
    x, dout = rng.normal(size=(3, 5)), rng.normal(size=(3, 5))
    p = sm.softmax(x)
    assert_close(p, ref_sm.softmax(x), "softmax(x)")
    gradcheck("softmax_backward: dx", sm.softmax_backward(dout, p), ref_sm.softmax, x, dout)


@pytest.mark.gradcheck("softmax_backward(axis=0)")
def test_gradcheck_softmax_backward_over_axis_0(sm, ref_sm, gradcheck, rng):
    x, dout = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    p = sm.softmax(x, axis=0)
    assert_close(p, ref_sm.softmax(x, axis=0), "softmax(x, axis=0)")
    gradcheck("softmax_backward(axis=0): dx", sm.softmax_backward(dout, p, axis=0),
              lambda x_: ref_sm.softmax(x_, axis=0), x, dout)


@pytest.mark.gradcheck("mse_backward")
def test_gradcheck_mse_backward(loss, ref_loss, gradcheck, rng):
    pred, target = rng.normal(size=(3, 2)), rng.normal(size=(3, 2))
    assert_close(loss.mse(pred, target), ref_loss.mse(pred, target), "mse(pred, target)")
    gradcheck("mse_backward: dpred", loss.mse_backward(pred, target), lambda p_: ref_loss.mse(p_, target), pred)


@pytest.mark.gradcheck("cross_entropy_backward")
def test_gradcheck_cross_entropy_backward(loss, ref_loss, gradcheck, rng):
    logits, labels = rng.normal(size=(4, 3)) * 2, np.array([0, 2, 1, 2])
    assert_close(loss.cross_entropy(logits, labels), ref_loss.cross_entropy(logits, labels), "cross_entropy")
    gradcheck("cross_entropy_backward: dlogits", loss.cross_entropy_backward(logits, labels),
              lambda z: ref_loss.cross_entropy(z, labels), logits)


@pytest.mark.gradcheck("linear_regression.gradients")
def test_gradcheck_linear_regression_gradients(lr, ref_lr, gradcheck, rng):
    x = rng.normal(size=6)
    y = 1.5 * x - 0.5 + 0.1 * rng.normal(size=6)
    w, b = rng.normal(), rng.normal()
    assert_close(lr.squared_loss(x, y, w, b), ref_lr.squared_loss(x, y, w, b), "squared_loss")
    dw, db = lr.gradients(x, y, w, b)
    params = np.array([w, b])
    gradcheck("gradients: (dw, db)", np.array([dw, db], dtype=np.float64),
              lambda wb: ref_lr.squared_loss(x, y, wb[0], wb[1]), params)
