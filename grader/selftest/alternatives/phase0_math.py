"""Correct, differently written implementations of phase 0: each must score full marks."""

from grader.selftest.alternatives import Alternative

ALTERNATIVES = [
    Alternative(
        "softmax_as_exp_of_log_softmax", "phase0_math/softmax.py",
        "    shifted = x - x.max(axis=axis, keepdims=True)  # a new array: x itself stays unchanged\n"
        "    e = np.exp(shifted, out=shifted)  # in place: one (...) array instead of three, much faster for big x\n"
        "    e /= e.sum(axis=axis, keepdims=True)\n    return e\n",
        "    m = x.max(axis=axis, keepdims=True)\n"
        "    return np.exp(x - (m + np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True))))\n",
        "softmax as exp(x - logsumexp(x)): the same probabilities up to round-off",
    ),
    Alternative(
        "log_softmax_with_logaddexp_reduce", "phase0_math/softmax.py",
        "    shifted = x - x.max(axis=axis, keepdims=True)\n"
        "    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))\n",
        "    return x - np.logaddexp.reduce(x, axis=axis, keepdims=True)\n",
        "numpy's stable logaddexp.reduce instead of an explicit shift",
    ),
    Alternative(
        "matmul_loops_in_i_p_j_order", "phase0_math/matmul.py",
        "    for i in range(n):\n        for j in range(m):\n            total = 0.0\n            for p in range(k):\n"
        "                total += a[i, p] * b[p, j]\n            out[i, j] = total\n",
        "    for i in range(n):\n        for p in range(k):\n            for j in range(m):\n"
        "                out[i, j] += a[i, p] * b[p, j]\n",
        "another loop order, accumulating into the output",
    ),
    Alternative(
        "matmul_backward_with_einsum", "phase0_math/matmul.py",
        "    return dout @ b.T, a.T @ dout\n",
        "    return np.einsum(\"nm,km->nk\", dout, b), np.einsum(\"nk,nm->km\", a, dout)\n",
        "einsum instead of @",
    ),
    Alternative(
        "cross_entropy_backward_with_a_one_hot_matrix", "phase0_math/loss.py",
        "    grad = softmax(logits, axis=1)\n    grad[np.arange(n), labels] -= 1.0\n    return grad / n\n",
        "    return (softmax(logits, axis=1) - np.eye(logits.shape[1])[labels]) / n\n",
        "softmax minus an explicit one-hot matrix",
    ),
    Alternative(
        "numerical_gradient_with_fresh_copies_per_entry", "phase0_math/gradcheck.py",
        "    x = x.copy()\n    grad = np.zeros_like(x)\n    for i in range(x.size):\n        original = x.flat[i]\n"
        "        x.flat[i] = original + eps\n        f_plus = float(f(x.copy()))\n"
        "        x.flat[i] = original - eps\n        f_minus = float(f(x.copy()))\n        x.flat[i] = original\n"
        "        grad.flat[i] = (f_plus - f_minus) / (2.0 * eps)\n    return grad\n",
        "    grad = np.zeros_like(x)\n    for index in np.ndindex(x.shape):\n"
        "        plus, minus = x.copy(), x.copy()\n        plus[index] += eps\n        minus[index] -= eps\n"
        "        grad[index] = (f(plus) - f(minus)) / eps / 2\n    return grad\n",
        "np.ndindex over fresh copies, and the division written in two steps",
    ),
    Alternative(
        "standardize_refuses_when_the_range_is_zero", "phase0_math/linear_regression.py",
        "    if std <= 1e-12 * float(np.max(np.abs(x))):\n",
        "    if np.ptp(x) == 0:\n",
        "every x equal tested directly (max == min) instead of a std against the data's scale",
    ),
    Alternative(
        "critical_learning_rate_in_closed_form", "phase0_math/linear_regression.py",
        "    hessian = (2.0 / n) * np.array([[np.sum(x * x), np.sum(x)], [np.sum(x), n]])\n"
        "    return float(2.0 / np.linalg.eigvalsh(hessian)[-1])\n",
        "    a, c, d = 2.0 * np.mean(x * x), 2.0 * np.mean(x), 2.0\n"
        "    top = (a + d) / 2 + np.sqrt(((a - d) / 2) ** 2 + c**2)\n    return float(2.0 / top)\n",
        "the largest eigenvalue of the 2 x 2 Hessian by its formula instead of eigvalsh",
    ),
    Alternative(
        "gradients_with_dot_products", "phase0_math/linear_regression.py",
        "    return float(2.0 * np.mean(error * x)), float(2.0 * np.mean(error))\n",
        "    n = x.size\n    return float(2.0 / n * np.dot(error, x)), float(2.0 / n * np.sum(error))\n",
        "dot products divided by N instead of means",
    ),
]
