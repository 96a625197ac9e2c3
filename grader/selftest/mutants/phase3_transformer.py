"""Wrong implementations of phase 3 that the hidden tests and gradient checks must catch."""

from grader.selftest.mutants import Mutant

EMB = "phase3_transformer/embeddings.py"
PE = "phase3_transformer/positional_encoding.py"
TB = "phase3_transformer/transformer_block.py"

MUTANTS = [
    # -- layer norm -------------------------------------------------------------------------------
    Mutant(
        "layer_norm_unbiased_variance", TB,
        "    var = ((x - mu) ** 2).mean(axis=-1, keepdims=True)  # (..., 1), biased\n",
        "    var = ((x - mu) ** 2).sum(axis=-1, keepdims=True) / (d - 1)  # (..., 1), unbiased\n",
        "layer norm divides the squared deviations by D - 1 (np.var(ddof=1), torch.var's default)",
    ),
    Mutant(
        "layer_norm_eps_outside_the_square_root", TB,
        "    inv_std = 1.0 / np.sqrt(var + eps)\n",
        "    inv_std = 1.0 / (np.sqrt(var) + eps)\n",
        "epsilon added to the standard deviation instead of the variance",
    ),
    Mutant(
        "layer_norm_over_the_batch_axis", TB,
        "    mu = x.mean(axis=-1, keepdims=True)  # (..., 1)\n"
        "    var = ((x - mu) ** 2).mean(axis=-1, keepdims=True)  # (..., 1), biased\n",
        "    mu = x.mean(axis=0, keepdims=True)\n"
        "    var = ((x - mu) ** 2).mean(axis=0, keepdims=True)\n",
        "statistics over the batch axis (batch norm) instead of over each token's features",
    ),
    Mutant(
        "layer_norm_backward_without_the_mean_terms", TB,
        "    dx = inv_std * (g - g.mean(axis=-1, keepdims=True) - xhat * (g * xhat).mean(axis=-1, keepdims=True))\n",
        "    dx = inv_std * g\n",
        "the backward pass treats mean and variance as constants",
    ),
    # -- feed-forward -----------------------------------------------------------------------------
    Mutant(
        "ffn_backward_without_the_relu_derivative", TB,
        "        dh = da * (h > 0)\n",
        "        dh = da\n",
        "the gradient flows through ReLUs that are off",
    ),
    Mutant(
        "ffn_backward_transposed_w1_gradient", TB,
        '    grads["w1"] = x.reshape(-1, d).T @ dh.reshape(-1, f)  # (D, F)\n',
        '    grads["w1"] = (dh.reshape(-1, f).T @ x.reshape(-1, d)).reshape(d, f)\n',
        "dW1 computed as dh^T x and reshaped to (D, F) instead of transposed",
    ),
    Mutant(
        "ffn_gelu_backward_drops_the_tanh_derivative", TB,
        "        dh = da * (0.5 * (1.0 + t) + 0.5 * h * (1.0 - t**2) * _GELU_C * (1.0 + 3 * 0.044715 * h**2))\n",
        "        dh = da * 0.5 * (1.0 + t)\n",
        "GELU's derivative keeps only the gate, as if tanh(...) were a constant",
    ),
    Mutant(
        "ffn_gelu_sigmoid_approximation", TB,
        "        a = 0.5 * h * (1.0 + np.tanh(_GELU_C * (h + 0.044715 * h**3)))\n",
        "        a = h / (1.0 + np.exp(-1.702 * h))\n",
        "GELU written with the sigmoid approximation instead of the documented tanh one",
    ),
    # -- embeddings -------------------------------------------------------------------------------
    Mutant(
        "embed_accepts_negative_ids", EMB,
        "    outside = (ids < 0) | (ids >= vocab_size)\n",
        "    outside = ids >= vocab_size\n",
        "negative ids read table[-1] silently",
    ),
    Mutant(
        "embed_ignores_the_scale_flag", EMB,
        "    factor = float(np.sqrt(d_model)) if scale else 1.0\n",
        "    factor = 1.0\n",
        "the paper's sqrt(d_model) scaling is never applied",
    ),
    Mutant(
        "embed_backward_assigns_instead_of_accumulating", EMB,
        "    np.add.at(dtable, ids, dout * factor)\n",
        "    dtable[ids] += dout * factor\n",
        "fancy-index += keeps only one of the rows of a repeated id",
    ),
    Mutant(
        "embed_backward_forgets_the_scale", EMB,
        "    np.add.at(dtable, ids, dout * factor)\n",
        "    np.add.at(dtable, ids, dout)\n",
        "the sqrt(d_model) factor of the forward pass is missing from the gradient",
    ),
    # -- positional encoding ----------------------------------------------------------------------
    Mutant(
        "positional_encoding_sine_and_cosine_swapped", PE,
        "    pe[:, 0::2] = np.sin(angles)\n    pe[:, 1::2] = np.cos(angles)\n",
        "    pe[:, 0::2] = np.cos(angles)\n    pe[:, 1::2] = np.sin(angles)\n",
        "cosine on even dimensions, sine on odd ones",
    ),
    Mutant(
        "positional_encoding_exponent_i_over_d", PE,
        "    angles = positions / 10000.0 ** (two_i / d_model)  # (T, D/2)\n",
        "    angles = positions / 10000.0 ** (two_i / 2 / d_model)  # (T, D/2)\n",
        "the frequency uses i / D instead of 2i / D",
    ),
    Mutant(
        "positional_encoding_halves_not_interleaved", PE,
        "    pe[:, 0::2] = np.sin(angles)\n    pe[:, 1::2] = np.cos(angles)\n",
        "    pe[:, : d_model // 2] = np.sin(angles)\n    pe[:, d_model // 2 :] = np.cos(angles)\n",
        "all sines first, then all cosines (a common implementation, not the paper's layout)",
    ),
    # -- the block and the stack ------------------------------------------------------------------
    Mutant(
        "block_attention_without_the_residual", TB,
        '        h, cache["ln1"] = layer_norm(x + a, params["ln1_gamma"], params["ln1_beta"])\n',
        '        h, cache["ln1"] = layer_norm(a, params["ln1_gamma"], params["ln1_beta"])\n',
        "post-norm block: LN(MHA(x)) without adding x back",
    ),
    Mutant(
        "block_ffn_residual_from_the_block_input", TB,
        '        out, cache["ln2"] = layer_norm(h + f, params["ln2_gamma"], params["ln2_beta"])\n',
        '        out, cache["ln2"] = layer_norm(x + f, params["ln2_gamma"], params["ln2_beta"])\n',
        "the second residual adds the block's input instead of the attention sub-layer's output",
    ),
    Mutant(
        "block_layer_norms_swapped", TB,
        '        h, cache["ln1"] = layer_norm(x + a, params["ln1_gamma"], params["ln1_beta"])\n',
        '        h, cache["ln1"] = layer_norm(x + a, params["ln2_gamma"], params["ln2_beta"])\n',
        "the first sub-layer uses the second layer norm's parameters",
    ),
    Mutant(
        "block_pre_norm_residual_adds_the_normalised_input", TB,
        "        h = x + a\n",
        "        h = n1 + a\n",
        "pre-norm: the residual carries LN(x) instead of x",
    ),
    Mutant(
        "block_ignores_causal", TB,
        "    mask = causal_mask(x.shape[1]) if causal else None\n",
        "    mask = None\n",
        "causal=True never reaches the attention: the decoder sees the future",
    ),
    Mutant(
        "block_always_causal", TB,
        "    mask = causal_mask(x.shape[1]) if causal else None\n",
        "    mask = causal_mask(x.shape[1])\n",
        "every block masks the future, even an encoder block",
    ),
    Mutant(
        "stack_drops_the_options", TB,
        "        x, cache = transformer_block(x, params, n_heads, causal=causal, pre_norm=pre_norm, activation=activation)\n",
        "        x, cache = transformer_block(x, params, n_heads)\n",
        "the stack runs every block with the default options",
    ),
    Mutant(
        "stack_reuses_the_first_block", TB,
        "        x, cache = transformer_block(x, params, n_heads, causal=causal, pre_norm=pre_norm, activation=activation)\n",
        "        x, cache = transformer_block(x, blocks[0], n_heads, causal=causal, pre_norm=pre_norm, activation=activation)\n",
        "every layer of the stack uses the first block's weights",
    ),
    Mutant(
        "init_stack_same_seed_for_every_block", TB,
        "    return [init_block(d_model, n_heads, d_ff, int(s)) for s in seeds]\n",
        "    return [init_block(d_model, n_heads, d_ff, seed) for s in seeds]\n",
        "every block of the stack starts from the same weights",
    ),
    Mutant(
        "count_parameters_only_matrices", TB,
        "    return int(np.asarray(params).size)\n",
        "    return int(np.asarray(params).size) if np.ndim(params) == 2 else 0\n",
        "the count forgets biases, gains and every other vector",
    ),
    # -- documented arguments, ranks, refusals (issue 15: an independent reviewer's families) ------
    Mutant(
        "pre_norm_block_ignores_the_activation", TB,
        '        f, cache["ffn"] = feed_forward(n2, params["ffn"], activation)\n',
        '        f, cache["ffn"] = feed_forward(n2, params["ffn"])\n',
        "the pre-norm branch always uses ReLU: GELU only ever reaches the post-norm block",
    ),
    Mutant(
        "stack_forgets_the_activation", TB,
        "        x, cache = transformer_block(x, params, n_heads, causal=causal, pre_norm=pre_norm, activation=activation)\n",
        "        x, cache = transformer_block(x, params, n_heads, causal=causal, pre_norm=pre_norm)\n",
        "the stack passes causal and pre_norm on, but not the activation",
    ),
    Mutant(
        "ffn_backward_only_for_three_axes", TB,
        '        "w2": a.reshape(-1, f).T @ dout.reshape(-1, d),  # (F, D)\n',
        '        "w2": np.einsum("btf,btd->fd", a, dout),\n',
        "dW2 written for x of shape (B, T, D) only, though x may be (..., D)",
    ),
    Mutant(
        "layer_norm_backward_sums_over_the_first_two_axes", TB,
        "    dbeta = dout.reshape(-1, d).sum(axis=0)\n    dgamma = (dout * xhat).reshape(-1, d).sum(axis=0)\n",
        "    dbeta = dout.sum(axis=(0, 1))\n    dgamma = (dout * xhat).sum(axis=(0, 1))\n",
        "dgamma and dbeta summed over axes 0 and 1: right for (B, T, D), wrong for (N, D) or (B, H, T, D)",
    ),
    Mutant(
        "embed_refuses_unsigned_ids", EMB,
        '    if ids.dtype.kind not in "iu":\n',
        '    if ids.dtype.kind != "i":\n',
        "uint8 token ids are refused as if they were not integers",
    ),
    Mutant(
        "embed_accepts_three_d_ids", EMB,
        "    if ids.ndim != 2:\n",
        "    if ids.ndim < 2:\n",
        "ids of shape (B, T, K) give a 4-d output instead of a ValueError",
    ),
    Mutant(
        "embed_backward_broadcasts_dout", EMB,
        "    if dout.shape[:-1] != ids.shape or dout.ndim != 3:\n",
        "    if dout.ndim != 3:\n",
        "a (1, T, D) dout is broadcast over the batch instead of refused",
    ),
    Mutant(
        "positional_encoding_refuses_no_positions", PE,
        "    if isinstance(t, bool) or not isinstance(t, (int, np.integer)) or t < 0:\n",
        "    if isinstance(t, bool) or not isinstance(t, (int, np.integer)) or t < 1:\n",
        "t = 0 is refused although any length t >= 0 works",
    ),
    Mutant(
        "count_parameters_forgets_tuples", TB,
        "    if isinstance(params, (list, tuple)):\n",
        "    if isinstance(params, list):\n",
        "a tuple of arrays is counted as one array (np.asarray stacks or fails)",
    ),
    Mutant(
        "init_embeddings_checks_only_the_sign", EMB,
        "        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:\n",
        "        if value < 1:\n",
        "a vocabulary size of 2.0 gives a table instead of a ValueError",
    ),
]
