"""``make mutation RECHECK=1``: grade the last run's survivors again, with today's hidden tests.

    python -m grader.selftest.mutation_recheck [--phase PKG]...

A full run takes long; a new hidden test is usually written for a few survivors. This applies each
mutant that survived the package's last run (kept in ``build/mutation/<package>/session.sqlite``) to
the run's copy of ``solutions/`` again, one at a time, grades it with the current hidden tests, and
records a mutant the grading now fails as killed ("killed on recheck"). The mutants killed in the
run itself are not graded again: tests are only ever added, so they stay killed. The report says
when a package was rechecked and with which hidden tests.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from grader.engine.phases import PHASES, REPO, by_name
from grader.selftest.mutation import (REPORT, WORK, collect, load_equivalent, load_report, mutant_keys, render,
                                      tests_digest, verdict)

UNSAMPLED = "not in the --limit sample"


def recheck(name: str) -> dict:
    """The package's report data after grading its survivors again; updates the session database."""
    import cosmic_ray.plugins
    from cosmic_ray.mutating import use_mutation
    from cosmic_ray.work_db import WorkDB, use_db
    from cosmic_ray.work_item import TestOutcome, WorkerOutcome, WorkResult

    work = WORK / name
    session, target = work / "session.sqlite", work / "target"
    data = load_report().get(name)
    if data is None or not session.exists():
        raise FileNotFoundError(f"{name}: no earlier run to recheck (run make mutation PHASE={name} first)")
    started, killed = time.perf_counter(), 0
    with use_db(str(session), WorkDB.Mode.open) as db:
        done = list(db.completed_work_items)
        survivors = [(item, result) for item, result in done if result.worker_outcome == WorkerOutcome.NORMAL
                     and result.test_outcome == TestOutcome.SURVIVED]
        for item, result in survivors:
            m = item.mutations[0]
            operator = cosmic_ray.plugins.get_operator(m.operator_name)(**getattr(m, "operator_args", {}))
            with use_mutation(Path(m.module_path), operator, m.occurrence):
                if verdict(target, name, quiet=True) != 0:
                    killed += 1
                    db.set_result(item.job_id, WorkResult(worker_outcome=WorkerOutcome.NORMAL,
                                                          test_outcome=TestOutcome.KILLED,
                                                          output="killed on recheck", diff=result.diff))
        in_regions = [item for item, result in done
                      if result.worker_outcome != WorkerOutcome.SKIPPED or result.output == UNSAMPLED]
        ran = {item.job_id for item, result in done if result.worker_outcome != WorkerOutcome.SKIPPED}
    described = mutant_keys(in_regions, target)
    kept = {job: described[job] for job in described if job in ran}
    new = collect(name, session, kept, data["in_regions"], data["limit"], data["seconds"], data["baseline"],
                  data["timeout_s"], data["tests"])
    new["date"] = data["date"]
    new["rechecked"] = {"date": time.strftime("%Y-%m-%d %H:%M"), "tests": tests_digest(by_name(name)),
                        "survivors": len(survivors), "killed": killed,
                        "seconds": round(time.perf_counter() - started, 1)}
    return new


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m grader.selftest.mutation_recheck",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--phase", action="append", choices=[p.name for p in PHASES],
                        help="recheck this package (repeatable; default: every package of the report)")
    args = parser.parse_args(argv)
    data = load_report()
    for name in args.phase or list(data):
        data[name] = recheck(name)
        r = data[name]["rechecked"]
        print(f"{name}: {r['killed']} of {r['survivors']} survivors now killed, in {r['seconds']:.0f} s", flush=True)
        data = {**load_report(), name: data[name]}  # a run may have finished meanwhile
        REPORT.write_text(render(data, load_equivalent()))
    print(f"wrote {REPORT.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
