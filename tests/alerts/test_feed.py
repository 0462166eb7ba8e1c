"""The Atom feed: well-formed, with RFC 4287's required elements, stable entry ids, and rule alerts only."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime

from outbox import record_alerts

from rulewatch.alerts.feed import ATOM, atom_feed, feed_alerts
from rulewatch.core.model import Alert, InlineRun
from rulewatch.detection.health import SourceHealth
from rulewatch.state import Store

NOW = datetime(2026, 12, 1, 8, tzinfo=UTC)
NS = {"a": ATOM}


def alert(**kw: object) -> Alert:
    base: dict[str, object] = dict(
        kind="changed_text", title="网络安全事件报告办法", url="https://reg.example/r?id=1&x=2", source="nfra",
        idempotency_key="nfra:change:7:0", topics=("cybersecurity",), detected_at="2026-11-30T02:03:04.000000Z",
        severity="high", gloss_en="Art. 8 · reporting deadline 24 hours → 2 hours", publisher="NFRA",
        published="2026-11-29", added="第八条 两小时", removed="第八条 二十四小时",
        change_inline=(InlineRun("第八条 应当在"), InlineRun("二十四", "removed"), InlineRun("两", "added")))
    return Alert(**(base | kw))  # type: ignore[arg-type]


def parse(data: bytes) -> ET.Element:
    assert data.startswith(b"<?xml version='1.0' encoding='utf-8'?>")
    root = ET.fromstring(data)
    assert root.tag == f"{{{ATOM}}}feed"
    for required in ("id", "title", "updated", "author/a:name"):
        assert root.find(f"a:{required}", NS) is not None, required
    for entry in root.findall("a:entry", NS):
        for required in ("id", "title", "updated"):
            assert (entry.findtext(f"a:{required}", namespaces=NS) or "").strip(), required
    return root


def test_an_alert_becomes_a_complete_entry() -> None:
    root = parse(atom_feed([alert()], NOW))
    (entry,) = root.findall("a:entry", NS)
    assert entry.findtext("a:id", namespaces=NS) == "urn:rulewatch:alert:nfra:change:7:0"
    assert entry.findtext("a:title", namespaces=NS) == "[HIGH] Amended: 网络安全事件报告办法"
    assert entry.findtext("a:updated", namespaces=NS) == "2026-11-30T02:03:04Z"
    assert entry.findtext("a:published", namespaces=NS) == "2026-11-29T00:00:00Z"
    assert entry.findtext("a:author/a:name", namespaces=NS) == "NFRA"
    assert entry.find("a:link", NS).get("href") == "https://reg.example/r?id=1&x=2"  # type: ignore[union-attr]
    assert {c.get("term") for c in entry.findall("a:category", NS)} == {"cybersecurity", "severity:high"}
    assert entry.findtext("a:summary", namespaces=NS).startswith("Art. 8")  # type: ignore[union-attr]
    assert "应当在[-二十四-]{+两+}" in entry.findtext("a:content", namespaces=NS)  # type: ignore[operator]
    assert root.findtext("a:updated", namespaces=NS) == "2026-11-30T02:03:04Z"


def test_control_characters_never_break_the_feed_and_an_empty_feed_is_valid() -> None:
    parse(atom_feed([alert(title="标题\x0b\x01尾", added="a\x1fb")], NOW))
    root = parse(atom_feed([], NOW))
    assert root.findall("a:entry", NS) == [] and root.findtext("a:updated", namespaces=NS) == "2026-12-01T08:00:00Z"


def test_the_feed_holds_rule_alerts_newest_first(store: Store) -> None:
    record_alerts(store, [alert(source=f"s{n}", title=f"规则{n}", idempotency_key="") for n in range(3)])
    store.record_failure(name="pboc", url="http://pboc/", error="timeout", health=SourceHealth(notify_after=1))
    store.outbox.add_once([alert(kind="deadline_reminder", idempotency_key="reminder:x:1d", source="s0")])
    assert {a.kind for a in store.outbox.alerts()} == {"changed_text", "source_failing", "deadline_reminder"}
    assert [a.title for a in feed_alerts(store, 2)] == ["规则2", "规则1"]
    assert [a.title for a in feed_alerts(store)] == ["规则2", "规则1", "规则0"]
