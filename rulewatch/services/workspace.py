"""What the web workspace shows, as plain records: the inbox (alerts with their rule's standing,
filtered), one alert with everything about it, the sources' health. The web front end renders these
and decides nothing; triage goes through services.triage like the CLI's and Slack's."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from rulewatch.alerts.calendar import DEFAULT_HORIZON_DAYS, Deadline, rule_deadlines, upcoming
from rulewatch.alerts.message import Message, alert_message
from rulewatch.core.errors import RulewatchError
from rulewatch.core.model import Alert
from rulewatch.lineage import Dossier, FiledAlerts, dossier
from rulewatch.services.triage import Standing, rule_standing, state_today
from rulewatch.state import SourceState, Store
from rulewatch.state.decisions import NEW, Decision
from rulewatch.state.records import DeliveryRecord
from rulewatch.state.triage import TriageRow

log = logging.getLogger("rulewatch.web")
INBOX_PAGE = 100  # rows per page
CALENDAR_TTL = 60.0  # seconds the calendar is kept while nothing it reads has changed


@dataclass(frozen=True, slots=True)
class InboxFilter:
    severity: str = ""
    state: str = ""
    owner: str = ""
    topic: str = ""
    source: str = ""
    since: str = ""  # ISO day
    text: str = ""  # words of the title
    page: int = 0


@dataclass(frozen=True, slots=True)
class InboxRow:
    alert: Alert
    rule_id: int | None
    state: str  # the rule's triage state today ("" for an alert about no rule)
    owner: str

    @property
    def line(self) -> str:
        """What changed, in one line: the English line, else the start of the added text."""
        text = self.alert.gloss_en.split("\n", 1)[0] or self.alert.added.split("\n", 1)[0]
        return text[:200]


@dataclass(slots=True)
class Inbox:
    rows: list[InboxRow]
    more: bool
    sources: list[str] = field(default_factory=list)
    topics: list[str] = field(default_factory=list)
    owners: list[str] = field(default_factory=list)


def inbox(store: Store, wanted: InboxFilter, today: date) -> Inbox:
    """Alerts newest first, as filtered, a page at a time (muted ones and notices about sources too:
    the inbox hides nothing, it says what each is). Filtered in the database: a page costs the same
    after a year of history."""
    day = today.isoformat()
    entries = store.inbox.page(today=day, severity=wanted.severity, state=wanted.state, owner=wanted.owner,
                               topic=wanted.topic, source=wanted.source, since=wanted.since, text=wanted.text,
                               offset=max(0, wanted.page) * INBOX_PAGE, limit=INBOX_PAGE + 1)
    rows = [InboxRow(e.alert, e.rule_id, state_today(e.state, e.snoozed_until, today), e.owner) for e in entries]
    sources, topics, owners = store.inbox.choices()
    return Inbox(rows[:INBOX_PAGE], len(rows) > INBOX_PAGE, sources, topics, owners)


@dataclass(frozen=True, slots=True)
class AlertView:
    alert: Alert
    message: Message
    deliveries: list[DeliveryRecord]
    rule_id: int | None
    standing: Standing | None
    state: str
    events: list[Decision]  # the rule's decisions, oldest first


def alert_view(store: Store, alert_id: int, today: date) -> AlertView | None:
    found = store.outbox.by_id([alert_id])
    if not found:
        return None
    alert = found[0]
    rule_id, standing = rule_standing(store, alert_id, today)
    events = store.triage.events(rule_id=rule_id) if rule_id is not None else []
    state = standing.state if standing else (NEW if rule_id is not None else "")
    return AlertView(alert, alert_message(alert), store.outbox.deliveries_by_alert([alert_id])[alert_id], rule_id,
                     standing, state, events)


def rule_dossier(store: Store, rule_id: int) -> tuple[TriageRow, Dossier | None, list[Alert]] | None:
    """A rule's standing, its life (rulewatch.lineage's dossier, read from this rule's alerts only) and
    its alerts, oldest first; None when there is no such rule."""
    row = store.triage.row(rule_id)
    records = store.rules.get([rule_id])
    if row is None or not records:
        return None
    alerts = store.outbox.by_id(records[0].alert_ids())
    life = dossier(store, str(row.alert_id), FiledAlerts(alerts, {a.outbox_id: rule_id for a in alerts}))
    return row, life, alerts


class Calendar:
    """The coming deadlines, read again only when an alert or a rule changed (or CALENDAR_TTL passed):
    a year of dated alerts takes most of a second to read, a page should take a fifth of one."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._kept: tuple[tuple[int, str], float, list[Deadline]] | None = None
        self._lock = threading.Lock()

    def deadlines(self) -> list[Deadline]:
        versions = self.store.inbox.versions()
        with self._lock:
            kept = self._kept
            if kept is not None and kept[0] == versions and time.monotonic() - kept[1] < CALENDAR_TTL:
                return kept[2]
        found = rule_deadlines(self.store)
        with self._lock:
            self._kept = (versions, time.monotonic(), found)
        return found

    def upcoming(self, today: date, days: int = DEFAULT_HORIZON_DAYS) -> list[Deadline]:
        return upcoming(self.deadlines(), today, days)


@dataclass(frozen=True, slots=True)
class SourceHealth:
    state: SourceState
    last_change: str  # when its last relevant change was detected ("" for none)
    schedule: str  # what schedules its checks (prefect.yaml), "" when unknown


def sources_health(store: Store, sources_file: str = "", prefect_yaml: str = "") -> list[SourceHealth]:
    """Every source checked so far, failing ones first, with its last change and, when the sources file
    and prefect.yaml are at hand, what schedules it (a source no deployment schedules says so)."""
    changed = store.sources.last_changes()
    schedules: dict[str, str] = {}
    if sources_file and prefect_yaml and Path(sources_file).is_file() and Path(prefect_yaml).is_file():
        from rulewatch.config import load_sources
        from rulewatch.schedules import coverage, describe, load_deployments

        try:
            covered = coverage(load_sources(sources_file), load_deployments(prefect_yaml))
        except RulewatchError as exc:  # the page still shows the health; the schedule says why it is missing
            log.warning("sources page: schedules unknown: %s", exc)
        else:
            schedules = {name: describe(found) or "not scheduled" for name, found in covered.items()}
    return [SourceHealth(s, changed.get(s.name, ""), schedules.get(s.name, ""))
            for s in sorted(store.sources.all(), key=lambda s: (-s.consecutive_failures, s.name))]
