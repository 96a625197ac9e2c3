"""The pytest plugin behind every course test (loaded by pyproject.toml's ``-p grader.engine.pytest_plugin``).

- Chooses the backend: in-process imports (a student's ``make check``) or, with ``--target DIR``,
  sandboxed workers over a copy of that target (the grader).
- Gives the fixtures ``rng`` (seeded from ``--grade-seed`` and the test's name) and ``gradcheck``
  (the grader's own finite differences, recorded for the report).
- Turns every failure into one short message (not started, wrong shape, wrong values, timed out
  ...), shown instead of a traceback and kept in :data:`RESULTS` for the grader.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import traceback
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pytest

from grader.engine import numeric, target as targets
from grader.engine.phases import PHASES, REPO, SOLUTIONS, phase_of_path
from grader.engine.sandbox import RemoteModule, SandboxError, Worker
from grader.engine.testing import _BACKEND_KEY, expect_array, fmt_pair


@dataclass
class TestRecord:
    nodeid: str
    phase: str | None
    points: float
    passed: bool = True
    message: str = ""
    exercise: str | None = None
    gradcheck: str | None = None  # the check's name when the test is a gradient check
    rel_error: float | None = None
    threshold: float = numeric.THRESHOLD


RESULTS: dict[str, TestRecord] = {}


# -- backends -------------------------------------------------------------------------------------


class LocalBackend:
    """``make check``: the student's own modules, imported here."""

    def load(self, name: str, timeout: float | None) -> Any:
        import importlib

        return importlib.import_module(name)

    def reference(self, name: str) -> Any:
        raise RuntimeError("hidden tests run through the grader: python -m grader grade")

    def close(self) -> None:
        pass


class SandboxBackend:
    """The grader: one worker per phase over a private copy of the target."""

    def __init__(self, target: Path, solutions: Path, call_timeout: float, decoupled: bool = False):
        self.call_timeout = call_timeout
        self.target, self.decoupled = target, decoupled
        self.workdir = Path(tempfile.mkdtemp(prefix="grader-target-"))
        self.workers: dict[str, Worker] = {}
        self.solutions = solutions.resolve()
        # The trusted reference is imported here, in the parent, from solutions/ only, and before
        # collection: pytest imports each phase package's __init__ while collecting its tests, and
        # must find the reference in sys.modules rather than run the working copy's file here.
        for root in dict.fromkeys(str((self.solutions / p.path).parent) for p in PHASES):
            sys.path.insert(0, root)
        for phase in PHASES:
            for name in [m for m in sys.modules if m == phase.name or m.startswith(phase.name + ".")]:
                del sys.modules[name]
            if (self.solutions / phase.path / "__init__.py").exists():
                self.reference(phase.name)

    def _copy_for(self, phase: str) -> Path:
        """The target copy a phase's worker sees: shared, or (decoupled) with the reference of the
        phases before it."""
        if not self.decoupled:
            copy = self.workdir / "all"
            if not copy.exists():
                copy.mkdir()
                targets.prepare(self.target, copy)
            return copy
        names = [p.name for p in PHASES]
        before = frozenset(names[: names.index(phase)]) if phase in names else frozenset()
        copy = self.workdir / phase
        copy.mkdir()
        targets.prepare(self.target, copy, reference_for=before, solutions=self.solutions)
        return copy

    def load(self, name: str, timeout: float | None) -> Any:
        phase = name.split(".")[0]
        if phase not in self.workers:
            self.workers[phase] = Worker(self._copy_for(phase), call_timeout=self.call_timeout)
        return RemoteModule(self.workers[phase], name, timeout)

    def reference(self, name: str) -> Any:
        import importlib

        module = importlib.import_module(name)
        if not Path(module.__file__).resolve().is_relative_to(self.solutions):
            raise RuntimeError(f"reference {name} resolved to {module.__file__}, not under {self.solutions}")
        return module

    def close(self) -> None:
        for worker in self.workers.values():
            worker.close()
        shutil.rmtree(self.workdir, ignore_errors=True)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("grader")
    group.addoption("--target", default=None, help="grade this target in a sandbox (a directory of phase packages)")
    group.addoption("--solutions", default=str(SOLUTIONS), help="where the trusted reference lives")
    group.addoption("--grade-seed", type=int, default=0, help="seed of the random test inputs")
    group.addoption("--call-timeout", type=float, default=10.0, help="wall-clock seconds allowed per call")
    group.addoption("--decoupled", action="store_true",
                    help="grade each phase against the reference of the phases before it")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "points(n): what the test is worth (default 1)")
    config.addinivalue_line("markers", "gradcheck(name): the test is a gradient check named name")
    config.addinivalue_line("markers", "exercise(name): the exercise the test belongs to")
    target = config.getoption("--target")
    if target:
        backend: Any = SandboxBackend(
            targets.resolve(target), Path(config.getoption("--solutions")), config.getoption("--call-timeout"),
            config.getoption("--decoupled"),
        )
    else:
        backend = LocalBackend()
    setattr(config, _BACKEND_KEY, backend)
    RESULTS.clear()


def pytest_unconfigure(config: pytest.Config) -> None:
    backend = getattr(config, _BACKEND_KEY, None)
    if backend is not None:
        backend.close()


# -- fixtures -------------------------------------------------------------------------------------


@pytest.fixture
def rng(request: pytest.FixtureRequest) -> np.random.Generator:
    """A generator seeded by --grade-seed and the test's name: same seed, same inputs."""
    seed = request.config.getoption("--grade-seed")
    return np.random.default_rng([seed, zlib.crc32(request.node.name.encode())])


class GradientCheck:
    """Compares an analytic gradient with the grader's central differences and records the result."""

    def __init__(self, node: pytest.Item):
        self.node = node
        self.worst: float | None = None

    def __call__(
        self,
        label: str,
        analytic: Any,
        f: Callable[[np.ndarray], Any],
        x: np.ndarray,
        dout: np.ndarray | None = None,
        threshold: float = numeric.THRESHOLD,
    ) -> float:
        """Check ``analytic`` against d/dx of f(x) (a scalar) or of sum(f(x) * dout).

        ``f`` must be trusted (the reference): it runs here, in the grader's process.
        """
        analytic = expect_array(analytic, label, shape=np.shape(x))
        if dout is None:
            numerical = numeric.numerical_gradient(f, x)
        else:
            numerical = numeric.numerical_vjp(f, x, dout)
        error = numeric.relative_error(analytic, numerical)
        self.worst = error if self.worst is None else max(self.worst, error)
        if not error <= threshold:
            index = np.unravel_index(int(np.argmax(np.abs(analytic - numerical))), np.shape(x))
            where = tuple(int(i) for i in index)
            raise AssertionError(
                f"{label}: gradient check failed, relative error {error:.2e} "
                f"({numeric.band(error)}; pass mark {threshold:.0e}); worst entry {where}: "
                "yours {}, finite differences {}".format(*fmt_pair(analytic[index], numerical[index]))
            )
        return error


@pytest.fixture
def gradcheck(request: pytest.FixtureRequest) -> GradientCheck:
    check = GradientCheck(request.node)
    request.node.stash[_CHECK_KEY] = check
    return check


_CHECK_KEY = pytest.StashKey[GradientCheck]()


# -- failures that teach --------------------------------------------------------------------------


def given_helper(path: Path) -> bool:
    """A module given to the learner (nothing to write in it: its docstring says so, as
    ``arrays.py``'s does): a failure inside it is shown at the learner's line that called it."""
    try:
        with open(path, encoding="utf-8") as handle:
            head = handle.read(400)
    except OSError:
        return False
    return "nothing to write" in " ".join(head.split())


def learner_frame(frames: list[tuple[str, int]]) -> str | None:
    """Of a failure's frames inside the course's packages ([(shown path, line)], outermost first),
    the one to show: the innermost in the learner's own code, else the innermost of all."""
    if not frames:
        return None
    own = [f for f in frames if not given_helper(REPO / f[0])]
    path, line = (own or frames)[-1]
    return f"{path}:{line}"


def _course_location(tb: Any) -> str | None:
    """file:line of the innermost traceback frame in the learner's code (not a test file, not a
    given helper such as arrays.py: :func:`learner_frame`)."""
    frames = []
    for frame in traceback.extract_tb(tb):
        path = Path(frame.filename)
        if phase_of_path(path) is not None and "tests" not in path.parts:
            try:
                shown = path.resolve().relative_to(REPO)
            except ValueError:
                shown = path
            frames.append((str(shown), frame.lineno or 0))
    return learner_frame(frames)


def describe_failure(exc: BaseException) -> str:
    """One or a few lines a student can act on; never the test's source."""
    frames = getattr(exc, "frames", None)  # from the sandbox's worker: [(path, line)], outermost first
    where = (learner_frame([tuple(f) for f in frames]) if frames else getattr(exc, "where", None)) \
        or _course_location(exc.__traceback__)
    at = f" ({where})" if where else ""
    message = str(exc).strip()
    if isinstance(exc, NotImplementedError):
        if message.startswith("not started"):
            return f"{message}{at}"
        return f"NotImplementedError: {message}{at}"
    if isinstance(exc, AssertionError):
        return message or "a check failed"
    if isinstance(exc, SandboxError):
        return f"could not run the code: {message}"
    if isinstance(exc, (ModuleNotFoundError,)):
        return f"missing module: {message}"
    if isinstance(exc, SyntaxError):
        return f"the module does not import: SyntaxError: {message}{at}"
    name = getattr(exc, "remote_type", type(exc).__name__)
    return f"{name}: {message}{at}"


def _points(item: pytest.Item) -> float:
    marker = item.get_closest_marker("points")
    return float(marker.args[0]) if marker else 1.0


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Any:
    outcome = yield
    report = outcome.get_result()
    record = RESULTS.get(item.nodeid)
    if record is None:
        phase = phase_of_path(item.path)
        marker = item.get_closest_marker("gradcheck")
        exercise = item.get_closest_marker("exercise")
        record = TestRecord(
            exercise=exercise.args[0] if exercise and exercise.args else None,
            nodeid=item.nodeid,
            phase=phase.name if phase else None,
            points=_points(item),
            gradcheck=(marker.args[0] if marker and marker.args else item.name) if marker else None,
        )
        RESULTS[item.nodeid] = record
    if report.failed or report.skipped:
        record.passed = False
        if call.excinfo is not None and not record.message:
            if report.skipped:
                record.message = "skipped: a skipped check counts as failed"
            else:
                record.message = describe_failure(call.excinfo.value)
                report.longrepr = record.message
    check = item.stash.get(_CHECK_KEY, None)
    if check is not None:
        record.rel_error = check.worst
