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
# # Phase 3 workbook: the pieces of a Transformer block
#
# Work through this notebook next to `phase3_transformer/README.md`. **Answers** start with
# `# YOUR CODE HERE`: replace the `raise NotImplementedError()` line with numbers worked out on
# paper (arithmetic with `np.sin`, `np.sqrt` ... is fine; no calls to your modules). The
# read-only **checks** after them catch obvious slips; more run when the course is graded.
# **Experiments** call your `phase3_transformer` modules (and phases 0 and 2).
#
# 19 points: 9 for the derivations, 10 for the modules. Run the setup cell first.
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
# - One entry of the sinusoidal encoding, $\sin(\mathrm{pos}/10000^{2i/D})$: `dpe_dpos`, its
#   derivative along the position, in `pos`, `i` and `D` (why a shift of position acts on each
#   sine/cosine pair as a rotation).
# - `layer_norm_vjp(x, gamma, dout)`: layer norm along each row of `x` (N, D),
#   $\hat x = (x - \mu)/\sigma$ with the row's mean $\mu$ and standard deviation
#   $\sigma = \sqrt{\mathrm{mean}((x - \mu)^2)}$ (take $\epsilon = 0$ here), then
#   $y = \gamma \hat x + \beta$ with `gamma` (D,): return `(dx, dgamma)` for `dout` (N, D).
#
# Work each result out on paper first, then write it below: a scalar result as an expression in
# a string (Python syntax: `*`, `**`, `exp`, `log`, `tanh`, `sigma` for the sigmoid), a matrix
# result as a small numpy function. The check cell derives the true result from the forward
# definition it states (with sympy, or by finite differences at random points) and tells you
# whether yours is right or what is off. No points: the graded questions come after.

# %% nbgrader={"grade_id": "derive", "grade": false, "solution": true, "locked": false, "schema_version": 3}
# dpe_dpos = "...", def layer_norm_vjp(x, gamma, dout): ...
dpe_dpos = layer_norm_vjp = None
### BEGIN SOLUTION
dpe_dpos = "cos(pos/10000**(2*i/D))/10000**(2*i/D)"


def layer_norm_vjp(x, gamma, dout):
    xhat = (x - x.mean(axis=-1, keepdims=True)) / x.std(axis=-1, keepdims=True)
    dxhat = dout * gamma
    dx = (dxhat - dxhat.mean(axis=-1, keepdims=True) - xhat * np.mean(dxhat * xhat, axis=-1, keepdims=True))
    return dx / x.std(axis=-1, keepdims=True), np.sum(dout * xhat, axis=0)
### END SOLUTION

# %% nbgrader={"grade_id": "derive-check", "grade": false, "solution": false, "locked": true, "schema_version": 3}
derivations.symbolic("dpe_dpos", dpe_dpos, of="sin(pos/10000**(2*i/D))", wrt="pos", symbols="pos i D",
                     positive=("i", "D"))


def layer_norm_rows(x, gamma):  # the forward definition, epsilon = 0, beta left out (its gradient is plain)
    return gamma * (x - x.mean(axis=-1, keepdims=True)) / x.std(axis=-1, keepdims=True)


derivations.gradient("layer_norm_vjp", layer_norm_vjp, scalar=lambda x, gamma, dout: np.sum(dout * layer_norm_rows(x, gamma)),
                     inputs={"x": (3, 5), "gamma": (5,), "dout": (3, 5)}, wrt=("x", "gamma"));

# %% [markdown] nbgrader={"grade_id": "text-2", "grade": false, "solution": false, "locked": true, "schema_version": 3}
# ## 1. One row of the sinusoidal encoding (2 points)
#
# $PE[pos, 2i] = \sin(pos / 10000^{2i/D})$ and $PE[pos, 2i+1] = \cos(pos / 10000^{2i/D})$.
# Set `pe_row`, the encoding of position 1 with $D = 4$ (a list of 4 numbers).

# %% nbgrader={"grade_id": "pe-row", "grade": false, "solution": true, "locked": false, "schema_version": 3}
# pe_row = [...]
### BEGIN SOLUTION
pe_row = [np.sin(1), np.cos(1),                 # i = 0: angle 1 / 10000^0
          np.sin(1 / 100), np.cos(1 / 100)]     # i = 1: angle 1 / 10000^(2/4)
### END SOLUTION

# %% nbgrader={"grade_id": "pe-row-check", "points": 2, "grade": true, "solution": false, "locked": true, "schema_version": 3}
if workbook.answered("pe-row", "pe_row"):
    row = np.asarray(pe_row, dtype=float)
    assert row.shape == (4,), f"pe_row: 4 numbers, got shape {row.shape}"
    assert np.allclose(row[0::2] ** 2 + row[1::2] ** 2, 1), "pe_row: each sine/cosine pair shares one angle"
### BEGIN HIDDEN TESTS
assert np.allclose(row[:2], [np.sin(1), np.cos(1)]), "pe_row: the first pair turns at one radian per position"
assert np.allclose(row[2:], [np.sin(0.01), np.cos(0.01)]), "pe_row: the second pair's frequency is 10000^(-2/4)"
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade_id": "text-3", "grade": false, "solution": false, "locked": true, "schema_version": 3}
# ## 2. Layer norm by hand (3 points)
#
# One token $x = (1, 2, 3, 6)$, $\gamma = (2, 2, 2, 2)$, $\beta = (1, 1, 1, 1)$:
# $\mu = \text{mean}(x)$, $\sigma^2 = \text{mean}((x - \mu)^2)$ (divide by $D$),
# $\hat x = (x - \mu)/\sqrt{\sigma^2 + \epsilon}$, out $= \gamma \hat x + \beta$. Ignore
# $\epsilon = 10^{-5}$. Set `ln_mean`, `ln_var` and `ln_out` (a list of 4 numbers).

# %% nbgrader={"grade_id": "layer-norm", "grade": false, "solution": true, "locked": false, "schema_version": 3}
# ln_mean = ..., ln_var = ..., ln_out = [...]
### BEGIN SOLUTION
ln_mean = (1 + 2 + 3 + 6) / 4                                 # 3
ln_var = ((1 - 3) ** 2 + (2 - 3) ** 2 + 0 + (6 - 3) ** 2) / 4   # 3.5
ln_out = [2 * d / np.sqrt(3.5) + 1 for d in (-2, -1, 0, 3)]
### END SOLUTION

# %% nbgrader={"grade_id": "layer-norm-check", "points": 3, "grade": true, "solution": false, "locked": true, "schema_version": 3}
if workbook.answered("layer-norm", "ln_mean ln_var ln_out"):
    out = np.asarray(ln_out, dtype=float)
    assert out.shape == (4,), f"ln_out: 4 numbers, got shape {out.shape}"
    assert abs(out.mean() - 1) < 1e-3, "ln_out: the mean of gamma * xhat + beta is beta when gamma is constant"
### BEGIN HIDDEN TESTS
assert abs(ln_mean - 3) < 1e-9, "ln_mean is not the mean of x"
assert abs(ln_var - 3.5) < 1e-9, "ln_var: the mean squared deviation (divide by D, not D - 1)"
assert np.allclose(out, 2 * np.array([-2, -1, 0, 3]) / np.sqrt(3.5) + 1, atol=1e-4), "ln_out is not gamma * xhat + beta"
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade_id": "text-4", "grade": false, "solution": false, "locked": true, "schema_version": 3}
# ## 3. The gradient of an embedding lookup (2 points)
#
# A vocabulary of 3 tokens, $D = 2$, the sequence of ids $(0, 2, 0)$ and the upstream gradient of
# the three looked-up rows $\partial L/\partial \text{out} = \big((1, 0), (0, 1), (2, 3)\big)$.
# Set `dtable`, $\partial L / \partial \text{table}$ (3 rows of 2 numbers).

# %% nbgrader={"grade_id": "embedding-grad", "grade": false, "solution": true, "locked": false, "schema_version": 3}
# dtable = [[...], [...], [...]]
### BEGIN SOLUTION
dtable = [[1 + 2, 0 + 3],   # token 0 is used twice: its gradients add up
          [0, 0],           # token 1 is not used
          [0, 1]]
### END SOLUTION

# %% nbgrader={"grade_id": "embedding-grad-check", "points": 2, "grade": true, "solution": false, "locked": true, "schema_version": 3}
if workbook.answered("embedding-grad", "dtable"):
    g = np.asarray(dtable, dtype=float)
    assert g.shape == (3, 2), f"dtable: one row per token of the vocabulary, got shape {g.shape}"
    assert np.allclose(g.sum(axis=0), [3, 4]), "dtable: every upstream gradient lands in some row"
### BEGIN HIDDEN TESTS
assert np.allclose(g[1], 0), "dtable: a token that is not in the sequence gets no gradient"
assert np.allclose(g, [[3, 3], [0, 0], [0, 1]]), "dtable: a repeated token collects the sum of its gradients"
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade_id": "text-5", "grade": false, "solution": false, "locked": true, "schema_version": 3}
# ## 4. The size of a block (2 points)
#
# $D = 16$, 4 heads, $d_\text{ff} = 64$. Set `block_params`, the number of numbers in one block
# (attention's four $D \times D$ matrices and four biases, the FFN's $W_1, b_1, W_2, b_2$, two
# layer norms' $\gamma$ and $\beta$), and `attention_params`, those of attention alone.

# %% nbgrader={"grade_id": "block-size", "grade": false, "solution": true, "locked": false, "schema_version": 3}
# block_params = ..., attention_params = ...
### BEGIN SOLUTION
attention_params = 4 * 16 * 16 + 4 * 16          # the number of heads does not matter
block_params = attention_params + (16 * 64 + 64 + 64 * 16 + 16) + 2 * (16 + 16)
### END SOLUTION

# %% nbgrader={"grade_id": "block-size-check", "points": 2, "grade": true, "solution": false, "locked": true, "schema_version": 3}
if workbook.answered("block-size", "block_params attention_params"):
    for name in ("block_params", "attention_params"):
        assert isinstance(globals().get(name), (int, np.integer)), f"{name}: set it to a whole number"
    assert block_params > attention_params, "block_params: the block holds attention and more"
### BEGIN HIDDEN TESTS
assert attention_params == 1088, "attention_params: four D x D matrices and four D biases, whatever the heads"
assert block_params == 3280, "block_params: attention, the FFN's two layers with biases, two norms"
### END HIDDEN TESTS

# %%
with workbook.experiment("4. The size of a block"):
    from phase3_transformer import positional_encoding as pe, transformer_block as tb

    block = tb.init_block(16, 4, 64, seed=0)
    print("your count_parameters:", tb.count_parameters(block), " attention:", tb.count_parameters(block["attn"]))

# %% [markdown] nbgrader={"grade_id": "text-6", "grade": false, "solution": false, "locked": true, "schema_version": 3}
# ## 5. Experiment: the positional encoding as an image
#
# 100 positions in 64 dimensions. Left columns turn fast, right ones so slowly they look
# constant. On the right, the dot product of every pair of positions: it depends only on how
# far apart they are (a sum of cosines of the offset), so attention can read relative positions.

# %%
with workbook.experiment("5. Experiment: the positional encoding as an image"):
    enc = pe.sinusoidal_encoding(100, 64)
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.5), layout="constrained")
    image = left.imshow(enc, aspect="auto", cmap="RdBu", vmin=-1, vmax=1)
    left.set(xlabel="dimension", ylabel="position", title="sinusoidal_encoding(100, 64)")
    fig.colorbar(image, ax=left)
    image = right.imshow(enc @ enc.T, cmap="viridis")
    right.set(xlabel="position", ylabel="position", title="PE @ PE.T")
    fig.colorbar(image, ax=right)
    plt.show()

# %% [markdown] nbgrader={"grade_id": "text-7", "grade": false, "solution": false, "locked": true, "schema_version": 3}
# ## 6. Experiment: a causal block ignores the future
#
# Change the last token of a sequence: with `causal=True` no earlier output moves; without
# the mask every output does.

# %%
with workbook.experiment("6. Experiment: a causal block ignores the future"):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(1, 6, 16))
    x_changed = x.copy()
    x_changed[0, -1] += 1.0
    for causal in (True, False):
        before, _ = tb.transformer_block(x, block, 4, causal=causal)
        after, _ = tb.transformer_block(x_changed, block, 4, causal=causal)
        moved = np.abs(after - before).max(axis=-1)[0]
        print(f"causal={causal!s:5}  change of each position's output: {np.round(moved, 4)}")

# %% [markdown] nbgrader={"grade_id": "text-8", "grade": false, "solution": false, "locked": true, "schema_version": 3}
# ## 7. Experiment: post-norm against pre-norm through a stack
#
# Post-norm ends every block with a layer norm, so each block's output has unit size per token.
# Pre-norm adds each block's output to a residual stream that is never normalised, so the stream
# grows with depth (GPT-2 adds one last layer norm after the stack for this reason).

# %%
with workbook.experiment("7. Experiment: post-norm against pre-norm through a stack"):
    stack = tb.init_stack(8, 16, 4, 64, seed=1)
    sizes = {}
    for pre_norm in (False, True):
        h, norms = x, []
        for params in stack:
            h, _ = tb.transformer_block(h, params, 4, causal=True, pre_norm=pre_norm)
            norms.append(np.linalg.norm(h, axis=-1).mean())
        sizes["pre-norm" if pre_norm else "post-norm"] = norms
    fig, ax = plt.subplots(figsize=(6, 3.5))
    for label, norms in sizes.items():
        ax.plot(range(1, len(norms) + 1), norms, "o-", label=label)
    ax.set(xlabel="blocks applied", ylabel="mean norm of a token", title="D = 16, 8 blocks")
    ax.legend()
    plt.show()

# %% [markdown] nbgrader={"grade_id": "modules-intro", "grade": false, "solution": false, "locked": true, "schema_version": 3}
# ## Your modules, graded
#
# The cell below checks your `phase3_transformer` modules through the course's grader. While you work
# it runs the public tests (what `make check PHASE=phase3_transformer` runs); when your instructor
# grades the workbook it runs the hidden tests and gradient checks too (what `make grade`
# runs). The number it shows is your share of its 10 points.

# %% nbgrader={"grade_id": "modules", "points": 10, "grade": true, "solution": false, "locked": true, "schema_version": 3}
points = workbook.check_phase("phase3_transformer", out_of=10)
### BEGIN HIDDEN TESTS
points = workbook.grade_phase("phase3_transformer", out_of=10)
### END HIDDEN TESTS
points
