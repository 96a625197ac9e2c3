"""The notebook side: workbooks in sync, a clean release, nbgrader's autograde end to end, every
workbook running against the reference, and JupyterLab serving the course."""

from __future__ import annotations

import asyncio
import html
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import pytest

from grader.authoring import notebooks, stubs
from grader.classroom import release
from grader.engine import target
from grader.engine.phases import PHASES, REPO, SOLUTIONS, WORKBOOK_SOURCE
from grader.selftest.helpers import grade as run_grader

MARKER_LINE = re.compile(r"^\s*#+\s*(BEGIN|END) (SOLUTION|HIDDEN TESTS)\s*$", re.MULTILINE)
WORKBOOK_PHASES = notebooks.workbook_phases()


# -- shared: one release per test process -----------------------------------------------------------

_BUILT: dict[str, dict] = {}


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict:
    if "release" not in _BUILT:
        base = tmp_path_factory.mktemp("nbgrader")
        start = time.perf_counter()
        done = release.release(base / "course", base / "student-release")
        done["seconds"] = time.perf_counter() - start
        _BUILT["release"] = done
    return _BUILT["release"]


def _regions(text: str, begin: str, end: str) -> list[list[str]]:
    regions, current = [], None
    for line in text.splitlines():
        if begin in line:
            current = []
        elif end in line and current is not None:
            regions.append(current)
            current = None
        elif current is not None:
            current.append(line.strip())
    return regions


def _public_text() -> str:
    """Everything a student may see anyway: stubs, public tests, reading guides, the student workbooks."""
    parts = []
    for phase in PHASES:
        folder = REPO / phase.path
        if folder.is_dir():
            for path in folder.rglob("*"):
                if path.is_file() and "hidden" not in path.parts and path.suffix in (".py", ".md", ".ipynb"):
                    parts.append(path.read_text(errors="replace"))
    parts.append((REPO / "README.md").read_text())
    hints = REPO / "grader" / "exercises.toml"  # the graded hints a learner asks for: given on purpose
    if hints.is_file():
        parts.append(hints.read_text())
    return "\n".join(line.strip() for part in parts for line in part.splitlines())


def secrets_of_the_course() -> dict[str, set[str]]:
    """Text that must never reach a student: reference bodies, workbook answers and hidden tests,
    hidden test files and test names."""
    public = _public_text()
    bodies, lines, names, hidden = set(), set(), set(), set()
    for path in SOLUTIONS.rglob("*.py"):
        for region in _regions(path.read_text(), "### BEGIN SOLUTION", "### END SOLUTION"):
            code = [line for line in region if line and not line.startswith("#")]
            if len(code) >= 2:
                bodies.add("\n".join(code))
            lines.update(line for line in code if len(line) >= 25 and line not in public)
    for phase in WORKBOOK_PHASES:
        nb = json.loads(notebooks.source_path(phase).read_text())
        for cell in nb["cells"]:
            text = "".join(cell["source"])
            for begin, end in (("BEGIN SOLUTION", "END SOLUTION"), ("BEGIN HIDDEN TESTS", "END HIDDEN TESTS")):
                for region in _regions(text, begin, end):
                    lines.update(line for line in region if len(line) >= 15 and line not in public)
                    if "HIDDEN" in begin:
                        hidden.update(line for line in region if len(line) >= 15)
    for phase in PHASES:
        for path in phase.hidden_dir.glob("test_*.py"):
            names.add(path.name)
            public_names = set(re.findall(r"def (test_\w+)", public))
            names.update(set(re.findall(r"^def (test_\w+)", path.read_text(), re.M)) - public_names)
    return {"bodies": bodies, "lines": lines, "names": names, "hidden": hidden}


def _modules(phase) -> list[Path]:
    """The reference modules of a phase (its workbook's text is no module)."""
    return [p for p in (SOLUTIONS / phase.path).glob("*.py") if p.name != WORKBOOK_SOURCE]


def _texts(folder: Path) -> dict[Path, str]:
    return {p: p.read_text(errors="replace") for p in folder.rglob("*") if p.is_file() and p.suffix != ".db"}


# -- the committed workbooks ----------------------------------------------------------------------



def _run_notebook(nb, folder: Path, **env: str) -> None:
    """Run every cell of ``nb`` in a python3 kernel started in ``folder``, with FPAI_ROOT and
    NBGRADER_EXECUTION set only as ``env`` says (both restored afterwards)."""
    from nbclient import NotebookClient

    saved = {name: os.environ.pop(name, None) for name in ("FPAI_ROOT", "NBGRADER_EXECUTION")}
    os.environ.update(env)
    try:
        NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(folder)}}).execute()
    finally:
        for name, value in saved.items():
            os.environ.pop(name, None)
            if value is not None:
                os.environ[name] = value

def test_committed_workbooks_are_in_sync_with_their_sources(built):
    import nbformat

    # the release ran nbgrader's generate_assignment on the current sources: reuse its output
    made = {p: nbformat.read(built["course"] / "release" / p.name / "workbook.ipynb", as_version=4)
            for p in WORKBOOK_PHASES}
    problems = notebooks.stale(made)
    assert not problems, "workbooks drifted (run make notebooks):\n" + "\n".join(problems)


def test_phase0_has_a_workbook_with_graded_answers_and_hidden_tests():
    assert any(p.name == "phase0_math" for p in WORKBOOK_PHASES)
    for phase in WORKBOOK_PHASES:
        source = json.loads(notebooks.source_path(phase).read_text())
        student = json.loads(notebooks.student_path(phase).read_text())
        meta = [c["metadata"].get("nbgrader", {}) for c in source["cells"]]
        assert any(m.get("solution") for m in meta) and any(m.get("grade") for m in meta)
        assert all(m["points"] > 0 for m in meta if m.get("grade"))
        assert meta[-1].get("grade") and meta[-1]["grade_id"] == "modules"
        assert "BEGIN HIDDEN TESTS" in json.dumps(source) and "BEGIN SOLUTION" in json.dumps(source)
        assert "HIDDEN TESTS" not in json.dumps(student) and "SOLUTION" not in json.dumps(student)
        assert [c["id"] for c in source["cells"]] == [c["id"] for c in student["cells"]]


def test_an_edited_workbook_is_drift(tmp_path):
    phase = WORKBOOK_PHASES[0]
    committed = notebooks.student_path(phase).read_text()
    nb = json.loads(committed)
    nb["cells"][0]["source"] = ["edited by hand\n"]
    (tmp_path / "workbook.ipynb").write_text(json.dumps(nb))
    assert not notebooks._same(tmp_path / "workbook.ipynb", committed)
    assert notebooks._same(notebooks.student_path(phase), committed)


def test_volatile_metadata_is_not_drift():
    import nbformat

    phase = WORKBOOK_PHASES[0]
    text = notebooks.student_path(phase).read_text()
    nb = nbformat.reads(text, as_version=4)
    nb.metadata["language_info"] = {"name": "python", "version": "3.99"}
    nb.metadata["widgets"] = {}
    nb.cells[1].execution_count = 7
    nb.cells[1].outputs = [nbformat.v4.new_output("stream", text="hello\n")]
    nb.cells[1].metadata["collapsed"] = True
    assert notebooks.normalised(nb) == notebooks.normalised(nbformat.reads(text, as_version=4))


def test_a_workbook_is_its_text_read_by_jupytext():
    import jupytext

    phase = WORKBOOK_PHASES[0]
    text = notebooks.text_path(phase).read_text()
    assert "grader.authoring" not in text, "a workbook's text is a notebook, not code that builds one"
    nb = notebooks.source_notebook(phase)
    cells = jupytext.reads(text, fmt="py:percent").cells
    assert [c.source for c in nb.cells] == [c.source for c in cells]
    assert [c.id for c in nb.cells if "nbgrader" in c.metadata] == [
        c.metadata["nbgrader"]["grade_id"] for c in cells if "nbgrader" in c.metadata]
    assert [c.id for c in nb.cells if "nbgrader" not in c.metadata][:2] == ["free-1", "free-2"]


@pytest.mark.parametrize("header, problem", [
    ('nbgrader={"grade_id": "a", "solution": true}', "BEGIN SOLUTION"),
    ('nbgrader={"grade_id": "b", "grade": true}', "points"),
    ('nbgrader={"grade_id": "c", "grade": true, "points": -1}', "points"),
    ('nbgrader={"grade": true, "points": 1}', "grade_id"),
    ('nbgrader={"grade_id": "d", "locked": true}\n### BEGIN HIDDEN TESTS\nx = 1\n### END HIDDEN TESTS', "test cell"),
    ('nbgrader={"grade_id": "setup"}\nx = 1\n\n# %% nbgrader={"grade_id": "setup"}', "two cells"),
])
def test_a_broken_workbook_text_is_refused(header, problem):
    import jupytext

    text = f"# %% {header}\nx = 1\n"
    with pytest.raises(ValueError, match=problem):
        notebooks.build(jupytext.reads(text, fmt="py:percent"))


def test_workbook_texts_are_left_out_of_stubs_and_of_the_graders_copies(tmp_path):
    assert all(notebooks.text_path(p).is_file() for p in WORKBOOK_PHASES)
    assert not [p for p in stubs.planned() if p.name == WORKBOOK_SOURCE]
    target.prepare(SOLUTIONS, tmp_path)
    assert not list(tmp_path.rglob(WORKBOOK_SOURCE)) and list(tmp_path.rglob("softmax.py"))


# -- the release ----------------------------------------------------------------------------------


def test_release_has_each_phase_with_stubs_public_tests_and_workbook(built):
    out = built["out"]
    assert built["workbooks"] == [p.name for p in WORKBOOK_PHASES]
    for phase in release.released_phases():
        folder = out / phase.path
        assert (folder / "__init__.py").is_file(), phase.name
        for stub in (REPO / phase.path).glob("*.py"):
            assert (folder / stub.name).read_text() == stub.read_text(), f"{phase.name}/{stub.name} is not the stub"
        for public in phase.tests_dir.glob("test_*.py"):
            assert (folder / "tests" / public.name).is_file()
        assert not (folder / "tests" / "hidden").exists()
    for phase in WORKBOOK_PHASES:
        assert (out / phase.path / "workbook.ipynb").is_file()
        assert (built["course"] / "source" / phase.name / "workbook.ipynb").is_file()
    for name in ("Makefile", "pyproject.toml", "README.md", "grader/cli.py", "grader/learner/workbook.py"):
        assert (out / name).is_file(), name
    assert not (out / "solutions").exists() and not (out / "grader" / "selftest").exists()
    assert not (out / "grader" / "classroom").exists()
    assert not (out / "grader" / "authoring" / "notebooks.py").exists()
    texts = [folder / WORKBOOK_SOURCE for phase in PHASES
             for folder in (out / phase.path, built["course"] / "source" / phase.name)]
    assert not [t for t in texts if t.exists()], "a workbook's text (answers, hidden tests) was released"


def test_make_check_works_in_the_release(built):
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "FPAI_ROOT", "NBGRADER_EXECUTION")}
    done = subprocess.run([sys.executable, "-m", "grader", "check", "phase0_math"], cwd=built["out"], env=env,
                          capture_output=True, text=True, timeout=300)
    assert "not started: softmax" in done.stdout and "Traceback" not in done.stdout + done.stderr, (
        done.stdout + done.stderr)[-3000:]


def test_release_holds_no_trace_of_solutions_or_hidden_tests(built):
    found = secrets_of_the_course()
    assert found["bodies"] and found["lines"] and found["names"]
    problems = []
    for folder in (built["out"], built["course"] / "release"):
        for path, text in _texts(folder).items():
            shown = path.relative_to(folder.parent)
            if "hidden" in path.parts or "solutions" in path.relative_to(folder).parts:
                problems.append(f"{shown}: a hidden-test or solutions path")
            if path.name in found["names"]:
                problems.append(f"{shown}: a hidden test file")
            if MARKER_LINE.search(text) or (path.suffix == ".ipynb" and re.search(r"SOLUTION|HIDDEN TESTS", text)):
                problems.append(f"{shown}: a solution or hidden-test marker")
            flat = "\n".join(line.strip() for line in text.splitlines())
            if path.suffix == ".ipynb":
                nb = json.loads(text)
                flat += "\n" + "\n".join(line.strip() for c in nb["cells"] for line in "".join(c["source"]).splitlines())
            problems += [f"{shown}: a reference body:\n{b}" for b in found["bodies"] if b in flat]
            problems += [f"{shown}: {line!r}" for line in found["lines"] if line in flat]
            problems += [f"{shown}: names {name}" for name in found["names"] if name in text]
    assert not problems, "the release leaks:\n" + "\n".join(problems[:30])


def test_source_given_to_nbgrader_holds_stubs_and_protects_the_students_modules(built):
    course = built["course"]
    config = (course / "nbgrader_config.py").read_text()
    for phase in WORKBOOK_PHASES:
        source = course / "source" / phase.name
        for module in _modules(phase):
            assert (source / module.name).read_text() == (REPO / phase.path / module.name).read_text()
            assert f"'{module.name}'" in config, f"{module.name} is not excluded from overwriting"
        assert not (source / "tests" / "hidden").exists()
    assert "Autograde.exclude_overwriting" in config and "HideHiddenTests" in config


def test_release_refuses_to_replace_a_folder_it_did_not_write(tmp_path):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep me")
    with pytest.raises(release.NbgraderFailed, match="not a release"):
        release._clear(tmp_path / "mine")
    assert (tmp_path / "mine" / "notes.txt").read_text() == "keep me"


# -- autograde ------------------------------------------------------------------------------------


def _student_answers(source_nb: dict) -> dict[str, str]:
    """What a student who got everything right types into each answer cell."""
    answers = {}
    for cell in source_nb["cells"]:
        meta = cell["metadata"].get("nbgrader", {})
        if meta.get("solution"):
            lines = "".join(cell["source"]).splitlines()
            answers[meta["grade_id"]] = "\n".join(line for line in lines if "SOLUTION" not in line)
    return answers


def _submit(course: Path, student: str, phase, modules_from: dict[str, Path], answers: dict[str, str]) -> Path:
    folder = course / "submitted" / student / phase.name
    if folder.exists():
        shutil.rmtree(folder)
    shutil.copytree(course / "release" / phase.name, folder)
    for name, origin in modules_from.items():
        shutil.copy(origin, folder / name)
    nb_path = folder / "workbook.ipynb"
    nb = json.loads(nb_path.read_text())
    for cell in nb["cells"]:
        grade_id = cell["metadata"].get("nbgrader", {}).get("grade_id")
        if grade_id in answers:
            cell["source"] = answers[grade_id]
    nb_path.write_text(json.dumps(nb))
    (folder / "timestamp.txt").write_text("2026-01-15 12:00:00.000000 UTC")
    return folder


def _html_text(path: Path) -> str:
    text = re.sub(r"<style.*?</style>|<script.*?</script>", "", path.read_text(), flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", "", text))


@pytest.fixture(scope="module")
def autograded(built, tmp_path_factory) -> dict:
    """Three generated submissions of phase 0, autograded with nbgrader's API."""
    course = built["course"]
    phase = next(p for p in WORKBOOK_PHASES if p.name == "phase0_math")
    reference = {p.name: p for p in _modules(phase)}
    answers = _student_answers(json.loads(notebooks.source_path(phase).read_text()))
    _submit(course, "correct", phase, reference, answers)
    _submit(course, "untouched", phase, {}, {})
    stubbed = {"matmul.py", "gradcheck.py"}
    partial_modules = {n: p for n, p in reference.items() if n not in stubbed}
    wrong = {"critical-lr": "lambda_max = 10\nlr_critical = 0.2\nlr_critical_standardized = 2"}
    _submit(course, "partial", phase, partial_modules,
            {"gd-step": answers["gd-step"], "cross-entropy": answers["cross-entropy"], **wrong})

    # what the grader itself says of the partial student's modules
    target = tmp_path_factory.mktemp("partial") / "target"
    shutil.copytree(course / "submitted" / "partial" / phase.name, target / phase.path)
    expected = run_grader(target, phases=[phase.name])["phases"][0]

    start = time.perf_counter()
    done = release.autograde(course)
    done["seconds"] = time.perf_counter() - start
    done["partial_modules"] = round(10 * expected["score"] / expected["max_score"], 2)
    done["course"] = course
    return done


def test_autograde_gives_the_expected_scores(autograded):
    scores = autograded["scores"]
    correct, untouched, partial = (scores[("phase0_math", s)] for s in ("correct", "untouched", "partial"))
    assert correct["max_score"] == 20
    assert correct["score"] == 20, correct
    assert untouched["score"] == 0, untouched
    assert 0 < autograded["partial_modules"] < 10
    assert partial["gd-step-check"] == 3 and partial["cross-entropy-check"] == 3, partial
    assert partial["critical-lr-check"] == 0 and partial["unstandardize-check"] == 0, partial
    assert partial["modules"] == pytest.approx(autograded["partial_modules"]), partial
    assert partial["score"] == pytest.approx(6 + autograded["partial_modules"])


def test_autograde_keeps_the_students_modules(autograded):
    course = autograded["course"]
    graded = course / "autograded" / "correct" / "phase0_math" / "softmax.py"
    assert graded.read_text() == (SOLUTIONS / "phase0_math" / "softmax.py").read_text()


def test_autograde_exports_the_gradebook_to_csv(autograded):
    rows = release.read_csv(autograded["csv"])
    by_student = {r["student_id"]: float(r["score"]) for r in rows if r["assignment"] == "phase0_math"}
    assert by_student["correct"] == 20 and by_student["untouched"] == 0
    assert by_student["partial"] == pytest.approx(6 + autograded["partial_modules"])


def test_feedback_shows_no_hidden_test(autograded):
    course = autograded["course"]
    found = secrets_of_the_course()
    for student in ("correct", "untouched", "partial"):
        page = course / "feedback" / student / "phase0_math" / "workbook.html"
        assert page.is_file(), page
        text = _html_text(page)
        assert "HIDDEN TESTS" not in text and "BEGIN SOLUTION" not in text
        flat = "\n".join(line.strip() for line in text.splitlines())
        leaked = [line for line in found["hidden"] if line in flat]
        assert not leaked, f"{student}'s feedback quotes hidden tests: {leaked[:3]}"
    partial = _html_text(course / "feedback" / "partial" / "phase0_math" / "workbook.html")
    assert "lambda_max is not the largest eigenvalue" in partial  # the message, not the test


def test_feedback_preprocessor_cuts_hidden_regions_and_tracebacks():
    import nbformat

    cell = nbformat.v4.new_code_cell("visible = 1\n### BEGIN HIDDEN TESTS\nassert secret == 42, 'nope'\n### END HIDDEN TESTS")
    cell.metadata["nbgrader"] = {"grade": True, "solution": False, "locked": True, "grade_id": "t", "points": 1}
    cell.outputs = [nbformat.v4.new_output("error", ename="AssertionError", evalue="nope",
                                           traceback=["---> 3 assert secret == 42, 'nope'", "AssertionError: nope"])]
    out, _ = release.HideHiddenTests().preprocess_cell(cell, {}, 0)
    assert out.source == "visible = 1"
    assert out.outputs[0]["traceback"] == ["AssertionError: nope"]


# -- the workbooks run against the reference ------------------------------------------------------


@pytest.mark.parametrize("phase", WORKBOOK_PHASES, ids=[p.name for p in WORKBOOK_PHASES])
def test_workbook_runs_top_to_bottom_against_the_reference(phase):
    import nbformat

    nb = nbformat.read(notebooks.source_path(phase), as_version=4)
    # as nbgrader runs it: the public tests make way for the hidden
    _run_notebook(nb, SOLUTIONS / phase.path, NBGRADER_EXECUTION="autograde")
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "code" and meta.get("grade"):
            streams = [o for o in cell.outputs if o.output_type == "stream" and o.name == "stderr"]
            assert not streams, f"{meta['grade_id']} writes to stderr: nbgrader would give it 0"
    derived = _printed(next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "derive-check"))
    verdicts = [line for line in derived.splitlines() if line.strip()]
    assert verdicts and all(": right:" in line for line in verdicts), derived
    last = nb.cells[-1]
    result = [o for o in last.outputs if o.output_type == "execute_result"]
    assert result and float(result[0]["data"]["text/plain"]) == last.metadata["nbgrader"]["points"]
    images = [o for c in nb.cells for o in c.get("outputs", []) if "image/png" in o.get("data", {})]
    assert images, "a workbook shows at least one plot"


def _printed(cell) -> str:
    return "".join(o.get("text", "") for o in cell.get("outputs", []) if o.get("output_type") == "stream")


# -- checked derivations, and the student's notebook run top to bottom -----------------------------

# Per workbook, wrong answers a learner could write (code run after the reference answers) and the
# verdict expected of each: the name of the answer, then a piece of the one-line diagnosis.
WRONG_ANSWERS = {
    "phase0_math": [
        ('dL_dw = "2*(w*x + b - y)"', "dL_dw", "off by a factor of x"),
        ('lr_threshold = "2/(x**2 + 1)"', "lr_threshold", "off by a constant factor"),
        ("softmax_vjp = lambda z, dout: np.exp(z) / np.exp(z).sum(-1, keepdims=True) * dout", "softmax_vjp", "wrong: dz"),
        ("matmul_vjp = lambda a, b, dout: (dout @ b.T, dout.T @ a)", "matmul_vjp", "has shape (2, 4), expected (4, 2)"),
    ],
    "phase1_backprop": [
        ('dsigmoid = "sigma(z)**2 - sigma(z)"', "dsigmoid", "the sign is flipped"),
        ('dz_crossentropy = "(sigma(z) - y)*sigma(z)*(1 - sigma(z))"', "dz_crossentropy", "wrong"),
        ("linear_vjp = lambda x, w, b, dout: (dout @ w.T, x.T @ dout, dout.sum(axis=1))", "linear_vjp",
         "db has shape (5,), expected (4,)"),
    ],
    "phase2_attention": [
        ('da1_ds2 = "exp(s1)*exp(s2)/(exp(s1) + exp(s2))**2"', "da1_ds2", "the sign is flipped"),
        ("_right = attention_vjp\nattention_vjp = lambda q, k, v, dout: (_right(q, k, v, dout)[0] * np.sqrt(3),"
         " *_right(q, k, v, dout)[1:])", "attention_vjp", "wrong: dq off by a constant factor"),
    ],
    "phase3_transformer": [
        ('dpe_dpos = "cos(pos/10000**(2*i/D))"', "dpe_dpos", "wrong"),
        ("layer_norm_vjp = lambda x, gamma, dout: (dout * gamma / x.std(axis=-1, keepdims=True),"
         " np.sum(dout * (x - x.mean(-1, keepdims=True)) / x.std(-1, keepdims=True), axis=0))",
         "layer_norm_vjp", "wrong: dx"),
    ],
    "language_models": [
        ('dL_dp = "-c1/p - c2/(1 - p)"', "dL_dp", "wrong"),
        ("_right = bigram_vjp\nbigram_vjp = lambda W, C: _right(W, C) * C.sum()", "bigram_vjp", "off by a constant factor"),
    ],
    "tiny_transformer": [
        ('dlse_dz1 = "exp(z1)"', "dlse_dz1", "wrong"),
        ("_right = ce_vjp\nce_vjp = lambda logits, targets: _right(logits, targets) * len(targets)", "ce_vjp",
         "off by a constant factor (yours is 4 times"),
    ],
    "distillation": [
        ('dsoft_ds = "T**2*(sigma(s/T) - sigma(t/T))"', "dsoft_ds", "off by a factor of 1/T"),
        ("_right = soft_vjp\nsoft_vjp = lambda s, t, T: -_right(s, t, T)", "soft_vjp", "the sign is flipped"),
    ],
    "control": [
        ('dL_drw = "sigma(rl - rw)"', "dL_drw", "the sign is flipped"),
        ("policy_gradient = lambda theta, r: np.exp(theta) / np.exp(theta).sum() * r", "policy_gradient", "wrong"),
    ],
}


def _derivation_cells(phase) -> tuple[str, str]:
    cells = {c["metadata"].get("nbgrader", {}).get("grade_id"): "".join(c["source"])
             for c in json.loads(notebooks.source_path(phase).read_text())["cells"]}
    return cells["derive"], cells["derive-check"]


def _verdicts(code: str, check: str) -> dict[str, str]:
    import contextlib
    import io

    import numpy as np

    from grader.learner import derivations, workbook

    names = {"np": np, "derivations": derivations, "workbook": workbook}
    exec(code, names)  # noqa: S102 (the course's own notebook cells)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(check, names)  # noqa: S102
    return dict(line.split(": ", 1) for line in printed.getvalue().splitlines() if ": " in line)


def test_every_workbook_has_checked_derivations_with_wrong_answers_to_try():
    assert sorted(WRONG_ANSWERS) == sorted(p.name for p in WORKBOOK_PHASES)
    for phase in WORKBOOK_PHASES:
        code, check = _derivation_cells(phase)
        assert "derivations.symbolic(" in check or "derivations.threshold(" in check, phase.name
        assert "derivations.gradient(" in check, phase.name


@pytest.mark.parametrize("phase", WORKBOOK_PHASES, ids=[p.name for p in WORKBOOK_PHASES])
def test_derivation_checks_give_the_right_verdict_on_right_and_wrong_answers(phase):
    code, check = _derivation_cells(phase)
    right = _verdicts(code, check)
    assert right and all(v.startswith("right") for v in right.values()), right
    for wrong, name, diagnosis in WRONG_ANSWERS[phase.name]:
        verdicts = _verdicts(code + "\n" + wrong, check)
        assert verdicts[name].startswith("wrong") and diagnosis in verdicts[name], (wrong, verdicts[name])
        assert all(v.startswith("right") for k, v in verdicts.items() if k != name), verdicts
    unanswered = _verdicts(code.split("### BEGIN SOLUTION")[0], check)
    assert unanswered and all(v == "not answered yet: skipped" for v in unanswered.values()), unanswered


def test_no_reference_answer_is_readable_in_a_student_workbook():
    for phase in WORKBOOK_PHASES:
        student = notebooks.student_path(phase).read_text()
        code, _ = _derivation_cells(phase)
        answer = code.split("### BEGIN SOLUTION")[1].split("### END SOLUTION")[0]
        for line in answer.splitlines():
            if len(line.strip()) >= 12 and not line.strip().startswith(("def ", "return")):
                assert json.dumps(line.strip())[1:-1] not in student, (phase.name, line)


def test_the_setup_cell_is_one_line_of_code():
    for phase in WORKBOOK_PHASES:
        nb = json.loads(notebooks.student_path(phase).read_text())
        setup = next(c for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("grade_id") == "setup")
        code = [line for line in "".join(setup["source"]).splitlines() if line.strip() and not line.startswith("#")]
        assert len(code) == 1 and "setup()" in code[0], code


@pytest.mark.parametrize("phase", WORKBOOK_PHASES, ids=[p.name for p in WORKBOOK_PHASES])
def test_a_student_workbook_runs_top_to_bottom_with_nothing_answered(built, phase):
    """The released notebook on the released stubs: no cell stops the run; each unanswered one says so."""
    import nbformat

    folder = built["course"] / "release" / phase.name
    nb = nbformat.read(folder / "workbook.ipynb", as_version=4)
    nb.cells = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") != "modules"]  # see below
    _run_notebook(nb, folder, FPAI_ROOT=str(REPO))  # as make lab and the release set it
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        text = _printed(cell)
        if meta.get("solution"):
            assert "not written yet: skipped" in text, (meta["grade_id"], text)
        elif meta.get("grade_id", "").endswith("-check"):
            assert "not answered yet" in text and meta["grade_id"].removesuffix("-check") in text or \
                meta["grade_id"] == "derive-check", (meta["grade_id"], text)
        elif cell.cell_type == "code" and "workbook.experiment(" in cell.source:
            assert "skipped" in text, (cell.source[:80], text)
    derived = _printed(next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "derive-check"))
    assert derived.count("not answered yet: skipped") >= 2, derived
    # the modules cell on stubs: test_the_modules_cell_runs_the_public_tests... runs it on the reference


def test_workbooks_carry_the_kernels_language_info_so_opening_one_modifies_nothing():
    """JupyterLab writes the kernel's language_info into a notebook's metadata when the kernel
    starts (skipped when equal): a notebook without it shows as modified right after opening."""
    from ipykernel.ipkernel import IPythonKernel

    for phase in WORKBOOK_PHASES:
        for path in (notebooks.source_path(phase), notebooks.student_path(phase)):
            nb = json.loads(path.read_text())
            assert nb["metadata"].get("language_info") == IPythonKernel.language_info, path
            assert (nb["nbformat"], nb["nbformat_minor"]) == (4, 5), path  # what JupyterLab 4 writes


def test_learner_lab_config_hides_the_instructors_nbgrader_extensions():
    config = REPO / "grader" / "learner" / "jupyter_config"
    disabled = json.loads((config / "labconfig" / "page_config.json").read_text())["disabledExtensions"]
    assert {"@jupyter/nbgrader:create-assignment", "@jupyter/nbgrader:formgrader",
            "@jupyter/nbgrader:course-list"} <= {k for k, v in disabled.items() if v}
    assert not any("validate" in k or "assignment-list" in k for k in disabled), "the student's tools stay"
    server = json.loads((config / "jupyter_server_config.d" / "nbgrader-learner.json").read_text())
    assert server["ServerApp"]["jpserver_extensions"]["nbgrader.server_extensions.formgrader"] is False


def test_the_modules_cell_runs_the_public_tests_on_the_packages_the_notebook_imports(tmp_path):
    probe = ("import sys; sys.path[:0] = [sys.argv[1], sys.argv[2]]; from grader.learner import workbook; "
             "print(workbook.package_dir('phase0_math')); print(workbook.check_phase('phase0_math', out_of=10))")
    env = {k: v for k, v in os.environ.items() if k not in ("NBGRADER_EXECUTION", "PYTHONPATH")}
    done = subprocess.run([sys.executable, "-c", probe, str(SOLUTIONS), str(REPO)], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300)
    lines = done.stdout.strip().splitlines()
    assert done.returncode == 0 and not done.stderr.strip(), done.stdout + done.stderr
    assert Path(lines[0]) == SOLUTIONS / "phase0_math"
    assert "public tests pass" in done.stdout and float(lines[-1]) == 10.0, done.stdout


# -- JupyterLab -----------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str, timeout: float = 10, data: bytes | None = None, method: str = "GET") -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return response.status, response.read()


async def _execute(ws_url: str, code: str, timeout: float = 60) -> str:
    from tornado.websocket import websocket_connect

    conn = await websocket_connect(ws_url)
    msg_id = uuid.uuid4().hex
    conn.write_message(json.dumps({
        "header": {"msg_id": msg_id, "msg_type": "execute_request", "username": "selftest", "session": uuid.uuid4().hex,
                   "version": "5.3", "date": ""},
        "parent_header": {}, "metadata": {}, "channel": "shell",
        "content": {"code": code, "silent": False, "store_history": False, "user_expressions": {},
                    "allow_stdin": False, "stop_on_error": True},
    }))
    out, deadline = [], time.monotonic() + timeout
    while time.monotonic() < deadline:
        raw = await asyncio.wait_for(conn.read_message(), timeout=deadline - time.monotonic())
        if raw is None:
            break
        msg = json.loads(raw)
        if msg.get("parent_header", {}).get("msg_id") != msg_id:
            continue
        kind = msg["header"]["msg_type"]
        if kind == "stream":
            out.append(msg["content"]["text"])
        elif kind == "error":
            out.append(f"{msg['content']['ename']}: {msg['content']['evalue']}")
        elif kind == "status" and msg["content"]["execution_state"] == "idle":
            break
    conn.close()
    return "".join(out)


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """`make lab` on a random free port with a token, headless; shut down through its API."""
    tmp = tmp_path_factory.mktemp("lab")
    port, token = _free_port(), secrets.token_hex(16)
    args = (f"--no-browser --ip=127.0.0.1 --port={port} --ServerApp.port_retries=0 "
            f"--IdentityProvider.token={token} --LabApp.workspaces_dir={tmp / 'workspaces'} "
            f"--FileCheckpoints.checkpoint_dir={tmp / 'checkpoints'}")  # opening a notebook checkpoints it
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(tmp / "runtime"), "JUPYTER_PLATFORM_DIRS": "1"}
    env.pop("FPAI_ROOT", None)
    log_path = tmp / "lab.log"
    log = log_path.open("w")
    server = subprocess.Popen(["make", "-s", "lab", f"ARGS={args}"], cwd=REPO, env=env, stdout=log,
                              stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                if _get(f"{base}/api/status?token={token}", timeout=2)[0] == 200:
                    break
            except OSError:
                pass
            assert server.poll() is None, "jupyter lab exited:\n" + log_path.read_text()[-3000:]
            assert time.monotonic() < deadline, "jupyter lab did not answer:\n" + log_path.read_text()[-3000:]
            time.sleep(0.3)
        yield {"base": base, "port": port, "token": token, "tmp": tmp}
        try:
            _get(f"{base}/api/shutdown?token={token}", method="POST", data=b"")
            server.wait(timeout=20)
        except (OSError, subprocess.TimeoutExpired):
            pass
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
        log.close()


def test_make_lab_serves_a_workbook_whose_kernel_imports_the_phase_packages(lab):
    base, token = lab["base"], lab["token"]
    status, page = _get(f"{base}/lab?token={token}")
    assert status == 200 and b"JupyterLab" in page
    phase = WORKBOOK_PHASES[0]
    status, body = _get(f"{base}/api/contents/{phase.path}/workbook.ipynb?content=1&token={token}")
    notebook = json.loads(body)
    assert status == 200 and notebook["type"] == "notebook"
    ids = [c["metadata"].get("nbgrader", {}).get("grade_id") for c in notebook["content"]["cells"]]
    assert "setup" in ids and "modules" in ids
    status, body = _get(f"{base}/api/sessions?token={token}", method="POST", data=json.dumps(
        {"path": f"{phase.path}/workbook.ipynb", "type": "notebook", "kernel": {"name": "python3"}}).encode())
    kernel = json.loads(body)["kernel"]["id"]
    code = ("import os, phase0_math, grader.learner.workbook; "
            "print(os.getcwd()); print(phase0_math.__file__); print(grader.learner.workbook.__file__)")
    printed = asyncio.run(_execute(f"ws://127.0.0.1:{lab['port']}/api/kernels/{kernel}/channels?token={token}", code))
    lines = printed.split("\n")
    assert len(lines) >= 3, printed
    assert Path(lines[0]) == REPO / phase.path
    assert Path(lines[1]).resolve() == REPO / "phase0_math" / "__init__.py"
    assert Path(lines[2]).resolve() == REPO / "grader" / "learner" / "workbook.py"
