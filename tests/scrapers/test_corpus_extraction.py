"""Every page of the labelled corpus (UTF-8 and GBK, HTML, JSON, RSS) extracts cleanly, without mojibake."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rulewatch.scrapers.extract import extract

CORPUS = Path(__file__).parents[1] / "data" / "corpus"
CASES = json.loads((CORPUS / "cases.json").read_text(encoding="utf-8"))["cases"]
TYPES = {".html": "text/html", ".json": "application/json", ".xml": "text/xml"}  # as http.server sends them
FILES = sorted(p for p in CORPUS.glob("phase*/**/*") if p.is_file())


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(CORPUS)))
def test_corpus_file_extracts_without_replacement_characters(path: Path) -> None:
    body = path.read_bytes().replace(b"http://HOST", b"http://127.0.0.1:8000")
    doc = extract(body, TYPES[path.suffix], "http://127.0.0.1:8000/" + path.name)
    text = doc.title + doc.text + "".join(i.title for i in doc.items)
    assert text.strip(), "nothing extracted"
    assert "\ufffd" not in text
    if "zh-CN" in body.decode("gb18030", "replace") or "charset=gb" in body.decode("latin-1"):
        assert any("\u4e00" <= ch <= "\u9fff" for ch in text), "Chinese page extracted without Chinese text"


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["case"])
def test_entry_kind_is_found_from_the_response(case: dict[str, object]) -> None:
    path = CORPUS / "phase1" / str(case["case"]) / str(case["entry"])
    doc = extract(path.read_bytes().replace(b"http://HOST", b"http://127.0.0.1:8000"), TYPES[path.suffix],
                  "http://127.0.0.1:8000/x")
    expected = "page" if case["template"] in ("reg_detail_cn", "news_en") else "list"
    assert doc.kind == expected
    assert (len(doc.items) if expected == "list" else len(doc.blocks)) >= 5
