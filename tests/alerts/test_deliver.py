"""Delivery through the real slack_sdk.WebClient against a Slack-compatible server on 127.0.0.1."""

from __future__ import annotations

import io
import time
from collections.abc import Iterator

import pytest
from fakeslack import FakeSlack, Fault

from rulewatch.alerts import deliver
from rulewatch.alerts.deliver import ConsoleSink, deliver_pending
from rulewatch.alerts.slack import SlackSink, make_web_client
from rulewatch.core.errors import PermanentDeliveryError
from rulewatch.core.model import Document, Item
from rulewatch.detection.compare import compare
from rulewatch.detection.judge import judge
from rulewatch.detection.relevance import Taxonomy
from rulewatch.state import Store

TOKEN = "xoxb-test-token-123"
TAX = Taxonomy.load()


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack(TOKEN) as server:
        yield server


def sink(slack: FakeSlack, channel: str = "C-ALERTS", token: str = TOKEN) -> SlackSink:
    return SlackSink(make_web_client(token, slack.base_url), channel)


def lst(*titles: str) -> Document:
    return Document(kind="list", url="http://x/list", items=[Item(id=t, title=t, url=f"http://x/{t}") for t in titles])


def add_alerts(store: Store, n: int, source: str = "src") -> None:
    """Record a baseline, then n cycles that each add one relevant item."""
    titles = ["基线通知"]
    store.record_success(name=source, url="http://x/list", document=lst(*titles), etag="", last_modified="",
                         change=None, verdict=None)
    for i in range(n):
        old = lst(*titles)
        titles = [f"关于政府采购第{i}批信息技术产品的通知", *titles]
        new = lst(*titles)
        change = compare(old, new)
        store.record_success(name=source, url="http://x/list", document=new, etag="", last_modified="",
                             change=change, verdict=judge(change, old, new, TAX))


def test_console_delivery_marks_alerts_delivered(store: Store) -> None:
    add_alerts(store, 2)
    out = io.StringIO()
    report = deliver_pending(store, ConsoleSink(out))
    assert len(report.delivered) == 2 and store.outbox.alerts(pending_only=True) == []
    assert "第0批" in out.getvalue() and "第1批" in out.getvalue()


def test_slack_delivery_in_order_with_channel_and_ts(store: Store, slack: FakeSlack) -> None:
    add_alerts(store, 3)
    report = deliver_pending(store, sink(slack))
    assert len(report.delivered) == 3
    posted = slack.posted()
    assert [m["text"] for m in posted] == [f"New: 关于政府采购第{i}批信息技术产品的通知" for i in range(3)]
    for (_, sink_name), record in store.outbox.deliveries([a.outbox_id for a in store.outbox.alerts()]).items():
        assert sink_name == "slack" and record.channel == "C-ALERTS" and record.ts and record.delivered_at
    assert all(h["Authorization"] == f"Bearer {TOKEN}" for _, _, h in slack.requests)


def test_outage_for_several_cycles_then_recovery_delivers_each_alert_once_in_order(
    store: Store, slack: FakeSlack
) -> None:
    for cycle in range(3):
        add_alerts(store, 1, source=f"s{cycle}")
        slack.fail(*[Fault("chat.postMessage", status=500, error="internal_error")] * 3)  # more than the retries
        report = deliver_pending(store, sink(slack))
        assert report.delivered == [] and report.failed
    assert slack.posted() == []
    report = deliver_pending(store, sink(slack))
    assert len(report.delivered) == 3
    assert [m["text"] for m in slack.posted()] == ["New: 关于政府采购第0批信息技术产品的通知"] * 3
    assert [a.source for a in store.outbox.alerts(newest_first=False)] == ["s0", "s1", "s2"]
    assert deliver_pending(store, sink(slack)).delivered == []  # nothing twice


def test_rate_limit_is_retried_after_retry_after(store: Store, slack: FakeSlack) -> None:
    add_alerts(store, 1)
    slack.fail(Fault("chat.postMessage", status=429, headers={"Retry-After": "1"}),
               Fault("chat.postMessage", status=429, headers={"Retry-After": "1"}))
    report = deliver_pending(store, sink(slack))
    assert len(report.delivered) == 1 and len(slack.posted()) == 1


def test_lost_answer_to_a_successful_post_is_not_posted_again(store: Store, slack: FakeSlack) -> None:
    add_alerts(store, 1)
    # Slack posts the message, but the connection drops before our client hears "ok".
    slack.fail(Fault("chat.postMessage", drop=True, after_success=True))
    report = deliver_pending(store, sink(slack))
    assert len(report.delivered) == 1
    assert len(slack.posted()) == 1  # found by its idempotency key in the channel history
    newest = store.outbox.alerts()[0].outbox_id
    assert store.outbox.deliveries([newest])[(newest, "slack")].ts == slack.posted()[0]["ts"]


def test_crash_between_post_and_mark_does_not_duplicate(
    store: Store, slack: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_alerts(store, 2)

    class Killed(BaseException):
        pass

    def die(*args: object, **kwargs: object) -> None:
        raise Killed  # the process dies right after Slack accepted the first message

    with monkeypatch.context() as patch:
        patch.setattr(store.outbox, "mark_many", die)
        with pytest.raises(Killed):
            deliver_pending(store, sink(slack), lease_seconds=0.5)
    assert len(slack.posted()) == 1 and len(store.outbox.alerts(pending_only=True)) == 2
    assert deliver_pending(store, sink(slack)).delivered == [2]  # the dead sender's lease still holds #1
    time.sleep(0.6)
    report = deliver_pending(store, sink(slack))
    assert report.delivered == [1]
    texts = sorted(m["text"] for m in slack.posted())
    assert texts == ["New: 关于政府采购第0批信息技术产品的通知", "New: 关于政府采购第1批信息技术产品的通知"]


@pytest.mark.parametrize("error", ["channel_not_found", "invalid_auth"])
def test_permanent_errors_stop_the_channel_and_leave_alerts_pending(store: Store, slack: FakeSlack, error: str) -> None:
    add_alerts(store, 3)
    target = sink(slack, channel="C-MISSING") if error == "channel_not_found" else sink(slack, token="xoxb-wrong")
    report = deliver_pending(store, target)
    assert report.delivered == [] and len(report.failed) == 1  # one attempt, not one per alert
    assert list(report.stopped_channels.values())[0].startswith(f"Slack refused: {error} (")
    assert len(store.outbox.alerts(pending_only=True)) == 3


def test_follow_up_on_the_same_subject_replies_in_the_thread(store: Store, slack: FakeSlack) -> None:
    old = lst("a 通知")
    store.record_success(name="src", url="u", document=old, etag="", last_modified="", change=None, verdict=None)
    first = lst("关于政府采购的通知", "a 通知")
    ch = compare(old, first)
    store.record_success(name="src", url="u", document=first, etag="", last_modified="", change=ch,
                         verdict=judge(ch, old, first, TAX))
    deliver_pending(store, sink(slack))
    second = lst("a 通知")  # the same item withdrawn
    ch = compare(first, second)
    store.record_success(name="src", url="u", document=second, etag="", last_modified="", change=ch,
                         verdict=judge(ch, first, second, TAX))
    deliver_pending(store, sink(slack))
    parent, reply = slack.posted()
    assert reply["thread_ts"] == parent["ts"] and reply["text"].startswith("Withdrawn:")


def test_a_follow_up_waits_while_its_threads_first_message_is_held_by_a_sender_that_died(
        store: Store, slack: FakeSlack) -> None:
    """A reminder queued while the rule's first message was held by a killed `deliver` (claimed, maybe
    posted, not marked) used to go out on its own; it waits for that message, then replies in its thread."""
    from outbox import record_alerts
    from sqlalchemy import text

    from rulewatch.core.model import Alert

    record_alerts(store, [Alert(kind="new_item", title="关于政府采购的通知", url="http://x/1", source="src",
                                subject="item-1"),
                          Alert(kind="reminder", title="Comments due in 3 days", url="http://x/1", source="src",
                                subject="item-1")])
    first, follow_up = sorted(a.outbox_id for a in store.outbox.alerts())
    assert store.outbox.claim_many([(first, "slack")], lease_seconds=600)  # the sender killed mid-send
    report = deliver_pending(store, sink(slack))
    assert report.delivered == [] and report.waiting == [follow_up] and slack.posted() == []
    assert len(store.outbox.alerts(pending_only=True)) == 2
    with store.writer.begin() as conn:  # its lease runs out
        conn.execute(text("UPDATE deliveries SET claimed_until = '2000-01-01T00:00:00.000000Z'"))
    report = deliver_pending(store, sink(slack))
    assert report.delivered == [first, follow_up] and report.waiting == []
    parent, reply = slack.posted()
    assert parent.get("thread_ts") is None and reply["thread_ts"] == parent["ts"]


def test_long_diff_goes_to_a_file_in_the_thread(store: Store, slack: FakeSlack) -> None:
    old = Document(kind="page", url="u", title="网络安全管理办法", blocks=[])
    from rulewatch.core.model import Block

    new = Document(kind="page", url="u", title="网络安全管理办法", blocks=[Block("第一条 " + "网络安全" * 2000)])
    store.record_success(name="src", url="u", document=old, etag="", last_modified="", change=None, verdict=None)
    ch = compare(old, new)
    store.record_success(name="src", url="u", document=new, etag="", last_modified="", change=ch,
                         verdict=judge(ch, old, new, TAX))
    deliver_pending(store, sink(slack))
    (message,) = slack.posted()
    (upload,) = slack.uploads
    assert upload["filename"].endswith(".diff") and upload["thread_ts"] == message["ts"]


def test_a_storm_of_429s_leaves_alerts_pending_then_delivers_them_once(store: Store, slack: FakeSlack) -> None:
    add_alerts(store, 2)
    slack.fail(*[Fault("chat.postMessage", status=429, headers={"Retry-After": "0"})] * 8)
    first = deliver_pending(store, sink(slack), lease_seconds=0.01)
    assert first.delivered == [] and len(store.outbox.alerts(pending_only=True)) == 2
    while slack.faults:  # the storm passes
        deliver_pending(store, sink(slack), lease_seconds=0.01)
    deliver_pending(store, sink(slack), lease_seconds=0.01)
    assert store.outbox.alerts(pending_only=True) == []
    assert sorted(m["text"] for m in slack.posted()) == [
        "New: 关于政府采购第0批信息技术产品的通知", "New: 关于政府采购第1批信息技术产品的通知"]


def test_slow_slack_answers_still_deliver(store: Store, slack: FakeSlack) -> None:
    add_alerts(store, 1)
    slack.fail(Fault("chat.postMessage", delay=2.0))
    assert len(deliver_pending(store, sink(slack)).delivered) == 1
    assert len(slack.posted()) == 1


@pytest.mark.parametrize("configured", ["#alerts", "alerts"])
def test_a_channel_named_by_name_is_resolved_once_and_used_by_id(store: Store, slack: FakeSlack, configured: str) -> None:
    add_alerts(store, 2)
    target = sink(slack, channel=configured)
    # The first alert's answer was lost: the retry must look in the history by ID (Slack refuses names).
    slack.fail(Fault("chat.postMessage", drop=True, after_success=True))
    report = deliver_pending(store, target)
    assert len(report.delivered) == 2 and report.failed == {}
    assert len(slack.posted("C-ALERTS")) == 2  # the lost answer's message was found, not posted twice
    ids = [a.outbox_id for a in store.outbox.alerts()]
    assert {d.channel for d in store.outbox.deliveries(ids).values()} == {"C-ALERTS"}
    lookups = [m for m, _, _ in slack.requests if m == "conversations.list"]
    assert len(lookups) == 1
    assert all(b.get("channel") == "C-ALERTS" for m, b, _ in slack.requests if m == "conversations.history")


def test_an_unknown_channel_name_says_what_to_do(store: Store, slack: FakeSlack) -> None:
    add_alerts(store, 2)
    report = deliver_pending(store, sink(slack, channel="#compliance"))
    assert report.delivered == [] and len(store.outbox.alerts(pending_only=True)) == 2
    (why,) = report.stopped_channels.values()
    assert "no channel #compliance that the bot can see" in why and "/invite @rulewatch" in why
    assert len([m for m, _, _ in slack.requests if m == "conversations.list"]) == 1  # asked once per run


def test_slack_posts_ask_for_no_parsing_of_links_or_names(store: Store, slack: FakeSlack) -> None:
    add_alerts(store, 1)
    deliver_pending(store, sink(slack))
    posts = [body for method, body, _ in slack.requests if method == "chat.postMessage"]
    assert posts and all(str(p.get("parse")) == "none" and str(p.get("link_names")).lower() in ("false", "0")
                         for p in posts)
    assert all(str(p.get("unfurl_links")).lower() in ("false", "0") for p in posts)


class Counting:
    """A Store whose outbox's claim and mark transactions are counted."""

    def __init__(self, store: Store) -> None:
        self.store, self.claims, self.marks = store, [], []
        self.outbox = self

    def __getattr__(self, name: str) -> object:
        return getattr(self.store.outbox if name in dir(self.store.outbox) else self.store, name)

    def claim_many(self, pairs: list[tuple[int, str]], lease_seconds: float) -> set[tuple[int, str]]:
        self.claims.append(len(pairs))
        return self.store.outbox.claim_many(pairs, lease_seconds)

    def mark_many(self, deliveries: list[object], sinks: tuple[str, ...]) -> list[int]:
        self.marks.append(len(deliveries))
        return self.store.outbox.mark_many(deliveries, sinks)  # type: ignore[arg-type]


class Flaky(ConsoleSink):
    """A quick local sink whose `n`th send raises `error`."""

    def __init__(self, n: int, error: BaseException) -> None:
        super().__init__(io.StringIO())
        self.n, self.error, self.sends = n, error, 0

    def send(self, alert: object, thread_ts: str | None, retry: bool) -> object:  # type: ignore[override]
        self.sends += 1
        if self.sends == self.n:
            raise self.error
        return super().send(alert, thread_ts, retry)  # type: ignore[arg-type]


def test_quick_sends_go_in_growing_windows_in_order(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(deliver, "QUICK_SEND_SECONDS", 60.0)  # every send counts as quick, however busy the machine
    add_alerts(store, 10)
    counting, out = Counting(store), io.StringIO()
    report = deliver_pending(counting, ConsoleSink(out))  # type: ignore[arg-type]
    assert counting.claims == [1, 2, 4, 3] and counting.marks == [1, 2, 4, 3]
    assert report.delivered == sorted(report.delivered) and len(report.delivered) == 10
    printed = [out.getvalue().index(f"第{n}批") for n in range(10)]
    assert printed == sorted(printed) and store.outbox.alerts(pending_only=True) == []


def test_slow_or_threaded_sinks_keep_one_alert_per_transaction(
    store: Store, slack: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_alerts(store, 4)
    monkeypatch.setattr(deliver, "QUICK_SEND_SECONDS", 0.0)  # no send is quick enough
    counting = Counting(store)
    deliver_pending(counting, ConsoleSink(io.StringIO()), limit=2)  # type: ignore[arg-type]
    assert counting.claims == [1, 1]
    monkeypatch.setattr(deliver, "QUICK_SEND_SECONDS", 60.0)
    deliver_pending(counting, sink(slack))  # type: ignore[arg-type]  # Slack replies in threads: windows of one
    assert counting.claims == [1, 1, 1, 1] and len(slack.posted()) == 2


def test_a_failure_inside_a_window_gives_back_the_unsent_alerts_uncounted(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(deliver, "QUICK_SEND_SECONDS", 60.0)
    add_alerts(store, 7)
    flaky = Flaky(5, PermanentDeliveryError("the console cannot be written to", channel="console"))
    report = deliver_pending(store, flaky)  # windows of 1, 2, 4: the fifth send fails, in the third
    assert len(report.delivered) == 4 and list(report.stopped_channels) == ["console"]
    attempts = [a.attempts for a in store.outbox.alerts(pending_only=True, newest_first=False)]
    assert attempts == [1, 0, 0]  # the failed send counts; the two claimed after it were never tried
    assert len(deliver_pending(store, ConsoleSink(io.StringIO())).delivered) == 3


def test_an_unforeseen_error_inside_a_window_still_marks_what_was_sent(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(deliver, "QUICK_SEND_SECONDS", 60.0)
    add_alerts(store, 7)

    class Interrupted(BaseException):
        pass

    with pytest.raises(Interrupted):  # Ctrl-C during the fifth send
        deliver_pending(store, Flaky(5, Interrupted()))
    assert len(store.outbox.alerts(pending_only=True)) == 3  # the four printed are not printed again


def test_a_message_slack_refuses_is_skipped_and_the_others_go(store: Store, slack: FakeSlack) -> None:
    """One alert Slack cannot take (msg_too_long) no longer holds its channel's later alerts."""
    add_alerts(store, 3)
    first = store.outbox.alerts(pending_only=True, newest_first=False)[0]
    slack.fail(Fault("chat.postMessage", error="msg_too_long"))
    report = deliver_pending(store, sink(slack))
    assert list(report.failed) == [first.id] and report.failed[first.id].startswith("Slack refused this message")
    assert report.stopped_channels == {} and len(report.delivered) == 2
    assert [a.id for a in store.outbox.alerts(pending_only=True)] == [first.id]
    assert deliver_pending(store, sink(slack)).delivered == [first.id]  # taken when Slack takes it
