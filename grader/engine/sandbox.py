"""Run a target's code in a separate, limited process and call it through proxies.

The trusted side (pytest and the hidden tests) holds a :class:`RemoteModule`; each call on it
becomes a request to a worker process (``grader/engine/worker.py``) that has the target, and nothing
else of the course, on its import path. The worker runs in its own process group with limits on
memory, CPU time, file size and core dumps, in a clean environment; a call that exceeds its
wall-clock timeout gets the whole group killed. A dead worker is restarted for the next call,
so one crash costs the calls it broke and nothing else.

Where bubblewrap (``bwrap``, Debian package ``bubblewrap``) works, the worker also runs in its own
mount, PID, network and IPC namespaces: it sees the system's read-only ``/usr``, the Python
installation, a read-only copy of the target and an empty ``/tmp``, and nothing else (not the
repository, not ``solutions/``, not the hidden tests); it has no network; and every process it
starts dies with it. ``GRADER_SANDBOX=none`` turns that off, ``GRADER_SANDBOX=bwrap`` requires it.
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
import threading
import time
from pathlib import Path
from typing import Any

from grader.engine import protocol

WORKER_SCRIPT = Path(__file__).with_name("worker.py")
WORKER_FILES = ("worker.py", "protocol.py", "callbacks.py")
SANDBOX_TARGET = "/sandbox/target"
SANDBOX_GRADER = "/sandbox/grader"


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
    base = getattr(builtins, error.get("base", "Exception"), Exception)
    if not (isinstance(base, type) and issubclass(base, Exception)):
        base = SandboxError
    name = str(error.get("type", "Exception"))
    key = (name, base.__name__)
    if key not in _remote_classes:
        _remote_classes[key] = base if base.__name__ == name else type(name, (base,), {"__module__": "target"})
    exc = _remote_classes[key](error.get("message", ""))
    exc.where = error.get("where")  # type: ignore[attr-defined]
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


@functools.lru_cache(maxsize=1)
def bubblewrap() -> str | None:
    """The bwrap binary when namespaces work here and GRADER_SANDBOX allows it, else None."""
    mode = os.environ.get("GRADER_SANDBOX", "auto")
    path = shutil.which("bwrap")
    if mode == "none":
        return None
    if path is not None:
        probe = subprocess.run([path, "--ro-bind", "/", "/", "--unshare-all", "--die-with-parent", "true"],
                               capture_output=True, timeout=30)
        if probe.returncode == 0:
            return path
    if mode == "bwrap":
        raise SandboxError("GRADER_SANDBOX=bwrap but bubblewrap is missing or cannot create namespaces here")
    return None


def isolation() -> str:
    """One line for reports: how student code is isolated on this machine."""
    if bubblewrap():
        return "bubblewrap: own mount/PID/network namespaces, read-only target copy, rlimits"
    return "rlimits and a process group only (install bubblewrap for namespaces and no network)"


def _bwrap_command(bwrap: str, target_dir: Path) -> list[str]:
    venv, base = Path(sys.prefix), Path(sys.base_prefix)
    command = [
        bwrap, "--unshare-all", "--die-with-parent", "--new-session",
        "--ro-bind", "/usr", "/usr", "--symlink", "usr/bin", "/bin", "--symlink", "usr/lib", "/lib",
        "--symlink", "usr/lib64", "/lib64", "--symlink", "usr/sbin", "/sbin",
        "--ro-bind-try", "/etc/ld.so.cache", "/etc/ld.so.cache",
        "--ro-bind-try", "/etc/alternatives", "/etc/alternatives",
        "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp",
        "--ro-bind", str(base), str(base),
    ]
    if venv != base:
        command += ["--ro-bind", str(venv), str(venv)]
    command += ["--ro-bind", str(target_dir), SANDBOX_TARGET]
    for name in WORKER_FILES:
        command += ["--ro-bind", str(WORKER_SCRIPT.with_name(name)), f"{SANDBOX_GRADER}/{name}"]
    command += ["--chdir", SANDBOX_TARGET, "--"]
    executable = str(venv / "bin" / "python") if venv != base else sys.executable
    return command + [executable, "-I", f"{SANDBOX_GRADER}/worker.py", SANDBOX_TARGET]


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
        self.bwrap = bubblewrap()
        # where the worker sees the target: imported files must lie under it
        self.visible_target = Path(SANDBOX_TARGET) if self.bwrap else self.target_dir
        self.call_timeout = call_timeout
        self.memory_mb = memory_mb
        self.cpu_seconds = cpu_seconds
        self.file_mb = file_mb
        self.budget_left = budget_seconds
        self.proc: subprocess.Popen | None = None
        self.stderr_tail: collections.deque[bytes] = collections.deque(maxlen=64)
        # A module whose import hung or killed the worker fails at once afterwards, and so does a
        # function that hung: an endless loop costs one timeout, not one per test.
        self.broken: dict[str, str] = {}

    # -- process management -------------------------------------------------------------------

    def _start(self) -> None:
        if self.bwrap:
            command = _bwrap_command(self.bwrap, self.target_dir)
            home = "/tmp"
        else:
            command = [sys.executable, "-I", str(WORKER_SCRIPT), str(self.target_dir)]
            home = str(self.target_dir)
        self.proc = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=self.target_dir,
            env=clean_environment(home),
            start_new_session=True,
            preexec_fn=lambda: _limit_resources(self.memory_mb, self.cpu_seconds, self.file_mb),
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

    def request(self, message: dict, key: str, timeout: float | None = None) -> Any:
        """Send one request; return its value or raise the student's exception or a SandboxError."""
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
        try:
            self.proc.stdin.write(protocol.pack(message))
            self.proc.stdin.flush()
            header = self._read_exactly(protocol.header_size(), deadline)
            size = protocol.body_size(header)
            if size > protocol.MAX_MESSAGE_BYTES:
                raise WorkerDied("message too large")
            reply = protocol.unpack(self._read_exactly(size, deadline))
        except CallTimeout:
            self.close()
            self.broken[key] = f"did not finish within {limit:.0f} s (an endless loop?)"
            raise CallTimeout(self.broken[key]) from None
        except (WorkerDied, BrokenPipeError, OSError, ValueError):
            why = self._death_message()
            self.close()
            if message["op"] == "import":
                self.broken[key] = why
            raise WorkerDied(why) from None
        finally:
            self.budget_left -= time.monotonic() - started
        if not isinstance(reply, dict) or "ok" not in reply:
            raise SandboxError("the worker sent back something that is not a reply")
        if reply["ok"]:
            return reply["value"]
        raise remote_exception(reply["error"])


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
