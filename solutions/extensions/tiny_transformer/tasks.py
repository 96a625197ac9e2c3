"""Exercises A.6-A.7: what the model learns from, and how it is measured.

**Copy.** A sequence of n random tokens, a separator, and the same n tokens again:

    x_1 ... x_n  SEP  x_1 ... x_n          (2n + 1 tokens; SEP = 0, x_i drawn from 1 .. V-1)

The first half is noise: nothing can predict it. The second half is fully determined: the token
to predict is always the one n positions back, so a model that has learned to attend there gets
every one right. Only the second half is scored (the mask), and the task is solved at 100 % token
accuracy. It needs attention to a *position*, and nothing else in the model can do that.

**Corpora.** The texts of the counting-models extension (``language_models.corpus``), with the
same training / held-out split and the same character vocabulary as its bigram model (id 0 is
``<unk>``, then the training text's characters in sorted order), so the held-out cross-entropies
compare directly. Besides the first-order chain of that extension, :func:`markov2_corpus` gives a
*second-order* chain: the next symbol depends on the last two, so a bigram model cannot reach its
entropy rate, and a model that looks further back can.
"""

from __future__ import annotations

import numpy as np

from phase0_math.arrays import shape_str
from tiny_transformer.model import check_config, check_ids, model_forward

SEP = 0
UNK = "<unk>"
CORPORA = ("synthetic", "markov2", "pydoc")


# -- A.6 batches ----------------------------------------------------------------------------------


def copy_batch(batch_size: int, n_tokens: int, vocab_size: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A batch of the copy task.

    -> (ids: (batch_size, 2 n + 1) int64, mask: (batch_size, 2 n) bool). Row b is
    x_1 .. x_n, SEP (= 0), x_1 .. x_n with the x drawn uniformly from 1 .. vocab_size - 1 by
    ``np.random.default_rng(seed).integers(1, vocab_size, size=(batch_size, n_tokens))``.
    mask[b, t] is True where the *target* ids[b, t + 1] is a copied token: t >= n.
    Raises ValueError unless batch_size, n_tokens >= 1 and vocab_size >= 3.
    """
    ### BEGIN SOLUTION
    for name, value in (("batch_size", batch_size), ("n_tokens", n_tokens)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{name}: expected a positive integer, got {value!r}")
    if isinstance(vocab_size, bool) or not isinstance(vocab_size, (int, np.integer)) or vocab_size < 3:
        raise ValueError(f"vocab_size: expected an integer >= 3 (a separator and two tokens), got {vocab_size!r}")
    x = np.random.default_rng(seed).integers(1, vocab_size, size=(batch_size, n_tokens))
    sep = np.full((batch_size, 1), SEP)
    ids = np.concatenate([x, sep, x], axis=1).astype(np.int64)  # (B, 2n + 1)
    mask = np.zeros((batch_size, 2 * n_tokens), dtype=bool)
    mask[:, n_tokens:] = True
    return ids, mask
    ### END SOLUTION


def corpus_batch(ids: np.ndarray, batch_size: int, seq_len: int, seed: int) -> np.ndarray:
    """Random windows of a long text: (batch_size, seq_len + 1) int64.

    ids: (N,) the text's token ids. Draw the starts with
    ``np.random.default_rng(seed).integers(0, N - seq_len, size=batch_size)``; row b is
    ids[start_b : start_b + seq_len + 1], the model's input and, shifted by one, its targets.
    Raises ValueError when ids is not a 1-d integer array, seq_len < 1, or the text is shorter
    than seq_len + 1 tokens.
    """
    ### BEGIN SOLUTION
    ids = np.asarray(ids)
    if ids.ndim != 1 or ids.dtype.kind not in "iu":
        raise ValueError(f"ids: expected a 1-d array of token ids, got dtype {ids.dtype} and "
                         f"shape {shape_str(ids.shape)}")
    if isinstance(seq_len, bool) or not isinstance(seq_len, (int, np.integer)) or seq_len < 1:
        raise ValueError(f"seq_len: expected a positive integer, got {seq_len!r}")
    if ids.size < seq_len + 1:
        raise ValueError(f"ids: a text of {ids.size} tokens is too short for windows of {seq_len + 1}")
    starts = np.random.default_rng(seed).integers(0, ids.size - seq_len, size=batch_size)
    return ids[starts[:, None] + np.arange(seq_len + 1)[None, :]].astype(np.int64)
    ### END SOLUTION


def make_batch(task: dict, batch_size: int, seq_len: int, seed: int) -> tuple[np.ndarray, np.ndarray | None]:
    """Given: one training batch of a task -> (ids: (B, T + 1), mask: (B, T) or None).

    task: {"kind": "copy", "n_tokens": n, "vocab_size": V} (seq_len is ignored: T = 2 n) or
    {"kind": "corpus", "ids": (N,) training ids} (windows of seq_len + 1 tokens).
    """
    if task["kind"] == "copy":
        return copy_batch(batch_size, int(task["n_tokens"]), int(task["vocab_size"]), seed)
    if task["kind"] == "corpus":
        return corpus_batch(task["ids"], batch_size, seq_len, seed), None
    raise ValueError(f"task kind: expected 'copy' or 'corpus', got {task['kind']!r}")


# -- A.7 measuring --------------------------------------------------------------------------------


def copy_accuracy(params: dict, config: dict, n_tokens: int, batch_size: int, seed: int) -> float:
    """The fraction of copied tokens the model gets right, on a fresh batch ``copy_batch(batch_size,
    n_tokens, config["vocab_size"], seed)``: at every masked position, is the argmax of the logits
    the target? -> float in [0, 1]. 1.0 means greedy decoding reproduces every copy exactly.
    Raises ValueError where copy_batch does (n_tokens < 1, batch_size < 1).
    """
    ### BEGIN SOLUTION
    ids, mask = copy_batch(batch_size, n_tokens, check_config(config)["vocab_size"], seed)
    logits, _ = model_forward(ids[:, :-1], params, config)
    right = logits.argmax(axis=-1) == ids[:, 1:]
    return float(right[mask].mean())
    ### END SOLUTION


def evaluation_windows(n: int, context: int) -> tuple[np.ndarray, np.ndarray, int]:
    """Given: how :func:`held_out_cross_entropy` covers a text of n tokens with windows.

    -> (starts: (W,), first: (W,), length). Window w reads ids[starts[w] : starts[w] + length] and
    predicts ids[starts[w] + 1 : starts[w] + length + 1]; of its ``length`` predictions it scores
    those from index first[w] on (the earlier ones were scored by the previous window with more
    context). Every target position 1 .. n-1 is scored exactly once, as in the bigram model's
    cross-entropy, and each with at least length // 2 tokens of context (except the first ones).
    length = min(context, n - 1).
    """
    if n < 2:
        raise ValueError(f"need at least 2 tokens to predict one, got {n}")
    length = min(int(context), n - 1)
    stride = max(1, length // 2)
    starts, first = [0], [0]
    scored_to = length  # targets 1 .. scored_to are done
    while scored_to < n - 1:
        start = min(starts[-1] + stride, n - 1 - length)
        starts.append(start)
        first.append(scored_to - start)  # target position start + 1 + i is new from i = scored_to - start
        scored_to = start + length
    return np.array(starts, dtype=np.int64), np.array(first, dtype=np.int64), length


def held_out_cross_entropy(params: dict, config: dict, ids: np.ndarray, batch_size: int = 256,
                           per_position: bool = False):
    """Mean -log p(next token) in nats over every target position 1 .. N-1 of a text.

    ids: (N,) token ids, N >= 2 -> float; with per_position=True the (N - 1,) array of the
    -log p themselves instead, entry t - 1 for the token at position t (its mean is the float).
    Use :func:`evaluation_windows` (N, config["context"]): run the model on the windows
    (``batch_size`` windows per forward call, to bound memory), take log-softmax of the logits,
    and keep -log p(target) of each window's scored predictions only. Comparable with the bigram
    model's cross_entropy on the same ids, which scores the same N - 1 positions.
    Raises ValueError for N < 2 and for ids that are not integers in [0, V).
    """
    ### BEGIN SOLUTION
    config = check_config(config)
    ids = check_ids(np.asarray(ids)[None, :], config["vocab_size"])[0]
    starts, first, length = evaluation_windows(ids.size, config["context"])
    offsets = np.arange(length + 1)
    nll = np.full(ids.size - 1, np.nan)
    for lo in range(0, starts.size, batch_size):
        chunk = starts[lo:lo + batch_size]
        windows = ids[chunk[:, None] + offsets[None, :]]  # (W, length + 1)
        logits, _ = model_forward(windows[:, :-1], params, config)  # (W, length, V)
        shifted = logits - logits.max(axis=-1, keepdims=True)
        logp = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
        picked = np.take_along_axis(logp, windows[:, 1:, None], axis=-1)[..., 0]  # (W, length)
        for w, start in enumerate(chunk):
            i = first[lo + w]
            nll[start + i:start + length] = -picked[w, i:]  # target position start + 1 + i -> entry start + i
    return nll if per_position else float(nll.mean())
    ### END SOLUTION


# -- the corpora (given) --------------------------------------------------------------------------


def char_vocab(train: str) -> list[str]:
    """Given: the bigram model's character vocabulary: ``<unk>``, then the training text's distinct
    characters in sorted order (what ``build_vocab(char_tokens(train))`` gives)."""
    return [UNK] + sorted(set(train))


def encode_chars(text: str, vocab: list[str]) -> np.ndarray:
    """Given: characters -> ids (N,) int64, a character not in vocab becoming 0 (``<unk>``)."""
    index = {c: i for i, c in enumerate(vocab)}
    return np.array([index.get(c, 0) for c in text], dtype=np.int64)


def markov2_chain(n_symbols: int, seed: int, concentration: float = 0.3) -> np.ndarray:
    """Given: a second-order chain, P[a, b, c] = P(next = c | the last two were a, b).

    -> (n_symbols, n_symbols, n_symbols), every row P[a, b] a distribution drawn from a symmetric
    Dirichlet(concentration), floored at 1e-12 so every symbol can follow every pair.
    """
    rng = np.random.default_rng(seed)
    p = rng.dirichlet(np.full(n_symbols, float(concentration)), size=(n_symbols, n_symbols))
    p = np.maximum(p, 1e-12)
    return p / p.sum(axis=-1, keepdims=True)


def pair_chain(p2: np.ndarray) -> np.ndarray:
    """Given: the second-order chain as a first-order chain over pairs: (V^2, V^2), state a V + b.

    From state (a, b) the chain moves to (b, c) with probability P[a, b, c]; its entropy rate is
    the second-order chain's, so the counting extension's ``entropy_rate`` applies to it.
    """
    v = p2.shape[0]
    big = np.zeros((v * v, v * v))
    for a in range(v):
        for b in range(v):
            big[a * v + b, b * v + np.arange(v)] = p2[a, b]
    return big


def sample_markov2(p2: np.ndarray, length: int, seed: int) -> np.ndarray:
    """Given: ``length`` symbol ids (int64) of the second-order chain, the first pair drawn from the
    pair chain's stationary distribution (so the text is stationary from its start)."""
    from language_models.corpus import stationary_distribution

    v = p2.shape[0]
    rng = np.random.default_rng(seed)
    pi = stationary_distribution(pair_chain(p2))
    first = int(min(np.searchsorted(np.cumsum(pi), rng.random(), side="right"), v * v - 1))
    out = np.empty(length, dtype=np.int64)
    out[:2] = divmod(first, v)
    cumulative = np.cumsum(p2, axis=-1)
    cumulative[..., -1] = 1.0
    uniforms = rng.random(length)
    for t in range(2, length):
        out[t] = np.searchsorted(cumulative[out[t - 2], out[t - 1]], uniforms[t], side="right")
    return out


def markov2_corpus(
    n_symbols: int = 8, train_length: int = 50_000, held_out_length: int = 20_000, seed: int = 0,
    concentration: float = 0.3,
) -> tuple[str, str, np.ndarray]:
    """Given: (train, held_out, P) as for ``language_models.corpus.synthetic_corpus``, from the
    second-order chain ``markov2_chain(n_symbols, seed, concentration)``; texts sampled with seeds
    seed + 1 and seed + 2, written with the symbols a, b, c, ..."""
    from language_models.corpus import SYMBOLS

    p2 = markov2_chain(n_symbols, seed, concentration)
    train = "".join(SYMBOLS[i] for i in sample_markov2(p2, train_length, seed + 1))
    held_out = "".join(SYMBOLS[i] for i in sample_markov2(p2, held_out_length, seed + 2))
    return train, held_out, p2


def load_corpus(name: str) -> dict:
    """Given: one corpus as ids on the counting models' split.

    name: "synthetic" (the counting extension's first-order chain, 8 symbols, seed 0),
    "markov2" (:func:`markov2_corpus`) or "pydoc" (Python's documentation prose) ->
    {"name", "train": (N,) int64, "held_out": (M,) int64, "vocab": list of str,
     "chain": the transition array (None for pydoc), "order": 1, 2 or None}.
    """
    from language_models import corpus

    if name == "synthetic":
        train, held_out, chain = corpus.synthetic_corpus()
        order = 1
    elif name == "markov2":
        train, held_out, chain = markov2_corpus()
        order = 2
    elif name == "pydoc":
        train, held_out = corpus.pydoc_corpus()
        chain, order = None, None
    else:
        raise ValueError(f"corpus: expected one of {', '.join(CORPORA)}, got {name!r}")
    vocab = char_vocab(train)
    return {"name": name, "train": encode_chars(train, vocab), "held_out": encode_chars(held_out, vocab),
            "vocab": vocab, "chain": chain, "order": order}
