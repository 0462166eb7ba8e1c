"""Issue 14: pages with the shapes of real regulator pages extract right, and broken ones fail loudly.

The cases live in tests/data/realshapes/cases.json: fixtures of our own, each with the shape of one
defect seen on the real web (never a copy of a real page)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from rulewatch.core.errors import FetchError
from rulewatch.detection.compare import compare
from rulewatch.scrapers.extract import ExtractOptions, extract

DATA = Path(__file__).resolve().parents[1] / "data" / "realshapes"
CASES = json.loads((DATA / "cases.json").read_text(encoding="utf-8"))
TYPES = {".html": "text/html", ".json": "application/json", ".xml": "application/rss+xml"}


def _extract(name: str, url: str = "https://www.example.gov.cn/page", kind: str = "auto", items: str = "") -> Any:
    path = DATA / name
    return extract(path.read_bytes(), TYPES[path.suffix], url, ExtractOptions(kind=kind, items=items))


@pytest.mark.parametrize("case", CASES["extract"], ids=[c["file"] for c in CASES["extract"]])
def test_real_shape_extracts_right(case: dict[str, Any]) -> None:
    if "error" in case:
        with pytest.raises(FetchError) as caught:
            _extract(case["file"], case["url"], case.get("kind_option", "auto"), case.get("items_option", ""))
        assert caught.value.reason == case["error"], str(caught.value)
        return
    doc = _extract(case["file"], case["url"], case.get("kind_option", "auto"))
    assert doc.kind == case["kind"], case["defect"]
    if "title" in case:
        assert doc.title == case["title"]
    if "blocks" in case:
        assert len(doc.blocks) == case["blocks"], [b.text for b in doc.blocks]
    text = doc.text
    for phrase in case.get("contains", []):
        assert phrase in text, f"{case['defect']}: {phrase!r} missing"
    for phrase in case.get("absent", []):
        assert phrase not in text, f"{case['defect']}: {phrase!r} is furniture"
    if "items" in case:
        assert len(doc.items) == case["items"]
    if "first_item" in case:
        first = doc.items[0]
        for name, want in case["first_item"].items():
            assert getattr(first, name) == want, name
    by_id = {i.id: i for i in doc.items}
    for item_id, url in case.get("item_urls", {}).items():
        assert by_id[item_id].url == url
    for item_id, title in case.get("item_titles", {}).items():
        assert by_id[item_id].title == title
    if "no_field" in case:
        assert all(case["no_field"] not in i.field_map() for i in doc.items)


@pytest.mark.parametrize("pair", CASES["pairs"], ids=[" -> ".join(p["files"]) for p in CASES["pairs"]])
def test_real_shape_versions_report_only_real_changes(pair: dict[str, Any]) -> None:
    old, new = (_extract(name) for name in pair["files"])
    change = compare(old, new)
    assert len(change.text) == pair["text"], change.text
    reported = [[c.kind, c.item.title] for c in change.items if c.kind != "moved_off"]
    assert reported == pair["items"], pair["defect"]
    assert change.title is None
