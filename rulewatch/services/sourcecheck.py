"""Catalog health: read each source once, as a check would, and say whether what it read is what a
source of its kind should give. Nothing is recorded.

`rulewatch sources --check` prints every reading; the weekly `catalog-check` deployment posts the short
report of the broken ones, so a source that breaks (its site moved to a JavaScript shell, a firewall
page, a list that now yields nothing) is seen the week it breaks, not when a rule is missed.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from rulewatch.alerts.message import CATALOG_EVENT, Message, Section, Span
from rulewatch.core.errors import FetchError
from rulewatch.core.model import Document

if TYPE_CHECKING:
    from rulewatch.app import App
    from rulewatch.config import Source

SAMPLE_ITEMS = 3  # items (or lines) a reading shows
SAMPLE_CHARS = 100
THIN_PAGE_CHARS = 60  # a page with less text than this is a shell or a stub, not a document (a notice has more)
OK, WARN, BROKEN = "ok", "warn", "broken"


@dataclass(frozen=True)
class Reading:
    """What one source gave when read once, and the verdict on it."""

    name: str
    url: str
    verdict: str  # ok, warn or broken
    problem: str = ""  # why not ok, in words
    status: int = 0  # the HTTP status, when an answer came
    reader: str = ""  # the extractor that read it (json, html, feed…)
    document: Document | None = None
    size: int = 0
    samples: list[str] = field(default_factory=list)

    @property
    def summary(self) -> str:
        doc = self.document
        if doc is None:
            return self.problem
        return (f"HTTP {self.status} {self.reader} -> {doc.kind}, {len(doc.blocks)} blocks, {len(doc.items)} items, "
                f"{self.size} bytes")


def judge(source: Source, doc: Document) -> tuple[str, str]:
    """(verdict, problem) for a document read from `source`. Pure."""
    expects_list = source.kind == "list" or bool(source.items or source.items_path)
    if doc.kind == "list" and not doc.items:
        return BROKEN, "0 items: the list is empty or its entries were not recognised"
    if expects_list and doc.kind != "list":
        return BROKEN, "a list source read as a page: its entries were not found"
    if doc.kind == "page":
        chars = sum(len(b.text) for b in doc.blocks)
        if chars < THIN_PAGE_CHARS:
            return WARN, f"only {chars} characters of text: a JavaScript shell or a stub?"
        return OK, ""
    undated = sum(1 for i in doc.items if not i.date)
    unlinked = sum(1 for i in doc.items if not i.url)
    if undated == len(doc.items):
        return WARN, "no item has a date: new rules cannot be told from old ones by date"
    if unlinked * 2 > len(doc.items):
        return WARN, f"{unlinked} of {len(doc.items)} items have no link"
    return OK, ""


def samples(doc: Document) -> list[str]:
    """What an alert on this document would quote: its title, its first items or lines."""
    lines = [f"title: {doc.title[:SAMPLE_CHARS] or '(none)'}"]
    for item in doc.items[:SAMPLE_ITEMS]:
        when = f" ({item.date})" if item.date else ""
        lines.append(f"item:  {item.title[:SAMPLE_CHARS]}{when} {item.url}".rstrip())
    for block in doc.blocks[:SAMPLE_ITEMS]:
        lines.append(f"text:  {block.text[:SAMPLE_CHARS]}")
    if "items_cut" in doc.metadata:
        lines.append(f"note:  the list holds {doc.metadata['items_cut']} items; only the first {len(doc.items)} "
                     "are watched")
    return lines


def read_source(app: App, source: Source) -> Reading:
    """Fetch `source` once, with its own request options, and judge what it gave."""
    from rulewatch.scrapers.extract import extract, extractor_for
    from rulewatch.scrapers.fetch import NotModified

    try:
        resp = app.fetcher_for(source).fetch(
            source.url, policy=source.host_policy(app.settings.host_policy), scope=source.fetch_scope(links=False),
            request=source.request(app.settings.env))
        assert not isinstance(resp, NotModified)  # no validators were sent
        doc = extract(resp.body, resp.content_type, resp.final_url, source.extract_options())
    except FetchError as exc:
        return Reading(source.name, source.url, BROKEN, exc.describe())
    verdict, problem = judge(source, doc)
    return Reading(source.name, source.url, verdict, problem, resp.status,
                   extractor_for(resp.body, resp.content_type, source.kind).name, doc, len(resp.body), samples(doc))


def read_all(app: App, sources: Iterable[Source]) -> Iterator[Reading]:
    for source in sources:
        yield read_source(app, source)


def summary(readings: list[Reading]) -> str:
    broken = sum(1 for r in readings if r.verdict == BROKEN)
    doubtful = sum(1 for r in readings if r.verdict == WARN)
    return (f"rulewatch catalog check: {len(readings) - broken - doubtful} of {len(readings)} sources read as "
            f"expected, {broken} broken, {doubtful} doubtful")


def report(readings: list[Reading], day: str = "") -> Message:
    """The short report the weekly check posts: the broken entries, then the doubtful ones. Pure."""
    sections = []
    for label, verdict in (("Broken: fix these sources", BROKEN), ("Doubtful: look at these", WARN)):
        lines = tuple((Span("• "), Span(r.name, strong=True), Span(f": {r.problem[:300]} "),
                       Span("(source)", url=r.url)) for r in readings if r.verdict == verdict)
        if lines:
            sections.append(Section(label, lines))
    text = summary(readings)
    return Message(headline=text, facts=(), sections=tuple(sections), event=CATALOG_EVENT,
                   key=f"catalog-check {day}".strip(), summary=text)
