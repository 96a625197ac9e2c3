"""Exercise 1.2: the checks that prove your backward pass, built on phase 0's gradient checker.

They come before the backward pass they check: write them now, then run each one as soon as the
function it checks exists (until then the check raises that function's NotImplementedError):
check_linear_backward and check_activation_backward for exercise 1.3a, check_network_gradients
for the whole network once 1.3b, 1.3c and 1.4c's loss_and_grads are written.

Phase 0's ``check_gradient(f, x, analytic)`` compares an analytic gradient with central
differences of a scalar function f. A layer's output is not a scalar, so check a layer through
a random projection: with a fixed random ``dout`` of the output's shape,

    f(x) = sum(forward(x) * dout)   has gradient   backward(dout) with respect to x,

which is exactly what a backward function returns. A whole network already ends in a scalar,
the loss: nudge one parameter at a time, everything else fixed. Keep the networks small (each
entry costs two forward passes) and in float64.
"""

from __future__ import annotations

import numpy as np

from phase0_math.arrays import as_float_array
from phase0_math.gradcheck import check_gradient
from phase1_backprop.backward import ACTIVATION_BACKWARD, linear_backward
from phase1_backprop.forward import ACTIVATION_FORWARD, ACTIVATIONS, linear_forward
from phase1_backprop.train import loss_and_grads


def check_linear_backward(
    x: np.ndarray, w: np.ndarray, b: np.ndarray, dout: np.ndarray, eps: float = 1e-6, threshold: float = 1e-6
) -> dict:
    """Check linear_backward's dx, dw and db against finite differences of linear_forward.

    x: (N, D_in), w: (D_in, D_out), b: (D_out,), dout: (N, D_out) the upstream gradient.
    Returns {"x": report, "w": report, "b": report}, each report a dict from phase 0's
    check_gradient (rel_error, worst_index, analytic, numeric, passed).
    """
    x = as_float_array(x, "x")
    w = as_float_array(w, "w")
    b = as_float_array(b, "b")
    dout = as_float_array(dout, "dout")
    # YOUR CODE HERE
    raise NotImplementedError("not started: check_linear_backward")


def check_activation_backward(
    activation: str, x: np.ndarray, dout: np.ndarray, eps: float = 1e-6, threshold: float = 1e-6
) -> dict:
    """Check the backward function of ``activation`` ("relu", "sigmoid" or "tanh") at x.

    x: any shape, dout: same shape. Returns one report of phase 0's check_gradient.
    Keep x away from ReLU's kink at 0: there finite differences straddle two slopes.
    """
    x = as_float_array(x, "x")
    dout = as_float_array(dout, "dout")
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation: expected one of {', '.join(ACTIVATIONS)}, got {activation!r}")
    # YOUR CODE HERE
    raise NotImplementedError("not started: check_activation_backward")


def check_network_gradients(
    params: dict,
    x: np.ndarray,
    labels: np.ndarray,
    loss: str = "cross_entropy",
    activation: str = "relu",
    grads: dict | None = None,
    eps: float = 1e-6,
    threshold: float = 1e-6,
) -> dict:
    """Check the gradient of the loss with respect to every parameter of a network.

    params: {"W1": ..., "b1": ..., ...}; x: (N, D_0); labels: (N,); loss and activation as in
    train.loss_and_grads. grads: the analytic gradients to check, by default those that
    loss_and_grads returns (pass your own to see the checker catch a wrong one).
    Returns {name: report for every key of params}, each report from phase 0's check_gradient,
    where f(p) is the loss with params[name] replaced by p and everything else fixed.
    """
    # YOUR CODE HERE
    raise NotImplementedError("not started: check_network_gradients")


def main() -> int:
    """Run every check above on small random networks and print one line per check (given).

    python -m phase1_backprop.gradcheck
    """
    rng = np.random.default_rng(0)

    def away_from_zero(shape):  # ReLU's kink at 0 would upset finite differences
        return rng.uniform(0.2, 2.0, size=shape) * rng.choice([-1.0, 1.0], size=shape)

    def small_network(sizes):
        params = {}
        for layer, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
            params[f"W{layer}"] = rng.normal(size=(fan_in, fan_out)) / np.sqrt(fan_in)
            params[f"b{layer}"] = rng.normal(size=fan_out) * 0.5
        return params

    rows = []
    try:
        x, w, b, dout = rng.normal(size=(2, 3)), rng.normal(size=(3, 4)), rng.normal(size=4), rng.normal(size=(2, 4))
        for key, report in check_linear_backward(x, w, b, dout).items():
            rows.append((f"linear_backward: d{key}", report))
        for activation in ACTIVATIONS:
            report = check_activation_backward(activation, away_from_zero((3, 4)), rng.normal(size=(3, 4)))
            rows.append((f"{activation}_backward: dx", report))
        for sizes, activation, loss in [((2, 4, 3), "relu", "cross_entropy"), ((2, 4, 2), "sigmoid", "mse"),
                                        ((3, 4, 5, 3), "tanh", "cross_entropy"), ((3, 5, 4, 2), "relu", "mse")]:
            params = small_network(sizes)
            inputs, labels = rng.normal(size=(5, sizes[0])), rng.integers(0, sizes[-1], size=5)
            for key, report in check_network_gradients(params, inputs, labels, loss, activation).items():
                rows.append((f"{len(sizes) - 1} layers, {activation}, {loss}: d{key}", report))
    except NotImplementedError as exc:
        print(f"cannot run the checks yet: {exc}")
        return 1
    width = max(len(name) for name, _ in rows)
    for name, report in rows:
        verdict = "ok" if report["passed"] else f"FAILS (worst entry {report['worst_index']}: analytic " \
            f"{report['analytic']:.6g}, numeric {report['numeric']:.6g})"
        print(f"{name:<{width}}  rel_error {report['rel_error']:.2e}  {verdict}")
    failed = sum(not report["passed"] for _, report in rows)
    print("all gradient checks pass" if not failed else f"{failed} of {len(rows)} gradient checks fail")
    return 0 if not failed else 1


if __name__ == "__main__":
    raise SystemExit(main())
