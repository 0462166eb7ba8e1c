"""The extractor registry: which extractor reads a response (data-driven, tests/data/extractors/), and
that sources.yaml's `kind:`, the registry and the README stay in step."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rulewatch.config import load_sources
from rulewatch.core.errors import ConfigError
from rulewatch.scrapers.extract import EXTRACTORS, SHAPES, extract, extractor_for, source_kinds

DATA = Path(__file__).resolve().parents[1] / "data" / "extractors"
CASES = json.loads((DATA / "sniffing.json").read_text(encoding="utf-8"))
ROOT = Path(__file__).resolve().parents[2]
# The docs: the README and the reference it points to.
README = "\n".join((ROOT / name).read_text(encoding="utf-8") for name in ("README.md", "docs/reference.md"))


@pytest.mark.parametrize("case", CASES, ids=[c["case"] for c in CASES])
def test_the_right_extractor_reads_the_response(case: dict[str, str]) -> None:
    assert extractor_for(case["body"].encode(), case["content_type"], case["kind"]).name == case["reader"]


def test_every_extractor_is_documented_and_sniffed_by_a_case() -> None:
    for name, extractor in EXTRACTORS.items():
        assert type(extractor).__doc__, f"extractor {name!r} has no docstring"
        assert f"`{name}`" in README, f"neither README.md nor docs/reference.md documents the kind {name!r}"
        assert any(c["reader"] == name and c["kind"] == "auto" for c in CASES), f"no sniffing case for {name!r}"
    for shape in SHAPES:
        assert f"`{shape}`" in README


def test_text_extractor_cuts_paragraphs_and_articles() -> None:
    doc = extract("第一条 为了保障网络安全。\n\n第二条 运营者应当报告。".encode(), "text/plain", "http://x/a.txt")
    assert [(b.key, b.text) for b in doc.blocks] == [("第一条", "第一条 为了保障网络安全。"), ("第二条", "第二条 运营者应当报告。")]


def _sources(tmp_path: Path, entry: str) -> Path:
    path = tmp_path / "sources.yaml"
    path.write_text(f"sources:\n  - name: s\n    url: https://x.example/\n{entry}", encoding="utf-8")
    return path


def test_every_registered_kind_is_accepted(tmp_path: Path) -> None:
    for kind in source_kinds():
        (source,) = load_sources(_sources(tmp_path, f"    kind: {kind}\n"))
        assert source.kind == kind


def test_an_unknown_kind_names_the_known_ones(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"field 'kind': 'rss' is not a kind \(known: auto, page, list, pdf"):
        load_sources(_sources(tmp_path, "    kind: rss\n"))


def test_an_option_the_forced_extractor_never_reads_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="kind 'feed' does not read items_path"):
        load_sources(_sources(tmp_path, "    kind: feed\n    items_path: data.list\n"))
    (source,) = load_sources(_sources(tmp_path, "    kind: json\n    items_path: data.list\n"))
    assert source.items_path == "data.list"
