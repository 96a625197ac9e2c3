"""Public tests of Extension A: run them with `make check PHASE=tiny_transformer`.

Each test names its exercise; `make check PHASE=tiny_transformer ARGS='-k adam'` runs one. The
gradient checks here differentiate *your* forward passes (phase 3's block, your model) with the
grader's central differences; the grader's hidden checks use the reference forward instead, and
more sizes. The formulas written out here (Adam, the copy task) are independent of your code.
"""

import numpy as np
import pytest

from grader.engine.testing import assert_close, assert_raises, expect_array, expect_float, module_fixture

bb = module_fixture("tiny_transformer.block_backward")
tt = module_fixture("tiny_transformer.model")
adam = module_fixture("tiny_transformer.adam")
tasks = module_fixture("tiny_transformer.tasks")
tr = module_fixture("tiny_transformer.train", timeout=60)

B, T, D, H, F, V = 2, 4, 8, 2, 12, 6


def _block(rng, silent=False):
    attn = {}
    for name in "qkvo":
        attn["w" + name] = rng.normal(size=(D, D)) / np.sqrt(D)
        attn["b" + name] = 0.3 * rng.normal(size=D)
    p = {"attn": attn, "ln1_gamma": 1.0 + 0.3 * rng.normal(size=D), "ln1_beta": 0.3 * rng.normal(size=D),
         "ffn": {"w1": rng.normal(size=(D, F)) / np.sqrt(D), "b1": 0.3 * rng.normal(size=F),
                 "w2": rng.normal(size=(F, D)) / np.sqrt(F), "b2": 0.3 * rng.normal(size=D)},
         "ln2_gamma": 1.0 + 0.3 * rng.normal(size=D), "ln2_beta": 0.3 * rng.normal(size=D)}
    if silent:
        p["attn"]["wo"], p["attn"]["bo"] = np.zeros((D, D)), np.zeros(D)
        p["ffn"]["w2"], p["ffn"]["b2"] = np.zeros((F, D)), np.zeros(D)
    return p


def _config(tt, **kw):
    sizes = {"d_model": D, "n_heads": H, "n_layers": 1, "d_ff": F, "context": T}
    sizes.update(kw)
    return tt.make_config(V, **sizes)


# -- A.1 the block's backward pass --------------------------------------------------------------


@pytest.mark.exercise("block_backward")
def test_block_backward_pre_norm_with_silent_branches_is_the_identity(bb, rng):
    # wo = bo = w2 = b2 = 0: out = x + 0 + 0, so the residual paths must carry dout to dx unchanged
    x, p = rng.normal(size=(B, T, D)), _block(rng, silent=True)
    out, cache = bb.transformer_block(x, p, H, pre_norm=True)
    dout = rng.normal(size=out.shape)
    dx, grads = bb.block_backward(dout, cache, True)
    assert_close(expect_array(dx, "block_backward: dx", shape=(B, T, D)), dout, "dx of an identity block")
    for key in ("attn", "ln1_gamma", "ln1_beta", "ffn", "ln2_gamma", "ln2_beta"):
        if key not in grads:
            raise AssertionError(f"block_backward: grads has no {key!r} (laid out like the block's parameters)")


@pytest.mark.exercise("block_backward")
@pytest.mark.gradcheck("block_backward")
@pytest.mark.parametrize("pre_norm", [False, True])
def test_block_backward_against_finite_differences(bb, gradcheck, rng, pre_norm):
    x, p = rng.normal(size=(B, T, D)), _block(rng)
    out, cache = bb.transformer_block(x, p, H, causal=True, pre_norm=pre_norm)
    dout = rng.normal(size=out.shape)
    dx, grads = bb.block_backward(dout, cache, pre_norm)

    def f(x_=x, p_=p):
        return bb.transformer_block(x_, p_, H, causal=True, pre_norm=pre_norm)[0]

    gradcheck("dx", dx, lambda x_: f(x_=x_), x, dout)
    gradcheck("ln1_gamma", grads["ln1_gamma"], lambda g: f(p_={**p, "ln1_gamma": g}), p["ln1_gamma"], dout)
    gradcheck("ln2_beta", grads["ln2_beta"], lambda g: f(p_={**p, "ln2_beta": g}), p["ln2_beta"], dout)
    gradcheck("attn wq", grads["attn"]["wq"], lambda w: f(p_={**p, "attn": {**p["attn"], "wq": w}}),
              p["attn"]["wq"], dout)
    gradcheck("ffn w1", grads["ffn"]["w1"], lambda w: f(p_={**p, "ffn": {**p["ffn"], "w1": w}}), p["ffn"]["w1"], dout)


@pytest.mark.exercise("block_backward")
def test_stack_backward_is_the_block_backward_passes_in_reverse(bb, rng):
    x, blocks = rng.normal(size=(B, T, D)), [_block(rng), _block(rng)]
    out, caches = bb.transformer_stack(x, blocks, H, causal=True)
    dout = rng.normal(size=out.shape)
    dx, grads = bb.stack_backward(dout, caches)
    d1, g1 = bb.block_backward(dout, caches[1])
    d0, g0 = bb.block_backward(d1, caches[0])
    assert_close(dx, d0, "stack_backward: dx")
    assert_close(grads[0]["attn"]["wq"], g0["attn"]["wq"], "stack_backward: grads[0] belongs to block 0")
    assert_close(grads[1]["attn"]["wq"], g1["attn"]["wq"], "stack_backward: grads[1] belongs to block 1")


# -- A.2 the model --------------------------------------------------------------------------------


@pytest.mark.exercise("model_forward")
def test_model_forward_logits_shape_and_causality(tt, rng):
    config = _config(tt, n_layers=2)
    params = tt.init_model(config, 0)
    ids = rng.integers(0, V, size=(B, T))
    logits, _ = tt.model_forward(ids, params, config)
    expect_array(logits, "model_forward: logits", shape=(B, T, V))
    changed = ids.copy()
    changed[:, -1] = (changed[:, -1] + 1) % V
    later, _ = tt.model_forward(changed, params, config)
    assert_close(later[:, :-1], logits[:, :-1], "logits before the changed last token (causal=True)", atol=1e-12)


@pytest.mark.exercise("model_forward")
def test_model_initial_loss_is_log_vocab(tt, rng):
    config = tt.make_config(20, D, H, n_layers=2, context=16)
    ids = rng.integers(0, 20, size=(8, 17))
    logits, _ = tt.model_forward(ids[:, :-1], tt.init_model(config, 1), config)
    probs = np.exp(logits - logits.max(axis=-1, keepdims=True))
    probs /= probs.sum(axis=-1, keepdims=True)
    loss = -np.mean(np.log(np.take_along_axis(probs, ids[:, 1:, None], axis=-1)))
    if not abs(loss - np.log(20)) < 0.03:
        raise AssertionError(f"initial loss {loss:.4f}, expected log 20 = {np.log(20):.4f}: is w_out small?")


# -- A.3 the loss ---------------------------------------------------------------------------------


@pytest.mark.exercise("cross_entropy")
def test_cross_entropy_of_zero_logits_and_its_mask(tt):
    targets = np.array([[1, 2, 0]])
    loss, dlogits = tt.cross_entropy(np.zeros((1, 3, 4)), targets, np.array([[False, True, True]]))
    assert_close(loss, np.log(4), "cross_entropy of zero logits")
    expected = np.zeros((1, 3, 4))
    expected[0, 1:] = 0.25
    expected[0, 1, 2] -= 1.0
    expected[0, 2, 0] -= 1.0
    assert_close(dlogits, expected / 2, "dlogits: (softmax - onehot) / 2 at the 2 masked positions, 0 elsewhere")


@pytest.mark.exercise("cross_entropy")
@pytest.mark.gradcheck("cross_entropy")
def test_cross_entropy_against_finite_differences(tt, gradcheck, rng):
    logits, targets = rng.normal(size=(2, 3, 5)), rng.integers(0, 5, size=(2, 3))
    _, dlogits = tt.cross_entropy(logits, targets)
    gradcheck("dlogits", dlogits, lambda z: tt.cross_entropy(z, targets)[0], logits)


# -- A.4 the model's backward pass -----------------------------------------------------------------


@pytest.mark.exercise("model_backward")
@pytest.mark.gradcheck("model_backward")
@pytest.mark.parametrize("tied", [False, True])
def test_model_backward_against_finite_differences(tt, gradcheck, rng, tied):
    config = _config(tt, n_layers=2, tied=tied)
    params = tt.init_model(config, 2)
    params["b_out"] = rng.normal(size=V)
    ids = rng.integers(0, V, size=(B, T + 1))
    loss, grads = tt.next_token_loss(ids, params, config)

    def f(key, value, block=None):
        p = dict(params)
        if block is None:
            p[key] = value
        else:
            p["blocks"] = [dict(b) for b in params["blocks"]]
            p["blocks"][block] = {**p["blocks"][block], key: value}
        logits, _ = tt.model_forward(ids[:, :-1], p, config)
        return tt.cross_entropy(logits, ids[:, 1:])[0]

    for key in ("embed", "b_out") + (() if tied else ("w_out", "ln_f_gamma")):
        gradcheck(key, grads[key], lambda v, key=key: f(key, v), params[key])
    gradcheck("blocks[0]['ln2_gamma']", grads["blocks"][0]["ln2_gamma"],
              lambda v: f("ln2_gamma", v, block=0), params["blocks"][0]["ln2_gamma"])


@pytest.mark.exercise("model_backward")
def test_next_token_loss_predicts_the_following_token(tt, rng):
    config = _config(tt)
    params = tt.init_model(config, 3)
    ids = rng.integers(0, V, size=(B, T + 1))
    loss, _ = tt.next_token_loss(ids, params, config)
    logits, _ = tt.model_forward(ids[:, :-1], params, config)
    assert_close(loss, tt.cross_entropy(logits, ids[:, 1:])[0], "next_token_loss: targets are ids[:, 1:]")


# -- A.5 Adam -------------------------------------------------------------------------------------


@pytest.mark.exercise("adam")
def test_adam_first_step_is_lr_times_the_sign_and_the_second_by_hand(adam):
    p = {"w": np.array([1.0, -2.0]), "list": [np.array([0.5])]}
    g1 = {"w": np.array([100.0, -0.001]), "list": [np.array([3.0])]}
    g2 = {"w": np.array([-50.0, 0.002]), "list": [np.array([3.0])]}
    state = adam.init_adam(p)
    p1, state = adam.adam_step(p, g1, state, 0.1)
    assert_close(p1["w"], np.array([0.9, -1.9]), "after one step: w - 0.1 sign(g)", rtol=1e-5)
    p2, state = adam.adam_step(p1, g2, state, 0.1)
    m = 0.9 * 0.1 * 100.0 + 0.1 * -50.0
    v = 0.999 * 0.001 * 100.0**2 + 0.001 * 50.0**2
    expected = 0.9 - 0.1 * (m / (1 - 0.9**2)) / (np.sqrt(v / (1 - 0.999**2)) + 1e-8)
    assert_close(p2["w"][0], expected, "w[0] after two steps (Algorithm 1 of Kingma and Ba)")
    if state["t"] != 2:
        raise AssertionError(f"adam state t after two steps: {state['t']!r}, expected 2")


@pytest.mark.exercise("adam")
def test_global_norm_and_clipping(adam):
    g = {"a": np.array([3.0]), "b": [np.array([4.0])]}
    assert_close(expect_float(adam.global_norm(g), "global_norm"), 5.0, "global_norm of 3 and 4")
    clipped, norm = adam.clip_by_global_norm(g, 1.0)
    assert_close(norm, 5.0, "clip_by_global_norm: the norm before clipping")
    assert_close(clipped["b"][0], np.array([0.8]), "4 clipped to a global norm of 1")


# -- A.6 batches ----------------------------------------------------------------------------------


@pytest.mark.exercise("batches")
def test_copy_batch_and_corpus_batch(tasks):
    ids, mask = tasks.copy_batch(2, 3, 5, 0)
    expect_array(ids, "copy_batch ids", shape=(2, 7), kind="i")
    if not (np.array_equal(ids[:, :3], ids[:, 4:]) and np.all(ids[:, 3] == 0)):
        raise AssertionError(f"copy_batch: expected x SEP x rows, got {ids.tolist()}")
    if not np.array_equal(mask, np.array([[False] * 3 + [True] * 3] * 2)):
        raise AssertionError(f"copy_batch: mask must be True where the target is copied (t >= 3), got {mask.tolist()}")
    text = np.arange(30)
    batch = tasks.corpus_batch(text, 4, 5, 0)
    expect_array(batch, "corpus_batch", shape=(4, 6), kind="i")
    if not np.all(np.diff(batch, axis=1) == 1):
        raise AssertionError("corpus_batch: every row must be a contiguous window of the text")


# -- A.7 evaluation -------------------------------------------------------------------------------


@pytest.mark.exercise("evaluation")
def test_held_out_cross_entropy_of_a_uniform_model_is_log_v(tt, tasks, rng):
    config = _config(tt)
    params = tt.init_model(config, 0)
    params["w_out"], params["b_out"] = np.zeros((D, V)), np.zeros(V)
    got = tasks.held_out_cross_entropy(params, config, rng.integers(0, V, size=23))
    assert_close(got, np.log(V), "held-out cross-entropy when every logit is 0")
    accuracy = expect_float(tasks.copy_accuracy(params, config, 2, 8, 0), "copy_accuracy")
    if not 0.0 <= accuracy <= 1.0:
        raise AssertionError(f"copy_accuracy: {accuracy}, expected a fraction")


# -- A.8 training ---------------------------------------------------------------------------------


@pytest.mark.exercise("training")
def test_training_overfits_one_batch(tt, tr, rng):
    # Karpathy's recipe, step one: a text exactly one window long gives the same batch every step
    config = _config(tt, context=8)
    task = {"kind": "corpus", "ids": rng.integers(0, V, size=9)}
    _, _, history = tr.train(config, task, 60, 0, batch_size=4, lr=0.01)
    loss = expect_array(history["loss"], "history['loss']", shape=(60,))
    if not loss[-1] < 0.2 * loss[0]:
        raise AssertionError(f"overfitting one batch: loss went from {loss[0]:.3f} to {loss[-1]:.3f} in 60 steps")


# -- A.9 checkpoints and A.10 sampling ------------------------------------------------------------


@pytest.mark.exercise("checkpoints")
def test_checkpoint_round_trip(tt, tr, tmp_path):
    config = _config(tt, n_layers=2)
    params = tt.init_model(config, 0)
    path = tr.save_checkpoint(str(tmp_path / "model.npz"), params, config)
    loaded, loaded_config, state = tr.load_checkpoint(path)
    if loaded_config != config or state is not None or len(loaded["blocks"]) != 2:
        raise AssertionError("load_checkpoint: config, state (None) or the list of blocks did not survive")
    assert_close(loaded["blocks"][1]["ffn"]["w2"], params["blocks"][1]["ffn"]["w2"], "blocks[1]['ffn']['w2']")


@pytest.mark.exercise("sampling")
def test_sample_keeps_the_prompt_and_is_seeded(tt, tr):
    config = _config(tt)
    params = tt.init_model(config, 0)
    prompt = np.array([3, 1])
    a = expect_array(tr.sample(params, config, prompt, 5, 7), "sample", shape=(7,), kind="i")
    if not np.array_equal(a[:2], prompt) or not np.array_equal(a, tr.sample(params, config, prompt, 5, 7)):
        raise AssertionError(f"sample: must start with the prompt and repeat with the same seed, got {a.tolist()}")
    assert_raises(ValueError, lambda: tr.sample(params, config, prompt, 5, 7, temperature=-1.0),
                  "sample(temperature=-1)")


# -- golden cases: inputs and outputs of the reference over many shapes and value regimes ----------
# (tests/_snapshots/*.npz, written by the course authors with python -m grader.authoring.snapshots)

from grader.authoring.snapshots import snapshot_tests  # noqa: E402

globals().update(snapshot_tests(__file__))
