"""The classroom's subcommands of ``python -m grader`` (registered by grader/cli.py):
``batch`` (grade a class, or one shard of it), ``merge`` (shards into one gradebook) and
``submission`` (the zip a student hands in)."""

from __future__ import annotations

import argparse
from pathlib import Path

from grader.engine.phases import PHASES, REPO


def _batch(args: argparse.Namespace) -> int:
    from grader.classroom.batch import run_batch

    return run_batch(Path(args.submissions), Path(args.out), jobs=args.jobs, seed=args.seed, phases=args.phase,
                     decoupled=args.decoupled, shard=args.shard, roster=Path(args.roster) if args.roster else None)


def _merge(args: argparse.Namespace) -> int:
    from grader.classroom.merge import merge_command

    return merge_command([Path(p) for p in args.outs], Path(args.out))


def _submission(args: argparse.Namespace) -> int:
    from grader.classroom.submission import submission_command

    return submission_command(Path(args.root), Path(args.out))


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Add ``batch``, ``merge`` and ``submission`` to the command line."""
    batch = sub.add_parser("batch", help="grade every submission in a folder (folders, .zip or .tar.gz files)")
    batch.add_argument("submissions")
    batch.add_argument("--out", required=True)
    batch.add_argument("--jobs", type=int, default=2, help="students graded at once")
    batch.add_argument("--seed", type=int, default=0, help="seed of the random test inputs (default 0)")
    batch.add_argument("--phase", action="append", choices=[p.name for p in PHASES],
                       help="grade only this phase (repeatable)")
    batch.add_argument("--decoupled", action="store_true",
                       help="grade each phase against the reference of the phases before it")
    batch.add_argument("--shard", default=None, metavar="I/N",
                       help="grade only the students whose index in the sorted ids is I modulo N (0 <= I < N)")
    batch.add_argument("--roster", default=None, help="CSV with id, name, email: who is expected")
    batch.set_defaults(run=_batch)

    merge = sub.add_parser("merge", help="combine the OUT folders of batch --shard runs into one gradebook")
    merge.add_argument("outs", nargs="+")
    merge.add_argument("--out", required=True)
    merge.set_defaults(run=_merge)

    submission = sub.add_parser("submission", help="zip exactly the files the grader grades, for handing in")
    submission.add_argument("--out", default="submission.zip")
    submission.add_argument("--root", default=str(REPO), help="the working copy to pack (default: this one)")
    submission.set_defaults(run=_submission)
