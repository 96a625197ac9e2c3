"""Correct but differently written implementations of phase 3: each must score full marks."""

from grader.selftest.alternatives import Alternative

EMB = "phase3_transformer/embeddings.py"
PE = "phase3_transformer/positional_encoding.py"
TB = "phase3_transformer/transformer_block.py"

ALTERNATIVES = [
    Alternative(
        "layer_norm_with_np_var_and_a_division", TB,
        "    var = ((x - mu) ** 2).mean(axis=-1, keepdims=True)  # (..., 1), biased\n"
        "    inv_std = 1.0 / np.sqrt(var + eps)\n"
        "    xhat = (x - mu) * inv_std  # (..., D)\n",
        "    var = np.var(x, axis=-1, keepdims=True)\n"
        "    std = np.sqrt(var + eps)\n"
        "    xhat = (x - mu) / std\n"
        "    inv_std = 1.0 / std\n",
        "np.var, and a division by the standard deviation instead of a product with its inverse",
    ),
    Alternative(
        "layer_norm_with_a_one_pass_variance", TB,
        "    var = ((x - mu) ** 2).mean(axis=-1, keepdims=True)  # (..., 1), biased\n",
        "    var = np.maximum((x * x).mean(axis=-1, keepdims=True) - mu * mu, 0.0)\n",
        "var = E[x^2] - E[x]^2, clipped at 0",
    ),
    Alternative(
        "layer_norm_backward_in_the_sum_form", TB,
        "    dx = inv_std * (g - g.mean(axis=-1, keepdims=True) - xhat * (g * xhat).mean(axis=-1, keepdims=True))\n",
        "    n = xhat.shape[-1]\n"
        "    dx = (inv_std / n) * (n * g - g.sum(axis=-1, keepdims=True)\n"
        "                          - xhat * (g * xhat).sum(axis=-1, keepdims=True))\n",
        "dx = inv_std / D (D g - sum g - xhat sum(g xhat))",
    ),
    Alternative(
        "gelu_by_a_stable_sigmoid", TB,
        "        a = 0.5 * h * (1.0 + np.tanh(_GELU_C * (h + 0.044715 * h**3)))\n",
        "        a = h * np.exp(-np.logaddexp(0.0, -2.0 * _GELU_C * (h + 0.044715 * h**3)))\n",
        "0.5 (1 + tanh z) = sigmoid(2 z), written with logaddexp so it never overflows",
    ),
    Alternative(
        "ffn_backward_by_tensordot", TB,
        "    grads[\"w1\"] = x.reshape(-1, d).T @ dh.reshape(-1, f)  # (D, F)\n",
        "    axes = list(range(x.ndim - 1))\n"
        "    grads[\"w1\"] = np.tensordot(x, dh, axes=(axes, axes))\n",
        "dW1 by tensordot over every leading axis",
    ),
    Alternative(
        "embed_by_np_take", EMB,
        "    out = table[ids] * factor  # (B, T, D), a new array\n",
        "    out = np.take(table, ids, axis=0) * factor\n",
        "np.take instead of fancy indexing",
    ),
    Alternative(
        "embed_backward_by_a_loop", EMB,
        "    np.add.at(dtable, ids, dout * factor)\n",
        "    for b in range(ids.shape[0]):\n"
        "        for t in range(ids.shape[1]):\n"
        "            dtable[ids[b, t]] += factor * dout[b, t]\n",
        "a loop over positions instead of np.add.at",
    ),
    Alternative(
        "positional_encoding_by_exp_log_frequencies", PE,
        "    angles = positions / 10000.0 ** (two_i / d_model)  # (T, D/2)\n",
        "    angles = positions * np.exp(-np.log(10000.0) * two_i / d_model)\n",
        "frequencies as exp(-ln(10000) 2i / D), multiplied instead of divided",
    ),
    Alternative(
        "init_embeddings_by_standard_normal", EMB,
        "    return rng.normal(0.0, 1.0 / np.sqrt(d_model), size=(int(vocab_size), int(d_model)))\n",
        "    return rng.standard_normal((int(d_model), int(vocab_size))).T / np.sqrt(d_model)\n",
        "another order of the draws (column by column): the docstring fixes the distribution only",
    ),
    Alternative(
        "init_block_seeds_by_seed_sequence", TB,
        "    attn_seed, ffn_seed = (int(s) for s in np.random.default_rng(seed).integers(0, 2**31, size=2))\n",
        "    attn_seed, ffn_seed = (int(s.generate_state(1)[0]) for s in np.random.SeedSequence(seed).spawn(2))\n",
        "the two sub-seeds spawned from a SeedSequence: other draws, the same distribution",
    ),
    Alternative(
        "init_stack_seeds_by_seed_sequence", TB,
        "    seeds = np.random.default_rng(seed).integers(0, 2**31, size=int(n_layers))\n",
        "    seeds = np.random.SeedSequence([seed, 7]).generate_state(int(n_layers))\n",
        "one seed per block from a SeedSequence",
    ),
    Alternative(
        "count_parameters_with_a_stack", TB,
        "    if isinstance(params, dict):\n"
        "        return sum(count_parameters(v) for v in params.values())\n",
        "    if isinstance(params, dict):\n"
        "        total, todo = 0, list(params.values())\n"
        "        while todo:\n"
        "            item = todo.pop()\n"
        "            if isinstance(item, dict):\n"
        "                todo.extend(item.values())\n"
        "            elif isinstance(item, (list, tuple)):\n"
        "                todo.extend(item)\n"
        "            else:\n"
        "                total += np.size(item)\n"
        "        return int(total)\n",
        "an explicit stack instead of recursion for dicts",
    ),
]
