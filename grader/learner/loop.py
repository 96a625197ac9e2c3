"""The learner's side of the course: progress, the next step, hints, watch mode, reset, solutions.

Everything here reads one manifest, ``grader/exercises.toml``: every exercise in order, with its
file, functions, time budget, the README section to read and three levels of hints. The commands
(``python -m grader status | next | hint | watch | reset | solution | readmes``; Make targets of
the same names) answer "where am I, what now, and how do I get unstuck" from the public tests:

- An exercise is *not started* while every one of its functions still raises the stub's
  ``NotImplementedError("not started: ...")`` (read from the file, no test needed); *done* when
  every public test that belongs to it passes; *in progress* while its only failures are its own
  functions not started yet; *failing* otherwise.
- Public tests run in a subprocess per package (a crash, an endless loop or ``sys.exit`` in a
  student's module costs that package's answer, never the command), and results are cached in
  ``.grader/cache.json`` until a file of that package or of an earlier one changes.
- What the learner did (hint levels seen, when an exercise was first seen started and done,
  solutions viewed) is kept in ``.grader/progress.json``.
- A package counts as *complete* only when the grader says so (hidden tests and gradient checks:
  ``python -m grader grade``); ``status`` and ``watch`` say which of the two they report.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import ctypes
import ctypes.util
import hashlib
import io
import json
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import tomllib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, TextIO

from grader.engine import report
from grader.engine.phases import PHASES, REPO, SOLUTIONS, Phase, by_name

MANIFEST = REPO / "grader" / "exercises.toml"
STATE_DIR = REPO / ".grader"
PROGRESS_FILE = STATE_DIR / "progress.json"
CACHE_FILE = STATE_DIR / "cache.json"
BACKUPS = STATE_DIR / "backups"
WIDTH = 80
LEVELS = 3
PACKAGE_TIMEOUT = 300.0  # seconds the public tests of one package may take in status / next / watch
BEGIN_TABLE = "<!-- exercises:begin -->"
END_TABLE = "<!-- exercises:end -->"
_NOT_STARTED = re.compile(r"not started: (\w+)")


# -- the manifest ---------------------------------------------------------------------------------


class ManifestError(ValueError):
    pass


@dataclass(frozen=True)
class Exercise:
    package: str
    number: str
    name: str
    markers: tuple[str, ...]
    file: str
    functions: tuple[str, ...]
    detail: str
    difficulty: int
    minutes: int
    section: str
    hints: tuple[str, ...]

    @property
    def phase(self) -> Phase:
        return by_name(self.package)

    @property
    def key(self) -> str:
        return f"{self.package}:{self.name}"

    @property
    def path(self) -> Path:
        return REPO / self.phase.path / self.file

    @property
    def shown_path(self) -> str:
        return f"{self.phase.path}/{self.file}"

    @property
    def title(self) -> str:
        return f"{self.number} {self.name}"


_FIELDS = {"package": str, "number": str, "name": str, "file": str, "functions": list, "difficulty": int,
           "minutes": int, "section": str, "hints": list}


def load_manifest(path: Path = MANIFEST) -> list[Exercise]:
    """Every exercise of ``path`` in order; ManifestError names the entry that is malformed."""
    try:
        data = tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ManifestError(f"{path}: {exc}") from None
    exercises = []
    for i, entry in enumerate(data.get("exercise", [])):
        where = f"{path.name}, exercise {i + 1} ({entry.get('number', '?')} {entry.get('name', '?')})"
        for key, kind in _FIELDS.items():
            if not isinstance(entry.get(key), kind):
                raise ManifestError(f"{where}: '{key}' must be a {kind.__name__}")
        markers = entry.get("markers", [entry["name"]])
        if not isinstance(markers, list) or not markers or not all(isinstance(m, str) for m in markers):
            raise ManifestError(f"{where}: 'markers' must be a non-empty list of names")
        try:
            by_name(entry["package"])
        except ValueError as exc:
            raise ManifestError(f"{where}: {exc}") from None
        exercises.append(Exercise(
            package=entry["package"], number=entry["number"], name=entry["name"], markers=tuple(markers),
            file=entry["file"], functions=tuple(entry["functions"]), detail=entry.get("detail", ""),
            difficulty=entry["difficulty"], minutes=entry["minutes"], section=entry["section"],
            hints=tuple(h.strip() for h in entry["hints"]),
        ))
    return exercises


class Course:
    """The manifest's exercises, with lookups by package, number and name."""

    def __init__(self, exercises: list[Exercise]):
        self.exercises = exercises
        order = {p.name: i for i, p in enumerate(PHASES)}
        self.packages = sorted(dict.fromkeys(e.package for e in exercises), key=order.__getitem__)

    def of(self, package: str) -> list[Exercise]:
        return [e for e in self.exercises if e.package == package]

    def owner(self, message: str) -> Exercise | None:
        """The exercise whose function a "not started: f (path:line)" message names."""
        match = re.match(r"not started: (\w+)(?: \(([^:)]+))?", message or "")
        if not match:
            return None
        function, path = match.groups()
        candidates = [e for e in self.exercises if function in e.functions]
        if path:
            here = [e for e in candidates if path.startswith(e.phase.path + "/")]
            candidates = here or candidates
        return candidates[0] if candidates else None

    def ref(self, exercise: Exercise) -> str:
        """How to name the exercise on a command line: its name when unique, else its number."""
        same = [e for e in self.exercises if e.name == exercise.name]
        return exercise.name if len(same) == 1 else exercise.number

    def resolve(self, spec: str, package: str | None = None) -> Exercise:
        """An exercise from a number ("0.2"), a name ("softmax"), "package:name", or a test marker."""
        spec = spec.strip()
        pool = self.of(package) if package else self.exercises
        if ":" in spec or "/" in spec:
            package_part, name = re.split(r"[:/]", spec, maxsplit=1)
            pool = [e for e in self.exercises if e.package == package_part]
            spec = name
        for test in (lambda e: e.number.lower() == spec.lower(), lambda e: e.name == spec,
                     lambda e: spec in e.markers):
            found = [e for e in pool if test(e)]
            if len(found) == 1:
                return found[0]
            if len(found) > 1 and len({e.package for e in found}) == 1 and spec not in {e.name for e in found}:
                return found[0]  # a marker shared inside one package: its first exercise
            if len(found) > 1:
                choices = ", ".join(f"{e.number} ({e.package})" for e in found)
                raise LookupError(f"{spec!r} names several exercises: {choices}; give the number")
        raise LookupError(f"no exercise {spec!r}; make status lists them (numbers like 0.2, or names)")


def load_course() -> Course:
    return Course(load_manifest())


# -- the student's files, read without running them -----------------------------------------------


def _is_stub_raise(statement: ast.stmt) -> bool:
    if not isinstance(statement, ast.Raise) or not isinstance(statement.exc, ast.Call):
        return False
    call = statement.exc
    if not (isinstance(call.func, ast.Name) and call.func.id == "NotImplementedError") or not call.args:
        return False
    first = call.args[0]
    return isinstance(first, ast.Constant) and isinstance(first.value, str) and first.value.startswith("not started")


def stub_lines(path: Path) -> dict[str, int] | None:
    """{function: line of its stub raise} for every function of ``path`` still a stub; None when the
    file does not parse (or is missing)."""
    try:
        tree = ast.parse(path.read_text())
    except (OSError, SyntaxError, ValueError):
        return None
    found = {}
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for statement in node.body:
                if _is_stub_raise(statement):
                    found[node.name] = statement.lineno
                    break
    return found


def unwritten(exercise: Exercise) -> dict[str, int]:
    """The exercise's functions still stubs, with their lines (all of them when the file is missing)."""
    if not exercise.path.exists():
        return {f: 0 for f in exercise.functions}
    stubs = stub_lines(exercise.path)
    if stubs is None:  # a syntax error: the tests will say so
        return {}
    return {f: stubs[f] for f in exercise.functions if f in stubs}


def started(exercise: Exercise) -> bool:
    return len(unwritten(exercise)) < len(exercise.functions)


# -- running the public tests ---------------------------------------------------------------------


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


def _record(record: Any) -> dict:
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
    return int(code), [_record(r) for r in pytest_plugin.RESULTS.values()], output.getvalue()


def _child(argv: list[str]) -> int:
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


def _load_json(path: Path) -> dict:
    try:
        data = json.loads(path.read_text())
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def _save_json(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + f".{os.getpid()}.{threading.get_ident()}.tmp")
    temporary.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
    os.replace(temporary, path)


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
        entry = _load_json(CACHE_FILE).get(phase.name)
        if isinstance(entry, dict) and entry.get("key") == key and isinstance(entry.get("records"), list):
            return Run(entry["records"], cached=True)
    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="grader-public-") as tmp:
        out = Path(tmp) / "records.json"
        code = "import sys\nfrom grader.learner.loop import _child\nraise SystemExit(_child(sys.argv[1:]))"
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
            cache = _load_json(CACHE_FILE)
            cache[phase.name] = {"key": key, "records": run.records}
            with contextlib.suppress(OSError):
                _save_json(CACHE_FILE, cache)
    return run


# -- from test results to the state of each exercise -----------------------------------------------


@dataclass
class State:
    status: str  # done, failing, in progress, blocked, not started, written (no public tests), unknown
    passed: int = 0
    total: int = 0
    message: str = ""
    records: list[dict] = field(default_factory=list)
    waiting_for: str = ""  # blocked: the number of the exercise whose function is not started

    @property
    def finished(self) -> bool:
        """Done for the purpose of moving on (written counts: there is no public test to pass)."""
        return self.status in ("done", "written")

    @property
    def label(self) -> str:
        if self.status in ("failing", "in progress") and self.total:
            return f"{self.status} {self.passed}/{self.total}"
        if self.status == "written":
            return "written, no tests"
        if self.status == "blocked":
            return f"waits for {self.waiting_for}" if self.waiting_for else "blocked"
        if self.status == "unknown":
            return "could not run"
        return self.status


def _not_started_in(message: str, names: Iterable[str]) -> bool:
    match = _NOT_STARTED.match(message or "")
    return bool(match) and match.group(1) in set(names)


def _owners(test_name: str, candidates: list[Exercise]) -> list[Exercise]:
    """Which of the exercises sharing a marker a test belongs to: the one whose function the test's
    name spells out (the longest such name wins), else all of them."""
    best = {e.key: max((len(f) for f in e.functions if f in test_name), default=0) for e in candidates}
    top = max(best.values(), default=0)
    return [e for e in candidates if best[e.key] == top] if top else candidates


def tests_of(exercise: Exercise, package_exercises: list[Exercise], records: list[dict]) -> list[dict]:
    mine = []
    for record in records:
        if record.get("exercise") not in exercise.markers:
            continue
        sharing = [e for e in package_exercises if record["exercise"] in e.markers]
        if len(sharing) > 1 and exercise not in _owners(record["name"], sharing):
            continue
        mine.append(record)
    return mine


def evaluate(course: Course, package: str, records: list[dict] | None, error: str = "") -> dict[str, State]:
    """The state of every exercise of ``package`` from its public test records (None: not run)."""
    exercises = course.of(package)
    states = {}
    for i, exercise in enumerate(exercises):
        todo = unwritten(exercise)
        broken = [r for r in tests_of(exercise, exercises, records or [])
                  if r["message"].startswith("the module does not import")]
        if len(todo) == len(exercise.functions) and not broken:
            first = exercise.functions[0]
            line = todo.get(first, 0)
            where = f" ({exercise.shown_path}:{line})" if line else f" ({exercise.shown_path} is missing)"
            states[exercise.key] = State("not started", message=f"not started: {first}{where}")
            continue
        if records is None:
            states[exercise.key] = State("unknown", message=error)
            continue
        mine = tests_of(exercise, exercises, records)
        if not mine:
            states[exercise.key] = State("written")
            continue
        later = {f for e in exercises[i + 1:] if set(e.markers) & set(exercise.markers) for f in e.functions}
        blocking = [r for r in mine if not r["passed"] and not _not_started_in(r["message"], later)]
        blocking.sort(key=lambda r: r["message"].startswith("not started"))  # real mistakes first
        passed = sum(r["passed"] for r in mine)
        waiting = None
        if not blocking and passed:
            status = "done"
        elif all(_not_started_in(r["message"], exercise.functions) for r in blocking):
            status = "in progress"
        elif all(_NOT_STARTED.match(r["message"]) for r in blocking) and not any(
                _not_started_in(r["message"], exercise.functions) for r in blocking):
            status = "blocked"  # its own functions are written; another exercise's are not
            waiting = course.owner(blocking[0]["message"])
        else:
            status = "failing"
        shown = blocking or [r for r in mine if not r["passed"]]
        states[exercise.key] = State(status, passed, len(mine), shown[0]["message"] if shown else "", mine,
                                     waiting.number if waiting else "")
    return states


@dataclass
class PackageReport:
    phase: Phase
    states: dict[str, State]
    run: Run | None  # None when nothing was started (no test needed)
    present: bool = True


def package_report(course: Course, package: str, use_cache: bool = True,
                   timeout: float = PACKAGE_TIMEOUT) -> PackageReport:
    phase = by_name(package)
    if not (REPO / phase.path).is_dir():
        return PackageReport(phase, {e.key: State("not started", message=f"{phase.path}/ is not in this copy")
                                     for e in course.of(package)}, None, present=False)
    if not any(started(e) for e in course.of(package)):
        return PackageReport(phase, evaluate(course, package, None), None)
    run = run_package(phase, timeout=timeout, use_cache=use_cache)
    return PackageReport(phase, evaluate(course, package, run.records, run.error), run)


def course_report(course: Course, use_cache: bool = True, timeout: float = PACKAGE_TIMEOUT,
                  jobs: int = 2) -> dict[str, PackageReport]:
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = {p: pool.submit(package_report, course, p, use_cache, timeout) for p in course.packages}
        return {p: f.result() for p, f in futures.items()}


def find_current(course: Course, use_cache: bool = True,
                 timeout: float = PACKAGE_TIMEOUT) -> tuple[Exercise, State, PackageReport] | None:
    """The first exercise of the course not finished yet (running as few packages as it can)."""
    for package in course.packages:
        result = package_report(course, package, use_cache, timeout)
        if not result.present:
            continue
        for exercise in course.of(package):
            state = result.states[exercise.key]
            if not state.finished:
                return exercise, state, result
    return None


# -- what the learner did: .grader/progress.json --------------------------------------------------


class Progress:
    def __init__(self, path: Path = PROGRESS_FILE):
        self.path = path
        data = _load_json(path)
        self.data = {"version": 1, "hints": {}, "exercises": {}, "solutions": {}}
        for key in ("hints", "exercises", "solutions"):
            if isinstance(data.get(key), dict):
                self.data[key] = data[key]

    @property
    def hints(self) -> dict[str, int]:
        return self.data["hints"]

    def observe(self, course: Course, reports: dict[str, PackageReport]) -> None:
        """Remember when each exercise was first seen started, and first seen done."""
        now = time.strftime("%Y-%m-%dT%H:%M:%S")
        for result in reports.values():
            for key, state in result.states.items():
                entry = self.data["exercises"].setdefault(key, {})
                if state.status != "not started":
                    entry.setdefault("started", now)
                if state.status == "done":
                    entry.setdefault("done", now)
                if not entry:
                    del self.data["exercises"][key]

    def save(self) -> None:
        with contextlib.suppress(OSError):
            _save_json(self.path, self.data)


# -- output ---------------------------------------------------------------------------------------


class Out:
    """Writes lines of at most WIDTH columns, in colour only on a terminal that wants it."""

    def __init__(self, stream: TextIO | None = None):
        self.stream = stream or sys.stdout
        self.colour = report.use_colour(self.stream)

    def __call__(self, line: str = "", colour: str | None = None) -> None:
        try:
            self.stream.write((report._paint(line, colour, self.colour) if colour else line) + "\n")
        except BrokenPipeError:  # `make status | head`: stop quietly
            with contextlib.suppress(OSError):
                os.dup2(os.open(os.devnull, os.O_WRONLY), self.stream.fileno())
            raise SystemExit(0) from None

    def message(self, text: str, indent: int = 2, max_lines: int = 5) -> None:
        """A failure message: each of its lines wrapped on its own (got / expected stay apart)."""
        for line in report._wrap(text, indent, WIDTH, max_lines):
            self(line.rstrip())

    def paint(self, text: str, colour: str) -> str:
        return report._paint(text, colour, self.colour)

    def wrap(self, text: str, indent: int = 2, first: str | None = None, max_lines: int | None = None,
             colour: str | None = None) -> None:
        """Paragraphs of ``text`` reflowed to the width; lines indented by 4+ spaces kept (code)."""
        lines = render_text(text, WIDTH - indent)
        if max_lines is not None and len(lines) > max_lines:
            lines = lines[: max_lines - 1] + [fit(lines[max_lines - 1], WIDTH - indent - 4) + " ..."]
        for i, line in enumerate(lines):
            prefix = first if (i == 0 and first is not None) else " " * indent
            self((prefix + line).rstrip(), colour)

    def flush(self) -> None:
        self.stream.flush()


def fit(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(0, width - 3)] + "..."


def render_text(text: str, width: int) -> list[str]:
    out: list[str] = []
    paragraph: list[str] = []

    def flush_paragraph() -> None:
        if paragraph:
            out.extend(textwrap.wrap(" ".join(paragraph), width, break_on_hyphens=False) or [""])
            paragraph.clear()

    for raw in text.splitlines():
        if not raw.strip():
            flush_paragraph()
            if out and out[-1] != "":
                out.append("")
        elif raw.startswith("    ") or raw.startswith("\t"):
            flush_paragraph()
            out.append(fit(raw.rstrip(), width))
        else:
            paragraph.append(raw.strip())
    flush_paragraph()
    while out and out[-1] == "":
        out.pop()
    return out


def duration(minutes: int) -> str:
    hours, rest = divmod(int(minutes), 60)
    if not hours:
        return f"{rest} min"
    return f"{hours} h" + (f" {rest:02d} min" if rest else "")


_TINTS = {"done": "green", "failing": "red", "in progress": "yellow", "not started": "dim", "written": "green",
          "unknown": "red", "blocked": "yellow"}


def _section(exercise: Exercise) -> str:
    readme = exercise.phase.readme
    return f'{readme}, "{exercise.section}"' if exercise.section else readme


# -- status ---------------------------------------------------------------------------------------


def cmd_status(args: argparse.Namespace) -> int:
    out = Out()
    course = load_course()
    started_at = time.monotonic()
    reports = course_report(course, use_cache=not args.fresh, timeout=args.timeout, jobs=args.jobs)
    seconds = time.monotonic() - started_at
    progress = Progress()
    progress.observe(course, reports)
    progress.save()
    current = next(((e, reports[e.package].states[e.key]) for e in course.exercises
                    if reports[e.package].present and not reports[e.package].states[e.key].finished), None)
    out("Progress (public tests of your files; make grade runs the hidden tests)", "bold")
    total_done = total = minutes_left = 0
    previous_expanded = True
    for phase in PHASES:
        if phase.name not in course.packages:
            out(out.paint(f"{phase.name:<20}coming soon", "dim"))
            previous_expanded = False
            continue
        result = reports[phase.name]
        exercises = course.of(phase.name)
        states = [result.states[e.key] for e in exercises]
        done = sum(s.finished for s in states)
        left = sum(e.minutes for e, s in zip(exercises, states) if not s.finished)
        if result.present:
            total_done += done
            total += len(exercises)
            minutes_left += left
        counts = f"{done}/{len(exercises)} done" + (f", {duration(left)} left" if left else "")
        is_current = current is not None and current[0].package == phase.name
        untouched = all(s.status == "not started" for s in states)
        expand = result.present and (args.all or is_current or not (untouched or done == len(exercises)))
        if not expand:
            if previous_expanded:
                out()
            shown = "not in this copy" if not result.present else counts
            out(f"{phase.name:<20}" + out.paint(shown, "green" if done == len(exercises) else "dim"))
            previous_expanded = False
            if result.run is not None and result.run.records is None:
                out.wrap(result.run.error, indent=2)
            continue
        head = f"{phase.name}: "
        room = WIDTH - len(head) - len(counts) - 2
        out()
        out(head + fit(phase.title, room).ljust(room) + "  " + counts, "bold")
        if result.run is not None and result.run.records is None:
            out.wrap(result.run.error, indent=2)
        for exercise, state in zip(exercises, states):
            row = (f"  {exercise.number:<6}{fit(exercise.name, 20):<21}{fit(exercise.file, 22):<23}"
                   f"{exercise.minutes:>3} min  ")
            out(row + out.paint(state.label, _TINTS.get(state.status, "dim")))
        previous_expanded = True
    out()
    left_text = f"about {duration(minutes_left)} of work left" if minutes_left else "nothing left"
    out(f"Total: {total_done} of {total} exercises done; {left_text} ({seconds:.1f} s).")
    if current is None:
        out("Every exercise passes its public tests. make grade confirms each phase.", "green")
    else:
        exercise, state = current
        out(f"Next: {exercise.title} in {exercise.shown_path} ({state.label}).")
        out("      make next says what to do, make watch checks it on every save.")
    if not args.all:
        out(out.paint("(make status ARGS=--all lists every exercise of every package)", "dim"))
    return 0


# -- next -----------------------------------------------------------------------------------------


def describe_next(course: Course, exercise: Exercise, state: State, out: Out) -> None:
    exercises = course.of(exercise.package)
    position = exercises.index(exercise) + 1
    ref = course.ref(exercise)
    out(f"Next: {exercise.title} ({exercise.package}, exercise {position} of {len(exercises)})", "bold")
    out(f"      difficulty {exercise.difficulty}/3, about {duration(exercise.minutes)}")
    out()
    todo = unwritten(exercise)
    if todo:
        first = next(f for f in exercise.functions if f in todo)
        line = f" (line {todo[first]})" if todo[first] else ""
        rest = [f for f in exercise.functions if f in todo and f != first]
        out.wrap(f"{first} in {exercise.shown_path}{line}" + (", then " + ", ".join(rest) if rest else ""),
                 indent=10, first="  Write   ")
        if len(todo) < len(exercise.functions):
            done = [f for f in exercise.functions if f not in todo]
            out.wrap("already written: " + ", ".join(done), indent=10)
    else:
        out.wrap(", ".join(exercise.functions) + f" in {exercise.shown_path}", indent=10, first="  Fix     ")
    out.wrap(_section(exercise), indent=10, first="  Read    ")
    out(f"  Check   make check EX={ref}   (or leave make watch running)")
    seen = Progress().hints.get(exercise.key, 0)
    more = f"hint {min(seen + 1, LEVELS)} of {LEVELS}" if seen < LEVELS else f"all {LEVELS} hints seen"
    out(f"  Stuck?  make hint EX={ref}   ({more})")
    if state.status in ("failing", "in progress", "blocked", "unknown") and state.message:
        out()
        if state.total:
            out(f"Now {state.total - state.passed} of {state.total} public tests fail; the first problem:")
        out.message(state.message, indent=2, max_lines=6)


def cmd_next(args: argparse.Namespace) -> int:
    out = Out()
    course = load_course()
    found = find_current(course, use_cache=not args.fresh, timeout=args.timeout)
    if found is None:
        out("Every exercise of the course passes its public tests.", "green")
        out("make grade runs the hidden tests and gradient checks of every phase.")
        return 0
    exercise, state, _ = found
    describe_next(course, exercise, state, out)
    return 0


# -- hint -----------------------------------------------------------------------------------------


def cmd_hint(args: argparse.Namespace) -> int:
    out = Out()
    course = load_course()
    if args.exercise:
        try:
            exercise = course.resolve(args.exercise)
        except LookupError as exc:
            print(f"grader: {exc}", file=sys.stderr)
            return 2
    else:
        found = find_current(course)
        if found is None:
            out("Every exercise passes its public tests: no hint needed. make hint EX=0.2 shows one anyway.")
            return 0
        exercise = found[0]
    progress = Progress()
    seen = int(progress.hints.get(exercise.key, 0))
    level = args.level if args.level is not None else min(seen + 1, LEVELS)
    if not 1 <= level <= len(exercise.hints):
        print(f"grader: --level must be between 1 and {len(exercise.hints)}", file=sys.stderr)
        return 2
    ref = course.ref(exercise)
    out(f"{exercise.title}, hint {level} of {len(exercise.hints)} ({exercise.shown_path})", "bold")
    out()
    out.wrap(exercise.hints[level - 1], indent=2)
    out()
    upcoming = max(seen, level) + 1
    if level < len(exercise.hints) and upcoming <= len(exercise.hints):
        out(f"Still stuck? make hint EX={ref} gives hint {upcoming}"
            f"{' (the shape of the code)' if upcoming == LEVELS else ''}.")
    elif level < len(exercise.hints):
        out(f"The next one again: make hint EX={ref} LEVEL={level + 1}")
    else:
        out("That is the last hint. Once the phase is complete,")
        out(f"make solution PHASE={exercise.package} shows the reference to compare with.")
    out.wrap(_section(exercise), indent=6, first="Read: ")
    progress.hints[exercise.key] = max(seen, level)
    progress.save()
    return 0


# -- reset ----------------------------------------------------------------------------------------


def _function_spans(source: str) -> dict[str, tuple[int, int]]:
    """{name: (first line, last line)} of the module's top-level functions, decorators included,
    and comments indented inside the function after its last statement (``### END SOLUTION``)."""
    lines = source.splitlines()
    spans = {}
    for node in ast.parse(source).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            first = min([node.lineno] + [d.lineno for d in node.decorator_list])
            last = node.end_lineno or node.lineno
            for number in range(last + 1, len(lines) + 1):
                text = lines[number - 1]
                if not text.strip():
                    continue
                if text.lstrip().startswith("#") and len(text) - len(text.lstrip()) > node.col_offset:
                    last = number
                    continue
                break
            spans[node.name] = (first, last)
    return spans


def restore_functions(current: str, stub: str, names: Iterable[str]) -> str | None:
    """``current`` with the functions ``names`` replaced by their versions in ``stub``; None when
    ``current`` does not parse or lacks one of them (then the whole file is restored)."""
    try:
        mine, theirs = _function_spans(current), _function_spans(stub)
    except SyntaxError:
        return None
    names = list(names)
    if any(n not in mine or n not in theirs for n in names):
        return None
    lines, stub_lines_ = current.splitlines(keepends=True), stub.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    for name in sorted(names, key=lambda n: mine[n][0], reverse=True):
        start, end = mine[name]
        s_start, s_end = theirs[name]
        lines[start - 1:end] = stub_lines_[s_start - 1:s_end]
    return "".join(lines)


def cmd_reset(args: argparse.Namespace) -> int:
    from grader.authoring import stubs

    out = Out()
    course = load_course()
    try:
        exercise = course.resolve(args.exercise)
    except LookupError as exc:
        print(f"grader: {exc}", file=sys.stderr)
        return 2
    planned = stubs.planned()
    stub = planned.get(exercise.path)
    if stub is None:
        print(f"grader: no generated stub for {exercise.shown_path} (solutions/ is not in this copy); "
              f"git checkout -- {exercise.shown_path} restores the committed one", file=sys.stderr)
        return 1
    current = exercise.path.read_text() if exercise.path.exists() else None
    whole = args.whole_file or current is None
    new = stub if whole else restore_functions(current, stub, exercise.functions)
    if new is None:
        new, whole = stub, True
    if current == new:
        out(f"{exercise.shown_path}: {', '.join(exercise.functions)} already are the stubs; nothing to reset.")
        return 0
    if current is not None:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        backup = BACKUPS / stamp / exercise.path.relative_to(REPO)
        for count in range(1, 1000):
            if not backup.exists():
                break
            backup = BACKUPS / f"{stamp}-{count}" / exercise.path.relative_to(REPO)
        backup.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(exercise.path, backup)
    exercise.path.write_text(new)
    what = "the whole file" if whole else ", ".join(exercise.functions)
    out(f"Reset {exercise.title}: {what} in {exercise.shown_path} back to the stub.")
    if current is not None:
        out.wrap(f"Your version is saved as {backup.relative_to(REPO)}", indent=2, first="")
    return 0


# -- solution -------------------------------------------------------------------------------------


def grade_package(phase: Phase, timeout: float = 900) -> tuple[dict | None, str]:
    """The grader's result for one package of the working copy (hidden tests, gradient checks)."""
    with tempfile.TemporaryDirectory(prefix="grader-learner-") as tmp:
        out = Path(tmp) / "result.json"
        try:
            done = subprocess.run([sys.executable, "-m", "grader", "grade", "--phase", phase.name, "--json",
                                   str(out), "--quiet"], cwd=REPO, capture_output=True, text=True, timeout=timeout,
                                  stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            return None, f"grading {phase.name} took longer than {timeout:g} s"
        if done.returncode != 0 or not out.exists():
            tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or [f"exit code {done.returncode}"]
            return None, f"could not grade {phase.name}: {tail[0]}"
        result = json.loads(out.read_text())
    mine = next((p for p in result["phases"] if p["name"] == phase.name), None)
    return mine, "" if mine else f"{phase.name} has no hidden tests to grade"


def _grade_summary(graded: dict) -> str:
    tests = f"{sum(t['passed'] for t in graded['tests'])}/{len(graded['tests'])} hidden tests"
    checks = f"{sum(g['passed'] for g in graded['gradchecks'])}/{len(graded['gradchecks'])} gradient checks"
    return f"{graded['score']:g}/{graded['max_score']:g} points, {tests}, {checks}"


def _strip_markers(text: str) -> str:
    return "".join(line for line in text.splitlines(keepends=True)
                   if line.strip() not in ("### BEGIN SOLUTION", "### END SOLUTION"))


def cmd_solution(args: argparse.Namespace) -> int:
    out = Out()
    try:
        phase = by_name(args.package)
    except ValueError as exc:
        print(f"grader: {exc}", file=sys.stderr)
        return 2
    source = SOLUTIONS / phase.path
    if not source.is_dir():
        print(f"grader: the reference of {phase.name} is not part of this copy of the course", file=sys.stderr)
        return 1
    if not args.force:
        if not phase.available:
            print(f"grader: {phase.name} has no hidden tests, so the grader cannot say it is complete; "
                  f"make solution PHASE={phase.name} FORCE=1 shows it anyway", file=sys.stderr)
            return 1
        print(f"Grading {phase.name} first (hidden tests and gradient checks)...", file=sys.stderr)
        graded, error = grade_package(phase)
        if graded is None:
            print(f"grader: {error}", file=sys.stderr)
            return 1
        if not graded["complete"]:
            out(f"Not yet: {phase.name} is not complete ({_grade_summary(graded)}).", "yellow")
            out(f"Finish it first: make grade PHASE={phase.name} shows what is left, make next and")
            out("make hint help. The reference teaches most once your own version works.")
            out(f"To look anyway: make solution PHASE={phase.name} FORCE=1")
            return 1
        out(f"{phase.name} is complete ({_grade_summary(graded)}). The reference, to compare with yours:",
            "green")
    else:
        out(f"The reference of {phase.name}, shown before the grader calls it complete, as you asked.", "yellow")
    order = [e.file for e in load_course().of(phase.name)]
    files = [p for p in sorted(source.rglob("*.py"))
             if "__pycache__" not in p.parts and "tests" not in p.parts and "### BEGIN SOLUTION" in p.read_text()]
    files.sort(key=lambda p: order.index(p.name) if p.name in order else len(order))
    for path in files:
        out()
        out(f"==> {path.relative_to(REPO)} <==", "bold")
        out.stream.write(_strip_markers(path.read_text()))
    progress = Progress()
    progress.data["solutions"][phase.name] = {"at": time.strftime("%Y-%m-%dT%H:%M:%S"), "forced": bool(args.force)}
    progress.save()
    return 0


# -- watch ----------------------------------------------------------------------------------------

_IN_MODIFY, _IN_CLOSE_WRITE, _IN_MOVED_FROM, _IN_MOVED_TO, _IN_CREATE, _IN_DELETE = (
    0x2, 0x8, 0x40, 0x80, 0x100, 0x200)


class ChangeWatcher:
    """Waits until a ``.py`` file under ``folders`` changes: inotify through ctypes on Linux, with a
    poll of modification times as well (events do not arrive from some network and shared folders),
    or polling alone where inotify is missing or ``poll`` is asked for."""

    def __init__(self, folders: Iterable[Path], poll: bool = False, interval: float = 1.0):
        self.folders = [f for f in folders if f.is_dir()]
        self.interval = interval
        self.fd: int | None = None if poll else self._inotify()
        self.snapshot = self._scan()

    def _inotify(self) -> int | None:
        if not sys.platform.startswith("linux"):
            return None
        try:
            libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
            fd = libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
            if fd < 0:
                return None
            mask = _IN_MODIFY | _IN_CLOSE_WRITE | _IN_MOVED_FROM | _IN_MOVED_TO | _IN_CREATE | _IN_DELETE
            for folder in self._dirs():
                if libc.inotify_add_watch(fd, os.fsencode(folder), mask) < 0:
                    os.close(fd)
                    return None
            return fd
        except (OSError, AttributeError):
            return None

    @property
    def mode(self) -> str:
        return "file events" if self.fd is not None else f"polling every {self.interval:g} s"

    def _dirs(self) -> list[Path]:
        found = []
        for folder in self.folders:
            found.append(folder)
            found += [d for d in folder.rglob("*") if d.is_dir() and not ({"tests", "__pycache__"} & set(d.parts))]
        return found

    def _scan(self) -> dict[str, tuple[int, int]]:
        seen = {}
        for folder in self._dirs():
            for path in folder.glob("*.py"):
                with contextlib.suppress(OSError):
                    stat = path.stat()
                    seen[str(path)] = (stat.st_mtime_ns, stat.st_size)
        return seen

    def _drain(self) -> bool:
        """Read every pending event; True when one concerns a .py file."""
        relevant = False
        while True:
            try:
                data = os.read(self.fd, 65536)
            except BlockingIOError:
                return relevant
            if not data:
                return relevant
            offset = 0
            while offset + 16 <= len(data):
                _, _, _, length = (int.from_bytes(data[offset + i:offset + i + 4], sys.byteorder) for i in (0, 4, 8, 12))
                name = data[offset + 16:offset + 16 + length].rstrip(b"\0")
                relevant |= name.endswith(b".py")
                offset += 16 + length

    def wait(self, timeout: float | None = None) -> bool:
        """Block until a .py file changes (True) or ``timeout`` seconds pass (False)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            step = self.interval if self.fd is None else max(self.interval, 2.0)
            if deadline is not None:
                step = max(0.0, min(step, deadline - time.monotonic()))
            if self.fd is not None:
                ready, _, _ = select.select([self.fd], [], [], step)
                if ready and self._drain():
                    time.sleep(0.15)  # an editor's save is several events: let them settle
                    self._drain()
                    self.snapshot = self._scan()
                    return True
            else:
                time.sleep(step)
            now = self._scan()
            if now != self.snapshot:
                time.sleep(0.15)
                self.snapshot = self._scan()
                return True
            if deadline is not None and time.monotonic() >= deadline:
                return False

    def close(self) -> None:
        if self.fd is not None:
            with contextlib.suppress(OSError):
                os.close(self.fd)
            self.fd = None


def show_exercise(course: Course, exercise: Exercise, state: State, out: Out, max_messages: int = 3) -> None:
    """One screen: the exercise's public tests, the first problems, where to get help."""
    ref = course.ref(exercise)
    right = f"{state.passed} of {state.total} public tests pass" if state.total else state.label
    left = f"{exercise.title}  {exercise.shown_path}"
    out(fit(left, WIDTH - len(right) - 2).ljust(WIDTH - len(right) - 2) + "  " + right, "bold")
    if not state.records:
        if state.message:
            out.message(state.message, indent=2)
    shown = 0
    for record in state.records:
        if record["passed"]:
            out("  " + out.paint("pass", "green") + "  " + fit(record["name"], WIDTH - 8))
            continue
        out("  " + out.paint("FAIL", "red") + "  " + fit(record["name"], WIDTH - 8))
        if shown < max_messages:
            out.message(record["message"], indent=8, max_lines=4)
            shown += 1
    if state.status != "done":
        seen = Progress().hints.get(exercise.key, 0)
        hint = f"make hint EX={ref}" + (f" (hint {seen + 1} of {LEVELS})" if seen < LEVELS else "")
        out.wrap(f"Stuck? {hint}. Read {_section(exercise)}.", indent=0)


def _watch_folders() -> list[Path]:
    return [REPO / p.path for p in PHASES if (REPO / p.path).is_dir()]


def _phase_finished(phase: Phase, out: Out) -> None:
    out()
    out(f"Every exercise of {phase.name} passes its public tests.", "green")
    if not phase.available:
        return
    out.wrap(f"Asking the grader (hidden tests, gradient checks: make grade PHASE={phase.name})...", indent=0)
    out.flush()
    graded, error = grade_package(phase)
    if graded is None:
        out(f"  {error}")
    elif graded["complete"]:
        out.wrap(f"The grader agrees: {phase.name} is complete ({_grade_summary(graded)}).", indent=0,
                 colour="green")
        out(f"make solution PHASE={phase.name} now shows the reference, to compare.")
    else:
        out.wrap(f"Not complete yet for the grader ({_grade_summary(graded)}). It finds:", indent=0,
                 colour="yellow")
        messages = list(dict.fromkeys(t["message"].splitlines()[0] for t in graded["tests"]
                                      if not t["passed"] and t["message"]))
        for message in messages[:4]:
            out.wrap(message, indent=4, first="  - ", max_lines=2)
        out(f"Fix those, then make grade PHASE={phase.name}. Watch moves on meanwhile.")


def cmd_watch(args: argparse.Namespace) -> int:
    out = Out()
    course = load_course()
    clear = out.stream.isatty() and os.environ.get("TERM") != "dumb" and not args.no_clear
    watcher = ChangeWatcher(_watch_folders(), poll=args.poll, interval=args.interval)
    runs = 0
    try:
        found = find_current(course)
        while True:
            if found is None:
                out()
                out("Every exercise of the course passes its public tests. Congratulations!", "green")
                out("make grade gives the final table (hidden tests and gradient checks).")
                return 0
            exercise = found[0]
            if started(exercise):
                run = run_package(exercise.phase, markers=exercise.markers, use_cache=False)
                state = evaluate(course, exercise.package, run.records, run.error)[exercise.key]
            else:  # every function still a stub: no test needed to say so
                state = evaluate(course, exercise.package, None)[exercise.key]
            runs += 1
            if clear:
                out.stream.write("\033[2J\033[H")
            stamp = time.strftime("%H:%M:%S")
            out(out.paint("-" * (WIDTH - len(stamp) - 4) + f" {stamp} --", "dim"))
            show_exercise(course, exercise, state, out)
            if state.finished:
                out()
                out(f"{exercise.title} is done: every public test of it passes.", "green")
                found = find_current(course)
                if found is None or found[0].package != exercise.package:
                    _phase_finished(exercise.phase, out)
                if found is not None:
                    out(f"On to {found[0].title} ({found[0].shown_path}).")
                out.flush()
                if args.max_runs and runs >= args.max_runs:
                    return 0
                if clear and found is not None:
                    time.sleep(3)  # time to read the news before the screen is cleared
                continue
            out(out.paint(f"Watching for changes ({watcher.mode}); Ctrl-C to stop.", "dim"))
            out.flush()
            if args.max_runs and runs >= args.max_runs:
                return 0
            watcher.wait()
    except KeyboardInterrupt:
        out()
        out("Stopped watching.")
        return 0
    finally:
        watcher.close()


# -- README tables --------------------------------------------------------------------------------


def readme_block(course: Course, package: str) -> str:
    exercises = course.of(package)
    lines = [BEGIN_TABLE,
             "<!-- generated from grader/exercises.toml by `make stubs`; edit the manifest, not this table -->",
             "| # | file | functions | difficulty | time |",
             "| --- | --- | --- | --- | --- |"]
    for e in exercises:
        functions = e.detail or ", ".join(f"`{f}`" for f in e.functions)
        lines.append(f"| {e.number} | `{e.file}` | {functions} | {e.difficulty}/3 | {e.minutes} min |")
    first = exercises[0]
    lines += [""] + textwrap.wrap(
        f"`make next` names the exercise to do now; `make check EX={first.number}` runs the public tests of one "
        f"exercise (a number or a name from the table), `make watch` reruns them whenever you save, and "
        f"`make hint EX={first.number}` gives a hint, one level at a time (see `docs/learner.md`).",
        100, break_on_hyphens=False, break_long_words=False) + [END_TABLE]
    return "\n".join(lines)


def updated_readme(text: str, block: str) -> str | None:
    """The README with its exercise table replaced by ``block``; None when it has neither markers
    nor a table under an "Exercises" heading."""
    if BEGIN_TABLE in text and END_TABLE in text:
        start = text.index(BEGIN_TABLE)
        end = text.index(END_TABLE, start) + len(END_TABLE)
        return text[:start] + block + text[end:]
    lines = text.splitlines(keepends=True)
    heading = next((i for i, line in enumerate(lines) if re.match(r"#+ .*\bExercises\b", line, re.I)), None)
    if heading is None:
        return None
    start = next((i for i in range(heading + 1, len(lines)) if lines[i].startswith("|")), None)
    if start is None or any(lines[i].startswith("#") for i in range(heading + 1, start)):
        return None
    end = start
    while end < len(lines) and lines[end].startswith("|"):
        end += 1
    return "".join(lines[:start]) + block + "\n" + "".join(lines[end:])


def readme_problems(course: Course, write: bool = False) -> list[str]:
    problems = []
    for package in course.packages:
        path = REPO / by_name(package).readme
        if not path.exists():
            continue
        text = path.read_text()
        new = updated_readme(text, readme_block(course, package))
        shown = path.relative_to(REPO)
        if new is None:
            problems.append(f"{shown}: no exercise table; put {BEGIN_TABLE} {END_TABLE} where it belongs")
        elif new != text:
            if write:
                path.write_text(new)
                print(f"wrote {shown}")
            else:
                problems.append(f"{shown}: its exercise table differs from grader/exercises.toml (run make stubs)")
    return problems


def cmd_readmes(args: argparse.Namespace) -> int:
    problems = readme_problems(load_course(), write=not args.check)
    for line in problems:
        print(line)
    return 1 if problems and args.check else 0


# -- make check ------------------------------------------------------------------------------------


def check_target(phase_name: str | None, spec: str | None) -> tuple[Phase, Exercise | None, tuple[str, ...]]:
    """The phase and the markers ``check`` runs, from a phase name and/or an exercise (EX=...)."""
    if spec is None:
        if phase_name is None:
            raise LookupError("name a phase (make check PHASE=phase0_math) or an exercise (make check EX=0.2)")
        return by_name(phase_name), None, ()
    course = load_course()
    exercise = None
    try:
        exercise = course.resolve(spec, package=phase_name)
    except LookupError:
        if phase_name is None:
            raise
    if exercise is not None:
        return exercise.phase, exercise, exercise.markers
    return by_name(phase_name), None, (spec,)  # a bare test marker of that phase


def check_footer(phase: Phase, records: list[Any], exercise: Exercise | None) -> list[str] | None:
    """What ``check`` prints last: the exercise to work on, how to check it alone, a hint."""
    try:
        course = load_course()
    except ManifestError:
        return None
    exercises = course.of(phase.name)
    failed = [r for r in records if not r.passed]
    if not failed:
        if exercise is None:
            return None
        return [f"{exercise.title}: every public test passes. make next names what comes next."]
    first = next((r for r in failed if not (r.message or "").startswith("not started")), failed[0])
    elsewhere = re.search(r"\(([\w/]+)/\w+\.py:\d+\)", first.message or "")
    if elsewhere and elsewhere.group(1) != phase.path and all(
            (r.message or "").startswith("not started") for r in failed):
        match = _NOT_STARTED.match(first.message or "")
        what = match.group(1) if match else "a function"
        return textwrap.wrap(f"Next: {what} in {elsewhere.group(1)}/ is not started, and this phase uses it. "
                             f"Finish that first, or check this phase against the reference of the earlier "
                             f"ones: make check PHASE={phase.name} DECOUPLED=1", WIDTH, subsequent_indent="      ")
    owner = None
    match = _NOT_STARTED.match(first.message or "")
    if match:
        owner = next((e for e in exercises if match.group(1) in e.functions), None)
    if owner is None:
        candidates = [e for e in exercises if first.exercise in e.markers]
        name = first.nodeid.rsplit("::", 1)[-1]
        owner = (_owners(name, candidates) or [None])[0] if candidates else exercise
    if owner is None:
        return None
    ref = course.ref(owner)
    lines = textwrap.wrap(f"Next: {owner.title} in {owner.shown_path}; read {_section(owner)}.", WIDTH,
                          subsequent_indent="      ")
    lines.append(f"      make check EX={ref}   runs this exercise's tests alone")
    lines.append(f"      make hint EX={ref}    gives a hint, one level at a time")
    return lines


def run_check(args: argparse.Namespace) -> int:
    """``python -m grader check``: the public tests of one phase (or exercise), in this process."""
    import pytest

    from grader.engine import pytest_plugin

    rest = list(args.pytest_args)
    for flag in ("--decoupled",):  # options given after the phase land in pytest's arguments
        if flag in rest:
            rest.remove(flag)
            args.decoupled = True
    for i, item in enumerate(list(rest)):
        if item in ("--exercise", "-e") and i + 1 < len(rest):
            args.exercise = rest[i + 1]
            del rest[i:i + 2]
            break
        if item.startswith("--exercise="):
            args.exercise = item.split("=", 1)[1]
            del rest[i]
            break
    try:
        phase, exercise, markers = check_target(args.phase, args.exercise)
    except (LookupError, ValueError) as exc:
        print(f"grader: {exc}", file=sys.stderr)
        return 2
    plugins: list[Any] = []
    if args.decoupled:
        if not (SOLUTIONS / PHASES[0].path).is_dir():
            print("grader: --decoupled needs the reference in solutions/, which this copy does not have",
                  file=sys.stderr)
            return 2
        plugins.append(ReferenceFirst(phase))
    if markers:
        plugins.append(MarkerFilter(markers))
    options = ["-p", "no:cacheprovider", f"--rootdir={REPO}", "-c", str(REPO / "pyproject.toml"),
               "-W", "ignore::pytest.PytestAssertRewriteWarning"]
    target = [str(phase.tests_dir), f"--ignore={phase.hidden_dir}"]
    if not any(phase.tests_dir.glob("test_*.py")):
        print(f"{phase.name} has no public tests yet; make grade PHASE={phase.name} runs the hidden ones.")
        return 0
    if args.verbose:
        return int(pytest.main([*target, *options, *rest], plugins=plugins))
    output = io.StringIO()
    with contextlib.redirect_stdout(output), contextlib.redirect_stderr(output):
        code = pytest.main([*target, "-q", "--tb=no", *options, *rest], plugins=plugins)
    if code == pytest.ExitCode.NO_TESTS_COLLECTED and markers:
        what = exercise.title if exercise else f"marker {markers[0]!r}"
        print(f"No public test of {what} in {phase.name}; make grade PHASE={phase.name} runs the hidden ones.")
        return 0
    if code not in (0, 1):
        print(output.getvalue())
        return int(code)
    records = list(pytest_plugin.RESULTS.values())
    if exercise is not None:  # tests shared with other exercises: keep those that are this one's
        course = load_course()
        mine = {r["nodeid"] for r in tests_of(exercise, course.of(phase.name), [_record(r) for r in records])}
        if mine:
            records = [r for r in records if r.nodeid in mine]
            code = pytest.ExitCode.OK if all(r.passed for r in records) else pytest.ExitCode.TESTS_FAILED
    out = Out()
    if args.decoupled and isinstance(plugins[0], ReferenceFirst) and plugins[0].names:
        out.wrap(f"Decoupled: {', '.join(plugins[0].names)} came from the reference solutions for this run.",
                 indent=0)
    report.render_check(phase, records, footer=check_footer(phase, records, exercise))
    return int(code)


# -- the command line -----------------------------------------------------------------------------


def _guarded(command: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """A command that reports a broken manifest in one line instead of a traceback."""

    def run(args: argparse.Namespace) -> int:
        try:
            return command(args)
        except ManifestError as exc:
            print(f"grader: the exercise manifest is broken: {exc}", file=sys.stderr)
            return 2

    return run


def add_commands(sub: Any) -> None:
    """Register status, next, hint, watch, reset, solution and readmes on the grader's CLI."""
    names = [p.name for p in PHASES]

    status = sub.add_parser("status", help="your progress: every exercise, done / failing / not started")
    status.add_argument("--all", action="store_true", help="list the exercises of every package")
    status.add_argument("--fresh", action="store_true", help="rerun every test (ignore .grader/cache.json)")
    status.add_argument("--timeout", type=float, default=PACKAGE_TIMEOUT, help="seconds per package")
    status.add_argument("--jobs", type=int, default=2, help="packages tested at once (default 2)")
    status.set_defaults(run=_guarded(cmd_status))

    nxt = sub.add_parser("next", help="the first unfinished exercise: file, function, how to check it")
    nxt.add_argument("--fresh", action="store_true", help="rerun every test (ignore .grader/cache.json)")
    nxt.add_argument("--timeout", type=float, default=PACKAGE_TIMEOUT, help="seconds per package")
    nxt.set_defaults(run=_guarded(cmd_next))

    hint = sub.add_parser("hint", help="a hint for an exercise (default: the current one), a level at a time")
    hint.add_argument("exercise", nargs="?", default=None, help="a number (0.2) or a name (softmax)")
    hint.add_argument("--level", type=int, default=None, help="show this level (1 nudge, 2 idea, 3 code shape)")
    hint.set_defaults(run=_guarded(cmd_hint))

    watch = sub.add_parser("watch", help="rerun the current exercise's public tests whenever a file changes")
    watch.add_argument("--poll", action="store_true", help="poll modification times instead of file events")
    watch.add_argument("--interval", type=float, default=1.0, help="seconds between polls (default 1)")
    watch.add_argument("--max-runs", type=int, default=0, help="stop after this many test runs (0: never)")
    watch.add_argument("--no-clear", action="store_true", help="never clear the screen between runs")
    watch.set_defaults(run=_guarded(cmd_watch))

    reset = sub.add_parser("reset", help="restore an exercise's functions to their stubs (keeps a backup)")
    reset.add_argument("exercise", help="a number (0.2) or a name (softmax)")
    reset.add_argument("--whole-file", action="store_true", help="restore the whole file, not just the functions")
    reset.set_defaults(run=_guarded(cmd_reset))

    solution = sub.add_parser("solution", help="print a package's reference once the grader says it is complete")
    solution.add_argument("package", choices=names)
    solution.add_argument("--force", action="store_true", help="show it even before the package is complete")
    solution.set_defaults(run=_guarded(cmd_solution))

    readmes = sub.add_parser("readmes", help="write the READMEs' exercise tables from grader/exercises.toml")
    readmes.add_argument("--check", action="store_true", help="only report tables that differ")
    readmes.set_defaults(run=_guarded(cmd_readmes))
