"""The one-way flow of docs/architecture.md, checked over the source's imports (lazy ones included):

    core  <-  scrapers, detection, state  <-  alerts  <-  rulewatch (app, runner, cli), flows

A failure names the file, the line and the import that breaks a rule.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("core", "scrapers", "detection", "state", "alerts", "rulewatch", "flows")

# What each package may import of rulewatch's own packages (itself always).
ALLOWED: dict[str, frozenset[str]] = {
    "core": frozenset(),
    "scrapers": frozenset({"core"}),
    "detection": frozenset({"core"}),
    "state": frozenset({"core"}),
    "alerts": frozenset({"core", "state"}),
}
# Modules no package below the composition layer may import, whatever the rules above allow.
COMPOSITION = ("rulewatch.runner", "rulewatch.cli", "rulewatch.app", "flows")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for package in PACKAGES for p in sorted((ROOT / package).rglob("*.py"))}


def _imports(path: Path, modules: dict[str, Path]) -> list[tuple[int, str]]:
    """(line, module) for every import of one of rulewatch's own modules in `path`."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            # `from state import schema` imports the module state.schema; `from state import Store`, state.
            names = [f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in modules else node.module
                     for a in node.names]
        else:
            continue
        found += [(node.lineno, name) for name in names if name.split(".")[0] in PACKAGES]
    return found


def _graph() -> tuple[dict[str, Path], dict[str, list[tuple[int, str]]]]:
    modules = _modules()
    return modules, {name: _imports(path, modules) for name, path in modules.items()}


def test_each_package_imports_only_the_layers_below_it() -> None:
    modules, graph = _graph()
    broken = []
    for name, imports in graph.items():
        package = name.split(".")[0]
        for line, target in imports:
            target_package = target.split(".")[0]
            if target_package == package:
                continue
            where = f"{modules[name].relative_to(ROOT)}:{line} imports {target}"
            if package in ALLOWED and target_package not in ALLOWED[package]:
                allowed = ", ".join(sorted(ALLOWED[package])) or "nothing of rulewatch"
                broken.append(f"{where} ({package} may import only {allowed})")
            elif package not in ("rulewatch", "flows") and target.startswith(COMPOSITION):
                broken.append(f"{where} (only the composition layer wires the runner, the CLI and the flows)")
    assert not broken, "layering broken:\n" + "\n".join(broken)


def find_cycles(edges: dict[str, list[str]]) -> list[str]:
    """Each import cycle found by a depth-first walk, as "a -> b -> a"."""
    cycles = []
    state: dict[str, str] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = "open"
        stack.append(node)
        for target in edges[node]:
            if state.get(target) == "open":
                cycles.append(" -> ".join([*stack[stack.index(target):], target]))
            elif target not in state:
                visit(target)
        stack.pop()
        state[node] = "done"

    for name in sorted(edges):
        if name not in state:
            visit(name)
    return cycles


def test_the_cycle_finder_finds_cycles() -> None:
    assert find_cycles({"a": ["b"], "b": ["c"], "c": ["a"], "d": ["a"]}) == ["a -> b -> c -> a"]
    assert find_cycles({"a": ["b"], "b": [], "c": ["a", "b"]}) == []


def test_there_are_no_import_cycles() -> None:
    modules, graph = _graph()
    edges = {name: sorted({t for _, t in imports if t in modules and t != name}) for name, imports in graph.items()}
    cycles = find_cycles(edges)
    assert not cycles, "import cycles:\n" + "\n".join(cycles)


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_the_rules_cover_real_packages(package: str) -> None:
    assert (ROOT / package / "__init__.py").is_file()
