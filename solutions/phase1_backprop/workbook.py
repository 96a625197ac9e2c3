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
# # Phase 1 workbook: backpropagation by hand, then a network that learns
#
# Work through this notebook next to `phase1_backprop/README.md`. **Answers** start with
# `# YOUR CODE HERE`: replace the `raise NotImplementedError()` line with numbers worked out on
# paper (arithmetic with `np.exp` is fine; no calls to your modules). The read-only **checks**
# after them catch obvious slips; more run when the course is graded. **Experiments** train
# networks with your `phase1_backprop` modules.
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
# - `dsigmoid`: $\frac{d}{dz}\sigma(z)$ with $\sigma(z) = 1/(1 + e^{-z})$; `dtanh`:
#   $\frac{d}{dz}\tanh z$. Write each in `z` (you may use `sigma(z)` and `tanh(z)`).
# - A sigmoid output $p = \sigma(z)$ and a target $y \in \{0, 1\}$: `dz_squared` for
#   $L = (p - y)^2$ and `dz_crossentropy` for $L = -y \log p - (1 - y)\log(1 - p)$, both
#   $\partial L/\partial z$ in `z` and `y`. Section 2 and the XOR experiment use the difference.
# - `linear_vjp(x, w, b, dout)`: for the layer $\mathrm{out} = x w + b$ with `x` (N, D), `w`
#   (D, M), `b` (M,) and `dout` (N, M), return `(dx, dw, db)`.
#
# Work each result out on paper first, then write it below: a scalar result as an expression in
# a string (Python syntax: `*`, `**`, `exp`, `log`, `tanh`, `sigma` for the sigmoid), a matrix
# result as a small numpy function. The check cell derives the true result from the forward
# definition it states (with sympy, or by finite differences at random points) and tells you
# whether yours is right or what is off. No points: the graded questions come after.

# %% nbgrader={"grade_id": "derive", "grade": false, "solution": true, "locked": false, "schema_version": 3}
# dsigmoid = "...", dtanh = "...", dz_squared = "...", dz_crossentropy = "...", def linear_vjp(x, w, b, dout): ...
dsigmoid = dtanh = dz_squared = dz_crossentropy = linear_vjp = None
### BEGIN SOLUTION
dsigmoid = "sigma(z)*(1 - sigma(z))"
dtanh = "1 - tanh(z)**2"
dz_squared = "2*(sigma(z) - y)*sigma(z)*(1 - sigma(z))"
dz_crossentropy = "sigma(z) - y"


def linear_vjp(x, w, b, dout):
    return dout @ w.T, x.T @ dout, dout.sum(axis=0)
### END SOLUTION

# %% nbgrader={"grade_id": "derive-check", "grade": false, "solution": false, "locked": true, "schema_version": 3}
derivations.symbolic("dsigmoid", dsigmoid, of="sigma(z)", wrt="z", symbols="z")
derivations.symbolic("dtanh", dtanh, of="tanh(z)", wrt="z", symbols="z")
derivations.symbolic("dz_squared", dz_squared, of="(sigma(z) - y)**2", wrt="z", symbols="z y")
derivations.symbolic("dz_crossentropy", dz_crossentropy, of="-y*log(sigma(z)) - (1 - y)*log(1 - sigma(z))",
                     wrt="z", symbols="z y")
derivations.gradient("linear_vjp", linear_vjp, scalar=lambda x, w, b, dout: np.sum(dout * (x @ w + b)),
                     inputs={"x": (5, 3), "w": (3, 4), "b": (4,), "dout": (5, 4)}, wrt=("x", "w", "b"));

# %% [markdown] nbgrader={"grade_id": "text-2", "grade": false, "solution": false, "locked": true, "schema_version": 3}
# ## 1. The chain rule through one neuron (3 points)
#
# One input $x = 2$, one ReLU neuron with $w = -1$, $b = 3$, and a squared error against the
# target $y = 3$:
#
# $$z = w x + b, \qquad h = \max(0, z), \qquad L = (h - y)^2 .$$
#
# Going backwards: set `dh` $= \partial L/\partial h$, `dz`, `dw`, `db` and `dx`
# $= \partial L/\partial x$ (what this neuron would pass to a layer before it).

# %% nbgrader={"grade_id": "one-neuron", "grade": false, "solution": true, "locked": false, "schema_version": 3}
# dh = ..., dz = ..., dw = ..., db = ..., dx = ...
### BEGIN SOLUTION
z = -1 * 2 + 3          # 1 > 0: the ReLU passes the gradient through
h = max(0, z)           # 1
dh = 2 * (h - 3)        # -4
dz = dh * 1             # ReLU'(1) = 1
dw = dz * 2             # times x: -8
db = dz                 # -4
dx = dz * -1            # times w: 4
### END SOLUTION

# %% nbgrader={"grade_id": "one-neuron-check", "points": 3, "grade": true, "solution": false, "locked": true, "schema_version": 3}
if workbook.answered("one-neuron", "dh dz dw db dx"):
    for name in ("dh", "dz", "dw", "db", "dx"):
        assert isinstance(globals().get(name), (int, float)), f"{name}: set it to a number"
    assert abs(dw - 2 * dz) < 1e-9, "dw: z = w x + b, so dL/dw is dL/dz times x"
    assert abs(db - dz) < 1e-9, "db: z = w x + b, so dL/db is dL/dz"
    print("dw and db follow from your dz")
    at = {"w": -1, "b": 3, "x": 2, "y": 3}
    for name, answer in (("dw", dw), ("db", db), ("dx", dx)):
        derivations.value(name, answer, of="(Max(0, w*x + b) - y)**2", wrt=name[1], at=at, symbols="w b x y")
### BEGIN HIDDEN TESTS
assert abs(dh - -4) < 1e-9, "dh is not the derivative of the squared error at h"
assert abs(dz - -4) < 1e-9, "dz: is the ReLU active at z = 1?"
assert abs(dx - 4) < 1e-9, "dx: z = w x + b, so dL/dx is dL/dz times w"
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade_id": "text-3", "grade": false, "solution": false, "locked": true, "schema_version": 3}
# ## 2. A saturated sigmoid: MSE against cross-entropy (3 points)
#
# A sigmoid output $p = \sigma(z) = 1/(1 + e^{-z})$ is badly wrong: $z = -4$ while the target
# is 1. Compare the gradient that reaches $z$ under two losses (section 0 derived both):
#
# - squared error $L = (p - 1)^2$: set `dz_mse` $= \partial L/\partial z$;
# - binary cross-entropy $L = -\log p$: set `dz_ce` $= \partial L/\partial z$.
#
# Then `ratio` $=$ `dz_ce / dz_mse`: how much faster cross-entropy pulls at this point.

# %% nbgrader={"grade_id": "saturation", "grade": false, "solution": true, "locked": false, "schema_version": 3}
# dz_mse = ..., dz_ce = ..., ratio = ...
### BEGIN SOLUTION
p = 1 / (1 + np.exp(4))              # sigma(-4), about 0.018
dz_mse = 2 * (p - 1) * p * (1 - p)   # the sigmoid's slope p (1 - p) is tiny here
dz_ce = p - 1                        # -1/p * p (1 - p) = p - 1: the slope cancels
ratio = dz_ce / dz_mse
### END SOLUTION

# %% nbgrader={"grade_id": "saturation-check", "points": 3, "grade": true, "solution": false, "locked": true, "schema_version": 3}
if workbook.answered("saturation", "dz_mse dz_ce ratio"):
    for name in ("dz_mse", "dz_ce", "ratio"):
        assert isinstance(globals().get(name), (int, float, np.floating)), f"{name}: set it to a number"
    assert dz_mse < 0 and dz_ce < 0, "both gradients push z up (towards the target): they are negative"
    assert abs(ratio - dz_ce / dz_mse) < 1e-9, "ratio is dz_ce / dz_mse"
    derivations.value("dz_mse", dz_mse, of="(sigma(z) - 1)**2", wrt="z", at={"z": -4}, symbols="z")
    derivations.value("dz_ce", dz_ce, of="-log(sigma(z))", wrt="z", at={"z": -4}, symbols="z")
### BEGIN HIDDEN TESTS
sig = 1 / (1 + np.exp(4))
assert abs(dz_ce - (sig - 1)) < 1e-9, "dz_ce is not p - 1 at z = -4"
assert abs(dz_mse - 2 * (sig - 1) * sig * (1 - sig)) < 1e-9, "dz_mse: the chain rule through the sigmoid"
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade_id": "text-4", "grade": false, "solution": false, "locked": true, "schema_version": 3}
# ## 3. Experiment: XOR with MSE and with cross-entropy
#
# The same network (2-8-2, sigmoid hidden units, seed 0, learning rate 2) trained on the four
# XOR points with sigmoid outputs and squared error, and with softmax cross-entropy. The losses
# live on different scales: both curves start at 1. Then the decision regions each network
# learned. (Needs exercises 1.1 to 1.4c: `forward`, `backward` and `train`.)

# %%
with workbook.experiment("3. Experiment: XOR with MSE and with cross-entropy"):
    from matplotlib.colors import ListedColormap
    from phase1_backprop import train as tr

    def regions(ax, params, activation, x, y, title):
        lo, hi = x.min(axis=0) - 0.5, x.max(axis=0) + 0.5
        gx, gy = np.meshgrid(np.linspace(lo[0], hi[0], 150), np.linspace(lo[1], hi[1], 150))
        grid = np.stack([gx.ravel(), gy.ravel()], axis=1)
        classes = tr.predict(params, grid, activation).reshape(gx.shape)
        n = int(y.max()) + 1
        ax.contourf(gx, gy, classes, levels=np.arange(n + 1) - 0.5,
                    cmap=ListedColormap(["#f6c9c9", "#c6dcef", "#cbeacb"][:n]))
        ax.scatter(x[:, 0], x[:, 1], c=y, cmap=ListedColormap(["#d62728", "#1f77b4", "#2ca02c"][:n]),
                   edgecolors="k", s=40)
        ax.set_title(title)
        ax.set_aspect("equal")

    xor_x, xor_y = tr.make_xor()
    runs = {loss: tr.train(xor_x, xor_y, [2, 8, 2], loss=loss, activation="sigmoid", lr=2.0, epochs=2000, seed=0)
            for loss in ("mse", "cross_entropy")}
    fig, axes = plt.subplots(1, 3, figsize=(14, 4), layout="constrained")
    for loss, run in runs.items():
        axes[0].semilogy(run["history"] / run["history"][0], label=f"{loss}: accuracy {run['accuracy']:.0%}")
    axes[0].set(xlabel="epoch", ylabel="loss / first loss", title="XOR")
    axes[0].legend()
    for ax, (loss, run) in zip(axes[1:], runs.items()):
        regions(ax, run["params"], "sigmoid", xor_x, xor_y, f"XOR, {loss}")
    plt.show()

# %% [markdown] nbgrader={"grade_id": "text-5", "grade": false, "solution": false, "locked": true, "schema_version": 3}
# ## 4. Experiment: three spirals
#
# 300 points on three interleaved arms: no straight line separates any two of them. A ReLU
# network with one hidden layer of 32 units bends its boundaries around the arms.

# %%
with workbook.experiment("4. Experiment: three spirals"):
    spiral_x, spiral_y = tr.make_spirals(100, 3, seed=0)
    run = tr.train(spiral_x, spiral_y, [2, 32, 3], loss="cross_entropy", activation="relu", lr=0.5,
                   epochs=500, seed=0, momentum=0.9)
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.5), layout="constrained")
    left.semilogy(run["history"])
    left.set(xlabel="epoch", ylabel="cross-entropy", title=f"training accuracy {run['accuracy']:.1%}")
    regions(right, run["params"], "relu", spiral_x, spiral_y, "decision regions")
    plt.show()

# %% [markdown] nbgrader={"grade_id": "text-6", "grade": false, "solution": false, "locked": true, "schema_version": 3}
# ## 5. Experiment: the gradient check of a whole network
#
# Phase 0's checker on every parameter of a small network: each relative error should be far
# below $10^{-6}$. Then a gradient with one entry nudged, to see the checker catch it.

# %%
with workbook.experiment("5. Experiment: the gradient check of a whole network"):
    from phase1_backprop import gradcheck as gc

    rng = np.random.default_rng(0)
    params = tr.init_params([3, 5, 4], seed=0)
    inputs, labels = rng.normal(size=(6, 3)), rng.integers(0, 4, size=6)
    for name, report in gc.check_network_gradients(params, inputs, labels).items():
        print(f"{name}: relative error {report['rel_error']:.1e}")

    _, grads = tr.loss_and_grads(params, inputs, labels)
    grads["W1"] = grads["W1"].copy()
    grads["W1"][0, 0] += 1e-3
    report = gc.check_network_gradients(params, inputs, labels, grads=grads)["W1"]
    print(f"W1 with one entry off by 1e-3: relative error {report['rel_error']:.1e}, passed: {report['passed']}")

# %% [markdown] nbgrader={"grade_id": "text-heldout", "grade": false, "solution": false, "locked": true, "schema_version": 3}
# ## 6. Experiment: held-out spirals, minibatches, and L2
#
# Training accuracy says how well a network fits the points it saw. Spirals drawn with another
# seed (the same arms, other points) say how well it learned the arms: train on 20 points per
# class, measure on 200 fresh ones per class. Then two variants of the training loop, written
# here on top of your `loss_and_grads` and `sgd_step`:
#
# - **minibatch SGD**: each step uses a random batch of 10 points (an epoch is one pass over a
#   shuffled training set), so a step is cheaper and noisier;
# - **L2 regularisation**: the loss gains $\frac{\lambda}{2}\sum_l \lVert W_l \rVert^2$, so
#   each weight gradient gains $\lambda W_l$ (biases are left alone).
#
# Compare the final training and held-out accuracies. On these spirals the gap is small and L2
# costs accuracy: say why from the plot (what does $\lambda W$ do to the weights a tight spiral
# needs?), then try fewer training points or a wider network.

# %%
with workbook.experiment("6. Experiment: held-out spirals, minibatches, and L2"):
    train_x, train_y = tr.make_spirals(20, 3, seed=0)
    test_x, test_y = tr.make_spirals(200, 3, seed=1)

    def fit(batch_size=None, l2=0.0, epochs=1000, lr=0.5, hidden=64, seed=0):
        """Momentum SGD on (train_x, train_y); every 10 epochs, (training, held-out) accuracy."""
        rng = np.random.default_rng(seed)
        params, velocity, curve = tr.init_params([2, hidden, 3], seed=seed), None, []
        size = batch_size or len(train_x)
        for epoch in range(epochs):
            order = rng.permutation(len(train_x))
            for start in range(0, len(train_x), size):
                rows = order[start:start + size]
                _, grads = tr.loss_and_grads(params, train_x[rows], train_y[rows])
                grads = {k: g + l2 * params[k] if k.startswith("W") else g for k, g in grads.items()}
                params, velocity = tr.sgd_step(params, grads, lr, velocity, momentum=0.9)
            if epoch % 10 == 9:
                curve.append([np.mean(tr.predict(params, x) == y) for x, y in ((train_x, train_y), (test_x, test_y))])
        return np.array(curve)

    settings = {"full batch": {}, "minibatch of 10, lr 0.1": {"batch_size": 10, "lr": 0.1, "epochs": 300},
                "L2, lambda 1e-3": {"l2": 1e-3}, "L2, lambda 3e-3": {"l2": 3e-3}}
    fig, ax = plt.subplots(figsize=(7, 3.5))
    for name, options in settings.items():
        curve = fit(**options)
        print(f"{name:26s} training {curve[-1, 0]:.1%}   held-out {curve[-1, 1]:.1%}")
        ax.plot(10 * np.arange(1, len(curve) + 1), curve[:, 1], label=name)
    ax.set(xlabel="epoch", ylabel="held-out accuracy", ylim=(0.3, 1.0), title="spirals: 60 training points, 600 held out")
    ax.legend()
    plt.show()

# %% [markdown] nbgrader={"grade_id": "modules-intro", "grade": false, "solution": false, "locked": true, "schema_version": 3}
# ## Your modules, graded
#
# The cell below checks your `phase1_backprop` modules through the course's grader. While you work
# it runs the public tests (what `make check PHASE=phase1_backprop` runs); when your instructor
# grades the workbook it runs the hidden tests and gradient checks too (what `make grade`
# runs). The number it shows is your share of its 10 points.

# %% nbgrader={"grade_id": "modules", "points": 10, "grade": true, "solution": false, "locked": true, "schema_version": 3}
points = workbook.check_phase("phase1_backprop", out_of=10)
### BEGIN HIDDEN TESTS
points = workbook.grade_phase("phase1_backprop", out_of=10)
### END HIDDEN TESTS
points
