"""The stubs are generated from solutions/ and committed: they must be in sync, and well formed."""

import pytest

from grader.authoring import stubs


def test_committed_stubs_are_in_sync_with_solutions():
    problems = stubs.check()
    assert not problems, "stubs drifted from solutions/ (run make stubs):\n" + "\n".join(problems)


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
