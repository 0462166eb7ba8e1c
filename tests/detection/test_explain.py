"""explain: the focused styled runs, the dates and publication an alert carries, and items' fields."""

from __future__ import annotations

from datetime import date

from rulewatch.core.model import Alert, Block, Document, InlineRun, Item, ItemChange, TextChange
from rulewatch.detection.compare import compare, inline_runs
from rulewatch.detection.explain import (
    MAX_INLINE_CHARS,
    ExplainContext,
    change_runs,
    document_published,
    explain_item,
    focus,
)
from rulewatch.detection.judge import judge
from rulewatch.detection.relevance import Taxonomy

CONTEXT = ExplainContext.default(date(2026, 11, 29), publisher="NFRA")


def test_focus_keeps_the_changed_sentence_once_and_cuts_the_rest() -> None:
    old = "第一句没有变化。" * 10 + "应当在二十四小时内报告。" + "后面的句子也没有变化。" * 10
    new = old.replace("二十四", "两")
    runs = focus(inline_runs(old, new))
    assert [(r.op, r.text) for r in runs] == [
        ("same", "应当在"), ("removed", "二十四"), ("added", "两"), ("same", "小时内报告。")]


def test_focus_keeps_short_text_between_two_changes_and_elides_long_text() -> None:
    short = focus([InlineRun("a", "removed"), InlineRun("kept words", "same"), InlineRun("b", "added")])
    assert short[1].text == "kept words"
    long_same = "这是一句很长的话。" * 30
    cut = focus([InlineRun("甲", "removed"), InlineRun(long_same, "same"), InlineRun("乙", "added")])
    assert " … " in cut[1].text and len(cut[1].text) < len(long_same)


def test_change_runs_are_bounded_and_show_whole_added_and_removed_blocks() -> None:
    changes = [TextChange("added", "第九条", new="第九条 新增条款。"), TextChange("removed", "第十条", old="第十条 删除。")]
    assert [(r.op, r.text) for r in change_runs(changes)] == [
        ("added", "第九条 新增条款。"), ("same", "\n"), ("removed", "第十条 删除。")]
    huge = [TextChange("added", "", new="字" * (MAX_INLINE_CHARS * 2))]
    assert sum(len(r.text) for r in change_runs(huge)) <= MAX_INLINE_CHARS + 1


def test_the_publication_date_a_page_states() -> None:
    doc = Document(kind="page", url="u", blocks=[Block("首页 > 政策法规"), Block("发布时间：2026-05-20 浏览次数：12")])
    assert document_published(doc) == "2026-05-20"
    assert document_published(Document(kind="page", url="u", blocks=[Block("本办法自2026年1月1日起施行。")])) == ""


def test_a_text_alert_resolves_publication_to_the_pages_date() -> None:
    blocks = ["发布时间：2026-11-20", "第四条 发生网络安全事件的，应当在二十四小时内报告。", "第九条 本办法自发布之日起施行。"]
    old = Document(kind="page", url="http://x/r", title="网络安全事件报告管理办法", blocks=[Block(b) for b in blocks])
    new = Document(kind="page", url="http://x/r", title=old.title,
                   blocks=[Block(b.replace("二十四", "两")) for b in blocks])
    (alert,) = judge(compare(old, new), old, new, Taxonomy.load(), context=CONTEXT).findings
    assert alert.published == "2026-11-20" and alert.publisher == "NFRA"
    assert [(d.role, d.date) for d in alert.key_dates] == [("effective", "2026-11-20")]
    assert alert.gloss_en.startswith("Art. 4 · reporting deadline 24 hours → 2 hours")
    assert alert.severity == "high"


def test_a_federal_register_item_takes_its_dates_from_its_fields() -> None:
    item = Item(id="2026-01234", title="Cyber Incident Reporting; Proposed Rule", url="https://fr/d/2026-01234",
                date="2026-11-20", fields=(("comments_close_on", "2026-12-10"), ("type", "Proposed Rule"),
                                           ("regulation_id_numbers", "1670-AA04")))
    alert = Alert(kind="new_item", title=item.title, url=item.url, topics=("cybersecurity",))
    explained = explain_item(alert, ItemChange("added", item), CONTEXT)
    assert [(d.role, d.date) for d in explained.key_dates] == [("comment_deadline", "2026-12-10")]
    assert explained.published == "2026-11-20"
    assert "a draft for comment (+2)" in explained.severity_reasons
    assert any(r.startswith("comments close 2026-12-10, in 11 days") for r in explained.severity_reasons)


def test_a_federal_register_item_reads_the_dates_its_dates_field_states() -> None:
    item = Item(id="2026-02222", title="Cyber Incident Reporting", url="https://fr/d/2026-02222", date="2026-11-20",
                fields=(("dates", "This rule is effective January 5, 2027."), ("type", "Rule")))
    alert = Alert(kind="new_item", title=item.title, url=item.url, topics=("cybersecurity",))
    explained = explain_item(alert, ItemChange("added", item), CONTEXT)
    assert [(d.role, d.date) for d in explained.key_dates] == [("effective", "2027-01-05")]


def test_a_record_whose_comment_deadline_moved_says_so_and_weighs_it() -> None:
    old = Item(id="2026-1", title="Cyber Incident Reporting; Proposed Rule", url="https://fr/d/2026-1",
               fields=(("comments_close_on", "2026-12-10"),))
    new = Item(id="2026-1", title=old.title, url=old.url, fields=(("comments_close_on", "2027-01-10"),))
    alert = Alert(kind="changed_item", title=old.title, url=old.url, topics=("cybersecurity",))
    change = ItemChange("changed", new, old, (("comments_close_on", "2026-12-10", "2027-01-10"),))
    explained = explain_item(alert, change, CONTEXT)
    assert explained.gloss_en == "comment deadline 2026-12-10 → 2027-01-10"
    assert "comment deadline 2026-12-10 → 2027-01-10 (+2)" in explained.severity_reasons
