"""Rendering is pure: the same alert gives the same message, inside Slack's limits, with inert text."""

from __future__ import annotations

import json

from rulewatch.alerts.render import BODY_SHARE, HEADER_MAX, render_console, render_slack
from rulewatch.core.model import Alert


def alert(**kw: object) -> Alert:
    base = dict(id=7, idempotency_key="src:change:3:0", source="nfra-rules", kind="changed_text",
                title="关于规范银行业金融机构信息技术产品源代码备案的通知", url="https://x.example/rule?id=1&a=b",
                topics=("cybersecurity", "procurement"), matched_terms=("网络安全", "源代码"),
                added="第八条 应当在两小时内报告。", removed="第八条 应当在二十四小时内报告。", article="第八条",
                subject="https://x.example/rule", channel="", detected_at="2026-11-27T16:41:03.000000Z",
                delivered_at=None, attempts=0, last_error="")
    base.update(kw)
    return Alert(**base)  # type: ignore[arg-type]


def test_message_shape() -> None:
    msg = render_slack(alert())
    assert msg.blocks[0]["type"] == "header"
    assert msg.blocks[0]["text"]["text"].startswith("Amended: 关于规范")
    context = msg.blocks[1]["elements"][0]["text"]
    assert "*nfra-rules*" in context and "cybersecurity" in context and "第八条" in context
    assert "<https://x.example/rule?id=1&a=b|关于规范银行业金融机构信息技术产品源代码备案的通知>" in context
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


# ---- the explained alert: the exact change, English, key dates, severity --------------------------

from datetime import date  # noqa: E402
from zoneinfo import ZoneInfo  # noqa: E402

from fakeslack import rich_text_problem  # noqa: E402

from rulewatch.core.model import InlineRun, KeyDate, TextChange  # noqa: E402
from rulewatch.detection.compare import inline_runs  # noqa: E402
from rulewatch.detection.explain import ExplainContext, change_runs  # noqa: E402

RUNS = (InlineRun("第八条 应当在", "same"), InlineRun("二十四", "removed"), InlineRun("两", "added"),
        InlineRun("小时内报告。", "same"))


def explained(**kw: object) -> Alert:
    base: dict[str, object] = dict(
        change_inline=RUNS, publisher="National Financial Regulatory Administration (NFRA)", published="2026-11-20",
        gloss_en="Art. 8 · reporting deadline 24 hours → 2 hours · shall (应当)",
        key_dates=(KeyDate("effective", "2027-01-01", "第十条 本办法自2027年1月1日起施行。", "第十条"),
                   KeyDate("repeal", "", "原办法同时废止。")),
        severity="high", severity_reasons=("reporting deadline 24 hours → 2 hours in Art. 8 (+3)",))
    return alert(**(base | kw))


def test_the_exact_change_is_a_rich_text_block_of_styled_runs() -> None:
    msg = render_slack(explained())
    (rich,) = [b for b in msg.blocks if b["type"] == "rich_text"]
    assert rich["elements"][0]["elements"] == [
        {"type": "text", "text": "第八条 应当在"}, {"type": "text", "text": "二十四", "style": {"strike": True}},
        {"type": "text", "text": "两", "style": {"bold": True}}, {"type": "text", "text": "小时内报告。"}]
    assert rich_text_problem(rich) == ""
    assert msg.blocks[0]["text"]["text"].startswith("HIGH · Amended: ")
    assert msg.text.startswith("Amended: ")  # the notification: the rule, not the rating
    bodies = [b["text"]["text"] for b in msg.blocks if b["type"] == "section"]
    assert not any("*Removed*" in b for b in bodies)  # the sentence is shown once
    assert any("Art. 8 · reporting deadline 24 hours → 2 hours" in b for b in bodies)
    assert any("Takes effect: *2027-01-01* · 第十条 本办法自2027年1月1日起施行。" in b for b in bodies)
    assert any("Repeals: *when the rule takes effect*" in b for b in bodies)
    assert any(b.startswith("*Why high*") for b in bodies)
    context = msg.blocks[1]["elements"][0]["text"]
    assert context.startswith("*National Financial Regulatory Administration (NFRA)* · published: 2026-11-20")
    assert "nfra-rules" not in context


def test_the_team_sees_its_own_clock() -> None:
    msg = render_slack(explained(), ZoneInfo("Asia/Shanghai"))
    assert "detected: 2026-11-28 00:41 CST" in msg.blocks[1]["elements"][0]["text"]


def test_the_console_marks_the_change_and_colours_it_on_a_terminal() -> None:
    plain = render_console(explained())
    assert "  第八条 应当在[-二十四-]{+两+}小时内报告。" in plain
    assert "In English:\nArt. 8 · reporting deadline" in plain and "Why high:" in plain
    coloured = render_console(explained(), colour=True)
    assert "\x1b[9;31m二十四\x1b[0m\x1b[1;32m两\x1b[0m" in coloured


def test_a_long_rewrite_stays_within_block_kit_limits_and_the_whole_goes_to_the_thread() -> None:
    old = "。".join(f"第{n}句旧的规定内容" for n in range(400))
    new = "。".join(f"第{n}句新的规定文字" for n in range(400))
    runs = change_runs([TextChange("changed", "", old, new, inline=inline_runs(old, new))])
    msg = render_slack(explained(change_inline=runs, added=new, removed=old))
    assert len(msg.blocks) <= 50 and msg.truncated
    for block in msg.blocks:
        if block["type"] == "rich_text":
            assert rich_text_problem(block) == ""
        if block["type"] == "section":
            assert len(block["text"]["text"]) <= 3000
    assert f"-{old}\n+{new}\n" in msg.full_diff


def test_alerts_json_carries_the_explanation() -> None:
    data = json.loads(json.dumps(explained().to_json(), ensure_ascii=False))
    assert data["change_inline"][1] == {"text": "二十四", "op": "removed"}
    assert data["key_dates"][0] == {"role": "effective", "date": "2027-01-01",
                                    "evidence": "第十条 本办法自2027年1月1日起施行。", "article": "第十条"}
    assert data["severity"] == {"level": "high", "reasons": ["reporting deadline 24 hours → 2 hours in Art. 8 (+3)"]}
    assert data["gloss_en"].startswith("Art. 8") and data["publisher"].endswith("(NFRA)")
    assert data["published"] == "2026-11-20"
    assert alert().to_json()["severity"] is None


def test_an_explained_alert_from_judge_renders_end_to_end() -> None:
    from rulewatch.core.model import Block, Document
    from rulewatch.detection.compare import compare
    from rulewatch.detection.judge import judge
    from rulewatch.detection.relevance import Taxonomy

    v1 = ["第八条 银行业金融机构发生网络安全事件的，应当在二十四小时内向监管部门报告。", "第十条 本办法自2027年1月1日起施行。"]
    old = Document(kind="page", url="http://x/r", title="网络安全事件报告办法", blocks=[Block(t) for t in v1])
    new = Document(kind="page", url="http://x/r", title=old.title,
                   blocks=[Block(t.replace("二十四", "两")) for t in v1])
    context = ExplainContext.default(date(2026, 12, 20), publisher="NFRA")
    (judged,) = judge(compare(old, new), old, new, Taxonomy.load(), context=context).findings
    text = render_console(Alert.entered(judged, source="nfra", detected_at="2026-12-20T08:00:00Z"))
    assert "应当在[-二十四-]{+两+}小时内" in text and "Takes effect: 2027-01-01" in text
    assert "takes effect 2027-01-01, in 12 days" in text and text.startswith("=== HIGH · Amended")


def test_an_item_alert_shows_the_identifiers_a_reader_uses() -> None:
    """A KEV entry's CVE id and a notice's document number are how a reader finds the line."""
    msg = render_slack(alert(kind="new_item", title="Acme Gateway OS Command Injection Vulnerability",
                             rule_ids=("docket:CISA-2022-0010", "ref:CVE-2026-12345"), removed="", added="x"))
    assert "Docket CISA-2022-0010, CVE-2026-12345" in msg.blocks[1]["elements"][0]["text"]
    assert "CVE-2026-12345" in render_console(alert(rule_ids=("ref:CVE-2026-12345",)))
