"""No import cycles between the project's modules (lazy imports inside functions count: a
cycle through them still means two modules that cannot be understood apart), and the core
imports neither storage nor Dagster."""

from __future__ import annotations

import ast
from pathlib import Path

from builders import ROOT

from govreport_dagster.storage.cache import imported_modules

PACKAGES = ("govreport_dagster", "assets")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _graph() -> dict[str, set[str]]:
    files = {_module_name(p): p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py")}
    return {name: {t for t in imported_modules(name, path) if t in files and t != name} for name, path in files.items()}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def _is_package_init_edge(graph: dict[str, set[str]], a: str, b: str) -> bool:
    return a.startswith(b + ".") or b.startswith(a + ".")


def test_no_import_cycles() -> None:
    graph = _graph()
    # a package importing its own submodules (its __init__ re-exporting) is not a cycle
    # between two modules; drop parent ⇄ child edges before looking
    pruned = {a: {b for b in bs if not _is_package_init_edge(graph, a, b)} for a, bs in graph.items()}
    assert _cycles(pruned) == []


def test_the_core_imports_neither_storage_nor_dagster() -> None:
    for path in (ROOT / "govreport_dagster" / "core").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        tree = ast.parse(text)
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                assert not node.module.startswith(("dagster", "govreport_dagster.storage")), path
                assert not (node.level and node.module.split(".")[0] == "storage"), path
            if isinstance(node, ast.Import):
                assert not any(a.name.startswith("dagster") for a in node.names), path
