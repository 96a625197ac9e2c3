"""phase2_attention/README.md's common mistakes as mutants the public tests must catch."""

from grader.selftest.public_mistakes import graded

MUTANTS = graded(
    "attention_without_scaling",
    "attention_scaled_by_d_k",
    "softmax_over_the_query_axis",
    "mask_applied_after_softmax",
    "mask_filled_with_zero_instead_of_minus_inf",
    "fully_masked_row_gives_nan",
    "causal_mask_upper_triangle",
    "padding_mask_off_by_one",
    "softmax_backward_without_the_row_sum",
    "q_and_k_roles_swapped_in_backward",
    "backward_without_the_scale",
    "split_heads_by_a_reshape_that_mixes_positions",
    "projection_bias_gradient_not_summed_over_batch_and_time",
    "weight_gradient_transposed",
    "dx_kv_misses_the_value_path",
    "gradcheck_self_attention_one_role_only",
)

from grader.selftest.mutants import Mutant  # noqa: E402

MUTANTS += [
    Mutant(
        "causal_mask_leaves_out_the_diagonal", "phase2_attention/mask.py",
        "    return np.tril(np.ones((int(t), int(t)), dtype=bool))\n",
        "    return np.tril(np.ones((int(t), int(t)), dtype=bool), k=-1)\n",
        "the causal mask hides the diagonal: the first position sees nothing",
    ),
    Mutant(
        "merge_heads_without_the_transpose_back", "phase2_attention/multi_head.py",
        "    return x.transpose(0, 2, 1, 3).reshape(b, t, h * d_head)\n",
        "    return x.reshape(b, t, h * d_head)\n",
        "heads merged by a bare reshape, without moving the head axis back behind time",
    ),
    Mutant(
        "attention_softmax_backward_summed_over_the_wrong_axis", "phase2_attention/attention.py",
        "np.sum(dweights * weights, axis=-1, keepdims=True)",
        "np.sum(dweights * weights, axis=-2, keepdims=True)",
        "the softmax backward's row sum taken over the queries instead of the keys",
    ),
]
