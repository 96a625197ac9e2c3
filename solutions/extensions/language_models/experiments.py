"""The results table of the reading guide, measured on your own code (given: nothing to write here).

From the repository root, once every exercise passes:

    PYTHONPATH=.:extensions .venv/bin/python -m language_models.experiments

(``PYTHONPATH=solutions:solutions/extensions`` runs the reference instead). It prints, for the
synthetic corpus and for the pydoc prose, each model's held-out cross-entropy per token and per
character, next to the synthetic corpus's entropy rate, and a few samples. Each model's add-k
constant is chosen on a validation split of the training text; the held-out text is scored once,
with the chosen k. About half a minute.
"""

from __future__ import annotations

import functools
import sys
import time

import numpy as np

from language_models import bigram, bpe, corpus, ngram

# add-k constants are not fixed in advance and never tuned on the held-out text: each model's k is
# the one of K_GRID with the lowest cross-entropy on a validation split (the last VALIDATION_FRACTION
# of the training text, scored by a model counted on the rest); the model is then counted on the whole
# training text with that k and scored once on the held-out text. K_CHAR, K_BPE, K_WORD: the samples.
K_GRID = (0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0)
VALIDATION_FRACTION = 0.1
K_CHAR = 0.1
K_BPE = 0.01
K_WORD = 0.01


def expected_bigram_cross_entropy(transition: np.ndarray, probs: np.ndarray) -> float:
    """The cross-entropy a bigram model ``probs`` (over the chain's symbols) would have on an endless
    held-out text: sum_i pi_i sum_j P_ij (-log Q_ij) = entropy rate + sum_i pi_i KL(P_i || Q_i).
    No sampling noise, so never below the entropy rate."""
    pi = corpus.stationary_distribution(transition)
    return float(-np.sum(pi[:, None] * transition * np.log(probs)))


Row = tuple[str, float, float, float]  # model, nats per token, nats per character, standard error per character


def _row(name: str, log_probs: np.ndarray, chars: int) -> Row:
    """Per-token and per-character cross-entropy of the scored tokens, with the standard error of
    the per-character figure (the held-out text is a sample too: its estimate has noise)."""
    tokens = log_probs.size
    se = float(np.std(log_probs, ddof=1) / np.sqrt(tokens)) * tokens / chars
    return name, float(-log_probs.mean()), float(-log_probs.sum() / chars), se


def split_validation(train: str) -> tuple[str, str]:
    """The training text cut in two: the part that is counted and the validation part that picks k."""
    cut = int(round(len(train) * (1 - VALIDATION_FRACTION)))
    return train[:cut], train[cut:]


def _char_score(train: str, test: str, n: int, k: float) -> tuple[np.ndarray, int, int]:
    vocab = bigram.build_vocab(bigram.char_tokens(train))
    log_probs = ngram.ngram_log_probs(ngram.fit_ngram(bigram.encode(bigram.char_tokens(train), vocab), n, len(vocab), k),
                                      bigram.encode(bigram.char_tokens(test), vocab))
    return log_probs, log_probs.size, len(vocab)


@functools.lru_cache(maxsize=8)
def _bpe(text: str, n_merges: int):
    return bpe.train_bpe(text, n_merges)


def _bpe_score(merges_text: str, train: str, test: str, n_merges: int, n: int, k: float) -> tuple[np.ndarray, int, int]:
    """BPE merges learned on merges_text (always the whole training text: the held-out text is never
    seen), an n-gram over its tokens counted on train and scored on test."""
    vocab, merges = _bpe(merges_text, n_merges)
    test_ids = bpe.bpe_encode(test, vocab, merges)
    model = ngram.fit_ngram(bpe.bpe_encode(train, vocab, merges), n, len(vocab), k)
    return ngram.ngram_log_probs(model, test_ids), sum(len(vocab[i]) for i in test_ids[n - 1 :]), len(vocab)


def _word_score(train: str, test: str, min_count: int, k: float) -> tuple[np.ndarray, int, int, float]:
    vocab = bigram.build_vocab(bigram.word_tokens(train), min_count)
    test_ids = bigram.encode(bigram.word_tokens(test), vocab)
    probs = bigram.bigram_probs(bigram.bigram_counts(bigram.encode(bigram.word_tokens(train), vocab), len(vocab)), k)
    return np.log(probs[test_ids[:-1], test_ids[1:]]), len(test), len(vocab), float(np.mean(test_ids == 0))


def choose_k(score) -> float:
    """The k of K_GRID with the lowest validation cross-entropy per character; score(k) returns
    (log_probs, chars, ...) of a model counted with that k, scored on the validation split."""
    losses = []
    for k in K_GRID:
        log_probs, chars = score(k)[:2]
        losses.append(-log_probs.sum() / chars)
    return K_GRID[int(np.argmin(losses))]


def _char_rows(train: str, held_out: str, n_merges_list: tuple[int, ...]) -> list[Row]:
    """The character n-grams and BPE + n-grams of one corpus, each with its k chosen on validation."""
    rows = []
    counted, validation = split_validation(train)
    for n, name in ((1, "character unigram"), (2, "character bigram"), (3, "character trigram")):
        k = choose_k(lambda k: _char_score(counted, validation, n, k))
        log_probs, chars, v = _char_score(train, held_out, n, k)
        rows.append(_row(f"{name} (V={v}, k={k:g})", log_probs, chars))
    for n_merges in n_merges_list:
        for n in (2, 3):
            k = choose_k(lambda k: _bpe_score(train, counted, validation, n_merges, n, k))
            log_probs, chars, v = _bpe_score(train, train, held_out, n_merges, n, k)
            rows.append(_row(f"BPE ({n_merges} merges, V={v}) + {n}-gram (k={k:g})", log_probs, chars))
    return rows


def _table(rows: list[Row], entropy: float | None) -> str:
    lines = ["| model | nats / token | nats / char (± s.e.) | bits / char |" + (" minus entropy rate |" if entropy else ""),
             "| --- | --- | --- | --- |" + (" --- |" if entropy else "")]
    for name, per_token, per_char, se in rows:
        extra = f" {per_char - entropy:+.4f} |" if entropy else ""
        lines.append(f"| {name} | {per_token:.4f} | {per_char:.4f} ± {se:.4f} | {per_char / np.log(2):.3f} |{extra}")
    return "\n".join(lines)


def main() -> None:
    started = time.time()
    print(f"Python {sys.version.split()[0]}, numpy {np.__version__}\n")

    train, held_out, transition = corpus.synthetic_corpus()  # 8 symbols, 50 000 / 20 000, seed 0
    entropy = corpus.entropy_rate(transition)
    counted, validation = split_validation(train)
    k_bigram = choose_k(lambda k: _char_score(counted, validation, 2, k))
    vocab = bigram.build_vocab(bigram.char_tokens(train))
    probs = bigram.bigram_probs(bigram.bigram_counts(bigram.encode(bigram.char_tokens(train), vocab),
                                                     len(vocab)), k_bigram)
    expected = expected_bigram_cross_entropy(transition, probs[1:, 1:] / probs[1:, 1:].sum(axis=1, keepdims=True))
    print(f"## Synthetic corpus: {len(train)} training and {len(held_out)} held-out symbols of an "
          f"8-symbol Markov chain (seed 0)\n")
    print(f"entropy rate: {entropy:.4f} nats = {entropy / np.log(2):.4f} bits per symbol; "
          f"uniform guessing: log 8 = {np.log(8):.4f} nats")
    print(f"character bigram (k={k_bigram:g}), expected cross-entropy on an endless held-out text: {expected:.4f} nats "
          f"({expected - entropy:+.5f} above the entropy rate)\n")
    print(_table(_char_rows(train, held_out, (20, 200)), entropy))

    train, held_out = corpus.pydoc_corpus()
    print(f"\n## pydoc prose: {len(train)} training and {len(held_out)} held-out characters\n")
    rows = _char_rows(train, held_out, (200,))
    counted, validation = split_validation(train)
    for min_count in (1, 2):
        k = choose_k(lambda k: _word_score(counted, validation, min_count, k))
        log_probs, chars, v, unk = _word_score(train, held_out, min_count, k)
        rows.append(_row(f"word bigram (min_count={min_count}, V={v}, {unk:.1%} of held-out words "
                         f"<unk>, k={k:g})", log_probs, chars))
    print(_table(rows, None))

    print("\n## Samples (seed 0)\n")
    cvocab = bigram.build_vocab(bigram.char_tokens(train))
    cprobs = bigram.bigram_probs(bigram.bigram_counts(bigram.encode(bigram.char_tokens(train), cvocab), len(cvocab)),
                                 K_CHAR)
    print("character bigram:", "".join(bigram.decode(bigram.sample(cprobs, cvocab.index("t"), 120, 0), cvocab)))
    words = bigram.word_tokens(train)
    wvocab = bigram.build_vocab(words, 2)
    wprobs = bigram.bigram_probs(bigram.bigram_counts(bigram.encode(words, wvocab), len(wvocab)), K_WORD)
    print("word bigram:     ", " ".join(bigram.decode(bigram.sample(wprobs, wvocab.index("the"), 30, 0), wvocab)))
    merges_vocab, merges = bpe.train_bpe(train, 200)
    model = ngram.fit_ngram(bpe.bpe_encode(train, merges_vocab, merges), 3, len(merges_vocab), K_BPE)
    prompt = bpe.bpe_encode("the value of", merges_vocab, merges)
    print("BPE trigram:     ", bpe.bpe_decode(ngram.ngram_sample(model, prompt, 60, 0), merges_vocab))
    print(f"\n({time.time() - started:.1f} s)")


if __name__ == "__main__":
    main()
