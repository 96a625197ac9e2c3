"""Hostile and broken submissions: each earns exactly its honest part, says why, and ends cleanly.

Attacks are laid over the generated stubs (an honest stub earns 0, so any point would be stolen)
or over the reference (the attack must not cost the honest code its points). The attacks on the
course's secrets run in every isolation mode this machine has (bubblewrap, an unprivileged uid,
none): in each, no hidden-test text, reference text or course path may reach the feedback.
"""

import os
import subprocess
import time

import pytest

from grader.engine import isolation
from grader.engine.phases import REPO, SOLUTIONS
from grader.selftest.helpers import copy_solutions, grade, phase_result, write_stubs

SOFTMAX = "phase0_math/softmax.py"

ON_STUBS = {
    "endless_loop_at_import": "while True:\n    pass\n",
    "memory_bomb": "blob = bytearray(50 * 2**30)\n",
    "bounded_fork_bomb": (
        "import os\nfor _ in range(4):\n    if os.fork() == 0:\n"
        "        os.execv('/bin/sleep', ['sleep', '31337'])\n"
    ),
    "sys_exit_at_import": "import sys\nsys.exit(0)\n",
    "writes_a_huge_file": "open('huge.bin', 'wb').write(b'0' * (200 * 2**20))\n",
    "opens_a_network_connection": (
        "import socket\n"
        "try:\n    socket.create_connection(('pypi.org', 443), timeout=2).close()\n    REACHED = True\n"
        "except OSError:\n    REACHED = False\n"
        "def softmax(x, axis=-1):\n    if REACHED:\n        raise RuntimeError('the sandbox let me reach the network')\n"
        "    raise NotImplementedError('not started: softmax')\n"
    ),
    "os_exit_at_import": "import os\nos._exit(0)\n",
    "patches_numpy_and_pytest": (
        "import numpy, numpy.testing\n"
        "numpy.allclose = lambda *a, **k: True\nnumpy.array_equal = lambda *a, **k: True\n"
        "numpy.testing.assert_allclose = lambda *a, **k: None\n"
        "try:\n    import _pytest.reports\n    _pytest.reports.TestReport.passed = property(lambda self: True)\n"
        "except Exception:\n    pass\n"
        "def softmax(x, axis=-1):\n    return x\n"
    ),
    "module_getattr_answers_every_name": (
        "import numpy as np\n"
        "def __getattr__(name):\n    return lambda *a, **k: (a[0] if a else np.zeros(1))\n"
    ),
    "reads_the_reference_from_disk": (
        f"exec(open({str(REPO / 'solutions' / SOFTMAX)!r}).read())\n"
    ),
    "imports_the_reference_package": (
        "import sys\n"
        f"sys.path.insert(0, {str(REPO / 'solutions')!r})\n"
        "from solutions.phase0_math.softmax import *  # noqa\n"
    ),
    "reads_the_hidden_tests": (
        f"SOURCE = open({str(REPO / 'phase0_math/tests/hidden/test_softmax.py')!r}).read()\n"
        "def softmax(x, axis=-1):\n    return SOURCE\n"
    ),
    "writes_a_fake_results_file_and_prints_passed": (
        "import json, os\n"
        "for path in ('results.json', '/tmp/results.json', os.path.expanduser('~/results.json')):\n"
        "    try:\n        open(path, 'w').write(json.dumps({'score': 999}))\n    except OSError:\n        pass\n"
        "print('53 passed in 0.1s')\n"
    ),
    "ndarray_subclass_that_lies": (
        "import numpy as np\n"
        "class Liar(np.ndarray):\n"
        "    def __eq__(self, other):\n        return np.ones(np.shape(other), bool)\n"
        "    def __array_finalize__(self, obj):\n        pass\n"
        "def softmax(x, axis=-1):\n    return np.zeros(np.shape(x)).view(Liar)\n"
        "log_softmax = softmax\n"
        "def softmax_backward(dout, probs, axis=-1):\n    return np.zeros(np.shape(dout)).view(Liar)\n"
    ),
    "nan_outputs": (
        "import numpy as np\n"
        "def softmax(x, axis=-1):\n    return np.full(np.shape(x), np.nan)\n"
        "log_softmax = softmax\n"
        "def softmax_backward(dout, probs, axis=-1):\n    return np.full(np.shape(dout), np.nan)\n"
    ),
}


HIDDEN_SOFTMAX = REPO / "phase0_math/tests/hidden/test_softmax.py"
SECRET_FILES = (HIDDEN_SOFTMAX, SOLUTIONS / SOFTMAX)

ON_SECRETS = {
    "raises_with_a_hidden_test_file": (
        f"def softmax(x, axis=-1):\n    raise RuntimeError(open({str(HIDDEN_SOFTMAX)!r}).read())\n"
    ),
    "raises_with_the_reference_file": (
        f"def softmax(x, axis=-1):\n    raise ValueError(open({str(SOLUTIONS / SOFTMAX)!r}).read())\n"
    ),
    "raises_with_a_listing_of_the_course": (
        "import os\n"
        f"def softmax(x, axis=-1):\n    raise RuntimeError(repr(sorted(os.walk({str(REPO)!r}))[:50]))\n"
    ),
    "walks_up_from_its_own_folder": (
        "import os\nfound = []\nhere = os.path.dirname(os.path.abspath(__file__))\n"
        "for _ in range(8):\n    here = os.path.dirname(here)\n"
        "    for name in ('solutions', 'grader'):\n"
        "        if os.path.isdir(os.path.join(here, name)):\n            found.append(os.path.join(here, name))\n"
        "def softmax(x, axis=-1):\n    raise RuntimeError('found ' + repr(found))\n"
    ),
    "reads_the_hidden_tests": ON_STUBS["reads_the_hidden_tests"],
    "reads_the_reference_from_disk": ON_STUBS["reads_the_reference_from_disk"],
    "imports_the_reference_package": ON_STUBS["imports_the_reference_package"],
}
# Proof that the isolation itself (not only the feedback filter) holds: softmax says what it could read.
CAN_READ = (
    f"SECRETS = {[str(f) for f in SECRET_FILES]!r}\n"
    "def softmax(x, axis=-1):\n"
    "    for path in SECRETS:\n"
    "        try:\n            open(path).close()\n        except OSError:\n            continue\n"
    "        raise RuntimeError('the sandbox let me read a course secret')\n"
    "    raise NotImplementedError('not started: softmax')\n"
)


def available_modes() -> list[str]:
    modes = ["bwrap"] if isolation.bubblewrap_binary() else []
    return modes + (["user"] if os.geteuid() == 0 else []) + ["none"]


def _secret_lines() -> set[str]:
    public = {line.strip() for f in (REPO / "phase0_math").glob("*.py") for line in f.read_text().splitlines()}
    return {line.strip() for f in SECRET_FILES for line in f.read_text().splitlines()
            if len(line.strip()) >= 24 and line.strip() not in public}


def assert_no_secret_in(result: dict) -> None:
    lines = _secret_lines()
    for phase in result["phases"]:
        for test in phase["tests"]:
            message = test["message"]
            assert str(REPO) not in message and "solutions/" not in message, (test["id"], message[:300])
            assert not [line for line in lines if line in message], (test["id"], message[:300])


@pytest.mark.parametrize("mode", available_modes())
@pytest.mark.parametrize("name", sorted(ON_SECRETS))
def test_no_attack_gets_a_secret_into_the_feedback(name, mode, tmp_path, monkeypatch):
    monkeypatch.setenv("GRADER_SANDBOX", mode)
    target = write_stubs(tmp_path / "target")
    (target / SOFTMAX).write_text(ON_SECRETS[name])
    result = grade(target, phases=["phase0_math"], timeout=3)
    assert result["isolation"]["mode"] == mode
    assert (result["isolation"]["warning"] is not None) == (mode == "none")
    if mode != "none":  # with limits alone the code can run the reference it reads: the warning says so
        assert phase_result(result, "phase0_math")["score"] == 0
    assert_no_secret_in(result)


@pytest.mark.parametrize("mode", [m for m in available_modes() if m != "none"])
def test_an_isolated_worker_cannot_open_the_secrets(mode, tmp_path, monkeypatch):
    monkeypatch.setenv("GRADER_SANDBOX", mode)
    target = write_stubs(tmp_path / "target")
    (target / SOFTMAX).write_text(CAN_READ)
    phase = phase_result(grade(target, phases=["phase0_math"], timeout=3), "phase0_math")
    messages = [t["message"] for t in phase["tests"] if t["id"].startswith("test_softmax.py")]
    assert messages and not any("read a course secret" in m for m in messages), messages


@pytest.mark.parametrize("mode", available_modes())
@pytest.mark.parametrize("name", ["endless_loop_at_import", "memory_bomb_that_fills_its_limit"])
def test_a_module_that_breaks_at_import_is_tried_once(name, mode, tmp_path, monkeypatch):
    # every later test that needs it fails at once with the first failure's message
    monkeypatch.setenv("GRADER_SANDBOX", mode)
    target = write_stubs(tmp_path / "target")
    attack = {"endless_loop_at_import": ON_STUBS["endless_loop_at_import"],
              "memory_bomb_that_fills_its_limit": "kept = []\nwhile True:\n    kept.append(bytearray(2**26))\n"}
    (target / SOFTMAX).write_text(attack[name])
    started = time.monotonic()
    phase = phase_result(grade(target, phases=["phase0_math"], timeout=3), "phase0_math")
    elapsed = time.monotonic() - started
    assert phase["score"] == 0
    broken = [t["message"] for t in phase["tests"] if t["id"].startswith("test_softmax.py")]
    assert broken and len(set(broken)) == 1, set(broken)
    assert elapsed < 45, f"{name} took {elapsed:.0f} s to grade"


def _leftover_sleepers() -> list[str]:
    found = subprocess.run(["pgrep", "-f", "sleep 31337"], capture_output=True, text=True)
    return found.stdout.split()


@pytest.mark.parametrize("name", sorted(ON_STUBS))
def test_an_attack_on_the_stubs_earns_nothing(name, tmp_path):
    target = write_stubs(tmp_path / "target")
    # the attack replaces softmax.py and also rides on the import of every other module
    (target / SOFTMAX).write_text(ON_STUBS[name])
    started = time.monotonic()
    phase = phase_result(grade(target, phases=["phase0_math"], timeout=3), "phase0_math")
    elapsed = time.monotonic() - started
    assert phase["score"] == 0, [t["id"] for t in phase["tests"] if t["passed"]]
    assert all(t["message"] for t in phase["tests"])
    assert not any("reach the network" in t["message"] for t in phase["tests"]), "the sandbox has network"
    assert elapsed < 120
    assert not _leftover_sleepers(), "a process started by the submission outlived its grading"


def test_an_output_flood_does_not_cost_honest_code_its_points(tmp_path):
    target = copy_solutions(tmp_path / "target")
    path = target / SOFTMAX
    flood = "import sys\nfor _ in range(200):\n    print('x' * 100_000)\n    sys.stderr.write('y' * 100_000)\n"
    path.write_text(path.read_text().replace("\n\ndef softmax(", "\n" + flood + "\n\ndef softmax(", 1))
    phase = phase_result(grade(target, phases=["phase0_math"]), "phase0_math")
    assert phase["complete"] and phase["score"] == phase["max_score"]


def test_a_wrong_signature_costs_only_the_calls_it_breaks(tmp_path):
    target = copy_solutions(tmp_path / "target")
    path = target / SOFTMAX
    text = path.read_text().replace("def softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:",
                                    "def softmax(x: np.ndarray) -> np.ndarray:\n    axis = -1")
    path.write_text(text)
    phase = phase_result(grade(target, phases=["phase0_math"]), "phase0_math")
    failed = [t for t in phase["tests"] if not t["passed"]]
    assert 0 < phase["score"] < phase["max_score"]
    assert any("axis" in t["message"] and "TypeError" in t["message"] for t in failed)
