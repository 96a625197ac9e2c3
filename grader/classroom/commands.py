"""The classroom's subcommands of ``python -m grader`` (registered by grader/cli.py)."""

from __future__ import annotations

import argparse
from pathlib import Path


def _batch(args: argparse.Namespace) -> int:
    from grader.classroom.batch import run_batch

    return run_batch(Path(args.submissions), Path(args.out), jobs=args.jobs, seed=args.seed)


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Add ``batch`` to the command line."""
    batch = sub.add_parser("batch", help="grade every submission in a folder (sub-folders or .zip files)")
    batch.add_argument("submissions")
    batch.add_argument("--out", required=True)
    batch.add_argument("--jobs", type=int, default=2)
    batch.add_argument("--seed", type=int, default=0)
    batch.set_defaults(run=_batch)
