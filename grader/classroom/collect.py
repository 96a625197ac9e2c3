"""Collection: from a folder of submissions to one clean target per student, or a clear error.

A class folder holds one entry per student: a folder, a ``.zip`` or a ``.tar.gz`` (``.tgz``).
Anything else is *skipped* with its reason. A student's id comes from the entry's name, reduced
to letters, digits, ``_`` and ``-`` (so no id can name a path outside the output folder); two
entries giving one id (``Alice Smith/`` and ``Alice_Smith/``, ``zed.zip`` and ``zed/``) are both
an error, never merged.

Inside an entry the course packages are found wherever they are: at any depth, next to a
``__MACOSX`` folder, flat (``language_models/`` as nbgrader collects it, not
``extensions/language_models/``), or as loose module files whose names belong to one package
only. Junk (``.venv``, ``.git``, caches, site-packages, hidden folders) is never read; only the
packages' ``.py`` files are kept, and the size cap applies to what is kept. A module a package
lacks is taken from the course's stubs (it grades as not started).

    collected = assemble(entry, workdir)   # -> Collected(target, found, notes, error)
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tarfile
import zipfile
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path, PurePosixPath

from grader.engine.phases import PHASES, REPO, SOLUTIONS, WORKBOOK_SOURCE

MAX_KEPT_BYTES = 50 * 2**20  # the course code a student hands in is a few hundred KB
MAX_MEMBERS = 20000
ARCHIVES = (".zip", ".tar.gz", ".tgz")
_JUNK_DIRS = {"__MACOSX", "__pycache__", "node_modules", "site-packages", "venv", "env", "tests", "build", "dist"}


@dataclass
class Entry:
    """One student's entry in a class folder."""

    student: str
    path: Path
    error: str = ""


@dataclass
class Collected:
    """What a submission holds: ``target`` (a folder laid out like the course), the packages
    found, notes on how they were found, or an error saying what was there instead."""

    target: Path | None
    found: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    error: str = ""


@cache
def modules_of(name: str) -> frozenset[str]:
    """The module file names of a course package (``softmax.py`` ...), from its stubs or reference."""
    phase = next(p for p in PHASES if p.name == name)
    for root in (REPO, SOLUTIONS):
        files = {p.name for p in (root / phase.path).glob("*.py") if p.name != WORKBOOK_SOURCE}
        if files:
            return frozenset(files)
    return frozenset()


def archive_kind(path: Path) -> str:
    name = path.name.lower()
    return next((s for s in ARCHIVES if name.endswith(s)), "")


def student_id(path: Path) -> str:
    """The id an entry gives: its name without the archive suffix, reduced to [A-Za-z0-9_-]."""
    stem = path.name[: -len(archive_kind(path))] if archive_kind(path) else path.name
    cleaned = re.sub(r"[^A-Za-z0-9_-]+", "_", stem).strip("_")
    return cleaned or "unnamed-" + hashlib.sha256(path.name.encode()).hexdigest()[:8]


def find_entries(folder: Path) -> tuple[list[Entry], list[tuple[str, str]]]:
    """The students' entries of a class folder (sorted by id) and the skipped names with why."""
    entries: list[Entry] = []
    skipped: list[tuple[str, str]] = []
    for path in sorted(folder.iterdir()):
        if (path.name.startswith(".") and not (path.is_file() and archive_kind(path))) or path.name == "__MACOSX":
            skipped.append((path.name, "hidden or system entry"))
        elif path.is_symlink():
            skipped.append((path.name, "a symbolic link"))
        elif path.is_dir() or (path.is_file() and archive_kind(path)):
            entries.append(Entry(student_id(path), path))
        else:
            skipped.append((path.name, "not a folder, .zip or .tar.gz"))
    claims: dict[str, list[Entry]] = {}
    for entry in entries:
        claims.setdefault(entry.student.casefold(), []).append(entry)
    for same in claims.values():
        if len(same) > 1:
            names = ", ".join(repr(e.path.name) for e in same)
            for entry in same:
                entry.error = f"student id {entry.student!r} is claimed by {len(same)} entries ({names}); rename them"
    return sorted(entries, key=lambda e: (e.student, e.path.name)), skipped


def _junk(part: str) -> bool:
    return part.startswith(".") or part in _JUNK_DIRS


def _kept(name: str) -> bool:
    """A member worth extracting: a .py file outside every junk folder."""
    parts = PurePosixPath(name).parts
    return name.endswith(".py") and not any(_junk(p) for p in parts[:-1]) and ".." not in parts


def _check_size(total: int, what: str) -> None:
    if total > MAX_KEPT_BYTES:
        raise ValueError(f"{what}: its Python files come to more than {MAX_KEPT_BYTES // 2**20} MB")


def unpack(archive: Path, dest: Path) -> list[str]:
    """Extract the course-code candidates of an archive into ``dest`` (no absolute paths, no
    '..', no links, bounded size); return every member name, for the error message."""
    names, total = [], 0
    if archive_kind(archive) == ".zip":
        with zipfile.ZipFile(archive) as zf:
            infos = zf.infolist()[:MAX_MEMBERS]
            for info in infos:
                names.append(info.filename)
                if (info.external_attr >> 16) & 0o170000 == 0o120000 or info.is_dir():
                    continue
                if _kept(info.filename) and not PurePosixPath(info.filename).is_absolute():
                    total += info.file_size
                    _check_size(total, archive.name)
                    zf.extract(info, dest)
        return names
    with tarfile.open(archive, "r:*") as tf:
        for member in tf:
            names.append(member.name)
            if len(names) > MAX_MEMBERS:
                break
            if member.isfile() and _kept(member.name) and not PurePosixPath(member.name).is_absolute():
                total += member.size
                _check_size(total, archive.name)
                tf.extract(member, dest, filter="data")
    return names


def _walk(root: Path) -> list[tuple[Path, list[str]]]:
    """(folder, its .py files) for every folder under root, junk folders pruned, shallowest first."""
    found = []
    for here, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not _junk(d) and not os.path.islink(os.path.join(here, d))
                         and not os.path.isfile(os.path.join(here, d, "pyvenv.cfg")))
        found.append((Path(here), sorted(f for f in files if f.endswith(".py") and f != WORKBOOK_SOURCE
                                         and not os.path.islink(os.path.join(here, f)))))
    return sorted(found, key=lambda item: (len(item[0].relative_to(root).parts), str(item[0])))


def locate(root: Path) -> tuple[dict[str, tuple[Path, list[str]]], list[str]]:
    """Course packages under ``root``: name -> (folder, module files to take), and notes."""
    walked = _walk(root)
    located: dict[str, tuple[Path, list[str]]] = {}
    notes: list[str] = []
    names = {p.name for p in PHASES}
    for folder, files in walked:
        if folder.name in names and files and folder != root:
            if folder.name in located:
                notes.append(f"{folder.name}: also found at {folder.relative_to(root)} (ignored; the shallower "
                             f"{located[folder.name][0].relative_to(root)} is graded)")
                continue
            located[folder.name] = (folder, files)
    inside = [f for f, _ in located.values()]
    for folder, files in walked:
        if any(folder.is_relative_to(f) for f in inside):
            continue
        known = {f for f in files if f in _all_modules()}
        if not known:
            continue
        owners = [n for n in sorted(names - set(located)) if known <= modules_of(n)]
        where = folder.relative_to(root) if folder != root else "the top folder"
        if len(owners) == 1:
            taken = [f for f in files if f in modules_of(owners[0])]
            located[owners[0]] = (folder, taken)
            notes.append(f"{owners[0]}: loose module files in {where} ({', '.join(taken)}) placed by their names")
        else:
            could = ", ".join(owners) if owners else "no single package"
            notes.append(f"loose files in {where} ({', '.join(sorted(known))}) could belong to {could}: "
                         "not graded (put them in their package folder)")
    return dict(sorted(located.items(), key=lambda kv: [p.name for p in PHASES].index(kv[0]))), notes


@cache
def _all_modules() -> frozenset[str]:
    return frozenset().union(*(modules_of(p.name) for p in PHASES)) - {"__init__.py"}


def describe(root: Path, names: list[str] | None = None) -> str:
    """What a submission holds, in one line (for a submission with no course package)."""
    if names is None:
        names = []
        for here, dirs, files in os.walk(root):
            dirs.sort()
            names += [str((Path(here) / f).relative_to(root)) for f in sorted(files)]
            if len(names) > 1000:
                break
    names = [n for n in names if not n.endswith("/")]
    if not names:
        return "nothing (the submission is empty)"
    shown = ", ".join(names[:8]) + (f" and {len(names) - 8} more" if len(names) > 8 else "")
    return f"{len(names)} file(s): {shown}"


def assemble(entry: Path, workdir: Path) -> Collected:
    """Find the course packages of a submission and copy their modules into ``workdir/target``
    laid out like the course (``extensions/<pkg>`` for an extension)."""
    names: list[str] | None = None
    try:
        if entry.is_dir():
            root = entry
        else:
            root = workdir / "unpacked"
            root.mkdir(parents=True)
            names = unpack(entry, root)
        located, notes = locate(root)
    except (ValueError, OSError, zipfile.BadZipFile, tarfile.TarError) as exc:
        return Collected(None, error=f"could not read {entry.name}: {type(exc).__name__}: {exc}")
    if not located:
        return Collected(None, notes=notes, error="no course package found (expected a folder such as "
                         f"phase0_math/ holding its modules); found {describe(root, names)}")
    target = workdir / "target"
    try:
        _copy(located, target, entry.name)
    except (ValueError, OSError) as exc:
        return Collected(None, notes=notes, error=f"{type(exc).__name__}: {exc}")
    return Collected(target, found=list(located), notes=notes)


def _copy(located: dict[str, tuple[Path, list[str]]], target: Path, what: str) -> None:
    total = 0
    for name, (folder, files) in located.items():
        phase = next(p for p in PHASES if p.name == name)
        dest = target / phase.path
        dest.mkdir(parents=True)
        for file in files:
            total += (folder / file).stat().st_size
            _check_size(total, what)
            shutil.copyfile(folder / file, dest / file)
        for stub in sorted((REPO / phase.path).glob("*.py")):  # a module left out is a module not started
            if stub.name != WORKBOOK_SOURCE and not (dest / stub.name).exists():
                shutil.copyfile(stub, dest / stub.name)
        if not (dest / "__init__.py").exists():
            (dest / "__init__.py").write_text("")


def digest(folder: Path | None) -> str:
    """A hash of every file under ``folder`` (names and bytes)."""
    sha = hashlib.sha256()
    if folder is not None:
        for file in sorted(p for p in folder.rglob("*") if p.is_file()):
            sha.update(str(file.relative_to(folder)).encode() + b"\0" + file.read_bytes() + b"\0")
    return sha.hexdigest()
