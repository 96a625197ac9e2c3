"""Wrong implementations of phase 0 that the hidden tests and gradient checks must catch."""

from grader.selftest.mutants import Mutant

MUTANTS = [
    Mutant(
        "softmax_without_max_subtraction", "phase0_math/softmax.py",
        "    shifted = x - x.max(axis=axis, keepdims=True)  # a new array: x itself stays unchanged\n"
        "    e = np.exp(shifted, out=shifted)  # in place: one (...) array instead of three, much faster for big x\n",
        "    e = np.exp(x)\n",
        "softmax exponentiates raw logits and overflows at 1000",
    ),
    Mutant(
        "softmax_normalised_over_axis_0", "phase0_math/softmax.py",
        "    e /= e.sum(axis=axis, keepdims=True)\n",
        "    e /= e.sum(axis=0, keepdims=True)\n",
        "softmax sums over a hard-coded axis",
    ),
    Mutant(
        "log_softmax_as_log_of_softmax", "phase0_math/softmax.py",
        "    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))\n",
        "    return np.log(softmax(x, axis=axis))\n",
        "log(softmax(x)) underflows to -inf",
    ),
    Mutant(
        "softmax_backward_without_the_sum_term", "phase0_math/softmax.py",
        "    return probs * (dout - np.sum(dout * probs, axis=axis, keepdims=True))\n",
        "    return probs * dout\n",
        "softmax backward keeps only the diagonal of the Jacobian",
    ),
    Mutant(
        "matmul_backward_transposed_weight_gradient", "phase0_math/matmul.py",
        "    return dout @ b.T, a.T @ dout\n",
        "    return dout @ b.T, (dout.T @ a)\n",
        "the gradient of b is transposed",
    ),
    Mutant(
        "matmul_loop_indexes_b_by_row", "phase0_math/matmul.py",
        "                total += a[i, p] * b[p, j]\n",
        "                total += a[i, p] * b[j % k2, p % m]\n",
        "the inner loop reads b with swapped indices",
    ),
    Mutant(
        "cross_entropy_gradient_not_divided_by_batch", "phase0_math/loss.py",
        "    return grad / n\n",
        "    return grad\n",
        "the cross-entropy gradient is a sum over the batch, not a mean",
    ),
    Mutant(
        "mse_gradient_missing_factor_two", "phase0_math/loss.py",
        "    return 2.0 * (pred - target) / pred.size\n",
        "    return (pred - target) / pred.size\n",
        "the MSE gradient lost its factor 2",
    ),
    Mutant(
        "numerical_gradient_one_sided", "phase0_math/gradcheck.py",
        "        grad.flat[i] = (f_plus - f_minus) / (2.0 * eps)\n",
        "        grad.flat[i] = (f_plus - float(f(x.copy()))) / eps\n",
        "a forward difference instead of a central one",
    ),
    Mutant(
        "relative_error_normalised_per_entry_sum", "phase0_math/gradcheck.py",
        "    scale = max(1e-8, float(np.max(np.abs(analytic) + np.abs(numeric))))\n",
        "    scale = float(np.max(np.abs(analytic) + np.abs(numeric)))\n",
        "the relative error divides 0 by 0 when both gradients vanish",
    ),
    Mutant(
        "linear_regression_db_missing_factor_two", "phase0_math/linear_regression.py",
        "    return float(2.0 * np.mean(error * x)), float(2.0 * np.mean(error))\n",
        "    return float(2.0 * np.mean(error * x)), float(np.mean(error))\n",
        "dL/db forgot the 2 from the square",
    ),
    Mutant(
        "fit_without_divergence_check", "phase0_math/linear_regression.py",
        "            if not np.isfinite(loss):\n",
        "            if False:\n",
        "fit runs on with an infinite loss instead of stopping",
    ),
    Mutant(
        "standardize_with_unbiased_std", "phase0_math/linear_regression.py",
        "    std = float(x.std())\n",
        "    std = float(x.std(ddof=1))\n",
        "standardising with the sample (N - 1) standard deviation",
    ),
    Mutant(
        "softmax_shifts_its_input_in_place", "phase0_math/softmax.py",
        "    shifted = x - x.max(axis=axis, keepdims=True)  # a new array: x itself stays unchanged\n"
        "    e = np.exp(shifted, out=shifted)  # in place: one (...) array instead of three, much faster for big x\n",
        "    x -= x.max(axis=axis, keepdims=True)\n    e = np.exp(x)\n",
        "softmax subtracts the maximum from the caller's array (values right, input destroyed)",
    ),
    Mutant(
        "cross_entropy_uses_log_of_softmax", "phase0_math/loss.py",
        "    logp = log_softmax(logits, axis=1)\n",
        "    logp = np.log(softmax(logits, axis=1))\n",
        "log of an underflowed probability gives an infinite loss",
    ),
]

# Reviewer-style wrong implementations (issue 15): each is caught by the differential contracts of
# phase0_math/tests/hidden (drawn regimes, every documented argument, refusals, checkers given wrong
# gradients), most of them by nothing else.
MUTANTS += [
    Mutant(
        "standardize_compares_std_with_exactly_zero", "phase0_math/linear_regression.py",
        "    if std <= 1e-12 * float(np.max(np.abs(x))):\n",
        "    if std == 0.0:\n",
        "standardize of np.full(3, 0.1) divides by a std of 1.4e-17 (round-off) instead of refusing",
    ),
    Mutant(
        "relative_error_sum_of_the_two_maxima", "phase0_math/gradcheck.py",
        "    scale = max(1e-8, float(np.max(np.abs(analytic) + np.abs(numeric))))\n",
        "    scale = max(1e-8, float(np.max(np.abs(analytic)) + np.max(np.abs(numeric))))\n",
        "the relative error divides by max|a| + max|n| instead of max(|a| + |n|)",
    ),
    Mutant(
        "relative_error_floor_of_1e_6", "phase0_math/gradcheck.py",
        "    scale = max(1e-8, float(np.max(np.abs(analytic) + np.abs(numeric))))\n",
        "    scale = max(1e-6, float(np.max(np.abs(analytic) + np.abs(numeric))))\n",
        "the floor of the relative error's denominator is 1e-6, not the documented 1e-8",
    ),
    Mutant(
        "check_gradient_ignores_eps", "phase0_math/gradcheck.py",
        "    numeric = numerical_gradient(f, x, eps)\n",
        "    numeric = numerical_gradient(f, x)\n",
        "check_gradient never passes its eps on: the numerical gradient always uses 1e-6",
    ),
    Mutant(
        "check_gradient_ignores_threshold", "phase0_math/gradcheck.py",
        "        \"passed\": bool(error <= threshold),\n",
        "        \"passed\": bool(error <= 1e-6),\n",
        "check_gradient judges every gradient against 1e-6 whatever threshold it is given",
    ),
    Mutant(
        "check_gradient_worst_index_by_relative_difference", "phase0_math/gradcheck.py",
        "    index = np.unravel_index(int(np.argmax(np.abs(analytic - numeric))), x.shape)\n",
        "    index = np.unravel_index(int(np.argmax(np.abs(analytic - numeric) / (np.abs(analytic) + np.abs(numeric)"
        " + 1e-12))), x.shape)\n",
        "the worst entry is the one with the largest relative difference, not the largest difference",
    ),
    Mutant(
        "check_gradient_reports_the_two_gradients_swapped", "phase0_math/gradcheck.py",
        "        \"analytic\": float(analytic[index]),\n        \"numeric\": float(numeric[index]),\n",
        "        \"analytic\": float(numeric[index]),\n        \"numeric\": float(analytic[index]),\n",
        "the report's analytic and numeric values at the worst index are swapped",
    ),
    Mutant(
        "numerical_gradient_ignores_eps", "phase0_math/gradcheck.py",
        "    x = x.copy()\n    grad = np.zeros_like(x)\n",
        "    x = x.copy()\n    grad = np.zeros_like(x)\n    eps = 1e-6\n",
        "numerical_gradient always steps by 1e-6, whatever eps it is given",
    ),
    Mutant(
        "cross_entropy_backward_trusts_its_labels", "phase0_math/loss.py",
        "    labels = as_labels(labels, logits.shape[0], logits.shape[1])\n    n = logits.shape[0]\n",
        "    labels = np.asarray(labels).astype(np.int64)\n    n = logits.shape[0]\n",
        "the backward pass never checks labels: -1 wraps around to the last class, floats are truncated",
    ),
    Mutant(
        "mse_backward_broadcasts", "phase0_math/loss.py",
        "    same_shape(pred, target, \"pred\", \"target\")\n    return 2.0 * (pred - target) / pred.size\n",
        "    return 2.0 * (pred - target) / pred.size\n",
        "mse_backward lets (3,) and (3, 1) broadcast to a (3, 3) gradient instead of refusing",
    ),
    Mutant(
        "softmax_shifts_by_the_global_maximum", "phase0_math/softmax.py",
        "    shifted = x - x.max(axis=axis, keepdims=True)  # a new array: x itself stays unchanged\n",
        "    shifted = x - x.max()  # a new array: x itself stays unchanged\n",
        "softmax subtracts the maximum of the whole array: a row far below it underflows to 0 / 0",
    ),
    Mutant(
        "log_softmax_without_the_shift", "phase0_math/softmax.py",
        "    shifted = x - x.max(axis=axis, keepdims=True)\n    return shifted - np.log(",
        "    shifted = x\n    return shifted - np.log(",
        "log_softmax takes log(sum(exp(x))) unshifted: fine at 500, inf at 1000",
    ),
    Mutant(
        "matmul_backward_without_shape_checks", "phase0_math/matmul.py",
        "    if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[0] or dout.shape != (a.shape[0], b.shape[1]):\n",
        "    if False:\n",
        "matmul_backward returns gradients for shapes that do not multiply",
    ),
    Mutant(
        "fit_takes_one_step_too_few", "phase0_math/linear_regression.py",
        "            if step < steps:\n",
        "            if step < steps - 1:\n",
        "fit records steps + 1 losses but updates only steps - 1 times",
    ),
    Mutant(
        "gd_step_updates_b_at_the_new_w", "phase0_math/linear_regression.py",
        "    dw, db = gradients(x, y, w, b)\n    return float(w - lr * dw), float(b - lr * db)\n",
        "    dw, _ = gradients(x, y, w, b)\n    w = w - lr * dw\n    _, db = gradients(x, y, w, b)\n"
        "    return float(w), float(b - lr * db)\n",
        "gd_step updates w first and takes b's gradient at the new w",
    ),
    Mutant(
        "dot_flattens_matrices", "phase0_math/matmul.py",
        "    if a.ndim != 1 or b.ndim != 1 or a.shape != b.shape:\n",
        "    a, b = a.ravel(), b.ravel()\n    if a.shape != b.shape:\n",
        "dot flattens 2-d arrays instead of refusing them",
    ),
]
