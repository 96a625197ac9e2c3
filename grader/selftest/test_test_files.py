"""Rules every test file of the course keeps (docs/authoring.md), checked by reading the files."""

import ast

from grader.engine.phases import PHASES


def _test_files(hidden_only=False):
    for phase in PHASES:
        folder = phase.hidden_dir if hidden_only else phase.tests_dir
        yield from sorted(folder.rglob("test_*.py")) if folder.is_dir() else []


def test_hidden_tests_use_no_bare_assert():
    # a bare assert fails with no message, or with a message quoting the hidden test's source
    offenders = []
    for path in _test_files(hidden_only=True):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Assert):
                offenders.append(f"{path.relative_to(path.parents[3])}:{node.lineno}")
    assert not offenders, "use grader.engine.testing checks or raise AssertionError(message):\n" + "\n".join(offenders)


def test_no_test_file_imports_a_course_package_directly():
    # tests get the code under test through module_fixture, so the grader can sandbox it
    packages = {p.name for p in PHASES}
    offenders = []
    for path in _test_files():
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [f"{path}:{node.lineno}: {n}" for n in names if n.split(".")[0] in packages]
    assert not offenders, "\n".join(offenders)


def test_every_graded_package_has_gradient_checks():
    for phase in PHASES:
        if phase.available:
            text = "".join(p.read_text() for p in phase.hidden_dir.glob("test_*.py"))
            assert "pytest.mark.gradcheck" in text, f"{phase.name} has no gradient check"
