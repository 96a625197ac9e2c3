"""Collection tells the truth: packages found at any depth, flat, or as loose files of one package;
junk left out; unique student ids; names that cannot escape; make submission's zip reads back."""

import shutil
import subprocess
import sys
import tarfile
import zipfile

import pytest

from grader.classroom import collect, submission
from grader.engine.phases import REPO, SOLUTIONS


def _zip(archive, files):
    with zipfile.ZipFile(archive, "w") as zf:
        for name, data in files.items():
            zf.writestr(name, data)


def _module_files(package):
    return {p.name: p.read_bytes() for p in (SOLUTIONS / package).glob("*.py") if p.name != "workbook.py"}


def test_packages_are_found_at_any_depth_and_junk_is_left_out(tmp_path):
    files = {f"two/levels/phase0_math/{n}": b for n, b in _module_files("phase0_math").items()}
    files["__MACOSX/two/levels/phase0_math/._softmax.py"] = b"\0\5\26\7"
    files["two/.venv/lib/site-packages/phase1_backprop/forward.py"] = b"x = 1\n"
    files["two/levels/phase0_math/tests/test_mine.py"] = b"assert True\n"
    _zip(tmp_path / "deep.zip", files)
    got = collect.assemble(tmp_path / "deep.zip", tmp_path / "work")
    assert got.error == "" and got.found == ["phase0_math"]
    kept = sorted(p.relative_to(got.target).as_posix() for p in got.target.rglob("*") if p.is_file())
    assert kept == sorted(f"phase0_math/{n}" for n in _module_files("phase0_math"))


def test_a_tar_gz_and_nbgraders_flat_layout_are_read(tmp_path):
    with tarfile.open(tmp_path / "s.tar.gz", "w:gz") as tf:
        tf.add(SOLUTIONS / "extensions/language_models", "s/language_models")  # flat, as nbgrader collects it
    got = collect.assemble(tmp_path / "s.tar.gz", tmp_path / "work")
    assert got.found == ["language_models"]
    assert (got.target / "extensions/language_models/bigram.py").read_bytes() == \
        (SOLUTIONS / "extensions/language_models/bigram.py").read_bytes()


def test_loose_files_of_one_package_are_placed_and_the_rest_comes_from_the_stubs(tmp_path):
    folder = tmp_path / "hal"
    folder.mkdir()
    for name in ("softmax.py", "matmul.py"):
        shutil.copy(SOLUTIONS / "phase0_math" / name, folder / name)
    (folder / "notes.txt").write_text("mine")
    got = collect.assemble(folder, tmp_path / "work")
    assert got.found == ["phase0_math"] and "placed by their names" in got.notes[0]
    assert (got.target / "phase0_math/softmax.py").read_bytes() == (SOLUTIONS / "phase0_math/softmax.py").read_bytes()
    assert (got.target / "phase0_math/loss.py").read_bytes() == (REPO / "phase0_math/loss.py").read_bytes()


def test_loose_files_that_could_belong_to_two_packages_are_not_guessed(tmp_path):
    folder = tmp_path / "amb"
    folder.mkdir()
    (folder / "gradcheck.py").write_text("x = 1\n")  # phase0, phase1 and phase2 all have one
    got = collect.assemble(folder, tmp_path / "work")
    assert got.error.startswith("no course package found") and "could belong to" in got.notes[0]


@pytest.mark.parametrize("name, make, expected", [
    ("sub", lambda p: p.mkdir(), "the submission is empty"),
    ("sub", lambda p: (p.mkdir(), (p / "essay.docx").write_text("hi")), "essay.docx"),
    ("sub.zip", lambda p: _zip(p, {"../../escape.py": "x = 1\n", "/abs.py": "x = 1\n"}), "escape.py"),
])
def test_a_submission_without_a_package_gets_an_error_saying_what_was_found(tmp_path, name, make, expected):
    make(tmp_path / name)
    got = collect.assemble(tmp_path / name, tmp_path / "work")
    assert got.target is None and expected in got.error and "no course package found" in got.error
    assert not (tmp_path.parent / "escape.py").exists() and not list(tmp_path.rglob("escape.py"))


def test_student_ids_are_unique_safe_and_other_entries_are_skipped(tmp_path):
    for name in ("Alice Smith", "Alice_Smith", "zed", "ok"):
        (tmp_path / name).mkdir()
    for name in ("zed.zip", "...zip", "x.tgz"):
        (tmp_path / name).write_bytes(b"")
    (tmp_path / "paper.pdf").write_bytes(b"%PDF")
    (tmp_path / ".DS_Store").write_bytes(b"")
    entries, skipped = collect.find_entries(tmp_path)
    ids = {e.path.name: (e.student, e.error) for e in entries}
    assert ids["Alice Smith"][0] == ids["Alice_Smith"][0] == "Alice_Smith" and ids["Alice Smith"][1]
    assert ids["zed"][1] and ids["zed.zip"][1] and not ids["ok"][1] and ids["x.tgz"] == ("x", "")
    assert ids["...zip"][0].startswith("unnamed-") and "/" not in ids["...zip"][0] and ".." not in ids["...zip"][0]
    assert dict(skipped) == {"paper.pdf": "not a folder, .zip or .tar.gz", ".DS_Store": "hidden or system entry"}


def test_the_cap_counts_only_the_course_code_kept(tmp_path, monkeypatch):
    folder = tmp_path / "s"
    shutil.copytree(SOLUTIONS / "phase0_math", folder / "phase0_math")
    (folder / ".venv").mkdir()
    (folder / ".venv/big.py").write_bytes(b"#" * 4096)
    monkeypatch.setattr(collect, "MAX_KEPT_BYTES", 2048 + sum(len(b) for b in _module_files("phase0_math").values()))
    assert collect.assemble(folder, tmp_path / "w1").found == ["phase0_math"]
    (folder / "phase0_math/big.py").write_bytes(b"#" * 4096)
    assert "more than" in collect.assemble(folder, tmp_path / "w2").error


def test_make_submission_zips_exactly_the_graded_files(tmp_path):
    root = tmp_path / "copy"
    shutil.copytree(SOLUTIONS / "phase0_math", root / "phase0_math")
    (root / "phase0_math/tests").mkdir(exist_ok=True)
    (root / "phase0_math/tests/test_x.py").write_text("")
    (root / "phase0_math/workbook.ipynb").write_text("{}")
    (root / ".venv").mkdir()
    done = subprocess.run([sys.executable, "-m", "grader", "submission", "--root", str(root), "--out",
                           str(tmp_path / "s.zip")], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "phase0_math" in done.stdout and "KB" in done.stdout
    names = zipfile.ZipFile(tmp_path / "s.zip").namelist()
    assert sorted(names) == sorted(f"phase0_math/{n}" for n in _module_files("phase0_math"))
    assert submission.graded_files(root) == sorted(names)


def test_the_resume_key_names_what_changed(tmp_path):
    from grader.classroom import stamp

    (tmp_path / "grade.json").write_text("{}")
    old = stamp.key("abc", {"seed": 0})
    stamp.store(tmp_path, old)
    assert stamp.why_stale(tmp_path, old) == ""
    assert stamp.why_stale(tmp_path, {**old, "hidden_tests": "new"}) == "the hidden tests changed"
    assert stamp.why_stale(tmp_path, stamp.key("abd", {"seed": 0})) == "the submission changed"
    assert "options" in stamp.why_stale(tmp_path, stamp.key("abc", {"seed": 1}))
    assert set(stamp.course_digests()) == {"hidden_tests", "grader", "reference"}
