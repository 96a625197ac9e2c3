"""The grader's gradient checks of Extension A: the block, the loss head and every parameter of the model.

The analytic gradient comes from the target's backward pass; the numerical one from the grader's
own central differences of the trusted reference forward pass (float64, a random upstream
gradient for the block). The target's forward pass is compared with the reference first.
Sizes: vocabulary 5, width 8, 2 heads, d_ff 12, sequences of 4 (+1) tokens, batch 2.

Each parameter array of more than 6 entries is checked at 6 of them drawn at random (a wrong
gradient is wrong almost everywhere; every entry costs two forward passes).

The key bias bk is the one parameter checked differently: its gradient is exactly 0 for any input
(it shifts every score of a row by the same amount, which softmax ignores), so a relative error
of round-off against round-off would mean nothing; it must be 0.
"""

import numpy as np
import pytest

from grader.engine.testing import assert_close, expect_array, module_fixture, reference_fixture

bb = module_fixture("tiny_transformer.block_backward")
tt = module_fixture("tiny_transformer.model")
ref_bb = reference_fixture("tiny_transformer.block_backward")
ref = reference_fixture("tiny_transformer.model")
ref_tb = reference_fixture("phase3_transformer.transformer_block")

V, D, H, F, T = 5, 8, 2, 12, 4
LIMIT = 6  # entries checked per parameter array (all of them in smaller arrays)


def _flat(tree, prefix=""):
    """{"blocks.0.attn.wq": array, ...}: the leaves of a tree by dotted path."""
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


def _grads_like(grads, params, name):
    """The gradient tree flattened, after checking it has exactly the parameters' leaves."""
    got, want = _flat(grads), _flat(params)
    missing, extra = sorted(set(want) - set(got)), sorted(set(got) - set(want))
    if missing or extra:
        raise AssertionError(f"{name}: the gradients must be laid out like the parameters; missing "
                             f"{missing or 'nothing'}, unexpected {extra or 'nothing'}")
    return got


def _jitter(params, rng, scale=0.3):
    """Parameters moved away from their initial values (gains not 1, biases not 0)."""
    return _rebuild({k: v + scale * rng.normal(size=np.shape(v)) for k, v in _flat(params).items()})


def _check_leaf(gradcheck, rng, label, analytic, value, f, limit=LIMIT):
    """``analytic`` against finite differences of f at ``value``; for an array of more than ``limit``
    entries, at ``limit`` of them drawn at random (each entry costs two forward passes)."""
    value = np.asarray(value, dtype=np.float64)
    if value.size <= limit:
        return gradcheck(label, analytic, f, value)
    analytic = expect_array(analytic, label, shape=value.shape)
    picked = np.sort(rng.choice(value.size, size=limit, replace=False))

    def g(sub):
        full = value.copy().ravel()
        full[picked] = sub
        return f(full.reshape(value.shape))

    shown = [tuple(int(i) for i in np.unravel_index(k, value.shape)) for k in picked[:3]]
    return gradcheck(f"{label} (at {limit} random entries of {value.size}: {shown}, ...)", analytic.ravel()[picked], g,
                     value.ravel()[picked])


def _check_tree(gradcheck, rng, label, grads, params, f):
    """Every leaf of ``grads`` against finite differences of the scalar f(params with that leaf replaced)."""
    flat = _flat(params)
    got = _grads_like(grads, params, label)
    for path, value in flat.items():
        if path.endswith("attn.bk"):
            assert_close(got[path], np.zeros(np.shape(value)), f"{label}: grads[{path!r}] (exactly 0 for any input)",
                         atol=1e-9)
            continue

        def g(v, path=path):
            return f(_rebuild({**flat, path: v}))

        _check_leaf(gradcheck, rng, f"{label}: {path}", got[path], value, g)


def _random_block(rng):
    """One block's parameters in phase 3's layout, every one of them random."""
    attn = {}
    for name in "qkvo":
        attn["w" + name] = rng.normal(size=(D, D)) / np.sqrt(D)
        attn["b" + name] = np.zeros(D)
    return {"attn": attn, "ln1_gamma": np.ones(D), "ln1_beta": np.zeros(D),
            "ffn": {"w1": rng.normal(size=(D, F)) / np.sqrt(D), "b1": np.zeros(F),
                    "w2": rng.normal(size=(F, D)) / np.sqrt(F), "b2": np.zeros(D)},
            "ln2_gamma": np.ones(D), "ln2_beta": np.zeros(D)}


def _jittered_block(rng):
    return _jitter(_random_block(rng), rng)


# -- A.1 the block --------------------------------------------------------------------------------


def _block_gradcheck(ref_tb, bb, gradcheck, rng, pre_norm, causal):
    label = f"block_backward ({'pre' if pre_norm else 'post'}-norm, {'causal' if causal else 'no mask'})"
    x = rng.normal(size=(2, T, D))
    p = _jittered_block(rng)
    out, cache = bb.transformer_block(x, p, H, causal=causal, pre_norm=pre_norm)
    assert_close(out, ref_tb.transformer_block(x, p, H, causal=causal, pre_norm=pre_norm)[0],
                 f"{label}: the block's forward pass")
    dout = rng.normal(size=out.shape)
    dx, grads = bb.block_backward(dout, cache, pre_norm)

    def forward(x_, p_):
        return ref_tb.transformer_block(x_, p_, H, causal=causal, pre_norm=pre_norm)[0]

    _check_leaf(gradcheck, rng, f"{label}: dx", dx, x, lambda x_: float(np.sum(forward(x_, p) * dout)), limit=24)
    _check_tree(gradcheck, rng, label, grads, p, lambda p_: float(np.sum(forward(x, p_) * dout)))


@pytest.mark.exercise("block_backward")
@pytest.mark.points(2)
@pytest.mark.gradcheck("block_backward(post-norm)")
def test_gradcheck_block_backward_post_norm(bb, ref_tb, gradcheck, rng):
    _block_gradcheck(ref_tb, bb, gradcheck, rng, pre_norm=False, causal=False)


@pytest.mark.exercise("block_backward")
@pytest.mark.points(2)
@pytest.mark.gradcheck("block_backward(post-norm, causal)")
def test_gradcheck_block_backward_post_norm_causal(bb, ref_tb, gradcheck, rng):
    _block_gradcheck(ref_tb, bb, gradcheck, rng, pre_norm=False, causal=True)


@pytest.mark.exercise("block_backward")
@pytest.mark.points(2)
@pytest.mark.gradcheck("block_backward(pre-norm)")
def test_gradcheck_block_backward_pre_norm(bb, ref_tb, gradcheck, rng):
    _block_gradcheck(ref_tb, bb, gradcheck, rng, pre_norm=True, causal=False)


@pytest.mark.exercise("block_backward")
@pytest.mark.points(2)
@pytest.mark.gradcheck("block_backward(pre-norm, causal)")
def test_gradcheck_block_backward_pre_norm_causal(bb, ref_tb, gradcheck, rng):
    _block_gradcheck(ref_tb, bb, gradcheck, rng, pre_norm=True, causal=True)


# -- A.3 the loss head ----------------------------------------------------------------------------


@pytest.mark.exercise("cross_entropy")
@pytest.mark.gradcheck("cross_entropy")
def test_gradcheck_cross_entropy_with_a_mask(tt, ref, gradcheck, rng):
    logits = 2.0 * rng.normal(size=(2, 3, V))
    targets = rng.integers(0, V, size=(2, 3))
    mask = np.array([[True, False, True], [True, True, False]])
    for m in (None, mask):
        loss, dlogits = tt.cross_entropy(logits, targets, m)
        label = f"cross_entropy (mask={'given' if m is not None else None})"
        assert_close(loss, ref.cross_entropy(logits, targets, m)[0], label)
        gradcheck(f"{label}: dlogits", dlogits,
                  lambda z: ref.cross_entropy(z, targets, m)[0], logits)


# -- A.4 every parameter of the model -------------------------------------------------------------


def _model_gradcheck(ref, tt, gradcheck, rng, label, **sizes):
    config = ref.make_config(V, D, H, d_ff=F, context=T, **sizes)
    params = _jitter(ref.init_model(config, int(rng.integers(1 << 30))), rng)
    ids = rng.integers(0, V, size=(2, T + 1))
    loss, grads = tt.next_token_loss(ids, params, config)

    def f(p_):
        logits, _ = ref.model_forward(ids[:, :-1], p_, config)
        return ref.cross_entropy(logits, ids[:, 1:])[0]

    assert_close(loss, f(params), f"{label}: next_token_loss, the loss (inputs ids[:, :-1], targets ids[:, 1:])")
    _check_tree(gradcheck, rng, label, grads, params, f)


@pytest.mark.exercise("model_backward")
@pytest.mark.points(3)
@pytest.mark.gradcheck("model_backward(pre-norm, 2 layers)")
def test_gradcheck_model_backward_pre_norm_two_layers_every_parameter(tt, ref, gradcheck, rng):
    _model_gradcheck(ref, tt, gradcheck, rng, "model (pre-norm, 2 layers, untied)", n_layers=2, pre_norm=True,
                     tied=False)


@pytest.mark.exercise("model_backward")
@pytest.mark.points(3)
@pytest.mark.gradcheck("model_backward(post-norm, tied)")
def test_gradcheck_model_backward_post_norm_tied_every_parameter(tt, ref, gradcheck, rng):
    _model_gradcheck(ref, tt, gradcheck, rng, "model (post-norm, 1 layer, tied)", n_layers=1, pre_norm=False, tied=True)


@pytest.mark.exercise("model_backward")
@pytest.mark.points(2)
@pytest.mark.gradcheck("model_backward(masked loss, gelu)")
def test_gradcheck_model_backward_through_a_masked_loss(tt, ref, gradcheck, rng):
    # the copy task's loss: only some targets count, and the others must pass no gradient
    config = ref.make_config(V, D, H, n_layers=1, d_ff=F, context=T, activation="gelu")
    params = _jitter(ref.init_model(config, int(rng.integers(1 << 30))), rng)
    ids = rng.integers(0, V, size=(2, T + 1))
    mask = np.array([[False, False, True, True], [False, True, False, True]])
    loss, grads = tt.next_token_loss(ids, params, config, mask)

    def f(p_):
        return ref.cross_entropy(ref.model_forward(ids[:, :-1], p_, config)[0], ids[:, 1:], mask)[0]

    assert_close(loss, f(params), "next_token_loss with a mask")
    _check_tree(gradcheck, rng, "model (masked loss)", grads, params, f)
