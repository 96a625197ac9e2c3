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
        "    scale = float(1.0 / np.sqrt(q.shape[-1]))  # a Python float: a numpy float64 scalar would upcast float32\n",
        "    scale = 1.0\n",
        "scores are q . k without the 1/sqrt(d_k)",
    ),
    Mutant(
        "attention_scaled_by_d_k", ATT,
        "    scale = float(1.0 / np.sqrt(q.shape[-1]))  # a Python float: a numpy float64 scalar would upcast float32\n",
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
        "softmax_backward_without_the_row_sum", ATT,
        "    dscores = weights * (dweights - np.sum(dweights * weights, axis=-1, keepdims=True))"
        "  # softmax, row by row\n",
        "    dscores = weights * dweights\n",
        "the softmax backward keeps only the diagonal of its Jacobian",
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
        "causal_mask_upper_triangle", MASK,
        "    return np.tril(np.ones((int(t), int(t)), dtype=bool))\n",
        "    return np.triu(np.ones((int(t), int(t)), dtype=bool))\n",
        "the causal mask lets each position see the future instead of the past",
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
        "        analytic = {\"x\": dx_q + dx_kv}\n",
        "        analytic = {\"x\": dx_q}\n",
        "the self-attention check forgets that x is also the keys and values",
    ),
    # -- documented arguments, refusals and checkers (issue 15: an independent reviewer's families) --
    Mutant(
        "apply_mask_accepts_a_float_mask", MASK,
        "    if mask.dtype != np.bool_:\n"
        "        raise ValueError(f\"apply_mask: the mask must be a bool array (True = may attend), "
        "got dtype {mask.dtype}\")\n",
        "    mask = mask.astype(bool)\n",
        "a 0/1 float mask is silently read as bool instead of refused",
    ),
    Mutant(
        "causal_mask_refuses_t_zero", MASK,
        "    if isinstance(t, (bool, np.bool_)) or not isinstance(t, (int, np.integer)) or t < 0:\n"
        "        raise ValueError(f\"causal_mask:",
        "    if isinstance(t, (bool, np.bool_)) or not isinstance(t, (int, np.integer)) or t < 1:\n"
        "        raise ValueError(f\"causal_mask:",
        "the empty mask of t = 0 is refused although the docstring allows t >= 0",
    ),
    Mutant(
        "padding_mask_accepts_float_lengths", MASK,
        "    if lengths.dtype.kind not in \"iu\" or lengths.ndim != 1:\n",
        "    if lengths.ndim != 1:\n",
        "lengths 2.0 and 3.5 give a mask instead of a ValueError",
    ),
    Mutant(
        "combine_masks_accepts_integer_masks", MASK,
        "        if m.dtype != np.bool_:\n            raise ValueError(\n"
        "                f\"combine_masks: mask {name} must be",
        "        if m.dtype.kind not in \"biu\":\n            raise ValueError(\n"
        "                f\"combine_masks: mask {name} must be",
        "0/1 integer masks are combined instead of refused",
    ),
    Mutant(
        "attention_loops_casts_the_mask_to_bool", ATT,
        "        allowed = np.isfinite(apply_mask(np.zeros(q.shape[:-2] + (t_q, t_k)), mask))  # (..., Tq, Tk)\n",
        "        allowed = np.isfinite(apply_mask(np.zeros(q.shape[:-2] + (t_q, t_k)),\n"
        "                                         np.asarray(mask, dtype=bool)))\n",
        "the loop version accepts a float mask (any nonzero = attend) instead of refusing it",
    ),
    Mutant(
        "per_head_mask_gets_another_head_axis", MH,
        "    heads, att_cache = attention(q, k, v, head_mask(mask))  # (B, H, Tq, d_head)\n",
        "    heads, att_cache = attention(q, k, v, None if mask is None else\n"
        "                                 np.asarray(mask)[:, None] if np.ndim(mask) >= 3 else mask)\n",
        "a head axis is inserted into every mask of rank >= 3, so a (B, H, Tq, Tk) mask is refused",
    ),
    Mutant(
        "attention_backward_broadcasts_dout", ATT,
        "    if dout.shape != expected:\n        raise ValueError(f\"attention_backward:",
        "    if dout.shape[-2:] != expected[-2:]:\n        raise ValueError(f\"attention_backward:",
        "a (1, Tq, d_v) dout broadcasts over the batch instead of being refused",
    ),
    Mutant(
        "check_attention_ignores_the_given_gradients", GC,
        "    if analytic is None:\n        dq, dk, dv = attention_backward(dout, cache)\n",
        "    if True:\n        dq, dk, dv = attention_backward(dout, cache)\n",
        "the checker always checks attention_backward's gradients: a wrong gradient handed to it passes",
    ),
    Mutant(
        "check_self_attention_threshold_1e_4", GC,
        "    return {\"x\": compare(analytic[\"x\"], numeric)}\n",
        "    report = compare(analytic[\"x\"], numeric)\n"
        "    return {\"x\": {**report, \"passed\": bool(report[\"rel_error\"] < 1e-4)}}\n",
        "the self-attention check passes relative errors up to 1e-4, not the documented 1e-6",
    ),
    Mutant(
        "check_multi_head_weights_by_allclose", GC,
        "        reports[name] = compare(analytic[name], numeric, zero_gradient=(name == \"bk\"))\n",
        "        reports[name] = {**compare(analytic[name], numeric, zero_gradient=(name == \"bk\")),\n"
        "                         \"passed\": bool(np.allclose(analytic[name], numeric, rtol=1e-5, atol=1e-4))}\n",
        "the weight checks use np.allclose with its loose tolerances instead of compare",
    ),
    Mutant(
        "check_multi_head_absolute_pass_for_every_tensor", GC,
        "        reports[name] = compare(analytic[name], numeric, zero_gradient=(name == \"bk\"))\n",
        "        reports[name] = compare(analytic[name], numeric, zero_gradient=True)\n",
        "every weight passes on an absolute error of 1e-7, so a wrong gradient whose true value is small passes",
    ),
]
