"""The runner: one monitoring cycle over many sources. It alone owns the thread pool, the batching of
writes, the lock that CPU-bound stages take turns on, and the process's CPU affinity.

Each source goes through named stages, each testable alone:

    fetch (scrapers.fetch) -> extract (scrapers.extract) -> collapse (detection.health)
        -> follow (detail pages of new list items) -> compare (detection) -> judge (detection)

and its result is recorded (state) in a batch transaction on the calling thread. The CLI, the demo and
the Prefect flows (per batch of sources) all call run_cycle().
"""

from __future__ import annotations

import itertools
import logging
import os
import queue
import threading
import time
import traceback
from collections.abc import Callable, Generator, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Literal, TypeVar

from rulewatch.analysis import AnalysisTask, analyse, carry_details, compare_and_judge, detail_url, warm
from rulewatch.config import Source
from rulewatch.core.errors import FetchError, PartialRender, WriteRefused
from rulewatch.core.model import Change, Document, Item, Verdict
from rulewatch.detection.health import SourceHealth
from rulewatch.detection.volatility import learned_volatile
from rulewatch.scrapers.extract import ExtractOptions, extract
from rulewatch.scrapers.fetch import NotModified, PageFetcher, Validators
from rulewatch.scrapers.request import PLAIN, RequestSpec
from rulewatch.state import EncodedDocument, Recorder, SourceState
from rulewatch.state.recorder import NotModifiedAnswer
from rulewatch.workers import ForkedWorkers, default_count

if TYPE_CHECKING:
    from rulewatch.app import App

log = logging.getLogger("rulewatch.cycle")

# Comparison and judgement (detection, rapidfuzz, the explanation tables) are imported where a page
# first changes, not with this module: most cycles change nothing, and a one-off `rulewatch run`
# of 500 unchanged pages spent a tenth of its time importing them.

DETAIL_CHARS = 4000  # how much of a followed detail page is kept with its item (and its key-date sentences)
# Results are written in batches (one transaction each): per-page transactions cost more than the
# page. A batch is written when it is this big or this old, so alerts still go out promptly.
RECORD_BATCH = 200
RECORD_SECONDS = 1.0
MAX_UNREAD = RECORD_BATCH  # checked sources waiting for the recording thread, at most
STOP_POLL_SECONDS = 0.1  # how often a thread waiting for room looks whether the cycle is stopping

# CPU-bound stages (extraction, comparison, judgement, recording) take turns on this lock. Under the GIL
# only one thread runs Python anyway, but threads interleaving CPU-bound work thrash each other's caches
# and hand the GIL over at every lxml call: measured, extraction in ten threads cost 0.75 ms a page
# against 0.51 ms taking turns. Fetching and database reads stay outside it, so waits still overlap.
# Only this module takes it, and only around a stage that waits for nothing (see _cpu_bound).
_CPU_TURN = threading.Lock()
_pinned = False
_cpus_at_start: frozenset[int] | None = None  # the CPUs this process could use before it kept to one
_T = TypeVar("_T")

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
    encoded: EncodedDocument | None = None  # the document's blob, where analysis made it already


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


def _cpu_bound(stage: Callable[[], _T]) -> _T:
    """Run a CPU-bound stage in its turn. The stage must not wait for another thread's check (that
    check needs the lock too): fetches and database reads happen before or after, never inside."""
    with _CPU_TURN:
        return stage()


def _pin_once(app: App) -> None:
    """Keep the process on one CPU (rulewatch/cpu.py says why), when the settings ask for it and no
    other thread exists yet: threads started before the pin (a Prefect run's) would not follow it."""
    global _pinned, _cpus_at_start
    if _cpus_at_start is None and hasattr(os, "sched_getaffinity"):
        _cpus_at_start = frozenset(os.sched_getaffinity(0))
    if _pinned or not app.settings.one_cpu or threading.active_count() > 1:
        return
    from rulewatch.cpu import stay_on_one_cpu

    stay_on_one_cpu()
    _pinned = True


# ---- stages --------------------------------------------------------------------------------------

def follow(source: Source, document: Document, previous: Document, fetcher: PageFetcher, limit: int,
           request: RequestSpec = PLAIN) -> Document:
    """Attach detail text to new items (fetched, within `limit`) and carry it over for known ones."""
    known = {i.id for i in previous.items}
    document = carry_details(document, previous)
    items: list[Item] = []
    budget = limit if source.follow else 0
    for item in document.items:
        url = detail_url(source, item) if item.id not in known else ""
        if budget > 0 and url:
            budget -= 1
            item = replace(item, detail=_detail_text(url, fetcher, source, request.for_links()))
        items.append(item)
    return replace(document, items=items)


def _detail_text(url: str, fetcher: PageFetcher, source: Source, request: RequestSpec) -> str:
    try:
        resp = fetcher.fetch(url, policy=source.host_policy(fetcher.settings.host_policy),
                             scope=source.fetch_scope(links=True), request=request)
        if isinstance(resp, NotModified):
            return ""
        detail = _cpu_bound(lambda: extract(resp.body, resp.content_type, resp.final_url, ExtractOptions(kind="page")))
    except FetchError as exc:
        log.info("%s: detail page %s not read: %s", source.name, url, exc.describe())
        return ""
    blocks = [b.text for b in detail.blocks]
    if blocks and blocks[0] == detail.title:
        blocks = blocks[1:]  # the heading repeats the item's title
    from rulewatch.detection.dates import kept_with_key_dates

    return kept_with_key_dates("\n".join(blocks), DETAIL_CHARS)


def _suspected_partial(state: SourceState | None) -> bool:
    """Whether the source's last check was a suspected partial render (PartialRender)."""
    return state is not None and state.consecutive_failures > 0 and state.last_error.startswith(
        f"{PartialRender.reason}:")


def check_source(source: Source, state: SourceState | None, app: App, workers: ForkedWorkers | None = None) -> Checked:
    """Fetch, extract, compare and judge one source, given its state as read at the cycle's start; the
    CPU-bound stages run in a worker process when one is idle. Writes nothing."""
    settings = app.settings
    seen = state.last_snapshot_id if state else None
    known = state is not None and seen is not None and state.url == source.url
    validators = Validators(state.etag, state.last_modified) if known and state else None
    try:
        request = source.request(settings.env)
        resp = app.fetcher_for(source).fetch(source.url, validators, source.host_policy(settings.host_policy),
                                             source.fetch_scope(links=False), request)
        if isinstance(resp, NotModified):
            return Checked(source, validators=resp.validators, not_modified=True, seen_snapshot_id=seen)
        # The last snapshot is read only when there is something new to compare it with.
        task = AnalysisTask(source.name, resp.body, resp.content_type, resp.final_url,
                            app.store.snapshots.blob(seen) if known and seen is not None else None,
                            learned_volatile(state.shape_history, state.compares) if state else frozenset(),
                            suspected=_suspected_partial(state))
        analysis = workers.call(task) if workers is not None else None
        if analysis is None:
            analysis = _cpu_bound(lambda: analyse(source, task, app))
    except FetchError as exc:
        return Checked(source, error=exc.describe(), seen_snapshot_id=seen)
    if task.previous_blob is None:
        return Checked(source, document=analysis.document, validators=resp.validators, baseline=True,
                       seen_snapshot_id=seen, encoded=analysis.encoded)
    document, change, verdict, encoded = analysis.document, analysis.change, analysis.verdict, analysis.encoded
    if analysis.needs_details:
        previous = analysis.previous
        assert previous is not None
        document = follow(source, document, previous, app.fetcher_for(source), settings.follow_limit, request)
        change, verdict = _cpu_bound(lambda: compare_and_judge(source, previous, document, task.volatile, app))
    assert change is not None and verdict is not None
    translator = app.translator
    if translator is not None and verdict.findings:  # network IO: outside the CPU turn
        verdict = replace(verdict, findings=[translator.explain(f) for f in verdict.findings])
    return Checked(source, document, change, verdict, resp.validators, seen_snapshot_id=seen, encoded=encoded)


def record_all(recorder: Recorder, batch: list[Checked]) -> list[SourceOutcome]:
    """record() each check in order; a run of 304s is written as one statement when every one of
    those sources is healthy (4 µs a source instead of 17: most of an unchanged cycle's writing)."""
    outcomes: list[SourceOutcome] = []
    for not_modified, run in itertools.groupby(batch, key=lambda checked: checked.not_modified and not checked.error):
        checks = list(run)
        if not_modified and len(checks) > 1:
            recorder.record_not_modified_many([NotModifiedAnswer(
                c.source.name, c.source.url, c.validators.etag, c.validators.last_modified, c.source.channel)
                for c in checks])
            outcomes += [_not_modified(c.source.name) for c in checks]
        else:
            outcomes += [record(recorder, checked) for checked in checks]
    return outcomes


def _not_modified(name: str) -> SourceOutcome:
    return SourceOutcome(name, "not_modified", summary="not modified (304)")


def record(recorder: Recorder, checked: Checked) -> SourceOutcome:
    """Write one check's result: a failure, a 304, or a document with its change and alerts. The health
    notices it earns ("source failing", "recovered") count among its alerts: they go out through the same
    event as the alerts, not on the next delivery round."""
    noticed = len(recorder.notices)
    outcome = _record(recorder, checked)
    notices = recorder.notices[noticed:]
    return replace(outcome, alert_ids=(*outcome.alert_ids, *notices)) if notices else outcome


def _record(recorder: Recorder, checked: Checked) -> SourceOutcome:
    source = checked.source
    if checked.error:
        recorder.record_failure(name=source.name, url=source.url, error=checked.error, channel=source.channel)
        return SourceOutcome(source.name, "failed", error=checked.error)
    if checked.not_modified:
        recorder.record_not_modified(name=source.name, url=source.url, etag=checked.validators.etag,
                                     last_modified=checked.validators.last_modified, channel=source.channel)
        return _not_modified(source.name)
    assert checked.document is not None
    recorded = recorder.record_success(
        name=source.name, url=source.url, document=checked.document, etag=checked.validators.etag,
        last_modified=checked.validators.last_modified, change=checked.change, verdict=checked.verdict,
        channel=source.channel, baseline=checked.baseline, seen_snapshot_id=checked.seen_snapshot_id,
        encoded=checked.encoded,
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


# ---- the cycle -----------------------------------------------------------------------------------

def check_all(sources: list[Source], app: App, workers: ForkedWorkers | None = None,
              late: list[Checked] | None = None) -> Generator[Checked, None, None]:
    """Check sources concurrently (per-host limits live in the fetcher); yield each result as it is ready.
    Stopped early (Ctrl-C), the checks already under way finish and land in `late`, for the caller to
    record: a page fetched is never thrown away, and no source is started after the stop.

    Threads take the next source from one shared list and hand each result over a queue: a
    ThreadPoolExecutor's future per source, waited on with as_completed, cost 40 µs a source, a tenth
    of an unchanged cycle of 5,000."""
    states = {s.name: s for s in app.store.sources.all()}
    _ = app.fetcher  # opened once here, not raced for by the threads
    todo = iter(sources)
    taking = threading.Lock()
    stop = threading.Event()
    results: queue.SimpleQueue[Checked | None] = queue.SimpleQueue()  # None: a thread has finished
    # Results not yet taken by the recording thread: a thread waits before checking another source
    # when there are this many, so a cycle whose writing falls behind (a baseline of thousands of
    # pages, with analysis on other CPUs) does not hold every page in memory meanwhile.
    room: queue.SimpleQueue[None] = queue.SimpleQueue()  # one token per result the reader may fall behind by
    for _ in range(MAX_UNREAD):
        room.put(None)

    def check_until_done() -> None:
        try:
            while not stop.is_set():
                with taking:
                    source = next(todo, None)
                if source is None:
                    return
                while True:
                    try:
                        room.get(timeout=STOP_POLL_SECONDS)
                        break
                    except queue.Empty:
                        if stop.is_set():
                            return
                results.put(_checked(source, states.get(source.name), app, workers))
        finally:
            results.put(None)

    threads = [threading.Thread(target=check_until_done, name=f"rulewatch-check-{n}", daemon=True)
               for n in range(min(app.settings.workers, max(1, len(sources))))]
    for thread in threads:
        thread.start()
    try:
        running = len(threads)
        while running:
            checked = results.get()
            if checked is None:
                running -= 1
            else:
                room.put(None)
                yield checked
    finally:
        # Interrupted (Ctrl-C) or stopped early: sources not started yet are dropped at once, and only
        # the checks under way finish (each within its timeout); the cycle is not fetched to its end.
        stop.set()
        for thread in threads:
            thread.join()
        while late is not None and not results.empty():
            leftover = results.get_nowait()
            if leftover is not None:
                late.append(leftover)


def _checked(source: Source, state: SourceState | None, app: App, workers: ForkedWorkers | None) -> Checked:
    """check_source, where a bug in one source's extraction does not stop the other sources: it is
    recorded as that source's failure with its traceback in the log, and the cycle exits non-zero."""
    try:
        return check_source(source, state, app, workers)
    except Exception as exc:  # noqa: BLE001
        log.error("%s: internal error\n%s", source.name, traceback.format_exc())
        return Checked(source, error=f"internal_error: {type(exc).__name__}: {exc}")


def _write_each(batch: list[Checked], write: Callable[[list[Checked]], list[SourceOutcome]]) -> list[SourceOutcome]:
    """A batch the database refused, written one source at a time: the source whose data it refuses
    is recorded as failed (its result is lost, and said so), and the others keep theirs."""
    outcomes: list[SourceOutcome] = []
    for checked in batch:
        try:
            outcomes += write([checked])
        except WriteRefused as exc:
            log.error("%s: result not recorded: %s (%s)", checked.source.name, exc, exc.__cause__)
            failed = Checked(checked.source, error=f"not_recorded: {exc}", seen_snapshot_id=checked.seen_snapshot_id)
            outcomes += write([failed])
    return outcomes


def _write_feed(app: App, path: Path) -> None:
    """Rewrite the Atom feed file after a cycle that recorded alerts; a feed that cannot be written is
    logged, never a failed cycle (the alerts are safe in the outbox)."""
    from rulewatch.alerts.feed import atom_feed, feed_alerts, write_feed

    try:
        write_feed(path, atom_feed(feed_alerts(app.store), datetime.now(UTC)))
    except OSError as exc:
        log.error("the feed %s was not written: %s", path, exc)


def _start_workers(app: App, sources: list[Source]) -> ForkedWorkers | None:
    """Worker processes for the cycle's analysis (rulewatch.workers), on the CPUs its threads leave
    free; None where there is nothing to gain (one source, one CPU) or forking is not safe here."""
    count = app.settings.analysis_workers
    allowed = _cpus_at_start or frozenset()
    if count is None:
        count = default_count(set(allowed))
    if count < 1 or len(sources) < 2:
        return None
    mine = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else set()
    others = set(allowed) - set(mine)
    by_name = {s.name: s for s in sources}
    workers = ForkedWorkers(lambda task: analyse(by_name[task.source], task, app), count,
                            cpus=others or None, warm=lambda: warm(app))
    return workers if workers.start() else None


def run_cycle(
    app: App, sources: Iterable[Source], on_outcome: Callable[[SourceOutcome], None] | None = None
) -> CycleReport:
    """Check every source (concurrently, politely per host) and record each result as it arrives."""
    _pin_once(app)
    report = CycleReport()
    sources = list(sources)
    pending: list[Checked] = []
    health = SourceHealth(app.settings.failing_after)
    fetcher = app.fetcher
    fetcher.new_cycle()  # the cookies sites set last cycle are forgotten
    _ = app.translator  # its settings errors surface here, before any source runs; so do the tables'
    app.check_tables()
    bytes_before = fetcher.bytes_received
    workers = _start_workers(app, sources)

    def flush() -> None:
        # Sources are written in name order: two runs writing overlapping batches then take the
        # sources' row locks in one order, and cannot deadlock on them.
        ordered = sorted(pending, key=lambda checked: checked.source.name)

        def write(batch: list[Checked]) -> list[SourceOutcome]:
            return app.store.write(lambda recorder: record_all(recorder, batch), health)

        try:
            outcomes = _cpu_bound(lambda: write(ordered))
        except WriteRefused:
            outcomes = _cpu_bound(lambda: _write_each(ordered, write))
        pending.clear()
        report.outcomes.extend(outcomes)
        if on_outcome:
            for outcome in outcomes:
                on_outcome(outcome)

    last_flush = time.monotonic()
    late: list[Checked] = []
    checks = check_all(sources, app, workers, late)
    try:
        for checked in checks:
            pending.append(checked)
            if len(pending) >= RECORD_BATCH or time.monotonic() - last_flush > RECORD_SECONDS:
                flush()
                last_flush = time.monotonic()
    except KeyboardInterrupt:
        checks.close()  # no source starts now; the checks under way finish into `late`
        pending.extend(late)
        if pending:
            log.warning("interrupted: recording the %d check(s) that finished, then stopping", len(pending))
            flush()  # what was checked is kept, not thrown away
        raise
    finally:
        if workers is not None:
            log.info("analysis: %d page(s) analysed in %d worker process(es), %d in this one",
                     workers.calls, workers.started, workers.handed_back)
            workers.close()
    if pending:
        flush()
    report.bytes_received = fetcher.bytes_received - bytes_before
    new_alerts = [i for o in report.outcomes for i in o.alert_ids]
    if new_alerts:
        from rulewatch.lineage import link_finals

        link_finals(app.store, new_alerts)
    if app.settings.feed_file is not None and new_alerts:
        _write_feed(app, app.settings.feed_file)
    order = {s.name: n for n, s in enumerate(sources)}
    report.outcomes.sort(key=lambda o: order[o.name])
    return report
