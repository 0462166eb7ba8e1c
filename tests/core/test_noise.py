"""The one noise table: each scope's names, data-driven from tests/data/noise/, and the table's shape."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rulewatch.core.noise import NOISE_RULES, TEXT, noisy_name, rules

CASES = json.loads((Path(__file__).resolve().parents[1] / "data" / "noise" / "names.json").read_text(encoding="utf-8"))
NAMED = [(scope, name, True) for scope, c in CASES.items() for name in c["noise"]]
NAMED += [(scope, name, False) for scope, c in CASES.items() for name in c["kept"]]


@pytest.mark.parametrize("scope, name, noise", NAMED, ids=[f"{s}:{n}" for s, n, _ in NAMED])
def test_names_by_scope(scope: str, name: str, noise: bool) -> None:
    assert (noisy_name(scope, name) is not None) is noise  # type: ignore[arg-type]


def test_every_rule_has_a_reason_and_every_scope_has_rules() -> None:
    assert all(rule.description and rule.kind for rule in NOISE_RULES)
    for scope in (TEXT, *CASES):
        assert rules(scope), f"no rule for scope {scope}"  # type: ignore[arg-type]


def test_the_scopes_are_used_where_they_belong() -> None:
    from rulewatch.scrapers.extract.jsondoc import is_volatile_key
    from rulewatch.scrapers.urls import clean_url

    assert clean_url("https://x.example/a?docId=7&utm_source=wx&_=1700") == "https://x.example/a?docId=7"
    assert is_volatile_key("viewCount") and not is_volatile_key("docTitle")
