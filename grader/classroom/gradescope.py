"""Gradescope: build the autograder zip, and turn a grade into Gradescope's ``results.json``.

``make gradescope`` writes ``build/gradescope/autograder.zip``: the course (grader, hidden tests,
reference) plus ``setup.sh`` (installs Python, bubblewrap and the pinned dependencies; pick
Gradescope's Ubuntu 24.04 base image) and ``run_autograder`` (grades ``/autograder/submission``
and writes ``/autograder/results/results.json``). The zip holds the hidden tests and the reference
solutions: it is for the instructor's Gradescope account only, never for students.

    python -m grader.classroom.gradescope build [--out DIR]
    python -m grader.classroom.gradescope results GRADE_JSON RESULTS_JSON
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import zipfile
from pathlib import Path

from grader.classroom.batch import gradescope_results
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
# Gradescope runs this for every submission. The submission's phase packages are graded by the
# course's grader in a sandbox; the verdict goes to results/results.json.
set -uo pipefail
ROOT="${AUTOGRADER_ROOT:-/autograder}"
cd "$ROOT/source"
PY="${PYTHON:-$ROOT/source/.venv/bin/python}"
mkdir -p "$ROOT/results"
SUBMISSION="$ROOT/submission"
# a submission uploaded as one folder: grade what is inside it
if [ "$(ls -A "$SUBMISSION" | wc -l)" = 1 ] && [ -d "$SUBMISSION/$(ls -A "$SUBMISSION")" ] \\
   && [ ! -d "$SUBMISSION/phase0_math" ]; then
  SUBMISSION="$SUBMISSION/$(ls -A "$SUBMISSION")"
fi
if "$PY" -m grader grade --target "$SUBMISSION" --json /tmp/grade.json --quiet; then
  "$PY" -m grader.classroom.gradescope results /tmp/grade.json "$ROOT/results/results.json"
else
  echo '{"score": 0, "output": "The autograder could not grade this submission; please tell your instructor."}' \\
    > "$ROOT/results/results.json"
fi
"""

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


def build(out: Path) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    archive = out / "autograder.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, text in (("setup.sh", SETUP_SH), ("run_autograder", RUN_AUTOGRADER)):
            info = zipfile.ZipInfo(name)
            info.external_attr = 0o755 << 16
            zf.writestr(info, text)
        for name in course_files():
            zf.write(REPO / name, name)
    return archive


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m grader.classroom.gradescope")
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="write the autograder zip")
    b.add_argument("--out", default=str(REPO / "build" / "gradescope"))
    r = sub.add_parser("results", help="convert the grader's JSON into Gradescope's results.json")
    r.add_argument("grade_json")
    r.add_argument("results_json")
    args = parser.parse_args(argv)
    if args.command == "build":
        archive = build(Path(args.out))
        print(f"wrote {archive} ({archive.stat().st_size // 1024} KB): upload it as the autograder "
              "(Ubuntu 24.04 base image). It contains the hidden tests and solutions: keep it private.")
        return 0
    result = json.loads(Path(args.grade_json).read_text())
    Path(args.results_json).write_text(json.dumps(gradescope_results(result), indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
