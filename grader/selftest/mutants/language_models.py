"""Wrong implementations of the language-models extension that the hidden tests must catch."""

from grader.selftest.mutants import Mutant


BIGRAM = "extensions/language_models/bigram.py"
BPE = "extensions/language_models/bpe.py"
NGRAM = "extensions/language_models/ngram.py"
CORPUS = "extensions/language_models/corpus.py"

MUTANTS = [
    Mutant(
        "add_k_in_the_numerator_only", BIGRAM,
        "    return (counts + k) / (counts.sum(axis=1, keepdims=True) + k * v)\n",
        "    return (counts + k) / np.maximum(counts.sum(axis=1, keepdims=True), 1.0)\n",
        "add-k smoothing adds k to each count but not k V to the row total, so rows no longer sum to 1",
    ),
    Mutant(
        "counts_normalised_over_the_wrong_axis", BIGRAM,
        "    return (counts + k) / (counts.sum(axis=1, keepdims=True) + k * v)\n",
        "    return (counts + k) / (counts.sum(axis=0, keepdims=True) + k * v)\n",
        "probabilities normalised per column (next token) instead of per row (previous token)",
    ),
    Mutant(
        "count_table_transposed", BIGRAM,
        "    np.add.at(counts, (ids[:-1], ids[1:]), 1)\n",
        "    np.add.at(counts, (ids[1:], ids[:-1]), 1)\n",
        "the count table has the next token as its row",
    ),
    Mutant(
        "sampling_ignores_the_seed", BIGRAM,
        "    rng = np.random.default_rng(seed)\n    cumulative = np.cumsum(probs, axis=1)\n",
        "    rng = np.random.default_rng()\n    cumulative = np.cumsum(probs, axis=1)\n",
        "sampling draws from a fresh unseeded generator: the same seed gives a different text",
    ),
    Mutant(
        "sampling_from_the_column_of_the_previous_token", BIGRAM,
        "        ids[t] = np.searchsorted(cumulative[ids[t - 1]], uniforms[t - 1], side=\"right\")\n",
        "        ids[t] = np.searchsorted(np.cumsum(probs[:, ids[t - 1]] / probs[:, ids[t - 1]].sum()), "
        "uniforms[t - 1], side=\"right\")\n",
        "the next token is drawn from a column of the table instead of the row of the previous token",
    ),
    Mutant(
        "perplexity_as_exp_of_the_sum", BIGRAM,
        "    return float(np.exp(cross_entropy(probs, ids)))\n",
        "    return float(np.exp(cross_entropy(probs, ids) * (len(ids) - 1)))\n",
        "perplexity is exp of the total negative log-likelihood instead of its mean per token",
    ),
    Mutant(
        "cross_entropy_scores_a_wrapped_first_token", BIGRAM,
        "        return float(-np.mean(np.log(probs[ids[:-1], ids[1:]])))\n",
        "        return float(-np.mean(np.log(probs[np.roll(ids, 1), ids])))\n",
        "the first token is scored as if it followed the last one",
    ),
    Mutant(
        "logit_gradient_assigned_not_accumulated", BIGRAM,
        "    np.add.at(dlogits, prev_ids, drows / n)\n",
        "    dlogits[prev_ids] = drows / n\n",
        "fancy-index assignment keeps only the last contribution of a row used several times",
    ),
    Mutant(
        "unknown_tokens_get_the_last_id", BIGRAM,
        "    return np.array([index.get(token, 0) for token in tokens], dtype=np.int64)\n",
        "    return np.array([index.get(token, len(vocab) - 1) for token in tokens], dtype=np.int64)\n",
        "an unknown token is mapped to the last token of the vocabulary instead of <unk>",
    ),
    Mutant(
        "bpe_merges_the_least_frequent_pair", BPE,
        "    best = int(np.argmax(counts))",
        "    best = int(np.argmin(counts))",
        "BPE merges the rarest pair instead of the most frequent",
    ),
    Mutant(
        "bpe_ties_go_to_the_largest_pair", BPE,
        "    best = int(np.argmax(counts))",
        "    best = len(counts) - 1 - int(np.argmax(counts[::-1]))",
        "ties between equally frequent pairs go to the last pair instead of the smallest",
    ),
    Mutant(
        "bpe_ties_broken_at_random", BPE,
        "    best = int(np.argmax(counts))",
        "    best = int(np.random.default_rng().choice(np.flatnonzero(counts == counts.max())))",
        "ties between equally frequent pairs are broken at random, so training is not reproducible",
    ),
    Mutant(
        "bpe_merges_overlapping_occurrences", BPE,
        "        if i > last + 1:\n",
        "        if True:\n",
        "merging (7, 7) in 7 7 7 replaces two overlapping occurrences",
    ),
    Mutant(
        "bpe_encode_drops_the_last_merge", BPE,
        "    for i, (left, right) in enumerate(merges):\n        if ids.size < 2:\n",
        "    for i, (left, right) in enumerate(merges[:-1]):\n        if ids.size < 2:\n",
        "encoding forgets the last learned merge",
    ),
    Mutant(
        "bpe_decode_drops_merged_tokens", BPE,
        "    return \"\".join(vocab[i] for i in ids)\n",
        "    return \"\".join(vocab[i][0] for i in ids)\n",
        "decoding writes only the first character of every merged token",
    ),
    Mutant(
        "ngram_unseen_context_is_not_normalised", NGRAM,
        "    return (row + k) / (row.sum() + k * v)\n",
        "    return (row + k) / (row.sum() + k)\n",
        "the add-k denominator adds k once instead of k V, so the distribution does not sum to 1",
    ),
    Mutant(
        "ngram_context_shifted_by_one", NGRAM,
        "        gram = tuple(seq[t - n + 1 : t + 1])\n",
        "        gram = tuple(seq[max(t - n, 0) : t]) if t >= n else tuple(seq[t - n + 1 : t + 1])\n",
        "the n-gram scored at position t ends one token too early",
    ),
    Mutant(
        "entropy_rate_with_uniform_row_weights", CORPUS,
        "    return float(-np.sum(pi[:, None] * plogp) / np.log(base))\n",
        "    return float(-np.mean(np.sum(plogp, axis=1)) / np.log(base))\n",
        "the entropy rate averages the rows' entropies uniformly instead of by the stationary distribution",
    ),
]

# Reviewer-style wrong implementations (issue 15): each is caught by the differential contracts of
# extensions/language_models/tests/hidden (drawn texts and ids, every documented argument,
# refusals) or by the sampling tests at probabilities that are not certain, most of them by
# nothing else.
MUTANTS += [
    Mutant(
        "char_tokens_drop_newlines", BIGRAM,
        "    return list(text)\n",
        "    return re.findall(\".\", text)\n",
        "a regular expression's '.' does not match a newline: char_tokens loses every line break",
    ),
    Mutant(
        "word_tokens_keep_runs_of_punctuation_together", BIGRAM,
        "    return re.findall(r\"[a-z0-9_]+(?:'[a-z]+)?|[^\\sa-z0-9_]\", text.lower())\n",
        "    return re.findall(r\"[a-z0-9_]+(?:'[a-z]+)?|[^\\sa-z0-9_]+\", text.lower())\n",
        "'),' stays one token instead of two punctuation marks",
    ),
    Mutant(
        "build_vocab_sorted_ignoring_case", BIGRAM,
        "    return [UNK] + sorted(t for t, c in counts.items() if c >= min_count and t != UNK)\n",
        "    return [UNK] + sorted((t for t, c in counts.items() if c >= min_count and t != UNK), key=str.lower)\n",
        "the vocabulary is sorted case-insensitively, not in Python's sorted order",
    ),
    Mutant(
        "encode_of_no_tokens_is_a_float_array", BIGRAM,
        "    return np.array([index.get(token, 0) for token in tokens], dtype=np.int64)\n",
        "    return np.array([index.get(token, 0) for token in tokens])\n",
        "np.array of an empty list is float64: encode([]) is not an integer array",
    ),
    Mutant(
        "decode_wraps_negative_ids", BIGRAM,
        "    ids = _as_ids(ids, \"ids\", len(vocab))\n    return [vocab[i] for i in ids]\n",
        "    ids = np.asarray(ids)\n    if ids.size and ids.max() >= len(vocab):\n"
        "        raise ValueError(\"ids: out of range\")\n    return [vocab[i] for i in ids]\n",
        "decode checks only the upper end: id -1 silently decodes as the last token",
    ),
    Mutant(
        "bigram_probs_accept_negative_counts", BIGRAM,
        "    if np.any(counts < 0):\n        raise ValueError(\"counts: every count must be >= 0\")\n",
        "",
        "a table with negative counts is smoothed instead of refused",
    ),
    Mutant(
        "sample_accepts_a_negative_start", BIGRAM,
        "    if not isinstance(start, (int, np.integer)) or not 0 <= start < v:\n",
        "    if not isinstance(start, (int, np.integer)) or not start < v:\n",
        "start -1 is accepted and the next id is drawn from the last row",
    ),
    Mutant(
        "cross_entropy_clips_zero_probabilities", BIGRAM,
        "        return float(-np.mean(np.log(probs[ids[:-1], ids[1:]])))\n",
        "        return float(-np.mean(np.log(np.maximum(probs[ids[:-1], ids[1:]], 1e-12))))\n",
        "a pair of probability 0 costs 27.6 nats instead of an infinite loss",
    ),
    Mutant(
        "logit_bigram_loss_accepts_no_ids", BIGRAM,
        "    prev_ids = _as_ids(prev_ids, \"prev_ids\", v, min_length=1)\n"
        "    next_ids = _as_ids(next_ids, \"next_ids\", v, min_length=1)\n",
        "    prev_ids = _as_ids(prev_ids, \"prev_ids\", v)\n    next_ids = _as_ids(next_ids, \"next_ids\", v)\n",
        "no ids give a NaN loss instead of a ValueError",
    ),
    Mutant(
        "fit_logit_bigram_takes_one_step_too_few", BIGRAM,
        "        if step < steps:\n            logits = logits - lr * dlogits\n",
        "        if step < steps - 1:\n            logits = logits - lr * dlogits\n",
        "the history has steps + 1 losses but the logits got steps - 1 updates",
    ),
    Mutant(
        "fit_logit_bigram_ignores_lr", BIGRAM,
        "            logits = logits - lr * dlogits\n",
        "            logits = logits - 5.0 * dlogits\n",
        "gradient descent always steps with the default learning rate 5",
    ),
    Mutant(
        "most_frequent_pair_without_input_checks", BPE,
        "    ids = _as_ids(ids)\n    if ids.size < 2:\n        raise ValueError(f\"ids: a pair needs",
        "    ids = np.asarray(ids)\n    if ids.size < 2:\n        raise ValueError(f\"ids: a pair needs",
        "no conversion to int64: uint8 ids overflow in the pair codes; negative and float ids are not refused",
    ),
    Mutant(
        "bpe_decode_wraps_negative_ids", BPE,
        "    ids = _as_ids(ids)\n    if ids.size and ids.max() >= len(vocab):\n",
        "    ids = np.asarray(ids)\n    if ids.size and ids.max() >= len(vocab):\n",
        "bpe_decode checks only the upper end: id -1 decodes as the last merged token",
    ),
    Mutant(
        "ngram_sample_draws_from_raw_counts", NGRAM,
        "        probs = (row + k) / (context.get(h, 0) + k * v)\n",
        "        probs = row if row.sum() > 0 else np.ones(v)\n",
        "sampling ignores the add-k smoothing the model's probabilities use",
    ),
]
