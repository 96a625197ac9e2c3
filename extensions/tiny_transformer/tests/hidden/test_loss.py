"""Hidden tests: model.cross_entropy, the loss head (values by hand, the mask, large logits, refusals).
Its gradient is checked against finite differences in test_gradcheck.py."""

import numpy as np
import pytest

from grader.engine.testing import assert_close, assert_raises, expect_array, module_fixture, reference_fixture

tt = module_fixture("tiny_transformer.model")
ref = reference_fixture("tiny_transformer.model")

pytestmark = pytest.mark.exercise("cross_entropy")


def test_cross_entropy_of_zero_logits_is_log_v_with_the_gradient_by_hand(tt):
    targets = np.array([[0, 3], [2, 2]])
    loss, dlogits = tt.cross_entropy(np.zeros((2, 2, 4)), targets)
    assert_close(loss, np.log(4), "cross_entropy of all-zero logits over 4 tokens")
    expected = np.full((2, 2, 4), 0.25)
    for b in range(2):
        for t in range(2):
            expected[b, t, targets[b, t]] -= 1.0
    assert_close(expect_array(dlogits, "dlogits", shape=(2, 2, 4)), expected / 4,
                 "dlogits = (softmax - onehot) / n with n = 4 positions")


def test_cross_entropy_averages_over_the_masked_positions_only(tt, rng):
    logits = rng.normal(size=(2, 3, 5))
    targets = rng.integers(0, 5, size=(2, 3))
    mask = np.array([[False, True, True], [False, False, True]])
    loss, dlogits = tt.cross_entropy(logits, targets, mask)
    logp = logits - np.log(np.exp(logits).sum(axis=-1, keepdims=True))
    picked = np.take_along_axis(logp, targets[..., None], axis=-1)[..., 0]
    assert_close(loss, -picked[mask].mean(), "cross_entropy with a mask: the mean over the 3 masked positions")
    assert_close(dlogits[~mask], np.zeros((3, 5)), "dlogits where the mask is False (no gradient)", atol=0)
    assert_close(dlogits.sum(axis=-1), np.zeros((2, 3)), "every row of dlogits sums to 0", atol=1e-12)


def test_cross_entropy_survives_logits_of_1000(tt):
    logits = np.array([[[1000.0, 0.0, -1000.0], [0.0, 1000.0, 999.0]]])
    loss, dlogits = tt.cross_entropy(logits, np.array([[0, 2]]))
    expected = (0.0 + (np.log1p(np.exp(-1.0)) + 1.0)) / 2
    assert_close(loss, expected, "cross_entropy with logits of 1000 (subtract the maximum)", rtol=1e-9)
    expect_array(dlogits, "dlogits with logits of 1000", shape=(1, 2, 3))


def test_cross_entropy_matches_the_reference(tt, ref, rng):
    logits = 3.0 * rng.normal(size=(3, 4, 6))
    targets = rng.integers(0, 6, size=(3, 4))
    loss, dlogits = tt.cross_entropy(logits, targets)
    want_loss, want = ref.cross_entropy(logits, targets)
    assert_close(loss, want_loss, "cross_entropy")
    assert_close(dlogits, want, "dlogits")


def test_cross_entropy_refuses_bad_targets_and_an_empty_mask(tt):
    logits = np.zeros((1, 2, 3))
    tt.cross_entropy(logits, np.array([[0, 2]]))
    assert_raises(ValueError, lambda: tt.cross_entropy(logits, np.array([[0, 3]])), "cross_entropy with target 3 of 3")
    assert_raises(ValueError, lambda: tt.cross_entropy(logits, np.array([[0, 1, 2]])),
                  "cross_entropy with targets (1, 3) for logits (1, 2, 3)")
    assert_raises(ValueError, lambda: tt.cross_entropy(logits, np.array([[0, 1]]), np.zeros((1, 2), dtype=bool)),
                  "cross_entropy with a mask that selects nothing")


# -- the whole contract, against the reference ---------------------------------------------------
# Logits in every value regime (1000, rows of very different size, ties, zeros), V = 1 and more,
# targets of every integer dtype, no mask or masks selecting some positions. The loss and dlogits
# are compared next to a 1: a loss or a gradient near 0 (every prediction sure and right) is judged
# on the scale of 1, not on its own round-off.

from hypothesis import strategies as st  # noqa: E402

from grader.engine import domains as dom  # noqa: E402
from grader.engine.differential import Contract, case, contract_tests  # noqa: E402


from grader.engine.domains import seeded as _seeded  # noqa: E402


from grader.engine.domains import pick as _pick  # noqa: E402


from grader.engine.domains import values as _values  # noqa: E402


from grader.engine.domains import ints as _ints  # noqa: E402


def _case(rng):
    shape = tuple(int(n) for n in rng.integers(1, 5, size=3))
    notes = []
    logits = _values(rng, shape, dom.FLOAT_REGIMES, notes)
    targets = _ints(rng, shape[:2], 0, shape[2])
    mask = None
    if rng.random() < 0.5:
        mask = rng.random(shape[:2]) < _pick(rng, [0.3, 0.8])
        mask.flat[int(rng.integers(mask.size))] = True
    return case(logits, targets, mask, note=f"logits {notes[0]}")


def _floored(out):
    if not isinstance(out, (tuple, list)) or len(out) != 2:
        return out
    loss, dlogits = out
    floated = isinstance(dlogits, np.ndarray) and dlogits.dtype.kind == "f"
    flat = np.append(np.ravel(dlogits), 1.0) if floated else dlogits
    return (np.array([float(loss), 1.0]) if isinstance(loss, (float, np.floating)) else loss, flat, np.shape(dlogits))


_Z = np.zeros((1, 2, 3))
CONTRACTS = [
    Contract("tiny_transformer.model", "cross_entropy", _seeded(_case), project=_floored, points=2, examples=12,
             fixed=[case(_Z, np.array([[0, 3]]), note="target 3 of 3"),
                    case(_Z, np.array([[0, -1]]), note="target -1"),
                    case(_Z, np.array([[0.0, 1.0]]), note="float targets"),
                    case(_Z, np.array([[0, 1, 2]]), note="targets (1, 3) for logits (1, 2, 3)"),
                    case(np.zeros((2, 3)), np.array([0, 1]), note="logits of rank 2"),
                    case(np.zeros((1, 1, 2, 3)), np.zeros((1, 1, 2), dtype=np.int64), note="logits of rank 4"),
                    case(_Z, np.array([[0, 1]]), np.zeros((1, 2), dtype=bool), note="a mask that selects nothing"),
                    case(_Z, np.array([[0, 1]]), np.ones((2, 1), dtype=bool), note="mask (2, 1) for (1, 2)"),
                    case(_Z, np.array([[0, 1]]), np.ones((1, 2)), note="a float mask")]),
]
globals().update(contract_tests(CONTRACTS))
