"""Phase 0's common mistakes (phase0_math/README.md and issue 17) that the public tests must catch."""

from grader.selftest.mutants import Mutant
from grader.selftest.public_mistakes import graded

MUTANTS = graded(
    "softmax_without_max_subtraction", "softmax_normalised_over_axis_0", "log_softmax_as_log_of_softmax",
    "cross_entropy_gradient_not_divided_by_batch", "mse_gradient_missing_factor_two",
    "matmul_backward_transposed_weight_gradient", "numerical_gradient_one_sided",
) + [
    Mutant(
        "softmax_shifted_by_the_global_maximum", "phase0_math/softmax.py",
        "    shifted = x - x.max(axis=axis, keepdims=True)  # a new array",
        "    shifted = x - x.max()  # a new array",
        "softmax shifts by x.max() without an axis: a row far below the maximum gives 0 / 0",
    ),
    Mutant(
        "softmax_normalised_by_the_whole_array", "phase0_math/softmax.py",
        "    e /= e.sum(axis=axis, keepdims=True)\n",
        "    e /= e.sum()\n",
        "e.sum() without an axis normalises the whole array instead of each row",
    ),
    Mutant(
        "softmax_backward_summed_over_every_axis", "phase0_math/softmax.py",
        "    return probs * (dout - np.sum(dout * probs, axis=axis, keepdims=True))\n",
        "    return probs * (dout - np.sum(dout * probs))\n",
        "the softmax backward's row sum taken over every axis",
    ),
    Mutant(
        "numerical_gradient_step_far_too_small", "phase0_math/gradcheck.py",
        "def numerical_gradient(f: Callable[[np.ndarray], float], x: np.ndarray, eps: float = 1e-6)",
        "def numerical_gradient(f: Callable[[np.ndarray], float], x: np.ndarray, eps: float = 1e-13)",
        "a finite-difference step of 1e-13: round-off dominates",
    ),
    Mutant(
        "numerical_gradient_changes_x", "phase0_math/gradcheck.py",
        "    x = x.copy()\n    grad = np.zeros_like(x)\n    for i in range(x.size):\n        original = x.flat[i]\n"
        "        x.flat[i] = original + eps\n        f_plus = float(f(x.copy()))\n        x.flat[i] = original - eps\n"
        "        f_minus = float(f(x.copy()))\n        x.flat[i] = original\n",
        "    grad = np.zeros_like(x)\n    for i in range(x.size):\n        original = x.flat[i]\n"
        "        x.flat[i] = original + eps\n        f_plus = float(f(x.copy()))\n        x.flat[i] = original - eps\n"
        "        f_minus = float(f(x.copy()))\n",
        "the checker nudges the caller's x and never puts it back",
    ),
    Mutant(
        "relative_error_without_its_floor", "phase0_math/gradcheck.py",
        "    scale = max(1e-8, float(np.max(np.abs(analytic) + np.abs(numeric))))\n",
        "    scale = float(np.max(np.abs(analytic) + np.abs(numeric)))\n",
        "relative_error divides by max(|a| + |n|) with no floor: two zero gradients give 0 / 0",
    ),
    Mutant(
        "mse_broadcasts_shapes_that_differ", "phase0_math/loss.py",
        "    same_shape(pred, target, \"pred\", \"target\")\n    return float(np.mean((pred - target) ** 2))\n",
        "    return float(np.mean((pred - target) ** 2))\n",
        "mse lets (N,) - (N, 1) broadcast to (N, N)",
    ),
    Mutant(
        "fit_without_a_divergence_check", "phase0_math/linear_regression.py",
        "            if not np.isfinite(loss):\n",
        "            if False:\n",
        "fit keeps going when the loss becomes inf or NaN",
    ),
    Mutant(
        "standardize_a_constant", "phase0_math/linear_regression.py",
        "    if std <= 1e-12 * float(np.max(np.abs(x))):\n",
        "    if std == 0.0:\n",
        "standardize divides by a round-off std (1e-17) when every x is equal",
    ),
]
