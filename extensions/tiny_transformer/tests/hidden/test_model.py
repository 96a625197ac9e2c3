"""Hidden tests: model.py (parameters, the forward pass, its causality, the loss at initialisation,
the layout of the gradients). Every gradient's values are checked in test_gradcheck.py.
"""

import numpy as np
import pytest

from grader.engine.testing import assert_close, assert_raises, expect_array, module_fixture, reference_fixture

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
                  f"model_forward with token id {V} for a vocabulary of {V}", mentions=(str(V),))


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
def test_model_backward_gives_a_tree_laid_out_like_the_params(tt, ref, rng):
    for pre_norm, tied in ((True, False), (False, True)):
        config = ref.make_config(V, D, H, n_layers=2, d_ff=F, pre_norm=pre_norm, tied=tied)
        params = ref.init_model(config, 2)
        ids = rng.integers(0, V, size=(2, T))
        logits, cache = tt.model_forward(ids, params, config)
        grads = tt.model_backward(rng.normal(size=logits.shape), cache)
        _same_layout(grads, params, f"model_backward (pre_norm={pre_norm}, tied={tied})")


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
                  "model_backward with dlogits (2, 5, 8) for logits (2, 5, 7)", mentions=("(2, 5, 8)",))


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
