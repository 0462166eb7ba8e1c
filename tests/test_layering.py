"""The one-way flow of docs/architecture.md, checked over the source's imports (lazy and relative ones
included, of packages as well as modules):

    core  <-  scrapers, detection, state  <-  alerts  <-  rulewatch (app, runner)  <-  rulewatch.services
          <-  front ends: rulewatch.cli, rulewatch.demo, flows, rulewatch.slackapp, rulewatch.web

Front ends call the use cases and never each other (the CLI reaches the flows through an entry point,
rulewatch/cli/plugins.py); nothing under rulewatch/ imports flows/. A failure names the file, the line
and the import that breaks a rule.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# The stages keep their folders at the top of the repository and install as rulewatch.<stage>.
STAGES = ("core", "scrapers", "detection", "state", "alerts", "flows")
PACKAGES = tuple(f"rulewatch.{stage}" for stage in STAGES) + ("rulewatch",)

# What each package may import of rulewatch's own packages (itself always).
ALLOWED: dict[str, frozenset[str]] = {
    "rulewatch.core": frozenset(),
    "rulewatch.scrapers": frozenset({"rulewatch.core"}),
    "rulewatch.detection": frozenset({"rulewatch.core"}),
    "rulewatch.state": frozenset({"rulewatch.core"}),
    "rulewatch.alerts": frozenset({"rulewatch.core", "rulewatch.state"}),
}
# Modules no package below the composition layer may import, whatever the rules above allow.
COMPOSITION = ("rulewatch.runner", "rulewatch.cli", "rulewatch.app", "rulewatch.flows")
# The front ends, each with its modules: each may import the use cases and what is below them, never
# another front end. (The demo is a use case: a scripted run on a bundled replay, which the CLI shows.)
FRONT_ENDS = {"cli": ("rulewatch.cli", "rulewatch.command", "rulewatch.__main__"), "flows": ("rulewatch.flows",),
              "slack": ("rulewatch.slackapp",), "web": ("rulewatch.web",)}
SERVICES = ("rulewatch.services", "rulewatch.demo")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    if parts[0] in STAGES:
        parts.insert(0, "rulewatch")
    return ".".join(parts)


def _files() -> list[Path]:
    """Every source file once: the stages' own folders, and rulewatch/ without its links to them."""
    stage_files = [p for stage in STAGES for p in sorted((ROOT / stage).rglob("*.py"))]
    own = [p for p in sorted((ROOT / "rulewatch").rglob("*.py"))
           if p.relative_to(ROOT / "rulewatch").parts[0] not in STAGES]
    return stage_files + own


def _package(module: str) -> str:
    """The layer a module belongs to: rulewatch.<stage>, else rulewatch."""
    parts = module.split(".")
    return ".".join(parts[:2]) if len(parts) > 1 and parts[1] in STAGES else parts[0]


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in _files()}


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
        found += [(node.lineno, name) for name in names if name.split(".")[0] in ("rulewatch", *STAGES)]
    return found


def _graph() -> tuple[dict[str, Path], dict[str, list[tuple[int, str]]]]:
    modules = _modules()
    return modules, {name: _imports(path, modules) for name, path in modules.items()}


def test_each_package_imports_only_the_layers_below_it() -> None:
    modules, graph = _graph()
    broken = []
    for name, imports in graph.items():
        package = _package(name)
        for line, target in imports:
            target_package = _package(target)
            if target_package == package:
                continue
            where = f"{modules[name].relative_to(ROOT)}:{line} imports {target}"
            if target.split(".")[0] in STAGES:
                broken.append(f"{where} (the stages install under rulewatch.: import rulewatch.{target})")
            elif package in ALLOWED and target_package not in ALLOWED[package]:
                allowed = ", ".join(sorted(ALLOWED[package])) or "nothing of rulewatch"
                broken.append(f"{where} ({package} may import only {allowed})")
            elif package not in ("rulewatch", "rulewatch.flows") and target.startswith(COMPOSITION):
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
        names = [name for _, name in _imports(probe, {**modules, "rulewatch.flows._layering_probe": probe})]
    finally:
        probe.unlink()
    assert names == ["rulewatch.flows.check", "rulewatch.cli", "rulewatch.flows.serve"]


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


@pytest.mark.parametrize("stage", STAGES)
def test_the_rules_cover_real_packages(stage: str) -> None:
    assert (ROOT / stage / "__init__.py").is_file()
    link = ROOT / "rulewatch" / stage
    assert link.is_symlink() and link.resolve() == (ROOT / stage).resolve(), f"rulewatch/{stage} must link to ../{stage}"


def test_nothing_imports_a_stage_by_its_bare_name() -> None:
    """`import core` next to `import rulewatch.core` would load one file as two modules; tests and bench
    scripts import the installed names too."""
    broken = []
    for path in sorted([*ROOT.glob("tests/**/*.py"), *ROOT.glob("bench/*.py")]):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) and node.level == 0 else [])
            broken += [f"{path.relative_to(ROOT)}:{node.lineno} imports {n}" for n in names
                       if n.split(".")[0] in STAGES]
    assert not broken, "import rulewatch.<stage>, not the bare folder:\n" + "\n".join(broken)


DETECTION_WORDS = re.compile(r"[\u4e00-\u9fff]|proposed rule|nprm|request for comment|draft for comment", re.IGNORECASE)


def _docstrings(tree: ast.AST) -> set[int]:
    return {id(node.body[0].value) for node in ast.walk(tree)
            if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
            and node.body and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)}


def test_storage_knows_no_detection_vocabulary() -> None:
    """state/ stores what detection decided (rule keys, roles) and never decides it again: no title words
    in any language in its code (docstrings and migrations, which describe data, aside)."""
    found = []
    for path in sorted((ROOT / "state").rglob("*.py")):
        if "migrations" in path.parts:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docs = _docstrings(tree)
        found += [f"{path.relative_to(ROOT)}:{node.lineno}: {node.value[:60]!r}" for node in ast.walk(tree)
                  if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs
                  and DETECTION_WORDS.search(node.value)]
    assert not found, "detection's words in storage:\n" + "\n".join(found)
