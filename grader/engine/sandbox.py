"""Run a target's code in a separate, limited process and call it through proxies.

The trusted side (pytest and the hidden tests) holds a :class:`RemoteModule`; each call on it
becomes a request to a worker process (``grader/engine/worker.py``) that has the target, and nothing
else of the course, on its import path. The worker runs in its own process group with limits on
memory, CPU time, file size and core dumps, in a clean environment; a call that exceeds its
wall-clock timeout gets the whole group killed. A dead worker is restarted for the next call,
so one crash costs the calls it broke and nothing else.

What the worker can see depends on the isolation mode (:mod:`grader.engine.isolation`, and
docs/isolation.md): bubblewrap namespaces, an unprivileged uid with the repository unreadable to
it, or (only when asked for) limits alone.

A module whose import raised, hung or killed the worker is remembered in :data:`FAILED_IMPORTS`
and never imported again in the same run: every test that needs it fails at once with the first
failure's message.
"""

from __future__ import annotations

import builtins
import collections
import functools
import os
import shutil
import select
import signal
import subprocess
import sys
import tempfile
import threading
import time
import weakref
from pathlib import Path
from typing import Any

from grader.engine import isolation as isolation_modes, protocol

WORKER_SCRIPT = Path(__file__).with_name("worker.py")
WORKER_FILES = ("worker.py", "protocol.py", "callbacks.py", "allocator.py")
SANDBOX_TARGET = isolation_modes.SANDBOX_TARGET


class SandboxError(Exception):
    """The target could not be run: it timed out, crashed, exited or sent back garbage."""


class CallTimeout(SandboxError):
    pass


class WorkerDied(SandboxError):
    pass


class OutsideTarget(SandboxError):
    pass


_remote_classes: dict[tuple[str, str], type] = {}


def remote_exception(error: dict) -> BaseException:
    """Rebuild a student's exception in the parent as a class with the same name and builtin base.

    ``pytest.raises(ValueError)`` then works whether the code ran here or in the worker. Exits
    (SystemExit, KeyboardInterrupt) are never re-raised as such: they become a SandboxError.
    """
    if error.get("sandbox"):  # an import that hung or killed the worker earlier in this run
        return SandboxError(str(error.get("message", "")))
    base = getattr(builtins, error.get("base", "Exception"), Exception)
    if not (isinstance(base, type) and issubclass(base, Exception)):
        base = SandboxError
    name = str(error.get("type", "Exception"))
    key = (name, base.__name__)
    if key not in _remote_classes:
        _remote_classes[key] = base if base.__name__ == name else type(name, (base,), {"__module__": "target"})
    exc = _remote_classes[key](error.get("message", ""))
    exc.where = error.get("where")  # type: ignore[attr-defined]
    exc.frames = error.get("frames") or []  # type: ignore[attr-defined]  # [[path, line]], outermost first
    exc.remote_type = name  # type: ignore[attr-defined]
    return exc


def _limit_resources(memory_mb: int, cpu_seconds: int, file_mb: int) -> None:
    import resource

    limits = {
        resource.RLIMIT_AS: memory_mb * 2**20,
        resource.RLIMIT_CPU: cpu_seconds,
        resource.RLIMIT_FSIZE: file_mb * 2**20,
        resource.RLIMIT_CORE: 0,
    }
    for kind, value in limits.items():
        resource.setrlimit(kind, (value, value))


def isolation() -> str:
    """One line for reports: how student code is isolated on this machine."""
    info = isolation_modes.summary()
    return f"{info['mode']}: {info['detail']}" + (f" (warning: {info['warning']})" if info["warning"] else "")


def clean_environment(home: str) -> dict[str, str]:
    return {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": home,
        "LANG": "C.UTF-8",
        "PYTHONHASHSEED": "0",
        "PYTHONDONTWRITEBYTECODE": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "MPLBACKEND": "Agg",
    }


def _stage_for_uid(target_dir: Path) -> Path:
    """A root-owned folder the unprivileged uid can enter but not list or change: a read-only copy of
    the target and of the worker's own files, and a home of its own (user mode)."""
    isolation_modes.check_user_mode()
    staging = Path(tempfile.mkdtemp(prefix="grader-uid-"))
    os.chmod(staging, 0o711)
    shutil.copytree(target_dir, staging / "target", symlinks=False)
    (staging / "grader").mkdir()
    for name in WORKER_FILES:
        shutil.copyfile(WORKER_SCRIPT.with_name(name), staging / "grader" / name)
    for root, dirs, files in os.walk(staging):
        for name in dirs:
            os.chmod(os.path.join(root, name), 0o755)
        for name in files:
            os.chmod(os.path.join(root, name), 0o644)
    os.chmod(staging, 0o711)
    home = staging / "home"
    home.mkdir(mode=0o700)
    os.chown(home, isolation_modes.sandbox_uid(), isolation_modes.sandbox_uid())
    return staging


# Imports that failed in this grading run, per target copy: {target dir: {module: error}}. Every
# worker over that copy (one per phase) refuses them at once with the first failure's message.
FAILED_IMPORTS: dict[str, dict[str, dict]] = collections.defaultdict(dict)


def _sandbox_failure(why: str) -> dict:
    return {"type": "SandboxError", "base": "Exception", "message": why, "where": None, "sandbox": True}


class Worker:
    """One sandboxed process holding one target; restarted after a crash or a timeout."""

    def __init__(
        self,
        target_dir: str | Path,
        call_timeout: float = 10.0,
        memory_mb: int = 2048,
        cpu_seconds: int = 300,
        file_mb: int = 16,
        budget_seconds: float = 240.0,
    ):
        self.target_dir = Path(target_dir).resolve()
        try:
            self.mode = isolation_modes.mode()
        except isolation_modes.IsolationError as error:
            raise SandboxError(str(error)) from None
        self.staging: Path | None = None
        if self.mode == "user":
            self.staging = _stage_for_uid(self.target_dir)
            weakref.finalize(self, shutil.rmtree, self.staging, True)
        # where the worker sees the target: imported files must lie under it
        self.visible_target = {"bwrap": Path(SANDBOX_TARGET), "user": (self.staging or Path()) / "target",
                               "none": self.target_dir}[self.mode]
        self.call_timeout = call_timeout
        self.memory_mb = memory_mb
        self.cpu_seconds = cpu_seconds
        self.file_mb = file_mb
        self.budget_left = budget_seconds
        self.proc: subprocess.Popen | None = None
        self.stderr_tail: collections.deque[bytes] = collections.deque(maxlen=64)
        # A function that hung fails at once afterwards: an endless loop costs one timeout, not one
        # per test. Modules whose import failed, hung or died are in FAILED_IMPORTS, shared.
        self.broken: dict[str, str] = {}
        self.failed_imports = FAILED_IMPORTS[str(self.target_dir)]

    # -- process management -------------------------------------------------------------------

    def _start(self) -> None:
        env = clean_environment(str(self.target_dir))
        limits = functools.partial(_limit_resources, self.memory_mb, self.cpu_seconds, self.file_mb)
        if self.mode == "bwrap":
            files = {name: WORKER_SCRIPT.with_name(name) for name in WORKER_FILES}
            command = isolation_modes.bwrap_command(isolation_modes.bubblewrap_binary() or "bwrap",
                                                    self.target_dir, files)
            env["HOME"] = "/tmp"
        elif self.mode == "user":
            assert self.staging is not None
            python, lib = isolation_modes.runtime()
            command = [python, "-I", str(self.staging / "grader" / "worker.py"), str(self.visible_target)]
            env.update(HOME=str(self.staging / "home"), LD_LIBRARY_PATH=lib)
            uid, limit_only = isolation_modes.sandbox_uid(), limits
            limits = lambda: (limit_only(), isolation_modes.drop_root(uid))  # noqa: E731
        else:
            command = [sys.executable, "-I", str(WORKER_SCRIPT), str(self.target_dir)]
        self.proc = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=self.visible_target if self.mode == "user" else self.target_dir,
            env=env,
            start_new_session=True,
            preexec_fn=limits,
        )
        threading.Thread(target=self._drain_stderr, args=(self.proc,), daemon=True).start()

    def _drain_stderr(self, proc: subprocess.Popen) -> None:
        assert proc.stderr is not None
        for chunk in iter(lambda: proc.stderr.read1(4096), b""):  # type: ignore[union-attr]
            self.stderr_tail.append(chunk)

    def close(self) -> None:
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self.proc.wait()
        for stream in (self.proc.stdin, self.proc.stdout):
            try:
                stream.close()  # type: ignore[union-attr]
            except OSError:
                pass
        self.proc = None

    # -- requests ----------------------------------------------------------------------------

    def _read_exactly(self, size: int, deadline: float) -> bytes:
        assert self.proc is not None and self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        chunks, got = [], 0
        while got < size:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise CallTimeout("timeout")
            ready, _, _ = select.select([fd], [], [], remaining)
            if not ready:
                continue
            chunk = os.read(fd, min(size - got, 1 << 20))
            if not chunk:
                raise WorkerDied("eof")
            chunks.append(chunk)
            got += len(chunk)
        return b"".join(chunks)

    def _death_message(self) -> str:
        assert self.proc is not None
        try:
            code = self.proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            return "the code stopped answering"
        if code < 0:
            name = signal.Signals(-code).name
            reason = {
                "SIGXCPU": "it used up its CPU-time limit",
                "SIGXFSZ": "it wrote more than the file-size limit",
                "SIGKILL": "it was killed (out of memory?)",
                "SIGSEGV": "it crashed (segmentation fault)",
            }.get(name, "it was killed")
            return f"the code's process died with {name}: {reason}"
        return f"the code ended its own process (exit status {code}, os._exit or similar)"

    def _read_message(self, deadline: float) -> Any:
        header = self._read_exactly(protocol.header_size(), deadline)
        size = protocol.body_size(header)
        if size > protocol.MAX_MESSAGE_BYTES:
            raise WorkerDied("message too large")
        return protocol.unpack(self._read_exactly(size, deadline))

    def request(self, message: dict, key: str, timeout: float | None = None) -> Any:
        """Send one request; return its value or raise the student's exception or a SandboxError.

        On the way the worker reports each target module it starts and finishes importing; a module
        whose import raised, hung or killed the worker is remembered in ``failed_imports`` and never
        imported again in this run (here or in the worker, which gets the list with each request).
        """
        failed = self.failed_imports
        if message["op"] == "import" and message["module"] in failed:
            raise remote_exception(failed[message["module"]])
        if key in self.broken:
            raise SandboxError(self.broken[key])
        if self.budget_left <= 0:
            raise CallTimeout("the phase used up its time budget; later calls are not run")
        if self.proc is None or self.proc.poll() is not None:
            self.close()
            self._start()
        assert self.proc is not None and self.proc.stdin is not None
        limit = min(timeout or self.call_timeout, self.budget_left)
        started = time.monotonic()
        deadline = started + limit
        importing: list[str] = []  # target modules whose import has begun and not yet ended
        try:
            self.proc.stdin.write(protocol.pack({**message, "failed": failed}))
            self.proc.stdin.flush()
            reply = self._read_message(deadline)
            while isinstance(reply, dict) and ("importing" in reply or "imported" in reply):
                if "importing" in reply:
                    importing.append(str(reply["importing"]))
                else:
                    name = str(reply["imported"])
                    importing = importing[: importing.index(name)] if name in importing else importing
                    if isinstance(reply.get("error"), dict):
                        failed.setdefault(name, reply["error"])
                reply = self._read_message(deadline)
        except CallTimeout:
            self.close()
            self.broken[key] = f"did not finish within {limit:.0f} s (an endless loop?)"
            self._remember_failed_import(message, importing, self.broken[key])
            raise CallTimeout(self.broken[key]) from None
        except (WorkerDied, BrokenPipeError, OSError, ValueError):
            why = self._death_message()
            self.close()
            if message["op"] == "import" or importing:
                self._remember_failed_import(message, importing, why)
            raise WorkerDied(why) from None
        finally:
            self.budget_left -= time.monotonic() - started
        if not isinstance(reply, dict) or "ok" not in reply:
            raise SandboxError("the worker sent back something that is not a reply")
        if reply["ok"]:
            return reply["value"]
        raise remote_exception(reply["error"])

    def _remember_failed_import(self, message: dict, importing: list[str], why: str) -> None:
        """The innermost module being imported when the worker hung or died is the culprit."""
        culprit = importing[-1] if importing else (message["module"] if message["op"] == "import" else None)
        if culprit is not None:
            self.failed_imports.setdefault(culprit, _sandbox_failure(why))


class RemoteFunction:
    """Calls ``module.name`` in the worker; arguments and results cross as plain data."""

    def __init__(self, worker: Worker, module: str, name: str, timeout: float | None):
        self._worker, self._module, self.__name__ = worker, module, name
        self._timeout = timeout

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        request = {"op": "call", "module": self._module, "name": self.__name__, "args": list(args), "kwargs": kwargs}
        return self._worker.request(request, f"{self._module}.{self.__name__}", self._timeout)

    def map(self, calls: list[tuple[tuple, dict]]) -> list[Any]:
        """Many calls in one round trip (finite differences need hundreds of forward passes)."""
        request = {
            "op": "map", "module": self._module, "name": self.__name__,
            "calls": [[list(a), k] for a, k in calls],
        }
        return self._worker.request(request, f"{self._module}.{self.__name__}", self._timeout)

    def outcomes(self, calls: list[tuple[tuple, dict]]) -> list[dict]:
        """Many calls in one round trip, each answered ``{"ok": True, "value": ...}`` or
        ``{"ok": False, "error": {"type", "base", "message", "where"}}`` (differential tests)."""
        request = {
            "op": "outcomes", "module": self._module, "name": self.__name__,
            "calls": [[list(a), k] for a, k in calls],
        }
        return self._worker.request(request, f"{self._module}.{self.__name__}", self._timeout)


class RemoteModule:
    """Stands in for a target's module; attribute access gives :class:`RemoteFunction` objects."""

    def __init__(self, worker: Worker, name: str, timeout: float | None = None):
        self.__name__ = name
        self._worker, self._timeout = worker, timeout
        info = worker.request({"op": "import", "module": name}, name)
        self.__file__ = info["file"]
        target = str(worker.visible_target) + os.sep
        if not str(self.__file__).startswith(target):
            raise OutsideTarget(f"{name} was imported from {self.__file__}, outside the target {target}")

    def __getattr__(self, name: str) -> RemoteFunction:
        if name.startswith("__"):
            raise AttributeError(name)
        return RemoteFunction(self._worker, self.__name__, name, self._timeout)
