"""RSS 2.0, RSS 1.0 (RDF) and Atom feeds, parsed with defusedxml so hostile XML cannot expand."""

from __future__ import annotations

import contextlib
import re
import xml.etree.ElementTree as ET

import defusedxml
import defusedxml.ElementTree as DET

from rulewatch.core.errors import ExtractError
from rulewatch.core.model import WINDOW, Document, Item
from rulewatch.core.text import find_date, squash
from rulewatch.scrapers.extract.fields import with_unique_ids, without_constant_fields
from rulewatch.scrapers.extract.options import MAX_ITEMS, items_cut
from rulewatch.scrapers.urls import clean_url

SUMMARY_CHARS = 500


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1].lower()


def _child(el: ET.Element, *names: str) -> ET.Element | None:
    for child in el:
        if _local(child.tag) in names:
            return child
    return None


def _text(el: ET.Element | None) -> str:
    return squash("".join(el.itertext())) if el is not None else ""


def _summary(el: ET.Element) -> str:
    raw = _text(_child(el, "description", "summary", "content", "encoded"))
    if "<" in raw:
        import lxml.html

        with contextlib.suppress(ValueError, lxml.etree.ParserError):
            raw = squash(lxml.html.fromstring(raw).text_content())
    return raw[:SUMMARY_CHARS]


def _link(el: ET.Element, base: str) -> str:
    for child in el:
        if _local(child.tag) != "link":
            continue
        href = child.get("href")
        if href is not None:
            if child.get("rel", "alternate") == "alternate":
                return clean_url(href, base)
            continue
        if child.text and child.text.strip():
            return clean_url(child.text.strip(), base)
    return ""


_CONTROL_BYTES = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _is_eight_bit(body: bytes) -> bool:
    """Not UTF-16 or UTF-32, where zero bytes are part of every character."""
    return not body.startswith((b"\xff\xfe", b"\xfe\xff")) and b"\x00<" not in body[:4] and b"<\x00" not in body[:4]


def _parse(body: bytes) -> ET.Element:
    try:
        return DET.fromstring(body)
    except defusedxml.DefusedXmlException as exc:
        raise ExtractError(f"refused hostile XML ({type(exc).__name__})") from exc


def extract_feed(body: bytes, url: str) -> Document:
    """Items of an RSS or Atom feed. Pure; raises ExtractError on malformed or hostile XML."""
    try:
        root = _parse(body)
    except ET.ParseError as exc:
        if not _is_eight_bit(body) or not _CONTROL_BYTES.search(body):
            raise ExtractError(f"malformed XML: {exc}") from exc
        try:  # control characters XML forbids, which feed readers forgive: dropped, then parsed again
            root = _parse(_CONTROL_BYTES.sub(b" ", body))
        except ET.ParseError as again:
            raise ExtractError(f"malformed XML: {again}") from again
    kind = _local(root.tag)
    if kind == "rss":
        channel = _child(root, "channel")
        if channel is None:
            raise ExtractError("an RSS document without <channel>")
        entries = [c for c in channel if _local(c.tag) == "item"]
        title = _text(_child(channel, "title"))
    elif kind == "rdf":
        channel = _child(root, "channel")
        entries = [c for c in root if _local(c.tag) == "item"]
        title = _text(_child(channel, "title")) if channel is not None else ""
    elif kind == "feed":
        entries = [c for c in root if _local(c.tag) == "entry"]
        title = _text(_child(root, "title"))
    else:
        raise ExtractError(f"XML with root <{kind}> is neither RSS nor Atom")
    items: list[Item] = []
    for entry in entries[:MAX_ITEMS]:
        link = _link(entry, url)
        item_title = _text(_child(entry, "title"))
        guid = _text(_child(entry, "guid", "id"))
        ident = guid or link or item_title
        if not ident:
            continue
        date_text = _text(_child(entry, "pubdate", "published", "updated", "date", "issued"))
        summary = _summary(entry)
        items.append(
            Item(
                id=ident,
                title=item_title,
                url=link,
                date=find_date(date_text) or date_text,
                fields=(("summary", summary),) if summary else (),
            )
        )
    return Document(kind="list", url=url, title=title, items=without_constant_fields(with_unique_ids(items)),
                    metadata={**items_cut(len(entries)), WINDOW: "feed"})
