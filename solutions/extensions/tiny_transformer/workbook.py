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
# # Extension A workbook: a tiny Transformer that learns
#
# Work through this notebook next to `extensions/tiny_transformer/README.md`. **Answers** start
# with `# YOUR CODE HERE`: replace the `raise NotImplementedError()` line with numbers worked out
# on paper (arithmetic with `np.log`, `np.sqrt` ... is fine; no calls to your modules). The
# read-only **checks** after them catch obvious slips; more run when the course is graded.
# **Experiments** train models with your `tiny_transformer` modules (and phases 0 to 3 under
# them); they are small and take a few seconds in all.
#
# 18 points: 8 for the derivations, 10 for the modules. Run the setup cell first.
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
# - The log-sum-exp of two logits, $\log(e^{z_1} + e^{z_2})$: `dlse_dz1`, its derivative in
#   $z_1$, in `z1` and `z2` (the function the cross-entropy subtracts a logit from).
# - `ce_vjp(logits, targets)`: the mean cross-entropy of a batch, logits (N, V) and integer
#   targets (N,), $-\frac{1}{N}\sum_n \log \mathrm{softmax}(\mathrm{logits}_n)_{\mathrm{targets}_n}$:
#   return its gradient with respect to `logits`. The model's backward pass starts here.
#
# Work each result out on paper first, then write it below: a scalar result as an expression in
# a string (Python syntax: `*`, `**`, `exp`, `log`, `tanh`, `sigma` for the sigmoid), a matrix
# result as a small numpy function. The check cell derives the true result from the forward
# definition it states (with sympy, or by finite differences at random points) and tells you
# whether yours is right or what is off. No points: the graded questions come after.

# %% nbgrader={"grade_id": "derive", "grade": false, "solution": true, "locked": false, "schema_version": 3}
# dlse_dz1 = "...", def ce_vjp(logits, targets): ...
dlse_dz1 = ce_vjp = None
### BEGIN SOLUTION
dlse_dz1 = "exp(z1)/(exp(z1) + exp(z2))"


def ce_vjp(logits, targets):
    probs = np.exp(logits - logits.max(axis=1, keepdims=True))
    probs /= probs.sum(axis=1, keepdims=True)
    probs[np.arange(len(targets)), targets.astype(int)] -= 1
    return probs / len(targets)
### END SOLUTION

# %% nbgrader={"grade_id": "derive-check", "grade": false, "solution": false, "locked": true, "schema_version": 3}
derivations.symbolic("dlse_dz1", dlse_dz1, of="log(exp(z1) + exp(z2))", wrt="z1", symbols="z1 z2")


def mean_cross_entropy(logits, targets):  # the forward definition
    log_probs = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    return -np.mean(log_probs[np.arange(len(targets)), targets.astype(int)])


derivations.gradient("ce_vjp", ce_vjp, scalar=mean_cross_entropy, wrt="logits",
                     inputs={"logits": (4, 6), "targets": lambda rng: rng.integers(0, 6, size=4)});

# %% [markdown] nbgrader={"grade_id": "text-2", "grade": false, "solution": false, "locked": true, "schema_version": 3}
# ## 1. What the loss should be, before and after (3 points)
#
# A fresh model's output projection starts small, so its first logits are all close to 0.
#
# - Set `loss_copy_init`, the cross-entropy (in nats) of such a model on the copy task with
#   $V = 8$ tokens, and `loss_corpus_init`, the same on a corpus of 8 symbols plus `<unk>`.
# - The copy task is `x_1 ... x_n SEP x_1 ... x_n` with $n = 6$, the $x_i$ uniform over the 7
#   tokens $1 \dots 7$. Its mask scores only the copied half. Suppose it scored **every** one
#   of the $2n$ predictions (position $t$ predicting token $t + 1$). Set `best_unmasked`, the
#   lowest mean loss a model could reach then, in expectation. (Which predictions can a
#   perfect model make with certainty, and which can nobody make better than chance? The
#   positional encoding tells the model where it is.)

# %% nbgrader={"grade_id": "initial-loss", "grade": false, "solution": true, "locked": false, "schema_version": 3}
# loss_copy_init = ..., loss_corpus_init = ..., best_unmasked = ...
### BEGIN SOLUTION
loss_copy_init = np.log(8)              # logits 0: softmax is uniform over the V tokens
loss_corpus_init = np.log(9)            # 8 symbols and <unk>
# the 2n = 12 targets: x_2 ... x_n (5 of them, uniform over 7 tokens whatever the model does),
# SEP (always at position n: certain), then the n copies (certain)
best_unmasked = 5 * np.log(7) / 12
### END SOLUTION

# %% nbgrader={"grade_id": "initial-loss-check", "points": 3, "grade": true, "solution": false, "locked": true, "schema_version": 3}
if workbook.answered("initial-loss", "loss_copy_init loss_corpus_init best_unmasked"):
    for name in ("loss_copy_init", "loss_corpus_init", "best_unmasked"):
        assert isinstance(globals().get(name), (int, float, np.floating)), f"{name}: set it to a number"
    assert 0 < loss_copy_init < loss_corpus_init, "a larger vocabulary starts with a larger loss"
    assert 0 < best_unmasked < loss_copy_init, "best_unmasked: better than a fresh model, worse than perfect"
### BEGIN HIDDEN TESTS
assert abs(loss_copy_init - np.log(8)) < 1e-9, "loss_copy_init is not the loss of uniform predictions over 8 tokens"
assert abs(loss_corpus_init - np.log(9)) < 1e-9, "loss_corpus_init: count <unk> in the vocabulary"
assert abs(best_unmasked - 5 * np.log(7) / 12) < 1e-9, "best_unmasked: count the targets nothing can predict, and what each costs"
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade_id": "text-3", "grade": false, "solution": false, "locked": true, "schema_version": 3}
# ## 2. The size of a model (2 points)
#
# A model with $V = 10$, $D = 8$, 2 heads, **2 layers**, $d_\text{ff} = 32$, pre-norm and **tied**
# weights (the output projection is the embedding table, transposed). Its parameters are laid
# out as in the reading guide's table: the embedding table, the blocks (each: attention's four
# $D \times D$ matrices and four biases, the FFN's $W_1, b_1, W_2, b_2$, two layer norms'
# $\gamma$ and $\beta$), `w_out` (untied only), `b_out`, and the final layer norm (pre-norm only).
#
# Set `n_block`, the number of numbers in one block, and `n_params`, in the whole model.

# %% nbgrader={"grade_id": "model-size", "grade": false, "solution": true, "locked": false, "schema_version": 3}
# n_block = ..., n_params = ...
### BEGIN SOLUTION
n_block = (4 * 8 * 8 + 4 * 8) + (8 * 32 + 32 + 32 * 8 + 8) + 2 * (8 + 8)   # 288 + 552 + 32 = 872
n_params = 10 * 8 + 2 * n_block + 10 + 2 * 8   # embed, blocks, b_out, final norm: no w_out when tied
### END SOLUTION

# %% nbgrader={"grade_id": "model-size-check", "points": 2, "grade": true, "solution": false, "locked": true, "schema_version": 3}
if workbook.answered("model-size", "n_block n_params"):
    for name in ("n_block", "n_params"):
        assert isinstance(globals().get(name), (int, np.integer)), f"{name}: set it to a whole number"
    assert n_params > 2 * n_block, "n_params: two blocks and more"
### BEGIN HIDDEN TESTS
assert n_block == 872, "n_block: attention (weights and biases), the FFN's two layers, two norms"
assert n_params == 1850, "n_params: the table, the blocks, b_out and the final norm; a tied model has no w_out"
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade_id": "text-4", "grade": false, "solution": false, "locked": true, "schema_version": 3}
# ## 3. Adam by hand (3 points)
#
# One scalar parameter $p = 1$, Adam with $\eta = 0.1$, $\beta_1 = 0.9$, $\beta_2 = 0.999$,
# $\epsilon = 10^{-8}$ (small enough to ignore here), $m = v = 0$ at the start:
#
# $$m \leftarrow \beta_1 m + (1 - \beta_1) g, \quad v \leftarrow \beta_2 v + (1 - \beta_2) g^2, \quad
# p \leftarrow p - \eta\, \frac{m / (1 - \beta_1^t)}{\sqrt{v / (1 - \beta_2^t)} + \epsilon}.$$
#
# - Step $t = 1$ with gradient $g = 0.5$: set `m1`, `v1` and `p1`.
# - Set `p1_no_correction`, what step 1 would give without the bias correction
#   ($m$ and $v$ used as they are).
# - Step $t = 2$, from `p1` and the moments of step 1, with gradient $g = 2$: set `p2`.

# %% nbgrader={"grade_id": "adam", "grade": false, "solution": true, "locked": false, "schema_version": 3}
# m1 = ..., v1 = ..., p1 = ..., p1_no_correction = ..., p2 = ...
### BEGIN SOLUTION
m1 = 0.1 * 0.5                               # 0.05
v1 = 0.001 * 0.5 ** 2                        # 0.00025
p1 = 1 - 0.1 * (m1 / 0.1) / np.sqrt(v1 / 0.001)   # m_hat = g, v_hat = g^2: a step of exactly lr
p1_no_correction = 1 - 0.1 * m1 / np.sqrt(v1)      # 0.1 * 0.05 / 0.0158: about 3.16 lr
m2 = 0.9 * m1 + 0.1 * 2
v2 = 0.999 * v1 + 0.001 * 2 ** 2
p2 = p1 - 0.1 * (m2 / (1 - 0.9 ** 2)) / np.sqrt(v2 / (1 - 0.999 ** 2))
### END SOLUTION

# %% nbgrader={"grade_id": "adam-check", "points": 3, "grade": true, "solution": false, "locked": true, "schema_version": 3}
if workbook.answered("adam", "m1 v1 p1 p1_no_correction p2"):
    for name in ("m1", "v1", "p1", "p1_no_correction", "p2"):
        assert isinstance(globals().get(name), (int, float, np.floating)), f"{name}: set it to a number"
    assert m1 > 0 and v1 > 0, "m1, v1: a positive gradient gives positive moments"
    assert p1 < 1 and p2 < p1, "a positive gradient moves p down"
    assert p1_no_correction < p1, "without the correction the first step is larger: sqrt(v) is shrunk more than m"
### BEGIN HIDDEN TESTS
assert abs(m1 - 0.05) < 1e-12, "m1: (1 - beta1) g"
assert abs(v1 - 0.00025) < 1e-12, "v1: (1 - beta2) g^2"
assert abs(p1 - 0.9) < 1e-6, "p1: with the correction, the first step is lr times the sign of g"
assert abs(p1_no_correction - (1 - 0.1 * 0.05 / np.sqrt(0.00025))) < 1e-6, "p1_no_correction: m / sqrt(v) as they are"
m2_, v2_ = 0.9 * 0.05 + 0.1 * 2, 0.999 * 0.00025 + 0.001 * 4
assert abs(p2 - (0.9 - 0.1 * (m2_ / 0.19) / np.sqrt(v2_ / (1 - 0.999 ** 2)))) < 1e-6, \
    "p2: update both moments, then correct with beta^2 at t = 2"
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade_id": "text-5", "grade": false, "solution": false, "locked": true, "schema_version": 3}
# ## 4. Experiment: the loss at initialisation, and causality
#
# Karpathy's first check: a fresh model on 512 copy sequences should score about $\log 8$. An
# output projection started too large makes the model confidently wrong from step 0 (the loss
# below, with `w_out` multiplied by 10 and by 50). Then causality: changing the last input
# token must leave every earlier position's logits exactly as they were.
# (Needs your `init_model`, `model_forward`, `cross_entropy`, `next_token_loss` and `copy_batch`.)

# %%
with workbook.experiment("4. Experiment: the loss at initialisation, and causality"):
    from tiny_transformer import model as tm, tasks, train as tr
    from tiny_transformer.trees import tree_size

    config = tm.make_config(vocab_size=8, d_model=16, n_heads=2, n_layers=1, context=12)
    fresh = tm.init_model(config, seed=0)
    ids, mask = tasks.copy_batch(512, 6, 8, seed=1)
    print(f"{tree_size(fresh)} parameters; log 8 = {np.log(8):.4f}")
    for scale in (1, 10, 50):
        scaled = {**fresh, "w_out": scale * fresh["w_out"]}
        loss, _ = tm.next_token_loss(ids, scaled, config, mask)
        print(f"w_out x {scale:>2}: initial loss {loss:.4f}")

    logits, _ = tm.model_forward(ids[:1, :-1], fresh, config)
    changed = ids[:1, :-1].copy()
    changed[0, -1] = changed[0, -1] % 7 + 1
    logits_changed, _ = tm.model_forward(changed, fresh, config)
    moved = np.abs(logits_changed - logits).max(axis=-1)[0]
    print("largest change of the logits at each position:", moved)

# %% [markdown] nbgrader={"grade_id": "text-6", "grade": false, "solution": false, "locked": true, "schema_version": 3}
# ## 5. Experiment: learning to copy
#
# The reading guide's copy run (given: `train.copy_run`, which calls your `train_step`,
# `copy_batch` and `copy_accuracy`): 300 steps of 32 sequences, Adam at $\eta = 0.01$ with 20
# warm-up steps, a held-out check every 10 steps. The loss sits near $\log 8$ while attention
# has not found the token to copy, then drops; the gradient norm grows during the drop and
# collapses after.

# %%
with workbook.experiment("5. Experiment: learning to copy"):
    copy = tr.copy_run(seed=0)
    history = copy["history"]
    print(f"token accuracy {copy['accuracy']:.1%} on 1024 fresh sequences; 100 % first reached after "
          f"{copy['steps_to_100']} steps; {copy['steps_per_second']:.0f} training steps per second")

    fig, (top, bottom) = plt.subplots(2, 1, figsize=(8, 5.5), sharex=True, height_ratios=(3, 1.3),
                                      layout="constrained")
    steps = np.arange(1, history["loss"].size + 1)
    top.semilogy(steps, history["loss"], lw=1)
    top.axhline(np.log(8), color="k", linestyle=":", label="log 8: a fresh model")
    top.set(ylabel="cross-entropy (copied half)", title="copy task, n = 6, V = 8")
    top.legend()
    bottom.semilogy(steps, history["grad_norm"], color="tab:red", lw=1)
    bottom.axhline(1.0, color="grey", linestyle=":", lw=1)
    bottom.set(xlabel="step", ylabel="gradient norm\n(before clipping at 1)")
    plt.show()

# %% [markdown] nbgrader={"grade_id": "text-7", "grade": false, "solution": false, "locked": true, "schema_version": 3}
# ## 6. Experiment: what attention learned
#
# The trained model's one block, run by hand on one sequence: embed, add the positional
# encoding, the first layer norm (pre-norm), then your phase 2 multi-head attention with the
# causal mask, keeping its weights. Row $t$ is the query at position $t$; it predicts the token
# at $t + 1$, which is the token $n = 6$ positions before the query (white squares). From the
# separator on, a head that copies looks exactly there; a head with nothing to do tends to rest
# on one token, such as the separator.

# %%
with workbook.experiment("6. Experiment: what attention learned"):
    from phase2_attention.mask import causal_mask
    from phase2_attention.multi_head import multi_head_attention
    from phase3_transformer.embeddings import embed
    from phase3_transformer.positional_encoding import add_positional_encoding
    from phase3_transformer.transformer_block import layer_norm

    trained, config = copy["params"], copy["config"]
    seq, _ = tasks.copy_batch(1, 6, 8, seed=123)
    inputs = seq[:, :-1]
    x, _ = embed(inputs, trained["embed"], scale=True)
    x = add_positional_encoding(x)
    block = trained["blocks"][0]
    normed, _ = layer_norm(x, block["ln1_gamma"], block["ln1_beta"])
    _, attn_cache = multi_head_attention(normed, normed, block["attn"], config["n_heads"],
                                         mask=causal_mask(inputs.shape[1]))
    weights = attn_cache["weights"][0]  # (heads, queries, keys)

    labels = ["SEP" if t == 0 else str(t) for t in inputs[0]]
    fig, axes = plt.subplots(1, weights.shape[0], figsize=(10, 4.5), layout="constrained")
    for head, ax in enumerate(axes):
        image = ax.imshow(weights[head], cmap="viridis", vmin=0, vmax=1)
        queries = np.arange(6, 12)
        ax.scatter(queries - 6, queries, marker="s", s=90, facecolors="none", edgecolors="w")
        ax.set_xticks(range(len(labels)), labels)
        ax.set_yticks(range(len(labels)), labels)
        ax.set(xlabel="key (token read)", ylabel="query (position)", title=f"head {head}")
    fig.colorbar(image, ax=axes, shrink=0.8)
    plt.show()

# %% [markdown] nbgrader={"grade_id": "text-8", "grade": false, "solution": false, "locked": true, "schema_version": 3}
# ## 7. Experiment: a checkpoint, and sampling at several temperatures
#
# The trained model goes through a checkpoint (your `save_checkpoint` and `load_checkpoint`,
# one `.npz` file read without pickle), then continues prompts `x_1 ... x_6 SEP` with your
# `sample`. Greedy decoding (temperature 0) copies; sampling at a higher temperature flattens
# the softmax, and the copies start to go wrong.

# %%
with workbook.experiment("7. Experiment: a checkpoint, and sampling at several temperatures"):
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp:
        path = tr.save_checkpoint(str(Path(tmp) / "copy.npz"), copy["params"], copy["config"])
        loaded, loaded_config, _ = tr.load_checkpoint(path)
    prompt = np.array([7, 3, 5, 5, 5, 1, 0])
    print("prompt", prompt.tolist(), "-> greedy", tr.sample(loaded, loaded_config, prompt, 6, seed=0, temperature=0.0)[7:].tolist())
    print("                       at T = 3:", tr.sample(loaded, loaded_config, prompt, 6, seed=0, temperature=3.0)[7:].tolist())

    prompts, _ = tasks.copy_batch(30, 6, 8, seed=321)
    temperatures = [0.0, 1.0, 2.0, 3.0, 5.0]
    exact = []
    for temperature in temperatures:
        right = [np.array_equal(tr.sample(loaded, loaded_config, row[:7], 6, seed=i, temperature=temperature)[7:], row[7:])
                 for i, row in enumerate(prompts)]
        exact.append(np.mean(right))
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.plot(temperatures, exact, "o-")
    ax.set(xlabel="sampling temperature", ylabel="copies exactly right", ylim=(-0.05, 1.05),
           title="30 prompts, 6 tokens each")
    plt.show()

# %% [markdown] nbgrader={"grade_id": "text-9", "grade": false, "solution": false, "locked": true, "schema_version": 3}
# ## 8. Experiment: the learning rate
#
# The same model and batches trained 150 steps at three learning rates (your `train`, with 20
# warm-up steps and clipping at 1). Too small and attention has not found its target by the
# end; too large and Adam's steps of about $\eta$ per parameter throw the model around.

# %%
with workbook.experiment("8. Experiment: the learning rate"):
    task = {"kind": "copy", "n_tokens": 6, "vocab_size": 8}
    fig, ax = plt.subplots(figsize=(7, 4))
    for lr in (1e-3, 1e-2, 1e-1):
        params_lr, _, history_lr = tr.train(config, task, 150, seed=0, batch_size=32, lr=lr, warmup=20)
        accuracy = tasks.copy_accuracy(params_lr, config, 6, 512, seed=7)
        ax.semilogy(history_lr["loss"], lw=1, label=f"lr {lr:g}: accuracy {accuracy:.0%}")
    ax.set(xlabel="step", ylabel="training loss", title="copy task, 150 steps")
    ax.legend()
    plt.show()

# %% [markdown] nbgrader={"grade_id": "modules-intro", "grade": false, "solution": false, "locked": true, "schema_version": 3}
# ## Your modules, graded
#
# The cell below checks your `tiny_transformer` modules through the course's grader. While you work
# it runs the public tests (what `make check PHASE=tiny_transformer` runs); when your instructor
# grades the workbook it runs the hidden tests and gradient checks too (what `make grade`
# runs). The number it shows is your share of its 10 points.

# %% nbgrader={"grade_id": "modules", "points": 10, "grade": true, "solution": false, "locked": true, "schema_version": 3}
points = workbook.check_phase("tiny_transformer", out_of=10)
### BEGIN HIDDEN TESTS
points = workbook.grade_phase("tiny_transformer", out_of=10)
### END HIDDEN TESTS
points
