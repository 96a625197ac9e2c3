"""Correct but differently written implementations of phase 2: each must score full marks."""

from grader.selftest.alternatives import Alternative

ATT = "phase2_attention/attention.py"
MASK = "phase2_attention/mask.py"
MH = "phase2_attention/multi_head.py"
GC = "phase2_attention/gradcheck.py"

ALTERNATIVES = [
    Alternative(
        "attention_with_einsum", ATT,
        "    scores = (q @ np.swapaxes(k, -1, -2)) * scale  # (..., Tq, Tk)\n",
        "    scores = np.einsum(\"...id,...jd->...ij\", q * scale, k)\n",
        "scores by einsum, the scale applied to q before the product",
    ),
    Alternative(
        "attention_with_a_large_finite_negative", ATT,
        "    scores = apply_mask(scores, mask)\n"
        "    dead = np.all(np.isneginf(scores), axis=-1, keepdims=True)  # (..., Tq, 1): fully masked rows\n"
        "    weights = softmax(np.where(dead, 0.0, scores), axis=-1)\n"
        "    weights = np.where(dead, 0.0, weights)  # (..., Tq, Tk)\n"
        "    out = weights @ v  # (..., Tq, d_v)\n",
        "    hidden = np.isneginf(apply_mask(scores, mask))  # apply_mask checks the mask\n"
        "    scores = np.where(hidden, -1e300, scores)\n"
        "    e = np.exp(scores - scores.max(axis=-1, keepdims=True))\n"
        "    weights = e / e.sum(axis=-1, keepdims=True)\n"
        "    weights[np.broadcast_to(hidden.all(axis=-1, keepdims=True), weights.shape)] = 0.0\n"
        "    out = np.einsum(\"...ij,...jd->...id\", weights, v)\n",
        "-1e300 instead of -inf, a hand-written stable softmax, fully masked rows zeroed afterwards",
    ),
    Alternative(
        "attention_backward_by_einsum_and_the_expanded_softmax_jacobian", ATT,
        "    dv = np.swapaxes(weights, -1, -2) @ dout  # (..., Tk, d_v)\n"
        "    dweights = dout @ np.swapaxes(v, -1, -2)  # (..., Tq, Tk)\n"
        "    dscores = weights * (dweights - np.sum(dweights * weights, axis=-1, keepdims=True))"
        "  # softmax, row by row\n"
        "    dq = (dscores @ k) * scale  # (..., Tq, d_k)\n"
        "    dk = (np.swapaxes(dscores, -1, -2) @ q) * scale  # (..., Tk, d_k)\n",
        "    dv = np.einsum(\"...ij,...id->...jd\", weights, dout)\n"
        "    dweights = np.einsum(\"...id,...jd->...ij\", dout, v)\n"
        "    dscores = weights * dweights - weights * np.einsum(\"...ij,...ij->...i\", weights, dweights)[..., None]\n"
        "    dq = scale * np.einsum(\"...ij,...jd->...id\", dscores, k)\n"
        "    dk = scale * np.einsum(\"...ij,...id->...jd\", dscores, q)\n",
        "einsum everywhere, dS = A dA - A sum(A dA) expanded",
    ),
    Alternative(
        "attention_loops_with_its_own_softmax", ATT,
        "            weights = softmax(scores)\n"
        "            row = np.zeros(d_v)\n"
        "            for j in range(t_k):\n"
        "                row += weights[j] * v[b][j]\n",
        "            visible = np.isfinite(scores)\n"
        "            top = max(scores[j] for j in range(t_k) if visible[j])\n"
        "            weights = np.array([np.exp(scores[j] - top) if visible[j] else 0.0 for j in range(t_k)])\n"
        "            weights = weights / weights.sum()\n"
        "            row = np.zeros(d_v)\n"
        "            for j in reversed(range(t_k)):\n"
        "                row = row + weights[j] * v[b][j]\n",
        "a softmax written out over the visible keys, the values summed in the other order",
    ),
    Alternative(
        "causal_mask_by_comparing_positions", MASK,
        "    return np.tril(np.ones((int(t), int(t)), dtype=bool))\n",
        "    positions = np.arange(int(t))\n    return positions[None, :] <= positions[:, None]\n",
        "mask[i, j] = j <= i by broadcasting instead of np.tril",
    ),
    Alternative(
        "padding_mask_by_a_loop", MASK,
        "    return (np.arange(t)[None, :] < lengths[:, None])[:, None, :]\n",
        "    mask = np.zeros((lengths.shape[0], 1, int(t)), dtype=bool)\n"
        "    for b, n in enumerate(lengths):\n"
        "        mask[b, 0, : int(n)] = True\n"
        "    return mask\n",
        "one row per sequence, set by slicing",
    ),
    Alternative(
        "apply_mask_by_boolean_assignment", MASK,
        "    return np.where(mask, scores, -np.inf)\n",
        "    out = scores.copy()\n    out[~np.broadcast_to(mask, scores.shape)] = -np.inf\n    return out\n",
        "apply_mask by boolean assignment into a copy",
    ),
    Alternative(
        "combine_masks_by_broadcast_arrays", MASK,
        "    return np.logical_and(masks[0], masks[1])\n",
        "    a, b = np.broadcast_arrays(masks[0], masks[1])\n    return a & b\n",
        "the and of two masks broadcast explicitly first",
    ),
    Alternative(
        "split_and_merge_heads_by_slices", MH,
        "    return x.transpose(0, 2, 1, 3).reshape(b, t, h * d_head)\n",
        "    return np.concatenate([x[:, i] for i in range(h)], axis=-1)\n",
        "merge_heads by concatenating the heads along the features",
    ),
    Alternative(
        "init_multi_head_draws_all_weights_at_once", MH,
        "    for name in (\"q\", \"k\", \"v\", \"o\"):\n"
        "        params[\"w\" + name] = rng.normal(0.0, 1.0 / np.sqrt(d_model), size=(d_model, d_model))\n"
        "        params[\"b\" + name] = np.zeros(d_model)\n",
        "    weights = rng.standard_normal((4, d_model, d_model)) / np.sqrt(d_model)\n"
        "    for i, name in enumerate(\"ovkq\"):\n"
        "        params[\"w\" + name] = weights[i]\n"
        "        params[\"b\" + name] = np.zeros(d_model)\n",
        "another order of the draws: the docstring fixes the distribution, not the order",
    ),
    Alternative(
        "multi_head_weight_gradients_by_einsum", MH,
        "        return x.reshape(-1, d_model).T @ dy.reshape(-1, d_model)\n",
        "        return np.einsum(\"btc,btd->cd\", x, dy)\n",
        "dW = sum over b, t of x^T dy by einsum",
    ),
    Alternative(
        "check_attention_with_its_own_central_differences", GC,
        "    return {name: compare(analytic[name], numerical_gradient(loss[name], inputs[name]))"
        " for name in (\"q\", \"k\", \"v\")}\n",
        "    reports = {}\n"
        "    for name in (\"q\", \"k\", \"v\"):\n"
        "        x, numeric = inputs[name].copy(), np.zeros_like(inputs[name])\n"
        "        for i in np.ndindex(x.shape):\n"
        "            old = x[i]\n"
        "            x[i] = old + 1e-5\n"
        "            up = loss[name](x.copy())\n"
        "            x[i] = old - 1e-5\n"
        "            down = loss[name](x.copy())\n"
        "            x[i] = old\n"
        "            numeric[i] = (up - down) / 2e-5\n"
        "        reports[name] = compare(analytic[name], numeric)\n"
        "    return reports\n",
        "its own central differences with eps 1e-5 instead of phase 0's numerical_gradient",
    ),
]
