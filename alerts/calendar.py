"""The deadline radar: coming comment deadlines, effective dates and compliance deadlines, from the key
dates alerts carry (detection.dates), as a list and as an iCalendar file teams subscribe to. Pure,
but for the clock the caller passes in (and rule_deadlines, which reads the store's rules).

A rule's date of each kind comes from its latest alert that names one of that kind: when an amendment
moves a deadline, the moved date replaces the old one, and a date it does not restate stays. Rules are
the store's (state.rules): a final linked to its draft, or one rule published on two sites, is one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from rulewatch.core.model import Alert, Finding, KeyDate
from rulewatch.state import Store

DEFAULT_HORIZON_DAYS = 90
DIGEST_HORIZON_DAYS = 14
CALENDAR_ROLES = ("comment_deadline", "effective", "compliance_deadline")  # a repeal's day is its rule's
ROLE_LABELS = {"comment_deadline": "Comments due", "effective": "Takes effect", "compliance_deadline": "Comply by"}
ICS_PRODUCT = "-//rulewatch//deadline radar//EN"
REMINDER_DAYS = (7, 1)  # reminders this many days before a deadline, each once


@dataclass(frozen=True, slots=True)
class Deadline:
    """One dated key date of one rule, with what the reader needs to act on it."""

    day: str  # ISO 8601
    role: str
    title: str
    url: str
    publisher: str
    source: str
    subject: str
    evidence: str
    article: str
    alert_id: int | None
    topics: tuple[str, ...] = ()
    channel: str = ""  # the source's own channel, as its alerts had it

    @property
    def label(self) -> str:
        return ROLE_LABELS.get(self.role, self.role)

    def days_left(self, today: date) -> int:
        return (date.fromisoformat(self.day) - today).days

    @property
    def uid(self) -> str:
        """Stable across runs and alerts: one rule's one kind of date is one calendar event, moved
        (not duplicated) when an amendment moves it."""
        digest = hashlib.sha256(f"{self.source}\0{self.subject}\0{self.role}".encode()).hexdigest()[:32]
        return f"{digest}@rulewatch"

    def to_json(self) -> dict[str, object]:
        return {"date": self.day, "role": self.role, "title": self.title, "url": self.url,
                "publisher": self.publisher, "source": self.source, "evidence": self.evidence,
                "article": self.article, "alert_id": self.alert_id}


def deadlines(alerts: Iterable[Alert], rule_of: Mapping[int, int] | None = None) -> list[Deadline]:
    """Every dated key date of every rule, by day: of each kind (comments due, takes effect, comply
    by), the date the rule's latest alert naming one of that kind names first. An alert's rule is
    `rule_of[alert id]` (the Rule aggregate: a draft and its final, or one rule published on two sites,
    are one rule), else its source and subject."""
    latest: dict[tuple[object, str], tuple[Alert, KeyDate]] = {}
    rule_of = rule_of or {}
    for alert in alerts:
        rule: object = rule_of.get(alert.id or 0) or (alert.source, alert.subject or alert.url)
        seen: set[str] = set()
        for kd in alert.key_dates:
            if kd.date and kd.role in CALENDAR_ROLES and kd.role not in seen:
                seen.add(kd.role)  # an alert's first-named date of a kind is its date of that kind
                key = (rule, kd.role)
                if key not in latest or (alert.id or 0) >= (latest[key][0].id or 0):
                    latest[key] = (alert, kd)
    out = [Deadline(kd.date, kd.role, alert.title, alert.url, alert.publisher or alert.source, alert.source,
                    alert.subject or alert.url, kd.evidence, kd.article, alert.id, alert.topics, alert.channel)
           for alert, kd in latest.values()]
    return sorted(out, key=lambda d: (d.day, d.role, d.title))


def rule_deadlines(store: Store) -> list[Deadline]:
    """Every dated key date of every rule the store knows (its alerts filed under rules)."""
    dated = store.rules.dated_alerts()
    return deadlines([alert for _, alert in dated], {alert.id or 0: rule for rule, alert in dated})


def upcoming(items: Iterable[Deadline], today: date, days: int) -> list[Deadline]:
    """The deadlines from today to `days` days ahead, soonest first."""
    # However far ahead is asked, the horizon stops at the calendar's last day (no overflow).
    last_day = date.max if days >= (date.max - today).days else today + timedelta(days=days)
    first, last = today.isoformat(), last_day.isoformat()
    return [d for d in items if first <= d.day <= last]


def _when(days_left: int) -> str:
    return "today" if days_left == 0 else "tomorrow" if days_left == 1 else f"in {days_left} days"


def describe(deadline: Deadline, today: date) -> str:
    when = _when(deadline.days_left(today))
    return f"{deadline.day} ({when}) {deadline.label}: {deadline.title} — {deadline.publisher}"


def to_ics(items: Iterable[Deadline], now: datetime) -> bytes:
    """An iCalendar (RFC 5545) file: one all-day event per deadline, stable UIDs, the evidence and
    the link in the description."""
    from icalendar import Calendar, Event  # imported here: only `calendar --ics` pays for it

    calendar = Calendar()
    calendar.add("prodid", ICS_PRODUCT)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", "rulewatch deadlines")
    for deadline in items:
        day = date.fromisoformat(deadline.day)
        event = Event()
        event.add("uid", deadline.uid)
        event.add("dtstamp", now)
        event.add("dtstart", day)
        event.add("dtend", day + timedelta(days=1) if day < date.max else day)  # 9999-12-31 ends that day
        event.add("summary", f"{deadline.label}: {deadline.title}")
        lines = [deadline.evidence, f"Publisher: {deadline.publisher}"]
        if deadline.article:
            lines.insert(1, f"Article: {deadline.article}")
        if deadline.url:
            lines.append(deadline.url)
            event.add("url", deadline.url)
        event.add("description", "\n".join(line for line in lines if line))
        event.add("categories", [deadline.label])
        event.add("transp", "TRANSPARENT")
        calendar.add_component(event)
    return calendar.to_ical()


def reminders_due(items: Iterable[Deadline], today: date) -> list[Alert]:
    """Reminders, addressed for the outbox, for deadlines REMINDER_DAYS away or nearer: the nearest reminder only (a run
    missed at 7 days sends the 1-day reminder, not both). Each carries an idempotency key of its
    deadline, day and reminder, so the outbox takes it once however often this runs."""
    drafts = []
    for d in items:
        left = d.days_left(today)
        if left < 0:
            continue
        due = [days for days in sorted(REMINDER_DAYS) if left <= days]
        if not due:
            continue
        when = _when(left)
        reminder = Finding(
            kind="deadline_reminder", title=d.title, url=d.url, topics=d.topics, subject=d.subject,
            publisher=d.publisher, added=f"{d.label} {when}: {d.day}\n{d.evidence}",
            key_dates=(KeyDate(d.role, d.day, d.evidence, d.article),),  # type: ignore[arg-type]
        )
        drafts.append(Alert.entered(reminder, source=d.source, channel=d.channel,
                                    idempotency_key=f"reminder:{d.uid}:{d.day}:{due[0]}d"))
    return drafts
