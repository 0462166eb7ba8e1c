"""The deadline radar: each rule's latest dates, the window ahead, and an iCalendar file that parses
strictly (RFC 5545: CRLF lines folded at 75 octets, required properties, stable UIDs)."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime

from icalendar import Calendar
from outbox import record_alerts

from rulewatch.alerts.calendar import deadlines, describe, to_ics, upcoming
from rulewatch.alerts.deliver import ConsoleSink
from rulewatch.alerts.digest import send_digests
from rulewatch.core.model import Alert, KeyDate
from rulewatch.state import Store

TODAY = date(2026, 12, 1)


def dated(id_: int, subject: str, *dates: tuple[str, str], title: str = "数据安全管理办法（征求意见稿）") -> Alert:
    return Alert(kind="changed_text", title=title, url=f"https://reg.example/{subject}", source="nfra",
                 subject=subject, publisher="NFRA", id=id_,
                 key_dates=tuple(KeyDate(role, day, f"意见反馈截止时间为{day}。", "第九条") for role, day in dates))  # type: ignore[arg-type]


def test_a_rules_latest_alert_gives_its_dates_and_a_moved_deadline_replaces_the_old() -> None:
    alerts = [dated(1, "a", ("comment_deadline", "2026-12-10")), dated(2, "b", ("effective", "2027-01-01")),
              dated(3, "a", ("comment_deadline", "2026-12-20"), ("comment_deadline", "2026-12-31"))]
    found = deadlines(alerts)
    assert [(d.subject, d.role, d.day) for d in found] == [("a", "comment_deadline", "2026-12-20"),
                                                          ("b", "effective", "2027-01-01")]
    assert found[0].uid == deadlines([alerts[0]])[0].uid  # one event, moved


def test_only_dated_roles_in_the_window_count() -> None:
    alerts = [dated(1, "a", ("comment_deadline", "2026-11-30")), dated(2, "b", ("repeal", "2026-12-05")),
              dated(3, "c", ("effective", "")), dated(4, "d", ("compliance_deadline", "2026-12-15")),
              dated(5, "e", ("effective", "2027-06-01"))]
    coming = upcoming(deadlines(alerts), TODAY, 30)
    assert [(d.subject, d.role) for d in coming] == [("d", "compliance_deadline")]
    assert describe(coming[0], TODAY).startswith("2026-12-15 (in 14 days) Comply by: 数据安全管理办法")


def strict_parse(data: bytes) -> Calendar:
    text = data.decode("utf-8")
    assert text.endswith("\r\n") and "\n" not in text.replace("\r\n", "")  # CRLF only
    for line in text.split("\r\n"):
        assert len(line.encode()) <= 75  # folded
    calendar = Calendar.from_ical(data)
    assert calendar.get("VERSION") == "2.0" and calendar.get("PRODID")
    return calendar


def test_the_ics_file_parses_strictly_with_one_all_day_event_per_deadline() -> None:
    alerts = [dated(1, "a", ("comment_deadline", "2026-12-10"), title="关于《银行保险机构数据安全管理办法（征求意见稿）》"
                    "公开征求意见的通知" * 3),
              dated(2, "b", ("effective", "2027-01-01"), title="Computer-Security Incident Notification Requirements")]
    data = to_ics(deadlines(alerts), datetime(2026, 12, 1, 8, tzinfo=UTC))
    events = strict_parse(data).walk("VEVENT")
    assert len(events) == 2
    first = events[0]
    for required in ("UID", "DTSTAMP", "DTSTART", "SUMMARY"):
        assert first.get(required) is not None
    assert first.decoded("DTSTART") == date(2026, 12, 10) and first.decoded("DTEND") == date(2026, 12, 11)
    assert str(first.get("SUMMARY")).startswith("Comments due: 关于《银行保险机构数据安全管理办法")
    assert "意见反馈截止时间为2026-12-10。" in str(first.get("DESCRIPTION"))
    assert str(first.get("URL")) == "https://reg.example/a"
    assert len({str(e.get("UID")) for e in events}) == 2
    assert strict_parse(to_ics([], datetime(2026, 12, 1, tzinfo=UTC))).walk("VEVENT") == []


def test_the_digest_lists_the_deadlines_of_the_next_two_weeks(store: Store) -> None:
    record_alerts(store, [dated(0, "a", ("comment_deadline", "2026-12-10")),
                          dated(0, "b", ("effective", "2027-03-01"))])
    out = io.StringIO()
    send_digests(store, ConsoleSink(out), now=datetime(2026, 12, 1, 8, tzinfo=UTC))
    text = out.getvalue()
    assert "Deadlines in the next 14 days:" in text
    assert "2026-12-10 (in 9 days) Comments due: 数据安全管理办法（征求意见稿）" in text
    assert "2027-03-01" not in text
