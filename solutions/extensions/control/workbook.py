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
# # Extension C workbook: a reward model, and a policy on a leash
#
# Work through this notebook next to `extensions/control/README.md`. **Answers** start with
# `# YOUR CODE HERE`: replace the `raise NotImplementedError()` line with numbers worked out on
# paper (arithmetic with `np.exp` and `np.log` is fine; no calls to your modules). The read-only
# **checks** after them catch obvious slips; more run when the course is graded.
# **Experiments** call your `control` modules (and Phase 1's network under the reward model);
# a few seconds in all.
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
# - The Bradley-Terry loss of one preference, item $w$ chosen over item $l$ with rewards $r_w$
#   and $r_l$: $L = -\log \sigma(r_w - r_l)$. `dL_drw` and `dL_drl`, in `rw` and `rl`.
# - `policy_gradient(theta, r)`: a softmax policy $\pi = \mathrm{softmax}(\theta)$ over K items
#   with rewards `r` (K,): return the gradient of the expected reward
#   $J(\theta) = \sum_a \pi_a r_a$ with respect to `theta` (K,).
#
# Work each result out on paper first, then write it below: a scalar result as an expression in
# a string (Python syntax: `*`, `**`, `exp`, `log`, `tanh`, `sigma` for the sigmoid), a matrix
# result as a small numpy function. The check cell derives the true result from the forward
# definition it states (with sympy, or by finite differences at random points) and tells you
# whether yours is right or what is off. No points: the graded questions come after.

# %% nbgrader={"grade_id": "derive", "grade": false, "solution": true, "locked": false, "schema_version": 3}
# dL_drw = "...", dL_drl = "...", def policy_gradient(theta, r): ...
dL_drw = dL_drl = policy_gradient = None
### BEGIN SOLUTION
dL_drw = "-sigma(rl - rw)"
dL_drl = "sigma(rl - rw)"


def policy_gradient(theta, r):
    pi = np.exp(theta - theta.max())
    pi /= pi.sum()
    return pi * (r - pi @ r)
### END SOLUTION

# %% nbgrader={"grade_id": "derive-check", "grade": false, "solution": false, "locked": true, "schema_version": 3}
derivations.symbolic("dL_drw", dL_drw, of="-log(sigma(rw - rl))", wrt="rw", symbols="rw rl")
derivations.symbolic("dL_drl", dL_drl, of="-log(sigma(rw - rl))", wrt="rl", symbols="rw rl")
derivations.gradient("policy_gradient", policy_gradient, wrt="theta", inputs={"theta": (4,), "r": (4,)},
                     scalar=lambda theta, r: np.sum(np.exp(theta) / np.exp(theta).sum() * r));

# %% [markdown] nbgrader={"grade_id": "text-2", "grade": false, "solution": false, "locked": true, "schema_version": 3}
# ## 1. The ranking loss on two pairs (3 points)
#
# Three items with rewards $r = (0, 1, 2)$. Two comparisons ($N = 2$): item 0 was chosen over
# item 1, and item 2 was chosen over item 0. With $\Delta_n = r_{c_n} - r_{\ell_n}$,
#
# $$L = \frac{1}{N}\sum_n -\log\sigma(\Delta_n), \qquad \frac{\partial L}{\partial r_{c_n}} = -\frac{\sigma(-\Delta_n)}{N}, \qquad \frac{\partial L}{\partial r_{\ell_n}} = +\frac{\sigma(-\Delta_n)}{N}.$$
#
# Set `loss_pairs`, the loss, and `dr`, the gradient $\partial L / \partial r$ of all three
# items (a list of 3 numbers: an item in two pairs collects from both).

# %% nbgrader={"grade_id": "ranking-loss", "grade": false, "solution": true, "locked": false, "schema_version": 3}
# loss_pairs = ..., dr = [...]
### BEGIN SOLUTION
sig = lambda z: 1 / (1 + np.exp(-z))
# pair 1: 0 over 1, delta = -1 (ranked wrong); pair 2: 2 over 0, delta = 2 (ranked right)
loss_pairs = (np.log(1 + np.exp(1)) + np.log(1 + np.exp(-2))) / 2
dr = [(-sig(1) + sig(-2)) / 2,   # item 0: chosen in pair 1, rejected in pair 2
      sig(1) / 2,                # item 1: rejected in pair 1
      -sig(-2) / 2]              # item 2: chosen in pair 2, already ranked right: a small push
### END SOLUTION

# %% nbgrader={"grade_id": "ranking-loss-check", "points": 3, "grade": true, "solution": false, "locked": true, "schema_version": 3}
if workbook.answered("ranking-loss", "loss_pairs dr"):
    assert isinstance(loss_pairs, (int, float, np.floating)), "loss_pairs: set it to a number"
    g = np.asarray(dr, dtype=float)
    assert g.shape == (3,), "dr: one number per item"
    assert loss_pairs > 0, "a -log of a probability below 1 is positive"
    assert abs(g.sum()) < 1e-9, "dr: only differences of rewards matter, so the gradient sums to 0"
    assert g[1] > 0 and g[2] < 0, "descent raises a chosen item's reward and lowers a rejected one's"
### BEGIN HIDDEN TESTS
s_ = lambda z: 1 / (1 + np.exp(-z))
assert abs(loss_pairs - (np.log1p(np.exp(1)) + np.log1p(np.exp(-2))) / 2) < 1e-9, "loss_pairs: the mean of log(1 + exp(-delta)) over the two pairs"
assert abs(g[1] - s_(1) / 2) < 1e-9, "dr of item 1: sigma(-delta) / N for the pair it lost"
assert abs(g[2] + s_(-2) / 2) < 1e-9, "dr of item 2: a pair ranked right by 2 pushes with sigma(-2)"
assert abs(g[0] - (s_(-2) - s_(1)) / 2) < 1e-9, "dr of item 0: add its two terms, one as a winner and one as a loser"
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade_id": "text-3", "grade": false, "solution": false, "locked": true, "schema_version": 3}
# ## 2. The score function and the exact gradient (2 points)
#
# A policy over three items with one feature each, $\phi = (-1, 0, 1)$, starting logits 0 and
# $\theta = \ln 2$: $\pi_\theta(k) \propto e^{\theta \phi_k}$.
#
# - Set `pi`, the three probabilities.
# - Set `score_2` $= \nabla_\theta \log\pi_\theta(2) = \phi_2 - \bar\phi$, with
#   $\bar\phi = \sum_j \pi_j \phi_j$.
# - With rewards $r = (0, 0, 1)$, set `grad_J`, the exact gradient of
#   $J(\theta) = \sum_k \pi_k r_k$: $\nabla J = \sum_k \pi_k r_k (\phi_k - \bar\phi)$.

# %% nbgrader={"grade_id": "score", "grade": false, "solution": true, "locked": false, "schema_version": 3}
# pi = [...], score_2 = ..., grad_J = ...
### BEGIN SOLUTION
pi = [1 / 7, 2 / 7, 4 / 7]         # e^(theta phi) = (1/2, 1, 2), sum 7/2
phi_bar = (-1 * 1 + 0 * 2 + 1 * 4) / 7
score_2 = 1 - phi_bar              # 4/7
grad_J = pi[2] * 1 * score_2       # only item 2 has a reward: 16/49
### END SOLUTION

# %% nbgrader={"grade_id": "score-check", "points": 2, "grade": true, "solution": false, "locked": true, "schema_version": 3}
if workbook.answered("score", "pi score_2 grad_J"):
    p = np.asarray(pi, dtype=float)
    assert p.shape == (3,) and abs(p.sum() - 1) < 1e-9, "pi: three probabilities summing to 1"
    assert np.all(np.diff(p) > 0), "pi: theta > 0 favours items with larger features"
    for name in ("score_2", "grad_J"):
        assert isinstance(globals().get(name), (int, float, np.floating)), f"{name}: set it to a number"
    assert 0 < score_2 < 2 and grad_J > 0, "score_2, grad_J: the rewarded item has the largest feature"
### BEGIN HIDDEN TESTS
assert np.allclose(p, [1 / 7, 2 / 7, 4 / 7]), "pi is not the softmax of theta * phi"
assert abs(score_2 - 4 / 7) < 1e-9, "score_2: the feature minus the policy's mean feature"
assert abs(grad_J - 16 / 49) < 1e-9, "grad_J: sum of pi_k r_k times the score of k"
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade_id": "text-4", "grade": false, "solution": false, "locked": true, "schema_version": 3}
# ## 3. The best policy on a leash (3 points)
#
# Over all distributions $\pi$, the maximiser of $\sum_k \pi_k r_k - \beta\, \mathrm{KL}(\pi \,\|\, \pi_0)$
# is $\pi^*(k) = \pi_0(k)\, e^{r_k/\beta} / Z$. Take $\pi_0 = (1/2, 1/4, 1/4)$ and
# $r = (0, \ln 2, \ln 4)$.
#
# - Set `pi_star_1` ($\beta = 1$) and `pi_star_half` ($\beta = 1/2$), lists of 3 probabilities.
# - Set `value_1`, the objective $\sum_k \pi^*_k r_k - \beta\, \mathrm{KL}(\pi^* \,\|\, \pi_0)$ at
#   $\beta = 1$. (Work it out; then compare with $\beta \log Z$.)

# %% nbgrader={"grade_id": "best-policy", "grade": false, "solution": true, "locked": false, "schema_version": 3}
# pi_star_1 = [...], pi_star_half = [...], value_1 = ...
### BEGIN SOLUTION
pi_star_1 = [1 / 4, 1 / 4, 1 / 2]       # pi_0 e^r = (1/2, 1/2, 1), Z = 2
pi_star_half = [1 / 11, 2 / 11, 8 / 11] # pi_0 e^(2r) = (1/2, 1, 4), Z = 11/2
expected = 0.25 * np.log(2) + 0.5 * np.log(4)
kl = 0.25 * np.log(0.5) + 0.25 * np.log(1) + 0.5 * np.log(2)
value_1 = expected - kl                 # = log 2 = beta log Z
### END SOLUTION

# %% nbgrader={"grade_id": "best-policy-check", "points": 3, "grade": true, "solution": false, "locked": true, "schema_version": 3}
if workbook.answered("best-policy", "pi_star_1 pi_star_half value_1"):
    a, b = np.asarray(pi_star_1, dtype=float), np.asarray(pi_star_half, dtype=float)
    assert a.shape == b.shape == (3,), "pi_star_1, pi_star_half: one probability per item"
    assert abs(a.sum() - 1) < 1e-9 and abs(b.sum() - 1) < 1e-9, "each is a distribution: it sums to 1"
    assert b[2] > a[2], "a smaller beta is a looser leash: more mass on the best reward"
    assert isinstance(value_1, (int, float, np.floating)), "value_1: set it to a number"
    assert value_1 <= np.log(4) + 1e-9, "value_1: no policy expects more than the largest reward"
### BEGIN HIDDEN TESTS
assert np.allclose(a, [0.25, 0.25, 0.5]), "pi_star_1 is not pi_0 exp(r) normalised"
assert np.allclose(b, [1 / 11, 2 / 11, 8 / 11]), "pi_star_half: the exponent is r / beta"
assert abs(value_1 - np.log(2)) < 1e-9, "value_1: expected reward minus beta times KL(pi* || pi_0)"
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade_id": "text-5", "grade": false, "solution": false, "locked": true, "schema_version": 3}
# ## 4. Experiment: the world
#
# 49 items on a $7 \times 7$ grid, coloured by the hidden utility
# $u(\phi) = w \cdot \phi - 0.5\lVert\phi\rVert^2$, $w = (1, 0.5)$, drawn as large as the
# starting policy $\pi_0$ makes them likely (your `policy_log_probs`). Labellers only ever
# compare what $\pi_0$ produces: the middle of the grid.

# %%
with workbook.experiment("4. Experiment: the world"):
    from control import experiment as ex, policy, preferences, reward_model

    world = ex.world()
    features, utility, probs = world["features"], world["utility"], world["probs"]
    sizes = 20 + 400 * probs / probs.max()
    print(f"pi_0 expects a true utility of {probs @ utility:.3f}; the best item has {utility.max():.2f}, "
          f"the worst {utility.min():.2f}")
    fig, ax = plt.subplots(figsize=(5.5, 4.6))
    points = ax.scatter(features[:, 0], features[:, 1], c=utility, s=sizes, cmap="viridis", edgecolors="k")
    fig.colorbar(points, ax=ax, label="hidden utility u")
    ax.set(xlabel="feature 1", ylabel="feature 2", title="size: probability under pi_0")
    ax.set_aspect("equal")
    plt.show()

# %% [markdown] nbgrader={"grade_id": "text-6", "grade": false, "solution": false, "locked": true, "schema_version": 3}
# ## 5. Experiment: reward models
#
# The reading guide's experiment (given: `control.experiment`) on three seeds instead of five:
# 500 choices drawn from $\pi_0$, a linear reward model $[2, 1]$ and an MLP $[2, 16, 1]$ trained
# on them with your ranking loss, scored on 2000 held-out pairs from $\pi_0$ and on 2000 pairs of
# uniformly drawn items, next to the hidden utility itself on the same noisy choices (the
# ceiling). Then, for seed 0, each model's reward against the true utility (rescaled: a
# reward's zero and scale mean nothing), dots as large as $\pi_0$ makes the item likely.

# %%
with workbook.experiment("5. Experiment: reward models"):
    results = ex.run(seeds=(0, 1, 2))
    print("reward model     | held out from pi_0 (ceiling) | uniform pairs (ceiling)")
    for name, runs in results["models"].items():
        mean = lambda key: np.mean([m[key] for m in runs])
        print(f"{name:16} | {mean('accuracy'):.3f} ({mean('ceiling'):.3f})            "
              f"| {mean('accuracy_uniform'):.3f} ({mean('ceiling_uniform'):.3f})")

    fig, axes = plt.subplots(1, 2, figsize=(11, 4.5), sharey=True, layout="constrained")
    for ax, (name, runs) in zip(axes, results["models"].items()):
        reward = runs[0]["rewards"]
        slope, offset = np.polyfit(reward, utility, 1, w=np.sqrt(probs))
        ax.scatter(utility, slope * reward + offset, s=sizes, c=np.log10(probs), cmap="magma", edgecolors="k")
        ax.plot([utility.min(), utility.max()], [utility.min(), utility.max()], ":", color="grey")
        ax.set(xlabel="hidden utility u", title=f"{name}: held-out accuracy {runs[0]['accuracy']:.1%}")
    axes[0].set_ylabel("learned reward, rescaled")
    plt.show()

# %% [markdown] nbgrader={"grade_id": "text-7", "grade": false, "solution": false, "locked": true, "schema_version": 3}
# ## 6. Experiment: REINFORCE, with and without a baseline
#
# At $\theta = 0$, against seed 0's linear reward **plus 10** (a reward's zero means nothing:
# every pair is ranked the same, and the exact gradient, your `expected_reward_gradient`, does
# not change): 300 REINFORCE estimates of $\nabla J$ from batches of 64 samples (your
# `sample_actions` and `reinforce_gradient`), without a baseline and with the leave-one-out
# baseline. Both clouds are centred on the exact gradient; without a baseline every sample
# pushes its own item up by about 10, and those pushes mostly cancel, noisily.

# %%
with workbook.experiment("6. Experiment: REINFORCE, with and without a baseline"):
    rewards = results["models"][ex.MAIN_MODEL][0]["rewards"]
    theta0, base = np.zeros(2), world["base"]
    shifted = rewards + 10.0
    exact = policy.expected_reward_gradient(theta0, features, base, shifted)
    log_pi = policy.policy_log_probs(theta0, features, base)
    plain, loo = [], []
    for i in range(300):
        actions = policy.sample_actions(log_pi, 64, [7, i])
        returns = shifted[actions]
        plain.append(policy.reinforce_gradient(theta0, features, base, actions, returns))
        leave_one_out = (returns.sum() - returns) / (returns.size - 1)
        loo.append(policy.reinforce_gradient(theta0, features, base, actions, returns, leave_one_out))
    plain, loo = np.array(plain), np.array(loo)
    fig, ax = plt.subplots(figsize=(5.5, 5))
    ax.scatter(*plain.T, s=8, alpha=0.5, label=f"no baseline: spread {plain.std(axis=0).sum():.2f}")
    ax.scatter(*loo.T, s=8, alpha=0.5, label=f"leave-one-out: spread {loo.std(axis=0).sum():.2f}")
    ax.plot(*exact, "k*", markersize=14, label="exact gradient")
    ax.set(xlabel="d/d theta_1", ylabel="d/d theta_2", title="300 estimates, 64 samples each")
    ax.legend(fontsize=8)
    plt.show()

# %% [markdown] nbgrader={"grade_id": "text-8", "grade": false, "solution": false, "locked": true, "schema_version": 3}
# ## 7. Experiment: the policy loop, with and without the leash
#
# Your `improve_policy` against the linear reward model: 300 steps of 64 samples, from
# $\pi_0$, with $\beta = 0$ and $\beta = 1$ (three seeds: the line is the mean, the band the
# range). The loop sees only the learned reward; the middle panel is what people would say.

# %%
with workbook.experiment("7. Experiment: the policy loop, with and without the leash"):
    fig, axes = plt.subplots(1, 3, figsize=(14, 4), layout="constrained")
    for beta, color in ((0.0, "#d62728"), (1.0, "#1f77b4")):
        runs = results["policies"][beta]
        for ax, curves in zip(axes, (
                [r["expected_reward"] - r["expected_reward"][0] for r in runs],
                [r["true_reward"] for r in runs],
                [r["kl"] for r in runs])):
            curves = np.array(curves)
            ax.plot(curves.mean(axis=0), color=color, label=f"beta = {beta:g}")
            ax.fill_between(np.arange(curves.shape[1]), curves.min(axis=0), curves.max(axis=0),
                            color=color, alpha=0.2, linewidth=0)
    axes[1].axhline(utility.max(), color="grey", linestyle=":", label="best item")
    for ax, title in zip(axes, ("learned reward the policy expects (gain)", "hidden utility the policy expects",
                                "KL(pi || pi_0)")):
        ax.set(xlabel="REINFORCE step", title=title)
        ax.legend()
    plt.show()

# %% [markdown] nbgrader={"grade_id": "text-9", "grade": false, "solution": false, "locked": true, "schema_version": 3}
# ## 8. Experiment: where each $\beta$ ends, and the optimum
#
# The final hidden utility and KL of every $\beta$ (mean over the three seeds). With $\beta > 0$
# the loop should end at $\pi^* = \pi_0 e^{r/\beta}/Z$ (your `optimal_policy`): the printed
# distance is $\sum_k |\pi_k - \pi^*_k|$ for $\beta = 1$.

# %%
with workbook.experiment("8. Experiment: where each beta ends, and the optimum"):
    betas = list(results["policies"])
    final_true = [np.mean([r["true_reward"][-1] for r in results["policies"][b]]) for b in betas]
    final_kl = [np.mean([r["kl"][-1] for r in results["policies"][b]]) for b in betas]
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.8), layout="constrained")
    left.plot(range(len(betas)), final_true, "o-", color="#2ca02c")
    left.axhline(probs @ utility, color="grey", linestyle=":", label="pi_0")
    left.set(ylabel="hidden utility, final", title="what people get")
    left.legend()
    right.semilogy(range(len(betas)), final_kl, "o-", color="#9467bd")
    right.set(ylabel="KL(pi || pi_0), final", title="how far the policy went")
    for ax in (left, right):
        ax.set_xticks(range(len(betas)), [f"{b:g}" for b in betas])
        ax.set_xlabel("beta")
    plt.show()

    run = results["policies"][1.0][0]
    final = np.exp(policy.policy_log_probs(run["thetas"][-1], features, base))
    print(f"beta = 1, seed 0: sum |pi - pi*| = {np.abs(final - policy.optimal_policy(base, rewards, 1.0)).sum():.1e}")

# %% [markdown] nbgrader={"grade_id": "modules-intro", "grade": false, "solution": false, "locked": true, "schema_version": 3}
# ## Your modules, graded
#
# The cell below checks your `control` modules through the course's grader. While you work
# it runs the public tests (what `make check PHASE=control` runs); when your instructor
# grades the workbook it runs the hidden tests and gradient checks too (what `make grade`
# runs). The number it shows is your share of its 10 points.

# %% nbgrader={"grade_id": "modules", "points": 10, "grade": true, "solution": false, "locked": true, "schema_version": 3}
points = workbook.check_phase("control", out_of=10)
### BEGIN HIDDEN TESTS
points = workbook.grade_phase("control", out_of=10)
### END HIDDEN TESTS
points
