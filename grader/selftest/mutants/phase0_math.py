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
