"""Wrong implementations of phase 2 that the hidden tests and gradient checks must catch."""

from grader.selftest.mutants import Mutant

ATT = "phase2_attention/attention.py"
MASK = "phase2_attention/mask.py"
MH = "phase2_attention/multi_head.py"
GC = "phase2_attention/gradcheck.py"

MUTANTS = [
    # -- the eight of the issue -------------------------------------------------------------------
    Mutant(
        "attention_without_scaling", ATT,
        "    scale = 1.0 / np.sqrt(q.shape[-1])\n",
        "    scale = 1.0\n",
        "scores are q . k without the 1/sqrt(d_k)",
    ),
    Mutant(
        "attention_scaled_by_d_k", ATT,
        "    scale = 1.0 / np.sqrt(q.shape[-1])\n",
        "    scale = 1.0 / q.shape[-1]\n",
        "scores divided by d_k instead of its square root",
    ),
    Mutant(
        "mask_applied_after_softmax", ATT,
        "    scores = apply_mask(scores, mask)\n"
        "    dead = np.all(np.isneginf(scores), axis=-1, keepdims=True)  # (..., Tq, 1): fully masked rows\n"
        "    weights = softmax(np.where(dead, 0.0, scores), axis=-1)\n"
        "    weights = np.where(dead, 0.0, weights)  # (..., Tq, Tk)\n",
        "    weights = softmax(scores, axis=-1)\n"
        "    weights = np.where(np.isneginf(apply_mask(scores, mask)), 0.0, weights)\n",
        "the mask zeroes weights after the softmax, so rows no longer sum to 1",
    ),
    Mutant(
        "mask_filled_with_zero_instead_of_minus_inf", MASK,
        "    return np.where(mask, scores, -np.inf)\n",
        "    return np.where(mask, scores, 0.0)\n",
        "masked scores set to 0, which still gives them weight exp(0)",
    ),
    Mutant(
        "softmax_over_the_query_axis", ATT,
        "    weights = softmax(np.where(dead, 0.0, scores), axis=-1)\n",
        "    weights = softmax(np.where(dead, 0.0, scores), axis=-2)\n",
        "softmax normalises each column (over queries) instead of each row (over keys)",
    ),
    Mutant(
        "split_heads_by_a_reshape_that_mixes_positions", MH,
        "    return x.reshape(b, t, n_heads, d_head).transpose(0, 2, 1, 3)\n",
        "    return x.reshape(b, n_heads, t, d_head)\n",
        "heads cut by reshaping straight to (B, H, T, d_head), mixing time steps",
    ),
    Mutant(
        "projection_bias_gradient_not_summed_over_batch_and_time", MH,
        "    grads = {\"wo\": weight_grad(concat, dout), \"bo\": dout.sum(axis=(0, 1))}\n",
        "    grads = {\"wo\": weight_grad(concat, dout), \"bo\": dout.mean(axis=(0, 1))}\n",
        "the output bias gradient is a mean over batch and time, not a sum",
    ),
    Mutant(
        "q_and_k_roles_swapped_in_backward", ATT,
        "    dq = (dscores @ k) * scale  # (..., Tq, d_k)\n"
        "    dk = (np.swapaxes(dscores, -1, -2) @ q) * scale  # (..., Tk, d_k)\n",
        "    dq = (np.swapaxes(dscores, -1, -2) @ q) * scale  # (..., Tq, d_k)\n"
        "    dk = (dscores @ k) * scale  # (..., Tk, d_k)\n",
        "dq and dk computed with each other's formula",
    ),
    # -- more mistakes people make ----------------------------------------------------------------
    Mutant(
        "bias_gradient_summed_over_batch_only", MH,
        "        grads[\"b\" + name] = dy.sum(axis=(0, 1))\n",
        "        grads[\"b\" + name] = dy.sum(axis=0)\n",
        "the q/k/v bias gradients keep the time axis",
    ),
    Mutant(
        "merge_heads_without_the_transpose", MH,
        "    return x.transpose(0, 2, 1, 3).reshape(b, t, h * d_head)\n",
        "    return x.reshape(b, t, h * d_head)\n",
        "heads glued back by a reshape alone, mixing heads and time steps",
    ),
    Mutant(
        "softmax_backward_without_the_row_sum", ATT,
        "    dscores = weights * (dweights - np.sum(dweights * weights, axis=-1, keepdims=True))"
        "  # softmax, row by row\n",
        "    dscores = weights * dweights\n",
        "the softmax backward keeps only the diagonal of its Jacobian",
    ),
    Mutant(
        "softmax_backward_summed_over_the_wrong_axis", ATT,
        "    dscores = weights * (dweights - np.sum(dweights * weights, axis=-1, keepdims=True))"
        "  # softmax, row by row\n",
        "    dscores = weights * (dweights - np.sum(dweights * weights, axis=-2, keepdims=True))\n",
        "the softmax backward sums over queries instead of keys",
    ),
    Mutant(
        "backward_without_the_scale", ATT,
        "    dq = (dscores @ k) * scale  # (..., Tq, d_k)\n",
        "    dq = dscores @ k  # (..., Tq, d_k)\n",
        "the 1/sqrt(d_k) forgotten on the way back",
    ),
    Mutant(
        "softmax_without_the_max_shift", ATT,
        "    weights = softmax(np.where(dead, 0.0, scores), axis=-1)\n",
        "    e = np.exp(np.where(dead, 0.0, scores))\n    weights = e / e.sum(axis=-1, keepdims=True)\n",
        "a hand-written softmax that overflows on scores of 1000",
    ),
    Mutant(
        "fully_masked_row_averages_the_values", ATT,
        "    weights = np.where(dead, 0.0, weights)  # (..., Tq, Tk)\n",
        "",
        "a fully masked row gets uniform weights instead of the defined zeros",
    ),
    Mutant(
        "fully_masked_row_gives_nan", ATT,
        "    weights = softmax(np.where(dead, 0.0, scores), axis=-1)\n"
        "    weights = np.where(dead, 0.0, weights)  # (..., Tq, Tk)\n",
        "    weights = softmax(scores, axis=-1)\n",
        "softmax of an all -inf row: 0 / 0 = NaN",
    ),
    Mutant(
        "attention_loops_without_scaling", ATT,
        "                scores[j] = np.dot(q[b][i], k[b][j]) * scale\n",
        "                scores[j] = np.dot(q[b][i], k[b][j])\n",
        "the loop version forgets 1/sqrt(d_k)",
    ),
    Mutant(
        "attention_loops_fully_masked_row_not_skipped", ATT,
        "                if not allowed[b][i].any():\n"
        "                    continue  # a fully masked row: weights 0, output 0\n",
        "",
        "the loop version runs softmax on an all -inf row",
    ),
    Mutant(
        "causal_mask_upper_triangle", MASK,
        "    return np.tril(np.ones((int(t), int(t)), dtype=bool))\n",
        "    return np.triu(np.ones((int(t), int(t)), dtype=bool))\n",
        "the causal mask lets each position see the future instead of the past",
    ),
    Mutant(
        "causal_mask_without_the_diagonal", MASK,
        "    return np.tril(np.ones((int(t), int(t)), dtype=bool))\n",
        "    return np.tril(np.ones((int(t), int(t)), dtype=bool), k=-1)\n",
        "a position may not attend to itself (and the first row is fully masked)",
    ),
    Mutant(
        "padding_mask_off_by_one", MASK,
        "    return (np.arange(t)[None, :] < lengths[:, None])[:, None, :]\n",
        "    return (np.arange(t)[None, :] <= lengths[:, None])[:, None, :]\n",
        "the padding mask lets each sequence see one padding position",
    ),
    Mutant(
        "padding_mask_accepts_lengths_past_t", MASK,
        "    bad = (lengths < 0) | (lengths > t)\n",
        "    bad = lengths < 0\n",
        "a length longer than the sequence is silently accepted",
    ),
    Mutant(
        "weight_gradient_transposed", MH,
        "        return x.reshape(-1, d_model).T @ dy.reshape(-1, d_model)\n",
        "        return dy.reshape(-1, d_model).T @ x.reshape(-1, d_model)\n",
        "every projection's weight gradient is transposed (square, so the shape hides it)",
    ),
    Mutant(
        "dx_kv_misses_the_value_path", MH,
        "    dx_kv = dk @ p[\"wk\"].T + dv @ p[\"wv\"].T\n",
        "    dx_kv = dk @ p[\"wk\"].T\n",
        "x_kv feeds keys and values, but only the key path is back-propagated",
    ),
    Mutant(
        "dx_q_without_the_transpose", MH,
        "    dx_q = dq @ p[\"wq\"].T\n",
        "    dx_q = dq @ p[\"wq\"]\n",
        "the input gradient multiplies by w instead of w^T (square, so the shape hides it)",
    ),
    Mutant(
        "query_weight_gradient_from_x_kv", MH,
        "    for name, x, dy in ((\"q\", x_q, dq), (\"k\", x_kv, dk), (\"v\", x_kv, dv)):\n",
        "    for name, x, dy in ((\"q\", x_kv, dq), (\"k\", x_kv, dk), (\"v\", x_kv, dv)):\n",
        "dwq built from the key/value input (only right for self-attention)",
    ),
    Mutant(
        "three_d_mask_without_a_head_axis", MH,
        "    heads, att_cache = attention(q, k, v, head_mask(mask))  # (B, H, Tq, d_head)\n",
        "    heads, att_cache = attention(q, k, v, mask)  # (B, H, Tq, d_head)\n",
        "a (B, 1, Tk) padding mask lined up with the head axis instead of the batch axis",
    ),
    Mutant(
        "combine_masks_with_or", MASK,
        "    return np.logical_and(masks[0], masks[1])\n",
        "    return np.logical_or(masks[0], masks[1])\n",
        "combining masks lets through what either allows",
    ),
    Mutant(
        "init_with_unit_variance", MH,
        "        params[\"w\" + name] = rng.normal(0.0, 1.0 / np.sqrt(d_model), size=(d_model, d_model))\n",
        "        params[\"w\" + name] = rng.normal(0.0, 1.0, size=(d_model, d_model))\n",
        "weights drawn from N(0, 1): scores grow with d_model",
    ),
    Mutant(
        "gradcheck_ignores_the_mask", GC,
        "        \"q\": lambda x: float(np.sum(attention(x, k, v, mask)[0] * dout)),\n",
        "        \"q\": lambda x: float(np.sum(attention(x, k, v)[0] * dout)),\n",
        "the student's check of dq differentiates the unmasked attention",
    ),
    Mutant(
        "gradcheck_self_attention_one_role_only", GC,
        "    return {\"x\": compare(dx_q + dx_kv, numeric)}\n",
        "    return {\"x\": compare(dx_q, numeric)}\n",
        "the self-attention check forgets that x is also the keys and values",
    ),
]
