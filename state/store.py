"""The only writer of rulewatch's state. A snapshot, its change and its alerts commit together or not at all."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import Engine, create_engine, delete, event, func, insert, select, update
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import (
    ArgumentError,
    DBAPIError,
    IntegrityError,
    NoSuchModuleError,
)

from rulewatch.core.errors import StateError, WriteRefused
from rulewatch.core.model import Alert, Document
from rulewatch.state import migrate, schema
from rulewatch.state.prepared import insert_ignoring_duplicates, storable_params
from rulewatch.state.recorder import HealthRules, Recorder, read_document
from rulewatch.state.records import (
    TIME_FORMAT,
    AlertHead,
    ChangeRecord,
    DeliveryRecord,
    Recorded,
    SinkDelivery,
    SnapshotRecord,
    SourceState,
    alert_from_row,
    stored_document,
    utcnow,
)
from rulewatch.state.rules import Rules, file_recorded, link
from rulewatch.state.search import (
    DEFAULT_SEARCH_LIMIT,
    SearchHit,
    catch_up,
    rebuild_index,
    replay_texts,
    search,
    unindexed_sources,
)

SQLITE_BUSY_TIMEOUT_MS = 30_000
# Connections kept open: a cycle's threads (RULEWATCH_WORKERS, 16 by default) each read their source's
# last snapshot, and a connection opened per page costs more than the read (SQLite's set-up pragmas,
# PostgreSQL's handshake).
SUPPORTED_URLS = ("sqlite", "postgresql")
# Two writers can deadlock on PostgreSQL (rows locked in different orders); the database aborts one.
RETRYABLE_SQLSTATES = frozenset({"40P01", "40001"})  # deadlock detected, serialization failure
# Data exceptions (class 22: too long, bad encoding, NUL) and integrity violations (23) that one row's
# data causes: the rest of its batch can be written without it.
DATA_SQLSTATE_CLASSES = frozenset({"22", "23"})
WRITE_RETRIES = 3
IN_LIST_MAX = 500  # ids per IN (...) list
WRITE_RETRY_PAUSE = 0.05  # seconds, times the attempt
POOL_SIZE = 16
POOL_OVERFLOW = 16

_D = schema.deliveries
_T = TypeVar("_T")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    # WAL is a property of the file: switch once. The switch needs a moment alone with the file, and
    # SQLite answers "locked" without waiting when another process is creating it at the same time.
    for _ in range(100):
        if cursor.execute("PRAGMA journal_mode").fetchone()[0].lower() == "wal":
            break
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
        except sqlite3.OperationalError:
            time.sleep(0.05)
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def make_engine(url: str, *, writer: bool = False) -> Engine:
    """An engine for `url`. On SQLite a writer engine starts every transaction with BEGIN IMMEDIATE,
    so two cycles never interleave a read-then-write of the same source (readers are never blocked:
    WAL)."""
    sqlite = url.startswith("sqlite")
    if sqlite:
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000, "check_same_thread": False},
                               pool_size=POOL_SIZE, max_overflow=POOL_OVERFLOW)
    else:
        engine = create_engine(url, pool_pre_ping=True, pool_size=POOL_SIZE, max_overflow=POOL_OVERFLOW)
    event.listen(engine, "before_cursor_execute", _storable_text, retval=True)
    if not sqlite:
        return engine
    event.listen(engine, "connect", _sqlite_pragmas)
    if writer:
        def _autocommit_driver(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None  # we issue BEGIN ourselves

        def _begin_immediate(conn: Connection) -> None:
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        event.listen(engine, "connect", _autocommit_driver)
        event.listen(engine, "begin", _begin_immediate)
    return engine


def _storable_text(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any,
                   executemany: bool) -> tuple[str, Any]:
    """Every string SQLAlchemy sends the database made storable (no NUL): scraped text reaches every
    table, and one NUL would fail a PostgreSQL batch (SQLite would keep it, to show up later)."""
    return statement, storable_params(parameters)


class Store:
    """rulewatch's state in one SQL database (SQLite by default, PostgreSQL by URL)."""

    def __init__(self, url: str) -> None:
        self.url = url
        if not url.startswith(SUPPORTED_URLS):
            raise StateError(f"RULEWATCH_DATABASE_URL: rulewatch keeps its state in SQLite or PostgreSQL, "
                             f"e.g. postgresql+psycopg://user@host/rulewatch (got {_shown(url)})")
        try:
            self.writer = make_engine(url, writer=True)
        except ImportError as exc:  # the driver is an extra
            raise StateError(f"RULEWATCH_DATABASE_URL names PostgreSQL, whose driver is not installed ({exc}): "
                             "pip install 'rulewatch[postgres]' (`make` installs it)") from exc
        except (ArgumentError, NoSuchModuleError) as exc:
            raise StateError(f"RULEWATCH_DATABASE_URL is not a database URL rulewatch can use ({exc}); "
                             "e.g. postgresql+psycopg://user@host/rulewatch") from exc
        self.engine = self.writer if not url.startswith("sqlite") else make_engine(url)
        try:
            self.schema_before, self.schema_action = migrate.prepare(self.engine, self.writer)
        except DBAPIError as exc:  # unreachable, refused, locked, read-only, or not a database at all
            self.close()
            hint = ""
            if "not a database" in str(exc.orig) or "malformed" in str(exc.orig):
                hint = "; the file is damaged or is not rulewatch's: move it away to start afresh (its history is lost)"
            raise StateError(f"cannot open the database {_shown(url)} (RULEWATCH_DATABASE_URL): "
                             f"{str(exc.orig).strip().splitlines()[0] if exc.orig else exc}{hint}") from exc
        except BaseException:
            self.close()
            raise
        self.rules = Rules(self.engine)

    def close(self) -> None:
        self.engine.dispose()
        self.writer.dispose()

    def __repr__(self) -> str:
        return f"Store({self.engine.url.render_as_string(hide_password=True)!r})"

    # ---- reading ------------------------------------------------------------------------------------

    def source_state(self, name: str) -> SourceState | None:
        """One source's state with its block-shape history, or None before its first check."""
        v = schema.volatility
        with self.engine.connect() as conn:
            row = conn.execute(select(schema.sources).where(schema.sources.c.name == name)).mappings().first()
            history = conn.execute(select(v.c.shape, v.c.changes, v.c.first_compare).where(v.c.source == name)).all()
        return _source_state(row, [(s, c, f) for s, c, f in history]) if row is not None else None

    def all_source_states(self) -> list[SourceState]:
        """Every source's state with its block-shape history, in two queries (a cycle reads them all
        up front)."""
        v = schema.volatility
        with self.engine.connect() as conn:
            rows = conn.execute(select(schema.sources).order_by(schema.sources.c.name)).mappings().all()
            shapes: dict[str, list[tuple[str, int, int]]] = {}
            for source, shape, changes, first in conn.execute(
                    select(v.c.source, v.c.shape, v.c.changes, v.c.first_compare)):
                shapes.setdefault(source, []).append((shape, changes, first))
        return [_source_state(row, shapes.get(row["name"], ())) for row in rows]

    def document(self, snapshot_id: int) -> Document:
        return stored_document(self.snapshot_blob(snapshot_id))

    def snapshot_blob(self, snapshot_id: int) -> bytes:
        """A snapshot's document as stored (stored_document() reads it): what a cycle's analysis
        worker decodes itself, off the thread that fetched the page."""
        with self.engine.connect() as conn:
            row = read_document(conn, snapshot_id)
        if row is None:
            raise KeyError(f"no snapshot {snapshot_id}")
        return bytes(row["data"])

    def latest_document(self, name: str) -> Document | None:
        state = self.source_state(name)
        if state is None or state.last_snapshot_id is None:
            return None
        return self.document(state.last_snapshot_id)

    def snapshots(self, name: str) -> list[SnapshotRecord]:
        s, b = schema.snapshots, schema.blobs
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(s, b.c.size).join(b, b.c.hash == s.c.blob_hash).where(s.c.source == name).order_by(s.c.id)
            ).mappings()
            return [SnapshotRecord(r["id"], r["source"], r["taken_at"], r["kind"], r["title"], r["blocks"],
                                   r["items"], r["size"]) for r in rows]

    def changes(self, name: str) -> list[ChangeRecord]:
        c = schema.changes
        with self.engine.connect() as conn:
            rows = conn.execute(select(c).where(c.c.source == name).order_by(c.c.id)).mappings()
            return [ChangeRecord(r["id"], r["source"], r["old_snapshot_id"], r["new_snapshot_id"],
                                 r["detected_at"], r["summary"], bool(r["relevant"])) for r in rows]

    def alerts(self, *, pending_only: bool = False, newest_first: bool = True, limit: int | None = None,
               source: str | None = None) -> list[Alert]:
        a = schema.alerts
        query = select(a)
        if pending_only:
            query = query.where(a.c.delivered_at.is_(None))
        if source:
            query = query.where(a.c.source == source)
        query = query.order_by(a.c.id.desc() if newest_first else a.c.id)
        if limit is not None:
            query = query.limit(limit)
        with self.engine.connect() as conn:
            return [alert_from_row(r) for r in conn.execute(query).mappings()]

    def pending_count(self) -> int:
        """How many alerts wait in the outbox (not yet taken by every sink)."""
        a = schema.alerts
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(a).where(a.c.delivered_at.is_(None))).scalar()
                       or 0)

    def alerts_by_id(self, ids: list[int]) -> list[Alert]:
        """These alerts, oldest first (a cycle's new ones, without reading the whole outbox)."""
        a = schema.alerts
        found: list[Alert] = []
        with self.engine.connect() as conn:
            for chunk in _chunks(ids):
                found += [alert_from_row(r) for r in conn.execute(select(a).where(a.c.id.in_(chunk))).mappings()]
        return sorted(found, key=lambda alert: alert.outbox_id)

    def thread_of(self, source: str, subject: str, before_id: int, sink: str) -> tuple[str, str] | None:
        """(channel, ts) of the first message `sink` posted about the same subject: later alerts reply
        in its thread."""
        a = schema.alerts
        query = (
            select(_D.c.channel, _D.c.ts).join(a, a.c.id == _D.c.alert_id)
            .where(a.c.source == source, a.c.subject == subject, a.c.id < before_id, _D.c.sink == sink,
                   _D.c.ts != "")
            .order_by(a.c.id)
            .limit(1)
        )
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
        return (row[0], row[1]) if row else None

    def search(self, query: str, *, source: str = "", since: str = "", limit: int = DEFAULT_SEARCH_LIMIT
               ) -> list[SearchHit]:
        """Texts of every stored version that hold `query`, with when each appeared and went."""
        if self.writer.dialect.name == "sqlite":  # PostgreSQL's trigram index needs no catching up
            self.write(lambda recorder: catch_up(recorder.conn))
        with self.engine.connect() as conn:
            return search(conn, query, source=source, since=since, limit=limit)

    def unindexed_sources(self, source: str = "") -> list[str]:
        """Sources (or only `source`) whose early versions search cannot find yet (stored before schema
        0004)."""
        with self.engine.connect() as conn:
            return unindexed_sources(conn, source)

    def reindex_search(self, sources: Iterable[str] | None = None) -> tuple[int, int]:
        """Rebuild the search rows of these sources (default: every source with a stored version) from
        their snapshots, one transaction per source; returns (sources, versions) replayed."""
        s, b = schema.snapshots, schema.blobs
        if sources is None:
            with self.engine.connect() as conn:
                sources = [row[0] for row in conn.execute(select(s.c.source).distinct().order_by(s.c.source))]
        done = versions = 0
        for name in sources:
            def replay(recorder: Recorder, name: str = name) -> int:
                # Fetched whole before the rows are rewritten on the same connection; one source's
                # versions at a time, each decompressed only as it is replayed.
                stored = recorder.conn.execute(select(s.c.id, s.c.taken_at, b.c.data).join(b, b.c.hash == s.c.blob_hash)
                                               .where(s.c.source == name).order_by(s.c.id)).all()
                return replay_texts(recorder.conn, name, ((row[0], row[1], stored_document(row[2])) for row in stored))
            versions += self.write(replay)
            done += 1
        self.write(lambda recorder: rebuild_index(recorder.conn))
        return done, versions

    # ---- lineage ----------------------------------------------------------------------------------

    def alert_document(self, alert: Alert) -> Document | None:
        """The document an alert was raised on: the snapshot its change recorded."""
        if alert.change_id is None:
            return None
        c = schema.changes
        with self.engine.connect() as conn:
            snapshot_id = conn.execute(select(c.c.new_snapshot_id).where(c.c.id == alert.change_id)).scalar()
        return self.document(snapshot_id) if snapshot_id is not None else None

    def alert_heads(self, ids: list[int]) -> list[AlertHead]:
        """These alerts' heads (kind, title, severity reasons, rule ids), oldest first."""
        found: list[AlertHead] = []
        with self.engine.connect() as conn:
            for chunk in _chunks(ids):
                found += _heads(conn, _HEAD.where(schema.alerts.c.id.in_(chunk)))
        return sorted(found, key=lambda head: head.outbox_id)

    def add_lineage(self, draft_id: int, final_id: int, score: float, method: str, reply: Alert) -> bool:
        """Link a final to its draft and put the draft thread's reply in the outbox, in one transaction;
        False (and nothing written) when the pair was linked before."""
        def write(recorder: Recorder) -> bool:
            row = {"draft_alert_id": draft_id, "final_alert_id": final_id, "score": score, "method": method,
                   "linked_at": utcnow()}
            added = insert_ignoring_duplicates(recorder.conn.dialect.name, schema.lineage).run(recorder.conn, row)
            if added.rowcount != 1:
                return False
            link(recorder.conn, draft_id, final_id)  # the final's rule is the draft's from now on
            recorder.add_alerts_once([reply])
            return True
        return self.write(write)

    def lineage(self) -> list[dict[str, Any]]:
        """Every link, oldest first: draft and final alert ids, score, method, when."""
        t = schema.lineage
        with self.engine.connect() as conn:
            return [dict(r) for r in conn.execute(select(t).order_by(t.c.id)).mappings()]

    def add_alerts_once(self, drafts: list[Alert]) -> int:
        """Alerts with their own idempotency keys into the outbox, each once (Recorder.add_alerts_once)."""
        return self.write(lambda recorder: recorder.add_alerts_once(drafts))

    def file_recorded(self, filed: Iterable[tuple[int, Alert]], links: Iterable[tuple[int, int]]) -> int:
        """File the alerts recorded before rules under their rules, with their lineage links, in one
        transaction (state.rules.file_recorded)."""
        return self.write(lambda recorder: file_recorded(recorder.conn, filed, links))

    def alerts_with_key_dates(self) -> list[Alert]:
        """Alerts that name key dates, oldest first (the deadline radar reads each rule's latest), but
        reminders, which repeat one of them, and a final's reply in its draft's thread, which repeats the
        final's (filed under the draft, it would hide the draft's own dates)."""
        a = schema.alerts
        query = select(a).where(a.c.key_dates != "[]",
                                a.c.kind.not_in(("deadline_reminder", "final_published"))).order_by(a.c.id)
        with self.engine.connect() as conn:
            rows = conn.execute(query).mappings()
            return [alert_from_row(r) for r in rows]

    def alerts_since(self, since: str) -> list[Alert]:
        a = schema.alerts
        with self.engine.connect() as conn:
            rows = conn.execute(select(a).where(a.c.detected_at >= since).order_by(a.c.id)).mappings()
            return [alert_from_row(r) for r in rows]

    def digest_posted(self, channel: str, day: str) -> bool:
        d = schema.digests
        with self.engine.connect() as conn:
            return conn.execute(select(d.c.day).where(d.c.channel == channel, d.c.day == day)).first() is not None

    def mark_digest(self, channel: str, day: str, ts: str) -> None:
        with self.writer.begin() as conn:
            try:
                with conn.begin_nested():
                    conn.execute(insert(schema.digests).values(channel=channel, day=day, posted_at=utcnow(), ts=ts))
            except IntegrityError:
                pass  # posted by a concurrent run

    def recent_checks(self, name: str, limit: int = 20) -> list[tuple[str, str, str]]:
        c = schema.checks
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(c.c.checked_at, c.c.outcome, c.c.detail)
                .where(c.c.source == name)
                .order_by(c.c.id.desc())
                .limit(limit)
            )
            return [(r[0], r[1], r[2]) for r in rows]

    def count_rows(self) -> dict[str, int]:
        with self.engine.connect() as conn:
            return {
                t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
                for t in schema.metadata.sorted_tables
            }

    # ---- writing ------------------------------------------------------------------------------------

    def record_success(self, health: HealthRules | None = None, **kwargs: Any) -> Recorded:
        """Record a good fetch (see Recorder.record_success) in its own transaction."""
        with self.batch(health) as recorder:
            return recorder.record_success(**kwargs)

    def record_not_modified(self, health: HealthRules | None = None, **kwargs: Any) -> None:
        with self.batch(health) as recorder:
            recorder.record_not_modified(**kwargs)

    def record_failure(self, health: HealthRules | None = None, **kwargs: Any) -> int:
        with self.batch(health) as recorder:
            return recorder.record_failure(**kwargs)

    def write(self, records: Callable[[Recorder], _T], health: HealthRules | None = None) -> _T:
        """`records(recorder)` in one transaction. A transaction PostgreSQL aborted to break a deadlock
        (or a serialization failure) with another writer is run again, whole: it was rolled back, so
        nothing is written twice. Data the database refuses (too long, malformed) raises WriteRefused,
        so the caller can write the others without it. Other errors propagate."""
        for attempt in range(WRITE_RETRIES + 1):
            try:
                with self.batch(health) as recorder:
                    return records(recorder)
            except _database_errors(self.writer.dialect.name) as exc:
                state = _sqlstate(exc)
                if state[:2] in DATA_SQLSTATE_CLASSES:
                    raise WriteRefused(f"the database refused the data (SQLSTATE {state})") from exc
                if attempt == WRITE_RETRIES or state not in RETRYABLE_SQLSTATES:
                    # Locked past the busy timeout, read-only, a full disk, a lost server: nothing of
                    # this batch was written; say so in one line (the CLI exits 2, the flow fails).
                    why = str(getattr(exc, "orig", None) or exc).strip().splitlines() or [type(exc).__name__]
                    raise StateError(f"cannot write to the database {_shown(self.url)}: {why[0]}; "
                                     "nothing of this batch was recorded") from exc
                time.sleep(WRITE_RETRY_PAUSE * (attempt + 1))
        raise AssertionError("unreachable")

    @contextmanager
    def batch(self, health: HealthRules | None = None) -> Iterator[Recorder]:
        """One transaction for many sources' results (a cycle writes in batches, not per page), with
        the health notices `health` calls for (none without it)."""
        with self.writer.begin() as conn:
            yield Recorder(conn, health)

    def claim(self, alert_id: int, lease_seconds: float, sink: str) -> bool:
        """Take the right to send a pending alert to `sink` for `lease_seconds`, and count the attempt
        before it is made (see alerts.deliver). False when the alert was delivered, or another sender
        holds the lease."""
        return (alert_id, sink) in self.claim_many([(alert_id, sink)], lease_seconds)

    def claim_many(self, pairs: Sequence[tuple[int, str]], lease_seconds: float) -> set[tuple[int, str]]:
        """claim() for several (alert id, sink) pairs in one transaction: the pairs this sender now holds."""
        now = datetime.now(UTC)
        at, until = now.strftime(TIME_FORMAT), (now + timedelta(seconds=lease_seconds)).strftime(TIME_FORMAT)
        with self.batch() as recorder:
            return {(alert_id, sink) for alert_id, sink in pairs if recorder.claim_delivery(alert_id, sink, at, until)}

    def release(self, alert_id: int, error: str, sink: str) -> None:
        """Give a claimed alert back after a failed attempt to send it to `sink`, with the reason."""
        with self.batch() as recorder:
            recorder.release_delivery(alert_id, sink, error)

    def release_unattempted(self, pairs: Sequence[tuple[int, str]]) -> None:
        """Give back claimed (alert id, sink) pairs that were never sent (their channel stopped before
        their turn): the lease ends and the attempt counted by the claim is taken back."""
        with self.batch() as recorder:
            for alert_id, sink in pairs:
                recorder.unclaim_delivery(alert_id, sink)

    def mark_delivered(self, alert_id: int, *, sink: str, channel: str, ts: str,
                       sinks: tuple[str, ...] = ()) -> bool:
        """`sink` accepted the alert (in `channel`, as message `ts` where it has one). When every one of
        `sinks` (the configured ones, in order; just `sink` when empty) has it now, the alert leaves the
        outbox in the same transaction, shown as delivered where the first sink put it: True then.
        Decided on the locked alert row, so two senders each finishing one sink cannot both miss it."""
        return bool(self.mark_many([SinkDelivery(alert_id, sink, channel, ts)], sinks or (sink,)))

    def mark_many(self, deliveries: Sequence[SinkDelivery], sinks: tuple[str, ...]) -> list[int]:
        """mark_delivered() for several deliveries in one transaction, each alert's sinks `sinks`: the
        alerts that left the outbox, in the order given."""
        with self.batch() as recorder:
            now = utcnow()
            for d in deliveries:
                recorder.mark_delivery(d.alert_id, d.sink, d.channel, d.ts, now)
            ids = list(dict.fromkeys(d.alert_id for d in deliveries))
            return [alert_id for alert_id in ids if recorder.complete_if_all(alert_id, sinks, now)]

    def complete(self, alert_id: int, *, channel: str, ts: str) -> None:
        """Every sink has the alert (from earlier runs): it leaves the outbox."""
        with self.batch() as recorder:
            recorder.complete_delivery(alert_id, channel, ts, utcnow())

    def resend(self, alert_ids: list[int]) -> list[int]:
        """Put delivered alerts back in the outbox, for every sink to send again as new messages.
        Returns the ids that exist."""
        a = schema.alerts
        with self.writer.begin() as conn:
            found = sorted(r[0] for r in conn.execute(select(a.c.id).where(a.c.id.in_(alert_ids))))
            conn.execute(delete(_D).where(_D.c.alert_id.in_(found)))
            conn.execute(update(a).where(a.c.id.in_(found)).values(
                delivered_at=None, delivered_channel=None, delivered_ts=None, attempts=0, last_error=""))
        return found

    def deliveries(self, alert_ids: list[int]) -> dict[tuple[int, str], DeliveryRecord]:
        """What each sink did with these alerts so far, by (alert id, sink)."""
        found: dict[tuple[int, str], DeliveryRecord] = {}
        with self.engine.connect() as conn:
            for chunk in _chunks(alert_ids):
                for r in conn.execute(select(_D).where(_D.c.alert_id.in_(chunk))).mappings():
                    found[(r["alert_id"], r["sink"])] = DeliveryRecord(
                        r["alert_id"], r["sink"], r["channel"], r["ts"], r["delivered_at"], r["attempts"],
                        r["last_error"])
        return found


def _database_errors(dialect: str) -> tuple[type[BaseException], ...]:
    """Database errors as they come: wrapped by SQLAlchemy, or raw from the driver's cursor (the
    recorder's prepared statements). psycopg is imported only where it is in use already."""
    if dialect != "postgresql":
        return (DBAPIError, sqlite3.Error)
    from psycopg import Error as PsycopgError

    return (DBAPIError, PsycopgError)


def _chunks(ids: list[int]) -> Iterator[list[int]]:
    """`ids` in slices of at most IN_LIST_MAX: IN lists stay within what every database takes."""
    for start in range(0, len(ids), IN_LIST_MAX):
        yield ids[start:start + IN_LIST_MAX]


def _sqlstate(exc: BaseException) -> str:
    """The SQLSTATE of a database error, wrapped by SQLAlchemy or raw from the driver's cursor."""
    return str(getattr(getattr(exc, "orig", None) or exc, "sqlstate", "") or "")


def _shown(url: str) -> str:
    """A database URL fit for a message: its password hidden."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "an unparsable URL"


def _source_state(row: Any, shape_history: Iterable[tuple[str, int, int]] = ()) -> SourceState:
    return SourceState(
        name=row["name"], url=row["url"], etag=row["etag"], last_modified=row["last_modified"],
        last_snapshot_id=row["last_snapshot_id"], consecutive_failures=row["consecutive_failures"],
        last_error=row["last_error"], last_checked_at=row["last_checked_at"],
        last_success_at=row["last_success_at"], failing_notified=bool(row["failing_notified"]),
        compares=row["compares"] or 0, shape_history=tuple(sorted(shape_history)),
    )


_HEAD = select(schema.alerts.c.id, schema.alerts.c.kind, schema.alerts.c.title, schema.alerts.c.severity_reasons,
               schema.alerts.c.rule_ids)


def _heads(conn: Connection, query: Any) -> list[AlertHead]:
    return [AlertHead(r[0], r[1], r[2], tuple(json.loads(r[3])), tuple(json.loads(r[4])))
            for r in conn.execute(query)]
