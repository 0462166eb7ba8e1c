"""Delivery: drain the outbox in order, post each alert once, and mark it delivered.

At-least-once posting plus an idempotency check makes it exactly once: every Slack message carries
its alert's key in `metadata`; an alert that was attempted before is first looked for in the
channel's recent history, so a post that succeeded just before a crash is found, not repeated.
"""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass, field
from typing import Protocol, TextIO

from alerts.render import METADATA_EVENT, SlackMessage, render_console, render_console_message, render_slack
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
    """Where alerts go. `send` posts one alert (in a thread when `thread_ts` is given)."""

    default_channel: str
    threads: bool  # whether follow-ups can reply in the first alert's thread

    def channel_for(self, alert: Alert) -> str: ...

    def send(self, alert: Alert, thread_ts: str | None) -> Delivered: ...

    def post(self, channel: str, message: SlackMessage) -> Delivered: ...


class ConsoleSink:
    """Prints alerts to a stream: the default when no Slack credentials are set."""

    default_channel = "console"
    threads = False

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stdout

    def channel_for(self, alert: Alert) -> str:
        return "console"

    def send(self, alert: Alert, thread_ts: str | None) -> Delivered:
        self.stream.write(render_console(alert) + "\n")
        self.stream.flush()
        return Delivered("console", "")

    def post(self, channel: str, message: SlackMessage) -> Delivered:
        self.stream.write(render_console_message(message) + "\n")
        self.stream.flush()
        return Delivered("console", "")


@dataclass(slots=True)
class DeliveryReport:
    delivered: list[int] = field(default_factory=list)
    failed: dict[int, str] = field(default_factory=dict)
    stopped_channels: dict[str, str] = field(default_factory=dict)


def deliver_pending(
    store: Store, sink: Sink, limit: int | None = None, lease_seconds: float = DEFAULT_DELIVERY_LEASE
) -> DeliveryReport:
    """Send pending alerts oldest first. A channel that fails stops for this run (order is kept);
    a permanent error is logged once per channel and leaves its alerts pending."""
    report = DeliveryReport()
    for alert in store.alerts(pending_only=True, newest_first=False, limit=limit):
        channel = sink.channel_for(alert)
        if channel in report.stopped_channels:
            continue
        threaded = sink.threads and alert.subject
        thread = store.thread_of(alert.source, alert.subject, alert.outbox_id) if threaded else None
        thread_ts = thread.delivered_ts if thread and thread.delivered_channel == channel else None
        # Claim and count the attempt before posting: a second sender skips it, and if we die after
        # Slack took the message but before it is marked, the next run sees attempts > 0 and looks
        # for the message instead of posting again (once the lease has run out).
        if not store.claim(alert.outbox_id, lease_seconds):
            continue
        try:
            delivered = sink.send(alert, thread_ts or None)
        except PermanentDeliveryError as exc:
            log.error("Slack channel %s: %s; its alerts stay pending until this is fixed", channel, exc)
            store.release(alert.outbox_id, str(exc))
            report.failed[alert.outbox_id] = str(exc)
            report.stopped_channels[channel] = str(exc)
            continue
        except DeliveryError as exc:
            log.warning("alert %s not delivered to %s (will retry): %s", alert.outbox_id, channel, exc)
            store.release(alert.outbox_id, str(exc))
            report.failed[alert.outbox_id] = str(exc)
            report.stopped_channels[channel] = str(exc)
            continue
        store.mark_delivered(alert.outbox_id, channel=delivered.channel, ts=delivered.ts)
        report.delivered.append(alert.outbox_id)
    return report


__all__ = [
    "METADATA_EVENT", "ConsoleSink", "Delivered", "DeliveryReport",
    "Sink", "deliver_pending", "render_slack",
]
