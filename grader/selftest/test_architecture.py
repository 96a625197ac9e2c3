"""The house's rules, read from the code: which grader subpackage may import which, no circles,
small modules."""

from __future__ import annotations

import ast
from pathlib import Path

from grader.engine.phases import REPO

GRADER = REPO / "grader"
# Which audiences each subpackage may build on (besides itself). The engine stands alone.
ALLOWED = {
    "engine": set(),
    "authoring": {"engine"},
    "learner": {"engine", "authoring"},
    "classroom": {"engine", "authoring"},
}
MAX_LINES = 420


def _modules() -> dict[str, Path]:
    found = {}
    for path in GRADER.rglob("*.py"):
        parts = path.relative_to(REPO).with_suffix("").parts
        if "selftest" in parts:
            continue
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def _imports(path: Path, modules: dict[str, Path]) -> set[str]:
    """The grader modules ``path`` imports (at any depth of the file: lazy imports count too)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {n for n in names if n in modules and n.startswith("grader")}


def _room(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in ALLOWED else None


def test_subpackages_import_only_what_they_build_on():
    modules = _modules()
    wrong = []
    for name, path in modules.items():
        room = _room(name)
        if room is None:
            continue
        for target in _imports(path, modules):
            other = _room(target)
            if other is not None and other != room and other not in ALLOWED[room]:
                wrong.append(f"{name} imports {target} ({room} may import {sorted(ALLOWED[room]) or 'nothing else'})")
    assert not wrong, "\n".join(wrong)


def test_no_import_circles_between_modules():
    modules = _modules()
    graph = {name: {t for t in _imports(path, modules) if t != name and not name.startswith(t + ".")}
             for name, path in modules.items()}
    # a package's __init__ importing its own submodules is not a circle worth reporting
    state: dict[str, int] = {}
    cycles = []

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for nxt in graph[node]:
            if state.get(nxt) == 1:
                cycles.append(" -> ".join(trail[trail.index(nxt):] + [nxt]) if nxt in trail else f"{node} -> {nxt}")
            elif nxt not in state:
                visit(nxt, trail + [nxt])
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    assert not cycles, "import circles:\n" + "\n".join(cycles)


def test_every_subpackage_says_what_it_is_for():
    for room in ALLOWED:
        doc = ast.get_docstring(ast.parse((GRADER / room / "__init__.py").read_text()))
        assert doc and "import" in doc.lower(), f"grader/{room}/__init__.py: docstring must say its job and its imports"


def test_no_module_is_a_monolith():
    big = [f"{p.relative_to(REPO)}: {n} lines" for p in GRADER.rglob("*.py")
           if "selftest" not in p.parts and (n := len(p.read_text().splitlines())) > MAX_LINES]
    assert not big, "split these by job:\n" + "\n".join(big)
