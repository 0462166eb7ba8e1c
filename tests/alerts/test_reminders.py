"""Deadline reminders: 7 days and 1 day before, in the rule's own Slack thread, each exactly once, with
an injected clock, however often the reminder flow runs and even when a run dies between its steps."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from fakeslack import FakeSlack
from outbox import record_alerts

from rulewatch.alerts.calendar import reminders_due, rule_deadlines
from rulewatch.alerts.deliver import deliver_pending
from rulewatch.alerts.reminders import send_reminders
from rulewatch.alerts.slack import SlackSink, make_web_client
from rulewatch.core.model import Alert, KeyDate
from rulewatch.state import Store

TOKEN = "xoxb-test-token-123"
DEADLINE = date(2026, 12, 20)


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack(TOKEN, channels=("C-ALERTS",)) as server:
        yield server


def draft_rule() -> Alert:
    return Alert(kind="changed_text", title="数据安全管理办法（征求意见稿）", url="https://reg.example/draft",
                 subject="https://reg.example/draft", source="nfra", topics=("cybersecurity",), publisher="NFRA",
                 key_dates=(KeyDate("comment_deadline", DEADLINE.isoformat(), "意见反馈截止时间为2026年12月20日。"),))


def sink(slack: FakeSlack) -> SlackSink:
    return SlackSink(make_web_client(TOKEN, slack.base_url), "C-ALERTS")


def test_reminders_at_seven_days_and_one_day_in_the_rules_thread_each_once(store: Store, slack: FakeSlack) -> None:
    record_alerts(store, [draft_rule()])
    assert len(deliver_pending(store, sink(slack)).delivered) == 1
    (original,) = slack.posted("C-ALERTS")
    for days_before in (10, 8, 7, 7, 6, 2, 1, 1, 0):  # the daily flow, and a second run on some days
        send_reminders(store, sink(slack), DEADLINE - timedelta(days=days_before))
    posted = slack.posted("C-ALERTS")
    reminders = posted[1:]
    assert len(reminders) == 2  # 7 days before and 1 day before; none on the day after the 1-day one
    assert all(m["thread_ts"] == original["ts"] for m in reminders)
    assert reminders[0]["blocks"][0]["text"]["text"] == "Reminder: 数据安全管理办法（征求意见稿）"
    texts = [" ".join(b["text"]["text"] for b in m["blocks"] if b["type"] == "section") for m in reminders]
    assert "Comments due in 7 days: 2026-12-20" in texts[0] and "Comments due tomorrow: 2026-12-20" in texts[1]


def test_a_run_killed_between_writing_and_posting_posts_once_on_the_next_run(store: Store, slack: FakeSlack) -> None:
    record_alerts(store, [draft_rule()])
    deliver_pending(store, sink(slack))
    today = DEADLINE - timedelta(days=7)
    # The first run wrote its reminder to the outbox, then died before posting it.
    assert store.outbox.add_once(reminders_due(rule_deadlines(store), today)) == 1
    sent = send_reminders(store, sink(slack), today)
    assert (sent.due, sent.added, len(sent.delivery.delivered)) == (1, 0, 1)
    assert send_reminders(store, sink(slack), today).delivery.delivered == []
    assert len(slack.posted("C-ALERTS")) == 2


def test_a_missed_seven_day_run_sends_only_the_nearer_reminder(store: Store) -> None:
    record_alerts(store, [draft_rule()])
    drafts = reminders_due(rule_deadlines(store), DEADLINE - timedelta(days=1))
    assert [d.idempotency_key.rsplit(":", 1)[1] for d in drafts] == ["1d"]
    assert reminders_due(rule_deadlines(store), DEADLINE + timedelta(days=1)) == []


def test_a_moved_deadline_is_reminded_at_its_new_date(store: Store) -> None:
    record_alerts(store, [draft_rule()])
    moved = DEADLINE + timedelta(days=14)
    later = Alert(kind="changed_text", title="数据安全管理办法（征求意见稿）", url="https://reg.example/draft",
                  subject="https://reg.example/draft", source="nfra",
                  key_dates=(KeyDate("comment_deadline", moved.isoformat(), "意见反馈截止时间延长。"),))
    record_alerts(store, [later])
    assert reminders_due(rule_deadlines(store), DEADLINE - timedelta(days=7)) == []
    (draft,) = reminders_due(rule_deadlines(store), moved - timedelta(days=7))
    assert draft.key_dates[0].date == moved.isoformat()
