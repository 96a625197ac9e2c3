"""Hidden tests: gradcheck.py, the student's own gradient checks of attention and multi-head attention.

The checks run on the target's own forward and backward passes; here their reports are compared
with the reference's gradients: a check whose numerical side differentiates the wrong function
(a mask left out, one role of x forgotten) reports numbers that are not the true gradient.
"""

import numpy as np
import pytest

from grader.engine.testing import assert_close, expect_array, expect_float, module_fixture, reference_fixture

gc = module_fixture("phase2_attention.gradcheck", timeout=60)
ref_att = reference_fixture("phase2_attention.attention")
ref_mh = reference_fixture("phase2_attention.multi_head")
att = module_fixture("phase2_attention.attention")
mh = module_fixture("phase2_attention.multi_head")

pytestmark = pytest.mark.exercise("gradcheck")

REPORT_KEYS = {"rel_error", "abs_error", "passed", "analytic", "numeric"}
NAMES = ("wq", "bq", "wk", "bk", "wv", "bv", "wo", "bo")
CHECK_NAMES = (
    "attention",
    "attention, causal mask",
    "cross-attention, padding mask",
    "multi-head attention",
    "multi-head attention, causal mask",
    "self-attention, causal mask",
)


def expect_reports(reports, keys, what):
    if not isinstance(reports, dict) or sorted(reports) != sorted(keys):
        got = sorted(reports) if isinstance(reports, dict) else type(reports).__name__
        raise AssertionError(f"{what}: expected a dict of reports with keys {sorted(keys)}, got {got}")
    for key in keys:
        report = reports[key]
        if not isinstance(report, dict) or not REPORT_KEYS <= set(report):
            raise AssertionError(f"{what}[{key!r}]: a report needs rel_error, abs_error, passed, analytic, numeric "
                                 "(use compare)")
        if report["passed"] is not True:
            raise AssertionError(f"{what}[{key!r}]: your check did not pass (rel_error {report['rel_error']!r}); "
                                 "fix the backward pass or the check")
        expect_float(report["rel_error"], f"{what}[{key!r}]['rel_error']")
    return reports


def same_as_truth(report, truth, what):
    """The report's numerical and analytic gradients must both be the true gradient."""
    numeric = expect_array(report["numeric"], f"{what}: numeric", shape=np.shape(truth))
    assert_close(numeric, truth, f"{what}: your numerical gradient against the true one", rtol=1e-5, atol=1e-6)
    assert_close(report["analytic"], truth, f"{what}: your analytic gradient against the true one")


def random_params(rng, d):
    return {n: rng.normal(0.0, 0.5, size=(d, d) if n[0] == "w" else (d,)) for n in NAMES}


# The checks run the target's own forward pass (its numerical side) and, without ``analytic``, its own
# backward pass. So that a wrong backward pass costs points where it is made and not here too, these
# tests hand the true gradients in (``analytic=``) and hold the numerical side to the truth; a separate
# test checks that without ``analytic`` a check uses the target's own backward pass, whatever it gives.


def test_check_attention_reports_the_true_gradients_of_q_k_v(gc, ref_att, rng):
    q, k, v = rng.normal(size=(2, 3, 5)), rng.normal(size=(2, 4, 5)), rng.normal(size=(2, 4, 6))
    dout = rng.normal(size=(2, 3, 6))
    truth = ref_att.attention_backward(dout, ref_att.attention(q, k, v)[1])
    reports = expect_reports(gc.check_attention(q, k, v, None, dout, analytic=dict(zip("qkv", truth))),
                             ("q", "k", "v"), "check_attention")
    for name, grad in zip("qkv", truth):
        same_as_truth(reports[name], grad, f"check_attention[{name!r}]")


def test_check_attention_differentiates_the_masked_attention(gc, ref_att, rng):
    q, k, v = rng.normal(size=(2, 4, 5)), rng.normal(size=(2, 4, 5)), rng.normal(size=(2, 4, 3))
    mask = np.tril(np.ones((4, 4), dtype=bool))
    dout = rng.normal(size=(2, 4, 3))
    truth = ref_att.attention_backward(dout, ref_att.attention(q, k, v, mask)[1])
    reports = expect_reports(gc.check_attention(q, k, v, mask, dout, analytic=dict(zip("qkv", truth))),
                             ("q", "k", "v"), "check_attention with a mask")
    for name, grad in zip("qkv", truth):
        same_as_truth(reports[name], grad, f"check_attention(causal mask)[{name!r}]")


def test_check_multi_head_attention_reports_every_input_and_weight(gc, ref_mh, rng):
    x_q, x_kv, p = rng.normal(size=(2, 3, 6)), rng.normal(size=(2, 4, 6)), random_params(rng, 6)
    mask = np.array([[[True, True, True, False]], [[True, True, False, False]]])
    dout = rng.normal(size=(2, 3, 6))
    _, cache = ref_mh.multi_head_attention(x_q, x_kv, p, 2, mask)
    dx_q, dx_kv, grads = ref_mh.multi_head_attention_backward(dout, cache)
    truth = {"x_q": dx_q, "x_kv": dx_kv, **grads}
    reports = expect_reports(gc.check_multi_head_attention(x_q, x_kv, p, 2, mask, dout, analytic=truth),
                             ("x_q", "x_kv") + NAMES, "check_multi_head_attention")
    for name in truth:
        same_as_truth(reports[name], truth[name], f"check_multi_head_attention[{name!r}]")


def test_check_self_attention_nudges_x_in_both_roles(gc, ref_mh, rng):
    x, p = rng.normal(size=(2, 4, 6)), random_params(rng, 6)
    mask = np.tril(np.ones((4, 4), dtype=bool))
    dout = rng.normal(size=(2, 4, 6))
    dx_q, dx_kv, _ = ref_mh.multi_head_attention_backward(dout, ref_mh.multi_head_attention(x, x, p, 3, mask)[1])
    reports = expect_reports(gc.check_self_attention(x, p, 3, mask, dout, analytic={"x": dx_q + dx_kv}), ("x",),
                             "check_self_attention")
    same_as_truth(reports["x"], dx_q + dx_kv, "check_self_attention['x']")


def test_without_analytic_the_checks_use_your_own_backward_pass(gc, att, mh, rng):
    """Without ``analytic`` a check reports on the target's own backward pass: the same reports as when
    those gradients are handed in (whether they are right is graded in test_attention/test_multi_head)."""
    q, k, v = rng.normal(size=(1, 3, 4)), rng.normal(size=(1, 2, 4)), rng.normal(size=(1, 2, 3))
    mask, dout = np.array([[True, False], [True, True], [True, True]]), rng.normal(size=(1, 3, 3))
    x, p = rng.normal(size=(1, 3, 4)), random_params(rng, 4)
    try:
        own_att = dict(zip("qkv", att.attention_backward(dout, att.attention(q, k, v, mask)[1])))
        dx_q, dx_kv, grads = mh.multi_head_attention_backward(x, mh.multi_head_attention(x, x, p, 2, None)[1])
    except NotImplementedError:
        raise
    except Exception:  # noqa: BLE001 - a backward pass that fails is graded where it is written
        return
    pairs = [("check_attention", gc.check_attention(q, k, v, mask, dout),
              gc.check_attention(q, k, v, mask, dout, analytic=own_att)),
             ("check_self_attention", gc.check_self_attention(x, p, 2, None, x),
              gc.check_self_attention(x, p, 2, None, x, analytic={"x": dx_q + dx_kv}))]
    for what, without, handed in pairs:
        if not isinstance(without, dict) or not isinstance(handed, dict) or sorted(without) != sorted(handed):
            raise AssertionError(f"{what} without analytic: expected the same report keys as with your own "
                                 f"gradients handed in, got {without!r:.200} and {handed!r:.200}")
        for name in handed:
            if without[name].get("passed") is not handed[name].get("passed"):
                raise AssertionError(f"{what}[{name!r}] without analytic says passed={without[name].get('passed')!r}, "
                                     f"but with your own backward's gradient handed in passed="
                                     f"{handed[name].get('passed')!r}: without analytic a check uses your backward")
            assert_close(without[name].get("analytic"), handed[name].get("analytic"),
                         f"{what}[{name!r}]: analytic without analytic= against your own backward's gradient")


def test_run_all_runs_every_named_check(gc):
    # run_all's inputs are its own draws: what it promises is the names, their order and one report per
    # tensor (whether each passes depends on the target's backward passes, graded where they are written)
    results = gc.run_all(1)
    if not isinstance(results, dict) or list(results) != list(CHECK_NAMES):
        got = list(results) if isinstance(results, dict) else type(results).__name__
        raise AssertionError(f"run_all: expected the checks {list(CHECK_NAMES)} in this order, got {got}")
    attention_keys, mh_keys = ("q", "k", "v"), ("x_q", "x_kv") + NAMES
    expected = [attention_keys] * 3 + [mh_keys] * 2 + [("x",)]
    for name, keys in zip(CHECK_NAMES, expected):
        reports = results[name]
        if not isinstance(reports, dict) or sorted(reports) != sorted(keys):
            raise AssertionError(f"run_all()[{name!r}]: expected reports for {sorted(keys)}")
        for key in keys:
            if not isinstance(reports[key], dict) or not REPORT_KEYS <= set(reports[key]) \
                    or not isinstance(reports[key]["passed"], bool):
                raise AssertionError(f"run_all()[{name!r}][{key!r}]: a report needs rel_error, abs_error, passed "
                                     "(a bool), analytic, numeric")


# -- the whole contract, against the reference ---------------------------------------------------
# A checker is only worth something if it can fail: every check is handed, through ``analytic``,
# right gradients, gradients off by round-off (they pass), by an absolute 5e-8 (only the key bias bk
# passes on abs error <= 1e-7; any other tensor is judged on its relative error), and wrong ones: one entry off by 3x the 1e-6 threshold, scaled, or unrelated
# (one entry off by 0.3x the threshold passes). The report's verdict, numerical gradient,
# analytic gradient and (large) relative error must be the reference's. Inputs are of moderate
# size so central differences stay accurate. Each case is built from one drawn seed.

from grader.engine import domains as dom  # noqa: E402
from grader.engine.differential import Contract, case, contract_tests  # noqa: E402


def _softmax_rows(s, allowed):
    dead = ~allowed.any(axis=-1, keepdims=True)
    s = np.where(allowed & ~dead, s, -np.inf)
    s = np.where(dead, 0.0, s)
    e = np.exp(s - s.max(axis=-1, keepdims=True))
    return np.where(dead, 0.0, e / e.sum(axis=-1, keepdims=True))


def _att_grads(q, k, v, mask, dout):
    """(dq, dk, dv) of L = sum(attention(q, k, v, mask) * dout), written here from the formulas."""
    scale = 1.0 / np.sqrt(q.shape[-1])
    s = np.einsum("...id,...jd->...ij", q, k) * scale
    a = _softmax_rows(s, np.ones(s.shape, dtype=bool) if mask is None else np.broadcast_to(mask, s.shape))
    da = np.einsum("...id,...jd->...ij", dout, v)
    ds = a * (da - (da * a).sum(axis=-1, keepdims=True))
    return (np.einsum("...ij,...jd->...id", ds, k) * scale, np.einsum("...ij,...id->...jd", ds, q) * scale,
            np.einsum("...ij,...id->...jd", a, dout))


def _mha_grads(x_q, x_kv, p, n_heads, mask, dout):
    """Every gradient of L = sum(multi_head_attention(...) * dout), by heads and column slices."""
    b, _, d = x_q.shape
    dh = d // n_heads
    m = None if mask is None else (np.asarray(mask)[:, None] if np.ndim(mask) == 3 else np.asarray(mask))

    def split(y):
        return y.reshape(b, y.shape[1], n_heads, dh).transpose(0, 2, 1, 3)

    def merge(y):
        return y.transpose(0, 2, 1, 3).reshape(b, y.shape[2], d)

    q, k, v = split(x_q @ p["wq"] + p["bq"]), split(x_kv @ p["wk"] + p["bk"]), split(x_kv @ p["wv"] + p["bv"])
    s = np.einsum("bhid,bhjd->bhij", q, k) / np.sqrt(dh)
    a = _softmax_rows(s, np.ones(s.shape, dtype=bool) if m is None else np.broadcast_to(m, s.shape))
    g = {"wo": np.einsum("btc,btd->cd", merge(a @ v), dout), "bo": dout.sum(axis=(0, 1))}
    dq, dk, dv = (merge(y) for y in _att_grads(q, k, v, m, split(dout @ p["wo"].T)))
    for name, x, dy in (("q", x_q, dq), ("k", x_kv, dk), ("v", x_kv, dv)):
        g["w" + name], g["b" + name] = np.einsum("btc,btd->cd", x, dy), dy.sum(axis=(0, 1))
    return {"x_q": dq @ p["wq"].T, "x_kv": dk @ p["wk"].T + dv @ p["wv"].T, **g}


def _mask(rng, shape, min_rank=1):
    rank = int(rng.integers(min_rank, len(shape) + 1))
    mask_shape = tuple(n if rng.random() < 0.5 else 1 for n in shape[len(shape) - rank:])
    return rng.random(mask_shape) < rng.choice([0.4, 0.7, 1.0])


_KINDS = ("right", "round-off", "abs 5e-8", "3x threshold", "0.3x threshold", "scaled", "unrelated")


def _mistaken(rng, truth: dict, kinds: dict | None = None):
    """(``truth`` with some entries made wrong, a note).

    kinds: {name: kind} to choose how each entry is made wrong (else drawn)."""
    given, notes = {}, []
    for name, g in truth.items():
        kind = kinds[name] if kinds is not None else _KINDS[int(rng.integers(len(_KINDS)))]
        g = np.array(g, dtype=np.float64)
        size = 2.0 * float(np.max(np.abs(g))) + 1e-300
        spot = tuple(int(rng.integers(0, n)) for n in g.shape)
        if kind == "round-off":
            g = g * (1.0 + 1e-12 * rng.normal(size=g.shape))
        elif kind == "abs 5e-8":
            g[spot] += 5e-8
        elif kind == "3x threshold":
            g[spot] += max(3e-6 * size, 1e-5)
        elif kind == "0.3x threshold":
            g[spot] += 3e-7 * size
        elif kind == "scaled":
            g = g * 1.5 + 1e-3
        elif kind == "unrelated":
            g = rng.normal(size=g.shape)
        given[name] = g
        notes.append(f"{name}: {kind}")
    return given, "analytic " + ", ".join(notes)


def _inputs(rng, shape):
    return rng.normal(size=shape) * rng.choice([0.5, 1.0, 1.5])


def _check_attention_case(rng, kinds=None):
    lead = [(), (1,), (2,), (2, 1)][int(rng.integers(4))]
    t_q, t_k, d_k, d_v = (int(n) for n in rng.integers(1, 4, size=4))
    q, k, v = _inputs(rng, lead + (t_q, d_k)), _inputs(rng, lead + (t_k, d_k)), _inputs(rng, lead + (t_k, d_v))
    mask = None if rng.random() < 0.3 else _mask(rng, lead + (t_q, t_k))
    dout = _inputs(rng, lead + (t_q, d_v))
    analytic, note = _mistaken(rng, dict(zip("qkv", _att_grads(q, k, v, mask, dout))), kinds)
    return case(q, k, v, mask, dout, analytic=analytic, note=note)


def _mha_check_case(rng, self_attention, kinds=None):
    h, d_head = [(1, 2), (2, 1), (2, 2), (1, 3)][int(rng.integers(4))]
    d = h * d_head
    b, t_q = int(rng.integers(1, 3)), int(rng.integers(1, 4))
    x_q = _inputs(rng, (b, t_q, d))
    t_k = t_q if self_attention else int(rng.integers(1, 4))
    x_kv = x_q if self_attention else _inputs(rng, (b, t_k, d))
    p = {n: rng.normal(0.0, 0.5, size=(d, d) if n[0] == "w" else (d,)) for n in NAMES}
    kind = int(rng.integers(3))
    mask = None if kind == 0 else _mask(rng, (b, t_q, t_k)) if kind == 1 else _mask(rng, (b, h, t_q, t_k), 4)
    dout = _inputs(rng, (b, t_q, d))
    truth = _mha_grads(x_q, x_kv, p, h, mask, dout)
    if self_attention:
        analytic, note = _mistaken(rng, {"x": truth["x_q"] + truth["x_kv"]}, kinds)
        return case(x_q, p, h, mask, dout, analytic=analytic, note=note)
    analytic, note = _mistaken(rng, truth, kinds and {n: kinds.get(n, "right") for n in truth})
    return case(x_q, x_kv, p, h, mask, dout, analytic=analytic, note=note)


from grader.engine.domains import seeded as _seeded  # noqa: E402


def _verdicts(reports):
    """What a report must agree on: the verdict, both gradients, and a relative error above 1e-3.

    The key bias bk is the exception: its true gradient is 0, so its numerical gradient and a
    right analytic one are round-off; they are judged as "about 0" on the scale of the largest
    numerical gradient of the check, and its relative error (noise over noise) not at all."""
    scale = max(float(np.max(np.abs(r["numeric"]), initial=0.0)) for r in reports.values())
    verdicts = {}
    for name, r in reports.items():
        if name == "bk":
            analytic, numeric = np.asarray(r["analytic"], dtype=float), np.asarray(r["numeric"], dtype=float)
            about_zero = float(np.max(np.abs(analytic), initial=0.0)) <= 1e-6 * scale
            verdicts[name] = {"passed": r["passed"], "numeric about 0": bool(np.max(np.abs(numeric), initial=0.0)
                                                                              <= 1e-6 * scale),
                              "analytic": np.zeros_like(analytic) if about_zero else analytic}
        else:
            verdicts[name] = {"passed": r["passed"], "numeric": r["numeric"], "analytic": r["analytic"],
                              "rel_error": max(float(r["rel_error"]), 1e-3)}
    return verdicts


_rng = np.random.default_rng(3)
_q, _k, _v = _rng.normal(size=(2, 3, 4)), _rng.normal(size=(2, 2, 4)), _rng.normal(size=(2, 2, 3))
_x, _p = _rng.normal(size=(1, 3, 4)), {n: _rng.normal(size=(4, 4) if n[0] == "w" else (4,)) for n in NAMES}
_good = dict(zip("qkv", _att_grads(_q, _k, _v, None, np.ones((2, 3, 3)))))
# near the documented threshold, always: 3x the 1e-6 threshold fails, 0.3x passes, so does 5e-8 absolute
_NEAR = {"q": "3x threshold", "k": "abs 5e-8", "v": "0.3x threshold", "x": "3x threshold", "x_q": "0.3x threshold",
         "wq": "3x threshold", "bk": "abs 5e-8", "bv": "3x threshold", "wo": "0.3x threshold", "bo": "3x threshold"}

CONTRACTS = [
    Contract("phase2_attention.gradcheck", "check_attention", _seeded(_check_attention_case), examples=8,
             project=_verdicts, rtol=1e-5, atol=1e-7,
             fixed=[case(_q, _k, _v, None, np.ones((2, 3, 4)), note="dout shaped like q, not like out"),
                    case(_q, _k, _v, None, np.ones((2, 3, 3)), analytic={"q": _good["q"], "k": _good["k"]},
                         note="analytic without v"),
                    case(_q, _k, _v, None, np.ones((2, 3, 3)), analytic={**_good, "v": _good["v"][0]},
                         note="analytic v of the wrong shape"),
                    _check_attention_case(np.random.default_rng(11), _NEAR)]),
    Contract("phase2_attention.gradcheck", "check_multi_head_attention", _seeded(lambda r: _mha_check_case(r, False)),
             examples=3, project=_verdicts, rtol=1e-5, atol=1e-7,
             fixed=[case(_x, _x, _p, 2, None, np.ones((1, 2, 4)), note="dout of the wrong shape"),
                    _mha_check_case(np.random.default_rng(12), False, _NEAR)]),
    Contract("phase2_attention.gradcheck", "check_self_attention", _seeded(lambda r: _mha_check_case(r, True)),
             examples=6, project=_verdicts, rtol=1e-5, atol=1e-7,
             fixed=[case(_x, _p, 2, None, np.ones((1, 3, 4)), analytic={"x": np.ones((1, 3, 3))},
                         note="analytic x of the wrong shape"),
                    _mha_check_case(np.random.default_rng(13), True, _NEAR)]),
]
globals().update(contract_tests(CONTRACTS))
