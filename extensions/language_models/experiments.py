"""The results table of the reading guide, measured on your own code (given: nothing to write here).

From the repository root, once every exercise passes:

    PYTHONPATH=.:extensions .venv/bin/python -m language_models.experiments

(``PYTHONPATH=solutions:solutions/extensions`` runs the reference instead). It prints, for the
synthetic corpus and for the pydoc prose, each model's held-out cross-entropy per token and per
character, next to the synthetic corpus's entropy rate, and a few samples. About 10 seconds.
"""

from __future__ import annotations

import sys
import time

import numpy as np

from language_models import bigram, bpe, corpus, ngram

# add-k constants, fixed in advance (not tuned on the held-out text): the larger the vocabulary,
# the smaller k must be, since every context gives k V pseudo-counts to tokens it never saw
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
    se = float(np.std(log_probs) / np.sqrt(tokens)) * tokens / chars
    return name, float(-log_probs.mean()), float(-log_probs.sum() / chars), se


def _char_rows(train: str, held_out: str, n_merges_list: tuple[int, ...]) -> list[Row]:
    """The character n-grams and BPE + n-grams of one corpus."""
    rows = []
    vocab = bigram.build_vocab(bigram.char_tokens(train))
    train_ids = bigram.encode(bigram.char_tokens(train), vocab)
    held_ids = bigram.encode(bigram.char_tokens(held_out), vocab)
    for n, name in ((1, "character unigram"), (2, "character bigram"), (3, "character trigram")):
        log_probs = ngram.ngram_log_probs(ngram.fit_ngram(train_ids, n, len(vocab), K_CHAR), held_ids)
        rows.append(_row(f"{name} (V={len(vocab)}, k={K_CHAR})", log_probs, log_probs.size))
    for n_merges in n_merges_list:
        merges_vocab, merges = bpe.train_bpe(train, n_merges)
        train_bpe_ids = bpe.bpe_encode(train, merges_vocab, merges)
        held_bpe_ids = bpe.bpe_encode(held_out, merges_vocab, merges)
        for n in (2, 3):
            model = ngram.fit_ngram(train_bpe_ids, n, len(merges_vocab), K_BPE)
            log_probs = ngram.ngram_log_probs(model, held_bpe_ids)
            chars = sum(len(merges_vocab[i]) for i in held_bpe_ids[n - 1 :])
            rows.append(_row(f"BPE ({n_merges} merges, V={len(merges_vocab)}) + {n}-gram (k={K_BPE})", log_probs, chars))
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
    vocab = bigram.build_vocab(bigram.char_tokens(train))
    probs = bigram.bigram_probs(bigram.bigram_counts(bigram.encode(bigram.char_tokens(train), vocab),
                                                     len(vocab)), K_CHAR)
    expected = expected_bigram_cross_entropy(transition, probs[1:, 1:] / probs[1:, 1:].sum(axis=1, keepdims=True))
    print(f"## Synthetic corpus: {len(train)} training and {len(held_out)} held-out symbols of an "
          f"8-symbol Markov chain (seed 0)\n")
    print(f"entropy rate: {entropy:.4f} nats = {entropy / np.log(2):.4f} bits per symbol; "
          f"uniform guessing: log 8 = {np.log(8):.4f} nats")
    print(f"character bigram, expected cross-entropy on an endless held-out text: {expected:.4f} nats "
          f"({expected - entropy:+.5f} above the entropy rate)\n")
    print(_table(_char_rows(train, held_out, (20, 200)), entropy))

    train, held_out = corpus.pydoc_corpus()
    print(f"\n## pydoc prose: {len(train)} training and {len(held_out)} held-out characters\n")
    rows = _char_rows(train, held_out, (200,))
    words, held_words = bigram.word_tokens(train), bigram.word_tokens(held_out)
    for min_count in (1, 2):
        wvocab = bigram.build_vocab(words, min_count)
        held_ids = bigram.encode(held_words, wvocab)
        wprobs = bigram.bigram_probs(bigram.bigram_counts(bigram.encode(words, wvocab), len(wvocab)), K_WORD)
        log_probs = np.log(wprobs[held_ids[:-1], held_ids[1:]])
        unk = float(np.mean(held_ids == 0))
        rows.append(_row(f"word bigram (min_count={min_count}, V={len(wvocab)}, {unk:.1%} of held-out words "
                         f"<unk>, k={K_WORD})", log_probs, len(held_out)))
    print(_table(rows, None))

    print("\n## Samples (seed 0)\n")
    cvocab = bigram.build_vocab(bigram.char_tokens(train))
    cprobs = bigram.bigram_probs(bigram.bigram_counts(bigram.encode(bigram.char_tokens(train), cvocab), len(cvocab)),
                                 K_CHAR)
    print("character bigram:", "".join(bigram.decode(bigram.sample(cprobs, cvocab.index("t"), 120, 0), cvocab)))
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
