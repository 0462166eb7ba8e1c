"""Extraction: bytes + content type -> Document, by an extractor chosen from the response itself.

Extractors are registered explicitly in EXTRACTORS; each is a pure function.
"""

from __future__ import annotations

from collections.abc import Callable

from core.errors import EmptyBody
from core.model import Block, Document
from core.text import article_key, squash
from scrapers.encoding import decode
from scrapers.extract.feed import extract_feed
from scrapers.extract.html import extract_html
from scrapers.extract.jsondoc import extract_json
from scrapers.extract.options import ExtractOptions
from scrapers.extract.pdf import extract_pdf

__all__ = ["EXTRACTORS", "ExtractOptions", "extract", "sniff_kind"]


def _html(body: bytes, content_type: str, url: str, options: ExtractOptions) -> Document:
    """HTML page or list."""
    text, _ = decode(body, content_type)
    return extract_html(text, url, options)


def _json(body: bytes, content_type: str, url: str, options: ExtractOptions) -> Document:
    """JSON list API or record."""
    text, _ = decode(body, content_type)
    return extract_json(text, url, options)


def _feed(body: bytes, content_type: str, url: str, options: ExtractOptions) -> Document:
    """RSS or Atom feed."""
    return extract_feed(body, url)


def _pdf(body: bytes, content_type: str, url: str, options: ExtractOptions) -> Document:
    """PDF document."""
    return extract_pdf(body, url)


def _plain(body: bytes, content_type: str, url: str, options: ExtractOptions) -> Document:
    """Plain text, one block per paragraph."""
    text, _ = decode(body, content_type)
    paragraphs = [squash(p) for p in text.replace("\r\n", "\n").split("\n\n")]
    return Document(kind="page", url=url, blocks=[Block(text=p, key=article_key(p)) for p in paragraphs if p])


Extractor = Callable[[bytes, str, str, ExtractOptions], Document]
EXTRACTORS: dict[str, Extractor] = {"html": _html, "json": _json, "feed": _feed, "pdf": _pdf, "text": _plain}


def sniff_kind(body: bytes, content_type: str) -> str:
    """Which extractor reads this response: from the bytes first, the Content-Type second."""
    ct = content_type.split(";", 1)[0].strip().lower()
    head = body[:1024].lstrip(b"\xef\xbb\xbf \t\r\n")
    lower = head.lower()
    if head.startswith(b"%PDF") or ct == "application/pdf":
        return "pdf"
    if head[:1] in (b"{", b"[") or ct.endswith("json"):
        return "json"
    if b"<rss" in lower or b"<feed" in lower or b"<rdf:rdf" in lower or ct in (
        "application/rss+xml", "application/atom+xml", "application/rdf+xml"
    ):
        return "feed"
    if b"<html" in lower or b"<!doctype html" in lower or b"<body" in lower or "html" in ct:
        return "html"
    if ct.startswith("text/plain"):
        return "text"
    return "html"


_FORCED = {"page": "html", "list": "html", "json": "json", "feed": "feed", "pdf": "pdf"}


def extract(body: bytes, content_type: str, url: str, options: ExtractOptions | None = None) -> Document:
    """The Document a response carries. Raises a FetchError subclass when it carries none."""
    options = options or ExtractOptions()
    if not body.strip():
        raise EmptyBody("the server answered 200 with an empty body", url=url)
    kind = sniff_kind(body, content_type)
    if options.kind in ("json", "feed", "pdf"):
        kind = _FORCED[options.kind]
    return EXTRACTORS[kind](body, content_type, url, options)
