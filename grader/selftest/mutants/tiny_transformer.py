"""Wrong implementations of Extension A (the tiny Transformer) that the hidden tests must catch."""

from grader.selftest.mutants import Mutant

BLOCK = "extensions/tiny_transformer/block_backward.py"
MODEL = "extensions/tiny_transformer/model.py"
ADAM = "extensions/tiny_transformer/adam.py"
TASKS = "extensions/tiny_transformer/tasks.py"
TRAIN = "extensions/tiny_transformer/train.py"

MUTANTS = [
    # -- the block's backward pass
    Mutant(
        "pre_norm_residual_gradient_dropped", BLOCK,
        "        dh = dout + dh_norm\n",
        "        dh = dh_norm\n",
        "pre-norm: the gradient of out = h + FFN(LN2(h)) reaches h only through the FFN; the residual's dout is lost",
    ),
    Mutant(
        "post_norm_residual_gradient_dropped", BLOCK,
        "        dh = du2 + dh_ffn\n",
        "        dh = dh_ffn\n",
        "post-norm: u2 = h + FFN(h) passes its gradient only through the FFN, not along the residual",
    ),
    Mutant(
        "input_residual_gradient_dropped", BLOCK,
        "        dx = dh + dx_norm\n",
        "        dx = dx_norm\n",
        "pre-norm: dx is only the attention branch's gradient; the x of h = x + MHA(LN1(x)) gets none directly",
    ),
    Mutant(
        "self_attention_key_value_gradient_dropped", BLOCK,
        "        dx = du1 + dq + dkv\n",
        "        dx = du1 + dq\n",
        "self-attention reads x twice (queries, keys and values) but only the queries' gradient is kept",
    ),
    Mutant(
        "stack_gradients_in_reverse_order", BLOCK,
        "        dout, grads[i] = block_backward(dout, caches[i], pre_norm)\n",
        "        dout, grads[len(caches) - 1 - i] = block_backward(dout, caches[i], pre_norm)\n",
        "the stack's gradients are listed in the order they were computed (last block first)",
    ),
    # -- the model
    Mutant(
        "causal_mask_missing_in_the_model", MODEL,
        "    h, block_caches = transformer_stack(x, params[\"blocks\"], config[\"n_heads\"], causal=True,\n",
        "    h, block_caches = transformer_stack(x, params[\"blocks\"], config[\"n_heads\"], causal=False,\n",
        "the language model's attention has no causal mask: every position sees the token it must predict",
    ),
    Mutant(
        "loss_not_shifted_by_one_token", MODEL,
        "    loss, dlogits = cross_entropy(logits, ids[:, 1:], mask)\n",
        "    loss, dlogits = cross_entropy(logits, ids[:, :-1], mask)\n",
        "the next-token loss scores each position against its own input token instead of the one that follows",
    ),
    Mutant(
        "tied_output_gradient_reshaped_not_transposed", MODEL,
        "        grads[\"embed\"] = dtable + dw.T\n",
        "        grads[\"embed\"] = dtable + dw.reshape(dtable.shape)\n",
        "tied weights: the output projection's (D, V) gradient is reshaped to (V, D) instead of transposed",
    ),
    Mutant(
        "tied_embedding_misses_the_output_gradient", MODEL,
        "        grads[\"embed\"] = dtable + dw.T\n",
        "        grads[\"embed\"] = dtable\n",
        "tied weights: the table gets only the lookup's gradient, not the output projection's",
    ),
    Mutant(
        "output_projection_initialised_large", MODEL,
        "OUT_INIT_STD = 0.02",
        "OUT_INIT_STD = 1.0",
        "w_out drawn with standard deviation 1: the first logits are large and the first loss far above log V",
    ),
    Mutant(
        "loss_averaged_over_every_position_despite_the_mask", MODEL,
        "    n = int(mask.sum())\n",
        "    n = int(mask.size)\n",
        "the masked cross-entropy divides by every position instead of the positions that count",
    ),
    # -- Adam
    Mutant(
        "adam_without_bias_correction", ADAM,
        "    c1, c2 = 1.0 - beta1**t, 1.0 - beta2**t\n",
        "    c1, c2 = 1.0, 1.0\n",
        "Adam without bias correction: the first steps are too small (m and v start at 0)",
    ),
    Mutant(
        "adam_moments_swapped", ADAM,
        "    m = tree_map(lambda m_, g: beta1 * m_ + (1.0 - beta1) * g, state[\"m\"], grads)\n"
        "    v = tree_map(lambda v_, g: beta2 * v_ + (1.0 - beta2) * g * g, state[\"v\"], grads)\n",
        "    m = tree_map(lambda m_, g: beta2 * m_ + (1.0 - beta2) * g, state[\"m\"], grads)\n"
        "    v = tree_map(lambda v_, g: beta1 * v_ + (1.0 - beta1) * g * g, state[\"v\"], grads)\n",
        "Adam's two decay rates swapped: the mean of g uses beta2 and the mean of g^2 uses beta1",
    ),
    Mutant(
        "adam_eps_inside_the_square_root", ADAM,
        "(np.sqrt(v_ / c2) + eps)",
        "np.sqrt(v_ / c2 + eps)",
        "eps added under the square root: small gradients take steps smaller than lr",
    ),
    # -- tasks, training, sampling
    Mutant(
        "copy_mask_off_by_one", TASKS,
        "    mask[:, n_tokens:] = True\n",
        "    mask[:, n_tokens + 1:] = True\n",
        "the copy task's mask skips the first copied token (the one predicted at the separator)",
    ),
    Mutant(
        "held_out_positions_rescored_with_less_context", TASKS,
        "            i = first[lo + w]\n",
        "            i = 0\n",
        "held-out evaluation keeps every prediction of every window: a later window's guess, made with less "
        "context, replaces the earlier one",
    ),
    Mutant(
        "grad_norm_logged_after_clipping", TRAIN,
        "        grads, norm = clip_by_global_norm(grads, max_norm)\n",
        "        grads, _ = clip_by_global_norm(grads, max_norm)\n        norm = global_norm(grads)\n",
        "the logged gradient norm is measured after clipping, so it never shows an exploding gradient",
    ),
    Mutant(
        "sampling_feeds_the_whole_history", TRAIN,
        "        window = np.array(ids[-config[\"context\"]:], dtype=np.int64)[None, :]\n",
        "        window = np.array(ids, dtype=np.int64)[None, :]\n",
        "sampling feeds the model the whole text so far instead of its last context tokens",
    ),
    Mutant(
        "checkpoint_drops_the_adam_state", TRAIN,
        "        entries[\"adam.t\"] = np.array(int(state[\"t\"]))\n",
        "        pass\n",
        "the checkpoint saves Adam's moments but not its step count, so it cannot be resumed",
    ),
    # -- issue 15: documented arguments varied, resumed states, exact short runs, stability, refusals
    Mutant(
        "adam_bias_correction_frozen_at_step_one", ADAM,
        "    c1, c2 = 1.0 - beta1**t, 1.0 - beta2**t\n",
        "    c1, c2 = 1.0 - beta1, 1.0 - beta2\n",
        "bias correction with beta^1 whatever the step: right on a fresh state, wrong once training resumes",
    ),
    Mutant(
        "adam_ignores_its_eps", ADAM,
        "(np.sqrt(v_ / c2) + eps)",
        "(np.sqrt(v_ / c2) + 1e-8)",
        "the eps argument is accepted but the default 1e-8 is always used",
    ),
    Mutant(
        "adam_ignores_its_betas", ADAM,
        "    m = tree_map(lambda m_, g: beta1 * m_ + (1.0 - beta1) * g, state[\"m\"], grads)\n",
        "    m = tree_map(lambda m_, g: 0.9 * m_ + (1.0 - 0.9) * g, state[\"m\"], grads)\n",
        "the first moment always decays with 0.9, whatever beta1 says",
    ),
    Mutant(
        "adam_refuses_a_beta_of_zero", ADAM,
        "        if not 0 <= beta < 1:\n",
        "        if not 0 < beta < 1:\n",
        "beta = 0 (no averaging, allowed by [0, 1)) is refused",
    ),
    Mutant(
        "clip_scales_short_gradients_up", ADAM,
        "    factor = max_norm / norm if norm > max_norm else 1.0\n",
        "    factor = max_norm / norm if norm > 0 else 1.0\n",
        "every gradient is rescaled to length max_norm, the short ones stretched up",
    ),
    Mutant(
        "train_step_clips_even_when_told_not_to", TRAIN,
        "    if max_norm is None:\n"
        "        norm = global_norm(grads)\n",
        "    if max_norm is None:\n"
        "        grads, norm = clip_by_global_norm(grads, 1.0)\n",
        "max_norm=None still clips at 1",
    ),
    Mutant(
        "train_restarts_adam_when_resuming", TRAIN,
        "    if state is None:\n"
        "        state = init_adam(params)\n",
        "    state = init_adam(params)\n",
        "a given Adam state is thrown away: resumed training restarts its moments",
    ),
    Mutant(
        "train_forgets_max_norm", TRAIN,
        "        params, state, loss, norm = train_step(params, state, ids, config, rate, mask, max_norm)\n",
        "        params, state, loss, norm = train_step(params, state, ids, config, rate, mask)\n",
        "train always clips at the default 1.0, whatever max_norm it was given",
    ),
    Mutant(
        "sample_multiplies_by_the_temperature", TRAIN,
        "        z = last / temperature\n",
        "        z = last * temperature\n",
        "the logits are multiplied by the temperature instead of divided",
    ),
    Mutant(
        "sample_without_the_max_shift", TRAIN,
        "        p = np.exp(z - z.max())\n",
        "        p = np.exp(z)\n",
        "softmax of the sampler without subtracting the maximum: confident models overflow",
    ),
    Mutant(
        "sample_accepts_ids_outside_the_vocabulary", TRAIN,
        "    check_ids(prompt[None, :], config[\"vocab_size\"], \"prompt\")\n",
        "",
        "the prompt's ids are not checked: a prompt with an id >= V and length 0 comes back as it is",
    ),
    Mutant(
        "cross_entropy_accepts_any_mask", MODEL,
        "    if mask.dtype != np.bool_ or mask.shape != (b, t):\n",
        "    mask = mask.astype(bool)\n"
        "    if mask.shape != (b, t):\n",
        "a float or integer mask is silently converted instead of refused",
    ),
    Mutant(
        "output_init_std_squared", MODEL,
        "        params[\"w_out\"] = np.random.default_rng(out_seed).normal(0.0, OUT_INIT_STD, size=(d, v))\n",
        "        params[\"w_out\"] = np.random.default_rng(out_seed).normal(0.0, OUT_INIT_STD**2, size=(d, v))\n",
        "w_out drawn with variance 0.02 passed as the standard deviation's square: far too small",
    ),
    Mutant(
        "checkpoint_v_saved_as_m", TRAIN,
        "        entries.update({f\"adam.v.{k}\": v for k, v in flatten(state[\"v\"]).items()})\n",
        "        entries.update({f\"adam.v.{k}\": v for k, v in flatten(state[\"m\"]).items()})\n",
        "the checkpoint stores the first moment twice and loses the second",
    ),
]
