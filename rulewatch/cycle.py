"""One monitoring cycle as plain functions: check (fetch, extract, compare, judge), then record.

check_source() does no writing and runs in worker threads; record() is the only step that writes, and
runs on the calling thread. cli.py calls run_cycle() directly; flows/ wraps the same two steps in
Prefect tasks.
"""

from __future__ import annotations

import logging
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field, replace
from typing import Literal

from core.errors import ContentCollapsed, FetchError
from core.model import Document, Item
from detection import Change, RelevancePolicy, Taxonomy, Verdict, compare, judge
from rulewatch.config import Source
from rulewatch.settings import DEFAULT_FAILING_AFTER, Settings
from scrapers.extract import ExtractOptions, extract
from scrapers.fetch import Fetcher, NotModified, Validators
from state import Recorder, SourceState, Store

log = logging.getLogger("rulewatch.cycle")

COLLAPSE_RATIO = 0.1  # a page that shrinks below this share of its last good size is an error page
COLLAPSE_MIN_SIZE = 200  # ...when the last good one had at least this much content
DETAIL_CHARS = 4000  # how much of a followed detail page is kept with its item
# Results are written in batches (one transaction each): per-page transactions cost more than the
# page. A batch is written when it is this big or this old, so alerts still go out promptly.
RECORD_BATCH = 200
RECORD_SECONDS = 1.0

# CPU-bound steps (extraction, comparison, judgement, recording) take turns on this lock. Under the GIL
# only one thread runs Python anyway, but threads interleaving CPU-bound work thrash each other's caches
# and hand the GIL over at every lxml call: measured, extraction in ten threads cost 0.75 ms a page
# against 0.51 ms taking turns. Fetching stays outside it, so waiting on the network still overlaps.
# Never wait for another thread's check while holding it: that check needs it too.
CPU_TURN = threading.Lock()

Status = Literal["baseline", "changed", "unchanged", "not_modified", "failed", "superseded"]


@dataclass(frozen=True, slots=True)
class Checked:
    """The result of checking one source, before anything is written."""

    source: Source
    document: Document | None = None
    change: Change | None = None
    verdict: Verdict | None = None
    validators: Validators = Validators()
    not_modified: bool = False
    baseline: bool = False  # first sight (or a new URL): record, alert on nothing
    seen_snapshot_id: int | None = None  # the source's last snapshot when this check read it
    error: str = ""


@dataclass(frozen=True, slots=True)
class SourceOutcome:
    """What one source's check amounted to, as reported to the user."""

    name: str
    status: Status
    kind: str = ""
    summary: str = ""
    alert_ids: tuple[int, ...] = ()
    relevant: bool = False
    error: str = ""


@dataclass(slots=True)
class CycleReport:
    outcomes: list[SourceOutcome] = field(default_factory=list)
    bytes_received: int = 0

    @property
    def failed(self) -> list[SourceOutcome]:
        return [o for o in self.outcomes if o.status == "failed"]

    @property
    def alert_ids(self) -> list[int]:
        return [a for o in self.outcomes for a in o.alert_ids]


def make_fetcher(settings: Settings, store: Store) -> Fetcher:
    """The cycle's fetcher; with shared politeness its per-host limits hold across processes."""
    if settings.shared_politeness:
        from state.hostlease import DatabaseHostGates

        return Fetcher(settings.fetch_settings(), gates=DatabaseHostGates(store, settings.host_policy))
    return Fetcher(settings.fetch_settings())


def _check_not_collapsed(previous: Document | None, document: Document) -> None:
    if previous is None:
        return
    if previous.size() >= COLLAPSE_MIN_SIZE and document.size() < COLLAPSE_RATIO * previous.size():
        raise ContentCollapsed(
            f"content shrank from {previous.size()} to {document.size()} characters; "
            "treated as an error page, not as a change",
            url=document.url,
        )


def _detail_url(source: Source, item: Item) -> str:
    if source.detail_url:
        try:
            return source.detail_url.format(id=item.id, **item.field_map())
        except (KeyError, IndexError, ValueError):
            return ""
    return item.url


def _follow(source: Source, document: Document, previous: Document, fetcher: Fetcher, limit: int) -> Document:
    """Attach detail text to new items (fetched, within `limit`) and carry it over for known ones."""
    known = {i.id: i for i in previous.items}
    items: list[Item] = []
    budget = limit if source.follow else 0
    for item in document.items:
        old = known.get(item.id)
        if old is not None:
            items.append(replace(item, detail=old.detail))
            continue
        url = _detail_url(source, item)
        if budget > 0 and url:
            budget -= 1
            items.append(replace(item, detail=_detail_text(url, fetcher, source)))
        else:
            items.append(item)
    return replace(document, items=items)


def _detail_text(url: str, fetcher: Fetcher, source: Source) -> str:
    try:
        resp = fetcher.fetch(url, policy=source.host_policy(fetcher.settings.host_policy))
        if isinstance(resp, NotModified):
            return ""
        detail = extract(resp.body, resp.content_type, resp.final_url, ExtractOptions(kind="page"))
    except FetchError as exc:
        log.info("%s: detail page %s not read: %s", source.name, url, exc.describe())
        return ""
    blocks = [b.text for b in detail.blocks]
    if blocks and blocks[0] == detail.title:
        blocks = blocks[1:]  # the heading repeats the item's title
    return "\n".join(blocks)[:DETAIL_CHARS]


def check_source(
    source: Source, state: SourceState | None, store: Store, fetcher: Fetcher, taxonomy: Taxonomy, settings: Settings
) -> Checked:
    """Fetch, extract, compare and judge one source, given its state as read at the cycle's start.
    Writes nothing."""
    seen = state.last_snapshot_id if state else None
    known = state is not None and seen is not None and state.url == source.url
    validators = Validators(state.etag, state.last_modified) if known and state else None
    try:
        resp = fetcher.fetch(source.url, validators, source.host_policy(settings.host_policy))
        if isinstance(resp, NotModified):
            return Checked(source, validators=resp.validators, not_modified=True, seen_snapshot_id=seen)
        with CPU_TURN:
            # The last snapshot is read only when there is something new to compare it with.
            previous = store.document(seen) if known and seen is not None else None
            document = extract(resp.body, resp.content_type, resp.final_url, source.extract_options())
            _check_not_collapsed(previous, document)
    except FetchError as exc:
        return Checked(source, error=exc.describe(), seen_snapshot_id=seen)
    if previous is None:
        return Checked(source, document=document, validators=resp.validators, baseline=True, seen_snapshot_id=seen)
    if document.kind == "list":
        document = _follow(source, document, previous, fetcher, settings.follow_limit)
    with CPU_TURN:
        change = compare(previous, document, state.learned_volatile if state else frozenset())
        verdict = judge(change, previous, document, taxonomy, RelevancePolicy(source.topics, source.alert_on))
    return Checked(source, document, change, verdict, resp.validators, seen_snapshot_id=seen)


def record(store: Recorder, checked: Checked, failing_after: int = DEFAULT_FAILING_AFTER) -> SourceOutcome:
    """Write one check's result: a failure, a 304, or a document with its change and alerts."""
    source = checked.source
    if checked.error:
        store.record_failure(name=source.name, url=source.url, error=checked.error, notify_after=failing_after,
                             channel=source.channel)
        return SourceOutcome(source.name, "failed", error=checked.error)
    if checked.not_modified:
        store.record_not_modified(name=source.name, url=source.url, etag=checked.validators.etag,
                                  last_modified=checked.validators.last_modified, channel=source.channel)
        return SourceOutcome(source.name, "not_modified", summary="not modified (304)")
    assert checked.document is not None
    recorded = store.record_success(
        name=source.name, url=source.url, document=checked.document, etag=checked.validators.etag,
        last_modified=checked.validators.last_modified, change=checked.change, verdict=checked.verdict,
        channel=source.channel, baseline=checked.baseline, seen_snapshot_id=checked.seen_snapshot_id,
    )
    doc = checked.document
    if recorded.outcome == "baseline":
        summary = f"baseline: {len(doc.blocks)} blocks, {len(doc.items)} items"
    else:
        summary = checked.change.summary() if checked.change else "no change"
    return SourceOutcome(
        source.name, recorded.outcome, kind=doc.kind, summary=summary, alert_ids=recorded.alert_ids,  # type: ignore[arg-type]
        relevant=bool(checked.verdict and checked.verdict.relevant),
    )


def check_all(
    sources: list[Source], store: Store, fetcher: Fetcher, taxonomy: Taxonomy, settings: Settings
) -> Iterator[Checked]:
    """Check sources concurrently (per-host limits live in the fetcher); yield each result as it is ready."""
    states = {s.name: s for s in store.all_source_states()}
    with ThreadPoolExecutor(max_workers=min(settings.workers, max(1, len(sources)))) as pool:
        futures = {pool.submit(check_source, s, states.get(s.name), store, fetcher, taxonomy, settings): s
                   for s in sources}
        for future in as_completed(futures):
            source = futures.pop(future)  # drop the finished future: it holds a whole document
            try:
                yield future.result()
            # A bug in one source's extraction must not stop the other sources: it is recorded as
            # that source's failure with its traceback in the log, and the cycle exits non-zero.
            except Exception as exc:  # noqa: BLE001
                log.error("%s: internal error\n%s", source.name, traceback.format_exc())
                yield Checked(source, error=f"internal_error: {type(exc).__name__}: {exc}")


def run_cycle(
    sources: Iterable[Source],
    store: Store,
    fetcher: Fetcher,
    taxonomy: Taxonomy,
    settings: Settings,
    on_outcome: Callable[[SourceOutcome], None] | None = None,
) -> CycleReport:
    """Check every source (concurrently, politely per host) and record each result as it arrives."""
    report = CycleReport()
    sources = list(sources)
    pending: list[Checked] = []

    def flush() -> None:
        with CPU_TURN, store.batch() as recorder:
            outcomes = [record(recorder, checked, settings.failing_after) for checked in pending]
        pending.clear()
        report.outcomes.extend(outcomes)
        if on_outcome:
            for outcome in outcomes:
                on_outcome(outcome)

    last_flush = time.monotonic()
    for checked in check_all(sources, store, fetcher, taxonomy, settings):
        pending.append(checked)
        if len(pending) >= RECORD_BATCH or time.monotonic() - last_flush > RECORD_SECONDS:
            flush()
            last_flush = time.monotonic()
    if pending:
        flush()
    report.bytes_received = fetcher.bytes_received
    order = {s.name: n for n, s in enumerate(sources)}
    report.outcomes.sort(key=lambda o: order[o.name])
    return report
