"""One malformed link (a bracketed host that is no IPv6 address, a port out of range) never fails its
page: the item stays, with no usable link, in lists, JSON APIs and feeds alike; a redirect to one is a
clear fetch failure."""

from __future__ import annotations

import json

import pytest
from faultserver import FaultServer, redirect_to, respond

from rulewatch.core import errors
from rulewatch.scrapers.extract import extract
from rulewatch.scrapers.fetch import Fetcher, FetchSettings
from rulewatch.scrapers.urls import clean_url, host_of, is_http_url

BAD = ["http://[www.gov.cn]/a.html", "http://x.example:99999/a", "http://[::1/a"]


@pytest.mark.parametrize("bad", BAD)
def test_url_helpers_answer_for_a_malformed_url(bad: str) -> None:
    assert clean_url(bad, "https://base.example/") == "" and not is_http_url(bad) and host_of(bad) == ""


@pytest.mark.parametrize("bad", BAD)
def test_a_list_keeps_every_item(bad: str) -> None:
    rows = "".join(f"<li><a href='{href}'>关于网络安全的通知 第{n}号</a><span>2026-11-2{n}</span></li>"
                   for n, href in enumerate(["/ok/1.html", bad, "/ok/3.html"], 1))
    doc = extract(f"<html><body><ul class='list'>{rows}</ul></body></html>".encode(), "text/html",
                  "https://base.example/list.html")
    assert [i.title for i in doc.items] == [f"关于网络安全的通知 第{n}号" for n in (1, 2, 3)]
    assert [i.url for i in doc.items] == ["https://base.example/ok/1.html", "", "https://base.example/ok/3.html"]


def test_json_records_and_feed_entries_keep_theirs() -> None:
    records = {"data": [{"id": n, "title": f"通知{n}", "url": url}
                        for n, url in enumerate(["https://x.example/1", BAD[0], "https://x.example/3"], 1)]}
    doc = extract(json.dumps(records).encode(), "application/json", "https://x.example/api")
    assert [(i.id, i.url) for i in doc.items] == [("1", "https://x.example/1"), ("2", ""), ("3", "https://x.example/3")]
    feed = ("<rss version='2.0'><channel><title>t</title>"
            + "".join(f"<item><title>通知{n}</title><link>{u}</link><guid>g{n}</guid></item>"
                      for n, u in enumerate(["https://x.example/1", BAD[0]], 1)) + "</channel></rss>")
    doc = extract(feed.encode(), "application/rss+xml", "https://x.example/feed")
    assert [i.title for i in doc.items] == ["通知1", "通知2"] and doc.items[1].url == ""


def test_a_redirect_to_a_malformed_url_is_a_fetch_failure() -> None:
    site = FaultServer()
    site.routes["/robots.txt"] = respond(b"", status=404)
    site.routes["/moved"] = redirect_to(BAD[0])
    fetcher = Fetcher(FetchSettings(max_retries=0))
    try:
        with pytest.raises(errors.BadURL, match="malformed"):
            fetcher.fetch(site.url("/moved"))
    finally:
        fetcher.close()
        site.stop()


@pytest.mark.parametrize(("link", "cleaned"), [
    # a cache-buster's name whose value names the document: kept, as written
    ("https://www.example.gov.cn/index.php?r=notice/view&id=21", "https://www.example.gov.cn/index.php?r=notice/view&id=21"),
    ("https://www.example.gov.cn/a.php?v=detail&id=3", "https://www.example.gov.cn/a.php?v=detail&id=3"),
    # a cache-buster's name with a cache-buster's value: dropped
    ("https://www.example.gov.cn/a.php?id=5&t=1790000000123", "https://www.example.gov.cn/a.php?id=5"),
    ("https://www.example.gov.cn/a.php?id=5&v=1.2.3&_=", "https://www.example.gov.cn/a.php?id=5"),
    ("https://www.example.gov.cn/a.php?id=5&r=0.8123", "https://www.example.gov.cn/a.php?id=5"),
    # tracking parameters go whatever their value
    ("https://www.example.gov.cn/a.php?id=5&utm_source=weixin&from=timeline", "https://www.example.gov.cn/a.php?id=5"),
])
def test_link_clean_up_drops_only_what_is_volatile(link: str, cleaned: str) -> None:
    from rulewatch.scrapers.urls import clean_url

    assert clean_url(link) == cleaned
