"""Source health notices (one on failing, one on recovery), topic routing, and the daily digest."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from fakeslack import FakeSlack

from rulewatch.alerts.deliver import ConsoleSink, deliver_pending
from rulewatch.alerts.digest import send_digests
from rulewatch.alerts.slack import SlackSink, make_web_client
from rulewatch.core.model import Document, Item
from rulewatch.detection.compare import compare
from rulewatch.detection.explain import ExplainContext
from rulewatch.detection.health import SourceHealth
from rulewatch.detection.judge import judge
from rulewatch.detection.relevance import Taxonomy
from rulewatch.state import Store

TOKEN = "xoxb-test-token-123"

HEALTH = SourceHealth(notify_after=3)


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack(TOKEN, channels=("C-ALERTS", "C-SEC", "C-BUY", "C-URGENT")) as server:
        yield server


def test_one_failing_notice_after_three_failures_and_one_recovery(store: Store) -> None:
    for _ in range(6):
        store.record_failure(name="pboc", url="http://x/", error="challenge: JavaScript wall", health=HEALTH)
    notices = store.outbox.alerts(newest_first=False)
    assert [a.kind for a in notices] == ["source_failing"]
    assert "3 consecutive checks failed" in notices[0].added and "challenge" in notices[0].added
    store.record_not_modified(name="pboc", url="http://x/", etag="", last_modified="", health=HEALTH)
    store.record_not_modified(name="pboc", url="http://x/", etag="", last_modified="", health=HEALTH)
    kinds = [a.kind for a in store.outbox.alerts(newest_first=False)]
    assert kinds == ["source_failing", "source_recovered"]
    assert store.outbox.alerts()[0].subject == store.outbox.alerts()[1].subject  # the recovery threads under the notice


def test_a_blip_shorter_than_the_threshold_says_nothing(store: Store) -> None:
    store.record_failure(name="s", url="u", error="timeout", health=HEALTH)
    store.record_failure(name="s", url="u", error="timeout", health=HEALTH)
    store.record_not_modified(name="s", url="u", etag="", last_modified="", health=HEALTH)
    assert store.outbox.alerts() == []


def lst(*titles: str) -> Document:
    return Document(kind="list", url="http://x/list", items=[Item(id=t, title=t, url=f"http://x/{t}") for t in titles])


def record_change(store: Store, source: str, title: str, issuer: str = "regulator") -> None:
    tax = Taxonomy.load()
    old = lst("基线")
    store.record_success(name=source, url="u", document=old, etag="", last_modified="", change=None, verdict=None)
    new = lst(title, "基线")
    change = compare(old, new)
    store.record_success(name=source, url="u", document=new, etag="", last_modified="", change=change,
                         verdict=judge(change, old, new, tax, context=ExplainContext.default(issuer=issuer)))


def test_alerts_are_routed_by_topic(store: Store, slack: FakeSlack) -> None:
    record_change(store, "a", "关于网络安全等级保护的通知")
    record_change(store, "b", "关于政府采购的通知")
    sink = SlackSink(make_web_client(TOKEN, slack.base_url), "C-ALERTS", {"cybersecurity": "C-SEC", "procurement": "C-BUY"})
    assert len(deliver_pending(store, sink).delivered) == 2
    assert len(slack.posted("C-SEC")) == 1 and len(slack.posted("C-BUY")) == 1 and slack.posted("C-ALERTS") == []


def test_digest_lists_changes_failures_and_recoveries_once_a_day(store: Store, slack: FakeSlack) -> None:
    record_change(store, "cac", "关于网络安全审查的通知")
    for _ in range(3):
        store.record_failure(name="pboc", url="http://pboc/", error="challenge: JavaScript wall", health=HEALTH)
    sink = SlackSink(make_web_client(TOKEN, slack.base_url), "C-ALERTS")
    assert send_digests(store, sink) == {"C-ALERTS": "posted"}
    (message,) = slack.posted()
    text = " ".join(b["text"]["text"] for b in message["blocks"])
    assert "1 change(s)" in text and "关于网络安全审查的通知" in text and "*pboc*: 3 failed check(s)" in text
    assert send_digests(store, sink) == {"C-ALERTS": "already posted today"}
    assert len(slack.posted()) == 1


def test_quiet_day_digest_on_the_console(store: Store) -> None:
    out = io.StringIO()
    assert send_digests(store, ConsoleSink(out), now=datetime(2026, 11, 28, 8, tzinfo=UTC)) == {"console": "posted"}
    assert "rulewatch digest 2026-11-28" in out.getvalue() and "No relevant changes." in out.getvalue()


def record_amendment(store: Store, source: str) -> None:
    """A rule whose reporting deadline is cut from 24 hours to 2: a high alert."""
    from rulewatch.core.model import Block

    text = "第八条 银行业金融机构发生网络安全事件的，应当在二十四小时内向监管部门报告。"
    old = Document(kind="page", url=f"http://x/{source}", title="网络安全事件报告管理办法", blocks=[Block(text)])
    new = Document(kind="page", url=old.url, title=old.title, blocks=[Block(text.replace("二十四", "两"))])
    store.record_success(name=source, url=old.url, document=old, etag="", last_modified="", change=None, verdict=None)
    change = compare(old, new)
    store.record_success(name=source, url=old.url, document=new, etag="", last_modified="", change=change,
                         verdict=judge(change, old, new, Taxonomy.load()))


def test_alerts_at_a_severity_floor_are_copied_to_its_channel(store: Store, slack: FakeSlack) -> None:
    record_amendment(store, "rule")
    record_change(store, "list", "关于网络安全等级保护的通知")
    assert [a.severity for a in store.outbox.alerts(newest_first=False)] == ["high", "medium"]
    sink = SlackSink(make_web_client(TOKEN, slack.base_url), "C-ALERTS", {"cybersecurity": "C-SEC"},
                     severity_routes=(("high", "C-URGENT"),))
    assert len(deliver_pending(store, sink).delivered) == 2
    (urgent,) = slack.posted("C-URGENT")
    assert urgent["blocks"][0]["text"]["text"].startswith("HIGH · Amended")
    assert any(b["type"] == "rich_text" for b in urgent["blocks"])  # the fake checked its shape
    # The high one stays in its own channel too, where its thread and its digest are.
    assert [m["text"][:4] for m in slack.posted("C-SEC")] == ["Amen", "New:"]
    high = store.outbox.alerts(newest_first=False)[0]
    assert sink.channel_for(high) == "C-SEC" and sink.copies_for(high) == ["C-URGENT"]


def test_moving_posts_them_in_the_severitys_channel_only(store: Store, slack: FakeSlack) -> None:
    record_amendment(store, "rule")
    sink = SlackSink(make_web_client(TOKEN, slack.base_url), "C-ALERTS", {"cybersecurity": "C-SEC"},
                     severity_routes=(("high", "C-URGENT"),), severity_routing="move")
    assert len(deliver_pending(store, sink).delivered) == 1
    assert len(slack.posted("C-URGENT")) == 1 and slack.posted("C-SEC") == []


def test_a_copy_that_fails_is_retried_without_posting_the_original_twice(store: Store, slack: FakeSlack) -> None:
    record_amendment(store, "rule")
    sink = SlackSink(make_web_client(TOKEN, slack.base_url), "C-ALERTS", {}, severity_routes=(("high", "C-URGENT"),))
    slack.channels.discard("C-URGENT")  # the copy's channel cannot be posted in on the first run
    first = deliver_pending(store, sink)
    assert first.delivered == [] and len(slack.posted("C-ALERTS")) == 1
    slack.channels.add("C-URGENT")
    slack.messages.setdefault("C-URGENT", [])
    assert len(deliver_pending(store, sink).delivered) == 1
    assert len(slack.posted("C-ALERTS")) == 1 and len(slack.posted("C-URGENT")) == 1


def test_the_severity_routes_setting_names_its_mistakes() -> None:
    from rulewatch.core.env import severity_channels
    from rulewatch.core.errors import SettingsError

    assert severity_channels({"RULEWATCH_SEVERITY_CHANNELS": "medium=#reg, high=#reg-urgent"}) == (
        ("high", "#reg-urgent"), ("medium", "#reg"))
    with pytest.raises(SettingsError, match="RULEWATCH_SEVERITY_CHANNELS: 'urgent' is not a level"):
        severity_channels({"RULEWATCH_SEVERITY_CHANNELS": "urgent=#x"})


def test_the_digest_lists_the_most_severe_first(store: Store) -> None:
    record_change(store, "press", "网络安全新闻：业内人士谈数据安全", issuer="press")
    record_change(store, "list", "关于网络安全等级保护的通知")
    record_amendment(store, "rule")
    out = io.StringIO()
    send_digests(store, ConsoleSink(out))
    levels = [line.split("]")[0] + "]" for line in out.getvalue().splitlines() if line.startswith("• [")]
    assert levels == ["• [HIGH]", "• [MEDIUM]", "• [LOW]"]
    assert "reporting deadline 24 hours → 2 hours" in out.getvalue()


def test_a_run_of_304s_written_together_still_announces_a_recovery_and_adds_a_new_source(
        store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    from rulewatch.state.recorder import NotModifiedAnswer, Recorder

    one_by_one: list[str] = []
    each = Recorder.record_not_modified

    def counted(self: Recorder, **kwargs: Any) -> None:
        one_by_one.append(kwargs["name"])
        each(self, **kwargs)

    for name in ("a", "b", "c"):
        store.record_not_modified(name=name, url=f"http://x/{name}", etag="", last_modified="", health=HEALTH)
    for _ in range(3):
        store.record_failure(name="b", url="http://x/b", error="timeout", health=HEALTH)
    answers = [NotModifiedAnswer(n, f"http://x/{n}", f'"{n}2"', "") for n in ("a", "b", "c", "new")]
    monkeypatch.setattr(Recorder, "record_not_modified", counted)
    store.write(lambda recorder: recorder.record_not_modified_many(answers), HEALTH)
    assert one_by_one == ["a", "b", "c", "new"]  # not all healthy: each source its own way
    assert [(a.kind, a.source) for a in store.outbox.alerts(newest_first=False)] == [
        ("source_failing", "b"), ("source_recovered", "b")]
    states = {s.name: s for s in store.sources.all()}
    assert {n: (s.etag, s.consecutive_failures) for n, s in states.items()} == {
        "a": ('"a2"', 0), "b": ('"b2"', 0), "c": ('"c2"', 0), "new": ('"new2"', 0)}
    # all healthy now: one statement for the four, and nothing more to announce
    store.write(lambda recorder: recorder.record_not_modified_many(answers), HEALTH)
    assert one_by_one == ["a", "b", "c", "new"] and len(store.outbox.alerts()) == 2


def test_severity_levels_read_in_any_case_and_a_malformed_route_says_level_channel() -> None:
    from rulewatch.core.env import severity_channels, severity_routing
    from rulewatch.core.errors import SettingsError

    assert severity_routing({}) == "copy" and severity_routing({"RULEWATCH_SEVERITY_ROUTING": "Move"}) == "move"
    with pytest.raises(SettingsError, match="use copy"):
        severity_routing({"RULEWATCH_SEVERITY_ROUTING": "both"})
    assert severity_channels({"RULEWATCH_SEVERITY_CHANNELS": "HIGH=#reg-urgent, Medium=#reg"}) == (
        ("high", "#reg-urgent"), ("medium", "#reg"))
    with pytest.raises(SettingsError, match=r"'high:#x' is not level=channel \(e.g. high=#reg-urgent\)"):
        severity_channels({"RULEWATCH_SEVERITY_CHANNELS": "high:#x"})
