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
# # Extension B workbook: distillation
#
# Work through this notebook next to `extensions/distillation/README.md`. **Answers** start with
# `# YOUR CODE HERE`: replace the `raise NotImplementedError()` line with numbers worked out on
# paper (arithmetic with `np.exp` and `np.log` is fine; no calls to your modules). The read-only
# **checks** after them catch obvious slips; more run when the course is graded.
# **Experiments** train a teacher and students with your `distillation` modules (and Phase 1's
# network under them); about ten seconds in all.
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
# - Two classes, so one logit margin each: the student's $s$ and the teacher's $t$. At a
#   temperature $T$ their soft targets are $q = \sigma(s/T)$ and $p = \sigma(t/T)$, and the soft
#   term is $T^2\,\mathrm{KL}(p \,\|\, q) = T^2\left[p \log\frac{p}{q} + (1 - p)\log\frac{1-p}{1-q}\right]$.
#   `dsoft_ds`: its derivative in $s$, in `s`, `t` and `T`.
# - `soft_vjp(s, t, T)`: the same with K classes, $p = \mathrm{softmax}(t/T)$,
#   $q = \mathrm{softmax}(s/T)$ for logits `s` and `t` (K,): return the gradient of
#   $T^2 \sum_j p_j \log(p_j/q_j)$ with respect to `s`.
#
# Work each result out on paper first, then write it below: a scalar result as an expression in
# a string (Python syntax: `*`, `**`, `exp`, `log`, `tanh`, `sigma` for the sigmoid), a matrix
# result as a small numpy function. The check cell derives the true result from the forward
# definition it states (with sympy, or by finite differences at random points) and tells you
# whether yours is right or what is off. No points: the graded questions come after.

# %% nbgrader={"grade_id": "derive", "grade": false, "solution": true, "locked": false, "schema_version": 3}
# dsoft_ds = "...", def soft_vjp(s, t, T): ...
dsoft_ds = soft_vjp = None
### BEGIN SOLUTION
dsoft_ds = "T*(sigma(s/T) - sigma(t/T))"


def soft_vjp(s, t, T):
    q = np.exp(s / T - np.max(s / T))
    p = np.exp(t / T - np.max(t / T))
    return T * (q / q.sum() - p / p.sum())
### END SOLUTION

# %% nbgrader={"grade_id": "derive-check", "grade": false, "solution": false, "locked": true, "schema_version": 3}
derivations.symbolic("dsoft_ds", dsoft_ds, wrt="s", symbols="s t T", positive=("T",),
                     of="T**2*(sigma(t/T)*log(sigma(t/T)/sigma(s/T)) + (1 - sigma(t/T))*log((1 - sigma(t/T))/(1 - sigma(s/T))))")


def soft_term(s, t, T):  # the forward definition
    p, q = np.exp(t / T) / np.exp(t / T).sum(), np.exp(s / T) / np.exp(s / T).sum()
    return T ** 2 * np.sum(p * np.log(p / q))


derivations.gradient("soft_vjp", soft_vjp, scalar=soft_term, wrt="s",
                     inputs={"s": (5,), "t": (5,), "T": lambda rng: rng.uniform(1, 5)});

# %% [markdown] nbgrader={"grade_id": "text-2", "grade": false, "solution": false, "locked": true, "schema_version": 3}
# ## 1. Softmax at a temperature (2 points)
#
# A teacher's logits for one point are $z = (4, 2, 0)$. With
# $p = \mathrm{softmax}(z / T)$, set `p_T1` (at $T = 1$) and `p_T4` (at $T = 4$), each a list
# of 3 probabilities.

# %% nbgrader={"grade_id": "softmax-t", "grade": false, "solution": true, "locked": false, "schema_version": 3}
# p_T1 = [...], p_T4 = [...]
### BEGIN SOLUTION
e1 = np.exp([4.0, 2.0, 0.0])
p_T1 = list(e1 / e1.sum())            # about (0.867, 0.117, 0.016)
e4 = np.exp([1.0, 0.5, 0.0])          # the logits divided by 4
p_T4 = list(e4 / e4.sum())            # about (0.507, 0.307, 0.186): same order, flatter
### END SOLUTION

# %% nbgrader={"grade_id": "softmax-t-check", "points": 2, "grade": true, "solution": false, "locked": true, "schema_version": 3}
if workbook.answered("softmax-t", "p_T1 p_T4"):
    a, b = np.asarray(p_T1, dtype=float), np.asarray(p_T4, dtype=float)
    assert a.shape == (3,) and b.shape == (3,), "p_T1, p_T4: one probability per class"
    assert abs(a.sum() - 1) < 1e-9 and abs(b.sum() - 1) < 1e-9, "each is a distribution: it sums to 1"
    assert np.all(np.diff(a) < 0) and np.all(np.diff(b) < 0), "a temperature never changes the order of the classes"
    assert b.max() < a.max(), "a higher temperature makes the distribution flatter"
### BEGIN HIDDEN TESTS
assert np.allclose(a, np.exp([4, 2, 0]) / np.exp([4, 2, 0]).sum()), "p_T1 is not the softmax of z"
assert np.allclose(b, np.exp([1, 0.5, 0]) / np.exp([1, 0.5, 0]).sum()), "p_T4: divide the logits by T before the softmax"
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade_id": "text-3", "grade": false, "solution": false, "locked": true, "schema_version": 3}
# ## 2. The KL, both ways round (2 points)
#
# $\mathrm{KL}(p \,\|\, q) = \sum_i p_i \log(p_i / q_i)$, in nats. With a teacher's
# $p = (0.7, 0.2, 0.1)$ and a student's $q = (0.4, 0.4, 0.2)$, set `kl_pq`
# $= \mathrm{KL}(p \,\|\, q)$ (the distillation term) and `kl_qp` $= \mathrm{KL}(q \,\|\, p)$.

# %% nbgrader={"grade_id": "kl", "grade": false, "solution": true, "locked": false, "schema_version": 3}
# kl_pq = ..., kl_qp = ...
### BEGIN SOLUTION
kl_pq = 0.7 * np.log(0.7 / 0.4) + 0.2 * np.log(0.2 / 0.4) + 0.1 * np.log(0.1 / 0.2)   # about 0.184
kl_qp = 0.4 * np.log(0.4 / 0.7) + 0.4 * np.log(0.4 / 0.2) + 0.2 * np.log(0.2 / 0.1)   # about 0.192
### END SOLUTION

# %% nbgrader={"grade_id": "kl-check", "points": 2, "grade": true, "solution": false, "locked": true, "schema_version": 3}
if workbook.answered("kl", "kl_pq kl_qp"):
    for name in ("kl_pq", "kl_qp"):
        assert isinstance(globals().get(name), (int, float, np.floating)), f"{name}: set it to a number"
    assert kl_pq > 0 and kl_qp > 0, "a KL between two different distributions is positive"
    assert abs(kl_pq - kl_qp) > 1e-4, "the KL is not symmetric: the two directions differ here"
### BEGIN HIDDEN TESTS
p_, q_ = np.array([0.7, 0.2, 0.1]), np.array([0.4, 0.4, 0.2])
assert abs(kl_pq - np.sum(p_ * np.log(p_ / q_))) < 1e-6, "kl_pq: the expectation is under p, the teacher"
assert abs(kl_qp - np.sum(q_ * np.log(q_ / p_))) < 1e-6, "kl_qp: the expectation is under q"
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade_id": "text-4", "grade": false, "solution": false, "locked": true, "schema_version": 3}
# ## 3. The soft term's gradient, and why $T^2$ (3 points)
#
# One point ($N = 1$), three classes, a teacher with logits $t = (2, 0, -2)$ and a student
# that starts at $s = (0, 0, 0)$. The soft term is $\mathrm{KL}(\mathrm{softmax}(t/T) \,\|\,
# \mathrm{softmax}(s/T))$ and its gradient with respect to the student's logits is
# $(q - p)/T$ (the reading guide derives it).
#
# - Set `g2`, that gradient at $T = 2$, and `g20`, at $T = 20$ (lists of 3 numbers).
# - For large $T$, $T^2$ times the gradient tends to a limit that depends on $s - t$ only (the
#   reading guide's expansion). Set `limit`, that limit here (3 numbers).
#
# Compare the sizes of `g2` and `g20`: that is what the $T^2$ in the loss makes up for.

# %% nbgrader={"grade_id": "soft-gradient", "grade": false, "solution": true, "locked": false, "schema_version": 3}
# g2 = [...], g20 = [...], limit = [...]
### BEGIN SOLUTION
q = np.full(3, 1 / 3)                               # the student's logits are equal: uniform at any T
p2 = np.exp([1.0, 0.0, -1.0]) / np.exp([1.0, 0.0, -1.0]).sum()
g2 = list((q - p2) / 2)
p20 = np.exp([0.1, 0.0, -0.1]) / np.exp([0.1, 0.0, -0.1]).sum()
g20 = list((q - p20) / 20)                          # about 100 times smaller than g2
limit = [(0 - 2) / 3, 0.0, (0 + 2) / 3]             # (s - t) / C: matching the logits
### END SOLUTION

# %% nbgrader={"grade_id": "soft-gradient-check", "points": 3, "grade": true, "solution": false, "locked": true, "schema_version": 3}
if workbook.answered("soft-gradient", "g2 g20 limit"):
    a, b, c = (np.asarray(v, dtype=float) for v in (g2, g20, limit))
    assert a.shape == b.shape == c.shape == (3,), "g2, g20, limit: one number per class"
    assert abs(a.sum()) < 1e-9 and abs(b.sum()) < 1e-9, "a gradient of (q - p) / T sums to 0 over the classes"
    assert a[0] < 0 and b[0] < 0, "descent should raise the student's logit of the teacher's favourite class"
    assert np.abs(b).max() < np.abs(a).max() / 10, "the gradient shrinks as T grows"
    assert np.allclose(400 * b, c, atol=0.05), "limit: T^2 g20 should already be close to the limit"
### BEGIN HIDDEN TESTS
def grad_(temperature):
    z = np.array([2.0, 0.0, -2.0]) / temperature
    p = np.exp(z) / np.exp(z).sum()
    return (1 / 3 - p) / temperature
assert np.allclose(a, grad_(2)), "g2 is not (q - p) / T at T = 2"
assert np.allclose(b, grad_(20), atol=1e-7), "g20 is not (q - p) / T at T = 20"
assert np.allclose(c, [-2 / 3, 0, 2 / 3]), "limit is not (s - t) / C"
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade_id": "text-5", "grade": false, "solution": false, "locked": true, "schema_version": 3}
# ## 4. Experiment: teacher, student, distilled student
#
# The reading guide's experiment (given: `distillation.experiment`, which calls your
# `train_student` and Phase 1's `train`) on **two** seeds instead of five, and three temperatures:
# four spirals, 15 training points per arm, 1000 held-out points; a teacher of 4612 parameters,
# students of 172 that start from the same weights; $\alpha = 0.9$. Each dot is one seed; the
# lines are the means. Two seeds are few: the reading guide's table has five.

# %%
with workbook.experiment("4. Experiment: teacher, student, distilled student"):
    from distillation import experiment as ex

    temperatures = (1.0, 4.0, 12.0)
    results = ex.run(seeds=(0, 1), temperatures=temperatures)
    for seed, r in zip((0, 1), results):
        print(f"seed {seed}: teacher {r['teacher']:.3f}, hard labels {r['hard']:.3f}, distilled "
              + ", ".join(f"T={t:g} {r['distilled'][t]:.3f}" for t in temperatures))

    distilled = np.array([[r["distilled"][t] for t in temperatures] for r in results])  # (seeds, T)
    fig, ax = plt.subplots(figsize=(7, 4.2))
    for row in distilled:
        ax.plot(temperatures, row, "o", color="#1f77b4", alpha=0.5)
    ax.plot(temperatures, distilled.mean(axis=0), "-", color="#1f77b4", label="distilled student (mean)")
    for key, color, label in (("teacher", "#2ca02c", "teacher"), ("hard", "#d62728", "student, hard labels")):
        ax.axhline(np.mean([r[key] for r in results]), color=color, label=label)
    ax.set_xscale("log")
    ax.set_xticks(temperatures, [f"{t:g}" for t in temperatures])
    ax.minorticks_off()
    ax.set(xlabel="temperature T", ylabel="held-out accuracy", title="four spirals, 60 training points")
    ax.legend(loc="lower left")
    plt.show()

# %% [markdown] nbgrader={"grade_id": "text-6", "grade": false, "solution": false, "locked": true, "schema_version": 3}
# ## 5. Experiment: what the temperature does to the teacher's outputs
#
# The teacher's softmax (your `softmax_t`) on three of its training points, from the least to
# the most sure, at $T = 1$, 4 and 12. At $T = 1$ the wrong classes are nearly invisible; at
# $T = 4$ their shape shows; at $T = 12$ everything drifts towards uniform.

# %%
with workbook.experiment("5. Experiment: what the temperature does to the teacher's outputs"):
    from distillation.temperature import softmax_t

    first = results[0]
    x, y = first["data"]
    logits = first["teacher_logits"]
    top = np.sort(np.abs(logits), axis=1)[:, -1]
    shown = [int(np.argmin(np.abs(top - q))) for q in np.quantile(top, [0.2, 0.5, 0.8])]
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.4), sharey=True, layout="constrained")
    for ax, index in zip(axes, shown):
        for j, temperature in enumerate((1.0, 4.0, 12.0)):
            probs = softmax_t(logits[index:index + 1], temperature)[0]
            ax.bar(np.arange(4) + (j - 1) * 0.25, probs, 0.25, label=f"T = {temperature:g}")
        ax.set_xticks(range(4))
        ax.set(xlabel=f"class (label {y[index]})", title=f"training point {index}")
    axes[0].set_ylabel("teacher's probability")
    axes[0].legend()
    plt.show()

# %% [markdown] nbgrader={"grade_id": "text-7", "grade": false, "solution": false, "locked": true, "schema_version": 3}
# ## 6. Experiment: decision regions
#
# Seed 0's teacher, hard-label student and student distilled at $T = 4$, over the 60 training
# points. Both students get every training point right; they differ between the points, where
# only the teacher's soft targets said anything.

# %%
with workbook.experiment("6. Experiment: decision regions"):
    from matplotlib.colors import ListedColormap
    from phase1_backprop.train import predict

    gx, gy = np.meshgrid(np.linspace(-1.3, 1.3, 160), np.linspace(-1.3, 1.3, 160))
    grid = np.stack([gx.ravel(), gy.ravel()], axis=1)
    titles = {"teacher": f"teacher: {first['teacher']:.1%}", "hard": f"hard labels: {first['hard']:.1%}",
              "distilled": f"distilled at T = 4: {first['distilled'][4.0]:.1%}"}
    fig, axes = plt.subplots(1, 3, figsize=(13, 4.4), layout="constrained")
    for ax, (key, title) in zip(axes, titles.items()):
        regions = predict(first["params"][key], grid).reshape(gx.shape)
        ax.contourf(gx, gy, regions, levels=np.arange(5) - 0.5,
                    cmap=ListedColormap(["#f6c9c9", "#c6dcef", "#cbeacb", "#e2d6ee"]))
        ax.scatter(x[:, 0], x[:, 1], c=y, cmap=ListedColormap(["#d62728", "#1f77b4", "#2ca02c", "#9467bd"]),
                   edgecolors="k", s=30)
        ax.set_title(f"{title} held out", fontsize=10)
        ax.set_aspect("equal")
    plt.show()

# %% [markdown] nbgrader={"grade_id": "text-8", "grade": false, "solution": false, "locked": true, "schema_version": 3}
# ## 7. Experiment: the size of the soft gradient, with and without $T^2$
#
# Your `distillation_kl` on seed 0's teacher logits and a fresh student's logits, at
# temperatures from 1 to 64: the norm of the soft term's gradient, and the same times $T^2$.
# Without the factor, raising $T$ would quietly switch the soft term off.

# %%
with workbook.experiment("7. Experiment: the size of the soft gradient, with and without T^2"):
    from distillation.loss import distillation_kl
    from phase1_backprop.forward import mlp_forward
    from phase1_backprop.train import init_params

    student_logits, _ = mlp_forward(x, init_params(ex.STUDENT, 0, "he"))
    sweep = [1, 2, 4, 8, 16, 32, 64]
    norms = np.array([np.linalg.norm(distillation_kl(student_logits, logits, t)[1]) for t in sweep])
    fig, ax = plt.subplots(figsize=(6.5, 3.8))
    ax.loglog(sweep, norms, "o-", label="gradient of the KL term")
    ax.loglog(sweep, norms * np.square(sweep), "o-", label="times T^2")
    ax.set_xticks(sweep, [str(t) for t in sweep])
    ax.minorticks_off()
    ax.set(xlabel="temperature T", ylabel="gradient norm (all 60 points)")
    ax.legend()
    plt.show()

# %% [markdown] nbgrader={"grade_id": "text-9", "grade": false, "solution": false, "locked": true, "schema_version": 3}
# ## 8. Experiment: a student that never sees a label
#
# $\alpha = 1$: the soft term alone, at $T = 4$, seed 0. The student learns the task from the
# teacher's outputs only (the reading guide's question 4).

# %%
with workbook.experiment("8. Experiment: a student that never sees a label"):
    from distillation.train import train_student
    from phase1_backprop.train import accuracy, make_spirals

    x_test, y_test = make_spirals(ex.N_HELD_OUT, ex.N_CLASSES, seed=1000)
    soft_only = train_student(x, y, ex.STUDENT, logits, temperature=4.0, alpha=1.0, seed=0, **ex.TRAINING)
    print(f"soft targets only: held-out accuracy {accuracy(mlp_forward(x_test, soft_only['params'])[0], y_test):.3f}, "
          f"training accuracy {accuracy(mlp_forward(x, soft_only['params'])[0], y):.3f} "
          f"(hard labels only: {first['hard']:.3f} held out)")

# %% [markdown] nbgrader={"grade_id": "modules-intro", "grade": false, "solution": false, "locked": true, "schema_version": 3}
# ## Your modules, graded
#
# The cell below checks your `distillation` modules through the course's grader. While you work
# it runs the public tests (what `make check PHASE=distillation` runs); when your instructor
# grades the workbook it runs the hidden tests and gradient checks too (what `make grade`
# runs). The number it shows is your share of its 10 points.

# %% nbgrader={"grade_id": "modules", "points": 10, "grade": true, "solution": false, "locked": true, "schema_version": 3}
points = workbook.check_phase("distillation", out_of=10)
### BEGIN HIDDEN TESTS
points = workbook.grade_phase("distillation", out_of=10)
### END HIDDEN TESTS
points
