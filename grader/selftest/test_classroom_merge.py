"""Beyond one machine: the shards of a class, merged, give the files of one run over the whole class."""

import json
import shutil
import subprocess
import sys

from grader.classroom import merge
from grader.engine.phases import REPO, SOLUTIONS
from grader.selftest.helpers import write_stubs

FILES = ("grades.csv", "summary.md", "run.json")


def _batch(subs, out, *extra):
    done = subprocess.run([sys.executable, "-m", "grader", "batch", str(subs), "--out", str(out), "--jobs", "2",
                           "--phase", "phase0_math", *extra], cwd=REPO, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    return done


def test_merged_shards_equal_one_run(tmp_path):
    subs = tmp_path / "subs"
    shutil.copytree(SOLUTIONS / "phase0_math", subs / "ann/phase0_math")
    write_stubs(subs / "ben")
    shutil.rmtree(subs / "ben/extensions")
    shutil.copy(SOLUTIONS / "phase0_math/softmax.py", subs / "ben/phase0_math/softmax.py")
    (subs / "cid").mkdir()  # empty: an error row
    (subs / "dan.txt").write_text("skipped")
    roster = tmp_path / "roster.csv"
    roster.write_text("id,name,email\nann,Ann,ann@x.org\neli,Eli,eli@x.org\n")

    _batch(subs, tmp_path / "whole", "--roster", str(roster))
    shards = [tmp_path / f"shard{i}" for i in range(3)]
    for i, out in enumerate(shards):
        done = _batch(subs, out, "--roster", str(roster), "--shard", f"{i}/3")
        assert f"shard {i}/3" in done.stdout
    students = [json.loads((s / "run.json").read_text())["students"] for s in shards]
    assert sorted(sum(students, [])) == ["ann", "ben", "cid", "eli"] and all(students)

    done = subprocess.run([sys.executable, "-m", "grader", "merge", *map(str, shards), "--out", str(tmp_path / "merged")],
                          cwd=REPO, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    for name in FILES:
        assert (tmp_path / "merged" / name).read_text() == (tmp_path / "whole" / name).read_text(), name
    for student in ("ann", "ben"):
        whole = json.loads((tmp_path / "whole" / student / "grade.json").read_text())
        merged = json.loads((tmp_path / "merged" / student / "grade.json").read_text())
        assert merged["score"] == whole["score"] and merged["target"] == student


def test_merge_refuses_shards_that_do_not_fit(tmp_path):
    for i, (shard, seed) in enumerate([([0, 2], 0), ([0, 2], 0)]):
        (tmp_path / f"s{i}").mkdir()
        (tmp_path / f"s{i}/run.json").write_text(json.dumps({"options": {"seed": seed}, "shard": shard,
                                                             "students": [], "skipped": []}))
    try:
        merge.merge([tmp_path / "s0", tmp_path / "s1"], tmp_path / "out")
    except ValueError as exc:
        assert "once each" in str(exc)
    else:
        raise AssertionError("two copies of shard 0/2 were merged")
