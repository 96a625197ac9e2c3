"""Correct, differently written implementations of Extension A (the tiny Transformer): each must score full marks."""

from grader.selftest.alternatives import Alternative

BLOCK = "extensions/tiny_transformer/block_backward.py"
MODEL = "extensions/tiny_transformer/model.py"
ADAM = "extensions/tiny_transformer/adam.py"
TASKS = "extensions/tiny_transformer/tasks.py"
TRAIN = "extensions/tiny_transformer/train.py"

ALTERNATIVES = [
    Alternative(
        "adam_in_kingma_and_bas_efficient_form", ADAM,
        "    new_params = tree_map(lambda p, m_, v_: p - lr * (m_ / c1) / (np.sqrt(v_ / c2) + eps), params, m, v)\n",
        "    root = float(np.sqrt(c2))  # a Python float: a numpy float64 scalar would turn float32 into float64\n"
        "    step = lr * root / c1  # Algorithm 1's alpha_t, with eps scaled to match exactly\n"
        "    new_params = tree_map(lambda p, m_, v_: p - step * m_ / (np.sqrt(v_) + eps * root), params, m, v)\n",
        "the bias corrections folded into one step size (Kingma and Ba, end of section 2)",
    ),
    Alternative(
        "global_norm_with_dot_products", ADAM,
        "    return float(np.sqrt(sum(float(np.sum(np.square(g))) for g in leaves(grads))))\n",
        "    total = 0.0\n    for g in leaves(grads):\n        flat = np.ravel(g)\n        total += float(flat @ flat)\n"
        "    return float(np.sqrt(total))\n",
        "a running sum of dot products instead of squares summed per leaf",
    ),
    Alternative(
        "clip_factor_as_a_minimum", ADAM,
        "    factor = max_norm / norm if norm > max_norm else 1.0\n",
        "    factor = min(1.0, max_norm / norm) if norm > 0 else 1.0\n",
        "min(1, max_norm / n), guarding n = 0",
    ),
    Alternative(
        "stack_backward_collects_then_reverses", BLOCK,
        "    grads = [None] * len(caches)\n    for i in reversed(range(len(caches))):\n"
        "        dout, grads[i] = block_backward(dout, caches[i], pre_norm)\n    return dout, grads\n",
        "    grads = []\n    for cache in caches[::-1]:\n        dout, g = block_backward(dout, cache, pre_norm)\n"
        "        grads.append(g)\n    return dout, grads[::-1]\n",
        "walk the caches backwards, append, reverse the list at the end",
    ),
    Alternative(
        "self_attention_gradients_added_first", BLOCK,
        "        dx = du1 + dq + dkv\n",
        "        dx = du1 + (dq + dkv)  # the two reads of x first, then the residual\n",
        "the three paths to x added in another order (other round-off)",
    ),
    Alternative(
        "model_backward_with_einsum", MODEL,
        "    dw = h.reshape(-1, d).T @ dlogits.reshape(-1, v)  # (D, V)\n    dh = dlogits @ w.T  # (B, T, D)\n",
        "    dw = np.einsum(\"btd,btv->dv\", h, dlogits)  # (D, V)\n    dh = np.einsum(\"btv,dv->btd\", dlogits, w)\n",
        "the output projection's backward pass as einsums (other summation order, other round-off)",
    ),
    Alternative(
        "logits_with_einsum", MODEL,
        "    logits = h @ w + params[\"b_out\"]  # (B, T, V)\n",
        "    logits = np.einsum(\"btd,dv->btv\", h, w) + params[\"b_out\"]  # (B, T, V)\n",
        "the output projection as an einsum",
    ),
    Alternative(
        "cross_entropy_with_one_hot_and_where", MODEL,
        "    dlogits = np.exp(logp)\n    dlogits[np.arange(b)[:, None], np.arange(t)[None, :], targets] -= 1.0\n"
        "    dlogits *= mask[..., None] / n\n",
        "    onehot = np.eye(v)[targets]  # (B, T, V)\n"
        "    dlogits = np.where(mask[..., None], (np.exp(logp) - onehot) / n, 0.0)\n",
        "softmax minus a one-hot matrix, masked with np.where",
    ),
    Alternative(
        "held_out_log_softmax_with_logaddexp", TASKS,
        "        shifted = logits - logits.max(axis=-1, keepdims=True)\n"
        "        logp = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))\n",
        "        logp = logits - np.logaddexp.reduce(logits, axis=-1, keepdims=True)\n",
        "log-softmax through np.logaddexp.reduce",
    ),
    Alternative(
        "copy_batch_with_hstack", TASKS,
        "    sep = np.full((batch_size, 1), SEP)\n"
        "    ids = np.concatenate([x, sep, x], axis=1).astype(np.int64)  # (B, 2n + 1)\n",
        "    ids = np.hstack([x, np.zeros((batch_size, 1), dtype=x.dtype), x]).astype(np.int64)\n",
        "the copy rows built with np.hstack",
    ),
    Alternative(
        "train_step_measures_then_clips", TRAIN,
        "    if max_norm is None:\n        norm = global_norm(grads)\n    else:\n"
        "        grads, norm = clip_by_global_norm(grads, max_norm)\n",
        "    norm = global_norm(grads)\n    if max_norm is not None:\n"
        "        grads, _ = clip_by_global_norm(grads, max_norm)\n",
        "measure the norm first, clip only when asked",
    ),
    Alternative(
        "sample_with_generator_choice", TRAIN,
        "        cumulative = np.cumsum(p)\n        cumulative[-1] = 1.0\n"
        "        ids.append(int(np.searchsorted(cumulative, rng.random(), side=\"right\")))\n",
        "        ids.append(int(rng.choice(p.size, p=p)))  # one uniform, the cumulative sum, side right\n",
        "rng.choice(V, p=p): the same single uniform and cumulative search as the docstring's recipe",
    ),
    Alternative(
        "output_projection_from_standard_normal", MODEL,
        "        params[\"w_out\"] = np.random.default_rng(out_seed).normal(0.0, OUT_INIT_STD, size=(d, v))\n",
        "        params[\"w_out\"] = OUT_INIT_STD * np.random.default_rng(out_seed).standard_normal((d, v))\n",
        "standard normal draws scaled by the standard deviation",
    ),
]
