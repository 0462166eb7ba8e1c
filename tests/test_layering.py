"""The one-way flow of docs/architecture.md, checked over the source's imports (lazy and relative ones
included, of packages as well as modules):

    core  <-  scrapers, detection, state  <-  alerts  <-  rulewatch (app, runner)  <-  rulewatch.services
          <-  front ends: rulewatch.cli, rulewatch.demo, flows (and later the Slack app and the web)

Front ends call the use cases and never each other (the CLI reaches the flows through an entry point,
rulewatch/cli/plugins.py); nothing under rulewatch/ imports flows/. A failure names the file, the line
and the import that breaks a rule.
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
# The front ends, each with its modules: each may import the use cases and what is below them, never
# another front end. (The demo is a use case: a scripted run on a bundled replay, which the CLI shows.)
FRONT_ENDS = {"cli": ("rulewatch.cli", "rulewatch.command", "rulewatch.__main__"), "flows": ("flows",)}
SERVICES = ("rulewatch.services", "rulewatch.demo")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for package in PACKAGES for p in sorted((ROOT / package).rglob("*.py"))}


def _absolute(node: ast.ImportFrom, importer: str, is_package: bool) -> str:
    """The module a `from ... import` names, relative imports (`from .x import y`) resolved."""
    if node.level == 0:
        return node.module or ""
    base = importer.split(".")
    base = base if is_package else base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def _imports(path: Path, modules: dict[str, Path]) -> list[tuple[int, str]]:
    """(line, module) for every import of one of rulewatch's own modules or packages in `path`."""
    found = []
    importer = _module_name(path)
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            module = _absolute(node, importer, path.name == "__init__.py")
            # `from state import schema` imports the module state.schema; `from state import Store`, state.
            names = [f"{module}.{a.name}" if f"{module}.{a.name}" in modules else module for a in node.names]
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


def _front_end(module: str) -> str:
    return next((end for end, prefixes in FRONT_ENDS.items()
                 if any(module == p or module.startswith(p + ".") for p in prefixes)), "")


def test_front_ends_use_the_use_cases_and_never_each_other() -> None:
    modules, graph = _graph()
    broken = []
    for name, imports in graph.items():
        mine = _front_end(name)
        for line, target in imports:
            theirs = _front_end(target)
            where = f"{modules[name].relative_to(ROOT)}:{line} imports {target}"
            if theirs and theirs != mine:
                broken.append(f"{where} (a front end is reached through the use cases or a plugin, not imported)")
            elif not mine and theirs and name.startswith("rulewatch"):
                broken.append(f"{where} (nothing under rulewatch/ but a front end imports a front end)")
            elif name.startswith(SERVICES) and theirs:
                broken.append(f"{where} (the use cases serve the front ends; they never import one)")
    assert not broken, "front ends tangled:\n" + "\n".join(broken)


def test_the_checker_sees_relative_and_package_imports(tmp_path: Path) -> None:
    package = ROOT / "flows"
    modules = _modules()
    probe = package / "_layering_probe.py"
    probe.write_text("from .check import check_sources\nfrom rulewatch import cli\nfrom . import serve\n",
                     encoding="utf-8")
    try:
        names = [name for _, name in _imports(probe, {**modules, "flows._layering_probe": probe})]
    finally:
        probe.unlink()
    assert names == ["flows.check", "rulewatch.cli", "flows.serve"]


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
