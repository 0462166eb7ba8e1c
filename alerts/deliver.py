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
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import tzinfo
from typing import Protocol, TextIO

from alerts.message import Message
from alerts.render import render_console, text_message
from core.errors import DeliveryError, PermanentDeliveryError
from core.model import Alert
from state import Store

log = logging.getLogger("rulewatch.alerts")

DEFAULT_DELIVERY_LEASE = 300.0  # seconds one sender holds an alert; longer than a send with its retries
PERMANENT_SLACK_ERRORS = frozenset({
    "channel_not_found", "not_in_channel", "invalid_auth", "not_authed", "account_inactive", "token_revoked",
    "token_expired", "is_archived", "missing_scope", "restricted_action", "no_permission", "ekm_access_denied",
})


@dataclass(frozen=True, slots=True)
class Delivered:
    channel: str
    ts: str


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

    @property
    def ok(self) -> bool:
        """Nothing failed and nothing was left for want of a sink."""
        return not self.failed and not self.unsent


def deliver_pending(
    store: Store, sinks: Sink | Sequence[Sink], limit: int | None = None,
    lease_seconds: float = DEFAULT_DELIVERY_LEASE,
) -> DeliveryReport:
    """Send pending alerts oldest first to every sink. A channel that fails stops for this run (order
    is kept); a permanent error is logged once per channel and leaves its alerts pending."""
    sinks = [sinks] if not isinstance(sinks, Sequence) else list(sinks)
    report = DeliveryReport(sent={s.name: 0 for s in sinks})
    pending = store.alerts(pending_only=True, newest_first=False, limit=limit)
    if not sinks:
        report.unsent = len(pending)
        return report
    done = store.deliveries([a.outbox_id for a in pending])
    for alert in pending:
        had = {s.name: Delivered(d.channel, d.ts) for s in sinks
               if (d := done.get((alert.outbox_id, s.name))) is not None and d.delivered_at}
        owed = [s for s in sinks if s.name not in had]
        if not owed:  # every sink took it in an earlier run that stopped before saying so
            first = had[sinks[0].name]
            store.complete(alert.outbox_id, channel=first.channel, ts=first.ts)
            report.delivered.append(alert.outbox_id)
            continue
        names = tuple(s.name for s in sinks)
        for sink in owed:
            previous = done.get((alert.outbox_id, sink.name))
            # An alert attempted before per-sink records existed counts as attempted by every sink.
            retry = previous.attempts > 0 if previous is not None else alert.attempts > 0
            if _send(store, sink, alert, retry, lease_seconds, report, names):
                report.sent[sink.name] += 1
    return report


def _send(store: Store, sink: Sink, alert: Alert, retry: bool, lease_seconds: float, report: DeliveryReport,
          sinks: tuple[str, ...]) -> bool:
    """One alert to one sink: claimed, sent, and recorded; False when it stays pending there. When it
    was the last of `sinks` to owe the alert, the alert leaves the outbox (and joins report.delivered)."""
    try:
        channel = sink.channel_for(alert)
    except DeliveryError as exc:  # the channel cannot be found (a name Slack does not know, a scope)
        where = exc.channel if isinstance(exc, PermanentDeliveryError) else sink.name
        if where not in report.stopped_channels:
            log.error("%s channel %s: %s; its alerts stay pending until this is fixed", sink.name, where, exc)
        report.failed[alert.outbox_id] = str(exc)
        report.stopped_channels[where] = str(exc)
        return False
    if channel in report.stopped_channels:
        return False
    thread = store.thread_of(alert.source, alert.subject, alert.outbox_id, sink.name) \
        if sink.threads and alert.subject else None
    thread_ts = thread[1] if thread and thread[0] == channel else None
    # Claim and count the attempt before posting: a second sender skips it, and if we die after
    # the sink took the message but before it is marked, the next run sees the attempt and looks
    # for the message instead of posting again (once the lease has run out).
    if not store.claim(alert.outbox_id, lease_seconds, sink.name):
        return False
    try:
        delivered = sink.send(alert, thread_ts or None, retry)
    except PermanentDeliveryError as exc:
        log.error("%s channel %s: %s; its alerts stay pending until this is fixed", sink.name, channel, exc)
        _failed(store, sink, alert, channel, str(exc), report)
        return False
    except DeliveryError as exc:
        log.warning("alert %s not delivered to %s (will retry): %s", alert.id, channel, exc)
        _failed(store, sink, alert, channel, str(exc), report)
        return False
    if store.mark_delivered(alert.outbox_id, sink=sink.name, channel=delivered.channel, ts=delivered.ts,
                            sinks=sinks):
        report.delivered.append(alert.outbox_id)
    return True


def _failed(store: Store, sink: Sink, alert: Alert, channel: str, error: str, report: DeliveryReport) -> None:
    store.release(alert.outbox_id, error, sink.name)
    report.failed[alert.outbox_id] = error
    report.stopped_channels[channel] = error


NO_SINK_HELP = ("no sink is configured, so they stay pending: set SLACK_BOT_TOKEN and SLACK_CHANNEL (or "
                "SLACK_WEBHOOK_URL, RULEWATCH_WEBHOOK_URL), or RULEWATCH_SINK=console to print them as delivery")

__all__ = ["NO_SINK_HELP", "ConsoleSink", "Delivered", "DeliveryReport", "Sink", "deliver_pending"]
