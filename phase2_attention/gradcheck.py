"""Exercise 2.4: your own gradient checks of attention and multi-head attention.

Every backward pass of this phase is checked the same way: pick a random upstream gradient dout,
define the scalar L(x) = sum(forward(x) * dout), whose gradient is exactly what the backward pass
returns when given dout, and compare that with phase 0's central differences of L, one input (or
one weight) at a time. Run them all with

    .venv/bin/python -m phase2_attention.gradcheck

A report (see :func:`compare`) says "passed" when the relative error is at most 1e-6. One
gradient is exactly zero whatever the inputs: the key bias bk (adding the same vector to every key
adds the same number to every score of a row, and softmax ignores that). Its relative error is
finite-difference noise divided by noise, so the check of bk alone, and of no other tensor, also
passes when the largest |analytic - numeric| is at most 1e-7 (``compare(..., zero_gradient=True)``).
Every other gradient must pass on its relative error: an absolute pass would let a wrong gradient
through whenever the true one happens to be small.

A check is only worth something if it can fail. Every check takes an optional ``analytic``: the
gradients to check instead of the ones the backward pass returns (a dict with the same keys as the
check's result). Hand it a deliberately wrong gradient and the report must say "failed".
"""

from __future__ import annotations

import numpy as np

from phase0_math.gradcheck import numerical_gradient, relative_error
from phase2_attention.attention import attention, attention_backward
from phase2_attention.mask import causal_mask, padding_mask
from phase2_attention.multi_head import PARAM_NAMES, multi_head_attention, multi_head_attention_backward

THRESHOLD = 1e-6
ABS_TOLERANCE = 1e-7


def compare(analytic: np.ndarray, numeric: np.ndarray, zero_gradient: bool = False) -> dict:
    """Given: the report of one gradient check.

    analytic, numeric: the same shape -> {"rel_error": float, "abs_error": float (largest
    |analytic - numeric|), "passed": bool, "analytic": array, "numeric": array}.
    "passed" is rel_error <= 1e-6. zero_gradient=True is for the key bias bk only, whose true
    gradient is exactly 0: it also passes when abs_error <= 1e-7.
    """
    analytic = np.asarray(analytic, dtype=np.float64)
    numeric = np.asarray(numeric, dtype=np.float64)
    rel = relative_error(analytic, numeric)
    absolute = float(np.max(np.abs(analytic - numeric))) if analytic.size else 0.0
    passed = rel <= THRESHOLD or (zero_gradient and absolute <= ABS_TOLERANCE)  # the absolute pass: bk only
    return {"rel_error": rel, "abs_error": absolute, "passed": bool(passed), "analytic": analytic, "numeric": numeric}


def _upstream(shape: tuple, dout, seed: int) -> np.ndarray:
    if dout is None:
        return np.random.default_rng(seed).normal(size=shape)
    dout = np.asarray(dout, dtype=np.float64)
    if dout.shape != tuple(shape):
        raise ValueError(f"dout: expected the output's shape {tuple(shape)}, got {dout.shape}")
    return dout


def _given(analytic: dict, inputs: dict) -> dict:
    """Given: the gradients handed to a check instead of the backward pass's, as float64 arrays.

    analytic: a dict with exactly the keys of ``inputs``, each entry shaped like its input, or a
    ValueError naming the key that is missing, unexpected or of the wrong shape.
    """
    if not isinstance(analytic, dict) or set(analytic) != set(inputs):
        got = sorted(analytic) if isinstance(analytic, dict) else type(analytic).__name__
        raise ValueError(f"analytic: expected a dict with the keys {sorted(inputs)}, got {got}")
    checked = {}
    for name, x in inputs.items():
        grad = np.asarray(analytic[name], dtype=np.float64)
        if grad.shape != np.shape(x):
            raise ValueError(f"analytic[{name!r}]: expected the shape of {name} {np.shape(x)}, got {grad.shape}")
        checked[name] = grad
    return checked


def check_attention(q, k, v, mask=None, dout=None, seed: int = 0, analytic=None) -> dict:
    """Check attention_backward against central differences of attention, for q, k and v.

    q: (..., Tq, d_k), k: (..., Tk, d_k), v: (..., Tk, d_v), mask: as in attention, dout: None or
    (..., Tq, d_v), the upstream gradient (None: drawn from N(0, 1) with ``seed``, see _upstream),
    analytic: None (check what attention_backward(dout, cache) returns) or {"q": dq, "k": dk,
    "v": dv}, gradients to check instead (see _given)
    -> {"q": report, "k": report, "v": report}, reports from :func:`compare`.
    The numerical side differentiates L(x) = sum(attention(..., x, ...)[0] * dout) with phase 0's
    ``numerical_gradient`` (its default eps). Raises ValueError when dout is not shaped like the
    output, and (from _given) when analytic lacks a key or an entry is not shaped like its input.
    """
    q, k, v = (np.asarray(a, dtype=np.float64) for a in (q, k, v))
    # YOUR CODE HERE
    raise NotImplementedError("not started: check_attention")


def check_multi_head_attention(x_q, x_kv, params: dict, n_heads: int, mask=None, dout=None, seed: int = 0,
                                analytic=None) -> dict:
    """Check multi_head_attention_backward for both inputs and every weight and bias.

    x_q: (B, Tq, d_model), x_kv: (B, Tk, d_model), params and mask as in multi_head_attention,
    dout: None or (B, Tq, d_model), seed as in :func:`check_attention`, analytic: None or a dict
    {"x_q": dx_q, "x_kv": dx_kv, "wq": ..., "bo": ...} of gradients to check instead
    -> {"x_q": report, "x_kv": report, "wq": report, "bq": report, ..., "bo": report}: ten
    reports, x_kv and x_q treated as two separate inputs, each from :func:`compare`; the report of
    "bk" alone with zero_gradient=True. Raises ValueError as check_attention does.
    """
    x_q, x_kv = np.asarray(x_q, dtype=np.float64), np.asarray(x_kv, dtype=np.float64)
    params = {name: np.asarray(params[name], dtype=np.float64) for name in PARAM_NAMES}
    # YOUR CODE HERE
    raise NotImplementedError("not started: check_multi_head_attention")


def check_self_attention(x, params: dict, n_heads: int, mask=None, dout=None, seed: int = 0, analytic=None) -> dict:
    """Check the gradient of self-attention's one input: dx = dx_q + dx_kv when x_q = x_kv = x.

    x: (B, T, d_model), params and mask as in multi_head_attention, dout: None or (B, T, d_model),
    seed as in :func:`check_attention`, analytic: None or {"x": dx}, a gradient to check instead
    -> {"x": report}. The numerical side nudges x in both roles at once. Raises ValueError as
    check_attention does.
    """
    x = np.asarray(x, dtype=np.float64)
    # YOUR CODE HERE
    raise NotImplementedError("not started: check_self_attention")


CHECK_NAMES = (
    "attention",
    "attention, causal mask",
    "cross-attention, padding mask",
    "multi-head attention",
    "multi-head attention, causal mask",
    "self-attention, causal mask",
)


def run_all(seed: int = 0) -> dict:
    """Every check of the phase on small random inputs: {check name: {tensor name: report}}.

    The check names are CHECK_NAMES: attention without a mask (Tq = 3 queries, Tk = 4 keys), with
    a causal mask (T = 4), cross-attention with a padding mask; multi-head attention (d_model = 6,
    2 heads) without a mask and self-attention with a causal mask, both in every input and weight.
    """
    # YOUR CODE HERE
    raise NotImplementedError("not started: run_all")


def main(seed: int = 0) -> bool:
    """Given: print every check as a table; True when all pass."""
    results = run_all(seed)
    ok = True
    print(f"{'check':<36}{'tensor':<8}{'rel. error':>12}{'abs. error':>12}  result")
    for check, reports in results.items():
        for name, report in reports.items():
            ok &= bool(report["passed"])
            verdict = "ok" if report["passed"] else "FAILED"
            print(f"{check:<36}{name:<8}{report['rel_error']:>12.2e}{report['abs_error']:>12.2e}  {verdict}")
    print("all gradient checks pass" if ok else "some gradient checks FAILED: read the reading guide's common mistakes")
    return ok


if __name__ == "__main__":
    raise SystemExit(0 if main() else 1)
