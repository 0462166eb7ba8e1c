"""The reference tables come from the registries, and docs/reference.md carries them as they are: a
field, a variable or a sink added to a registry and not to the docs (or read in the code and declared
nowhere) fails here, naming it."""

from __future__ import annotations

import ast
import re
from dataclasses import fields
from pathlib import Path

import pytest

from rulewatch.alerts.sinks import SINKS
from rulewatch.cli import main
from rulewatch.config import Source
from rulewatch.core.reference import section, with_section
from rulewatch.reference import SECTIONS, updated, variables
from rulewatch.scrapers.extract.options import ExtractOptions

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = ROOT / "docs" / "reference.md"
PACKAGES = ("core", "scrapers", "detection", "state", "alerts", "flows", "rulewatch")
VARIABLE_NAME = re.compile(r"(?:RULEWATCH|SLACK)_[A-Z0-9_]+")


@pytest.mark.parametrize("name", sorted(SECTIONS))
def test_the_reference_shows_each_table_as_the_registries_make_it(name: str) -> None:
    shown = section(REFERENCE.read_text(encoding="utf-8"), name)
    assert shown is not None, f"docs/reference.md has no generated section {name!r}"
    assert shown == SECTIONS[name](), f"docs/reference.md's {name!r} table is stale: run `make docs`"


def _read_in_code() -> dict[str, str]:
    """Every variable name the package's code spells as a whole string, with where."""
    found: dict[str, str] = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if package == "rulewatch" and path.relative_to(ROOT / "rulewatch").parts[0] in PACKAGES:
                continue  # the links to the stages, read once through their own folders
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Constant) and isinstance(node.value, str) and VARIABLE_NAME.fullmatch(node.value):
                    found.setdefault(node.value, f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def test_every_variable_the_code_reads_is_declared_with_help() -> None:
    declared = {v.name for v in variables()}
    undeclared = {name: where for name, where in _read_in_code().items() if name not in declared}
    assert not undeclared, f"declare these (core.reference.Variable) where they are read: {undeclared}"
    assert all(v.help and v.default for v in variables())
    assert len(declared) == len(variables()), "a variable is declared twice"


def test_the_checker_finds_a_variable_in_the_code() -> None:
    assert "RULEWATCH_BROWSER" in _read_in_code() and "RULEWATCH_TIMEZONE" in _read_in_code()


def test_source_fields_mirror_the_extraction_options_with_help() -> None:
    for option in fields(ExtractOptions):
        field = Source.model_fields[option.name]
        assert field.default == option.default, option.name
        assert field.description == option.metadata["help"], option.name
    assert all(info.description for info in Source.model_fields.values())


def test_every_sink_is_turned_on_by_variables_it_declares() -> None:
    for kind in SINKS:
        assert set(kind.switches) <= {v.name for v in kind.variables}, kind.name


def test_reference_prints_each_table_and_updates_a_document(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["reference", "variables"]) == 0
    out = capsys.readouterr().out
    assert "RULEWATCH_BROWSER\n    default: the first Chromium on the PATH\n" in out
    assert main(["reference", "fields", "--markdown"]) == 0
    assert capsys.readouterr().out.startswith("| field | meaning |\n")
    document = tmp_path / "doc.md"
    blank = "".join(with_section(f"<!-- generated: {n} (make docs writes this; edit the registry, not this table) -->"
                                 f"\nold\n<!-- end generated: {n} -->\n", n, "old\n") for n in SECTIONS)
    document.write_text(blank, encoding="utf-8")
    assert main(["reference", "--update", str(document)]) == 0
    assert document.read_text(encoding="utf-8") == updated(blank) != blank
    assert main(["reference", "--update", str(tmp_path / "missing.md")]) == 2
    assert "missing.md" in capsys.readouterr().err


def test_a_document_without_the_sections_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="no generated section 'variables'"):
        with_section("no markers here", "variables", "x")
