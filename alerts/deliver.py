"""Delivery: drain the outbox in order, post each alert once to every sink, and record each delivery.

At-least-once posting plus an idempotency check makes it exactly once: every Slack message carries
its alert's key in `metadata`; an alert that was attempted before is first looked for in the
channel's recent history, so a post that succeeded just before a crash is found, not repeated.
Each sink's delivery of each alert is recorded on its own: one sink down never holds back another,
and the alert leaves the outbox once every sink has it.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import tzinfo
from typing import Protocol, TextIO

from rulewatch.alerts.message import Message
from rulewatch.alerts.render import render_console, text_message
from rulewatch.core.errors import AlertRefused, DeliveryError, PermanentDeliveryError
from rulewatch.core.model import Alert
from rulewatch.state import SinkDelivery, Store
from rulewatch.state.records import DeliveryRecord

log = logging.getLogger("rulewatch.alerts")

DEFAULT_DELIVERY_LEASE = 300.0  # seconds one sender holds an alert; longer than a send with its retries
MAX_WINDOW = 64  # alerts claimed, and then marked, in one transaction each, when sends are quick
QUICK_SEND_SECONDS = 0.005  # a send quicker than this on average (the console) lets the window grow
PERMANENT_SLACK_ERRORS = frozenset({
    "channel_not_found", "not_in_channel", "invalid_auth", "not_authed", "account_inactive", "token_revoked",
    "token_expired", "is_archived", "missing_scope", "restricted_action", "no_permission", "ekm_access_denied",
})


@dataclass(frozen=True, slots=True)
class Delivered:
    channel: str
    ts: str
    channel_name: str = ""  # the channel as people know it (#reg-alerts), when the sink knows it


class Sink(Protocol):
    """Where alerts go. Each kind is registered in alerts.sinks.SINKS and reads its own settings.

    `send` posts one alert (in a thread when `thread_ts` is given; `retry`: an earlier attempt may
    have gone through, so look before posting again). `post` posts a message that is not an alert
    (the digest)."""

    name: str  # the registry's name: deliveries are recorded under it
    default_channel: str
    threads: bool  # whether follow-ups can reply in the first alert's thread

    def channel_for(self, alert: Alert) -> str: ...

    def send(self, alert: Alert, thread_ts: str | None, retry: bool) -> Delivered: ...

    def post(self, channel: str, message: Message) -> Delivered: ...


class ConsoleSink:
    """Prints alerts to a stream: the default when no other sink is configured."""

    name = "console"
    default_channel = "console"
    threads = False

    def __init__(self, stream: TextIO | None = None, tz: tzinfo | None = None) -> None:
        self.stream = stream or sys.stdout
        self.tz = tz
        isatty = getattr(self.stream, "isatty", None)
        self.colour = bool(isatty and isatty()) and "NO_COLOR" not in os.environ  # no-color.org

    def channel_for(self, alert: Alert) -> str:
        return "console"

    def send(self, alert: Alert, thread_ts: str | None, retry: bool) -> Delivered:
        return self._write(render_console(alert, self.tz, self.colour))

    def post(self, channel: str, message: Message) -> Delivered:
        return self._write(text_message(message))

    def _write(self, text: str) -> Delivered:
        """Write one alert; a closed or failing stream (`rulewatch run | head`) delivers nothing, so
        the alert stays pending instead of being marked delivered to nobody."""
        try:
            self.stream.write(text + "\n")
            self.stream.flush()
        except (OSError, ValueError) as exc:  # BrokenPipeError, a full disk; ValueError: a closed file
            raise PermanentDeliveryError(f"the console cannot be written to: {exc}", channel="console") from exc
        return Delivered("console", "")


@dataclass(slots=True)
class DeliveryReport:
    delivered: list[int] = field(default_factory=list)  # alerts that every sink now has
    failed: dict[int, str] = field(default_factory=dict)
    stopped_channels: dict[str, str] = field(default_factory=dict)
    sent: dict[str, int] = field(default_factory=dict)  # sink -> alerts it took in this run
    unsent: int = 0  # alerts left pending because no sink is configured
    waiting: list[int] = field(default_factory=list)  # follow-ups left for their thread's first message

    @property
    def ok(self) -> bool:
        """Nothing failed and nothing was left for want of a sink."""
        return not self.failed and not self.unsent


def deliver_pending(
    store: Store, sinks: Sink | Sequence[Sink], limit: int | None = None,
    lease_seconds: float = DEFAULT_DELIVERY_LEASE,
) -> DeliveryReport:
    """Send pending alerts oldest first to every sink. A channel that fails stops for this run (order
    is kept); a permanent error is logged once per channel and leaves its alerts pending.

    Alerts go in windows: the window's alerts are claimed in one transaction, sent, and marked in
    one. A window is one alert (claim, post, mark: a crash re-sends nothing but a retry that looks
    first) until sends prove quick, as the console's are, when it doubles up to MAX_WINDOW: two
    short transactions per alert were most of a console delivery's time. Sinks that reply in
    threads keep windows of one, since a follow-up looks up the thread its predecessor's mark wrote."""
    sinks = [sinks] if not isinstance(sinks, Sequence) else list(sinks)
    report = DeliveryReport(sent={s.name: 0 for s in sinks})
    pending = store.outbox.alerts(pending_only=True, newest_first=False, limit=limit)
    if not sinks:
        report.unsent = len(pending)
        return report
    done = store.outbox.deliveries([a.outbox_id for a in pending])
    can_grow = not any(s.threads for s in sinks)
    window, start = 1, 0
    while start < len(pending):
        alerts = pending[start:start + window]
        start += len(alerts)
        began = time.monotonic()
        sends = _deliver_window(store, sinks, alerts, done, lease_seconds, report)
        quick = sends > 0 and time.monotonic() - began < QUICK_SEND_SECONDS * sends
        window = min(MAX_WINDOW, window * 2) if can_grow and quick else 1
    return report


@dataclass(frozen=True, slots=True)
class _Owed:
    """One sink's send of one alert, as the window plans it."""

    alert: Alert
    sink: Sink
    channel: str
    retry: bool  # an earlier attempt may have gone through

    @property
    def key(self) -> tuple[int, str]:
        return self.alert.outbox_id, self.sink.name


def _deliver_window(store: Store, sinks: list[Sink], alerts: list[Alert], done: dict[tuple[int, str], DeliveryRecord],
                    lease_seconds: float, report: DeliveryReport) -> int:
    """Claim, send and mark one window of alerts; the number of sends that went through."""
    owed = _plan(store, sinks, alerts, done, report)
    if not owed:
        return 0
    # Claim and count the attempts before posting: a second sender skips them, and if we die after
    # a sink took a message but before it is marked, the next run sees the attempt and looks for
    # the message instead of posting again (once the lease has run out).
    claimed = store.outbox.claim_many([o.key for o in owed], lease_seconds)
    sent: list[SinkDelivery] = []
    unattempted: list[tuple[int, str]] = []
    try:
        for o in owed:
            if o.key not in claimed:
                continue
            if o.channel in report.stopped_channels:  # an earlier alert of this window failed there
                unattempted.append(o.key)
                continue
            if _thread_in_flight(store, o):
                unattempted.append(o.key)
                report.waiting.append(o.alert.outbox_id)
                continue
            delivered = _send(store, o, report)
            if delivered is not None:
                sent.append(SinkDelivery(o.alert.outbox_id, o.sink.name, delivered.channel, delivered.ts,
                                         delivered.channel_name))
                report.sent[o.sink.name] += 1
    finally:  # what a sink took is recorded even when something unforeseen stops the window
        if sent:
            report.delivered.extend(store.outbox.mark_many(sent, tuple(s.name for s in sinks)))
        if unattempted:
            store.outbox.release_unattempted(unattempted)
    return len(sent)


def _plan(store: Store, sinks: list[Sink], alerts: list[Alert], done: dict[tuple[int, str], DeliveryRecord],
          report: DeliveryReport) -> list[_Owed]:
    """The sends a window owes, in order: every sink that has not taken the alert yet, on a channel
    that can be found and has not stopped."""
    owed: list[_Owed] = []
    for alert in alerts:
        had = {s.name: Delivered(d.channel, d.ts) for s in sinks
               if (d := done.get((alert.outbox_id, s.name))) is not None and d.delivered_at}
        if len(had) == len(sinks):  # every sink took it in an earlier run that stopped before saying so
            store.outbox.complete(alert.outbox_id)
            report.delivered.append(alert.outbox_id)
            continue
        for sink in sinks:
            if sink.name in had:
                continue
            channel = _channel(sink, alert, report)
            if channel is None:
                continue
            previous = done.get((alert.outbox_id, sink.name))
            # An alert attempted before per-sink records existed counts as attempted by every sink.
            retry = previous.attempts > 0 if previous is not None else alert.attempts > 0
            owed.append(_Owed(alert, sink, channel, retry))
    return owed


def _channel(sink: Sink, alert: Alert, report: DeliveryReport) -> str | None:
    """Where `sink` posts `alert`; None when that channel cannot be found or stopped in this run."""
    try:
        channel = sink.channel_for(alert)
    except DeliveryError as exc:  # the channel cannot be found (a name Slack does not know, a scope)
        where = exc.channel if isinstance(exc, PermanentDeliveryError) else sink.name
        if where not in report.stopped_channels:
            log.error("%s channel %s: %s; its alerts stay pending until this is fixed", sink.name, where, exc)
        report.failed[alert.outbox_id] = str(exc)
        report.stopped_channels[where] = str(exc)
        return None
    return None if channel in report.stopped_channels else channel


def _thread_in_flight(store: Store, owed: _Owed) -> bool:
    """A follow-up (a reminder, an amendment) whose thread's first message another sender holds, or a
    sender killed before it could say it was sent: it waits, rather than posting outside the thread."""
    alert = owed.alert
    return bool(owed.sink.threads and alert.subject and store.outbox.thread_in_flight(
        alert.source, alert.subject, alert.outbox_id, owed.sink.name))


def _send(store: Store, owed: _Owed, report: DeliveryReport) -> Delivered | None:
    """One claimed alert to one sink; None when it failed there (it is released, and its channel stops)."""
    alert, sink, channel = owed.alert, owed.sink, owed.channel
    thread = store.outbox.thread_of(alert.source, alert.subject, alert.outbox_id, sink.name) \
        if sink.threads and alert.subject else None
    thread_ts = thread[1] if thread and thread[0] == channel else None
    try:
        return sink.send(alert, thread_ts or None, owed.retry)
    except AlertRefused as exc:
        # This alert, not the channel: it stays pending and is reported; the channel's next alerts go on
        # (one refused alert used to hold every later one, first in line on every run).
        log.error("alert %s refused by %s, skipped (the others still go): %s", alert.id, sink.name, exc)
        store.outbox.release(alert.outbox_id, str(exc), sink.name)
        report.failed[alert.outbox_id] = str(exc)
    except PermanentDeliveryError as exc:
        log.error("%s channel %s: %s; its alerts stay pending until this is fixed", sink.name, channel, exc)
        _failed(store, sink, alert, channel, str(exc), report)
    except DeliveryError as exc:
        log.warning("alert %s not delivered to %s (will retry): %s", alert.id, channel, exc)
        _failed(store, sink, alert, channel, str(exc), report)
    return None


def _failed(store: Store, sink: Sink, alert: Alert, channel: str, error: str, report: DeliveryReport) -> None:
    store.outbox.release(alert.outbox_id, error, sink.name)
    report.failed[alert.outbox_id] = error
    report.stopped_channels[channel] = error


NO_SINK_HELP = ("no sink is configured, so they stay pending: set SLACK_BOT_TOKEN and SLACK_CHANNEL (or "
                "SLACK_WEBHOOK_URL, RULEWATCH_WEBHOOK_URL), or RULEWATCH_SINK=console to print them as delivery")

__all__ = ["NO_SINK_HELP", "ConsoleSink", "Delivered", "DeliveryReport", "Sink", "deliver_pending"]
