"""compare(): each change kind, in Chinese and English; lists keyed by id and aware of pagination."""

from __future__ import annotations

from rulewatch.core.model import Block, Document, Item
from rulewatch.core.text import article_key
from rulewatch.detection.compare import compare


def page(*texts: str, title: str = "数据安全管理办法") -> Document:
    return Document(kind="page", url="http://x/rule", title=title, blocks=[Block(t, article_key(t)) for t in texts])


def items(*ids: str, **titles: str) -> Document:
    return Document(kind="list", url="http://x/list", items=[
        Item(id=i, title=titles.get(f"t{i}", f"通知{i}"), url=f"http://x/{i}.html", date=f"2026-11-{int(i) % 28 + 1:02d}")
        for i in ids
    ])


ARTS = ["第一条 为了规范数据处理活动，制定本办法。", "第二条 本办法适用于银行业金融机构。", "第三条 发生网络安全事件的，应当在二十四小时内报告。"]


def test_identical_documents_have_no_change() -> None:
    change = compare(page(*ARTS), page(*ARTS))
    assert change.empty and not change.substantive


def test_amended_article_has_inline_fragments() -> None:
    new = ARTS[:2] + ["第三条 发生网络安全事件的，应当在两小时内报告。"]
    change = compare(page(*ARTS), page(*new))
    (t,) = change.text
    assert t.kind == "changed" and t.key == "第三条"
    assert t.removed_fragments == ("二十四",) and t.added_fragments == ("两",)


def test_a_changed_block_carries_its_sentence_as_styled_runs() -> None:
    new = ARTS[:2] + ["第三条 发生网络安全事件的，应当在两小时内报告。"]
    (text,) = compare(page(*ARTS), page(*new)).text
    assert [(r.op, r.text) for r in text.inline] == [
        ("same", "第三条 发生网络安全事件的，应当在"), ("removed", "二十四"), ("added", "两"), ("same", "小时内报告。")]
    assert "".join(r.text for r in text.inline if r.op != "removed") == text.new
    assert "".join(r.text for r in text.inline if r.op != "added") == text.old


def test_a_changed_key_date_is_substantive_even_where_its_label_looks_like_a_stamp() -> None:
    old = page(*ARTS, "意见反馈截止时间：2026年6月12日 17:00")
    new = page(*ARTS, "意见反馈截止时间：2026年6月30日 17:00")
    (text,) = compare(old, new).text
    assert text.removed_fragments == ("12",) and text.added_fragments == ("30",)
    stamp_old, stamp_new = page(*ARTS, "更新时间：2026-06-12 17:00"), page(*ARTS, "更新时间：2026-06-30 09:00")
    assert not compare(stamp_old, stamp_new).substantive


def test_a_learned_block_still_reports_a_new_key_date() -> None:
    from rulewatch.detection.noise import mask
    from rulewatch.detection.volatility import shape
    old, new = page(*ARTS, "本办法自2027年1月1日起施行。"), page(*ARTS, "本办法自2027年7月1日起施行。")
    learned = frozenset({shape(mask("本办法自2027年1月1日起施行。").text)})
    assert compare(old, new, learned).text


def test_added_and_removed_articles() -> None:
    added = compare(page(*ARTS), page(*ARTS[:2], "第三条之一 国产化率每年应当提高百分之十五。", ARTS[2]))
    assert [(t.kind, t.key) for t in added.text] == [("added", "第三条")]
    removed = compare(page(*ARTS), page(ARTS[0], ARTS[2]))
    assert [(t.kind, t.old) for t in removed.text] == [("removed", ARTS[1])]


def test_english_word_level_diff() -> None:
    old = page("Banks must raise the share of secure IT purchases to 50 percent by 2027.", title="News")
    new = page("Banks must raise the share of secure IT purchases to 75 percent by 2030.", title="News")
    (t,) = compare(old, new).text
    assert t.removed_fragments == ("50", "2027") and t.added_fragments == ("75", "2030")


def test_volatile_block_changes_are_ignored_and_explained() -> None:
    old = page("更新时间：2026-11-20 09:12:44 浏览次数：1532", *ARTS)
    new = page("更新时间：2026-11-27 16:41:03 浏览次数：2718", *ARTS)
    change = compare(old, new)
    assert not change.substantive
    assert {i.what for i in change.ignored} == {"timestamp", "counter"}


def test_metadata_line_appearing_is_noise() -> None:
    change = compare(page(*ARTS), page("Views: 12", *ARTS))
    assert not change.substantive and change.ignored


def test_title_change() -> None:
    change = compare(page(*ARTS, title="旧标题"), page(*ARTS, title="新标题"))
    assert change.title == ("旧标题", "新标题")


def test_new_items_on_top_push_old_ones_to_a_later_page() -> None:
    change = compare(items("10", "9", "8", "7"), items("12", "11", "10", "9"))
    kinds = sorted((c.kind, c.item.id) for c in change.items)
    assert kinds == [("added", "11"), ("added", "12"), ("moved_off", "7"), ("moved_off", "8")]
    assert change.substantive  # the additions


def test_item_missing_from_the_middle_is_withdrawn() -> None:
    change = compare(items("10", "9", "8", "7"), items("10", "8", "7"))
    assert [(c.kind, c.item.id) for c in change.items] == [("removed", "9")]


def test_item_sliding_up_from_page_two_after_a_withdrawal_is_not_new() -> None:
    change = compare(items("10", "9", "8", "7"), items("10", "8", "7", "6"))
    assert [(c.kind, c.item.id) for c in change.items] == [("removed", "9")]
    assert any("later page" in i.why for i in change.ignored)


def test_tail_removed_without_additions_is_a_withdrawal() -> None:
    change = compare(items("10", "9", "8"), items("10", "9"))
    assert [(c.kind, c.item.id) for c in change.items] == [("removed", "8")]


def test_changed_item_fields() -> None:
    old = items("3", "2", "1", t2="关于征求意见的通知")
    new = items("3", "2", "1", t2="关于征求意见的通知（修订）")
    (c,) = compare(old, new).items
    assert c.kind == "changed" and c.fields == (("title", "关于征求意见的通知", "关于征求意见的通知（修订）"),)


def test_a_field_changing_in_every_item_at_once_is_a_counter() -> None:
    def with_counts(base: int) -> Document:
        return Document(kind="list", url="u", items=[
            Item(id=str(i), title=f"t{i}", fields=(("hits", str(base + i)),)) for i in range(6)
        ])

    change = compare(with_counts(100), with_counts(200))
    assert not change.substantive
    assert any(i.what == "field hits" for i in change.ignored)


def test_kind_flip_is_not_reported_as_changes() -> None:
    change = compare(page(*ARTS), items("1", "2", "3"))
    assert not change.substantive and change.ignored


def test_big_document_with_one_changed_paragraph_finds_exactly_that_paragraph() -> None:
    paragraphs = [f"第{i}条 银行业金融机构应当按照规定开展第{i}项信息科技风险管理工作，并定期报告。" * 3 for i in range(20000)]
    new = list(paragraphs)
    new[12345] = new[12345].replace("定期报告", "每季度报告")
    change = compare(page(*paragraphs), page(*new))  # its speed is measured in bench/, not here
    assert [(t.kind, t.key) for t in change.text] == [("changed", "第12345条")]


def test_a_counter_field_of_one_list_item_is_noise_by_the_table() -> None:
    def lst(views: str, status: str) -> Document:
        return Document(kind="list", url="u", items=[
            Item(id="1", title="关于网络安全审查的通知", fields=(("views", views), ("status", status))),
            Item(id="2", title="关于政府采购的通知", fields=(("views", "9"), ("status", "final")))])

    change = compare(lst("10", "draft"), lst("11", "draft"))
    assert not change.substantive and [i.what for i in change.ignored] == ["field views"]
    assert "counter" in change.ignored[0].why
    change = compare(lst("10", "draft"), lst("12", "final"))
    assert [(c.kind, c.fields) for c in change.items] == [("changed", (("status", "draft", "final"),))]


def _read_by(doc: Document, reader: str | None) -> Document:
    if reader is not None:
        doc.metadata["reader"] = reader
    return doc


def test_a_list_read_another_way_by_a_newer_release_is_a_new_baseline_not_news() -> None:
    """An upgrade that reads a list from another array (facets -> documents) must not alert every
    document as new: the first check after it is the baseline."""
    old = _read_by(items("1", "2", "3", "4"), None)
    new = _read_by(items("11", "12", "13", "14", "15"), "3")
    change = compare(old, new)
    assert not change.items and "newer rulewatch" in change.ignored[0].what


def test_a_list_read_the_same_way_across_an_upgrade_still_alerts_its_new_items() -> None:
    old = _read_by(items("1", "2", "3", "4"), None)
    new = _read_by(items("5", "1", "2", "3", "4"), "3")
    assert [(c.kind, c.item.id) for c in compare(old, new).items] == [("added", "5")]


def test_a_page_read_differently_by_a_newer_release_is_a_new_baseline() -> None:
    old = _read_by(page(*ARTS[:2]), "2")
    new = _read_by(page("Summary of the rule.", *ARTS[:2]), "3")
    change = compare(old, new)
    assert not change.text and change.ignored
    assert compare(_read_by(page(*ARTS), "2"), _read_by(page(*ARTS), "3")).empty


def test_an_entry_that_leaves_a_feed_was_not_withdrawn() -> None:
    """A feed keeps a window of entries and drops some for its own reasons (an aggregator's re-sort):
    the removal is recorded (the next comparison starts from it) but never alerted as a withdrawal."""
    from rulewatch.core.model import WINDOW
    from rulewatch.detection.judge import judge
    from rulewatch.detection.relevance import Taxonomy

    old = items("1", "2", "3", "4", "5", t3="关于对示例公司产品启动网络安全审查的公告")
    new = items("1", "2", "4", "5", "6", t3="关于对示例公司产品启动网络安全审查的公告")
    assert [a.kind for a in judge(compare(old, new), old, new, Taxonomy.load()).findings] == ["removed_item"]
    old.metadata[WINDOW] = new.metadata[WINDOW] = "feed"
    change = compare(old, new)
    assert sorted(c.kind for c in change.items) == ["added", "removed"] and change.substantive
    verdict = judge(change, old, new, Taxonomy.load())
    assert verdict.findings == [] and any("left the feed's window" in r for r in verdict.reasons)


def test_an_item_read_better_by_a_newer_release_is_not_amended() -> None:
    """An upgrade that splits a date out of a title must not alert every kept item as amended."""
    old = _read_by(items("1", "2", "3", t1="通知1 2026-11-02"), None)
    new = _read_by(items("4", "1", "2", "3"), "3")
    change = compare(old, new)
    assert [(c.kind, c.item.id) for c in change.items] == [("added", "4")]
    assert any("newer rulewatch" in i.why for i in change.ignored)
