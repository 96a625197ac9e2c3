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
# # Phase 0 workbook: gradients by hand, and a learning rate that explodes
#
# Work through this notebook next to `phase0_math/README.md`. It has three kinds of cells:
#
# - **answers** (they start with `# YOUR CODE HERE`): replace the `raise NotImplementedError()`
#   line by your answer. Derivations want *numbers* (arithmetic on numbers is fine), worked out
#   on paper, not calls to your modules;
# - **checks** (read-only, right after an answer): run them; they catch the obvious slips. When
#   the course is graded they run more checks you do not see;
# - **experiments**: they call your `phase0_math` modules, so they work once you have written
#   them. Change them as you like.
#
# The last cell grades your modules. 20 points: 10 for the derivations, 10 for the modules.
# Run the setup cell first (`Shift-Enter`).
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
# - Linear regression on one point, $L(w, b) = (w x + b - y)^2$: `dL_dw` and `dL_db`, in `w`, `b`,
#   `x`, `y`.
# - The learning rate above which gradient descent on that one point diverges (section 2 says
#   how): `lr_threshold`, in `x`.
# - `softmax_vjp(z, dout)`: for $p = \mathrm{softmax}(z)$ taken along each row of `z` (N, K), and
#   an upstream gradient `dout` $= \partial \ell / \partial p$ (N, K), return
#   $\partial \ell / \partial z$ (N, K).
# - `matmul_vjp(a, b, dout)`: for $c = a b$ with `a` (N, D), `b` (D, M), `dout` (N, M), return
#   the pair $(\partial \ell / \partial a, \partial \ell / \partial b)$.
#
# Work each result out on paper first, then write it below: a scalar result as an expression in
# a string (Python syntax: `*`, `**`, `exp`, `log`, `tanh`, `sigma` for the sigmoid), a matrix
# result as a small numpy function. The check cell derives the true result from the forward
# definition it states (with sympy, or by finite differences at random points) and tells you
# whether yours is right or what is off. No points: the graded questions come after.

# %% nbgrader={"grade_id": "derive", "grade": false, "solution": true, "locked": false, "schema_version": 3}
# dL_dw = "...", dL_db = "...", lr_threshold = "...", def softmax_vjp(z, dout): ..., def matmul_vjp(a, b, dout): ...
dL_dw = dL_db = lr_threshold = softmax_vjp = matmul_vjp = None
### BEGIN SOLUTION
dL_dw = "2*(w*x + b - y)*x"
dL_db = "2*(w*x + b - y)"
lr_threshold = "1/(x**2 + 1)"


def softmax_vjp(z, dout):
    p = np.exp(z - z.max(axis=-1, keepdims=True))
    p /= p.sum(axis=-1, keepdims=True)
    return p * (dout - np.sum(dout * p, axis=-1, keepdims=True))


def matmul_vjp(a, b, dout):
    return dout @ b.T, a.T @ dout
### END SOLUTION

# %% nbgrader={"grade_id": "derive-check", "grade": false, "solution": false, "locked": true, "schema_version": 3}
derivations.symbolic("dL_dw", dL_dw, of="(w*x + b - y)**2", wrt="w", symbols="w b x y")
derivations.symbolic("dL_db", dL_db, of="(w*x + b - y)**2", wrt="b", symbols="w b x y")
derivations.threshold("lr_threshold", lr_threshold, loss="(w*x + b - y)**2", params="w b", symbols="x y")


def softmax_rows(z):  # the forward definition (no shift: the points drawn are small)
    return np.exp(z) / np.exp(z).sum(axis=-1, keepdims=True)


derivations.gradient("softmax_vjp", softmax_vjp, scalar=lambda z, dout: np.sum(dout * softmax_rows(z)),
                     inputs={"z": (4, 5), "dout": (4, 5)}, wrt="z")
derivations.gradient("matmul_vjp", matmul_vjp, scalar=lambda a, b, dout: np.sum(dout * (a @ b)),
                     inputs={"a": (3, 4), "b": (4, 2), "dout": (3, 2)}, wrt=("a", "b"));

# %% [markdown] nbgrader={"grade_id": "text-2", "grade": false, "solution": false, "locked": true, "schema_version": 3}
# ## 1. One gradient step, by hand (3 points)
#
# Linear regression on a single point $(x, y) = (2, 3)$, starting from $w = 0.5$, $b = 0.5$,
# with learning rate $\eta = 0.1$:
#
# $$\hat y = w x + b, \qquad L = (\hat y - y)^2, \qquad
# w \leftarrow w - \eta \frac{\partial L}{\partial w}, \quad b \leftarrow b - \eta \frac{\partial L}{\partial b}.$$
#
# Set `y_hat`, `loss`, `dw` $= \partial L/\partial w$, `db` $= \partial L/\partial b$ (at the
# starting point) and the parameters after one step, `w_new` and `b_new`.

# %% nbgrader={"grade_id": "gd-step", "grade": false, "solution": true, "locked": false, "schema_version": 3}
# y_hat = ..., loss = ..., dw = ..., db = ..., w_new = ..., b_new = ...
### BEGIN SOLUTION
y_hat = 0.5 * 2 + 0.5        # 1.5
error = y_hat - 3            # -1.5
loss = error ** 2            # 2.25
dw = 2 * error * 2           # -6.0: the error, times x, times 2
db = 2 * error               # -3.0
w_new = 0.5 - 0.1 * dw       # 1.1
b_new = 0.5 - 0.1 * db       # 0.8
### END SOLUTION

# %% nbgrader={"grade_id": "gd-step-check", "points": 3, "grade": true, "solution": false, "locked": true, "schema_version": 3}
if workbook.answered("gd-step", "y_hat loss dw db w_new b_new"):
    for name in ("y_hat", "loss", "dw", "db", "w_new", "b_new"):
        assert isinstance(globals().get(name), (int, float)), f"{name}: set it to a number"
    assert abs(w_new - (0.5 - 0.1 * dw)) < 1e-9, "w_new: one step is w - learning rate * dL/dw"
    assert abs(b_new - (0.5 - 0.1 * db)) < 1e-9, "b_new: one step is b - learning rate * dL/db"
    print("the step is consistent with your gradient")
    at = {"w": 0.5, "b": 0.5, "x": 2, "y": 3}
    derivations.value("dw", dw, of="(w*x + b - y)**2", wrt="w", at=at, symbols="w b x y")
    derivations.value("db", db, of="(w*x + b - y)**2", wrt="b", at=at, symbols="w b x y")
### BEGIN HIDDEN TESTS
assert abs(y_hat - 1.5) < 1e-9, "y_hat is not the prediction of the starting line at x = 2"
assert abs(loss - 2.25) < 1e-9, "loss is not the squared error of the starting line"
assert abs(db - -3.0) < 1e-9, "db is not dL/db at the starting point"
assert abs(dw - -6.0) < 1e-9, "dw is not dL/dw at the starting point (the chain rule brings in x)"
assert abs(w_new - 1.1) < 1e-9 and abs(b_new - 0.8) < 1e-9, "w_new, b_new are not the parameters after one step"
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade_id": "text-3", "grade": false, "solution": false, "locked": true, "schema_version": 3}
# Your `phase0_math.linear_regression` should agree (exercise 0.5: run this once you have
# written `gradients` and `gd_step`; until then the cell says it skipped):

# %%
with workbook.experiment("1. One gradient step, by hand"):
    from phase0_math import linear_regression as lr

    point_x, point_y = np.array([2.0]), np.array([3.0])
    print("gradients:", lr.gradients(point_x, point_y, 0.5, 0.5))
    print("one step: ", lr.gd_step(point_x, point_y, 0.5, 0.5, 0.1))

# %% [markdown] nbgrader={"grade_id": "text-4", "grade": false, "solution": false, "locked": true, "schema_version": 3}
# ## 2. Where gradient descent blows up (2 points)
#
# On one point the loss $L(w, b) = (w x + b - y)^2$ is a quadratic in $(w, b)$ with Hessian
#
# $$H = 2 \begin{pmatrix} x^2 & x \\ x & 1 \end{pmatrix}.$$
#
# Gradient descent on a quadratic multiplies the error along each eigenvector of $H$ by
# $1 - \eta\lambda$ at every step, so it diverges once $\eta > 2/\lambda_{\max}$.
#
# For the point $x = 3$: set `lambda_max`, the largest eigenvalue of $H$ (its trace is
# $2(x^2 + 1)$ and its determinant is 0), and `lr_critical` $= 2/\lambda_{\max}$. Then, for data
# standardised to mean 0 and variance 1, where
# $H = \frac{2}{N}\begin{pmatrix}\sum z_i^2 & \sum z_i\\ \sum z_i & N\end{pmatrix}$, set
# `lr_critical_standardized`.

# %% nbgrader={"grade_id": "critical-lr", "grade": false, "solution": true, "locked": false, "schema_version": 3}
# lambda_max = ..., lr_critical = ..., lr_critical_standardized = ...
### BEGIN SOLUTION
lambda_max = 2 * (3 ** 2 + 1)         # 20: the other eigenvalue is 0
lr_critical = 2 / lambda_max          # 0.1 = 1 / (x^2 + 1)
lr_critical_standardized = 2 / 2      # H = 2 I: both eigenvalues are 2
### END SOLUTION

# %% nbgrader={"grade_id": "critical-lr-check", "points": 2, "grade": true, "solution": false, "locked": true, "schema_version": 3}
if workbook.answered("critical-lr", "lambda_max lr_critical lr_critical_standardized"):
    for name in ("lambda_max", "lr_critical", "lr_critical_standardized"):
        assert isinstance(globals().get(name), (int, float)), f"{name}: set it to a number"
    assert abs(lr_critical * lambda_max - 2) < 1e-9, "lr_critical is 2 / lambda_max"
### BEGIN HIDDEN TESTS
assert abs(lambda_max - 20) < 1e-9, "lambda_max is not the largest eigenvalue of H at x = 3"
assert abs(lr_critical_standardized - 1) < 1e-9, "lr_critical_standardized: what is H when z has mean 0, variance 1?"
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade_id": "text-5", "grade": false, "solution": false, "locked": true, "schema_version": 3}
# ## 3. The cross-entropy gradient on three classes (3 points)
#
# One example with logits $z = (0, 0, \ln 2)$ and true class $y = 0$. With
# $p = \mathrm{softmax}(z)$, the loss is $\ell = -\log p_y$ and its gradient is
# $\partial \ell / \partial z = p - \mathrm{onehot}(y)$ (README, "Cross-entropy from logits").
#
# Set `probs` (a list of 3 numbers), `ce_loss` (use `np.log` for the logarithm) and
# `dlogits` (a list of 3 numbers).

# %% nbgrader={"grade_id": "cross-entropy", "grade": false, "solution": true, "locked": false, "schema_version": 3}
# probs = [...], ce_loss = ..., dlogits = [...]
### BEGIN SOLUTION
probs = [1 / 4, 1 / 4, 2 / 4]          # exp(z) = (1, 1, 2), divided by their sum 4
ce_loss = -np.log(1 / 4)               # log 4
dlogits = [1 / 4 - 1, 1 / 4, 2 / 4]    # p - onehot(0)
### END SOLUTION

# %% nbgrader={"grade_id": "cross-entropy-check", "points": 3, "grade": true, "solution": false, "locked": true, "schema_version": 3}
if workbook.answered("cross-entropy", "probs ce_loss dlogits"):
    assert len(probs) == 3 and len(dlogits) == 3, "probs and dlogits: one number per class"
    assert abs(sum(probs) - 1) < 1e-9, "probs: probabilities sum to 1"
    assert abs(sum(dlogits)) < 1e-9, "dlogits: the gradient of cross-entropy sums to 0 over the classes"
    print("probs sum to 1 and the gradient sums to 0")
### BEGIN HIDDEN TESTS
assert np.allclose(probs, [0.25, 0.25, 0.5]), "probs are not softmax(0, 0, ln 2)"
assert abs(float(ce_loss) - np.log(4)) < 1e-9, "ce_loss is not -log p of the true class"
assert np.allclose(dlogits, [-0.75, 0.25, 0.5]), "dlogits are not p minus the one-hot target"
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade_id": "text-6", "grade": false, "solution": false, "locked": true, "schema_version": 3}
# ## 4. Experiment: a learning-rate sweep on one point
#
# On the single point $x = 3$ every step multiplies the error by $1 - 2\eta(x^2 + 1)$: below
# $\eta = 1/(x^2+1) = 0.1$ the loss shrinks, at $0.1$ it bounces forever, above it grows
# geometrically. (Needs exercise 0.5, `fit` and `critical_learning_rate`.)

# %%
with workbook.experiment("4. Experiment: a learning-rate sweep on one point"):
    one_x, one_y = np.array([3.0]), np.array([1.0])
    print("critical learning rate:", lr.critical_learning_rate(one_x), " 1 / (x^2 + 1) =", 1 / (3.0 ** 2 + 1))

    fig, ax = plt.subplots(figsize=(6, 3.5))
    for rate in (0.03, 0.09, 0.1, 0.11):
        _, _, history = lr.fit(one_x, one_y, lr=rate, steps=40)
        ax.semilogy(np.maximum(history, 1e-300), label=f"lr = {rate}")
    ax.set(xlabel="step", ylabel="loss", title="one point, x = 3")
    ax.legend()
    plt.show()

# %% [markdown] nbgrader={"grade_id": "text-7", "grade": false, "solution": false, "locked": true, "schema_version": 3}
# ## 5. Experiment: large inputs, and the fix by standardising
#
# Fifty points with $x$ between 20 and 40. The critical learning rate is tiny and a learning
# rate of 0.01 overflows. Even a stable one crawls: the two eigenvalues of $H$ are about a
# thousand times apart, so after 200 steps the loss looks flat while the intercept $b$ has
# hardly moved. Standardising $x$ makes $H = 2I$: a learning rate of 0.5 converges in a few
# steps, and the line found for $z$ maps back to a line for $x$.

# %%
with workbook.experiment("5. Experiment: large inputs, and the fix by standardising"):
    rng = np.random.default_rng(0)
    big_x = rng.uniform(20, 40, size=50)
    big_y = 3 * big_x + 2 + rng.normal(scale=1.0, size=50)
    critical = lr.critical_learning_rate(big_x)
    print(f"critical learning rate on raw x: {critical:.3g}")
    try:
        lr.fit(big_x, big_y, lr=0.01, steps=500)
    except lr.TrainingDiverged as exc:
        print("lr = 0.01:", exc)

    z, mean, std = lr.standardize(big_x)
    print(f"critical learning rate on standardised x: {lr.critical_learning_rate(z):.3g}")

    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.5))
    for factor in (0.5, 0.99, 1.02):
        w_raw, b_raw, history = lr.fit(big_x, big_y, lr=factor * critical, steps=200)
        left.semilogy(history, label=f"lr = {factor} x critical")
        if factor == 0.5:
            print(f"raw x, lr = 0.5 x critical, 200 steps: w = {w_raw:.3f}, b = {b_raw:.3f}")
    left.set(xlabel="step", ylabel="loss", title="raw x")
    left.legend()
    w_z, b_z, history = lr.fit(z, big_y, lr=0.5, steps=30)
    right.semilogy(history, label="lr = 0.5")
    right.set(xlabel="step", title="standardised x")
    right.legend()
    plt.show()
    print(f"standardised, 30 steps: w = {w_z:.3f}, b = {b_z:.3f} on z;  "
          f"back on x: w = {w_z / std:.3f}, b = {b_z - w_z * mean / std:.3f}")
    print("least squares (np.polyfit):", np.round(np.polyfit(big_x, big_y, 1), 3))

# %% [markdown] nbgrader={"grade_id": "text-8", "grade": false, "solution": false, "locked": true, "schema_version": 3}
# ## 6. Back from standardised inputs (2 points)
#
# A fit on $z = (x - \mu)/\sigma$ with $\mu = 10$, $\sigma = 2$ found $\hat y = 6 z + 32$. Write it
# as a line in $x$: set `w_x` and `b_x` with $\hat y = w_x x + b_x$.

# %% nbgrader={"grade_id": "unstandardize", "grade": false, "solution": true, "locked": false, "schema_version": 3}
# w_x = ..., b_x = ...
### BEGIN SOLUTION
w_x = 6 / 2               # 6 (x - 10) / 2 + 32 = 3 x - 30 + 32
b_x = 32 - 6 * 10 / 2
### END SOLUTION

# %% nbgrader={"grade_id": "unstandardize-check", "points": 2, "grade": true, "solution": false, "locked": true, "schema_version": 3}
if workbook.answered("unstandardize", "w_x b_x"):
    for name in ("w_x", "b_x"):
        assert isinstance(globals().get(name), (int, float)), f"{name}: set it to a number"
### BEGIN HIDDEN TESTS
assert abs(w_x - 3) < 1e-9, "w_x: the slope in x is the slope in z divided by sigma"
assert abs(b_x - 2) < 1e-9, "b_x: the line in x must give the same prediction at every x"
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade_id": "modules-intro", "grade": false, "solution": false, "locked": true, "schema_version": 3}
# ## Your modules, graded
#
# The cell below checks your `phase0_math` modules through the course's grader. While you work
# it runs the public tests (what `make check PHASE=phase0_math` runs); when your instructor
# grades the workbook it runs the hidden tests and gradient checks too (what `make grade`
# runs). The number it shows is your share of its 10 points.

# %% nbgrader={"grade_id": "modules", "points": 10, "grade": true, "solution": false, "locked": true, "schema_version": 3}
points = workbook.check_phase("phase0_math", out_of=10)
### BEGIN HIDDEN TESTS
points = workbook.grade_phase("phase0_math", out_of=10)
### END HIDDEN TESTS
points
