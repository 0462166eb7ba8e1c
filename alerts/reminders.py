"""Deadline reminders: 7 days and 1 day before a comment deadline, an effective date or a compliance
deadline, posted in the rule's own thread, each exactly once.

Reminders go through the outbox like any alert: each draft carries an idempotency key of its deadline,
day and reminder, so running this twice, or again after a run was killed between writing and posting,
adds nothing twice; delivery's leases post each once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from rulewatch.alerts.calendar import reminders_due, rule_deadlines
from rulewatch.alerts.deliver import DEFAULT_DELIVERY_LEASE, DeliveryReport, Sink, deliver_pending
from rulewatch.state import Store


@dataclass(frozen=True, slots=True)
class RemindersSent:
    due: int  # reminders due today (new or already in the outbox)
    added: int  # of those, new in the outbox
    delivery: DeliveryReport


def send_reminders(store: Store, sinks: Sink | Sequence[Sink], today: date,
                   lease_seconds: float = DEFAULT_DELIVERY_LEASE) -> RemindersSent:
    """Add today's due reminders to the outbox (each once), then deliver what is pending."""
    drafts = reminders_due(rule_deadlines(store), today)
    added = store.outbox.add_once(drafts) if drafts else 0
    return RemindersSent(len(drafts), added, deliver_pending(store, sinks, lease_seconds=lease_seconds))
