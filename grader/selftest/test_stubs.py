"""The stubs are generated from solutions/ and committed: they must be in sync, and well formed;
and no generator overwrites a learner's work."""

import pytest

from grader.authoring import stubs


def test_the_record_of_generated_stubs_is_in_sync_with_solutions():
    # reads solutions/ and grader/authoring/generated.json only: passes in a learner's checkout too
    problems = stubs.stale()
    assert not problems, "stubs drifted from solutions/ (run make stubs):\n" + "\n".join(problems)


@pytest.fixture
def sandbox(tmp_path, monkeypatch):
    monkeypatch.setattr(stubs, "REPO", tmp_path)
    monkeypatch.setattr(stubs, "BACKUPS", tmp_path / ".grader" / "backups")
    return tmp_path, stubs.Record(tmp_path / "generated.json")


def test_a_file_the_generator_wrote_is_regenerated_but_a_learners_edit_is_refused(sandbox):
    root, record = sandbox
    mine, untouched = root / "p" / "mine.py", root / "p" / "untouched.py"
    first = stubs.guarded_write({mine: "old stub\n", untouched: "old stub\n"}, record=record)
    assert sorted(first.written) == [mine, untouched] and not first.refused
    mine.write_text("the learner's code\n")
    second = stubs.guarded_write({mine: "new stub\n", untouched: "new stub\n"}, record=record)
    assert second.written == [untouched] and second.refused == [mine]
    assert mine.read_text() == "the learner's code\n" and untouched.read_text() == "new stub\n"
    assert any("FORCE=1" in line for line in second.report("its stub", "make stubs FORCE=1"))


def test_force_backs_the_learners_file_up_and_says_where(sandbox):
    root, record = sandbox
    mine = root / "p" / "mine.py"
    stubs.guarded_write({mine: "stub\n"}, record=record)
    mine.write_text("the learner's code\n")
    outcome = stubs.guarded_write({mine: "new stub\n"}, force=True, record=record)
    backup = outcome.backups[mine]
    assert backup.read_text() == "the learner's code\n" and mine.read_text() == "new stub\n"
    assert any(str(backup.relative_to(root)) in line for line in outcome.report("its stub", "FORCE=1"))


def test_only_the_generated_part_counts(sandbox):
    root, record = sandbox
    readme = root / "README.md"
    table = lambda text: text.split("|")[1]  # noqa: E731 - the part the generator owns
    stubs.guarded_write({readme: "notes |t1| more"}, part=table, record=record)
    readme.write_text("my own notes |t1| more notes")
    assert stubs.guarded_write({readme: "my own notes |t2| more notes"}, part=table, record=record).written
    readme.write_text("my own notes |edited by hand| more notes")
    assert stubs.guarded_write({readme: "my own notes |t3| more notes"}, part=table, record=record).refused


def test_a_solution_region_becomes_a_not_started_error_naming_the_function():
    source = 'def f(x):\n    """Doc."""\n    y = 1\n    ### BEGIN SOLUTION\n    return x + y\n    ### END SOLUTION\n'
    stub = stubs.make_stub(source)
    assert stub == 'def f(x):\n    """Doc."""\n    y = 1\n    # YOUR CODE HERE\n    raise NotImplementedError("not started: f")\n'


@pytest.mark.parametrize(
    "source",
    [
        "def f():\n    ### BEGIN SOLUTION\n    pass\n",
        "def f():\n    pass\n    ### END SOLUTION\n",
        "### BEGIN SOLUTION\nx = 1\n### END SOLUTION\n",
    ],
    ids=["unclosed", "unopened", "outside-a-function"],
)
def test_broken_markers_are_refused(source):
    with pytest.raises(stubs.MarkerError):
        stubs.make_stub(source)


def test_every_stub_still_imports_and_every_exercise_has_a_marker():
    for path, text in stubs.planned().items():
        compile(text, str(path), "exec")
    sources = [p for p in stubs.SOLUTIONS.rglob("*.py") if "selftest" not in p.parts]
    marked = [p for p in sources if stubs.BEGIN in p.read_text()]
    assert marked, "no solution module carries markers"
