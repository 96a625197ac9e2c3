"""Correct, differently written implementations of the language-models extension: each must score
full marks."""

from grader.selftest.alternatives import Alternative

BIGRAM = "extensions/language_models/bigram.py"
BPE = "extensions/language_models/bpe.py"
NGRAM = "extensions/language_models/ngram.py"
CORPUS = "extensions/language_models/corpus.py"

ALTERNATIVES = [
    Alternative(
        "word_tokens_with_backslash_w", BIGRAM,
        "    return re.findall(r\"[a-z0-9_]+(?:'[a-z]+)?|[^\\sa-z0-9_]\", text.lower())\n",
        "    return [m.group() for m in re.finditer(r\"\\w+(?:'[a-z]+)?|[^\\s\\w]\", text.lower(), re.ASCII)]\n",
        "\\w with re.ASCII and finditer instead of explicit character classes and findall",
    ),
    Alternative(
        "bigram_counts_with_bincount", BIGRAM,
        "    counts = np.zeros((vocab_size, vocab_size), dtype=np.int64)\n"
        "    np.add.at(counts, (ids[:-1], ids[1:]), 1)\n    return counts\n",
        "    codes = ids[:-1] * vocab_size + ids[1:]\n"
        "    return np.bincount(codes, minlength=vocab_size * vocab_size).reshape(vocab_size, vocab_size)"
        ".astype(np.int64)\n",
        "one bincount over pair codes instead of np.add.at",
    ),
    Alternative(
        "bigram_probs_normalising_the_smoothed_counts", BIGRAM,
        "    return (counts + k) / (counts.sum(axis=1, keepdims=True) + k * v)\n",
        "    smoothed = counts + k\n    return smoothed / smoothed.sum(axis=1, keepdims=True)\n",
        "divide the smoothed counts by their own row sums (the same k V in the denominator)",
    ),
    Alternative(
        "sample_with_rng_choice", BIGRAM,
        "    cumulative = np.cumsum(probs, axis=1)\n"
        "    cumulative[:, -1] = 1.0  # guard against round-off: the last bucket ends exactly at 1\n"
        "    uniforms = rng.random(length - 1)\n    ids = np.empty(length, dtype=np.int64)\n    ids[0] = start\n"
        "    for t in range(1, length):\n"
        "        ids[t] = np.searchsorted(cumulative[ids[t - 1]], uniforms[t - 1], side=\"right\")\n",
        "    ids = np.empty(length, dtype=np.int64)\n    ids[0] = start\n    for t in range(1, length):\n"
        "        row = probs[ids[t - 1]]\n        ids[t] = rng.choice(v, p=row / row.sum())\n",
        "rng.choice per step, which the docstring accepts: other draws than the reference's",
    ),
    Alternative(
        "cross_entropy_as_a_sum_over_pairs", BIGRAM,
        "        return float(-np.mean(np.log(probs[ids[:-1], ids[1:]])))\n",
        "        return float(-np.sum(np.log(probs[ids[:-1], ids[1:]])) / (ids.size - 1))\n",
        "a sum divided by N - 1 instead of a mean",
    ),
    Alternative(
        "logit_bigram_gradient_with_one_hot_matrices", BIGRAM,
        "    dlogits = np.zeros_like(logits)\n    np.add.at(dlogits, prev_ids, drows / n)\n",
        "    dlogits = np.eye(v)[prev_ids].T @ (drows / n)\n",
        "a one-hot matrix product scatters the rows' gradients instead of np.add.at",
    ),
    Alternative(
        "most_frequent_pair_with_a_counter", BPE,
        "    base = int(ids.max()) + 1\n"
        "    codes = ids[:-1] * base + ids[1:]  # one integer per adjacent pair, ordered like (left, right)\n"
        "    pairs, counts = np.unique(codes, return_counts=True)  # pairs sorted ascending\n"
        "    best = int(np.argmax(counts))  # argmax returns the first maximum: the smallest tied pair\n"
        "    return int(pairs[best] // base), int(pairs[best] % base), int(counts[best])\n",
        "    from collections import Counter\n\n"
        "    counted = Counter(zip(ids[:-1].tolist(), ids[1:].tolist()))\n    top = max(counted.values())\n"
        "    left, right = min(pair for pair, count in counted.items() if count == top)\n"
        "    return left, right, top\n",
        "a Counter of tuples, the smallest of the most frequent pairs by min()",
    ),
    Alternative(
        "merge_pair_with_a_while_loop", BPE,
        "    candidates = np.flatnonzero((ids[:-1] == left) & (ids[1:] == right))\n"
        "    chosen = []\n    last = -2\n"
        "    for i in candidates:  # skip a candidate that overlaps the one just taken\n"
        "        if i > last + 1:\n            chosen.append(i)\n            last = i\n"
        "    chosen = np.array(chosen, dtype=np.int64)\n    out = ids.copy()\n"
        "    keep = np.ones(ids.size, dtype=bool)\n    out[chosen] = new_id\n    keep[chosen + 1] = False\n"
        "    return out[keep]\n",
        "    out, i, seq = [], 0, ids.tolist()\n    while i < len(seq):\n"
        "        if i + 1 < len(seq) and seq[i] == left and seq[i + 1] == right:\n"
        "            out.append(new_id)\n            i += 2\n        else:\n            out.append(seq[i])\n"
        "            i += 1\n    return np.array(out, dtype=np.int64)\n",
        "the classic left-to-right while loop over a list",
    ),
    Alternative(
        "ngram_sample_with_multinomial_draws", NGRAM,
        "        out.append(int(rng.choice(v, p=probs / probs.sum())))\n",
        "        out.append(int(np.argmax(rng.multinomial(1, probs / probs.sum()))))\n",
        "a one-draw multinomial per step, which the docstring accepts: other draws than rng.choice",
    ),
    Alternative(
        "entropy_rate_with_nansum", CORPUS,
        "    with np.errstate(divide=\"ignore\", invalid=\"ignore\"):\n"
        "        plogp = np.where(transition > 0, transition * np.log(transition), 0.0)\n"
        "    return float(-np.sum(pi[:, None] * plogp) / np.log(base))\n",
        "    with np.errstate(divide=\"ignore\", invalid=\"ignore\"):\n"
        "        return float(-np.nansum(pi[:, None] * transition * np.log(transition)) / np.log(base))\n",
        "0 log 0 left as NaN (0 times -inf) and dropped by nansum",
    ),
]
