"""The only writer of rulewatch's state. A snapshot, its change and its alerts commit together or not at all."""

from __future__ import annotations

import json
import sqlite3
import time
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, create_engine, event, func, insert, or_, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from detection.model import AlertDraft, Change, Verdict
from scrapers.document import Document
from state import schema

SQLITE_BUSY_TIMEOUT_MS = 30_000
SCHEMA_LOCK_ID = 7_104_2026  # pg_advisory_xact_lock key for schema creation
ANY_SNAPSHOT = object()  # record_success without an optimistic check


TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def utcnow() -> str:
    return datetime.now(UTC).strftime(TIME_FORMAT)


@dataclass(frozen=True, slots=True)
class SourceState:
    name: str
    url: str
    etag: str
    last_modified: str
    last_snapshot_id: int | None
    consecutive_failures: int
    last_error: str
    last_checked_at: str | None
    last_success_at: str | None
    failing_notified: bool


@dataclass(frozen=True, slots=True)
class AlertRecord:
    id: int
    idempotency_key: str
    source: str
    kind: str
    title: str
    url: str
    topics: tuple[str, ...]
    matched_terms: tuple[str, ...]
    added: str
    removed: str
    article: str
    subject: str
    channel: str
    detected_at: str
    delivered_at: str | None
    delivered_channel: str | None
    delivered_ts: str | None
    attempts: int
    last_error: str

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "source": self.source,
            "url": self.url,
            "kind": self.kind,
            "title": self.title,
            "topics": list(self.topics),
            "matched_terms": list(self.matched_terms),
            "added": self.added,
            "removed": self.removed,
            "article": self.article,
            "detected_at": self.detected_at,
            "delivered_at": self.delivered_at,
            "channel": self.delivered_channel or self.channel or None,
            "attempts": self.attempts,
            "last_error": self.last_error or None,
        }


@dataclass(frozen=True, slots=True)
class SnapshotRecord:
    id: int
    source: str
    taken_at: str
    kind: str
    title: str
    blocks: int
    items: int
    size: int


@dataclass(frozen=True, slots=True)
class ChangeRecord:
    id: int
    source: str
    old_snapshot_id: int
    new_snapshot_id: int
    detected_at: str
    summary: str
    relevant: bool


@dataclass(frozen=True, slots=True)
class Recorded:
    """What a successful check wrote."""

    outcome: str  # baseline, changed, unchanged
    snapshot_id: int | None
    change_id: int | None
    alert_ids: tuple[int, ...]


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
    if not url.startswith("sqlite"):
        return create_engine(url, pool_pre_ping=True)
    engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000, "check_same_thread": False})
    event.listen(engine, "connect", _sqlite_pragmas)
    if writer:
        def _autocommit_driver(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None  # we issue BEGIN ourselves

        def _begin_immediate(conn: Connection) -> None:
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        event.listen(engine, "connect", _autocommit_driver)
        event.listen(engine, "begin", _begin_immediate)
    return engine


class Store:
    """rulewatch's state in one SQL database (SQLite by default, PostgreSQL by URL)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.writer = make_engine(url, writer=True)
        self.engine = self.writer if not url.startswith("sqlite") else make_engine(url)
        with self.writer.begin() as conn:
            if conn.dialect.name == "postgresql":
                # Two processes starting at once must not both CREATE TABLE: serialise on a lock.
                conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({SCHEMA_LOCK_ID})")
            schema.metadata.create_all(conn)

    def close(self) -> None:
        self.engine.dispose()
        self.writer.dispose()

    def __repr__(self) -> str:
        return f"Store({self.engine.url.render_as_string(hide_password=True)!r})"

    # ---- reading ------------------------------------------------------------------------------------

    def source_state(self, name: str) -> SourceState | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(schema.sources).where(schema.sources.c.name == name)).mappings().first()
        if row is None:
            return None
        return SourceState(
            name=row["name"], url=row["url"], etag=row["etag"], last_modified=row["last_modified"],
            last_snapshot_id=row["last_snapshot_id"], consecutive_failures=row["consecutive_failures"],
            last_error=row["last_error"], last_checked_at=row["last_checked_at"],
            last_success_at=row["last_success_at"], failing_notified=bool(row["failing_notified"]),
        )

    def all_source_states(self) -> list[SourceState]:
        with self.engine.connect() as conn:
            names = [r[0] for r in conn.execute(select(schema.sources.c.name).order_by(schema.sources.c.name))]
        return [s for s in (self.source_state(n) for n in names) if s is not None]

    def document(self, snapshot_id: int) -> Document:
        with self.engine.connect() as conn:
            data = conn.execute(
                select(schema.blobs.c.data)
                .join(schema.snapshots, schema.snapshots.c.blob_hash == schema.blobs.c.hash)
                .where(schema.snapshots.c.id == snapshot_id)
            ).scalar_one()
        return Document.from_bytes(zlib.decompress(data))

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
               source: str | None = None) -> list[AlertRecord]:
        a = schema.alerts
        query = select(a)
        if pending_only:
            query = query.where(a.c.delivered_at.is_(None))
        if source:
            query = query.where(a.c.source == source)
        query = query.order_by(a.c.id.desc() if newest_first else a.c.id)
        if limit:
            query = query.limit(limit)
        with self.engine.connect() as conn:
            return [_alert(r) for r in conn.execute(query).mappings()]

    def thread_of(self, source: str, subject: str, before_id: int) -> AlertRecord | None:
        """The first delivered alert about the same subject: later alerts reply in its thread."""
        a = schema.alerts
        query = (
            select(a)
            .where(a.c.source == source, a.c.subject == subject, a.c.id < before_id, a.c.delivered_ts.is_not(None))
            .order_by(a.c.id)
            .limit(1)
        )
        with self.engine.connect() as conn:
            row = conn.execute(query).mappings().first()
        return _alert(row) if row else None

    def alerts_since(self, since: str) -> list[AlertRecord]:
        a = schema.alerts
        with self.engine.connect() as conn:
            rows = conn.execute(select(a).where(a.c.detected_at >= since).order_by(a.c.id)).mappings()
            return [_alert(r) for r in rows]

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

    def record_success(
        self,
        *,
        name: str,
        url: str,
        document: Document,
        etag: str,
        last_modified: str,
        change: Change | None,
        verdict: Verdict | None,
        channel: str = "",
        baseline: bool = False,
        seen_snapshot_id: int | None | object = ANY_SNAPSHOT,
        now: str | None = None,
    ) -> Recorded:
        """Record a good fetch. With a substantive change, the snapshot, the change and its alerts are
        written in ONE transaction, so an alert can never be lost to a crash after the snapshot."""
        now = now or utcnow()
        with self.writer.begin() as conn:
            state = _lock_source(conn, name, url)
            previous = state["last_snapshot_id"] if state else None
            if seen_snapshot_id is not ANY_SNAPSHOT and seen_snapshot_id != previous:
                # Another run recorded this source since we read it: our change is stale. The next
                # check compares against what that run stored.
                _log_check(conn, name, now, "superseded", "another run recorded a newer snapshot meanwhile")
                return Recorded("superseded", previous, None, ())
            _recover(conn, name, url, state, channel, now)
            if baseline or previous is None:
                outcome = "baseline"
            else:
                outcome = "changed" if change is not None and change.substantive else "unchanged"
            snapshot_id, change_id = previous, None
            alert_ids: tuple[int, ...] = ()
            if outcome != "unchanged":
                snapshot_id = _insert_snapshot(conn, name, document, now)
            if outcome == "changed" and change is not None and verdict is not None and previous is not None:
                assert snapshot_id is not None
                change_id = conn.execute(
                    insert(schema.changes).values(
                        source=name, old_snapshot_id=previous, new_snapshot_id=snapshot_id, detected_at=now,
                        summary=change.summary(), relevant=verdict.relevant,
                        detail=json.dumps({"change": change.to_json(), "reasons": verdict.reasons},
                                          ensure_ascii=False),
                    )
                ).inserted_primary_key[0]  # type: ignore[index]
                alert_ids = tuple(
                    _insert_alert(conn, name, draft, f"{name}:change:{change_id}:{n}", change_id, channel, now)
                    for n, draft in enumerate(verdict.alerts)
                )
            conn.execute(
                update(schema.sources).where(schema.sources.c.name == name).values(
                    url=url, kind=document.kind, etag=etag, last_modified=last_modified,
                    last_snapshot_id=snapshot_id, last_checked_at=now, last_success_at=now,
                    consecutive_failures=0, last_error="",
                )
            )
            detail = (change.summary() if change is not None
                      else f"{len(document.blocks)} blocks, {len(document.items)} items")
            _log_check(conn, name, now, outcome, detail)
        return Recorded(outcome, snapshot_id, change_id, alert_ids)

    def record_not_modified(
        self, *, name: str, url: str, etag: str, last_modified: str, now: str | None = None,
        channel: str = "",
    ) -> None:
        now = now or utcnow()
        with self.writer.begin() as conn:
            state = _lock_source(conn, name, url)
            _recover(conn, name, url, state, channel, now)
            conn.execute(
                update(schema.sources).where(schema.sources.c.name == name).values(
                    etag=etag, last_modified=last_modified, last_checked_at=now, last_success_at=now,
                    consecutive_failures=0, last_error="",
                )
            )
            _log_check(conn, name, now, "not_modified", "")

    def record_failure(
        self, *, name: str, url: str, error: str, notify_after: int = 3, channel: str = "", now: str | None = None
    ) -> int:
        """Record a failed check (never a snapshot). After `notify_after` consecutive failures, one
        "source failing" notice goes into the outbox; nothing more while it stays down.
        Returns the number of consecutive failures."""
        now = now or utcnow()
        with self.writer.begin() as conn:
            state = _lock_source(conn, name, url)
            failures = (state["consecutive_failures"] if state else 0) + 1
            notified = bool(state and state["failing_notified"])
            if failures >= notify_after and not notified:
                draft = AlertDraft(kind="source_failing", title=name, url=url, topics=(), matched_terms=(),
                                   added=f"{failures} consecutive checks failed; the last error: {error[:500]}",
                                   subject=f"health:{name}")
                _insert_alert(conn, name, draft, f"{name}:failing:{now}", None, channel, now)
                notified = True
            conn.execute(
                update(schema.sources).where(schema.sources.c.name == name).values(
                    last_checked_at=now, consecutive_failures=failures, last_error=error[:2000],
                    failing_notified=notified,
                )
            )
            _log_check(conn, name, now, "failed", error[:2000])
        return failures

    def mark_delivered(self, alert_id: int, *, channel: str, ts: str, now: str | None = None) -> None:
        a = schema.alerts
        with self.writer.begin() as conn:
            conn.execute(
                update(a).where(a.c.id == alert_id, a.c.delivered_at.is_(None)).values(
                    delivered_at=now or utcnow(), delivered_channel=channel, delivered_ts=ts, last_error=""
                )
            )

    def claim(self, alert_id: int, lease_seconds: float) -> bool:
        """Take the right to send a pending alert for `lease_seconds`, and count the attempt before it is
        made (see alerts.deliver). False when it was delivered or another sender holds the lease."""
        a = schema.alerts
        now = datetime.now(UTC)
        until = (now + timedelta(seconds=lease_seconds)).strftime(TIME_FORMAT)
        with self.writer.begin() as conn:
            result = conn.execute(
                update(a)
                .where(a.c.id == alert_id, a.c.delivered_at.is_(None),
                       or_(a.c.claimed_until.is_(None), a.c.claimed_until < now.strftime(TIME_FORMAT)))
                .values(attempts=a.c.attempts + 1, claimed_until=until)
            )
            return bool(result.rowcount == 1)

    def release(self, alert_id: int, error: str) -> None:
        """Give a claimed alert back after a failed attempt, with the reason."""
        a = schema.alerts
        with self.writer.begin() as conn:
            conn.execute(update(a).where(a.c.id == alert_id).values(last_error=error[:1000], claimed_until=None))


def _lock_source(conn: Connection, name: str, url: str) -> dict[str, Any]:
    """The source's row, created if missing, and locked for this transaction (a row lock on
    PostgreSQL; SQLite's writer transactions are already exclusive)."""
    query = select(schema.sources).where(schema.sources.c.name == name)
    if conn.dialect.name == "postgresql":
        query = query.with_for_update()
    row = conn.execute(query).mappings().first()
    if row is None:
        try:
            with conn.begin_nested():
                conn.execute(insert(schema.sources).values(name=name, url=url))
        except IntegrityError:
            pass  # another writer created it first; its row (and its lock) are read below
        row = conn.execute(query).mappings().one()
    return dict(row)


def _recover(conn: Connection, name: str, url: str, state: dict[str, Any] | None, channel: str, now: str) -> None:
    """One "recovered" notice when a source that was announced as failing works again."""
    if not state or not state["failing_notified"]:
        return
    draft = AlertDraft(kind="source_recovered", title=name, url=url, topics=(), matched_terms=(),
                       added=f"checks work again after {state['consecutive_failures']} failures",
                       subject=f"health:{name}")
    _insert_alert(conn, name, draft, f"{name}:recovered:{now}", None, channel, now)
    conn.execute(update(schema.sources).where(schema.sources.c.name == name).values(failing_notified=False))


def _insert_snapshot(conn: Connection, name: str, document: Document, now: str) -> int:
    raw = document.canonical_bytes()
    digest = document.digest()
    exists = conn.execute(select(schema.blobs.c.hash).where(schema.blobs.c.hash == digest)).first()
    if not exists:
        try:
            with conn.begin_nested():
                conn.execute(insert(schema.blobs).values(hash=digest, data=zlib.compress(raw, 6), size=len(raw)))
        except IntegrityError:
            pass  # the same content stored concurrently
    return int(
        conn.execute(
            insert(schema.snapshots).values(
                source=name, blob_hash=digest, taken_at=now, kind=document.kind, title=document.title[:1000],
                blocks=len(document.blocks), items=len(document.items),
            )
        ).inserted_primary_key[0]  # type: ignore[index]
    )


def _insert_alert(conn: Connection, name: str, draft: AlertDraft, key: str, change_id: int | None,
                  channel: str, now: str) -> int:
    return int(
        conn.execute(
            insert(schema.alerts).values(
                idempotency_key=key, source=name, change_id=change_id, kind=draft.kind, title=draft.title,
                url=draft.url, topics=json.dumps(list(draft.topics)),
                matched_terms=json.dumps(list(draft.matched_terms), ensure_ascii=False),
                added=draft.added, removed=draft.removed, article=draft.article, subject=draft.subject,
                channel=channel, detected_at=now,
            )
        ).inserted_primary_key[0]  # type: ignore[index]
    )


def _log_check(conn: Connection, name: str, now: str, outcome: str, detail: str) -> None:
    conn.execute(insert(schema.checks).values(source=name, checked_at=now, outcome=outcome, detail=detail))


def _alert(row: Any) -> AlertRecord:
    return AlertRecord(
        id=row["id"], idempotency_key=row["idempotency_key"], source=row["source"], kind=row["kind"],
        title=row["title"], url=row["url"], topics=tuple(json.loads(row["topics"])),
        matched_terms=tuple(json.loads(row["matched_terms"])), added=row["added"], removed=row["removed"],
        article=row["article"], subject=row["subject"], channel=row["channel"], detected_at=row["detected_at"],
        delivered_at=row["delivered_at"], delivered_channel=row["delivered_channel"],
        delivered_ts=row["delivered_ts"], attempts=row["attempts"], last_error=row["last_error"],
    )
