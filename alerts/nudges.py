"""Nudges: an assigned rule whose effective date or comment deadline comes within NUDGE_DAYS, and that
is not done, is nudged in its alert's thread, mentioning its owner when Slack knows them; each once.

Like reminders, nudges go through the outbox with an idempotency key of their rule, deadline and day,
so running this twice adds nothing twice, and a moved deadline earns a new nudge. Pure.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from rulewatch.alerts.calendar import Deadline
from rulewatch.alerts.triage_blocks import slack_id
from rulewatch.core.model import Alert, Finding, KeyDate

NUDGE_DAYS = 7
NUDGED_ROLES = ("effective", "comment_deadline", "compliance_deadline")
OPEN_STATES = ("assigned", "applicable")  # decided to matter, with an owner, and not closed


@dataclass(frozen=True, slots=True)
class OpenRule:
    """A rule someone owns and has not closed."""

    rule_id: int
    owner: str  # as recorded: "Jane Doe (U0123)" from Slack, else a name
    state: str


def owner_mentions(owner: str) -> tuple[str, ...]:
    """The Slack user id an owner recorded from Slack carries, to mention them; none for a typed name."""
    return (user,) if (user := slack_id(owner)) else ()


def nudges_due(deadlines: Iterable[Deadline], open_rules: Mapping[int, OpenRule], rule_of: Mapping[int, int],
               today: date) -> list[Alert]:
    """Nudges, addressed for the outbox, for the open rules with a deadline 0 to NUDGE_DAYS days away
    (`rule_of` maps a deadline's alert to its rule)."""
    out = []
    for d in deadlines:
        rule = open_rules.get(rule_of.get(d.alert_id or 0, -1))
        left = d.days_left(today)
        if rule is None or d.role not in NUDGED_ROLES or not 0 <= left <= NUDGE_DAYS or rule.state not in OPEN_STATES:
            continue
        when = "today" if left == 0 else "tomorrow" if left == 1 else f"in {left} days"
        nudge = Finding(
            kind="triage_nudge", title=d.title, url=d.url, topics=d.topics, subject=d.subject, publisher=d.publisher,
            added=f"{d.label} {when} ({d.day}), and this rule is not done.\nOwner: {rule.owner} · "
                  f"state: {rule.state}\n{d.evidence}",
            key_dates=(KeyDate(d.role, d.day, d.evidence, d.article),),  # type: ignore[arg-type]
            notify=owner_mentions(rule.owner),
        )
        out.append(Alert.entered(nudge, source=d.source, channel=d.channel,
                                 idempotency_key=f"nudge:{rule.rule_id}:{d.role}:{d.day}"))
    return out
