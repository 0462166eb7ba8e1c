"""Feeds: RSS 2.0 and Atom items; hostile and malformed XML refused."""

from __future__ import annotations

import pytest

from rulewatch.core.errors import ExtractError
from rulewatch.scrapers.extract import extract

RSS = b"""<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Rules</title>
<lastBuildDate>Fri, 27 Nov 2026 16:41:03 +0000</lastBuildDate>
<item><title>Cyber rule</title><link>/detail/5002.html?utm_source=rss</link><guid>a-5002</guid>
<pubDate>Fri, 27 Nov 2026 09:00:00 +0000</pubDate><description>&lt;p&gt;Banks must report incidents.&lt;/p&gt;</description></item>
<item><title>Other</title><link>http://feeds.example/detail/4999.html</link><pubDate>2026-11-19</pubDate></item>
</channel></rss>"""

ATOM = b"""<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>Atom rules</title>
<entry><title>Procurement notice</title><link rel="alternate" href="https://x.example/n/1"/><id>tag:x,2026:1</id>
<updated>2026-11-20T10:00:00Z</updated><summary>Vendors must register.</summary></entry></feed>"""


def test_rss_items() -> None:
    doc = extract(RSS, "application/rss+xml", "http://feeds.example/rss.xml")
    assert doc.kind == "list" and doc.title == "Rules"
    first, second = doc.items
    assert first.id == "a-5002" and first.url == "http://feeds.example/detail/5002.html"
    assert first.date == "2026-11-27" and first.field_map()["summary"] == "Banks must report incidents."
    assert second.id == "http://feeds.example/detail/4999.html"  # no guid: the link identifies it


def test_atom_entries() -> None:
    doc = extract(ATOM, "application/atom+xml", "https://x.example/atom")
    (entry,) = doc.items
    assert entry.title == "Procurement notice" and entry.url == "https://x.example/n/1" and entry.date == "2026-11-20"


def test_feed_sniffed_from_bytes_even_as_text_xml() -> None:
    assert extract(RSS, "text/xml", "http://feeds.example/rss.xml").kind == "list"


BILLION_LAUGHS = b"""<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;">]><rss version="2.0"><channel><title>&lol3;</title></channel></rss>"""
EXTERNAL = b"""<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<rss version="2.0"><channel><title>&x;</title></channel></rss>"""


@pytest.mark.parametrize("body", [BILLION_LAUGHS, EXTERNAL])
def test_hostile_xml_is_refused(body: bytes) -> None:
    with pytest.raises(ExtractError, match="hostile"):
        extract(body, "application/rss+xml", "http://feeds.example/rss.xml")


def test_malformed_xml_is_an_extract_error() -> None:
    with pytest.raises(ExtractError, match="malformed"):
        extract(b"<rss><channel><item><title>x</channel>", "application/rss+xml", "http://feeds.example/rss.xml")


def test_a_summary_the_same_in_every_item_is_boilerplate() -> None:
    entries = "".join(f"<item><title>Rule {n}</title><link>http://feeds.example/{n}</link>"
                      "<description>Click to read the full text on our site.</description></item>" for n in range(4))
    entries += "<item><title>Rule 9</title><link>http://feeds.example/9</link><description>Banks must report.</description></item>"
    varied = extract(f'<rss version="2.0"><channel><title>R</title>{entries}</channel></rss>'.encode(),
                     "application/rss+xml", "http://feeds.example/rss.xml")
    assert varied.items[0].field_map()["summary"] == "Click to read the full text on our site."
    same = entries.replace("Banks must report.", "Click to read the full text on our site.")
    boiler = extract(f'<rss version="2.0"><channel><title>R</title>{same}</channel></rss>'.encode(),
                     "application/rss+xml", "http://feeds.example/rss.xml")
    assert all(item.fields == () for item in boiler.items)
