"""Gradescope: build the autograder zip, and turn a grade into Gradescope's ``results.json``.

``make gradescope`` writes ``build/gradescope/autograder.zip``: the course (grader, hidden tests,
reference) plus ``setup.sh`` (installs Python, bubblewrap and the pinned dependencies; pick
Gradescope's Ubuntu 24.04 base image) and ``run_autograder`` (grades ``/autograder/submission``
and writes ``/autograder/results/results.json``, writing nothing outside ``$AUTOGRADER_ROOT``).
The submission's packages are found as a class run finds them (:mod:`grader.classroom.collect`).
results.json carries ``execution_time``, ``output_format`` (md), ``stdout_visibility`` (hidden)
and each test's ``visibility`` (``build --visibility after_due_date`` keeps the messages until
the deadline; ``GRADESCOPE_TEST_VISIBILITY`` overrides it at run time). The zip holds the hidden
tests and the reference solutions: it is for the instructor's Gradescope account only.

    python -m grader.classroom.gradescope build [--out DIR] [--visibility after_due_date]
    python -m grader.classroom.gradescope run [--root /autograder]
    python -m grader.classroom.gradescope results GRADE_JSON RESULTS_JSON
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

from grader.classroom import collect
from grader.classroom.gradebook import VISIBILITIES, failed_results, gradescope_results
from grader.engine.phases import REPO

SETUP_SH = """#!/usr/bin/env bash
# Gradescope runs this once when it builds the autograder image (Ubuntu 24.04 base image).
set -euo pipefail
apt-get update -qq
apt-get install -y -qq python3 python3-venv python3-pip make bubblewrap >/dev/null
cd /autograder/source
make setup
"""

RUN_AUTOGRADER = """#!/usr/bin/env bash
# Gradescope runs this for every submission: the course's grader finds the packages in
# $ROOT/submission, grades them and writes $ROOT/results/results.json. Everything it writes
# (temporary files included) stays under $ROOT.
set -uo pipefail
ROOT="${AUTOGRADER_ROOT:-/autograder}"
mkdir -p "$ROOT/results" "$ROOT/work/tmp"
export TMPDIR="$ROOT/work/tmp"
cd "$ROOT/source"
PY="${PYTHON:-$ROOT/source/.venv/bin/python}"
if ! "$PY" -m grader.classroom.gradescope run --root "$ROOT"; then
  echo '{"score": 0, "output": "The autograder could not grade this submission; please tell your instructor."}' \\
    > "$ROOT/results/results.json"
fi
"""
SETTINGS = "gradescope.json"  # written into the zip by build: the visibility of the tests' messages

_INCLUDE = ("grader/", "phase0_math/", "phase1_backprop/", "phase2_attention/", "phase3_transformer/",
            "extensions/", "solutions/", "pyproject.toml", "Makefile", "README.md")


def course_files() -> list[str]:
    """The tracked files the autograder needs (git when available, else a walk of the tree)."""
    try:
        listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"], cwd=REPO, capture_output=True, text=True, check=True).stdout
        files = listed.splitlines()
    except (OSError, subprocess.CalledProcessError):
        files = [str(p.relative_to(REPO)) for p in REPO.rglob("*") if p.is_file()]
    return sorted(f for f in files if f.startswith(_INCLUDE) and "__pycache__" not in f and (REPO / f).is_file())


def build(out: Path, visibility: str = "visible") -> Path:
    """Write ``out/autograder.zip``; ``visibility`` is Gradescope's for every test's message
    (``after_due_date`` keeps the hidden tests' messages from students until the deadline)."""
    if visibility not in VISIBILITIES:
        raise ValueError(f"visibility must be one of {', '.join(VISIBILITIES)}; got {visibility!r}")
    out.mkdir(parents=True, exist_ok=True)
    archive = out / "autograder.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, text in (("setup.sh", SETUP_SH), ("run_autograder", RUN_AUTOGRADER)):
            info = zipfile.ZipInfo(name)
            info.external_attr = 0o755 << 16
            zf.writestr(info, text)
        zf.writestr(SETTINGS, json.dumps({"visibility": visibility}) + "\n")
        for name in course_files():
            zf.write(REPO / name, name)
    return archive


def run(root: Path) -> int:
    """Grade ``root/submission`` (Gradescope's layout) into ``root/results/results.json``, writing
    nothing outside ``root``."""
    start = time.perf_counter()
    work, results = root / "work", root / "results" / "results.json"
    work.mkdir(parents=True, exist_ok=True)
    results.parent.mkdir(parents=True, exist_ok=True)
    settings = REPO / SETTINGS
    visibility = json.loads(settings.read_text())["visibility"] if settings.is_file() else "visible"
    visibility = os.environ.get("GRADESCOPE_TEST_VISIBILITY", visibility)
    collect_dir = work / "collected"
    if collect_dir.exists():
        shutil.rmtree(collect_dir)
    collect_dir.mkdir()
    collected = collect.assemble(root / "submission", collect_dir)
    if collected.error:
        notes = "".join(f"\n- {n}" for n in collected.notes)
        done = failed_results(f"Your submission could not be graded: {collected.error}{notes}\n\n"
                              "Make it with `make submission` and upload the zip it writes.",
                              time.perf_counter() - start)
        results.write_text(json.dumps(done, indent=2) + "\n")
        return 0
    grade_json = work / "grade.json"
    grade_json.unlink(missing_ok=True)
    run = subprocess.run([sys.executable, "-m", "grader", "grade", "--target", str(collected.target),
                          "--json", str(grade_json), "--quiet"], cwd=REPO, capture_output=True, text=True,
                         env={**os.environ, "GRADER_REQUIRE_ISOLATION": "1"})  # never limits only, silently
    if run.returncode != 0 or not grade_json.is_file():
        print(run.stderr[-3000:], file=sys.stderr)  # the instructor's log on Gradescope, not the student's
        return 1
    result = json.loads(grade_json.read_text())
    result["target"] = "submission"  # not the temporary folder it was graded in
    grade_json.write_text(json.dumps(result, indent=2) + "\n")
    done = gradescope_results(result, visibility, time.perf_counter() - start)
    if collected.notes:
        done["output"] = "How your files were found:\n" + "".join(f"\n- {n}" for n in collected.notes) + \
            "\n\n" + done["output"]
    results.write_text(json.dumps(done, indent=2) + "\n")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m grader.classroom.gradescope")
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="write the autograder zip")
    b.add_argument("--out", default=str(REPO / "build" / "gradescope"))
    b.add_argument("--visibility", default="visible", choices=VISIBILITIES,
                   help="when students see the tests' messages (after_due_date: after the deadline)")
    g = sub.add_parser("run", help="grade ROOT/submission into ROOT/results/results.json (run_autograder)")
    g.add_argument("--root", default=os.environ.get("AUTOGRADER_ROOT", "/autograder"))
    r = sub.add_parser("results", help="convert the grader's JSON into Gradescope's results.json")
    r.add_argument("grade_json")
    r.add_argument("results_json")
    args = parser.parse_args(argv)
    if args.command == "build":
        archive = build(Path(args.out), args.visibility)
        print(f"wrote {archive} ({archive.stat().st_size // 1024} KB): upload it as the autograder "
              "(Ubuntu 24.04 base image). It contains the hidden tests and solutions: keep it private.")
        return 0
    if args.command == "run":
        return run(Path(args.root).resolve())
    result = json.loads(Path(args.grade_json).read_text())
    Path(args.results_json).write_text(json.dumps(gradescope_results(result), indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
