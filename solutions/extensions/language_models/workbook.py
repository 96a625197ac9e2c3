# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown] nbgrader={"grade_id": "text-1", "grade": false, "solution": false, "locked": true, "schema_version": 3}
# # Language models by counting: workbook
#
# Work through this notebook next to `extensions/language_models/README.md`. **Answers** start
# with `# YOUR CODE HERE`: replace the `raise NotImplementedError()` line with numbers worked out
# on paper (arithmetic with `np.log` is fine; no calls to your modules). The read-only
# **checks** after them catch obvious slips; more run when the course is graded.
# **Experiments** call your `language_models` modules.
#
# 16 points: 6 for the derivations, 10 for the modules. Run the setup cell first.
#
# Section 0 asks for the results of the guide's derivations as expressions and checks them for
# you (no points). You can run the whole notebook at any time (Run > Run All Cells): a cell whose
# answer or module is not written yet says so, and the rest runs on.

# %% nbgrader={"grade_id": "setup", "grade": false, "solution": false, "locked": true, "schema_version": 3}
# Setup: run this cell first (Shift-Enter). It puts your package first on the import path, defines
# np, plt, workbook and derivations, and lets cells you have not answered yet say so and go on.
import os, sys; sys.path += [os.getenv("FPAI_ROOT", ".."), "../..", "../../.."]; from grader.learner.workbook import setup; setup()

# %% [markdown] nbgrader={"grade_id": "text-derive", "grade": false, "solution": false, "locked": true, "schema_version": 3}
# ## 0. Derive first, checked here (no points)
#
# - A coin-like model of one context with two next tokens, seen $c_1$ and $c_2$ times, giving the
#   first probability $p$: its negative log-likelihood is $L = -c_1 \log p - c_2 \log(1 - p)$.
#   `dL_dp`, in `p`, `c1`, `c2` (set it to 0 on paper: the maximum-likelihood $p$ is a count ratio).
# - `bigram_vjp(W, C)`: a bigram model with a table of logits `W` (V, V), row $i$ the logits of
#   the token after token $i$, and a table of counts `C` (V, V). The loss is the average negative
#   log-likelihood per counted pair, $-\sum_{ij} C_{ij} \log \mathrm{softmax}(W_i)_j / \sum_{ij} C_{ij}$:
#   return its gradient with respect to `W`.
#
# Work each result out on paper first, then write it below: a scalar result as an expression in
# a string (Python syntax: `*`, `**`, `exp`, `log`, `tanh`, `sigma` for the sigmoid), a matrix
# result as a small numpy function. The check cell derives the true result from the forward
# definition it states (with sympy, or by finite differences at random points) and tells you
# whether yours is right or what is off. No points: the graded questions come after.

# %% nbgrader={"grade_id": "derive", "grade": false, "solution": true, "locked": false, "schema_version": 3}
# dL_dp = "...", def bigram_vjp(W, C): ...
dL_dp = bigram_vjp = None
### BEGIN SOLUTION
dL_dp = "-c1/p + c2/(1 - p)"


def bigram_vjp(W, C):
    probs = np.exp(W - W.max(axis=1, keepdims=True))
    probs /= probs.sum(axis=1, keepdims=True)
    return (C.sum(axis=1, keepdims=True) * probs - C) / C.sum()
### END SOLUTION

# %% nbgrader={"grade_id": "derive-check", "grade": false, "solution": false, "locked": true, "schema_version": 3}
derivations.symbolic("dL_dp", dL_dp, of="-c1*log(p) - c2*log(1 - p)", wrt="p", symbols="p c1 c2",
                     positive=("c1", "c2"))


def bigram_nll(W, C):  # the forward definition
    log_probs = W - np.log(np.exp(W).sum(axis=1, keepdims=True))
    return -np.sum(C * log_probs) / C.sum()


derivations.gradient("bigram_vjp", bigram_vjp, scalar=bigram_nll, wrt="W",
                     inputs={"W": (4, 4), "C": lambda rng: rng.integers(0, 6, size=(4, 4)).astype(float) + 1});

# %% [markdown] nbgrader={"grade_id": "text-2", "grade": false, "solution": false, "locked": true, "schema_version": 3}
# ## 1. Add-k smoothing (2 points)
#
# A vocabulary of three tokens `a`, `b`, `c`. In the training text, `a` is followed by `a` 0
# times, by `b` 3 times and by `c` once. With add-one smoothing ($k = 1$),
# $P(b \mid a) = (C[a, b] + k) / (\sum_{b'} C[a, b'] + kV)$. Set `p_row`, the list
# $\big(P(a \mid a), P(b \mid a), P(c \mid a)\big)$.

# %% nbgrader={"grade_id": "add-k", "grade": false, "solution": true, "locked": false, "schema_version": 3}
# p_row = [...]
### BEGIN SOLUTION
p_row = [(0 + 1) / (4 + 3), (3 + 1) / (4 + 3), (1 + 1) / (4 + 3)]
### END SOLUTION

# %% nbgrader={"grade_id": "add-k-check", "points": 2, "grade": true, "solution": false, "locked": true, "schema_version": 3}
if workbook.answered("add-k", "p_row"):
    row = np.asarray(p_row, dtype=float)
    assert row.shape == (3,), f"p_row: one probability per next token, got shape {row.shape}"
    assert abs(row.sum() - 1) < 1e-9, "p_row: a conditional distribution sums to 1"
    assert row.min() > 0, "p_row: smoothing leaves no probability at 0"
### BEGIN HIDDEN TESTS
assert np.allclose(row, [1 / 7, 4 / 7, 2 / 7]), "p_row: add k to every count and k V to the total"
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade_id": "text-3", "grade": false, "solution": false, "locked": true, "schema_version": 3}
# ## 2. Cross-entropy and perplexity (2 points)
#
# A model gives the three tokens of a held-out text the probabilities $1/2$, $1/4$ and $1/8$.
# Set `ce_nats`, the cross-entropy per token (the mean of $-\ln p$), and `ppl`, the perplexity
# $e^{\text{cross-entropy}}$.

# %% nbgrader={"grade_id": "perplexity", "grade": false, "solution": true, "locked": false, "schema_version": 3}
# ce_nats = ..., ppl = ...
### BEGIN SOLUTION
ce_nats = (np.log(2) + np.log(4) + np.log(8)) / 3    # 2 ln 2
ppl = np.exp(ce_nats)                                # 4: as unsure as a fair 4-way choice
### END SOLUTION

# %% nbgrader={"grade_id": "perplexity-check", "points": 2, "grade": true, "solution": false, "locked": true, "schema_version": 3}
if workbook.answered("perplexity", "ce_nats ppl"):
    for name in ("ce_nats", "ppl"):
        assert isinstance(globals().get(name), (int, float, np.floating)), f"{name}: set it to a number"
    assert abs(np.log(ppl) - ce_nats) < 1e-9, "ppl is exp of the cross-entropy"
### BEGIN HIDDEN TESTS
assert abs(ce_nats - 2 * np.log(2)) < 1e-9, "ce_nats is not the mean of -ln p over the three tokens"
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade_id": "text-4", "grade": false, "solution": false, "locked": true, "schema_version": 3}
# ## 3. One BPE merge (2 points)
#
# Byte-pair encoding on the text `abababc`: start from one token per character, count every
# adjacent pair (overlapping ones too), and merge the most frequent pair everywhere. Set
# `first_merge`, the merged string, and `n_tokens_after`, the length of the text in tokens
# after that merge.

# %% nbgrader={"grade_id": "bpe", "grade": false, "solution": true, "locked": false, "schema_version": 3}
# first_merge = "..", n_tokens_after = ...
### BEGIN SOLUTION
first_merge = "ab"       # ab 3 times, ba twice, bc once
n_tokens_after = 4       # ab ab ab c
### END SOLUTION

# %% nbgrader={"grade_id": "bpe-check", "points": 2, "grade": true, "solution": false, "locked": true, "schema_version": 3}
if workbook.answered("bpe", "first_merge n_tokens_after"):
    assert isinstance(first_merge, str) and len(first_merge) == 2, "first_merge: the two characters merged"
    assert isinstance(n_tokens_after, int) and 1 <= n_tokens_after < 7, "n_tokens_after: fewer tokens than characters"
### BEGIN HIDDEN TESTS
assert first_merge == "ab", "first_merge is not the most frequent adjacent pair"
assert n_tokens_after == 4, "n_tokens_after: every occurrence of the pair is merged"
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade_id": "text-5", "grade": false, "solution": false, "locked": true, "schema_version": 3}
# ## 4. Experiment: a character bigram of Python's documentation
#
# The prose of Python's own reference topics (it ships with Python), split into a training
# and a held-out text. The picture is the table $\log P(\text{next} \mid \text{previous})$ for
# the letters and the space; then a sample, and the held-out perplexity.

# %%
with workbook.experiment("4. Experiment: a character bigram of Python's documentation"):
    from language_models import bigram as bg, bpe, corpus

    train_text, held_text = corpus.pydoc_corpus()
    vocab = bg.build_vocab(bg.char_tokens(train_text))
    train_ids = bg.encode(bg.char_tokens(train_text), vocab)
    held_ids = bg.encode(bg.char_tokens(held_text), vocab)
    probs = bg.bigram_probs(bg.bigram_counts(train_ids, len(vocab)), k=1.0)
    print(f"{len(train_text)} training characters, vocabulary of {len(vocab)}")
    print(f"held-out cross-entropy {bg.cross_entropy(probs, held_ids):.3f} nats per character, "
          f"perplexity {bg.perplexity(probs, held_ids):.2f}")
    print("sample:", "".join(bg.decode(bg.sample(probs, vocab.index("t"), 120, seed=0), vocab)))

    shown = [vocab.index(ch) for ch in " abcdefghijklmnopqrstuvwxyz" if ch in vocab]
    fig, ax = plt.subplots(figsize=(7, 6))
    image = ax.imshow(np.log(probs[np.ix_(shown, shown)]), cmap="magma")
    labels = ["_" if vocab[i] == " " else vocab[i] for i in shown]
    ax.set_xticks(range(len(shown)), labels)
    ax.set_yticks(range(len(shown)), labels)
    ax.set(xlabel="next", ylabel="previous", title="log P(next | previous), space shown as _")
    fig.colorbar(image, ax=ax)
    plt.show()

# %% [markdown] nbgrader={"grade_id": "text-6", "grade": false, "solution": false, "locked": true, "schema_version": 3}
# ## 5. Experiment: how much smoothing?
#
# Too little smoothing and rare pairs get almost no probability; too much and every row
# drifts towards uniform. The held-out cross-entropy has a minimum in between.

# %%
with workbook.experiment("5. Experiment: how much smoothing?"):
    counts = bg.bigram_counts(train_ids, len(vocab))
    ks = [1e-3, 1e-2, 0.1, 0.3, 1, 3, 10, 30]
    losses = [bg.cross_entropy(bg.bigram_probs(counts, k=k), held_ids) for k in ks]
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.semilogx(ks, losses, "o-")
    ax.set(xlabel="k", ylabel="held-out nats per character", title="add-k smoothing")
    plt.show()

# %% [markdown] nbgrader={"grade_id": "text-7", "grade": false, "solution": false, "locked": true, "schema_version": 3}
# ## 6. Experiment: the best loss possible
#
# Text sampled from a Markov chain over 8 symbols, whose entropy rate is known exactly: no
# model can do better on held-out text, in expectation (a finite held-out sample wobbles around
# it by a hundredth or so). A bigram model is the right model for a first-order chain, so with
# enough training text it gets there.

# %%
with workbook.experiment("6. Experiment: the best loss possible"):
    chain_train, chain_held, transition = corpus.synthetic_corpus(train_length=30_000, held_out_length=10_000)
    best = corpus.entropy_rate(transition)
    chain_vocab = bg.build_vocab(bg.char_tokens(chain_train))
    held = bg.encode(bg.char_tokens(chain_held), chain_vocab)
    lengths = [100, 300, 1_000, 3_000, 10_000, 30_000]
    losses = []
    for n in lengths:
        ids = bg.encode(bg.char_tokens(chain_train[:n]), chain_vocab)
        losses.append(bg.cross_entropy(bg.bigram_probs(bg.bigram_counts(ids, len(chain_vocab)), k=0.5), held))
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.semilogx(lengths, losses, "o-", label="bigram, held out")
    ax.axhline(best, color="k", linestyle=":", label=f"entropy rate {best:.3f}")
    ax.set(xlabel="training characters", ylabel="nats per symbol")
    ax.legend()
    plt.show()

# %% [markdown] nbgrader={"grade_id": "text-8", "grade": false, "solution": false, "locked": true, "schema_version": 3}
# ## 7. Experiment: BPE shortens the text
#
# Merges learned on the first 20,000 training characters, applied to held-out text: each merge
# makes a frequent string one token, so the held-out text needs fewer tokens per character.

# %%
with workbook.experiment("7. Experiment: BPE shortens the text"):
    merge_counts = [0, 25, 50, 100, 200]
    vocab_bpe, merges = bpe.train_bpe(train_text[:20_000], max(merge_counts))
    base = len(vocab_bpe) - len(merges)
    known = set(vocab_bpe[:base])  # BPE has no unknown token: keep the characters it was trained on
    sample_text = "".join(ch for ch in held_text[:5000] if ch in known)
    ratios = []
    for n in merge_counts:
        ids = bpe.bpe_encode(sample_text, vocab_bpe[:base + n], merges[:n])
        ratios.append(len(ids) / len(sample_text))
    print("the last merges learned:", vocab_bpe[-8:])
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.plot(merge_counts, ratios, "o-")
    ax.set(xlabel="merges", ylabel="tokens per character", title="held-out text", ylim=(0, 1.05))
    plt.show()

# %% [markdown] nbgrader={"grade_id": "modules-intro", "grade": false, "solution": false, "locked": true, "schema_version": 3}
# ## Your modules, graded
#
# The cell below checks your `language_models` modules through the course's grader. While you work
# it runs the public tests (what `make check PHASE=language_models` runs); when your instructor
# grades the workbook it runs the hidden tests and gradient checks too (what `make grade`
# runs). The number it shows is your share of its 10 points.

# %% nbgrader={"grade_id": "modules", "points": 10, "grade": true, "solution": false, "locked": true, "schema_version": 3}
points = workbook.check_phase("language_models", out_of=10)
### BEGIN HIDDEN TESTS
points = workbook.grade_phase("language_models", out_of=10)
### END HIDDEN TESTS
points
