"""A broken target costs the points of what it breaks, with a clear message, and the run finishes."""

import shutil
import time

from grader.selftest.helpers import copy_solutions, grade, phase_result, write_stubs


def _grade_with(tmp_path, relative, text, timeout=None):
    target = copy_solutions(tmp_path / "target")
    (target / relative).write_text(text)
    started = time.monotonic()
    result = phase_result(grade(target, phases=["phase0_math"], timeout=timeout), "phase0_math")
    return result, time.monotonic() - started


def _messages(phase, prefix):
    return [t["message"] for t in phase["tests"] if t["id"].startswith(prefix) and not t["passed"]]


def _passed(phase, prefix):
    return all(t["passed"] for t in phase["tests"] if t["id"].startswith(prefix))


def test_a_syntax_error_costs_its_module_and_says_where(tmp_path):
    phase, _ = _grade_with(tmp_path, "phase0_math/softmax.py", "def softmax(x:\n    return x\n")
    messages = _messages(phase, "test_softmax.py")
    assert messages and all("SyntaxError" in m and "softmax.py" in m for m in messages), messages
    assert _passed(phase, "test_matmul.py") and _passed(phase, "test_linear_regression.py")


def test_an_endless_loop_times_out_once_and_the_run_finishes(tmp_path):
    # the reference stays intact except dot(), which now never returns
    target = copy_solutions(tmp_path / "target")
    path = target / "phase0_math/matmul.py"
    path.write_text(path.read_text().replace('    a = as_float_array(a, "a")\n    b = as_float_array(b, "b")\n    ### BEGIN SOLUTION\n    if a.ndim != 1',
                                             '    while True:\n        pass\n    ### BEGIN SOLUTION\n    if a.ndim != 1', 1))
    started = time.monotonic()
    phase = phase_result(grade(target, phases=["phase0_math"], timeout=2), "phase0_math")
    elapsed = time.monotonic() - started
    messages = _messages(phase, "test_matmul.py::test_dot")
    assert len(messages) == 2 and all("did not finish" in m for m in messages), messages
    assert elapsed < 30
    assert _passed(phase, "test_matmul.py::test_matmul") and _passed(phase, "test_softmax.py")


def test_sys_exit_at_import_costs_that_module_only(tmp_path):
    phase, _ = _grade_with(tmp_path, "phase0_math/linear_regression.py", "import sys\nsys.exit(0)\n")
    messages = _messages(phase, "test_linear_regression.py")
    assert messages and all("sys.exit(0)" in m for m in messages), messages
    assert _passed(phase, "test_softmax.py") and _passed(phase, "test_loss.py")


def test_os_exit_inside_a_function_is_reported_and_the_worker_restarts(tmp_path):
    target = copy_solutions(tmp_path / "target")
    path = target / "phase0_math/softmax.py"
    path.write_text(path.read_text().replace("def log_softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:\n",
                                             "def log_softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:\n    import os; os._exit(0)\n", 1))
    phase = phase_result(grade(target, phases=["phase0_math"]), "phase0_math")
    messages = _messages(phase, "test_softmax.py::test_log_softmax")
    assert messages and all("ended its own process" in m for m in messages), messages
    assert _passed(phase, "test_softmax.py::test_softmax_rows") and _passed(phase, "test_matmul.py")


def test_a_missing_module_is_named_and_nothing_is_imported_from_elsewhere(tmp_path):
    target = copy_solutions(tmp_path / "target")
    (target / "phase0_math/gradcheck.py").unlink()
    phase = phase_result(grade(target, phases=["phase0_math"]), "phase0_math")
    messages = _messages(phase, "test_gradcheck.py")
    assert messages and all("phase0_math.gradcheck" in m for m in messages), messages


def test_an_empty_target_scores_zero_without_crashing(tmp_path):
    (tmp_path / "empty").mkdir()
    result = grade(tmp_path / "empty")
    assert result["score"] == 0 and result["max_score"] > 0


def test_decoupled_grading_uses_the_reference_of_earlier_phases(tmp_path):
    # phase 2 right, phase 0 left as stubs: phase 2 loses points, unless graded decoupled
    target = write_stubs(tmp_path / "target")
    solution = copy_solutions(tmp_path / "solutions")
    shutil.rmtree(target / "phase2_attention")
    shutil.copytree(solution / "phase2_attention", target / "phase2_attention")
    coupled = phase_result(grade(target, phases=["phase2_attention"]), "phase2_attention")
    assert coupled["score"] < coupled["max_score"]
    decoupled = phase_result(grade(target, phases=["phase2_attention"], decoupled=True), "phase2_attention")
    assert decoupled["complete"], [t["message"] for t in decoupled["tests"] if not t["passed"]]


def test_a_module_whose_import_failed_is_not_imported_again(tmp_path):
    # the import counts its attempts in the worker's builtins: every test must see the first attempt
    attempt = ("import builtins\nbuiltins.attempts = getattr(builtins, 'attempts', 0) + 1\n"
               "raise RuntimeError(f'broken on purpose, attempt {builtins.attempts}')\n")
    phase, _ = _grade_with(tmp_path, "phase0_math/softmax.py", attempt)
    messages = _messages(phase, "test_softmax.py")
    assert len(messages) > 1 and all("broken on purpose, attempt 1" in m for m in messages), set(messages)
    assert len(set(messages)) == 1
