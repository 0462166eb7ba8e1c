"""Control characters and noncharacters in scraped text (issue 19, finding 5): form feeds, vertical
tabs, SUB and ESC bytes, NUL and U+FFFE in a page, a JSON field or a feed never make it unreadable.
Before, lxml refused the text ("All strings must be XML compatible") and the source failed for good."""

from __future__ import annotations

import json

import pytest

from rulewatch.scrapers.extract import extract

CONTROLS = ["\x00", "\x01", "\x08", "\x0b", "\x0c", "\x0e", "\x1a", "\x1b", "\x1f", "\x7f", "\ufffe", "\uffff"]


@pytest.mark.parametrize("char", CONTROLS, ids=[f"U+{ord(c):04X}" for c in CONTROLS])
def test_a_page_with_control_characters_reads(char: str) -> None:
    body = (f"<html><head><title>网络安全{char}办法</title></head><body><div class=content>"
            f"<p>第一条 网络安全{char}事件应当在二十四小时内报告。</p><p>第二条 本办法自发布之日起施行。</p>"
            "</div></body></html>").encode("utf-8", "surrogatepass")
    doc = extract(body, "text/html; charset=utf-8", "https://www.example.gov.cn/a.htm")
    assert doc.blocks[0].text.startswith("第一条 网络安全") and doc.blocks[0].text.endswith("事件应当在二十四小时内报告。")
    assert char not in doc.text and char not in doc.title


@pytest.mark.parametrize("char", CONTROLS, ids=[f"U+{ord(c):04X}" for c in CONTROLS])
def test_a_json_record_with_control_characters_reads(char: str) -> None:
    rows = [{"docId": n, "docTitle": f"办法{char}{n}", "publishDate": "2026-11-01",
             "docClob": f"<p>第一条{char}内容{n}</p>"} for n in range(3)]
    doc = extract(json.dumps({"data": {"rows": rows}}).encode(), "application/json", "https://api.example.gov.cn/l")
    assert len(doc.items) == 3
    assert all(char not in i.title and char not in json.dumps(i.fields, ensure_ascii=False) for i in doc.items)


@pytest.mark.parametrize("char", ["\x0b", "\x0c", "\x1a", "\x1b"], ids=["VT", "FF", "SUB", "ESC"])
def test_a_feed_with_control_characters_reads(char: str) -> None:
    feed = (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>通知</title>'
            f"<item><title>关于网络安全{char}检查的通知</title><link>https://www.example.gov.cn/1.htm</link>"
            f"<description>内容{char}一</description></item></channel></rss>").encode()
    doc = extract(feed, "application/rss+xml", "https://www.example.gov.cn/rss.xml")
    assert [i.title for i in doc.items] == ["关于网络安全 检查的通知"] or [i.title for i in doc.items] == ["关于网络安全检查的通知"]
