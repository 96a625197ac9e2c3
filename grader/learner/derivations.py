"""Checked derivations: a workbook's verdict on a derived result, without storing the answer.

A learner writes a derivation's result in a workbook in one of two forms, and a check cell calls
one function here (none of them gives points; a graded cell may call :func:`verdict` with ``strict``):

- :func:`symbolic`: a scalar result as an expression (a string such as ``"2*(w*x + b - y)*x"`` or a
  sympy expression) in named symbols. The reference is derived here, from the *forward definition*
  the check cell states (``sympy.diff`` of the loss), and compared by symbolic equivalence, with
  random points as a fallback when ``simplify`` cannot decide. :func:`threshold` does the same for
  gradient descent's divergence threshold, derived from the loss's Hessian.
- :func:`gradient`: a matrix result as a small numpy function of named inputs (a VJP, a backward
  pass). It is compared with central finite differences of a scalar function the check cell gives
  (``sum(dout * f(x))`` for a VJP) at random points.

No answer is stored anywhere: each reference is computed from the problem's own definition. Each
function prints one line (right, not answered yet, or what is off) and returns True or False; it
never raises for a wrong answer, so a notebook runs on to its experiments.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping

import numpy as np

_SEEDS = (0, 1, 2)


def _autograde() -> bool:
    return os.environ.get("NBGRADER_EXECUTION") == "autograde"


def verdict(name: str, ok: bool, line: str, strict: bool = False) -> bool:
    """Print ``name: line`` and return ``ok``. ``strict`` (a graded cell's check): under nbgrader's
    autograde a failure raises AssertionError, so the cell scores 0."""
    print(f"{name}: {line}")
    if strict and not ok and _autograde():
        raise AssertionError(f"{name}: {line}")
    return ok


def unanswered(name: str, answer) -> bool:
    """True (and a line saying so) when ``answer`` is still None or Ellipsis: the cell is not done."""
    if answer is None or answer is Ellipsis:
        verdict(name, False, "not answered yet: skipped")
        return True
    return False


# -- scalar results, with sympy ------------------------------------------------------------------


def _namespace(names: str):
    import sympy

    symbols = {n: sympy.Symbol(n, real=True) for n in names.split()}
    z = sympy.Symbol("_z", real=True)
    helpers = {"sigma": sympy.Lambda(z, 1 / (1 + sympy.exp(-z))), "sigmoid": sympy.Lambda(z, 1 / (1 + sympy.exp(-z))),
               "exp": sympy.exp, "log": sympy.log, "tanh": sympy.tanh, "sqrt": sympy.sqrt, "pi": sympy.pi}
    return symbols, {**helpers, **symbols}


def _parse(answer, namespace: dict):
    """The learner's answer as a sympy expression; ValueError naming what was received."""
    import sympy

    if isinstance(answer, sympy.Basic):
        return answer
    if isinstance(answer, (int, float)):
        return sympy.nsimplify(answer)
    if not isinstance(answer, str):
        raise ValueError(f"expected an expression as a string (or a sympy expression), received {type(answer).__name__}")
    try:
        return sympy.sympify(answer, locals=namespace)
    except (sympy.SympifyError, SyntaxError, TypeError):
        raise ValueError(f"expected a Python expression (brackets closed, * for products), received {answer!r}") from None


def _unknown(mine, symbols: dict) -> str | None:
    """A line naming the names ``mine`` uses beyond ``symbols``, or None."""
    unknown = sorted(str(s) for s in mine.free_symbols if str(s) not in symbols)
    if not unknown:
        return None
    return (f"cannot check: your expression uses {', '.join(unknown)}; write it in {', '.join(symbols)} only "
            "(sigma(...), exp, log, tanh and sqrt may be used)")


def _at(expr, symbols: dict, point: dict) -> complex:
    return complex(expr.subs({symbols[k]: v for k, v in point.items()}).evalf())


def _points(symbols: dict, positive: tuple[str, ...], count: int = 6) -> list[dict]:
    rng = np.random.default_rng(0)
    out = []
    for _ in range(count):
        point = {n: float(rng.uniform(0.3, 2.0) if n in positive else rng.uniform(-2.0, 2.0)) for n in symbols}
        out.append(point)
    return out


def _diagnose(mine, reference, symbols: dict, positive: tuple[str, ...], noun: str = "the derivative") -> str:
    """One line on how ``mine`` differs from ``reference`` (both sympy expressions)."""
    import sympy

    if mine == 0:
        return f"wrong: yours is 0 and {noun} is not"
    missing = sorted(str(s) for s in reference.free_symbols - mine.free_symbols)
    extra = sorted(str(s) for s in mine.free_symbols - reference.free_symbols)
    points = _points(symbols, positive)
    pairs = [(_at(mine, symbols, p), _at(reference, symbols, p)) for p in points]
    ratios = [a / r for a, r in pairs if abs(r) > 1e-9]
    if ratios and all(abs(q - ratios[0]) < 1e-7 * max(1, abs(ratios[0])) for q in ratios):
        factor = ratios[0].real
        if abs(factor + 1) < 1e-9:
            return "wrong: the sign is flipped"
        return f"wrong: off by a constant factor (yours is {sympy.nsimplify(round(factor, 9))} times {noun})"
    try:
        missing_factor = sympy.simplify(reference / mine)
    except Exception:  # noqa: BLE001
        missing_factor = None
    if missing_factor is not None and missing_factor.free_symbols and sympy.count_ops(missing_factor) <= 2:
        return f"wrong: off by a factor of {missing_factor} ({noun} is yours times {missing_factor}: the chain rule?)"
    diffs = [a - r for a, r in pairs]
    if all(abs(d - diffs[0]) < 1e-7 for d in diffs):
        return f"wrong: off by a constant ({diffs[0].real:+.6g})"
    if missing:
        return f"wrong: the derivative depends on {', '.join(missing)} and yours does not (a factor of the chain rule?)"
    if extra:
        return f"wrong: yours depends on {', '.join(extra)} and the derivative does not"
    point, (a, r) = points[0], pairs[0]
    where = ", ".join(f"{k} = {v:.3g}" for k, v in point.items())
    return f"wrong: at {where} yours is {a.real:.6g}, {noun} is {r.real:.6g}"


def equivalent(mine, reference, symbols: dict, positive: tuple[str, ...] = ()) -> bool:
    """Symbolic equivalence (``simplify(mine - reference) == 0``), or agreement to 1e-9 at random
    points when simplify cannot decide."""
    import sympy

    try:
        if sympy.simplify(mine - reference) == 0:
            return True
    except Exception:  # noqa: BLE001 (simplify may give up on some forms: the points decide)
        pass
    for point in _points(symbols, positive, count=8):
        a, r = _at(mine, symbols, point), _at(reference, symbols, point)
        if not np.isfinite(a) or abs(a - r) > 1e-9 * max(1.0, abs(r)):
            return False
    return True


def symbolic(name: str, answer, *, of: str, wrt: str, symbols: str, positive: tuple[str, ...] = ()) -> bool:
    """Check ``answer`` against d(``of``)/d(``wrt``), derived here by sympy.

    ``of``: the forward definition, an expression in ``symbols`` (space-separated names; ``sigma``,
    ``exp``, ``log``, ``tanh``, ``sqrt`` may be used). ``positive``: symbols drawn positive when
    points are tried (a temperature, a variance). Prints one line; returns True when equivalent.
    """
    if unanswered(name, answer):
        return False
    named, namespace = _namespace(symbols)
    if wrt not in named:
        raise ValueError(f"expected wrt among the symbols {sorted(named)}, received {wrt!r}")
    try:
        mine = _parse(answer, namespace)
    except ValueError as exc:
        return verdict(name, False, f"cannot read your answer: {exc}")
    if _unknown(mine, named):
        return verdict(name, False, _unknown(mine, named))
    reference = _parse(of, namespace).diff(named[wrt])
    if equivalent(mine, reference, named, positive):
        return verdict(name, True, "right: equivalent to the derivative")
    return verdict(name, False, _diagnose(mine, reference, named, positive))


def value(name: str, answer, *, of: str, wrt: str, at: dict, symbols: str) -> bool:
    """Check the number ``answer`` against d(``of``)/d(``wrt``) at the point ``at`` (every symbol
    given a value), derived here by sympy. The verdict never prints the true value."""
    if unanswered(name, answer):
        return False
    named, namespace = _namespace(symbols)
    derivative = _parse(of, namespace).diff(named[wrt])
    reference = complex(derivative.subs({named[k]: v for k, v in at.items()}).evalf()).real
    try:
        mine = float(answer)
    except (TypeError, ValueError):
        return verdict(name, False, f"expected a number, received {type(answer).__name__}")
    close = 1e-9 * max(1.0, abs(reference))
    if abs(mine - reference) <= close:
        return verdict(name, True, "right")
    if abs(mine + reference) <= close:
        return verdict(name, False, "wrong: the sign is flipped")
    if mine != 0 and reference != 0:
        return verdict(name, False, f"wrong: off by a factor (yours is {mine / reference:.4g} times the derivative)")
    return verdict(name, False, "wrong: yours is 0 and the derivative is not" if mine == 0 else "wrong: the derivative is 0 here")


def threshold(name: str, answer, *, loss: str, params: str, symbols: str) -> bool:
    """Check ``answer``, gradient descent's divergence threshold 2 / lambda_max, where lambda_max is
    the largest eigenvalue of the Hessian of ``loss`` in ``params`` (derived here by sympy)."""
    import sympy

    if unanswered(name, answer):
        return False
    named, namespace = _namespace(symbols + " " + params)
    try:
        mine = _parse(answer, namespace)
    except ValueError as exc:
        return verdict(name, False, f"cannot read your answer: {exc}")
    data = {k: v for k, v in named.items() if k not in params.split()}
    if _unknown(mine, data):
        return verdict(name, False, _unknown(mine, data))
    hessian = sympy.hessian(_parse(loss, namespace), [named[p] for p in params.split()])
    trace, det = hessian.trace(), hessian.det()
    largest = sympy.simplify((trace + sympy.sqrt(trace ** 2 - 4 * det)) / 2) if hessian.shape == (2, 2) else None
    if largest is None:
        raise ValueError(f"expected two parameters, received {params!r}")
    reference = 2 / largest
    if equivalent(mine, reference, data):
        return verdict(name, True, "right: 2 / lambda_max of the Hessian")
    if equivalent(mine, 1 / largest, data):
        return verdict(name, False, "wrong: off by a factor of 2 (the threshold is 2 / lambda_max, not 1 / lambda_max)")
    return verdict(name, False, _diagnose(mine, reference, data, (), noun="the threshold"))


# -- matrix results, with finite differences ---------------------------------------------------------


def numeric_gradient(scalar: Callable[[np.ndarray], float], x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Central differences of ``scalar`` at ``x`` (any shape); ``x`` is restored afterwards."""
    x = np.array(x, dtype=float)
    out = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        keep = x[index]
        x[index] = keep + eps
        up = scalar(x)
        x[index] = keep - eps
        down = scalar(x)
        x[index] = keep
        out[index] = (up - down) / (2 * eps)
    return out


def _relative(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(a)), np.max(np.abs(b)), 1e-8))


def _inputs(shapes: Mapping, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    made = {}
    for key, spec in shapes.items():
        made[key] = spec(rng) if callable(spec) else rng.normal(size=spec)
    return made


def _mismatch(mine: np.ndarray, true: np.ndarray) -> str:
    if _relative(-mine, true) < 1e-5:
        return "the sign is flipped"
    scale = float(np.vdot(mine, true) / max(np.vdot(true, true), 1e-300))
    if abs(scale) > 1e-9 and _relative(mine / scale, true) < 1e-5:
        return f"off by a constant factor (yours is {scale:.4g} times the gradient)"
    if mine.ndim == 2 and mine.shape[0] == mine.shape[1] and _relative(mine.T, true) < 1e-5:
        return "transposed"
    worst = np.unravel_index(np.argmax(np.abs(mine - true)), true.shape)
    return (f"relative error {_relative(mine, true):.2e}; worst entry {tuple(int(i) for i in worst)}: "
            f"yours {mine[worst]:.6g}, finite differences {true[worst]:.6g}")


def gradient(name: str, answer: Callable | None, *, scalar: Callable[..., float], inputs: Mapping,
             wrt: str | tuple[str, ...], tolerance: float = 1e-6) -> bool:
    """Check ``answer(**inputs)`` against finite differences of ``scalar(**inputs)``.

    ``inputs``: name -> shape (drawn standard normal) or a function of a numpy Generator returning
    the array (integer labels, positive values). ``wrt``: the input(s) differentiated; ``answer``
    returns one array per name in ``wrt``, each of that input's shape. Tried at three random
    points; prints one line, returns True when every relative error is below ``tolerance``.
    """
    if unanswered(name, answer):
        return False
    names = (wrt,) if isinstance(wrt, str) else tuple(wrt)
    for seed in _SEEDS:
        point = _inputs(inputs, seed)
        try:
            got = answer(**{k: np.array(v) for k, v in point.items()})
        except NotImplementedError:
            return verdict(name, False, "not answered yet: skipped")
        except Exception as exc:  # noqa: BLE001 (the learner's function: its failure is the verdict)
            return verdict(name, False, f"your function raised {type(exc).__name__}: {exc}")
        got = (got,) if len(names) == 1 and not isinstance(got, (tuple, list)) else tuple(got)
        if len(got) != len(names):
            return verdict(name, False, f"wrong: expected {len(names)} arrays ({', '.join(names)}), received {len(got)}")
        for key, mine in zip(names, got):
            mine = np.asarray(mine, dtype=float)
            if mine.shape != np.shape(point[key]):
                return verdict(name, False, f"wrong: d{key} has shape {mine.shape}, expected {np.shape(point[key])}"
                                            f" (the shape of {key})")

            def along(value, key=key, point=point):
                return float(scalar(**{**point, key: value}))

            true = numeric_gradient(along, point[key])
            if not np.all(np.isfinite(mine)) or _relative(mine, true) > tolerance:
                return verdict(name, False, f"wrong: d{key} {_mismatch(mine, true)}")
    return verdict(name, True, f"right: matches finite differences at {len(_SEEDS)} random points")
