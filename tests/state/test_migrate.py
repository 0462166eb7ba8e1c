"""Schema upgrades: every earlier schema reaches the head with every row kept, migrations and the model
agree, concurrent upgrades are safe, and a newer database is refused. On SQLite and PostgreSQL."""

from __future__ import annotations

import importlib
import io
import threading
from typing import Any

import pytest
from sqlalchemy import create_engine, inspect, text

from rulewatch.alerts.deliver import ConsoleSink, deliver_pending
from rulewatch.core.errors import StateError
from rulewatch.state import Store, migrate, schema

FIRST: Any = importlib.import_module("rulewatch.state.migrations.versions.0001_initial")
NOW = "2026-11-20T09:00:00.000000Z"


def legacy_database(url: str) -> None:
    """A database as rulewatch made it before migrations (revision 0001's tables, no version table),
    holding what a working installation holds: sources, blobs, snapshots, a change, a delivered alert
    (a thread's first message) and two pending alerts, one of them attempted once already."""
    engine = create_engine(url)
    with engine.begin() as conn:
        FIRST.metadata.create_all(conn)
        conn.execute(text("INSERT INTO sources (name, url, last_snapshot_id, compares) VALUES ('cac', 'http://x/', 2, 1)"))
        for n in (1, 2):
            conn.execute(text("INSERT INTO blobs (hash, data, size) VALUES (:h, :d, 1)"), {"h": f"h{n}", "d": b"x"})
            conn.execute(text("INSERT INTO snapshots (id, source, blob_hash, taken_at, kind) "
                              "VALUES (:n, 'cac', :h, :t, 'page')"), {"n": n, "h": f"h{n}", "t": NOW})
        conn.execute(text("INSERT INTO changes (id, source, old_snapshot_id, new_snapshot_id, detected_at, summary, "
                          "detail, relevant) VALUES (1, 'cac', 1, 2, :t, '1 text changed', '{}', :r)"),
                     {"t": NOW, "r": True})
        rows = [
            (1, "cac:change:1:0", "Rule A", NOW, "C-ALERTS", "1700000000.000100", 1),
            (2, "cac:change:1:1", "Rule B", None, None, None, 0),
            (3, "cac:change:1:2", "Rule C", None, None, None, 1),
        ]
        for alert_id, key, title, delivered, channel, ts, attempts in rows:
            conn.execute(text(
                "INSERT INTO alerts (id, idempotency_key, source, change_id, kind, title, url, topics, matched_terms, "
                "subject, detected_at, delivered_at, delivered_channel, delivered_ts, attempts) VALUES "
                "(:id, :key, 'cac', 1, 'changed_text', :title, 'http://x/', '[\"cybersecurity\"]', '[]', 'http://x/', "
                ":t, :delivered, :channel, :ts, :attempts)"),
                {"id": alert_id, "key": key, "title": title, "t": NOW, "delivered": delivered, "channel": channel,
                 "ts": ts, "attempts": attempts})
        if engine.dialect.name == "postgresql":  # explicit ids: move the sequences past them, as inserts would
            for table in ("snapshots", "changes", "alerts"):
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), 10)"))
    engine.dispose()


def counts(url: str) -> dict[str, int]:
    engine = create_engine(url)
    with engine.connect() as conn:
        found = {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()
                 for t in ("sources", "blobs", "snapshots", "changes", "alerts")}
    engine.dispose()
    return found


def test_a_database_from_before_migrations_is_adopted_and_upgraded_with_every_row(database_url: str) -> None:
    legacy_database(database_url)
    before = counts(database_url)
    store = Store(database_url)
    try:
        assert store.schema_before.legacy and store.schema_action == "upgraded"
        assert counts(database_url) == before
        pending = store.outbox.alerts(pending_only=True, newest_first=False)
        assert [a.title for a in pending] == ["Rule B", "Rule C"]
        # The delivered alert became the Slack bot's delivery: a follow-up still finds its thread.
        assert store.outbox.thread_of("cac", "http://x/", 2, "slack") == ("C-ALERTS", "1700000000.000100")
        out = io.StringIO()
        assert deliver_pending(store, ConsoleSink(out)).delivered == [2, 3]
        assert out.getvalue().count("=== Amended: Rule") == 2
        assert deliver_pending(store, ConsoleSink(out)).delivered == []  # exactly once
        assert store.outbox.alerts(pending_only=True) == []
    finally:
        store.close()
    reopened = Store(database_url)  # at the head now: nothing to do
    assert reopened.schema_action == "current"
    reopened.close()


def test_a_database_older_than_revision_0001_gains_its_columns(database_url: str) -> None:
    legacy_database(database_url)
    engine = create_engine(database_url)
    with engine.begin() as conn:
        conn.execute(text("ALTER TABLE sources DROP COLUMN compares"))
        conn.execute(text("DROP TABLE host_pace"))
    engine.dispose()
    store = Store(database_url)
    try:
        state = store.sources.get("cac")
        assert state is not None and state.compares == 0 and state.last_snapshot_id == 2
    finally:
        store.close()


def test_revision_0007_gives_earlier_list_item_alerts_their_rulemaking_ids(database_url: str) -> None:
    """Alerts written before 0007 get the RINs and docket ids of their item, read from the snapshot
    their change recorded; a page's alert and an item without ids get none."""
    import json
    import zlib

    engine = create_engine(database_url)
    with engine.begin() as conn:
        migrate._alembic(conn, "upgrade", "0006")
        listing = {"kind": "list", "url": "http://fr/", "title": "", "blocks": [], "metadata": {}, "items": [
            {"id": "2026-21001", "title": "Incident Reporting; Proposed Rule", "url": "", "date": "", "detail": "",
             "fields": [["regulation_id_numbers", "1670-az99"], ["docket_ids", "CISA-2026-0001"]]},
            {"id": "2026-21002", "title": "Privacy Act Notice", "url": "", "date": "", "detail": "", "fields": []}]}
        first = dict(listing, items=[])
        for n, document in ((1, first), (2, listing)):
            conn.execute(text("INSERT INTO blobs (hash, data, size) VALUES (:h, :d, 1)"),
                         {"h": f"h{n}", "d": zlib.compress(json.dumps(document).encode())})
            conn.execute(text("INSERT INTO snapshots (id, source, blob_hash, taken_at, kind) "
                              "VALUES (:n, 'fr', :h, :t, 'list')"), {"n": n, "h": f"h{n}", "t": NOW})
        conn.execute(text("INSERT INTO changes (id, source, old_snapshot_id, new_snapshot_id, detected_at, summary, "
                          "detail, relevant) VALUES (1, 'fr', 1, 2, :t, '2 items added', '{}', :r)"),
                     {"t": NOW, "r": True})
        for alert_id, kind, subject in ((1, "new_item", "2026-21001"), (2, "new_item", "2026-21002"),
                                        (3, "changed_text", "http://fr/")):
            conn.execute(text(
                "INSERT INTO alerts (id, idempotency_key, source, change_id, kind, title, url, topics, matched_terms, "
                "subject, detected_at) VALUES (:id, :key, 'fr', 1, :kind, 'T', 'http://fr/', '[]', '[]', :subject, "
                ":t)"), {"id": alert_id, "key": f"k{alert_id}", "kind": kind, "subject": subject, "t": NOW})
        if engine.dialect.name == "postgresql":
            for table in ("snapshots", "changes", "alerts"):
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), 10)"))
    engine.dispose()
    store = Store(database_url)
    try:
        assert store.schema_action == "upgraded"
        assert [a.rule_ids for a in store.outbox.alerts(newest_first=False)] == [
            ("rin:1670-AZ99", "docket:CISA-2026-0001"), (), ()]
    finally:
        store.close()


def test_migrations_build_exactly_the_model(database_url: str) -> None:
    """Upgrading an empty database revision by revision gives the tables a fresh database gets from the
    model (state/schema.py): nothing to autogenerate."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    engine = create_engine(database_url)
    with engine.begin() as conn:
        migrate._alembic(conn, "upgrade", "head")
    with engine.connect() as conn:
        # The trigram index lives outside the model (state.schema.search_ddl): FTS5's table and its
        # shadow tables, pg_trgm's GIN index.
        def in_model(obj: object, name: str | None, kind: str, reflected: bool, compare_to: object) -> bool:
            return not (name or "").startswith((schema.HISTORY_FTS, "ix_history_texts_trgm"))

        options = {"compare_type": True, "include_object": in_model}
        diffs = compare_metadata(MigrationContext.configure(conn, opts=options), schema.metadata)
        version = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    engine.dispose()
    assert diffs == [] and version == migrate.SCHEMA_HEAD


def test_the_head_constant_is_the_newest_migration() -> None:
    from alembic.script import ScriptDirectory

    assert ScriptDirectory(str(migrate.MIGRATIONS)).get_current_head() == migrate.SCHEMA_HEAD


def test_a_fresh_database_is_created_at_the_head(database_url: str) -> None:
    store = Store(database_url)
    try:
        assert store.schema_before.empty and store.schema_action == "created"
        with store.engine.connect() as conn:
            assert migrate.status(conn).up_to_date
    finally:
        store.close()


def test_a_database_newer_than_this_code_is_refused_before_any_write(database_url: str) -> None:
    Store(database_url).close()
    engine = create_engine(database_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0099'"))
    engine.dispose()
    with pytest.raises(StateError, match="revision 0099, newer than this rulewatch"):
        Store(database_url)
    engine = create_engine(database_url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == "0099"
    engine.dispose()


def _upgrade_elsewhere(database_url: str, revision: str = "0099") -> None:
    """What a newer release does to the database while an older process still has it open."""
    engine = create_engine(database_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": revision})
    engine.dispose()


def test_a_process_left_running_through_an_upgrade_writes_nothing_after_it(database_url: str) -> None:
    """A worker or the web workspace opened the database, then a newer rulewatch upgraded it: every
    later write (a cycle's batch, delivery, a resend, a digest mark) is refused whole."""
    from outbox import record_alerts

    from rulewatch.core.model import Alert

    store = Store(database_url)
    try:
        record_alerts(store, [Alert(kind="new_item", title="Rule A", url="http://x/a", source="cac")])
        _upgrade_elsewhere(database_url)
        before = store.count_rows()
        with pytest.raises(StateError, match="upgraded to schema revision 0099 by a newer rulewatch while this process ran"):
            record_alerts(store, [Alert(kind="new_item", title="Rule B", url="http://x/b", source="cac")])
        with pytest.raises(StateError, match="stop this process"):
            deliver_pending(store, ConsoleSink(io.StringIO()))
        with pytest.raises(StateError):
            store.outbox.resend([1])
        with pytest.raises(StateError):
            store.outbox.mark_digest("C1", "2026-12-07", "1.2")
        assert store.count_rows() == before
        _upgrade_elsewhere(database_url, migrate.SCHEMA_HEAD)  # a backup restored: writing resumes
        record_alerts(store, [Alert(kind="new_item", title="Rule B", url="http://x/b", source="cac")])
        assert len(store.outbox.alerts()) == 2
    finally:
        store.close()


def test_an_upgrade_waits_for_writes_in_flight_on_postgresql(database_url: str) -> None:
    """The write's check and the upgrade's lock exclude each other: no write runs half before and half
    after an upgrade."""
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite serialises writers with BEGIN IMMEDIATE; the upgrade takes the same lock")
    from sqlalchemy.exc import OperationalError

    store = Store(database_url)
    other = create_engine(database_url)
    try:
        with store.batch(), other.connect() as conn:
            conn.execute(text("SET lock_timeout = '300ms'"))
            with pytest.raises(OperationalError, match="lock timeout"):
                conn.execute(text(f"SELECT pg_advisory_xact_lock({migrate.SCHEMA_LOCK_ID})"))
            conn.rollback()
        with other.begin() as conn:  # the write is over: the upgrade takes its lock at once
            conn.execute(text(f"SELECT pg_advisory_xact_lock({migrate.SCHEMA_LOCK_ID})"))
    finally:
        other.dispose()
        store.close()


@pytest.mark.parametrize("start", ["legacy", "empty"])
def test_workers_starting_at_once_upgrade_once(database_url: str, start: str) -> None:
    if start == "legacy":
        legacy_database(database_url)
    barrier = threading.Barrier(4)
    actions: list[str] = []
    errors: list[BaseException] = []

    def open_store() -> None:
        barrier.wait()
        try:
            store = Store(database_url)
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
            return
        actions.append(store.schema_action)
        store.close()

    threads = [threading.Thread(target=open_store) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert errors == []
    assert sorted(actions) == sorted(["upgraded" if start == "legacy" else "created"] + ["current"] * 3)
    engine = create_engine(database_url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM alembic_version")).scalar_one() == 1
        assert "deliveries" in inspect(conn).get_table_names()
    engine.dispose()
    if start == "legacy":
        assert counts(database_url)["alerts"] == 3
