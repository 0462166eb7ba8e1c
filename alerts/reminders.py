"""Deadline reminders: 7 days and 1 day before a comment deadline, an effective date or a compliance
deadline, posted in the rule's own thread, each exactly once; and nudges (alerts.nudges): an assigned
rule that is not done, with a deadline within 7 days, mentions its owner in its thread, once.

Reminders go through the outbox like any alert: each draft carries an idempotency key of its deadline,
day and reminder, so running this twice, or again after a run was killed between writing and posting,
adds nothing twice; delivery's leases post each once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from rulewatch.alerts.calendar import deadlines, reminders_due
from rulewatch.alerts.deliver import DEFAULT_DELIVERY_LEASE, DeliveryReport, Sink, deliver_pending
from rulewatch.alerts.nudges import OPEN_STATES, OpenRule, nudges_due
from rulewatch.state import Store


@dataclass(frozen=True, slots=True)
class RemindersSent:
    due: int  # reminders and nudges due today (new or already in the outbox)
    added: int  # of those, new in the outbox
    delivery: DeliveryReport
    nudges: int = 0  # of those due, nudges of an owner


def open_rules(store: Store) -> dict[int, OpenRule]:
    """The rules someone owns and has not closed, by rule id."""
    return {r.rule_id: OpenRule(r.rule_id, r.owner, r.state) for r in store.triage.rows()
            if r.owner and r.state in OPEN_STATES}


def send_reminders(store: Store, sinks: Sink | Sequence[Sink], today: date,
                   lease_seconds: float = DEFAULT_DELIVERY_LEASE) -> RemindersSent:
    """Add today's due reminders and nudges to the outbox (each once), then deliver what is pending."""
    dated = store.rules.dated_alerts()
    found = deadlines([alert for _, alert in dated], rule_of := {alert.outbox_id: rule for rule, alert in dated})
    nudges = nudges_due(found, open_rules(store), rule_of, today)
    drafts = reminders_due(found, today) + nudges
    added = store.outbox.add_once(drafts) if drafts else 0
    return RemindersSent(len(drafts), added, deliver_pending(store, sinks, lease_seconds=lease_seconds), len(nudges))
