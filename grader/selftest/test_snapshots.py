"""The public snapshots (``<pkg>/tests/_snapshots/*.npz``): fresh from solutions/, small, plain numbers."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np

from grader.authoring import snapshots
from grader.engine.phases import PHASES, REPO

FILES = sorted(p for phase in PHASES for p in (phase.tests_dir / snapshots.FOLDER).glob("*.npz"))


def test_snapshots_match_a_fresh_run_of_the_reference():
    # regenerated in a temporary folder by the author command and compared, case by case
    done = subprocess.run([sys.executable, "-m", "grader.authoring.snapshots", "--check"], cwd=REPO,
                          capture_output=True, text=True, timeout=900, env={**os.environ, "NO_COLOR": "1"})
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]


def test_every_graded_package_has_snapshots():
    missing = [p.name for p in PHASES if p.available and not any((p.tests_dir / snapshots.FOLDER).glob("*.npz"))]
    assert not missing, f"no snapshots: {missing} (run python -m grader.authoring.snapshots)"


def test_snapshots_are_small():
    total = sum(p.stat().st_size for p in FILES)
    assert total < 1_500_000, f"the snapshots weigh {total / 1e6:.2f} MB; lower snapshots.BUDGET or DRAWN"


def test_snapshots_hold_plain_numbers_only():
    # no pickle, no object arrays: a snapshot carries inputs and outputs, never code
    for path in FILES:
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(str(data["__meta__"]))
            assert {"module", "function", "exercise", "rtol", "atol", "project", "cases"} <= set(meta), path
            assert meta["project"] is None or snapshots.projection(meta["project"]) is not None, path
            for key in data.files:
                if key != "__meta__":
                    assert data[key].dtype.kind in "biufc", f"{path.name}: {key} has dtype {data[key].dtype}"


def test_a_case_survives_the_round_trip(tmp_path):
    arrays: dict = {}
    value = (np.arange(3, dtype=np.uint8), {"w": np.ones((2, 2)), 3: [1.5, None, "relu", float("inf")]},
             np.float32(2.5), True)
    node = snapshots._encode(value, arrays)
    np.savez(tmp_path / "x.npz", __meta__=np.array(json.dumps(node)), **arrays)
    with np.load(tmp_path / "x.npz", allow_pickle=False) as data:
        back = snapshots._decode(json.loads(str(data["__meta__"])), data)
    assert back[0].dtype == np.uint8 and np.array_equal(back[0], value[0])
    assert np.array_equal(back[1]["w"], value[1]["w"]) and back[1][3] == [1.5, None, "relu", float("inf")]
    assert isinstance(back[2], np.float32) and back[2] == np.float32(2.5) and back[3] is True
