"""Snapshot tests: golden inputs and outputs of the public functions, written from the reference.

The author command draws cases from the input domains the hidden tests already declare (each
``Contract`` in ``<pkg>/tests/hidden/test_*.py``: shapes, ranks, value regimes, documented
arguments), with a seed of its own (not a grading seed), adds the contract's fixed cases (the
extremes and refusals), runs the reference from ``solutions/`` on them and stores inputs and
outcomes in ``<pkg>/tests/_snapshots/<function>.npz``. No reference code ships, only numbers::

    python -m grader.authoring.snapshots            # write every package's snapshots
    python -m grader.authoring.snapshots --check    # regenerate in a temporary folder, compare, exit 1 on drift
    python -m grader.authoring.snapshots phase0_math

A public test file runs them with one line (one test per snapshot file, in ``make check``)::

    globals().update(snapshot_tests(__file__))

File layout: one ``.npz`` per contract; the key ``__meta__`` holds a JSON document (module,
function, exercise, tolerances and every case's arguments and expected outcome, arrays named by
key), the other keys the arrays. Loading needs no pickle.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.util
import json
import math
import sys
import tempfile
import time
import warnings
import zlib
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pytest

from grader.engine.differential import (Case, Contract, compare, describe_case, draw_cases, judge, learner_outcomes,
                                        reference_outcome)
from grader.engine.phases import PHASES, REPO, SOLUTIONS, Phase, by_name
from grader.engine.testing import _backend

FOLDER = "_snapshots"
DRAWN = 6  # cases drawn per contract, before its fixed cases
SALT = "public-snapshot"  # the seed's salt: grading seeds never draw these cases
MAX_SECONDS = 30.0  # a contract whose reference takes longer (on an idle machine about 1 s at most) stays hidden
BUDGET = 40_000  # bytes per file (each array counted with 300 bytes of headers): cases past it are left out


class Unstorable(ValueError):
    """A value a snapshot cannot hold (a callback, an object): the case is left out."""


# -- encoding: plain values to JSON plus named arrays -----------------------------------------------


def _encode(value: Any, arrays: dict[str, np.ndarray]) -> Any:
    """``value`` as JSON, its arrays moved to ``arrays``. (A case's value regimes are in its note: the
    regime ``grader.engine.domains.note_of`` remembers by ``id`` can be a dead array's, so it is not stored.)"""
    if isinstance(value, (np.ndarray, np.generic)):
        key = f"a{len(arrays)}"
        arrays[key] = np.asarray(value)
        if arrays[key].dtype.kind not in "biufc":
            raise Unstorable(f"an array of dtype {arrays[key].dtype}")
        return {"array": key, "scalar": isinstance(value, np.generic)}
    if value is None or isinstance(value, (bool, int, str)):
        return {"v": value}
    if isinstance(value, float):
        return {"v": value} if math.isfinite(value) else {"float": repr(value)}
    if isinstance(value, (tuple, list)):
        return {type(value).__name__: [_encode(v, arrays) for v in value]}
    if isinstance(value, dict) and all(isinstance(k, (str, int)) for k in value):
        return {"dict": [[k, _encode(v, arrays)] for k, v in value.items()]}
    raise Unstorable(f"a {type(value).__name__}")


def _decode(node: Any, arrays: Any) -> Any:
    if "array" in node:
        value = np.array(arrays[node["array"]])
        return value[()] if node.get("scalar") else value
    if "v" in node:
        return node["v"]
    if "float" in node:
        return float(node["float"])
    if "tuple" in node:
        return tuple(_decode(v, arrays) for v in node["tuple"])
    if "list" in node:
        return [_decode(v, arrays) for v in node["list"]]
    return {k: _decode(v, arrays) for k, v in node["dict"]}


def _encode_outcome(outcome: dict, arrays: dict) -> dict:
    if outcome["ok"]:
        return {"ok": True, "value": _encode(outcome["value"], arrays)}
    error = outcome["error"]
    return {"ok": False, "error": {"type": error["type"], "base": error["base"]}}


def _decode_outcome(node: dict, arrays: Any) -> dict:
    if node["ok"]:
        return {"ok": True, "value": _decode(node["value"], arrays)}
    return {"ok": False, "error": {**node["error"], "message": "", "where": None}}


# -- writing (authors) -------------------------------------------------------------------------------

# What a public snapshot may apply to both outputs before comparing them, in the hidden contracts'
# own words: keep ``out`` of ``(out, cache)``; read entries below 1e-12 as 0 (two right formulas
# differ by their round-off where a function saturates); judge every float on a scale of at least 1
# (a value that is 0 in exact arithmetic). A contract whose projection is none of these (a summary of
# a training run, a verdict) stays with the hidden tests.
ROUND_OFF = 1e-12


def _round_off(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _round_off(v) for k, v in value.items()}
    if isinstance(value, (tuple, list)):
        return type(value)(_round_off(v) for v in value)
    if isinstance(value, np.ndarray) and value.dtype.kind == "f":
        return np.where(np.abs(value) < ROUND_OFF, 0.0, value).astype(value.dtype)
    if isinstance(value, (float, np.floating)):
        return 0.0 if abs(value) < ROUND_OFF else value
    return value


def _floor(value: Any, number: Callable[[float], Any] = lambda x: [x, 1.0]) -> Any:
    if isinstance(value, dict):
        return {k: _floor(v, number) for k, v in value.items()}
    if isinstance(value, (tuple, list)):
        return type(value)(_floor(v, number) for v in value)
    if isinstance(value, np.ndarray) and value.dtype.kind == "f":
        return [list(value.shape), np.append(value.ravel(), 1.0)]
    if isinstance(value, (float, np.floating)):
        return number(float(value))
    return value


STEPS: dict[str, Callable[[Any], Any]] = {
    "first": lambda result: result[0],
    "out_and_weights": lambda result: (result[0], result[1]["weights"]),  # attention's (out, cache)
    "scores_and_names": lambda result: (result[0], [c[1] for c in result[1]]),  # an MLP's (scores, caches)
    "round_off": _round_off,
    "floor": _floor,
    "floor_array": lambda value: _floor(value, lambda x: np.array([x, 1.0])),
}
CANDIDATES = (None, "first", "out_and_weights", "scores_and_names", "round_off", "first+round_off", "floor",
              "floor_array", "first+floor")


def projection(name: str | None) -> Callable[[Any], Any] | None:
    """The function a projection name stands for ("first+round_off": the first item, then the floor)."""
    if name is None:
        return None
    steps = [STEPS[s] for s in name.split("+")]

    def apply(value: Any) -> Any:
        for step in steps:
            value = step(value)
        return value

    return apply


def _public_projection(contract: Contract, raws: list[Any]) -> str | None | bool:
    """The projection name that does what the contract's own does on these outputs, or False."""
    if contract.project is None:
        return None
    for name in CANDIDATES:
        mine = projection(name)
        try:
            if raws and all(compare(mine(r) if mine else r, contract.project(r), "x", 0.0, 0.0) is None
                            for r in raws):
                return name
        except Exception:  # noqa: BLE001 - the output does not have the structure this projection reads
            continue
    return False


def _contracts(phase: Phase) -> list[Contract]:
    found = []
    for path in sorted(phase.hidden_dir.glob("test_*.py")):
        spec = importlib.util.spec_from_file_location(f"_snapshot_source_{phase.name}_{path.stem}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        marks = getattr(module, "pytestmark", [])  # a file's own exercise marker, for contracts without one
        marked = [m.args[0] for m in (marks if isinstance(marks, list) else [marks]) if m.name == "exercise"]
        found += [c if c.exercise or not marked else dataclasses.replace(c, exercise=marked[0])
                  for c in getattr(module, "CONTRACTS", []) if isinstance(c, Contract)]
    return found


def _reference(module: str) -> Any:
    for root in (SOLUTIONS / "extensions", SOLUTIONS):
        if str(root) not in sys.path:
            sys.path.insert(0, str(root))
    loaded = importlib.import_module(module)
    if not Path(loaded.__file__).resolve().is_relative_to(SOLUTIONS):
        raise RuntimeError(f"{module} resolved to {loaded.__file__}, not the reference under {SOLUTIONS}")
    return loaded


def snapshot_of(contract: Contract) -> tuple[dict, dict] | str:
    """The meta document and arrays of one contract's snapshot, or why it stays with the hidden tests."""
    seed = zlib.crc32(f"{SALT}:{contract.module}.{contract.test_name}".encode())
    cases = (draw_cases(contract.cases, DRAWN, seed) if contract.cases is not None else []) + list(contract.fixed)
    function = getattr(_reference(contract.module), contract.function)
    start = time.perf_counter()
    outcomes = [reference_outcome(function, c) for c in cases]
    if (seconds := time.perf_counter() - start) > MAX_SECONDS:
        return f"the reference takes {seconds:.1f} s"
    projection = _public_projection(contract, [o["value"] for o in outcomes if o["ok"]])
    if projection is False:
        return "its comparison is not one a public test may make"
    arrays: dict[str, np.ndarray] = {}
    stored, heavy = [], 0
    for c, outcome in zip(cases, outcomes):
        mine: dict[str, np.ndarray] = {}
        try:
            entry = {"args": _encode(tuple(c.args), mine), "kwargs": _encode(dict(c.kwargs), mine),
                     "note": c.note, "expected": _encode_outcome(outcome, mine)}
        except Unstorable:
            continue
        if _weight(arrays) + _weight(mine) > BUDGET:
            heavy += 1
            continue
        renamed = {key: f"a{len(arrays) + i}" for i, key in enumerate(mine)}
        arrays.update({renamed[k]: v for k, v in mine.items()})
        stored.append(json.loads(json.dumps(entry), object_hook=lambda node: {
            **node, "array": renamed[node["array"]]} if "array" in node else node))
    if not stored:
        return (f"all {heavy} cases are too heavy for a {BUDGET // 1000} kB snapshot" if heavy else
                "no case of plain values (a callback, an object)")
    meta = {"module": contract.module, "function": contract.function, "exercise": contract.exercise,
            "rtol": contract.rtol, "atol": contract.atol, "project": projection, "cases": stored}
    return meta, arrays


def _weight(arrays: dict[str, np.ndarray]) -> int:
    return sum(a.nbytes + 300 for a in arrays.values())


def write_package(phase: Phase, folder: Path, skipped: list[str] | None = None) -> list[str]:
    """Write ``phase``'s snapshots into ``folder``; returns the file names written (``skipped`` gets
    the contracts left to the hidden tests, with the reason)."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for contract in _contracts(phase):
        with warnings.catch_warnings():  # a domain's own overflow warnings (drawing extremes) are expected
            warnings.simplefilter("ignore", RuntimeWarning)
            snapshot = snapshot_of(contract)
        if isinstance(snapshot, str):
            if skipped is not None:
                skipped.append(f"{contract.function} ({contract.test_name}): {snapshot}")
            continue
        meta, arrays = snapshot
        name = contract.test_name.removeprefix("test_contract_").removeprefix("test_") + ".npz"
        np.savez_compressed(folder / name, __meta__=np.array(json.dumps(meta)), **arrays)
        written.append(name)
    return written


def _same(a: Path, b: Path) -> str | None:
    """None when two snapshot files hold the same cases (floats within 1e-12 of their scale)."""
    with np.load(a, allow_pickle=False) as x, np.load(b, allow_pickle=False) as y:
        if set(x.files) != set(y.files) or str(x["__meta__"]) != str(y["__meta__"]):
            return "different cases or arguments"
        for key in x.files:
            if key != "__meta__" and compare(x[key], y[key], key, 1e-12, 1e-12) is not None:
                return f"array {key} differs"
    return None


def drift(phase: Phase) -> list[str]:
    """What differs between ``phase``'s committed snapshots and freshly written ones."""
    committed = phase.tests_dir / FOLDER
    with tempfile.TemporaryDirectory() as tmp:
        fresh = Path(tmp)
        names = set(write_package(phase, fresh))
        have = {p.name for p in committed.glob("*.npz")}
        problems = [f"{phase.path}/tests/{FOLDER}/{n}: missing" for n in sorted(names - have)]
        problems += [f"{phase.path}/tests/{FOLDER}/{n}: no longer generated" for n in sorted(have - names)]
        for name in sorted(names & have):
            if (why := _same(committed / name, fresh / name)) is not None:
                problems.append(f"{phase.path}/tests/{FOLDER}/{name}: {why}")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m grader.authoring.snapshots", description=__doc__.split("\n")[0])
    parser.add_argument("packages", nargs="*", help="packages to write (default: every graded one)")
    parser.add_argument("--check", action="store_true", help="compare with fresh snapshots, write nothing")
    parser.add_argument("-v", "--verbose", action="store_true", help="name the contracts left out, and why")
    args = parser.parse_args(argv)
    phases = [by_name(n) for n in args.packages] or [p for p in PHASES if p.available]
    problems = []
    for phase in phases:
        if args.check:
            problems += drift(phase)
            continue
        folder = phase.tests_dir / FOLDER
        for old in folder.glob("*.npz"):
            old.unlink()
        skipped: list[str] = []
        names = write_package(phase, folder, skipped)
        size = sum((folder / n).stat().st_size for n in names)
        print(f"wrote {len(names)} snapshots in {phase.path}/tests/{FOLDER} ({size / 1024:.0f} KiB)")
        if args.verbose:
            print("".join(f"  left to the hidden tests: {s}\n" for s in skipped), end="")
    if problems:
        print("snapshots drifted from solutions/ (run python -m grader.authoring.snapshots):\n  "
              + "\n  ".join(problems))
        return 1
    if args.check:
        print(f"snapshots of {len(phases)} packages match solutions/")
    return 0


# -- checking (public tests) -------------------------------------------------------------------------


def load(path: Path) -> tuple[dict, list[Case], list[dict]]:
    """A snapshot file's meta document, its cases and their expected outcomes."""
    with np.load(path, allow_pickle=False) as data:
        meta = json.loads(str(data["__meta__"]))
        cases = [Case(_decode(c["args"], data), _decode(c["kwargs"], data), c["note"]) for c in meta["cases"]]
        expected = [_decode_outcome(c["expected"], data) for c in meta["cases"]]
    return meta, cases, expected


def check(module: Any, path: Path) -> None:
    """Run the learner's function on every case of the snapshot at ``path``; AssertionError on the first miss."""
    meta, cases, expected = load(path)
    contract = Contract(meta["module"], meta["function"], project=projection(meta["project"]),
                        rtol=meta["rtol"], atol=meta["atol"])
    got = learner_outcomes(module, meta["function"], cases)
    failures = [(i, p) for i, (g, e) in enumerate(zip(got, expected)) if (p := judge(g, e, contract)) is not None]
    if failures:
        i, problem = failures[0]
        if problem.startswith(f"{meta['function']}(...): not started"):
            raise NotImplementedError(problem.split(": ", 1)[1])
        shown = describe_case(cases[i])
        where = path.relative_to(REPO) if path.is_relative_to(REPO) else path
        if "rerun it:" not in shown:
            shown += (f"\n  its inputs: from grader.authoring.snapshots import case_of; "
                      f"case_of('{where}', {i + 1}).args")
        raise AssertionError(f"{problem}\n  golden case {i + 1} of {len(cases)} ({len(failures)} failing) in "
                             f"tests/{FOLDER}/{path.name}: {shown}")


def case_of(path: str | Path, number: int) -> Case:
    """Case ``number`` (from 1, as a failure names it) of a snapshot file, to rerun by hand."""
    return load(Path(path))[1][number - 1]


def snapshot_tests(test_file: str) -> dict[str, Callable]:
    """One test per snapshot beside ``test_file``: ``globals().update(snapshot_tests(__file__))``."""
    tests = {}
    for path in sorted((Path(test_file).parent / FOLDER).glob("*.npz")):
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(str(data["__meta__"]))

        def test(request: pytest.FixtureRequest, path: Path = path, meta: dict = meta) -> None:
            check(_backend(request.config).load(meta["module"], None), path)

        test.__name__ = f"test_snapshot_{path.stem}"
        if meta["exercise"]:
            test = pytest.mark.exercise(meta["exercise"])(test)
        tests[test.__name__] = test
    return tests


if __name__ == "__main__":
    sys.exit(main())
