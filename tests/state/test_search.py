"""Search over history on both databases: Chinese terms of two and of four or more characters, English
in any case, when a text appeared and when it went, and the filters."""

from __future__ import annotations

from rulewatch.core.model import Block, Document, Item
from rulewatch.core.text import article_key
from rulewatch.detection.compare import compare
from rulewatch.state import Store

V1 = ["第一条 为了规范银行业金融机构信息科技外包活动，制定本办法。", "第八条 发生重大网络安全事件的，应当在二十四小时内报告。",
      "Article 9 Vendors shall disclose Source Code on request."]


def page(*blocks: str, title: str = "信息科技外包管理办法") -> Document:
    return Document(kind="page", url="http://x/rule", title=title, blocks=[Block(t, article_key(t)) for t in blocks])


def record(store: Store, name: str, old: Document | None, new: Document, now: str) -> None:
    change = compare(old, new) if old is not None else None
    store.record_success(name=name, url=new.url, document=new, etag="", last_modified="", change=change,
                         verdict=None, now=now)


def amended(store: Store) -> None:
    record(store, "rule", None, page(*V1), "2026-11-01T00:00:00Z")
    v2 = [V1[0], V1[1].replace("二十四小时", "两小时"), V1[2]]
    record(store, "rule", page(*V1), page(*v2), "2026-11-20T00:00:00Z")


def test_a_replaced_sentence_says_when_it_appeared_and_when_it_went(store: Store) -> None:
    amended(store)
    (old,) = store.history.search("二十四小时")
    assert (old.source, old.first_seen, old.gone_at) == ("rule", "2026-11-01T00:00:00Z", "2026-11-20T00:00:00Z")
    (new,) = store.history.search("两小时内报告")
    assert (new.first_seen, new.gone_at) == ("2026-11-20T00:00:00Z", None)
    assert new.context("两小时", 4) == "…，应当在两小时内报告。"


def test_two_character_chinese_terms_and_english_in_any_case(store: Store) -> None:
    amended(store)
    hits = store.history.search("外包")  # two CJK characters: below a trigram, found by a scan
    assert {h.text for h in hits} == {V1[0], "信息科技外包管理办法"}
    assert [h.text for h in store.history.search("source code")] == [V1[2]]
    assert store.history.search("网络安全事件") and store.history.search("数据出境") == []


def test_filters_by_source_and_by_time_and_treats_wildcards_as_text(store: Store) -> None:
    amended(store)
    record(store, "other", None, page("第二条 外包服务提供商应当报告 100% 的事件_记录。", title="其他"), "2026-11-05T00:00:00Z")
    assert {h.source for h in store.history.search("外包")} == {"rule", "other"}
    assert {h.source for h in store.history.search("外包", source="other")} == {"other"}
    assert [h.gone_at for h in store.history.search("二十四小时", since="2026-11-25")] == []
    assert [h.gone_at for h in store.history.search("二十四小时", since="2026-11-10")] == ["2026-11-20T00:00:00Z"]
    assert [h.source for h in store.history.search("100%")] == ["other"] and store.history.search("1_0") == []
    assert store.history.search("   ") == []


def test_list_items_appear_and_a_withdrawn_item_goes(store: Store) -> None:
    items = [Item(id=str(n), title=f"关于加强数据安全管理的第{n}号通知", url=f"http://x/{n}") for n in range(3)]
    first = Document(kind="list", url="http://x/list", items=items)
    record(store, "list", None, first, "2026-11-01T00:00:00Z")
    second = Document(kind="list", url="http://x/list", items=[items[0], items[2]])
    record(store, "list", first, second, "2026-11-02T00:00:00Z")
    gone = {h.text: h.gone_at for h in store.history.search("数据安全管理")}
    assert gone == {items[0].title: None, items[1].title: "2026-11-02T00:00:00Z", items[2].title: None}


def test_a_text_that_comes_back_has_a_second_life(store: Store) -> None:
    amended(store)
    v2 = [V1[0], V1[1].replace("二十四小时", "两小时"), V1[2]]
    record(store, "rule", page(*v2), page(*V1), "2026-11-25T00:00:00Z")
    lives = sorted((h.first_seen, h.gone_at) for h in store.history.search("二十四小时"))
    assert lives == [("2026-11-01T00:00:00Z", "2026-11-20T00:00:00Z"), ("2026-11-25T00:00:00Z", None)]


def test_a_database_upgraded_from_the_previous_revision_searches_too(database_url: str) -> None:
    from sqlalchemy import create_engine

    from rulewatch.state import migrate

    engine = create_engine(database_url)
    with engine.begin() as conn:
        migrate._alembic(conn, "upgrade", "0003")
    engine.dispose()
    store = Store(database_url)  # upgrades to the head on opening
    try:
        amended(store)
        assert [h.gone_at for h in store.history.search("二十四小时")] == ["2026-11-20T00:00:00Z"]
        assert len(store.history.search("外包")) == 2
    finally:
        store.close()


def _forget_search(store: Store, source: str) -> None:
    """The store as a database from before schema 0004 left it: versions stored, none indexed."""
    from sqlalchemy import text

    from rulewatch.state.search import rebuild_index

    with store.writer.begin() as conn:
        conn.execute(text("DELETE FROM history_texts WHERE source = :s"), {"s": source})
        rebuild_index(conn)


def test_versions_stored_before_search_existed_are_found_after_reindexing(store: Store) -> None:
    amended(store)
    record(store, "blank", None, Document(kind="page", url="http://x/blank"), "2026-11-02T00:00:00Z")
    before = [(h.source, h.text, h.first_seen, h.gone_at) for h in store.history.search("报告")]
    assert store.history.unindexed_sources() == []  # a version with no text at all is nothing to index
    _forget_search(store, "rule")
    assert store.history.unindexed_sources() == ["rule"] and store.history.search("二十四小时") == []
    assert store.history.unindexed_sources("rule") == ["rule"] and store.history.unindexed_sources("blank") == []

    assert store.history.reindex() == (2, 3)  # rule's two versions and blank's one
    assert [(h.source, h.text, h.first_seen, h.gone_at) for h in store.history.search("报告")] == before
    assert store.history.unindexed_sources() == []
    assert store.history.reindex(["rule"]) == (1, 2)  # again: the same rows, none doubled
    assert [(h.source, h.text, h.first_seen, h.gone_at) for h in store.history.search("报告")] == before


def test_a_search_never_waits_for_the_write_lock_and_still_finds_the_newest_texts(database_url: str) -> None:
    """A cycle holds SQLite's write lock: search answers at once, reading what the index has not caught
    up with as it is, and catches up once the lock is free."""
    import sqlite3
    import time

    import pytest
    from sqlalchemy import text

    if not database_url.startswith("sqlite"):
        pytest.skip("PostgreSQL's index keeps itself: its searches never write")
    store = Store(database_url)
    try:
        record(store, "rule", None, page(*V1), "2026-11-01T00:00:00Z")
        assert store.history.search("二十四小时")  # indexed up to here
        v2 = [V1[0], V1[1].replace("二十四小时", "两小时"), V1[2]]
        record(store, "rule", page(*V1), page(*v2), "2026-11-20T00:00:00Z")
        cycle = sqlite3.connect(database_url.removeprefix("sqlite:///"), isolation_level=None)
        cycle.execute("BEGIN IMMEDIATE")  # a cycle writing
        try:
            started = time.monotonic()
            (new,) = store.history.search("两小时内报告")  # recorded after the index's mark
            assert new.gone_at is None and time.monotonic() - started < 10  # not the 30 s busy timeout
            assert [h.gone_at for h in store.history.search("二十四小时")] == ["2026-11-20T00:00:00Z"]
        finally:
            cycle.execute("ROLLBACK")
            cycle.close()
        assert store.history.search("两小时内报告")
        with store.engine.connect() as conn:
            newest = conn.execute(text("SELECT max(id) FROM history_texts")).scalar()
            assert conn.execute(text("SELECT upto FROM history_fts_indexed")).scalar() == newest
    finally:
        store.close()
