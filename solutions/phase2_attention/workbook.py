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
# # Phase 2 workbook: attention, by hand and in pictures
#
# Work through this notebook next to `phase2_attention/README.md`. **Answers** start with
# `# YOUR CODE HERE`: replace the `raise NotImplementedError()` line with numbers worked out on
# paper (arithmetic with `np.exp`, `np.sqrt` is fine; no calls to your modules). The read-only
# **checks** after them catch obvious slips; more run when the course is graded.
# **Experiments** call your `phase2_attention` modules (and phase 0's softmax).
#
# 17 points: 7 for the derivations, 10 for the modules. Run the setup cell first.
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
# - Two scores $s_1, s_2$ and the first attention weight $a_1 = e^{s_1}/(e^{s_1} + e^{s_2})$:
#   `da1_ds1` $= \partial a_1/\partial s_1$ and `da1_ds2`, in `s1` and `s2`.
# - `attention_vjp(q, k, v, dout)`: one head without a mask,
#   $\mathrm{out} = \mathrm{softmax}(q k^\top/\sqrt{d})\, v$ (softmax along each row) with `q`
#   (T, d), `k` (T, d), `v` (T, d_v) and `dout` (T, d_v): return `(dq, dk, dv)`.
#
# Work each result out on paper first, then write it below: a scalar result as an expression in
# a string (Python syntax: `*`, `**`, `exp`, `log`, `tanh`, `sigma` for the sigmoid), a matrix
# result as a small numpy function. The check cell derives the true result from the forward
# definition it states (with sympy, or by finite differences at random points) and tells you
# whether yours is right or what is off. No points: the graded questions come after.

# %% nbgrader={"grade_id": "derive", "grade": false, "solution": true, "locked": false, "schema_version": 3}
# da1_ds1 = "...", da1_ds2 = "...", def attention_vjp(q, k, v, dout): ...
da1_ds1 = da1_ds2 = attention_vjp = None
### BEGIN SOLUTION
da1_ds1 = "exp(s1)*exp(s2)/(exp(s1) + exp(s2))**2"
da1_ds2 = "-exp(s1)*exp(s2)/(exp(s1) + exp(s2))**2"


def attention_vjp(q, k, v, dout):
    scale = 1 / np.sqrt(q.shape[-1])
    scores = q @ k.T * scale
    a = np.exp(scores - scores.max(axis=-1, keepdims=True))
    a /= a.sum(axis=-1, keepdims=True)
    da = dout @ v.T
    dscores = a * (da - np.sum(da * a, axis=-1, keepdims=True))
    return dscores @ k * scale, dscores.T @ q * scale, a.T @ dout
### END SOLUTION

# %% nbgrader={"grade_id": "derive-check", "grade": false, "solution": false, "locked": true, "schema_version": 3}
derivations.symbolic("da1_ds1", da1_ds1, of="exp(s1)/(exp(s1) + exp(s2))", wrt="s1", symbols="s1 s2")
derivations.symbolic("da1_ds2", da1_ds2, of="exp(s1)/(exp(s1) + exp(s2))", wrt="s2", symbols="s1 s2")


def one_head(q, k, v):  # the forward definition
    weights = np.exp(q @ k.T / np.sqrt(q.shape[-1]))
    return weights / weights.sum(axis=-1, keepdims=True) @ v


derivations.gradient("attention_vjp", attention_vjp, scalar=lambda q, k, v, dout: np.sum(dout * one_head(q, k, v)),
                     inputs={"q": (4, 3), "k": (4, 3), "v": (4, 2), "dout": (4, 2)}, wrt=("q", "k", "v"));

# %% [markdown] nbgrader={"grade_id": "text-2", "grade": false, "solution": false, "locked": true, "schema_version": 3}
# ## 1. One query, three keys, by hand (3 points)
#
# $d_k = 4$, one query $q = (1, 1, 1, 1)$, keys and values
#
# $$k_0 = (1, 1, 1, 1),\; k_1 = (0, 0, 0, 0),\; k_2 = (1, 1, -1, -1), \qquad
# v_0 = (1, 0),\; v_1 = (0, 1),\; v_2 = (0, -1).$$
#
# Scaled dot-product attention: scores $s_j = q \cdot k_j / \sqrt{d_k}$, weights
# $a = \mathrm{softmax}(s)$, output $o = \sum_j a_j v_j$. Set `scores` and `weights` (lists of
# 3 numbers) and `out` (a list of 2 numbers).

# %% nbgrader={"grade_id": "by-hand", "grade": false, "solution": true, "locked": false, "schema_version": 3}
# scores = [...], weights = [...], out = [...]
### BEGIN SOLUTION
scores = [4 / 2, 0 / 2, 0 / 2]                        # q . k_j / sqrt(4)
total = np.exp(2) + 2                                 # e^2 + e^0 + e^0
weights = [np.exp(2) / total, 1 / total, 1 / total]
out = [weights[0], weights[1] - weights[2]]           # v_1 and v_2 cancel
### END SOLUTION

# %% nbgrader={"grade_id": "by-hand-check", "points": 3, "grade": true, "solution": false, "locked": true, "schema_version": 3}
if workbook.answered("by-hand", "scores weights out"):
    assert len(scores) == 3 and len(weights) == 3 and len(out) == 2, "scores, weights: 3 numbers; out: 2"
    assert abs(sum(weights) - 1) < 1e-9, "weights: a softmax sums to 1"
    assert min(weights) > 0, "weights: a softmax is positive"
    print("the weights are a distribution")
### BEGIN HIDDEN TESTS
assert np.allclose(scores, [2, 0, 0]), "scores: q . k_j divided by sqrt(d_k)"
assert np.allclose(weights, np.exp([2, 0, 0]) / np.exp([2, 0, 0]).sum()), "weights are not softmax(scores)"
assert np.allclose(out, [np.exp(2) / (np.exp(2) + 2), 0]), "out is not the weighted sum of the values"
### END HIDDEN TESTS

# %%
with workbook.experiment("1. One query, three keys, by hand"):
    from phase2_attention import attention as att, mask as masks, multi_head as mh

    q = np.array([[[1.0, 1, 1, 1]]])
    k = np.array([[[1.0, 1, 1, 1], [0, 0, 0, 0], [1, 1, -1, -1]]])
    v = np.array([[[1.0, 0], [0, 1], [0, -1]]])
    out_module, cache = att.attention(q, k, v)
    print("your attention:", out_module[0, 0], " weights:", cache["weights"][0, 0])

# %% [markdown] nbgrader={"grade_id": "text-3", "grade": false, "solution": false, "locked": true, "schema_version": 3}
# ## 2. A causal mask on equal scores (2 points)
#
# Three tokens, every score 0, and a causal mask: query $i$ may attend to keys $0 \dots i$ only
# (the others get $-\infty$ before the softmax). Set `causal_weights`, the $3 \times 3$ matrix of
# attention weights (a list of 3 rows), row $i$ for query $i$.

# %% nbgrader={"grade_id": "causal", "grade": false, "solution": true, "locked": false, "schema_version": 3}
# causal_weights = [[...], [...], [...]]
### BEGIN SOLUTION
causal_weights = [[1, 0, 0],
                  [1 / 2, 1 / 2, 0],
                  [1 / 3, 1 / 3, 1 / 3]]
### END SOLUTION

# %% nbgrader={"grade_id": "causal-check", "points": 2, "grade": true, "solution": false, "locked": true, "schema_version": 3}
if workbook.answered("causal", "causal_weights"):
    w = np.asarray(causal_weights, dtype=float)
    assert w.shape == (3, 3), f"causal_weights: 3 rows of 3, got shape {w.shape}"
    assert np.allclose(w.sum(axis=1), 1), "causal_weights: each row is a distribution"
### BEGIN HIDDEN TESTS
assert np.allclose(np.triu(w, 1), 0), "causal_weights: a query must not see later keys"
assert np.allclose(w, np.tril(np.ones((3, 3))) / np.arange(1, 4)[:, None]), "causal_weights: equal scores share equally"
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade_id": "text-4", "grade": false, "solution": false, "locked": true, "schema_version": 3}
# ## 3. The sizes of multi-head attention (2 points)
#
# $d_\text{model} = 8$ split into 2 heads. Set `head_dim` (the size of one head's queries),
# `head_scale` (the factor each head's scores are multiplied by) and `n_params` (the number of
# numbers in one layer: $W_q, W_k, W_v, W_o$ of shape $(d_\text{model}, d_\text{model})$ and their
# four biases).

# %% nbgrader={"grade_id": "sizes", "grade": false, "solution": true, "locked": false, "schema_version": 3}
# head_dim = ..., head_scale = ..., n_params = ...
### BEGIN SOLUTION
head_dim = 8 // 2
head_scale = 1 / np.sqrt(head_dim)   # 1 / sqrt(4): the head's own d_k, not d_model
n_params = 4 * 8 * 8 + 4 * 8
### END SOLUTION

# %% nbgrader={"grade_id": "sizes-check", "points": 2, "grade": true, "solution": false, "locked": true, "schema_version": 3}
if workbook.answered("sizes", "head_dim head_scale n_params"):
    for name in ("head_dim", "head_scale", "n_params"):
        assert isinstance(globals().get(name), (int, float, np.number)), f"{name}: set it to a number"
### BEGIN HIDDEN TESTS
assert head_dim == 4, "head_dim: d_model is shared out between the heads"
assert abs(head_scale - 0.5) < 1e-9, "head_scale: each head divides by the square root of its own size"
assert n_params == 288, "n_params: four square matrices and four bias vectors"
### END HIDDEN TESTS

# %%
with workbook.experiment("3. The sizes of multi-head attention"):
    params = mh.init_multi_head(8, 2, seed=0)
    print({name: value.shape for name, value in params.items()})
    print("numbers in the layer:", sum(value.size for value in params.values()))

# %% [markdown] nbgrader={"grade_id": "text-5", "grade": false, "solution": false, "locked": true, "schema_version": 3}
# ## 4. Experiment: attention heatmaps
#
# A sentence of six tokens with random embeddings, causal self-attention with one head and
# with two (`phase2_attention.plots.example`, built on your modules). Read the pictures: each
# row sums to 1, the upper triangle is 0, the first token only sees itself, and the two heads
# spread their weight differently.

# %%
with workbook.experiment("4. Experiment: attention heatmaps"):
    from phase2_attention import plots

    _, weights_1, weights_2 = plots.example(seed=0)
    panels = [("one head", weights_1[0]), ("head 0 of 2", weights_2[0, 0]), ("head 1 of 2", weights_2[0, 1])]
    fig, axes = plt.subplots(1, 3, figsize=(13, 4), layout="constrained")
    for ax, (title, w) in zip(axes, panels):
        image = ax.imshow(w, vmin=0, vmax=1, cmap="viridis")
        ax.set_xticks(range(len(plots.TOKENS)), plots.TOKENS, rotation=45)
        ax.set_yticks(range(len(plots.TOKENS)), plots.TOKENS)
        ax.set_title(title)
    axes[0].set_ylabel("query")
    fig.colorbar(image, ax=axes, label="weight")
    plt.show()

# %% [markdown] nbgrader={"grade_id": "text-6", "grade": false, "solution": false, "locked": true, "schema_version": 3}
# ## 5. Experiment: why divide by $\sqrt{d_k}$
#
# With queries and keys of independent unit-variance entries, $q \cdot k$ has variance $d_k$.
# Without the scale the scores grow with $d_k$, the softmax saturates onto one key and its
# gradient vanishes; with it the spread of the scores stays the same for every $d_k$. The plot
# shows the average largest weight of a row (1 means all the weight on one key).

# %%
with workbook.experiment("5. Experiment: why divide by sqrt(d_k)"):
    rng = np.random.default_rng(0)
    sizes = [2, 8, 32, 128, 512]
    scaled, unscaled = [], []
    for d in sizes:
        q = rng.normal(size=(4, 16, d))
        k = rng.normal(size=(4, 16, d))
        v = rng.normal(size=(4, 16, 3))
        scaled.append(att.attention(q, k, v)[1]["weights"].max(axis=-1).mean())
        unscaled.append(att.attention(q * np.sqrt(d), k, v)[1]["weights"].max(axis=-1).mean())
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.semilogx(sizes, scaled, "o-", label="scores / sqrt(d_k)")
    ax.semilogx(sizes, unscaled, "s-", label="no scale")
    ax.set(xlabel="d_k", ylabel="mean largest weight", ylim=(0, 1.05), title="16 keys")
    ax.legend()
    plt.show()

# %% [markdown] nbgrader={"grade_id": "text-7", "grade": false, "solution": false, "locked": true, "schema_version": 3}
# ## 6. Experiment: loops against the vectorised version
#
# Same numbers, very different speed: the loops do $B \cdot T_q \cdot T_k$ Python-level dot
# products, the vectorised version hands them to numpy's matrix product.

# %%
with workbook.experiment("6. Experiment: loops against the vectorised version"):
    import time

    q, k, v = (rng.normal(size=(2, 24, 8)) for _ in range(3))
    causal = masks.causal_mask(24)
    start = time.perf_counter()
    slow = att.attention_loops(q, k, v, causal)
    middle = time.perf_counter()
    fast, _ = att.attention(q, k, v, causal)
    end = time.perf_counter()
    print(f"largest difference {np.abs(slow - fast).max():.1e}; "
          f"loops {1e3 * (middle - start):.1f} ms, vectorised {1e3 * (end - middle):.2f} ms")

# %% [markdown] nbgrader={"grade_id": "text-cost", "grade": false, "solution": false, "locked": true, "schema_version": 3}
# ## 7. Experiment: what attention costs as the sequence grows
#
# A recurrent network reads a sequence one step after another: $T$ steps that cannot run at the
# same time, and a word $T$ positions back reaches the present through $T$ updates of one state
# vector. Attention links every position to every other in one matrix product, which is why it
# replaced recurrence; the price is the score matrix. For one head with queries and keys of width
# $d$, $q k^\top$ takes $T^2 d$ multiply-adds and the weights $\mathrm{softmax}(q k^\top/\sqrt{d})$
# are $T^2$ numbers, per head and per sequence; the backward pass needs them, so the cache keeps
# them until then.
#
# Predict first: when $T$ doubles, by how much should the time grow (once $T$ is large), the
# weights' memory, and the cache's? And with twice the heads at a fixed $T$? Then measure (the
# times are noisy on a busy machine: the best of several runs is kept).

# %%
with workbook.experiment("7. Experiment: what attention costs as the sequence grows"):
    rng = np.random.default_rng(0)
    import time
    import tracemalloc

    def nbytes(cache):
        """The bytes of every array a cache holds (dicts, lists and tuples opened)."""
        if isinstance(cache, np.ndarray):
            return cache.nbytes
        if isinstance(cache, dict):
            return sum(nbytes(value) for value in cache.values())
        if isinstance(cache, (list, tuple)):
            return sum(nbytes(value) for value in cache)
        return 0

    width, lengths, measured = 64, (128, 256, 512, 1024, 2048), []
    for t in lengths:
        q, k, v = (rng.normal(size=(t, width)) for _ in range(3))
        best = np.inf
        for _ in range(5):
            start = time.perf_counter()
            _, cache = att.attention(q, k, v)
            best = min(best, time.perf_counter() - start)
        tracemalloc.start()
        _, cache = att.attention(q, k, v)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        measured.append((t, best, peak, nbytes(cache), cache["weights"].nbytes))
        print(f"T = {t:5d}: {1e3 * best:8.2f} ms, peak {peak / 2**20:7.1f} MiB, "
              f"cache {nbytes(cache) / 2**20:6.1f} MiB, of which the weights {cache['weights'].nbytes / 2**20:6.1f} MiB")
    table = np.array(measured, dtype=float)
    slope = {name: np.polyfit(np.log(table[2:, 0]), np.log(table[2:, column]), 1)[0]
             for name, column in (("time", 1), ("peak memory", 2), ("cache", 3))}
    print("growth as T^k over the three largest T: " + ", ".join(f"{name} k = {k:.2f}" for name, k in slope.items()))

    x = rng.normal(size=(1, 512, width))
    for heads in (1, 2, 4, 8):
        _, cache = mh.multi_head_attention(x, x, mh.init_multi_head(width, heads, seed=0), heads)
        print(f"{heads} head(s), T = 512: the cache holds {nbytes(cache) / 2**20:5.1f} MiB")

    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.5), layout="constrained")
    left.loglog(table[:, 0], table[:, 1] * 1e3, "o-")
    left.set(xlabel="T", ylabel="ms (best of 5)", title="one head's forward pass")
    right.loglog(table[:, 0], table[:, 3] / 2**20, "o-", label="cache")
    right.loglog(table[:, 0], table[:, 4] / 2**20, "s--", label="weights, 8 T^2 bytes")
    right.set(xlabel="T", ylabel="MiB", title="memory held for the backward pass")
    right.legend()
    plt.show()

# %% [markdown] nbgrader={"grade_id": "modules-intro", "grade": false, "solution": false, "locked": true, "schema_version": 3}
# ## Your modules, graded
#
# The cell below checks your `phase2_attention` modules through the course's grader. While you work
# it runs the public tests (what `make check PHASE=phase2_attention` runs); when your instructor
# grades the workbook it runs the hidden tests and gradient checks too (what `make grade`
# runs). The number it shows is your share of its 10 points.

# %% nbgrader={"grade_id": "modules", "points": 10, "grade": true, "solution": false, "locked": true, "schema_version": 3}
points = workbook.check_phase("phase2_attention", out_of=10)
### BEGIN HIDDEN TESTS
points = workbook.grade_phase("phase2_attention", out_of=10)
### END HIDDEN TESTS
points
