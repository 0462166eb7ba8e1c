"""Revision 0008 moves a database the last release filled (schema 0007) to the Rule model with nothing
lost: every row kept, each alert about a rule filed under it the first time rulewatch opens the
database, a linked draft and final one rule, and the calendar, reminders and dossier reading rules."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

from rulewatch.alerts.calendar import rule_deadlines
from rulewatch.app import App
from rulewatch.lineage import dossier, rule_alerts
from rulewatch.settings import Settings
from rulewatch.state import Store, migrate

NOW = "2026-11-20T09:00:00.000000Z"
DRAFT = "关于《银行保险机构数据安全管理办法（征求意见稿）》公开征求意见的通知"
FINAL = "银行保险机构数据安全管理办法"
TABLES = ("sources", "blobs", "snapshots", "changes", "alerts", "deliveries", "lineage", "checks")


def _dates(*pairs: tuple[str, str]) -> str:
    return json.dumps([{"role": role, "date": day, "evidence": f"{role} {day}", "article": ""} for role, day in pairs])


# (id, kind, source, subject, title, key dates, rule ids, delivered) as the last release wrote them
ALERTS = [
    (1, "new_item", "nfra", "d1", DRAFT, _dates(("comment_deadline", "2026-12-20")), "[]", True),
    (2, "changed_item", "nfra", "d1", DRAFT, "[]", "[]", True),  # the draft's record changed
    (3, "new_item", "cac", "f9", FINAL, _dates(("effective", "2027-03-01")), "[]", False),
    (4, "final_published", "nfra", "d1", FINAL, _dates(("effective", "2027-03-01")), "[]", False),  # the reply
    (5, "deadline_reminder", "nfra", "d1", DRAFT, _dates(("comment_deadline", "2026-12-20")), "[]", True),
    (6, "source_failing", "pboc", "", "pboc is failing", "[]", "[]", False),
    (7, "new_item", "fr", "2026-1", "Incident Reporting; Proposed Rule", "[]", '["rin:1670-AZ99"]', True),
    (8, "new_item", "fr", "2026-2", "Cyber Incident Reporting Requirements", "[]", '["rin:1670-AZ99"]', False),
    (9, "new_item", "cac", "n1", "通知", "[]", "[]", False),  # a name too short to be a rule's
]


def last_release_database(url: str) -> None:
    """A database at schema 0007 holding what the last release kept: snapshots, a change, alerts of
    every kind (some delivered), deliveries, a draft-final lineage link and checks."""
    engine = create_engine(url)
    with engine.begin() as conn:
        migrate._alembic(conn, "upgrade", "0007")
        conn.execute(text("INSERT INTO sources (name, url) VALUES ('nfra', 'http://n/'), ('cac', 'http://c/'), "
                          "('fr', 'http://f/'), ('pboc', 'http://p/')"))
        conn.execute(text("INSERT INTO blobs (hash, data, size) VALUES ('h1', :d, 1)"), {"d": b"x"})
        conn.execute(text("INSERT INTO snapshots (id, source, blob_hash, taken_at, kind) VALUES (1, 'nfra', 'h1', :t, "
                          "'list')"), {"t": NOW})
        conn.execute(text("INSERT INTO changes (id, source, old_snapshot_id, new_snapshot_id, detected_at, summary, "
                          "detail, relevant) VALUES (1, 'nfra', 1, 1, :t, 'items', '{}', :r)"), {"t": NOW, "r": True})
        for alert_id, kind, source, subject, title, key_dates, rule_ids, delivered in ALERTS:
            conn.execute(text(
                "INSERT INTO alerts (id, idempotency_key, source, change_id, kind, title, url, topics, matched_terms, "
                "subject, detected_at, key_dates, rule_ids, delivered_at) VALUES (:id, :key, :source, NULL, :kind, "
                ":title, :url, '[\"cybersecurity\"]', '[]', :subject, :t, :key_dates, :rule_ids, :delivered)"),
                {"id": alert_id, "key": f"k{alert_id}", "source": source, "kind": kind, "title": title,
                 "url": f"http://{source}/{subject}", "subject": subject, "t": NOW, "key_dates": key_dates,
                 "rule_ids": rule_ids, "delivered": NOW if delivered else None})
            if delivered:
                conn.execute(text("INSERT INTO deliveries (alert_id, sink, channel, ts, delivered_at, attempts, "
                                  "last_error) VALUES (:id, 'slack', 'C1', :ts, :t, 1, '')"),
                             {"id": alert_id, "ts": f"17000.{alert_id}", "t": NOW})
        conn.execute(text("INSERT INTO lineage (draft_alert_id, final_alert_id, score, method, linked_at) "
                          "VALUES (1, 3, 1.0, 'name', :t)"), {"t": NOW})
        conn.execute(text("INSERT INTO checks (source, checked_at, outcome, detail) VALUES ('nfra', :t, 'changed', '')"),
                     {"t": NOW})
        if engine.dialect.name == "postgresql":  # explicit ids: move the sequences past them, as inserts would
            for table in ("snapshots", "changes", "alerts", "lineage"):
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), 20)"))
    engine.dispose()


def counts(url: str) -> dict[str, int]:
    engine = create_engine(url)
    with engine.connect() as conn:
        found = {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in TABLES}
    engine.dispose()
    return found


def test_the_last_release_database_moves_to_rules_with_nothing_lost(database_url: str, tmp_path: Path) -> None:
    last_release_database(database_url)
    before = counts(database_url)
    settings = Settings.from_env({"RULEWATCH_HOME": str(tmp_path / "home"), "RULEWATCH_DATABASE_URL": database_url})
    with App(settings) as app:
        store = app.store
        assert store.schema_before.current == "0007" and store.schema_action == "upgraded"
        assert counts(database_url) == before  # every row kept
        assert store.rules.pending_tasks() == set()  # filed at the first open
        rule_of = store.rules.rule_of(list(range(1, 10)))
        # The draft, its changed record and its linked final (another site, another subject): one rule.
        assert rule_of[1] == rule_of[2] == rule_of[3]
        # The Federal Register's proposed and final rule share a RIN: one rule, whatever the titles.
        assert rule_of[7] == rule_of[8] != rule_of[1]
        # Replies, reminders and health notices are about no rule; a bare 通知 is a rule of its own subject.
        assert set(rule_of) == {1, 2, 3, 7, 8, 9}
        (draft_rule,) = store.rules.get([rule_of[1]])
        assert draft_rule.alerts == ((1, "draft"), (2, "draft"), (3, "final"))
        assert draft_rule.name == FINAL
        (bare,) = store.rules.get([rule_of[9]])
        assert bare.key == "subject:cac:n1"
        alerts = {a.outbox_id: a for a in store.outbox.alerts()}
        assert (alerts[8].rule_key, alerts[8].rule_role) == ("rin:1670-AZ99", "published")
        assert alerts[6].rule_key == alerts[6].rule_role == ""
        # Delivery state is untouched: the delivered stay delivered, the pending pending.
        assert sorted(a.outbox_id for a in store.outbox.alerts(pending_only=True)) == [3, 4, 6, 8, 9]
        # The calendar reads rules: the draft's deadline and the final's effective date, once each.
        coming = [(d.day, d.role, d.alert_id) for d in rule_deadlines(store)]
        assert coming == [("2026-12-20", "comment_deadline", 1), ("2027-03-01", "effective", 3)]
        found = dossier(store, "数据安全管理办法", rule_alerts(store))
        assert found is not None and [e.alert_id for e in found.events if e.what != "takes effect"][:3] == [1, 2, 3]
    reopened = Store(database_url)  # nothing left to do, nothing filed twice
    try:
        assert reopened.schema_action == "current" and reopened.rules.pending_tasks() == set()
        assert reopened.rules.count() == 3
        # Revision 0010's audit trail is append-only on an upgraded database too.
        from rulewatch.services.triage import Asked, decide

        decide(reopened, Asked(1, "applicable", "Li Wei"), date(2026, 12, 7))
        with pytest.raises(DBAPIError, match="append-only"), reopened.writer.begin() as conn:
            conn.execute(text("DELETE FROM triage_events"))
    finally:
        reopened.close()


def test_alerts_recorded_after_the_upgrade_join_the_rules_filed_before(database_url: str, tmp_path: Path) -> None:
    from outbox import record_alerts

    from rulewatch.core.model import Alert

    last_release_database(database_url)
    settings = Settings.from_env({"RULEWATCH_HOME": str(tmp_path / "home"), "RULEWATCH_DATABASE_URL": database_url})
    with App(settings) as app:
        store = app.store
        record_alerts(store, [Alert(kind="new_item", title="Cyber Incident Reporting Requirements; Final Rule",
                                    url="http://fr/3", subject="2026-3", source="fr", rule_ids=("rin:1670-AZ99",))])
        newest = store.outbox.alerts(limit=1)[0]
        rule_of = store.rules.rule_of([7, newest.outbox_id])
        assert rule_of[newest.outbox_id] == rule_of[7]
