"""How a worker is kept away from everything but its target: the three isolation modes.

``GRADER_SANDBOX`` chooses (``auto`` when unset):

- ``bwrap``: bubblewrap gives the worker its own mount, PID, network and IPC namespaces; it sees
  the read-only system, the Python installation, a read-only copy of the target and an empty
  ``/tmp``, nothing else, and has no network.
- ``user``: where namespaces are refused (Docker's default seccomp profile, Gradescope) and the
  grader runs as root, the worker drops root for a dedicated unprivileged uid (``setgroups``,
  ``setgid``, ``setuid`` in the child, as Gradescope advises for student code). The repository
  (hidden tests, ``solutions/``, the grader, ``.git``) is made unreadable to other users, and the
  worker gets private, root-owned, read-only copies of what it needs: the target, its own three
  files and the Python runtime (hard links when possible). It keeps the network.
- ``none``: resource limits and a process group only. Chosen explicitly, or by ``auto`` for a
  learner's own ``make grade`` on a machine that can do neither of the above; the grade result
  then carries a warning. A class (``require=True``) never falls back to it silently.

``auto`` takes the first of bwrap, user (root only) and none that works here.
"""

from __future__ import annotations

import functools
import hashlib
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

from grader.engine.phases import PHASES, REPO, SOLUTIONS

MODES = ("bwrap", "user", "none")
SANDBOX_TARGET = "/sandbox/target"
SANDBOX_GRADER = "/sandbox/grader"
DEFAULT_UID = 64_711  # GRADER_SANDBOX_UID overrides; also used as the group id
NPROC_LIMIT = 512  # processes per uid in user mode (counts every worker of that uid)


class IsolationError(ValueError):
    """The isolation asked for (or required for a class) is not available on this machine (a
    ValueError, so ``python -m grader grade`` reports it in one line and exits 2)."""


def requested() -> str:
    value = os.environ.get("GRADER_SANDBOX", "auto").strip().lower() or "auto"
    if value not in (*MODES, "auto"):
        raise IsolationError(f"GRADER_SANDBOX must be one of auto, bwrap, user, none; received {value!r}")
    return value


def sandbox_uid() -> int:
    value = os.environ.get("GRADER_SANDBOX_UID", str(DEFAULT_UID))
    if not value.isdigit() or int(value) == 0:
        raise IsolationError(f"GRADER_SANDBOX_UID must be a positive integer uid; received {value!r}")
    return int(value)


@functools.lru_cache(maxsize=1)
def bubblewrap_binary() -> str | None:
    """The bwrap binary when it can create namespaces here, else None."""
    path = shutil.which("bwrap")
    if path is None:
        return None
    probe = subprocess.run([path, "--ro-bind", "/", "/", "--unshare-all", "--die-with-parent", "true"],
                           capture_output=True, timeout=30)
    return path if probe.returncode == 0 else None


@functools.lru_cache(maxsize=4)
def _mode(wanted: str, require: bool) -> str:
    if wanted == "none":
        return "none"
    if wanted in ("bwrap", "auto") and bubblewrap_binary():
        return "bwrap"
    if wanted == "bwrap":
        raise IsolationError("GRADER_SANDBOX=bwrap but bubblewrap is missing or cannot create namespaces here")
    if os.geteuid() == 0:
        return "user"
    if wanted == "user":
        raise IsolationError("GRADER_SANDBOX=user needs the grader to run as root (it drops to a dedicated uid)")
    if require:
        raise IsolationError(
            "cannot isolate student code here: bubblewrap cannot create namespaces and the grader is not "
            "root (so it cannot run the code as an unprivileged uid); grade as root, or set "
            "GRADER_SANDBOX=none to grade with resource limits alone"
        )
    return "none"


def mode(require: bool = False) -> str:
    """The mode workers use here: "bwrap", "user" or "none" (see the module docstring).

    ``require`` (class grading) refuses to fall back to "none" unless GRADER_SANDBOX=none says so.
    """
    return _mode(requested(), require)


def summary(require: bool = False) -> dict[str, str | None]:
    """The grade result's ``isolation`` field: ``{"mode", "detail", "warning"}`` (warning None when isolated)."""
    chosen = mode(require)
    detail = {
        "bwrap": "bubblewrap: own mount/PID/network namespaces, read-only target copy, resource limits",
        "user": f"unprivileged uid {sandbox_uid()}: repository unreadable to it, private target copy, "
                "resource limits (network not blocked)",
        "none": "resource limits and a process group only",
    }[chosen]
    warning = None
    if chosen == "none":
        why = "GRADER_SANDBOX=none" if requested() == "none" else "no bubblewrap and not root"
        warning = (f"the student code was not isolated ({why}): it could read what the grader can read "
                   "and use the network")
    return {"mode": chosen, "detail": detail, "warning": warning}


# -- bubblewrap -------------------------------------------------------------------------------


def bwrap_command(bwrap: str, target_dir: Path, worker_files: dict[str, Path]) -> list[str]:
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
    for name, path in worker_files.items():
        command += ["--ro-bind", str(path), f"{SANDBOX_GRADER}/{name}"]
    command += ["--chdir", SANDBOX_TARGET, "--"]
    executable = str(venv / "bin" / "python") if venv != base else sys.executable
    return command + [executable, "-I", f"{SANDBOX_GRADER}/worker.py", SANDBOX_TARGET]


# -- an unprivileged uid ----------------------------------------------------------------------


def drop_root(uid: int) -> None:
    """In the child, before exec: no supplementary groups, the uid's own group, then the uid."""
    import resource

    resource.setrlimit(resource.RLIMIT_NPROC, (NPROC_LIMIT, NPROC_LIMIT))
    os.setgroups([])
    os.setgid(uid)
    os.setuid(uid)
    if os.getuid() != uid or os.geteuid() != uid or os.getegid() != uid:
        os._exit(112)


def _protected() -> list[Path]:
    """What the uid must not read: the repository (hidden tests, solutions/, grader/, .git)."""
    secrets = [REPO, SOLUTIONS, REPO / "grader"] + [REPO / p.path / "tests" / "hidden" for p in PHASES]
    return [p for p in dict.fromkeys(secrets) if p.exists()]


def lock_repository() -> None:
    """Remove other users' access to the repository and to the folders of secrets in it."""
    for path in _protected():
        current = path.stat().st_mode & 0o7777
        if current & 0o007:
            os.chmod(path, current & ~0o007)


def _link_tree(source: Path, dest: Path, skip: tuple[str, ...] = ()) -> None:
    def link(src: str, dst: str) -> None:
        try:
            os.link(src, dst)
        except OSError:
            shutil.copy2(src, dst)

    shutil.copytree(source, dest, symlinks=True, copy_function=link,
                    ignore=lambda _dir, names: {n for n in names if n in skip or n.endswith(".pth")})


@functools.lru_cache(maxsize=1)
def runtime() -> tuple[str, str]:
    """(python, library folder) of a root-owned copy of this Python and its packages that any user can
    read; built once per machine in the temporary folder (hard links, so it costs little)."""
    executable = Path(os.path.realpath(sys.executable))
    base = Path(sys.base_prefix)
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    site = Path(sysconfig.get_paths()["purelib"])
    key = hashlib.sha256(f"{executable}|{stdlib}|{site}|{site.stat().st_mtime_ns}".encode()).hexdigest()[:16]
    final = Path(tempfile.gettempdir()) / f"grader-runtime-{key}"
    python = final / "bin" / executable.name
    if final.is_dir() and final.stat().st_uid == 0 and not final.stat().st_mode & 0o022 and python.exists():
        return str(python), str(final / "lib")
    build = Path(tempfile.mkdtemp(prefix="grader-runtime-build-"))
    os.chmod(build, 0o755)
    (build / "bin").mkdir()
    try:
        os.link(executable, build / "bin" / executable.name)
    except OSError:
        shutil.copy2(executable, build / "bin" / executable.name)
    (build / "lib").mkdir()
    for library in (base / "lib").glob("libpython*.so*"):
        shutil.copy2(library, build / "lib" / library.name, follow_symlinks=True)
    inner = build / "lib" / stdlib.name
    _link_tree(stdlib, inner, skip=("site-packages", "test", "idlelib", "tkinter", "ensurepip", "__pycache__"))
    _link_tree(site, inner / "site-packages", skip=("__pycache__",))
    try:
        os.rename(build, final)
    except OSError:  # another grader built it first (or a stale, untrusted folder has the name)
        if not (final.is_dir() and final.stat().st_uid == 0 and not final.stat().st_mode & 0o022):
            return str(build / "bin" / executable.name), str(build / "lib")
        shutil.rmtree(build, ignore_errors=True)
    return str(python), str(final / "lib")


@functools.lru_cache(maxsize=1)
def check_user_mode() -> None:
    """Lock the repository, then prove that the uid can run Python with numpy and cannot read a secret."""
    lock_repository()
    python, lib = runtime()
    secrets = [str(f) for p in _protected()[1:] for f in list(p.rglob("*.py"))[:1]]
    probe = (
        "import sys, numpy\n"
        "for path in sys.argv[1:]:\n"
        "    try:\n        open(path).close()\n    except PermissionError:\n        continue\n"
        "    sys.exit('readable: ' + path)\n"
    )
    done = subprocess.run([python, "-I", "-c", probe, *secrets], capture_output=True, text=True, timeout=60,
                          cwd="/", env={"PATH": "/usr/bin:/bin", "LD_LIBRARY_PATH": lib},
                          preexec_fn=lambda: drop_root(sandbox_uid()))
    if done.returncode != 0:
        raise IsolationError(f"the unprivileged-uid sandbox does not hold here: {done.stderr.strip()[-500:]}")
