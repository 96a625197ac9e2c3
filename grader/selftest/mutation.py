"""``make mutation``: how many mutants of the reference the hidden tests kill, measured with cosmic-ray.

    python -m grader.selftest.mutation [--phase PKG]... [--limit N] [--timeout S]

For each package: ``solutions/`` is copied to ``build/mutation/<package>/target`` (``solutions/`` itself
is never touched); cosmic-ray (pinned in pyproject.toml, all its core operators) builds its work list
over the package's modules in that copy; a filter marks every mutant outside a
``### BEGIN SOLUTION`` / ``### END SOLUTION`` region as skipped in the session database; then
``cosmic-ray exec`` applies the rest one at a time and runs, as its test command, this module's
``--verdict``: the grader on the mutated copy (``python -m grader grade --target COPY --phase PKG``, pytest's
``-x`` so that the first failing test ends a killed mutant's run),
exiting 1 (killed) unless the package is complete with full marks, 0 (survived) if it is.

The report, ``bench/results/mutation.md``, keeps every package's last measurement (in a data comment),
so measuring one package rewrites only its part. A survivor that cannot be killed because it does not
change behaviour goes into ``grader/selftest/mutation_equivalent.toml`` under its key, with a one-line
reason; the report then lists it as equivalent, outside the score.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import re
import shlex
import shutil
import sqlite3
import subprocess
import sys
import time
import tomllib
from importlib import metadata
from pathlib import Path

from grader.engine.phases import PHASES, REPO, SOLUTIONS, WORKBOOK_SOURCE, by_name

WORK = REPO / "build" / "mutation"
REPORT = REPO / "bench" / "results" / "mutation.md"
EQUIVALENT = Path(__file__).with_name("mutation_equivalent.toml")
BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
TARGET_SCORE = 0.95
DATA = re.compile(r"^<!-- mutation-data (.*) -->$", re.M)


# -- the test command ------------------------------------------------------------------------------


def verdict(target: Path, phase: str, quiet: bool = False) -> int:
    """cosmic-ray's test command: 0 (survived) only if ``phase`` is complete with full marks on ``target``.
    Prints what failed (cosmic-ray keeps it in its session)."""
    out = target.parent / "verdict.json"
    out.unlink(missing_ok=True)
    # -x: the first failing test settles the verdict (killed); a survivor still runs every test
    env = {**os.environ, "PYTEST_ADDOPTS": "-x"}
    done = subprocess.run([sys.executable, "-m", "grader", "grade", "--target", str(target), "--phase", phase,
                           "--json", str(out), "--quiet", "--jobs", "1"], cwd=REPO, capture_output=True, text=True,
                          env=env)
    if done.returncode != 0 or not out.exists():
        print("" if quiet else f"grader exited {done.returncode}\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
        return 1
    result = next(p for p in json.loads(out.read_text())["phases"] if p["name"] == phase)
    failed = [t["id"] for t in result["tests"] if not t["passed"]]
    failed += [f"gradcheck {g['name']}" for g in result.get("gradchecks", []) if not g["passed"]]
    if not quiet:
        print(f"{result['score']:g}/{result['max_score']:g} complete={result['complete']}")
        print("\n".join(failed))
    return 0 if result["complete"] and result["score"] >= result["max_score"] else 1


# -- which mutants ---------------------------------------------------------------------------------


def solution_lines(path: Path) -> set[int]:
    """Line numbers strictly inside the file's solution regions."""
    inside, lines = False, set()
    for number, line in enumerate(path.read_text().splitlines(), 1):
        text = line.strip()
        if text.startswith(BEGIN):
            inside = True
        elif text.startswith(END):
            inside = False
        elif inside:
            lines.add(number)
    return lines


def modules(target: Path, phase) -> list[Path]:
    package = target / phase.path
    return sorted(p for p in package.rglob("*.py") if p.name != WORKBOOK_SOURCE and "tests" not in p.parts
                  and "__pycache__" not in p.parts and BEGIN in p.read_text())


def mutant_keys(items, target: Path) -> dict[str, dict]:
    """job id -> the mutant's stable description; its key survives edits elsewhere in the file:
    ``<file>: <operator> #<n>: <line text>``, n counting the same operator on the same text in the file."""
    described, seen, sources = {}, {}, {}
    for item in sorted(items, key=lambda i: (i.mutations[0].module_path, i.mutations[0].operator_name,
                                             i.mutations[0].occurrence)):
        m = item.mutations[0]
        path = Path(m.module_path)
        rel = path.relative_to(target).as_posix()
        text = sources.setdefault(path, path.read_text().splitlines())[m.start_pos[0] - 1].strip()
        operator = m.operator_name.removeprefix("core/")
        n = seen[(rel, operator, text)] = seen.get((rel, operator, text), -1) + 1
        described[item.job_id] = {"key": f"{rel}: {operator} #{n}: {text}", "file": rel, "line": m.start_pos[0],
                                  "operator": operator, "text": text}
    return described


def select(db_path: Path, target: Path, limit: int | None, name: str) -> tuple[dict[str, dict], int]:
    """Mark as skipped what lies outside the solution regions (and, with ``limit``, what is not sampled).
    Returns the mutants kept and how many the regions hold."""
    from cosmic_ray.work_db import WorkDB, use_db
    from cosmic_ray.work_item import WorkerOutcome, WorkResult

    regions: dict[str, set[int]] = {}
    with use_db(str(db_path), WorkDB.Mode.open) as db:
        items = list(db.pending_work_items)
        inside, outside = [], []
        for item in items:
            m = item.mutations[0]
            lines = regions.setdefault(m.module_path, solution_lines(Path(m.module_path)))
            span = range(m.start_pos[0], m.end_pos[0] + 1)
            (inside if all(n in lines for n in span) else outside).append(item)
        described = mutant_keys(inside, target)
        kept = sorted(described, key=lambda j: described[j]["key"])
        if limit is not None and limit < len(kept):
            kept = sorted(random.Random(name).sample(kept, limit), key=lambda j: described[j]["key"])
        unsampled = set(described) - set(kept)
        if outside:
            db.set_multiple_results([i.job_id for i in outside], WorkResult(
                worker_outcome=WorkerOutcome.SKIPPED, output="outside the solution regions"))
        if unsampled:
            db.set_multiple_results(sorted(unsampled), WorkResult(
                worker_outcome=WorkerOutcome.SKIPPED, output="not in the --limit sample"))
    return {j: described[j] for j in kept}, len(described)


# -- one package -----------------------------------------------------------------------------------


def tests_digest(phase) -> str:
    digest = hashlib.sha256()
    for path in sorted(phase.hidden_dir.rglob("*.py")):
        digest.update(path.relative_to(REPO).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


def cosmic_ray(*args: str, cwd: Path = REPO, **kwargs) -> subprocess.Popen | subprocess.CompletedProcess:
    command = [sys.executable, "-c", "import sys; from cosmic_ray.cli import main; sys.exit(main())", *args]
    if kwargs.pop("background", False):
        return subprocess.Popen(command, cwd=cwd, **kwargs)
    return subprocess.run(command, cwd=cwd, check=True, capture_output=True, text=True, **kwargs)


def results_so_far(db_path: Path) -> int:
    try:
        with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=1) as con:
            query = "SELECT count(*) FROM work_results WHERE lower(worker_outcome) != 'skipped'"
            return con.execute(query).fetchone()[0]
    except sqlite3.Error:
        return -1


def measure(name: str, limit: int | None, timeout: float | None) -> dict:
    phase = by_name(name)
    work = WORK / name
    shutil.rmtree(work, ignore_errors=True)
    target = work / "target"
    for p in PHASES:  # the whole course: later packages import earlier ones
        if (SOLUTIONS / p.path).is_dir():
            shutil.copytree(SOLUTIONS / p.path, target / p.path, ignore=shutil.ignore_patterns("__pycache__"))
    files = modules(target, phase)
    assert files and all(f.resolve().is_relative_to(work.resolve()) for f in files), "mutate only the copy"
    digest = tests_digest(phase)
    started = time.perf_counter()
    if verdict(target, name, quiet=True) != 0:
        raise RuntimeError(f"{name}: the unmutated reference does not get full marks; nothing to measure")
    baseline = time.perf_counter() - started
    timeout = timeout or max(60.0, 10 * baseline)
    command = shlex.join([sys.executable, "-m", "grader.selftest.mutation", "--verdict", str(target),
                          "--phase", name])
    config = work / "cosmic-ray.toml"
    config.write_text("[cosmic-ray]\n"
                      f"module-path = {json.dumps([str(f) for f in files])}\n"
                      f"timeout = {timeout}\nexcluded-modules = []\n"
                      f"test-command = {json.dumps(command)}\n\n"
                      "[cosmic-ray.distributor]\nname = \"local\"\n")
    session = work / "session.sqlite"
    cosmic_ray("init", str(config), str(session))
    kept, in_regions = select(session, target, limit, name)
    print(f"{name}: {in_regions} mutants in solution regions, running {len(kept)} "
          f"(grading takes {baseline:.1f} s, timeout {timeout:.0f} s)", flush=True)
    started = time.perf_counter()
    log = (work / "exec.log").open("w")
    proc = cosmic_ray("exec", str(config), str(session), background=True, stdout=log, stderr=subprocess.STDOUT)
    shown = started
    while proc.poll() is None:
        time.sleep(2)
        if time.perf_counter() - shown >= 60:
            shown = time.perf_counter()
            print(f"  {name}: {results_so_far(session)}/{len(kept)} after {shown - started:.0f} s", flush=True)
    log.close()
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        raise RuntimeError(f"cosmic-ray exec exited {proc.returncode}; see {work / 'exec.log'}")
    return collect(name, session, kept, in_regions, limit, seconds, baseline, timeout, digest)


def collect(name, session, kept, in_regions, limit, seconds, baseline, timeout, digest) -> dict:
    from cosmic_ray.work_db import WorkDB, use_db
    from cosmic_ray.work_item import TestOutcome, WorkerOutcome

    counts = {"killed": 0, "timeout": 0, "survived": 0, "incompetent": 0}
    survivors, incompetent = [], []
    with use_db(str(session), WorkDB.Mode.open) as db:
        for item, result in db.completed_work_items:
            if item.job_id not in kept:
                continue
            mutant = dict(kept[item.job_id])
            added = [line[1:].strip() for line in (result.diff or "").splitlines()
                     if line.startswith("+") and not line.startswith("+++")]
            mutant["mutated"] = " / ".join(added)[:160]
            if result.worker_outcome != WorkerOutcome.NORMAL or result.test_outcome == TestOutcome.INCOMPETENT:
                counts["incompetent"] += 1
                incompetent.append({**mutant, "why": (result.output or result.worker_outcome)[-200:]})
            elif result.test_outcome == TestOutcome.SURVIVED:
                counts["survived"] += 1
                survivors.append(mutant)
            elif result.output == "timeout":
                counts["timeout"] += 1
            else:
                counts["killed"] += 1
    survivors.sort(key=lambda m: (m["file"], m["line"], m["key"]))
    return {"name": name, "date": time.strftime("%Y-%m-%d %H:%M"),
            "tool": f"cosmic-ray {metadata.version('cosmic-ray')}",
            "tests": digest, "in_regions": in_regions, "run": len(kept), "limit": limit, **counts,
            "seconds": seconds, "baseline": baseline, "timeout_s": timeout, "survivors": survivors,
            "incompetent_list": incompetent[:20]}


# -- the report ------------------------------------------------------------------------------------


def load_equivalent() -> dict[str, str]:
    return tomllib.loads(EQUIVALENT.read_text()) if EQUIVALENT.exists() else {}


def load_report() -> dict[str, dict]:
    if not REPORT.exists():
        return {}
    return {d["name"]: d for d in (json.loads(m) for m in DATA.findall(REPORT.read_text()))}


def cell(text: str) -> str:
    return "`" + text.replace("|", "\\|").replace("`", "'") + "`" if text else ""


def render(data: dict[str, dict], equivalent: dict[str, str]) -> str:
    order = [p.name for p in PHASES]
    packages = sorted(data.values(), key=lambda d: order.index(d["name"]) if d["name"] in order else 99)
    seen = {m["key"] for d in packages for m in d["survivors"]}
    lines = [
        "# Mutation testing of the hidden tests", "",
        "Written by `make mutation [PHASE=...] [LIMIT=N]` (`grader/selftest/mutation.py`); every number below is "
        "measured. The tool is cosmic-ray with all its core operators, run on a copy of `solutions/`, mutating "
        "only code inside `### BEGIN SOLUTION` / `### END SOLUTION` (every other mutant is marked skipped in "
        "cosmic-ray's session before it runs). Its test command grades the mutated copy with the package's hidden "
        "tests and gradient checks (`python -m grader grade --target COPY --phase PKG`): the mutant is **killed** "
        "when the package is not complete with full marks, **survived** when it is. **Timed out**: the grading "
        "ran past the timeout (counted as killed). **Incompetent**: the tool could not apply or run the mutant.", "",
        f"Score = (killed + timed out) / (killed + timed out + survived); equivalent mutants "
        f"(`grader/selftest/mutation_equivalent.toml`) are left out. Target: at least {TARGET_SCORE:.0%} in every "
        "package.", "",
        "| package | measured | hidden tests | in regions | run | killed | timed out | survived | equivalent | "
        "incompetent | score | run time |",
        "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for d in packages:
        eq = sum(m["key"] in equivalent for m in d["survivors"])
        alive = d["survived"] - eq
        dead = d["killed"] + d["timeout"]
        score = dead / (dead + alive) if dead + alive else 1.0
        run = f"{d['run']}" + (f" (sample, --limit {d['limit']})" if d["run"] < d["in_regions"] else "")
        lines.append(f"| {d['name']} | {d['date']} | `{d['tests']}` | {d['in_regions']} | {run} | {d['killed']} | "
                     f"{d['timeout']} | {alive} | {eq} | {d['incompetent']} | {score:.1%} "
                     f"{'met' if score >= TARGET_SCORE else 'missed'} | {d['seconds'] / 60:.1f} min |")
    lines += ["", "*hidden tests*: a digest of the package's hidden test files when it was measured (they change "
              "as tests are added). Run time: the mutants' grading alone, one at a time, on the machine of "
              "`bench/results/report.md` (2 cores, shared); add one baseline grading per package.", ""]
    for d in packages:
        alive = [m for m in d["survivors"] if m["key"] not in equivalent]
        equal = [m for m in d["survivors"] if m["key"] in equivalent]
        lines += [f"## {d['name']}", "",
                  f"{d['tool']}, {d['date']}: {d['run']} of {d['in_regions']} mutants in solution regions run, "
                  f"in {d['seconds']:.0f} s ({d['seconds'] / max(d['run'], 1):.1f} s each; the unmutated grading "
                  f"{d['baseline']:.1f} s; timeout {d['timeout_s']:.0f} s).", ""]
        if d.get("rechecked"):
            r = d["rechecked"]
            lines += [f"Rechecked {r['date']} with the hidden tests `{r['tests']}` (`make mutation RECHECK=1`): "
                      f"{r['killed']} of the run's {r['survivors']} survivors are now killed ({r['seconds']:.0f} s).",
                      ""]
        if alive:
            lines += [f"### Survivors ({len(alive)})", "",
                      "| file:line | operator | line | mutated to | equivalent? reason |",
                      "| --- | --- | --- | --- | --- |",
                      *[f"| {m['file']}:{m['line']} | {m['operator']} | {cell(m['text'])} | {cell(m['mutated'])} | |"
                        for m in alive], "",
                      "Keys, to paste into `grader/selftest/mutation_equivalent.toml` with a reason once a survivor "
                      "is shown equivalent (otherwise: a new hidden test should kill it):", "", "```toml",
                      *[f"{json.dumps(m['key'])} = \"\"" for m in alive], "```", ""]
        if equal:
            lines += [f"### Equivalent ({len(equal)})", "", "| file:line | operator | line | mutated to | reason |",
                      "| --- | --- | --- | --- | --- |",
                      *[f"| {m['file']}:{m['line']} | {m['operator']} | {cell(m['text'])} | {cell(m['mutated'])} | "
                        f"{equivalent[m['key']]} |" for m in equal], ""]
        if d.get("incompetent_list"):
            lines += ["Incompetent (first 20): " + "; ".join(f"{m['file']}:{m['line']} {m['operator']}"
                                                            for m in d["incompetent_list"]), ""]
        blob = json.dumps(d, sort_keys=True).replace(">", "\\u003e")
        lines += [f"<!-- mutation-data {blob} -->", ""]
    stale = sorted(set(equivalent) - seen)
    if stale:
        lines += ["## Equivalences that matched no survivor", "",
                  "In `mutation_equivalent.toml` but not among the survivors measured above (the line changed, "
                  "a test now kills it, or its package has not been measured):", "",
                  *[f"- {cell(k)}" for k in stale], ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m grader.selftest.mutation", description=__doc__.split("\n")[0])
    parser.add_argument("--phase", action="append", choices=[p.name for p in PHASES],
                        help="measure this package (repeatable; default: every graded package)")
    parser.add_argument("--limit", type=int, default=None, help="run at most N mutants per package (a fixed sample)")
    parser.add_argument("--timeout", type=float, default=None,
                        help="seconds one mutant's grading may take (default: 10 times the unmutated grading, "
                             "at least 60)")
    parser.add_argument("--render", action="store_true",
                        help="measure nothing: rewrite the report from its last measurements and the current "
                             "mutation_equivalent.toml")
    parser.add_argument("--verdict", metavar="TARGET", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.verdict:
        return verdict(Path(args.verdict), args.phase[0])
    data = load_report()
    if args.render:
        REPORT.write_text(render(data, load_equivalent()))
        print(f"wrote {REPORT.relative_to(REPO)}")
        return 0
    for name in args.phase or [p.name for p in PHASES if p.available]:
        started = time.perf_counter()
        data[name] = measure(name, args.limit, args.timeout)
        d = data[name]
        print(f"{name}: killed {d['killed']}, timed out {d['timeout']}, survived {d['survived']}, incompetent "
              f"{d['incompetent']} of {d['run']} in {time.perf_counter() - started:.0f} s", flush=True)
        REPORT.parent.mkdir(parents=True, exist_ok=True)
        data = {**load_report(), name: d}  # another package's run may have finished meanwhile
        REPORT.write_text(render(data, load_equivalent()))
    print(f"wrote {REPORT.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
