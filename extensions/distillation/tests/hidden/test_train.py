"""Hidden tests: the student's loss and gradients, and training a student with and without a teacher."""

import numpy as np
import pytest

from grader.engine.testing import assert_close, assert_raises, module_fixture, reference_fixture

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
                  "student_loss_and_grads with teacher logits (4, 2) for a student with 3 outputs")


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
                  "train_student with x (4, 2) and layer_sizes [3, 3, 2]")


# -- the whole contract, against the reference ---------------------------------------------------
#
# Each case is built by numpy from one drawn seed: networks of 1 to 3 layers and every activation,
# with and without a teacher, several temperatures and weights alpha.

from grader.engine import domains as dom  # noqa: E402
from grader.engine.differential import (Contract, case, contract_tests, describe_case, draw_cases, judge,  # noqa: E402
                                        learner_outcomes)

ACTIVATIONS = ("relu", "sigmoid", "tanh")
TEMPERATURES = (0.5, 1.0, 2.0, 4.0, 10.0)
ALPHAS = (0.0, 0.3, 0.5, 0.9, 1.0)


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


def _labels(rng, n, n_classes):
    return rng.integers(0, n_classes, size=n).astype(_pick(rng, (np.int64, np.int32, np.uint8)))


def _near_saturation(name, z):
    """Inputs where two right formulas of a derivative part ways: a sigmoid just below 1, tanh just
    inside +-1 (out (1 - out) against out - out^2, 1 - out^2 against (1 - out)(1 + out)): there the
    round-off is large next to the tiny derivative. Exactly saturated and moderate inputs are drawn."""
    z = np.asarray(z)
    if name == "sigmoid":
        return bool(np.any((z > 15) & (z < 40)))
    if name == "tanh":
        return bool(np.any((np.abs(z) > 7) & (np.abs(z) < 21)))
    return False


def _forward(params, x, activation):
    """The hidden pre-activations and the scores (numpy, for choosing cases only)."""
    layers, h, hidden = len(params) // 2, x, []
    for layer in range(1, layers + 1):
        z = h @ params[f"W{layer}"] + params[f"b{layer}"]
        if layer == layers:
            return hidden, z
        hidden.append(z)
        h = np.maximum(z, 0.0) if activation == "relu" else np.tanh(z) if activation == "tanh" else \
            0.5 * (1.0 + np.tanh(z / 2.0))


def _student_try(rng, regimes):
    layers = _pick(rng, (1, 2, 2, 3))
    sizes = [_pick(rng, (1, 2, 3, 4))] + [_pick(rng, (2, 3, 5)) for _ in range(layers - 1)] + [_pick(rng, (2, 3, 4))]
    params = {}
    for layer, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
        params[f"W{layer}"] = rng.normal(size=(fan_in, fan_out)) / np.sqrt(fan_in)
        params[f"b{layer}"] = rng.normal(size=fan_out) * 0.5
    n = _pick(rng, (1, 2, 4, 6))
    x, labels = _array(rng, (n, sizes[0]), regimes), _labels(rng, n, sizes[-1])
    activation = _pick(rng, ACTIVATIONS)
    hidden, scores = _forward(params, x, activation)
    least = int(np.argmin(scores[0]))
    labels[0] = least  # row 0 not confidently right, and (below) the teacher disagrees there: no output is
    teacher = None  # all round-off
    if rng.random() < 0.7:
        teacher = rng.normal(size=(n, sizes[-1])) * _pick(rng, (1.0, 3.0, 30.0))
        teacher[0, least] = teacher[0].max() + 2.0 * (scores[0].max() - scores[0].min()) + 1.0
    kwargs = {"temperature": _pick(rng, TEMPERATURES), "alpha": _pick(rng, ALPHAS), "activation": activation}
    if activation == "relu" and rng.random() < 0.3:
        del kwargs["activation"]
    near = any(_near_saturation(activation, z) for z in hidden)
    return case(params, x, labels, teacher, **kwargs, note="hard labels only" if teacher is None else ""), near


def _student_case(rng):
    for _ in range(20):
        drawn, near = _student_try(rng, ("normal", "wide", "large", "ties"))
        if not near:
            return drawn
    return _student_try(rng, ("normal",))[0]


_PARAMS = {"W1": np.array([[0.5, -1.0, 0.2], [1.0, 0.3, -0.4]]), "b1": np.array([0.1, 0.0, -0.1])}
_X = np.array([[0.5, 1.0], [-1.0, 2.0]])

CONTRACTS = [
    Contract("distillation.train", "student_loss_and_grads", _cases(_student_case), exercise="train", examples=12,
             project=_no_round_off, fixed=[case(_PARAMS, _X, np.array([0, 2]), np.zeros((2, 2)), 2.0, 0.5, note="teacher logits (2, 2)"),
                    case(_PARAMS, _X, np.array([0, 2]), np.zeros((3, 3)), 2.0, 0.5, note="teacher logits (3, 3)"),
                    case(_PARAMS, _X, np.array([0, 2]), np.zeros(6), 2.0, 0.5, note="teacher logits 1-d"),
                    case(_PARAMS, _X, np.array([0, 3]), np.zeros((2, 3)), 2.0, 0.5, note="label 3 for 3 outputs"),
                    case(_PARAMS, _X, np.array([0, 3]), None, note="label 3 for 3 outputs, no teacher"),
                    case(_PARAMS, _X, np.array([0.0, 1.0]), None, note="float labels, no teacher")]),
    Contract("distillation.train", "train_student", None, exercise="train", name="test_contract_train_student_refusals",
             fixed=[case(_X, np.array([0, 1]), [3, 3, 2], epochs=1, note="x (2, 2) for layer_sizes [3, 3, 2]"),
                    case(_X, np.array([0, 2]), [2, 3, 2], epochs=1, note="label 2 for 2 outputs"),
                    case(_X, np.array([0.0, 1.0]), [2, 3, 2], epochs=1, note="float labels"),
                    case(np.ones(2), np.array([0]), [2, 3, 2], epochs=1, note="x is 1-d"),
                    case(_X, np.array([0, 1]), [3, 3, 2], epochs=0, note="x (2, 2) for layer_sizes [3, 3, 2], 0 epochs"),
                    case(_X, np.array([0, 1]), [1, 3, 2], epochs=0, note="x (2, 2) for layer_sizes [1, 3, 2], 0 epochs")]),
]
globals().update(contract_tests(CONTRACTS))


# -- train_student's first epochs, exactly, from the learner's own init_params -----------------------
#
# train_student must start from init_params(layer_sizes, seed, He for relu, Xavier otherwise) and take
# full-batch steps of student_loss_and_grads and sgd_step. Its first epochs are compared with the
# reference's recipe started from the init_params that the learner's own distillation.train calls
# (Phase 1's, the learner's or, graded decoupled, the reference's). So the order in which a correct
# Phase 1 init_params draws its weights never costs points here.


def _train_student_case(rng):
    layers = _pick(rng, (1, 2, 2, 3))
    n_classes = _pick(rng, (2, 3, 4))
    sizes = [_pick(rng, (1, 2, 3))] + [_pick(rng, (2, 3, 5)) for _ in range(layers - 1)] + [n_classes]
    n = _pick(rng, (1, 3, 6, 8))
    x, y = _array(rng, (n, sizes[0]), ("normal", "wide")), _labels(rng, n, n_classes)
    teacher = None if rng.random() < 0.3 else rng.normal(size=(n, n_classes)) * _pick(rng, (1.0, 3.0))
    kwargs = {"temperature": _pick(rng, TEMPERATURES), "alpha": _pick(rng, ALPHAS), "lr": _pick(rng, (0.05, 0.1, 0.5)),
              "epochs": int(rng.integers(1, 5)), "seed": int(rng.integers(2**16)),
              "momentum": _pick(rng, (0.0, 0.5, 0.9, None)), "activation": _pick(rng, ACTIVATIONS + (None,))}
    for key in ("momentum", "activation"):
        if kwargs[key] is None:
            del kwargs[key]  # the default (momentum 0.9, relu)
    return case(x, y, sizes, teacher, **kwargs, note="hard labels only" if teacher is None else "")


def _student_recipe(ref, ref_tr, params, x, y, layer_sizes, teacher_logits=None, temperature=1.0, alpha=0.5,
                    lr=0.1, epochs=2000, seed=0, momentum=0.9, activation="relu"):
    velocity, history = None, []
    for _ in range(epochs):
        value, grads = ref.student_loss_and_grads(params, x, y, teacher_logits, temperature, alpha, activation)
        history.append(value)
        params, velocity = ref_tr.sgd_step(params, grads, lr, velocity, momentum)
    return {"params": params, "history": np.array(history)}


@pytest.mark.points(2)
def test_train_student_takes_the_recipes_first_steps_from_init_params(st, ref, ref_tr, rng):
    cases = draw_cases(_cases(_train_student_case), 6, int(rng.integers(2**31)))
    extra = np.random.default_rng(int(rng.integers(2**31)))
    cases += [  # a hidden layer narrower than the classes; 300 inputs (past CPython's small-int cache)
        case(extra.normal(size=(4, 2)), np.array([3, 0, 2, 1]), [2, 2, 4], extra.normal(size=(4, 4)), 2.0, 0.5,
             lr=0.1, epochs=2, seed=5, activation="relu", note="hidden layer 2 < 4 classes"),
        case(extra.normal(size=(3, 300)), np.array([1, 0, 1]), [300, 2, 2], None, lr=0.1, epochs=2, seed=7,
             activation="tanh", note="300 input features"),
    ]
    init_cases = [case(c.args[2], c.kwargs["seed"], "he" if c.kwargs.get("activation", "relu") == "relu" else "xavier")
                  for c in cases]
    inits = learner_outcomes(st, "init_params", init_cases)  # the init_params that distillation.train imports
    got = learner_outcomes(st, "train_student", cases)
    contract = Contract("distillation.train", "train_student")
    for i, (c, init, outcome) in enumerate(zip(cases, inits, got)):
        if not init["ok"]:
            raise AssertionError(f"init_params{tuple(init_cases[i].args)} raised {init['error']['type']}: "
                                 f"{init['error']['message'][:200]} (train_student starts from it)")
        expected = _student_recipe(ref, ref_tr, init["value"], *c.args, **c.kwargs)
        problem = judge(outcome, {"ok": True, "value": expected}, contract)
        if problem:
            raise AssertionError(f"{problem}\n  (against the reference's recipe run from the init_params your "
                                 f"train_student calls)\n  case {i + 1} of {len(cases)}: {describe_case(c)}")
