"""Rendering is pure: the same alert gives the same message, inside Slack's limits, with inert text."""

from __future__ import annotations

import json

from alerts.render import BODY_SHARE, HEADER_MAX, render_console, render_slack
from core.model import Alert


def alert(**kw: object) -> Alert:
    base = dict(id=7, idempotency_key="src:change:3:0", source="nfra-rules", kind="changed_text",
                title="关于规范银行业金融机构信息技术产品源代码备案的通知", url="https://x.example/rule?id=1&a=b",
                topics=("cybersecurity", "procurement"), matched_terms=("网络安全", "源代码"),
                added="第八条 应当在两小时内报告。", removed="第八条 应当在二十四小时内报告。", article="第八条",
                subject="https://x.example/rule", channel="", detected_at="2026-11-27T16:41:03.000000Z",
                delivered_at=None, delivered_channel=None, delivered_ts=None, attempts=0, last_error="")
    base.update(kw)
    return Alert(**base)  # type: ignore[arg-type]


def test_message_shape() -> None:
    msg = render_slack(alert())
    assert msg.blocks[0]["type"] == "header"
    assert msg.blocks[0]["text"]["text"].startswith("Amended: 关于规范")
    context = msg.blocks[1]["elements"][0]["text"]
    assert "*nfra-rules*" in context and "cybersecurity" in context and "第八条" in context
    assert "<https://x.example/rule?id=1&a=b|open page>" in context
    bodies = [b["text"]["text"] for b in msg.blocks if b["type"] == "section"]
    assert bodies[0].startswith("*Removed*\n> 第八条 应当在二十四小时内报告。")
    assert bodies[1].startswith("*Added*\n> 第八条 应当在两小时内报告。")
    assert msg.metadata == {"event_type": "rulewatch_alert", "event_payload": {"key": "src:change:3:0"}}
    assert render_slack(alert()) == msg  # pure


def test_scraped_text_cannot_ping_or_inject_links() -> None:
    evil = "<!channel> <!here> <@U123> <https://evil.example|click> & more"
    msg = render_slack(alert(title=evil, added=evil, removed=""))
    header, *rest = msg.blocks
    assert header["text"]["type"] == "plain_text"  # Slack renders plain_text literally: no pings, no links
    dump = json.dumps(rest, ensure_ascii=False) + msg.text  # every mrkdwn field and the notification text
    for raw in ("<!channel>", "<!here>", "<@U123>", "<https://evil.example"):
        assert raw not in dump
    assert "&lt;!channel&gt;" in dump and "&amp; more" in dump


def test_limits_are_respected_and_long_text_is_truncated_with_a_note() -> None:
    msg = render_slack(alert(title="长" * 400, added="甲" * 10_000, removed="乙" * 10_000))
    assert len(msg.blocks[0]["text"]["text"]) <= HEADER_MAX
    assert all(len(b["text"]["text"]) <= 3000 for b in msg.blocks if b["type"] == "section")
    assert len(msg.blocks) <= 50 and len(msg.text) <= 300
    assert msg.truncated and f"… {10_000 - BODY_SHARE} more characters" in json.dumps(msg.blocks, ensure_ascii=False)
    assert "甲" * 10_000 in msg.full_diff


def test_console_rendering() -> None:
    text = render_console(alert())
    assert "Amended:" in text and "- 第八条 应当在二十四小时内报告。" in text and "+ 第八条 应当在两小时内报告。" in text


def test_scraped_text_is_sent_verbatim() -> None:
    """Bare URLs and @channel-like words in page text must not become links or mentions: every mrkdwn
    text object is verbatim (issue 19, finding 15); only our own <url|label> links are live."""
    text = "see https://evil.example/x and @channel #general"
    msg = render_slack(alert(title=text, added=text, removed=text))
    objects = [b["text"] for b in msg.blocks if b["type"] == "section"]
    objects += [e for b in msg.blocks if b["type"] == "context" for e in b["elements"]]
    assert objects and all(o["type"] == "mrkdwn" and o["verbatim"] is True for o in objects)


def test_an_rtl_override_in_a_title_stays_out_of_the_headline() -> None:
    msg = render_slack(alert(title="关于\u202egnp.exe\u202c的通知"))
    assert "\u202e" not in msg.blocks[0]["text"]["text"] and "\u202e" not in msg.text
