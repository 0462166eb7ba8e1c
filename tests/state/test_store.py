"""The store on real SQLite and (when configured) PostgreSQL: one transaction per check, an outbox."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from outbox import record_alerts

from rulewatch.core.model import Alert, Block, Document, Item
from rulewatch.detection.compare import compare
from rulewatch.detection.judge import judge
from rulewatch.detection.relevance import Taxonomy
from rulewatch.detection.volatility import learned_volatile
from rulewatch.state import SinkDelivery, Store
from rulewatch.state import recorder as recorder_module


def doc(*titles: str) -> Document:
    return Document(kind="list", url="http://x/list", title="通知",
                    items=[Item(id=t, title=t, url=f"http://x/{n}") for n, t in enumerate(titles)])


TAX = Taxonomy.load()


def record(store: Store, old: Document | None, new: Document, **kw: object):  # type: ignore[no-untyped-def]
    change = compare(old, new) if old else None
    verdict = judge(change, old, new, TAX) if change and old else None
    return store.record_success(name="src", url="http://x/list", document=new, etag='"e"', last_modified="",
                                change=change, verdict=verdict, **kw)  # type: ignore[arg-type]


def test_first_sight_is_a_baseline_without_alerts(store: Store) -> None:
    rec = record(store, None, doc("关于政府采购的通知"))
    assert rec.outcome == "baseline" and rec.alert_ids == ()
    assert store.snapshots.latest("src") == doc("关于政府采购的通知")
    assert store.sources.get("src").etag == '"e"'  # type: ignore[union-attr]


def test_change_snapshot_and_alert_are_written_together(store: Store) -> None:
    old = doc("a 通知", "b 通知")
    record(store, None, old)
    new = doc("关于政府采购信息技术产品的通知", "a 通知", "b 通知")
    rec = record(store, old, new)
    assert rec.outcome == "changed" and len(rec.alert_ids) == 1
    (alert,) = store.outbox.alerts(pending_only=True)
    assert alert.kind == "new_item" and alert.topics == ("procurement",) and alert.delivered_at is None
    assert [s.id for s in store.snapshots.of("src")][-1] == rec.snapshot_id
    assert store.snapshots.changes("src")[0].relevant


def test_a_failure_inside_the_transaction_writes_nothing(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    old = doc("a 通知")
    record(store, None, old)
    before = store.count_rows()

    def explode(*args: object, **kwargs: object) -> int:
        raise RuntimeError("crash between snapshot and alert")

    monkeypatch.setattr(recorder_module, "_insert_alert", explode)
    with pytest.raises(RuntimeError):
        record(store, old, doc("关于政府采购的通知", "a 通知"))
    assert store.count_rows() == before  # no snapshot without its alert
    assert store.snapshots.latest("src") == old


def test_noise_only_keeps_the_last_snapshot(store: Store) -> None:
    page = Document(kind="page", url="u", title="t", blocks=[Block("Views: 1"), Block("第一条 内容。")])
    record(store, None, page)
    noisy = Document(kind="page", url="u", title="t", blocks=[Block("Views: 2"), Block("第一条 内容。")])
    rec = record(store, page, noisy)
    assert rec.outcome == "unchanged" and len(store.snapshots.of("src")) == 1


def test_failures_never_become_snapshots_and_are_counted(store: Store) -> None:
    record(store, None, doc("a 通知"))
    assert store.record_failure(name="src", url="http://x/list", error="timeout: no answer") == 1
    assert store.record_failure(name="src", url="http://x/list", error="timeout: no answer") == 2
    assert len(store.snapshots.of("src")) == 1
    state = store.sources.get("src")
    assert state is not None and state.consecutive_failures == 2 and state.last_error.startswith("timeout")
    store.record_not_modified(name="src", url="http://x/list", etag='"e2"', last_modified="")
    assert store.sources.get("src").consecutive_failures == 0  # type: ignore[union-attr]


def test_identical_content_is_stored_once(store: Store) -> None:
    a = doc("a 通知")
    record(store, None, a)
    record(store, None, a, baseline=True)
    assert store.count_rows()["blobs"] == 1 and len(store.snapshots.of("src")) == 2


def test_delivery_marks_and_attempts(store: Store) -> None:
    old = doc("a 通知")
    record(store, None, old)
    record(store, old, doc("关于政府采购的通知", "a 通知"))
    (alert,) = store.outbox.alerts(pending_only=True)
    assert store.outbox.claim(alert.outbox_id, lease_seconds=60, sink="slack")
    assert not store.outbox.claim(alert.outbox_id, lease_seconds=60, sink="slack")  # one sender at a time
    store.outbox.release(alert.outbox_id, "Slack error: ratelimited", sink="slack")
    pending = store.outbox.alerts(pending_only=True)[0]
    assert pending.attempts == 1 and pending.last_error == "Slack error: ratelimited"
    assert store.outbox.claim(alert.outbox_id, lease_seconds=0.01, sink="slack")  # released: claimable again
    time.sleep(0.05)
    assert store.outbox.claim(alert.outbox_id, lease_seconds=60, sink="slack")  # an expired lease (a dead sender) is taken over
    both = ("slack", "webhook")
    assert not store.outbox.mark_delivered(alert.outbox_id, sink="slack", channel="C1", ts="1700000000.000100", sinks=both)
    assert store.outbox.deliveries([alert.outbox_id])[(alert.outbox_id, "slack")].attempts == 3
    assert len(store.outbox.alerts(pending_only=True)) == 1  # pending until every sink has it
    assert store.outbox.claim(alert.outbox_id, lease_seconds=60, sink="webhook")
    assert store.outbox.mark_delivered(alert.outbox_id, sink="webhook", channel="json-webhook", ts="", sinks=both)
    assert store.outbox.alerts(pending_only=True) == []
    assert not store.outbox.claim(alert.outbox_id, lease_seconds=60, sink="webhook")  # delivered: no more sending
    done = store.outbox.alerts()[0]
    delivery = store.outbox.deliveries([alert.outbox_id])[(alert.outbox_id, "slack")]
    assert (delivery.channel, delivery.ts, done.last_error) == ("C1", "1700000000.000100", "")
    json_fields = done.to_json([delivery.to_json()])
    for key in ("id", "source", "url", "kind", "title", "topics", "matched_terms", "added", "removed",
                "detected_at", "delivered_at", "deliveries"):
        assert key in json_fields
    assert json_fields["channel"] == "C1" and json_fields["deliveries"][0]["ts"] == "1700000000.000100"


def test_a_window_of_deliveries_is_claimed_marked_and_given_back_in_one_transaction_each(store: Store) -> None:
    old = doc("a 通知")
    record(store, None, old)
    record(store, old, doc("关于政府采购的通知", "关于安全可控的通知", "a 通知"))
    first, second = sorted(a.outbox_id for a in store.outbox.alerts(pending_only=True))
    assert store.outbox.claim(first, lease_seconds=60, sink="slack")
    # one pair already held by another sender: the others are claimed all the same
    assert store.outbox.claim_many([(first, "slack"), (second, "slack"), (second, "webhook")], 60) == {
        (second, "slack"), (second, "webhook")}
    store.outbox.release_unattempted([(second, "webhook")])  # its channel stopped before its turn
    records = store.outbox.deliveries([first, second])
    assert records[(second, "webhook")].attempts == 0 and records[(second, "slack")].attempts == 1
    assert store.outbox.alerts(pending_only=True)[-1].attempts == 1  # the claim that was sent still counts
    assert store.outbox.claim(second, lease_seconds=60, sink="webhook")  # given back: claimable at once
    both = ("slack", "webhook")
    left = store.outbox.mark_many([SinkDelivery(second, "slack", "C1", "1.1"), SinkDelivery(second, "webhook", "hook", ""),
                            SinkDelivery(first, "slack", "C1", "1.2")], both)
    assert left == [second]  # the first still owes its webhook
    assert [a.outbox_id for a in store.outbox.alerts(pending_only=True)] == [first]
    assert store.outbox.deliveries([second])[(second, "slack")].ts == "1.1"


def test_a_database_from_an_older_version_gains_the_new_columns(database_url: str) -> None:
    """An early database: revision 0001's tables (state/migrations) before `compares` existed, and no
    version table (tests/state/test_migrate.py covers every shape in depth)."""
    import importlib

    from sqlalchemy import create_engine, text

    first = importlib.import_module("rulewatch.state.migrations.versions.0001_initial")
    engine = create_engine(database_url)
    with engine.begin() as conn:
        first.metadata.create_all(conn)
        conn.execute(text("ALTER TABLE sources DROP COLUMN compares"))
        conn.execute(text("INSERT INTO sources (name, url) VALUES ('src', 'u')"))
    engine.dispose()
    upgraded = Store(database_url)
    try:
        assert upgraded.sources.get("src") is not None
        state = upgraded.sources.get("src")
        assert state is not None and learned_volatile(state.shape_history, state.compares) == frozenset()
    finally:
        upgraded.close()


def test_a_block_that_changes_on_every_check_is_learned_as_volatile(store: Store) -> None:
    def page(n: int) -> Document:
        return Document(kind="page", url="u", title="网络安全办法", blocks=[
            Block(f"今日气温 {n} 度，空气质量指数 {n * 3}"), Block("第一条 为了保障网络安全，制定本办法。")])

    record(store, None, page(0))
    alerts_before_learning = 0
    for n in range(1, 8):
        state = store.sources.get("src")
        assert state is not None
        learned = learned_volatile(state.shape_history, state.compares)
        # A cycle reads what every source learned in one query at its start: the same answer.
        assert {s.name: s for s in store.sources.all()}["src"] == state
        old = store.snapshots.latest("src")
        assert old is not None
        change = compare(old, page(n), learned)
        verdict = judge(change, old, page(n), TAX)
        rec = store.record_success(name="src", url="u", document=page(n), etag="", last_modified="",
                                   change=change, verdict=verdict)
        alerts_before_learning += len(rec.alert_ids)
        if n > 3:
            assert not change.substantive and any(i.what == "learned" for i in change.ignored)
    assert alerts_before_learning == 3  # it took three changes to learn


def test_a_write_aborted_for_a_deadlock_is_run_again_whole(store: Store) -> None:
    from sqlalchemy.exc import OperationalError

    class Deadlock(Exception):
        sqlstate = "40P01"  # as PostgreSQL's driver reports a transaction it aborted to break a deadlock

    attempts = []

    def records(recorder: Any) -> str:
        recorder.record_failure(name="src", url="u", error=f"attempt {len(attempts)}")
        attempts.append(1)
        if len(attempts) < 3:
            raise OperationalError("UPDATE sources ...", {}, Deadlock("deadlock detected"))
        return "written"

    assert store.write(records) == "written" and len(attempts) == 3
    state = store.sources.get("src")
    assert state is not None and state.consecutive_failures == 1  # the aborted attempts left nothing

    def other_error(recorder: Any) -> None:
        raise OperationalError("UPDATE sources ...", {}, Exception("disk I/O error"))  # as SQLAlchemy wraps it

    from rulewatch.core.errors import StateError

    with pytest.raises(StateError, match="cannot write to the database .*: disk I/O error; nothing of this batch"):
        store.write(other_error)


def test_a_full_disk_is_one_clear_error_and_keeps_what_was_written(tmp_path: Path) -> None:
    """Issue 19, finding 20: SQLite's own "database or disk is full" (a page limit stands in for the
    disk) ends the write with one line, and nothing half-written."""
    from sqlalchemy import event

    from rulewatch.core.errors import StateError

    store = Store(f"sqlite:///{tmp_path / 'state.db'}")
    try:
        store.write(lambda recorder: recorder.record_failure(name="src", url="u", error="first"))
        with store.writer.connect() as conn:
            pages = conn.exec_driver_sql("PRAGMA page_count").scalar()
        store.writer.dispose()
        event.listen(store.writer, "connect", lambda dbapi, _: dbapi.execute(f"PRAGMA max_page_count = {pages}"))
        with pytest.raises(StateError, match="database or disk is full; nothing of this batch was recorded"):
            store.write(lambda recorder: [recorder.record_failure(name=f"s{n}", url="u", error="x" * 5000)
                                          for n in range(200)])
        state = store.sources.get("src")
        assert state is not None and state.last_error == "first" and store.sources.get("s0") is None
    finally:
        store.close()


def test_a_file_that_is_not_a_database_is_one_clear_error(tmp_path: Path) -> None:
    """Issue 19, finding 20: a damaged state file gave a raw traceback."""
    from rulewatch.core.errors import StateError

    damaged = tmp_path / "rulewatch.db"
    damaged.write_bytes(b"this is not an SQLite database, just some bytes a disk left behind" * 100)
    with pytest.raises(StateError, match="file is not a database; the file is damaged"):
        Store(f"sqlite:///{damaged}")


def test_alert_heads_carry_what_lineage_matches_on_and_drafts_are_the_alerts_filed_as_drafts(store: Store) -> None:
    record_alerts(store, [
        Alert(kind="changed_text", title="数据安全管理办法（征求意见稿）", url="http://x/1"),
        Alert(kind="new_item", title="Cybersecurity rule", url="http://x/2", rule_ids=("RIN 1234-AB56",),
              severity_reasons=("a draft for comment (+2)",)),
        Alert(kind="changed_text", title="数据安全管理办法", url="http://x/3", rule_ids=("财金〔2026〕1号",)),
    ])
    ids = sorted(a.outbox_id for a in store.outbox.alerts())
    heads = store.rules.alert_heads(list(reversed(ids)))
    assert [h.outbox_id for h in heads] == ids  # oldest first
    assert heads[1].rule_ids == ("RIN 1234-AB56",) and heads[1].severity_reasons == ("a draft for comment (+2)",)
    assert heads[2].kind == "changed_text" and heads[2].title == "数据安全管理办法"
    # Drafts are the alerts filed as about a draft for comment: by their title, or their reason.
    assert [h.outbox_id for h in store.rules.draft_heads()] == ids[:2]
