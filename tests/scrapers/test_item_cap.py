"""Bounded extraction (issue 19, finding 11): lists cut at MAX_ITEMS before their items are built, pages
of too many tags refused before their tree is built, JSON nested too deep refused."""

from __future__ import annotations

import json

import pytest

from rulewatch.scrapers.extract import extract
from rulewatch.scrapers.extract.options import MAX_ITEMS

HELD = MAX_ITEMS + 500


def test_a_json_list_is_cut_and_says_how_many_it_held() -> None:
    rows = [{"docId": n, "docTitle": f"关于第{n}号网络安全事件的通报", "publishDate": "2026-11-01"} for n in range(HELD)]
    doc = extract(json.dumps({"data": {"rows": rows}}).encode(), "application/json", "https://api.example.gov.cn/l")
    assert len(doc.items) == MAX_ITEMS and doc.items[0].id == "0"  # the first ones: a list's newest
    assert doc.metadata["items_cut"] == str(HELD)


def test_an_html_list_is_cut() -> None:
    rows = "".join(f'<li><a href="/d/{n}.html">关于第{n}号网络安全事件的通报</a><span>2026-11-01</span></li>'
                   for n in range(HELD))
    doc = extract(f"<html><body><ul>{rows}</ul></body></html>".encode(), "text/html", "https://www.example.gov.cn/")
    assert doc.kind == "list" and len(doc.items) == MAX_ITEMS and doc.metadata["items_cut"] == str(HELD)


def test_a_feed_is_cut_and_a_short_list_says_nothing() -> None:
    entries = "".join(f"<item><title>通报{n}</title><link>https://www.example.gov.cn/{n}</link></item>"
                      for n in range(HELD))
    doc = extract(f'<rss version="2.0"><channel><title>R</title>{entries}</channel></rss>'.encode(),
                  "application/rss+xml", "https://www.example.gov.cn/rss")
    assert len(doc.items) == MAX_ITEMS and doc.metadata["items_cut"] == str(HELD)
    short = extract(b'<rss version="2.0"><channel><title>R</title><item><title>a</title></item></channel></rss>',
                    "application/rss+xml", "https://www.example.gov.cn/rss")
    assert "items_cut" not in short.metadata


def test_a_page_of_too_many_tags_is_refused_before_its_tree_is_built() -> None:
    from rulewatch.core.errors import ExtractError
    from rulewatch.scrapers.extract.html import MAX_TAGS

    links = "".join(f'<a href="/{n}">第{n}</a>' for n in range(MAX_TAGS // 2 + 10))
    with pytest.raises(ExtractError, match="tags, more than"):
        extract(f"<html><body><div>{links}</div></body></html>".encode(), "text/html", "https://x.example/")


@pytest.mark.parametrize("depth", [5_000, 100_000])
def test_json_nested_thousands_deep_is_an_extract_error(depth: int) -> None:
    from rulewatch.core.errors import ExtractError

    with pytest.raises(ExtractError, match="nested too deeply"):
        extract(b"[" * depth + b"]" * depth, "application/json", "https://x.example/api")
