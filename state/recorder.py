"""Writing one check's result inside a transaction the caller owns (one per source, or one per batch).

A substantive change's snapshot, change row and alerts are written together: they commit together or
not at all, so an alert can never be lost to a crash after its snapshot. The recorder writes what it is
given: the alerts come from detection's verdict, the health notices from the HealthRules it is handed
(detection.health.SourceHealth), asked while the source's row is locked. An alert about a rule is filed
under its rule (state.rules) as it is written."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from rulewatch.core.model import Alert, Change, Document, Finding, Verdict
from rulewatch.core.mute import MUTABLE_KINDS, catching
from rulewatch.state import schema
from rulewatch.state.filing import file_alert
from rulewatch.state.muting import active_mutes
from rulewatch.state.prepared import Prepared, insert_ignoring_duplicates
from rulewatch.state.records import ANY_SNAPSHOT, EncodedDocument, Recorded, alert_row, encode_document, utcnow
from rulewatch.state.search import change_texts, document_texts, record_texts

# Statements are built once and run with parameters: building a Core statement costs several times
# more than running it (SQLAlchemy caches the compiled form of a statement it has seen). Bound
# parameter names start with b_ so they never collide with the column values given at execution.
_S, _V = schema.sources, schema.volatility
_SOURCE_ROW = Prepared(select(_S).where(_S.c.name == bindparam("b_name")))
_SOURCE_ROW_LOCKED = Prepared(select(_S).where(_S.c.name == bindparam("b_name")).with_for_update())
_UPDATE_SOURCE = Prepared(update(_S).where(_S.c.name == bindparam("b_name")))
_UPDATE_HEALTHY_SOURCE = Prepared(update(_S).where(_S.c.name == bindparam("b_name"), _S.c.failing_notified.is_(False)))
_BUMP_SHAPE = Prepared(update(_V).where(_V.c.source == bindparam("b_source"), _V.c.shape == bindparam("b_shape"))
                       .values(changes=_V.c.changes + 1))
_DOCUMENT = Prepared(select(schema.blobs.c.data)
                     .join(schema.snapshots, schema.snapshots.c.blob_hash == schema.blobs.c.hash)
                     .where(schema.snapshots.c.id == bindparam("b_id")))
_INSERT = {t.name: insert(t) for t in schema.metadata.sorted_tables}
_WRITE = {name: Prepared(statement) for name, statement in _INSERT.items()}


class HealthRules(Protocol):
    """Which health notices a source earns (detection.health.SourceHealth); None: no notice."""

    def failing(self, source: str, url: str, failures: int, error: str, notified: bool) -> Finding | None: ...

    def recovered(self, source: str, url: str, failures: int, notified: bool) -> Finding | None: ...


class _Silent:
    """No health notices: for callers that record without a policy (tools, tests)."""

    def failing(self, source: str, url: str, failures: int, error: str, notified: bool) -> Finding | None:
        return None

    def recovered(self, source: str, url: str, failures: int, notified: bool) -> Finding | None:
        return None


@dataclass(frozen=True, slots=True)
class NotModifiedAnswer:
    """A source that answered 304 Not Modified, with the validators to keep."""

    name: str
    url: str
    etag: str
    last_modified: str
    channel: str = ""


def _not_modified_values(name: str, etag: str, last_modified: str, now: str) -> dict[str, Any]:
    return dict(b_name=name, etag=etag, last_modified=last_modified, last_checked_at=now, last_success_at=now,
                consecutive_failures=0, last_error="")


class Recorder:
    """Writes check results on one connection, inside the caller's transaction."""

    def __init__(self, conn: Connection, health: HealthRules | None = None) -> None:
        self.conn = conn
        self.health: HealthRules = health or _Silent()
        self.notices: list[int] = []  # ids of the health notices this transaction put into the outbox

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
        encoded: EncodedDocument | None = None,
    ) -> Recorded:
        """Record a good fetch. With a substantive change, the snapshot, the change and its alerts are
        written in ONE transaction, so an alert can never be lost to a crash after the snapshot.
        `encoded`: `document`'s blob, where the caller made it already (encode_document)."""
        now = now or utcnow()
        state = _lock_source(self.conn, name, url)
        previous = state["last_snapshot_id"] if state else None
        if seen_snapshot_id is not ANY_SNAPSHOT and seen_snapshot_id != previous:
            # Another run recorded this source since we read it: our change is stale. The next
            # check compares against what that run stored.
            _log_check(self.conn, name, now, "superseded", "another run recorded a newer snapshot meanwhile")
            return Recorded("superseded", previous, None, ())
        self._recover(name, url, state, channel, now)
        compares = int(state.get("compares") or 0)
        if baseline or previous is None:
            outcome = "baseline"
        else:
            outcome = "changed" if change is not None and change.substantive else "unchanged"
            compares = _learn(self.conn, name, state, change)
        snapshot_id, change_id = previous, None
        alert_ids: tuple[int, ...] = ()
        if outcome != "unchanged":
            snapshot_id = _insert_snapshot(self.conn, name, document, now, encoded)
            if outcome == "baseline":
                record_texts(self.conn, name, snapshot_id, now, (), document_texts(document), fresh=previous is None)
            elif change is not None:
                gone, came = change_texts(change)
                record_texts(self.conn, name, snapshot_id, now, gone, came)
        if outcome == "changed" and change is not None and verdict is not None and previous is not None:
            assert snapshot_id is not None
            change_id = _WRITE["changes"].insert(self.conn, dict(
                source=name, old_snapshot_id=previous, new_snapshot_id=snapshot_id, detected_at=now,
                summary=change.summary(), relevant=verdict.relevant,
                detail=json.dumps({"change": change.to_json(), "reasons": verdict.reasons}, ensure_ascii=False),
            ))
            alert_ids = tuple(
                _insert_alert(self.conn, name, draft, f"{name}:change:{change_id}:{n}", change_id, channel, now)
                for n, draft in enumerate(verdict.findings)
            )
        _UPDATE_SOURCE.run(self.conn, dict(
            b_name=name, url=url, kind=document.kind, etag=etag, last_modified=last_modified,
            last_snapshot_id=snapshot_id, last_checked_at=now, last_success_at=now,
            consecutive_failures=0, last_error="", compares=compares,
        ))
        detail = (change.summary() if change is not None
                  else f"{len(document.blocks)} blocks, {len(document.items)} items")
        _log_check(self.conn, name, now, outcome, detail)
        return Recorded(outcome, snapshot_id, change_id, alert_ids)

    def record_not_modified(
        self, *, name: str, url: str, etag: str, last_modified: str, now: str | None = None,
        channel: str = "",
    ) -> None:
        now = now or utcnow()
        values = _not_modified_values(name, etag, last_modified, now)
        # The routine case (a healthy source) is one UPDATE; a source announced as failing takes the
        # locked path that also posts its recovery. The check log does not record 304s.
        healthy = _UPDATE_HEALTHY_SOURCE.run(self.conn, values)
        if healthy.rowcount == 1:
            return
        state = _lock_source(self.conn, name, url)
        self._recover(name, url, state, channel, now)
        _UPDATE_SOURCE.run(self.conn, values)

    def record_not_modified_many(self, answers: Sequence[NotModifiedAnswer], now: str | None = None) -> None:
        """record_not_modified for several sources, in the order given: when every one of them is
        healthy (the routine case: an unchanged cycle of thousands of sources), one statement for all;
        otherwise each source as record_not_modified does it (the healthy ones' UPDATE, repeated, sets
        the same values)."""
        now = now or utcnow()
        rows = [_not_modified_values(a.name, a.etag, a.last_modified, now) for a in answers]
        if _UPDATE_HEALTHY_SOURCE.run_many(self.conn, rows) == len(rows):
            return
        for a in answers:
            self.record_not_modified(name=a.name, url=a.url, etag=a.etag, last_modified=a.last_modified, now=now,
                                     channel=a.channel)

    def record_failure(self, *, name: str, url: str, error: str, channel: str = "", now: str | None = None) -> int:
        """Record a failed check (never a snapshot), with the "source failing" notice the health rules
        call for. Returns the number of consecutive failures."""
        now = now or utcnow()
        state = _lock_source(self.conn, name, url)
        failures = (state["consecutive_failures"] if state else 0) + 1
        notified = bool(state and state["failing_notified"])
        notice = self.health.failing(name, url, failures, error, notified)
        if notice is not None:
            self.notices.append(_insert_alert(self.conn, name, notice, f"{name}:failing:{now}", None, channel, now))
            notified = True
        _UPDATE_SOURCE.run(self.conn, dict(
            b_name=name, last_checked_at=now, consecutive_failures=failures, last_error=error[:2000],
            failing_notified=notified,
        ))
        _log_check(self.conn, name, now, "failed", error[:2000])
        return failures

    # ---- the outbox ---------------------------------------------------------------------------

    def add_alerts_once(self, drafts: list[Alert], now: str | None = None) -> int:
        """Put alerts addressed by their makers (reminders, lineage's replies: Alert.entered with their
        own idempotency keys) into the outbox, each once: a key already there is skipped. Returns how
        many were new."""
        now = now or utcnow()
        table = insert_ignoring_duplicates(self.conn.dialect.name, schema.alerts)
        added = 0
        for draft in drafts:
            if not draft.idempotency_key:
                raise ValueError(f"alert {draft.title!r} has no idempotency key to be added once by")
            added += table.run(self.conn, alert_row(replace(draft, detected_at=now))).rowcount
        return added

    def _recover(self, name: str, url: str, state: dict[str, Any], channel: str, now: str) -> None:
        """The "recovered" notice the health rules call for when a check works again."""
        notified = bool(state["failing_notified"])
        notice = self.health.recovered(name, url, state["consecutive_failures"], notified)
        if notice is not None:
            self.notices.append(_insert_alert(self.conn, name, notice, f"{name}:recovered:{now}", None, channel, now))
        if notified:
            _UPDATE_SOURCE.run(self.conn, {"b_name": name, "failing_notified": False})


def read_document(conn: Connection, snapshot_id: int) -> dict[str, Any] | None:
    """The stored blob of a snapshot (the cycle reads one per changed page: the hot path)."""
    return _DOCUMENT.first(conn, {"b_id": snapshot_id})


def _lock_source(conn: Connection, name: str, url: str) -> dict[str, Any]:
    """The source's row, created if missing, and locked for this transaction (a row lock on
    PostgreSQL; SQLite's writer transactions are already exclusive)."""
    query = _SOURCE_ROW_LOCKED if conn.dialect.name == "postgresql" else _SOURCE_ROW
    row = query.first(conn, {"b_name": name})
    if row is None:
        try:
            with conn.begin_nested():
                conn.execute(_INSERT["sources"], {"name": name, "url": url})
        except IntegrityError:
            pass  # another writer created it first; its row (and its lock) are read below
        row = query.first(conn, {"b_name": name})
        assert row is not None, f"source {name!r} neither inserted nor found"
    return row


def _learn(conn: Connection, name: str, state: dict[str, Any], change: Change | None) -> int:
    """Count each block shape that changed in place in the source's history; returns the source's new
    number of comparisons (written with the source's row)."""
    compares = int(state.get("compares") or 0) + 1
    for block_shape in set(change.observed if change else ()):
        updated = _BUMP_SHAPE.run(conn, {"b_source": name, "b_shape": block_shape})
        if updated.rowcount == 0:
            _WRITE["volatility"].run(
                conn, {"source": name, "shape": block_shape, "changes": 1, "first_compare": compares})
    return compares


def _insert_snapshot(conn: Connection, name: str, document: Document, now: str,
                     encoded: EncodedDocument | None = None) -> int:
    """`encoded`: the document's blob, when the caller made it already (encode_document(document))."""
    blob = encoded or encode_document(document)
    # Content is stored once: a blob that exists already (same content, any source) is kept as is.
    insert_ignoring_duplicates(conn.dialect.name, schema.blobs).run(
        conn, {"hash": blob.hash, "data": blob.data, "size": blob.size})
    return _WRITE["snapshots"].insert(conn, dict(
        source=name, blob_hash=blob.hash, taken_at=now, kind=document.kind, title=document.title[:1000],
        blocks=len(document.blocks), items=len(document.items),
    ))


def _insert_alert(conn: Connection, name: str, finding: Finding, key: str, change_id: int | None,
                  channel: str, now: str) -> int:
    """Put a finding into the outbox, under its idempotency key: muted (recorded, never posted) when a
    mute the team set for the source catches it."""
    caught = catching(active_mutes(conn, name), name, finding) if finding.kind in MUTABLE_KINDS else None
    alert = Alert.entered(finding, idempotency_key=key, source=name, change_id=change_id, channel=channel,
                          detected_at=now, muted_by=caught.id if caught else None)
    alert_id = _WRITE["alerts"].insert(conn, alert_row(alert))
    file_alert(conn, alert_id, alert, now)  # the rule it is about knows it in the same transaction
    return alert_id


def _log_check(conn: Connection, name: str, now: str, outcome: str, detail: str) -> None:
    _WRITE["checks"].run(conn, {"source": name, "checked_at": now, "outcome": outcome, "detail": detail})
