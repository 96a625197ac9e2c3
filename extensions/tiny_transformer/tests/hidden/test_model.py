"""Hidden tests: model.py (parameters, the forward pass, its causality, the loss at initialisation,
the layout of the gradients). Every gradient's values are checked in test_gradcheck.py.
"""

import numpy as np
import pytest

from grader.engine.testing import (assert_close, assert_raises, expect_array, float_dtypes, module_fixture,
                                   reference_fixture)

tt = module_fixture("tiny_transformer.model")
ref = reference_fixture("tiny_transformer.model")

V, D, H, F, T = 7, 8, 2, 12, 5


def _flat(tree, prefix=""):
    if isinstance(tree, dict):
        out = {}
        for key in sorted(tree):
            out.update(_flat(tree[key], f"{prefix}{key}."))
        return out
    if isinstance(tree, (list, tuple)):
        out = {}
        for i, item in enumerate(tree):
            out.update(_flat(item, f"{prefix}{i}."))
        return out
    return {prefix[:-1]: tree}


def _rebuild(flat):
    root = {}
    for path, value in flat.items():
        node, parts = root, path.split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value

    def lists(node):
        if not isinstance(node, dict):
            return node
        if node and all(k.isdigit() for k in node):
            return [lists(node[str(i)]) for i in range(len(node))]
        return {k: lists(v) for k, v in node.items()}

    return lists(root)


def _jitter(params, rng, scale=0.3):
    return _rebuild({k: v + scale * rng.normal(size=np.shape(v)) for k, v in _flat(params).items()})


def _same_layout(got, expected, name):
    got_flat, want = _flat(got), _flat(expected)
    missing, extra = sorted(set(want) - set(got_flat)), sorted(set(got_flat) - set(want))
    if missing or extra:
        raise AssertionError(f"{name}: missing {missing or 'nothing'}, unexpected {extra or 'nothing'}")
    for path, value in want.items():
        expect_array(got_flat[path], f"{name}[{path}]", shape=np.shape(value))
    return got_flat


# -- A.2 parameters -------------------------------------------------------------------------------


@pytest.mark.exercise("model_forward")
def test_init_model_layout_for_each_kind_of_model(tt, ref):
    cases = {(True, False): {"embed", "blocks", "b_out", "w_out", "ln_f_gamma", "ln_f_beta"},
             (False, True): {"embed", "blocks", "b_out"},
             (False, False): {"embed", "blocks", "b_out", "w_out"},
             (True, True): {"embed", "blocks", "b_out", "ln_f_gamma", "ln_f_beta"}}
    for (pre_norm, tied), keys in cases.items():
        config = ref.make_config(V, D, H, n_layers=2, d_ff=F, pre_norm=pre_norm, tied=tied)
        params = tt.init_model(config, 0)
        label = f"init_model(pre_norm={pre_norm}, tied={tied})"
        if not isinstance(params, dict) or set(params) != keys:
            got = sorted(params) if isinstance(params, dict) else type(params).__name__
            raise AssertionError(f"{label}: expected the keys {sorted(keys)}, got {got}")
        expect_array(params["embed"], f"{label}['embed']", shape=(V, D))
        expect_array(params["b_out"], f"{label}['b_out']", shape=(V,))
        if "w_out" in keys:
            expect_array(params["w_out"], f"{label}['w_out']", shape=(D, V))
        if not isinstance(params["blocks"], (list, tuple)) or len(params["blocks"]) != 2:
            raise AssertionError(f"{label}['blocks']: expected a list of 2 block dicts")


@pytest.mark.exercise("model_forward")
def test_init_model_is_seeded_as_documented(tt, ref):
    config = ref.make_config(V, D, H, n_layers=2, d_ff=F)
    got = _same_layout(tt.init_model(config, 3), ref.init_model(config, 3), "init_model(config, 3)")
    again = _flat(tt.init_model(config, 3))
    for path, value in got.items():
        assert_close(again[path], value, f"init_model(config, 3) twice: [{path}] (same seed, same parameters)")
    # w_out comes from the third of the three seeds drawn from default_rng(seed)
    assert_close(got["w_out"], ref.init_model(config, 3)["w_out"], "init_model(config, 3)['w_out'] (the third seed, "
                 "N(0, 0.02^2))")
    other = _flat(tt.init_model(config, 4))
    if np.allclose(other["embed"], got["embed"]) or np.allclose(other["blocks.0.attn.wq"], got["blocks.0.attn.wq"]):
        raise AssertionError("init_model: seeds 3 and 4 gave the same embedding table or the same first block")


@pytest.mark.exercise("model_forward")
def test_init_model_starts_with_small_logits_and_a_norm_that_only_normalises(tt, ref):
    config = ref.make_config(V, 16, H, n_layers=1, d_ff=F)
    params = tt.init_model(config, 0)
    assert_close(params["ln_f_gamma"], np.ones(16), "ln_f_gamma at initialisation")
    assert_close(params["ln_f_beta"], np.zeros(16), "ln_f_beta at initialisation")
    assert_close(params["b_out"], np.zeros(V), "b_out at initialisation")
    std = float(np.std(params["w_out"]))
    if not 0.01 < std < 0.04:
        raise AssertionError(f"w_out at initialisation: standard deviation {std:.3g}, expected about 0.02")


# -- A.2 the forward pass -------------------------------------------------------------------------


@pytest.mark.exercise("model_forward")
@pytest.mark.points(2)
def test_model_forward_matches_the_reference_for_each_kind_of_model(tt, ref, rng):
    ids = rng.integers(0, V, size=(3, T))
    for pre_norm, tied, layers in ((True, False, 2), (False, True, 1), (False, False, 2)):
        config = ref.make_config(V, D, H, n_layers=layers, d_ff=F, pre_norm=pre_norm, tied=tied)
        params = _jitter(ref.init_model(config, int(rng.integers(1 << 30))), rng)
        logits, _ = tt.model_forward(ids, params, config)
        expect_array(logits, "model_forward(ids (3, 5)): logits", shape=(3, T, V))
        assert_close(logits, ref.model_forward(ids, params, config)[0],
                     f"model_forward logits (pre_norm={pre_norm}, tied={tied}, {layers} layers)", rtol=1e-7, atol=1e-9)


@pytest.mark.exercise("model_forward")
@pytest.mark.points(2)
def test_model_forward_is_causal_the_future_changes_no_earlier_logit(tt, ref, rng):
    config = ref.make_config(V, D, H, n_layers=2, d_ff=F)
    params = _jitter(ref.init_model(config, 1), rng)
    ids = rng.integers(0, V, size=(2, T))
    changed = ids.copy()
    changed[:, 3] = (changed[:, 3] + 1) % V
    a, _ = tt.model_forward(ids, params, config)
    b, _ = tt.model_forward(changed, params, config)
    assert_close(b[:, :3], a[:, :3], "logits at positions 0-2 after changing the token at position 3 "
                                     "(a language model must not see the future: causal=True)", atol=1e-12)
    if np.allclose(a[:, 3:], b[:, 3:]):
        raise AssertionError("logits at positions 3-4 did not change when the token at position 3 did")


@pytest.mark.exercise("model_forward")
def test_model_forward_refuses_ids_outside_the_vocabulary(tt, ref, rng):
    config = ref.make_config(V, D, H, d_ff=F)
    params = ref.init_model(config, 0)
    tt.model_forward(np.zeros((1, 2), dtype=np.int64), params, config)
    assert_raises(ValueError, lambda: tt.model_forward(np.array([[0, V]]), params, config),
                  f"model_forward with token id {V} for a vocabulary of {V}")


@pytest.mark.exercise("model_forward")
@pytest.mark.points(2)
def test_initial_loss_is_close_to_log_vocab(tt, ref, rng):
    # Karpathy's first check: a fresh model is unsure of everything, so its loss is log V
    for v in (11, 40):
        config = ref.make_config(v, D, H, n_layers=2, context=16)
        params = tt.init_model(config, int(rng.integers(1 << 30)))
        ids = rng.integers(0, v, size=(8, 17))
        logits, _ = tt.model_forward(ids[:, :-1], params, config)
        loss = ref.cross_entropy(logits, ids[:, 1:])[0]
        if not abs(loss - np.log(v)) < 0.03:
            raise AssertionError(f"loss of a fresh model with V = {v}: {loss:.4f}, expected log V = {np.log(v):.4f} "
                                 "within 0.03 (is w_out initialised small?)")


# -- A.4 the backward pass and the next-token loss -----------------------------------------------


@pytest.mark.exercise("model_backward")
@pytest.mark.points(2)
def test_model_backward_matches_the_reference_for_tied_weights(tt, ref, rng):
    # a tied table gets two gradients, the lookup's and the output projection's (transposed): they add
    config = ref.make_config(V, D, H, n_layers=1, d_ff=F, tied=True)
    params = _jitter(ref.init_model(config, 5), rng)
    ids = rng.integers(0, V, size=(2, T))
    dlogits = rng.normal(size=(2, T, V))
    _, cache = tt.model_forward(ids, params, config)
    grads = tt.model_backward(dlogits, cache)
    _, ref_cache = ref.model_forward(ids, params, config)
    expected = ref.model_backward(dlogits, ref_cache)
    assert_close(grads["embed"], expected["embed"], "model_backward (tied): grads['embed'] = embed_backward + dW^T")
    assert_close(grads["b_out"], expected["b_out"], "model_backward: grads['b_out']")


@pytest.mark.exercise("model_backward")
def test_model_backward_refuses_dlogits_of_the_wrong_shape(tt, ref, rng):
    config = ref.make_config(V, D, H, d_ff=F)
    params = ref.init_model(config, 0)
    logits, cache = tt.model_forward(rng.integers(0, V, size=(2, T)), params, config)
    tt.model_backward(np.zeros(logits.shape), cache)
    assert_raises(ValueError, lambda: tt.model_backward(np.zeros((2, T, V + 1)), cache),
                  "model_backward with dlogits (2, 5, 8) for logits (2, 5, 7)")


@pytest.mark.exercise("model_backward")
@pytest.mark.points(2)
def test_next_token_loss_scores_the_token_that_follows(tt, ref, rng):
    # inputs ids[:, :-1], targets ids[:, 1:]: scoring the input itself teaches copying the input
    config = ref.make_config(V, D, H, n_layers=1, d_ff=F)
    params = _jitter(ref.init_model(config, 0), rng)
    ids = rng.integers(0, V, size=(3, T + 1))
    loss, grads = tt.next_token_loss(ids, params, config)
    logits, _ = ref.model_forward(ids[:, :-1], params, config)
    assert_close(loss, ref.cross_entropy(logits, ids[:, 1:])[0],
                 "next_token_loss: mean cross-entropy of logits(ids[:, :-1]) against ids[:, 1:]")
    _same_layout(grads, params, "next_token_loss: grads")


@pytest.mark.exercise("model_backward")
def test_next_token_loss_counts_only_the_masked_targets(tt, ref, rng):
    config = ref.make_config(V, D, H, n_layers=1, d_ff=F)
    params = _jitter(ref.init_model(config, 0), rng)
    ids = rng.integers(0, V, size=(2, T + 1))
    mask = np.zeros((2, T), dtype=bool)
    mask[:, -2:] = True
    loss, _ = tt.next_token_loss(ids, params, config, mask)
    logits, _ = ref.model_forward(ids[:, :-1], params, config)
    assert_close(loss, ref.cross_entropy(logits, ids[:, 1:], mask)[0],
                 "next_token_loss with a mask of the last 2 targets")


# -- the whole contract, against the reference ---------------------------------------------------
# Parameters are passed explicitly (the reference's init_model, jittered), so a correct model whose
# phase-3 initialisers draw in another order loses nothing here; init_model itself is compared on
# what this extension draws (w_out, b_out, the final norm, the layout), and its embedding table and
# blocks against the learner's own phase-3 initialisers with the documented seeds. Every kind of
# model is drawn: pre- and post-norm, tied or not, ReLU and GELU, 1-3 layers, 1 or 2 heads.

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


def _reference(name):
    return importlib.import_module(name)


def _config(rng, max_layers=2):
    h = _pick(rng, [1, 2])
    d = 4 if h == 2 else _pick(rng, [2, 4])
    return _reference("tiny_transformer.model").make_config(
        int(rng.integers(2, 7)), d, h, n_layers=int(rng.integers(1, max_layers + 1)), d_ff=_pick(rng, [3, 5]),
        context=int(rng.integers(2, 7)), pre_norm=bool(rng.random() < 0.5), tied=bool(rng.random() < 0.5),
        activation=_pick(rng, ["relu", "gelu"]))


def _model(rng, max_layers=2):
    config = _config(rng, max_layers)
    params = _jitter(_reference("tiny_transformer.model").init_model(config, int(rng.integers(1 << 30))), rng)
    return config, params


def _ids(rng, v, extra=0):
    return _ints(rng, (int(rng.integers(1, 4)), int(rng.integers(1, 6)) + extra), 0, v)


def _mask(rng, shape):
    if rng.random() < 0.5:
        return None
    mask = rng.random(shape) < _pick(rng, [0.3, 0.7, 1.0])
    mask.flat[int(rng.integers(mask.size))] = True  # at least one position counts
    return mask


def _init_case(rng):
    dtype = _pick(rng, [None, "float64", "float32", "float32"])  # None: the default, float64
    kwargs = {} if dtype is None else {"dtype": dtype}
    return case(_config(rng, max_layers=3), int(rng.integers(2**31)), note=f"dtype {kwargs.get('dtype', 'default')}",
                **kwargs)


def _init_layout(params):
    """What this extension draws itself, and the shape of everything (phase 3 draws the rest)."""
    if not isinstance(params, dict):
        return params
    flat = _flat(params)
    out = {k: flat[k] for k in ("w_out", "b_out", "ln_f_gamma", "ln_f_beta") if k in flat}
    out["layout"] = [[path, *map(int, np.shape(flat[path]))] for path in sorted(flat)]
    out["dtypes"] = float_dtypes(params)  # every leaf in the dtype asked for
    return out


def _forward_case(rng):
    config, params = _model(rng)
    return case(_ids(rng, config["vocab_size"]), params, config, note=f"{config}")


def _loss_case(rng):
    config, params = _model(rng)
    ids = _ids(rng, config["vocab_size"], extra=1)
    return case(ids, params, config, _mask(rng, (ids.shape[0], ids.shape[1] - 1)), note=f"{config}")


def _backward_case(rng):
    config, params = _model(rng)
    ids = _ids(rng, config["vocab_size"])
    notes = []
    dlogits = _values(rng, ids.shape + (config["vocab_size"],), ("normal", "wide", "zeros"), notes)
    return case(dlogits, ids, params, config, note=f"{config}, dlogits {notes[0]}")


def _floor_tree(value):
    """Every float array as (shape, its entries and a 1), every float as [x, 1]: values that are 0
    up to round-off (the key bias bk's gradient is exactly 0 in exact arithmetic) are judged on the
    scale of 1, not on their own round-off."""
    if isinstance(value, dict):
        return {k: _floor_tree(v) for k, v in value.items()}
    if isinstance(value, (tuple, list)):
        return type(value)(_floor_tree(v) for v in value)
    if isinstance(value, np.ndarray) and value.dtype.kind == "f":
        return [list(value.shape), np.append(value.ravel(), 1.0)]
    if isinstance(value, (float, np.floating)):
        return np.array([float(value), 1.0])
    return value


def _fixed_model():
    m = _reference("tiny_transformer.model")
    config = m.make_config(4, 2, 1, d_ff=3, context=4)
    return config, m.init_model(config, 0)


def _fixed_forward_refusals():
    config, params = _fixed_model()
    bad_config = {**config, "d_model": 3}
    return [case(np.array([[0, 4]]), params, config, note="token id 4 for a vocabulary of 4"),
            case(np.array([[0, -1]]), params, config, note="token id -1"),
            case(np.array([0, 1]), params, config, note="ids of rank 1"),
            case(np.array([[0.0, 1.0]]), params, config, note="float ids"),
            case(np.array([[0, 1]]), params, bad_config, note="config with an odd d_model")]


def _fixed_loss_refusals():
    config, params = _fixed_model()
    ids = np.array([[0, 1, 2], [3, 2, 1]])
    return [case(np.array([[0], [1]]), params, config, None, note="one token per sequence: nothing to predict"),
            case(np.array([[0, 4, 1]]), params, config, None, note="token id 4 for a vocabulary of 4"),
            case(ids, params, config, np.ones((2, 3), dtype=bool), note="mask (2, 3) for targets (2, 2)"),
            case(ids, params, config, np.zeros((2, 2), dtype=bool), note="a mask that selects nothing"),
            case(ids, params, config, np.ones((2, 2), dtype=np.int64), note="an integer mask")]


def _fixed_backward_refusals():
    config, params = _fixed_model()
    ids = np.array([[0, 1]])
    return [case(np.zeros((1, 2, 5)), ids, params, config, note="dlogits (1, 2, 5) for logits (1, 2, 4)"),
            case(np.zeros((1, 3, 4)), ids, params, config, note="dlogits (1, 3, 4) for logits (1, 2, 4)")]


CONTRACTS = [
    Contract("tiny_transformer.model", "init_model", _seeded(_init_case), project=_init_layout,
             exercise="model_forward", examples=6, fixed=[case({"vocab_size": 4, "d_model": 4}, 0, note="a config "
                                                               "without most keys"),
                                                          case(_fixed_model()[0], 0, dtype="float16",
                                                               note="dtype float16 (only float64 and float32)")]),
    Contract("tiny_transformer.model", "model_forward", _seeded(_forward_case), project=lambda out: out[0],
             exercise="model_forward", points=2, examples=6, fixed=_fixed_forward_refusals()),
    Contract("tiny_transformer.model", "next_token_loss", _seeded(_loss_case), project=_floor_tree,
             exercise="model_backward", points=2, examples=6, fixed=_fixed_loss_refusals()),
]
globals().update(contract_tests(CONTRACTS))

_BACKWARD = Contract("tiny_transformer.model", "model_backward", _seeded(_backward_case), examples=5,
                     project=_floor_tree, fixed=_fixed_backward_refusals(), name="test_contract_model_backward")


def _drawn(contract, request):
    seed = zlib.crc32(f"{contract.module}.{contract.test_name}:{request.config.getoption('--grade-seed')}".encode())
    return draw_cases(contract.cases, contract.examples, seed) + list(contract.fixed)


def _verdict(contract, cases, got, expected):
    failures = [(i, problem) for i, (g, e) in enumerate(zip(got, expected))
                if (problem := judge(g, e, contract)) is not None]
    if failures:
        i, problem = failures[0]
        if "): not started" in problem:
            raise NotImplementedError(problem.split(": ", 1)[1])
        raise AssertionError(f"{problem}\n  case {i + 1} of {len(cases)} ({len(failures)} failing): "
                             f"{describe_case(cases[i])}")


@pytest.mark.exercise("model_backward")
@pytest.mark.points(2)
def test_contract_model_backward(tt, ref, request):
    # model_backward reads the cache of the learner's own model_forward (its layout is the learner's)
    cases = _drawn(_BACKWARD, request)
    forward = tt.model_forward.outcomes([((c.args[1], c.args[2], c.args[3]), {}) for c in cases])
    for outcome in forward:
        if not outcome["ok"] and outcome["error"]["type"] == "NotImplementedError":
            raise NotImplementedError(outcome["error"]["message"])
    runnable = [i for i, f in enumerate(forward) if f["ok"]]
    backward = tt.model_backward.outcomes([((cases[i].args[0], forward[i]["value"][1]), {}) for i in runnable])
    got = [None if f["ok"] else {"ok": False, "error": {**f["error"], "message": "(in model_forward) "
                                                        + f["error"]["message"]}} for f in forward]
    for i, outcome in zip(runnable, backward):
        got[i] = outcome
    expected = [reference_outcome(lambda dl, ids, p, c: ref.model_backward(dl, ref.model_forward(ids, p, c)[1]), c)
                for c in cases]
    _verdict(_BACKWARD, cases, got, expected)


@pytest.mark.exercise("model_forward")
def test_init_model_builds_its_parts_from_the_documented_seeds(tt, ref):
    # embedding from the first of the three seeds, the blocks from the second: checked against the
    # learner's own phase-3 initialisers, so their draw order is theirs to choose
    for seed, sizes in ((11, dict(n_layers=2, tied=False)), (12345, dict(n_layers=1, tied=True, pre_norm=False))):
        config = ref.make_config(5, 4, 2, d_ff=3, **sizes)
        params = _flat(tt.init_model(config, seed))
        s = [int(x) for x in np.random.default_rng(seed).integers(0, 2**31, size=3)]
        embed = tt.init_embeddings(5, 4, s[0])
        blocks = _flat({"blocks": tt.init_stack(config["n_layers"], 4, 2, 3, s[1])})
        assert_close(params.get("embed"), embed, f"init_model(config, {seed})['embed'] (init_embeddings with the "
                     "first seed of default_rng(seed).integers(0, 2**31, size=3))", rtol=1e-12, atol=0)
        for path, value in blocks.items():
            assert_close(params.get(path), value, f"init_model(config, {seed})[{path}] (init_stack with the second "
                         "seed)", rtol=1e-12, atol=0)
