"""The inbox as the web pages through it: filters applied in the database, a snooze that ended shown as
new, pages that neither repeat nor skip; a rule's dossier read from its own alerts; the calendar read
again when an alert arrives."""

from __future__ import annotations

from datetime import date

import pytest
from outbox import record_alerts

from rulewatch.core.model import Alert, KeyDate
from rulewatch.services import workspace
from rulewatch.services.triage import Asked, decide
from rulewatch.services.workspace import Calendar, InboxFilter, inbox, rule_dossier
from rulewatch.state import Store

TODAY = date(2026, 12, 7)


def alert(n: int, **fields: object) -> Alert:
    base: dict[str, object] = {"kind": "new_item", "title": f"办法{n}号 100%_x", "url": f"https://x/{n}",
                               "subject": f"s{n}", "source": f"src{n % 2}", "topics": ("procurement",),
                               "severity": "low", "rule_key": f"name:办法第{n}号规定", "rule_role": "published"}
    return Alert(**{**base, **fields})  # type: ignore[arg-type]


@pytest.fixture
def filled(store: Store) -> Store:
    record_alerts(store, [alert(0, severity="high", topics=("cybersecurity",)), alert(1), alert(2), alert(3)])
    ids = {a.title: a.outbox_id for a in store.outbox.alerts()}
    decide(store, Asked(ids["办法1号 100%_x"], "assigned", "li", "cli", owner="Zhang Min"), TODAY)
    decide(store, Asked(ids["办法2号 100%_x"], "snoozed", "li", "cli", until=date(2026, 12, 8)), TODAY)
    return store


def titles(store: Store, wanted: InboxFilter, today: date = TODAY) -> list[str]:
    return [r.alert.title[:3] for r in inbox(store, wanted, today).rows]


def test_filters_are_applied_and_newest_comes_first(filled: Store) -> None:
    assert titles(filled, InboxFilter()) == ["办法3", "办法2", "办法1", "办法0"]
    assert titles(filled, InboxFilter(severity="high")) == ["办法0"]
    assert titles(filled, InboxFilter(topic="cybersecurity")) == ["办法0"]
    assert titles(filled, InboxFilter(owner="Zhang Min")) == ["办法1"]
    assert titles(filled, InboxFilter(state="assigned")) == ["办法1"]
    assert titles(filled, InboxFilter(source="src1")) == ["办法3", "办法1"]
    assert titles(filled, InboxFilter(text="100%_")) == ["办法3", "办法2", "办法1", "办法0"]  # % and _ are text
    assert titles(filled, InboxFilter(text="号%1")) == []  # as a wildcard, % would match them all


def test_a_snooze_that_ended_is_new_again(filled: Store) -> None:
    assert titles(filled, InboxFilter(state="snoozed")) == ["办法2"]
    assert titles(filled, InboxFilter(state="new")) == ["办法3", "办法0"]
    later = date(2026, 12, 8)
    assert titles(filled, InboxFilter(state="snoozed"), later) == []
    assert titles(filled, InboxFilter(state="new"), later) == ["办法3", "办法2", "办法0"]
    assert [r.state for r in inbox(filled, InboxFilter(), later).rows][1] == "new"


def test_pages_neither_repeat_nor_skip(filled: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(workspace, "INBOX_PAGE", 3)
    first, second = inbox(filled, InboxFilter(), TODAY), inbox(filled, InboxFilter(page=1), TODAY)
    assert first.more and not second.more
    assert [r.alert.outbox_id for r in first.rows + second.rows] == sorted(
        (a.outbox_id for a in filled.outbox.alerts()), reverse=True)
    assert inbox(filled, InboxFilter(), TODAY).owners == ["Zhang Min"]


def test_a_rules_dossier_reads_its_own_alerts(filled: Store) -> None:
    first = filled.outbox.alerts()[-1]
    rule_id = filled.rules.rule_of([first.outbox_id])[first.outbox_id]
    record_alerts(filled, [alert(0, kind="changed_item", subject="s0", title="办法0号 100%_x", source="src0")])
    found = rule_dossier(filled, rule_id)
    assert found is not None
    row, life, alerts = found
    assert life is not None and len(alerts) == 2 and {a.title for a in alerts} == {"办法0号 100%_x"}
    assert rule_dossier(filled, 9999) is None


def test_the_calendar_is_read_again_when_an_alert_arrives(filled: Store) -> None:
    calendar = Calendar(filled)
    assert calendar.upcoming(TODAY) == []
    record_alerts(filled, [alert(9, key_dates=(KeyDate("effective", "2026-12-20", "自2026年12月20日起施行"),))])
    assert [d.day for d in calendar.upcoming(TODAY)] == ["2026-12-20"]
