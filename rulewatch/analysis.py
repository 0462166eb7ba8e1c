"""A fetched page's CPU-bound stages, pure: extract, the collapse check, comparison and judgement.

    extract (scrapers.extract) -> collapse and partial render (detection.health) -> [carry list details over]
        -> compare (detection.compare) -> judge (detection.judge)

The runner calls analyse() on the thread that fetched the page, or hands an AnalysisTask to a worker
process (rulewatch.workers) that calls it there: so a task carries plain data (the page's bytes and
the previous snapshot's stored blob) and names its source, which the worker already holds.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from rulewatch.config import Source
from rulewatch.core.errors import PartialRender
from rulewatch.core.model import Change, Document, Item, Verdict
from rulewatch.detection.health import collapsed, partial_render
from rulewatch.scrapers.extract import extract
from rulewatch.state import EncodedDocument, encode_document, stored_document

if TYPE_CHECKING:
    from rulewatch.app import App


@dataclass(frozen=True, slots=True)
class AnalysisTask:
    """One fetched page of `source`, and what it is compared with."""

    source: str  # the source's name
    body: bytes
    content_type: str
    final_url: str
    previous_blob: bytes | None  # the last snapshot as stored; None on first sight (a baseline)
    volatile: frozenset[str] = frozenset()  # block shapes learned to change every time
    suspected: bool = False  # the last check was a suspected partial render: a loss seen again is real


@dataclass(frozen=True, slots=True)
class Analysis:
    """What the stages made of a page. `change` is None for a baseline, and for a list with new items
    whose detail pages the caller must fetch first (`previous` is then kept for that)."""

    document: Document
    change: Change | None = None
    verdict: Verdict | None = None
    previous: Document | None = None
    encoded: EncodedDocument | None = None  # the document's blob, made here when it will be stored

    @property
    def needs_details(self) -> bool:
        return self.change is None and self.previous is not None


def detail_url(source: Source, item: Item) -> str:
    """Where a list item's detail page is: the source's detail_url template, else the item's link."""
    if source.detail_url:
        try:
            return source.detail_url.format(id=item.id, **item.field_map())
        except (KeyError, IndexError, ValueError):
            return ""
    return item.url


def wants_details(source: Source, document: Document, previous: Document, limit: int) -> bool:
    """Whether following `document`'s list means fetching: a new item with a detail page to read."""
    if not (source.follow and limit > 0):
        return False
    known = {i.id for i in previous.items}
    return any(item.id not in known and detail_url(source, item) for item in document.items)


def carry_details(document: Document, previous: Document) -> Document:
    """Known items keep the detail text read when they were new."""
    known = {i.id: i for i in previous.items}
    return replace(document, items=[replace(item, detail=known[item.id].detail) if item.id in known else item
                                    for item in document.items])


def analyse(source: Source, task: AnalysisTask, app: App) -> Analysis:
    """The page extracted, checked for collapse (raises ContentCollapsed), and, unless it is a baseline
    or needs detail pages fetched first, compared with the previous snapshot and judged."""
    previous = stored_document(task.previous_blob) if task.previous_blob is not None else None
    document = extract(task.body, task.content_type, task.final_url, source.extract_options())
    problem = collapsed(previous, document)
    if problem is not None:
        raise problem
    partial = "" if task.suspected else partial_render(previous, document)
    if partial:
        raise PartialRender(partial, url=document.url)
    if previous is None:
        return Analysis(document, encoded=encode_document(document))
    if document.kind == "list":
        if wants_details(source, document, previous, app.settings.follow_limit):
            return Analysis(document, previous=previous)
        document = carry_details(document, previous)
    change, verdict = compare_and_judge(source, previous, document, task.volatile, app)
    return Analysis(document, change, verdict, encoded=encode_document(document) if change.substantive else None)


def compare_and_judge(source: Source, previous: Document, document: Document, volatile: frozenset[str],
                      app: App) -> tuple[Change, Verdict]:
    """What changed, and whether it matters to the team: the alerts to send."""
    # Imported here, not with the module: a cycle where nothing changed never loads them.
    from rulewatch.detection.compare import compare
    from rulewatch.detection.judge import RelevancePolicy, judge

    change = compare(previous, document, volatile)
    return change, judge(change, previous, document, app.taxonomy, RelevancePolicy(source.topics, source.alert_on),
                         app.explain_context(source))


def warm(app: App) -> None:
    """Load what the first change needs (comparison, judgement, the tables): a worker does it while
    the first pages are still being fetched."""
    from rulewatch.detection.compare import compare  # noqa: F401
    from rulewatch.detection.judge import judge  # noqa: F401

    _ = app.taxonomy, app.explain_tables
