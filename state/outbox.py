"""The outbox and its deliveries: the alerts waiting for every sink, who holds the right to send each,
what each sink did with it, and the daily digests posted. Its statements, the per-alert ones run in
every delivery window included, are this module's.

An alert is claimed (its attempt counted) before it is sent and marked after, one short transaction
each (alerts.deliver decides the windows); it leaves the outbox once every configured sink has it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import bindparam, delete, exists, func, insert, or_, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from rulewatch.core.model import Alert
from rulewatch.state import schema
from rulewatch.state.prepared import Prepared, insert_ignoring_duplicates
from rulewatch.state.records import TIME_FORMAT, DeliveryRecord, SinkDelivery, alert_from_row, chunks, utcnow

if TYPE_CHECKING:
    from rulewatch.state.database import Database

_A, _D = schema.alerts, schema.deliveries
# The per-alert writes (one set per alert and sink in every delivery window), built once.
_ONE_DELIVERY = (_D.c.alert_id == bindparam("b_id"), _D.c.sink == bindparam("b_sink"))
_CLAIM = Prepared(
    update(_D)
    .where(*_ONE_DELIVERY, _D.c.delivered_at.is_(None),
           or_(_D.c.claimed_until.is_(None), _D.c.claimed_until < bindparam("b_now")),
           exists().where(_A.c.id == bindparam("b_id"), _A.c.delivered_at.is_(None), _A.c.muted_by.is_(None)))
    .values(attempts=_D.c.attempts + 1, claimed_until=bindparam("b_until")))
_COUNT_ATTEMPT = Prepared(update(_A).where(_A.c.id == bindparam("b_id")).values(attempts=_A.c.attempts + 1))
_UNCLAIM = Prepared(update(_D).where(*_ONE_DELIVERY, _D.c.delivered_at.is_(None), _D.c.attempts > 0)
                    .values(attempts=_D.c.attempts - 1, claimed_until=None))
_UNCOUNT_ATTEMPT = Prepared(update(_A).where(_A.c.id == bindparam("b_id"), _A.c.attempts > 0)
                            .values(attempts=_A.c.attempts - 1))
_UPDATE_DELIVERY = Prepared(update(_D).where(*_ONE_DELIVERY))
_MARK_DELIVERY = Prepared(update(_D).where(*_ONE_DELIVERY, _D.c.delivered_at.is_(None)))
_UPDATE_ALERT = Prepared(update(_A).where(_A.c.id == bindparam("b_id")))
_COMPLETE = Prepared(update(_A).where(_A.c.id == bindparam("b_id"), _A.c.delivered_at.is_(None)))
_LOCK_ALERT = Prepared(select(_A.c.id).where(_A.c.id == bindparam("b_id")).with_for_update())
_DELIVERED = Prepared(select(_D.c.sink, _D.c.channel, _D.c.ts)
                      .where(_D.c.alert_id == bindparam("b_id"), _D.c.delivered_at.is_not(None)))


class Outbox:
    """The alerts and their deliveries (a repository of the Store)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def alerts(self, *, pending_only: bool = False, newest_first: bool = True, limit: int | None = None,
               source: str | None = None) -> list[Alert]:
        a = schema.alerts
        query = select(a)
        if pending_only:  # a muted alert is recorded, not owed to anyone
            query = query.where(a.c.delivered_at.is_(None), a.c.muted_by.is_(None))
        if source:
            query = query.where(a.c.source == source)
        query = query.order_by(a.c.id.desc() if newest_first else a.c.id)
        if limit is not None:
            query = query.limit(limit)
        with self.db.engine.connect() as conn:
            return [alert_from_row(r) for r in conn.execute(query).mappings()]

    def pending_count(self) -> int:
        """How many alerts wait in the outbox (not yet taken by every sink)."""
        a = schema.alerts
        with self.db.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(a)
                                    .where(a.c.delivered_at.is_(None), a.c.muted_by.is_(None))).scalar() or 0)

    def by_id(self, ids: list[int]) -> list[Alert]:
        """These alerts, oldest first (a cycle's new ones, without reading the whole outbox)."""
        a = schema.alerts
        found: list[Alert] = []
        with self.db.engine.connect() as conn:
            for chunk in chunks(ids):
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
        with self.db.engine.connect() as conn:
            row = conn.execute(query).first()
        return (row[0], row[1]) if row else None

    def thread_in_flight(self, source: str, subject: str, before_id: int, sink: str) -> bool:
        """Whether an earlier alert about the same subject is being sent to `sink` by another sender (or
        by one that died holding its lease): a follow-up waits for that message to start its thread."""
        a = schema.alerts
        now = utcnow()
        query = (
            select(_D.c.alert_id).join(a, a.c.id == _D.c.alert_id)
            .where(a.c.source == source, a.c.subject == subject, a.c.id < before_id, _D.c.sink == sink,
                   _D.c.delivered_at.is_(None), _D.c.claimed_until.is_not(None), _D.c.claimed_until > now)
            .limit(1)
        )
        with self.db.engine.connect() as conn:
            return conn.execute(query).first() is not None

    def add_once(self, drafts: list[Alert]) -> int:
        """Alerts with their own idempotency keys into the outbox, each once (Recorder.add_alerts_once)."""
        return self.db.write(lambda recorder: recorder.add_alerts_once(drafts))

    def since(self, since: str) -> list[Alert]:
        a = schema.alerts
        with self.db.engine.connect() as conn:
            rows = conn.execute(select(a).where(a.c.detected_at >= since).order_by(a.c.id)).mappings()
            return [alert_from_row(r) for r in rows]

    def claim(self, alert_id: int, lease_seconds: float, sink: str) -> bool:
        """Take the right to send a pending alert to `sink` for `lease_seconds`, and count the attempt
        before it is made (see alerts.deliver). False when the alert was delivered, or another sender
        holds the lease."""
        return (alert_id, sink) in self.claim_many([(alert_id, sink)], lease_seconds)

    def claim_many(self, pairs: Sequence[tuple[int, str]], lease_seconds: float) -> set[tuple[int, str]]:
        """claim() for several (alert id, sink) pairs in one transaction: the pairs this sender now holds."""
        now = datetime.now(UTC)
        at, until = now.strftime(TIME_FORMAT), (now + timedelta(seconds=lease_seconds)).strftime(TIME_FORMAT)
        with self.db.batch() as recorder:
            return {(alert_id, sink) for alert_id, sink in pairs
                    if claim_delivery(recorder.conn, alert_id, sink, at, until)}

    def release(self, alert_id: int, error: str, sink: str) -> None:
        """Give a claimed alert back after a failed attempt to send it to `sink`, with the reason."""
        with self.db.batch() as recorder:
            release_delivery(recorder.conn, alert_id, sink, error)

    def release_unattempted(self, pairs: Sequence[tuple[int, str]]) -> None:
        """Give back claimed (alert id, sink) pairs that were never sent (their channel stopped before
        their turn): the lease ends and the attempt counted by the claim is taken back."""
        with self.db.batch() as recorder:
            for alert_id, sink in pairs:
                unclaim_delivery(recorder.conn, alert_id, sink)

    def mark_delivered(self, alert_id: int, *, sink: str, channel: str, ts: str,
                       sinks: tuple[str, ...] = ()) -> bool:
        """`sink` accepted the alert (in `channel`, as message `ts` where it has one). When every one of
        `sinks` (the configured ones, in order; just `sink` when empty) has it now, the alert leaves the
        outbox in the same transaction: True then.
        Decided on the locked alert row, so two senders each finishing one sink cannot both miss it."""
        return bool(self.mark_many([SinkDelivery(alert_id, sink, channel, ts)], sinks or (sink,)))

    def mark_many(self, deliveries: Sequence[SinkDelivery], sinks: tuple[str, ...]) -> list[int]:
        """mark_delivered() for several deliveries in one transaction, each alert's sinks `sinks`: the
        alerts that left the outbox, in the order given."""
        with self.db.batch() as recorder:
            now = utcnow()
            for d in deliveries:
                mark_delivery(recorder.conn, d.alert_id, d.sink, d.channel, d.ts, now, d.channel_name)
            ids = list(dict.fromkeys(d.alert_id for d in deliveries))
            return [alert_id for alert_id in ids if complete_if_all(recorder.conn, alert_id, sinks, now)]

    def complete(self, alert_id: int) -> None:
        """Every sink has the alert (from earlier runs): it leaves the outbox."""
        with self.db.batch() as recorder:
            complete_delivery(recorder.conn, alert_id, utcnow())

    def resend(self, alert_ids: list[int]) -> list[int]:
        """Put delivered alerts back in the outbox, for every sink to send again as new messages.
        Returns the ids that exist."""
        a = schema.alerts
        with self.db.begin_write() as conn:
            found = sorted(r[0] for r in conn.execute(select(a.c.id).where(a.c.id.in_(alert_ids))))
            conn.execute(delete(_D).where(_D.c.alert_id.in_(found)))
            conn.execute(update(a).where(a.c.id.in_(found)).values(  # asked for by name: a muted one too
                delivered_at=None, attempts=0, last_error="", muted_by=None))
        return found

    def deliveries(self, alert_ids: list[int]) -> dict[tuple[int, str], DeliveryRecord]:
        """What each sink did with these alerts so far, by (alert id, sink)."""
        found: dict[tuple[int, str], DeliveryRecord] = {}
        with self.db.engine.connect() as conn:
            for chunk in chunks(alert_ids):
                for r in conn.execute(select(_D).where(_D.c.alert_id.in_(chunk))).mappings():
                    found[(r["alert_id"], r["sink"])] = DeliveryRecord(
                        r["alert_id"], r["sink"], r["channel"], r["ts"], r["delivered_at"], r["attempts"],
                        r["last_error"], r["channel_name"])
        return found

    def deliveries_by_alert(self, alert_ids: list[int]) -> dict[int, list[DeliveryRecord]]:
        """Each of these alerts' deliveries, the first delivered first (its channel is the one an alert
        is shown in: Alert.to_json), then those still owed, by sink."""
        grouped: dict[int, list[DeliveryRecord]] = {alert_id: [] for alert_id in alert_ids}
        for record in sorted(self.deliveries(alert_ids).values(), key=lambda d: (d.delivered_at or "~", d.sink)):
            grouped[record.alert_id].append(record)
        return grouped

    def digest_posted(self, channel: str, day: str) -> bool:
        d = schema.digests
        with self.db.engine.connect() as conn:
            return conn.execute(select(d.c.day).where(d.c.channel == channel, d.c.day == day)).first() is not None

    def mark_digest(self, channel: str, day: str, ts: str) -> None:
        with self.db.begin_write() as conn:
            try:
                with conn.begin_nested():
                    conn.execute(insert(schema.digests).values(channel=channel, day=day, posted_at=utcnow(), ts=ts))
            except IntegrityError:
                pass  # posted by a concurrent run


# ---- the per-alert statements, inside the caller's transaction

def claim_delivery(conn: Connection, alert_id: int, sink: str, now: str, until: str) -> bool:
    """Lease an undelivered alert's delivery to `sink` until `until`, counting the attempt; False
    when the alert was delivered or another sender's lease still runs."""
    insert_ignoring_duplicates(conn.dialect.name, _D).run(conn, {"alert_id": alert_id, "sink": sink})
    cursor = _CLAIM.run(conn, {"b_id": alert_id, "b_sink": sink, "b_now": now, "b_until": until})
    if cursor.rowcount != 1:
        return False
    _COUNT_ATTEMPT.run(conn, {"b_id": alert_id})
    return True


def release_delivery(conn: Connection, alert_id: int, sink: str, error: str) -> None:
    _UPDATE_DELIVERY.run(conn, {"b_id": alert_id, "b_sink": sink, "last_error": error[:1000],
                                     "claimed_until": None})
    _UPDATE_ALERT.run(conn, {"b_id": alert_id, "last_error": error[:1000]})


def unclaim_delivery(conn: Connection, alert_id: int, sink: str) -> None:
    """End a lease whose send never happened, and take back the attempt its claim counted."""
    cursor = _UNCLAIM.run(conn, {"b_id": alert_id, "b_sink": sink})
    if cursor.rowcount == 1:
        _UNCOUNT_ATTEMPT.run(conn, {"b_id": alert_id})


def mark_delivery(conn: Connection, alert_id: int, sink: str, channel: str, ts: str, now: str,
                  channel_name: str = "") -> None:
    _MARK_DELIVERY.run(conn, {"b_id": alert_id, "b_sink": sink, "delivered_at": now, "channel": channel,
                              "channel_name": channel_name,
                                   "ts": ts, "last_error": "", "claimed_until": None})


def complete_if_all(conn: Connection, alert_id: int, sinks: tuple[str, ...], now: str) -> bool:
    """Take the alert out of the outbox when every one of `sinks` has delivered it; True then."""
    if conn.dialect.name == "postgresql":  # one sender at a time decides, on the alert's row
        _LOCK_ALERT.first(conn, {"b_id": alert_id})
    cursor = _DELIVERED.run(conn, {"b_id": alert_id})
    try:
        done = {sink: (channel, ts) for sink, channel, ts in cursor.fetchall()}
    finally:
        cursor.close()
    if not all(s in done for s in sinks):
        return False
    complete_delivery(conn, alert_id, now)
    return True


def complete_delivery(conn: Connection, alert_id: int, now: str) -> None:
    """The alert leaves the outbox (where each sink put it is in its deliveries)."""
    _COMPLETE.run(conn, {"b_id": alert_id, "delivered_at": now, "last_error": ""})
