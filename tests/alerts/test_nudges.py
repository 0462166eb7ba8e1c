"""Nudges: an assigned rule with a deadline within 7 days and not done mentions its owner in its thread,
once, however often the daily flow runs; and the digest lists each owner's open rules."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from fakeslack import FakeSlack
from outbox import record_alerts

from rulewatch.alerts.calendar import Deadline
from rulewatch.alerts.deliver import deliver_pending
from rulewatch.alerts.digest import build_digests, render_digest
from rulewatch.alerts.nudges import OpenRule, nudges_due, owner_mentions
from rulewatch.alerts.reminders import send_reminders
from rulewatch.alerts.render import slack_message
from rulewatch.alerts.slack import SlackSink, make_web_client
from rulewatch.core.model import Alert, KeyDate
from rulewatch.services.triage import Asked, decide
from rulewatch.state import Store

TOKEN = "xoxb-test-token-123"
EFFECTIVE = date(2026, 12, 20)


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack(TOKEN, channels=("C-ALERTS",)) as server:
        yield server


def rule_alert() -> Alert:
    return Alert(kind="changed_text", title="银行业金融机构信息科技外包管理办法", url="https://reg.example/rule",
                 subject="https://reg.example/rule", source="nfra", topics=("cybersecurity",), publisher="NFRA",
                 rule_key="name:银行业金融机构信息科技外包管理办法", rule_role="amended",
                 key_dates=(KeyDate("effective", EFFECTIVE.isoformat(), "本办法自2026年12月20日起施行。"),))


def deadline(day: date, role: str = "effective") -> Deadline:
    return Deadline(day.isoformat(), role, "办法", "https://x/r", "NFRA", "nfra", "https://x/r", "自…施行", "", 5)


def test_only_open_owned_rules_with_a_deadline_within_a_week_are_nudged() -> None:
    owned = {1: OpenRule(1, "Jane Doe (U0JANE)", "assigned")}
    today = EFFECTIVE - timedelta(days=7)
    (nudge,) = nudges_due([deadline(EFFECTIVE)], owned, {5: 1}, today)
    assert nudge.kind == "triage_nudge" and nudge.notify == ("U0JANE",) and nudge.source == "nfra"
    assert nudge.idempotency_key == f"nudge:1:effective:{EFFECTIVE}" and "Takes effect in 7 days" in nudge.added
    assert nudges_due([deadline(EFFECTIVE)], owned, {5: 1}, EFFECTIVE - timedelta(days=8)) == []  # too far
    assert nudges_due([deadline(EFFECTIVE)], owned, {5: 1}, EFFECTIVE + timedelta(days=1)) == []  # passed
    assert nudges_due([deadline(EFFECTIVE)], {1: OpenRule(1, "Jane", "done")}, {5: 1}, today) == []
    assert nudges_due([deadline(EFFECTIVE)], owned, {5: 2}, today) == []  # another rule's deadline
    assert nudges_due([deadline(EFFECTIVE, "repeal")], owned, {5: 1}, today) == []


def test_a_typed_owner_is_named_but_never_becomes_a_mention() -> None:
    assert owner_mentions("Jane Doe (U0JANE)") == ("U0JANE",)
    assert owner_mentions("<!channel> (everyone)") == () and owner_mentions("Zhang Min") == ()


def test_the_owner_is_nudged_once_in_the_rules_thread_with_a_mention(store: Store, slack: FakeSlack) -> None:
    sink = SlackSink(make_web_client(TOKEN, slack.base_url), "C-ALERTS")
    record_alerts(store, [rule_alert()])
    deliver_pending(store, sink)
    (original,) = slack.posted("C-ALERTS")
    alert_id = store.outbox.alerts()[0].outbox_id
    decide(store, Asked(alert_id, "assigned", "Li Wei", "slack", owner="Jane Doe (U0JANE)"), EFFECTIVE - timedelta(30))
    for days_before in (9, 8, 6, 6, 3, 1):  # the daily flow, twice on some days
        sent = send_reminders(store, sink, EFFECTIVE - timedelta(days=days_before))
    nudges = [m for m in slack.posted("C-ALERTS") if m["text"].startswith("Not done yet")]
    assert len(nudges) == 1 and nudges[0]["thread_ts"] == original["ts"]
    assert any(b["type"] == "context" and b["elements"][0]["text"] == "<@U0JANE>" for b in nudges[0]["blocks"])
    assert sent.nudges == 1  # still due on the last day (it is in the outbox once)


def test_a_closed_rule_is_not_nudged(store: Store) -> None:
    record_alerts(store, [rule_alert()])
    alert_id = store.outbox.alerts()[0].outbox_id
    day = EFFECTIVE - timedelta(days=30)
    decide(store, Asked(alert_id, "assigned", "Li Wei", "cli", owner="Zhang Min"), day)
    decide(store, Asked(alert_id, "done", "Zhang Min", "cli", note="policy updated"), day)
    sent = send_reminders(store, [], EFFECTIVE - timedelta(days=3))
    assert sent.nudges == 0


def test_the_digest_lists_each_owners_open_rules(store: Store, slack: FakeSlack) -> None:
    sink = SlackSink(make_web_client(TOKEN, slack.base_url), "C-ALERTS")
    record_alerts(store, [rule_alert()])
    alert_id = store.outbox.alerts()[0].outbox_id
    decide(store, Asked(alert_id, "assigned", "Li Wei", "cli", owner="Zhang Min"), EFFECTIVE - timedelta(30))
    digest = build_digests(store, sink, datetime(2026, 12, 10, 9, tzinfo=UTC))["C-ALERTS"]
    (rules,) = digest.owners.values()
    assert list(digest.owners) == ["Zhang Min"] and rules[0].alert_id == alert_id and rules[0].state == "assigned"
    text = str(slack_message(render_digest(digest)).blocks)
    assert "Open rules by owner" in text and "Zhang Min" in text and "1 open" in text
