"""Extraction: bytes + content type -> Document, by an extractor chosen from the response itself.

Each kind of content is one small class in EXTRACTORS, registered here explicitly: its `name` (also a
source's `kind:` that forces it), `sniff()` (does a response look like mine?), `extract()` (pure), and
the source `options` it reads. Adding a kind is one class, one line in EXTRACTORS, and a data-driven
test case; sources.yaml's `kind:` is validated against this registry.
"""

from __future__ import annotations

import logging
from typing import Protocol

from rulewatch.core.errors import EmptyBody
from rulewatch.core.model import READER_REVISION, Block, Document
from rulewatch.core.text import article_key, squash
from rulewatch.scrapers.encoding import decode, decode_json
from rulewatch.scrapers.extract.feed import extract_feed
from rulewatch.scrapers.extract.html import extract_html
from rulewatch.scrapers.extract.jsondoc import extract_json
from rulewatch.scrapers.extract.options import MAX_ITEMS, ExtractOptions
from rulewatch.scrapers.extract.pdf import extract_pdf

__all__ = ["EXTRACTORS", "SHAPES", "ExtractOptions", "Extractor", "extract", "extractor_for", "source_kinds"]

log = logging.getLogger(__name__)
SHAPES = ("page", "list")  # kinds that say what a document is, not how to read it: hints, never forcing
SNIFF_BYTES = 1024  # how much of a body sniffing looks at


class Extractor(Protocol):
    """One kind of content. `sniff` sees the start of the body (BOM and leading space removed), its
    lower-case copy, and the Content-Type without parameters."""

    @property
    def name(self) -> str: ...

    @property
    def options(self) -> frozenset[str]:
        """The source fields (sources.yaml) this extractor reads."""

    def sniff(self, head: bytes, lower: bytes, content_type: str) -> bool: ...

    def extract(self, body: bytes, content_type: str, url: str, options: ExtractOptions) -> Document: ...


class PdfExtractor:
    """PDF documents: text per page, cut into paragraphs and articles."""

    name = "pdf"
    options = frozenset[str]()

    def sniff(self, head: bytes, lower: bytes, content_type: str) -> bool:
        return head.startswith(b"%PDF") or content_type == "application/pdf"

    def extract(self, body: bytes, content_type: str, url: str, options: ExtractOptions) -> Document:
        return extract_pdf(body, url)


class JsonExtractor:
    """JSON list APIs (records become items) and JSON records (fields become text)."""

    name = "json"
    options = frozenset({"items_path", "id_field", "title_field", "url_field", "date_field", "url_template",
                         "html_path"})

    def sniff(self, head: bytes, lower: bytes, content_type: str) -> bool:
        return head[:1] in (b"{", b"[") or content_type.endswith("json")

    def extract(self, body: bytes, content_type: str, url: str, options: ExtractOptions) -> Document:
        text, _ = decode_json(body, content_type)
        return extract_json(text, url, options)


class FeedExtractor:
    """RSS and Atom feeds: entries become items."""

    name = "feed"
    options = frozenset[str]()
    _TYPES = ("application/rss+xml", "application/atom+xml", "application/rdf+xml")

    def sniff(self, head: bytes, lower: bytes, content_type: str) -> bool:
        return b"<rss" in lower or b"<feed" in lower or b"<rdf:rdf" in lower or content_type in self._TYPES

    def extract(self, body: bytes, content_type: str, url: str, options: ExtractOptions) -> Document:
        return extract_feed(body, url)


class HtmlExtractor:
    """HTML pages (main content as blocks) and lists (links with titles and dates as items)."""

    name = "html"
    options = frozenset({"select", "exclude", "items", "link_pattern", "url_template"})

    def sniff(self, head: bytes, lower: bytes, content_type: str) -> bool:
        return b"<html" in lower or b"<!doctype html" in lower or b"<body" in lower or "html" in content_type

    def extract(self, body: bytes, content_type: str, url: str, options: ExtractOptions) -> Document:
        text, _ = decode(body, content_type)
        return extract_html(text, url, options)


class TextExtractor:
    """Plain text, one block per paragraph."""

    name = "text"
    options = frozenset[str]()

    def sniff(self, head: bytes, lower: bytes, content_type: str) -> bool:
        return content_type.startswith("text/plain")

    def extract(self, body: bytes, content_type: str, url: str, options: ExtractOptions) -> Document:
        text, _ = decode(body, content_type)
        paragraphs = [squash(p) for p in text.replace("\r\n", "\n").split("\n\n")]
        return Document(kind="page", url=url, blocks=[Block(text=p, key=article_key(p)) for p in paragraphs if p])


# In sniffing order: the first that recognises a response reads it; HTML reads what none recognises.
EXTRACTORS: dict[str, Extractor] = {e.name: e for e in (
    PdfExtractor(), JsonExtractor(), FeedExtractor(), HtmlExtractor(), TextExtractor())}
FALLBACK = "html"


def source_kinds() -> tuple[str, ...]:
    """Every `kind:` a source may name: auto, the shapes, and each extractor's name."""
    return ("auto", *SHAPES, *EXTRACTORS)


def extractor_for(body: bytes, content_type: str, kind: str = "auto") -> Extractor:
    """The extractor that reads this response: the one a source's kind names, else the first whose
    sniff recognises the bytes or the Content-Type."""
    if kind in EXTRACTORS:
        return EXTRACTORS[kind]
    ct = content_type.split(";", 1)[0].strip().lower()
    head = body[:SNIFF_BYTES].lstrip(b"\xef\xbb\xbf \t\r\n")
    lower = head.lower()
    for extractor in EXTRACTORS.values():
        if extractor.sniff(head, lower, ct):
            return extractor
    return EXTRACTORS[FALLBACK]


def extract(body: bytes, content_type: str, url: str, options: ExtractOptions | None = None) -> Document:
    """The Document a response carries. Raises a FetchError subclass when it carries none."""
    options = options or ExtractOptions()
    if not body.strip():
        raise EmptyBody("the server answered 200 with an empty body", url=url)
    document = extractor_for(body, content_type, options.kind).extract(body, content_type, url, options)
    document.metadata["reader"] = READER_REVISION
    if "items_cut" in document.metadata:
        log.warning("%s: the list holds %s items; only the first %d are watched", url,
                    document.metadata["items_cut"], MAX_ITEMS)
    return document
