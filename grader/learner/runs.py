"""Running the public tests of one package: in this process, or in a child process with a cache.

- :func:`run_public_inprocess` runs them here through pytest and the engine's plugin, which turns
  each test into a record (its exercise marker, passed, a one-line message);
- :func:`run_package` runs them in a subprocess of their own (a crash, an endless loop or
  ``sys.exit`` in a student's module costs that package's answer, never the command) and caches
  the records in ``.grader/cache.json`` until a file of that package, of an earlier one or of
  the grader changes;
- :class:`MarkerFilter` and :class:`ReferenceFirst` are the pytest plugins of ``check EX=...``
  and ``check --decoupled``.

Imports: :mod:`grader.engine` and :mod:`grader.learner.store`.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

from grader.engine.phases import PHASES, REPO, SOLUTIONS, Phase, by_name
from grader.learner.store import CACHE_FILE, load_json, save_json

PACKAGE_TIMEOUT = 300.0  # seconds the public tests of one package may take in status / next / watch


class MarkerFilter:
    """A pytest plugin keeping only the tests marked with one of ``markers`` (``check EX=...``)."""

    def __init__(self, markers: Iterable[str]):
        self.markers = set(markers)

    def pytest_collection_modifyitems(self, config: Any, items: list) -> None:
        keep, drop = [], []
        for item in items:
            marker = item.get_closest_marker("exercise")
            (keep if marker and marker.args and marker.args[0] in self.markers else drop).append(item)
        if drop:
            config.hook.pytest_deselected(items=drop)
            items[:] = keep


class ReferenceFirst:
    """A pytest plugin for ``check --decoupled``: the reference of the phases before ``phase``
    comes first on the import path for this run, so their bugs (or stubs) do not block it."""

    def __init__(self, phase: Phase, solutions: Path = SOLUTIONS):
        names = [p.name for p in PHASES]
        self.dir = Path(tempfile.mkdtemp(prefix="grader-decoupled-"))
        self.names: list[str] = []
        for earlier in PHASES[: names.index(phase.name)]:
            source = solutions / earlier.path
            if source.is_dir():
                shutil.copytree(source, self.dir / earlier.name,
                                ignore=shutil.ignore_patterns("__pycache__", "tests", "*.ipynb"))
                self.names.append(earlier.name)

    def pytest_configure(self, config: Any) -> None:
        # after pytest's own `pythonpath` entries (the repository), so this copy wins
        for name in [m for m in sys.modules if m.split(".")[0] in self.names]:
            del sys.modules[name]
        sys.path.insert(0, str(self.dir))

    def pytest_unconfigure(self, config: Any) -> None:
        with contextlib.suppress(ValueError):
            sys.path.remove(str(self.dir))
        for name in [m for m in sys.modules if m.split(".")[0] in self.names]:
            del sys.modules[name]
        shutil.rmtree(self.dir, ignore_errors=True)


def as_record(record: Any) -> dict:
    """A test result of the engine's pytest plugin as a plain dict (what the cache keeps)."""
    name = record.nodeid.rsplit("::", 1)[-1]
    return {"nodeid": record.nodeid, "name": name, "exercise": record.exercise, "passed": bool(record.passed),
            "message": record.message or ("" if record.passed else "failed")}


def run_public_inprocess(phase: Phase, markers: Iterable[str] | None = None, plugins: Iterable[Any] = (),
                         pytest_args: Iterable[str] = ()) -> tuple[int, list[dict], str]:
    """Run the public tests of ``phase`` here; (pytest's exit code, records, pytest's output)."""
    import pytest

    from grader.engine import pytest_plugin

    if not any(phase.tests_dir.glob("test_*.py")):
        return 5, [], f"{phase.name} has no public tests yet"
    options = ["-p", "no:cacheprovider", f"--rootdir={REPO}", "-c", str(REPO / "pyproject.toml"),
               "-W", "ignore::pytest.PytestAssertRewriteWarning", "-q", "--tb=no", "--no-header"]
    chosen = list(plugins) + ([MarkerFilter(markers)] if markers else [])
    output = io.StringIO()
    with contextlib.redirect_stdout(output), contextlib.redirect_stderr(output):
        code = pytest.main([str(phase.tests_dir), f"--ignore={phase.hidden_dir}", *options, *pytest_args],
                           plugins=chosen)
    return int(code), [as_record(r) for r in pytest_plugin.RESULTS.values()], output.getvalue()


def child_main(argv: list[str]) -> int:
    """Entry point of the subprocess that runs one package's public tests (see :func:`run_package`)."""
    package, out, *markers = argv
    code, records, output = run_public_inprocess(by_name(package), markers or None)
    Path(out).write_text(json.dumps({"code": code, "records": records, "output": output[-4000:]}))
    return 0


@dataclass
class Run:
    """The public tests of one package: records, or why there are none."""

    records: list[dict] | None
    error: str = ""
    seconds: float = 0.0
    cached: bool = False


_CACHE_LOCK = threading.Lock()


def _fingerprint(phase: Phase) -> str:
    """Changes whenever a file of this package, of a package before it, or of the grader changes."""
    digest = hashlib.sha1()
    names = [p.name for p in PHASES]
    folders = [REPO / p.path for p in PHASES[: names.index(phase.name) + 1]] + [REPO / "grader"]
    for folder in folders:
        if not folder.is_dir():
            continue
        for path in sorted(folder.rglob("*.py")):
            if "__pycache__" in path.parts or "selftest" in path.parts:
                continue
            stat = path.stat()
            digest.update(f"{path.relative_to(REPO)}:{stat.st_mtime_ns}:{stat.st_size}\n".encode())
    return digest.hexdigest()


def _kill_group(process: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(Exception):
        process.wait(timeout=5)


def run_package(phase: Phase, markers: Iterable[str] | None = None, timeout: float = PACKAGE_TIMEOUT,
                use_cache: bool = True) -> Run:
    """The public tests of ``phase`` (only those of ``markers`` if given), in a subprocess."""
    markers = list(markers or [])
    key = _fingerprint(phase) if not markers else ""
    if use_cache and key:
        entry = load_json(CACHE_FILE).get(phase.name)
        if isinstance(entry, dict) and entry.get("key") == key and isinstance(entry.get("records"), list):
            return Run(entry["records"], cached=True)
    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="grader-public-") as tmp:
        out = Path(tmp) / "records.json"
        code = "import sys\nfrom grader.learner.runs import child_main\nraise SystemExit(child_main(sys.argv[1:]))"
        process = subprocess.Popen([sys.executable, "-c", code, phase.name, str(out), *markers], cwd=REPO,
                                   stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                   start_new_session=True)
        try:
            output, _ = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            return Run(None, f"the public tests of {phase.name} took longer than {timeout:g} s "
                             "(an endless loop?); run make check PHASE=" + phase.name, time.monotonic() - start)
        finally:
            if process.poll() is None:
                _kill_group(process)
        seconds = time.monotonic() - start
        if not out.exists():
            tail = output.decode(errors="replace").strip().splitlines()[-3:]
            why = f"exit code {process.returncode}" + (": " + " / ".join(tail) if tail else "")
            return Run(None, f"the public tests of {phase.name} stopped early ({why})", seconds)
        data = json.loads(out.read_text())
    if data["code"] not in (0, 1, 5):
        lines = [line for line in data["output"].splitlines() if line.strip()]
        return Run(None, f"pytest could not run the tests of {phase.name}: " + (lines[-1] if lines else ""), seconds)
    run = Run(data["records"], seconds=seconds)
    if key:
        with _CACHE_LOCK:  # status tests two packages at once: one read-modify-write at a time
            cache = load_json(CACHE_FILE)
            cache[phase.name] = {"key": key, "records": run.records}
            with contextlib.suppress(OSError):
                save_json(CACHE_FILE, cache)
    return run
