"""Tables of rulewatch's state (SQLAlchemy Core): the same schema on SQLite and PostgreSQL.

Times are ISO 8601 UTC strings ("2026-11-28T01:02:03Z"): portable, sortable and readable in a shell.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields, is_dataclass
from typing import Any, get_args, get_type_hints

from sqlalchemy import (
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from rulewatch.core.model import Alert

metadata = MetaData()
_ALERT_TYPES = get_type_hints(Alert)
# Alert fields stored as JSON lists (the tuples); every other field is stored as it is.
ALERT_LIST_FIELDS = frozenset(name for name, kind in _ALERT_TYPES.items() if str(kind).startswith("tuple"))
# List fields whose elements are model records (InlineRun, KeyDate), stored as JSON objects.
ALERT_RECORD_FIELDS: dict[str, type] = {
    name: get_args(_ALERT_TYPES[name])[0] for name in ALERT_LIST_FIELDS
    if is_dataclass(get_args(_ALERT_TYPES[name])[0])
}

sources = Table(
    "sources",
    metadata,
    Column("name", String(200), primary_key=True),
    Column("url", Text, nullable=False),
    Column("kind", String(20), nullable=False, server_default=""),
    Column("etag", Text, nullable=False, server_default=""),
    Column("last_modified", Text, nullable=False, server_default=""),
    Column("last_snapshot_id", Integer, nullable=True),
    Column("last_checked_at", String(32), nullable=True),
    Column("last_success_at", String(32), nullable=True),
    Column("consecutive_failures", Integer, nullable=False, server_default="0"),
    Column("last_error", Text, nullable=False, server_default=""),
    Column("failing_notified", Boolean, nullable=False, server_default="0"),
    Column("compares", Integer, nullable=False, server_default="0"),  # checks compared with a snapshot
)

# What a source's history teaches: per block shape, how often it changed in place, and since when.
volatility = Table(
    "volatility",
    metadata,
    Column("source", String(200), primary_key=True),
    Column("shape", String(32), primary_key=True),
    Column("changes", Integer, nullable=False),
    Column("first_compare", Integer, nullable=False),
)

# Canonical documents, zlib-compressed and stored once per distinct content hash.
blobs = Table(
    "blobs",
    metadata,
    Column("hash", String(64), primary_key=True),
    Column("data", LargeBinary, nullable=False),
    Column("size", Integer, nullable=False),
)

snapshots = Table(
    "snapshots",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("source", String(200), nullable=False),
    Column("blob_hash", String(64), ForeignKey("blobs.hash"), nullable=False),
    Column("taken_at", String(32), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("title", Text, nullable=False, server_default=""),
    Column("blocks", Integer, nullable=False, server_default="0"),
    Column("items", Integer, nullable=False, server_default="0"),
    Index("ix_snapshots_source", "source", "id"),
)

changes = Table(
    "changes",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("source", String(200), nullable=False),
    Column("old_snapshot_id", Integer, ForeignKey("snapshots.id"), nullable=False),
    Column("new_snapshot_id", Integer, ForeignKey("snapshots.id"), nullable=False),
    Column("detected_at", String(32), nullable=False),
    Column("summary", Text, nullable=False),
    Column("detail", Text, nullable=False),  # JSON: the Change and the Verdict's reasons
    Column("relevant", Boolean, nullable=False),
    Index("ix_changes_source", "source", "id"),
)

# The outbox: an alert is written with its snapshot, and marked delivered only after every sink said so
# (each sink's delivery, with its lease, is a row of `deliveries`).
# Its columns follow core.model.Alert's fields; only where a column needs more than its field's type
# says (a key, a length, a reference) is it spelt out here.
_ALERT_COLUMNS: dict[str, Callable[[], Column[Any]]] = {
    "id": lambda: Column("id", Integer, primary_key=True, autoincrement=True),
    "idempotency_key": lambda: Column("idempotency_key", String(300), nullable=False),
    "source": lambda: Column("source", String(200), nullable=False),
    "change_id": lambda: Column("change_id", Integer, ForeignKey("changes.id"), nullable=True),
    "kind": lambda: Column("kind", String(40), nullable=False),
    "title": lambda: Column("title", Text, nullable=False),
    "url": lambda: Column("url", Text, nullable=False),
    "channel": lambda: Column("channel", String(200), nullable=False, server_default=""),
    "detected_at": lambda: Column("detected_at", String(32), nullable=False),
    "delivered_at": lambda: Column("delivered_at", String(32), nullable=True),
}


def _alert_column(name: str, annotation: Any) -> Column[Any]:
    """The column an Alert field is stored in, by the field's type."""
    if name in _ALERT_COLUMNS:
        return _ALERT_COLUMNS[name]()
    if name in ALERT_LIST_FIELDS:
        return Column(name, Text, nullable=False)  # a JSON list
    if annotation is int:
        return Column(name, Integer, nullable=False, server_default="0")
    if annotation is str:
        return Column(name, Text, nullable=False, server_default="")
    if annotation == int | None:
        return Column(name, Integer, nullable=True)
    if annotation == str | None:
        return Column(name, Text, nullable=True)
    raise TypeError(f"Alert.{name}: no column type for {annotation!r}; add one to state/schema.py")


alerts = Table(
    "alerts",
    metadata,
    *(_alert_column(f.name, _ALERT_TYPES[f.name]) for f in fields(Alert)),
    UniqueConstraint("idempotency_key", name="uq_alerts_idempotency_key"),
    Index("ix_alerts_pending", "delivered_at", "id"),
    Index("ix_alerts_source", "source", "subject", "id"),  # alerts --source; a subject's Slack thread
    Index("ix_alerts_detected_at", "detected_at"),  # the digest's last day
)

# Mutes the team set (state.mutes, core.mute): removed by marking, never deleted, so the alerts a mute
# caught (alerts.muted_by) keep naming it.
mutes = Table(
    "mutes",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("source", String(200), nullable=False),
    Column("terms", Text, nullable=False, server_default="[]"),  # a JSON list
    Column("title_pattern", Text, nullable=False, server_default=""),
    Column("reason", Text, nullable=False, server_default=""),
    Column("created_by", String(200), nullable=False),
    Column("created_via", String(20), nullable=False),
    Column("created_at", String(32), nullable=False),
    Column("from_alert_id", Integer, nullable=True),
    Column("removed_at", String(32), nullable=True),
    Column("removed_by", String(200), nullable=False, server_default=""),
    Index("ix_mutes_source", "source", "id"),
)

# Delivery per alert and sink (alerts fan out to every configured sink): a lease for one sender at a
# time, the attempts, and where it went. The alert row's delivered_at is set once every sink has it.
deliveries = Table(
    "deliveries",
    metadata,
    Column("alert_id", Integer, ForeignKey("alerts.id"), primary_key=True),
    Column("sink", String(40), primary_key=True),
    Column("channel", String(200), nullable=False, server_default=""),  # an ID, as threads need it
    Column("channel_name", String(200), nullable=False, server_default=""),  # as people know it, when known
    Column("ts", String(64), nullable=False, server_default=""),
    Column("delivered_at", String(32), nullable=True),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("claimed_until", String(32), nullable=True),
    Column("last_error", Text, nullable=False, server_default=""),
)

checks = Table(
    "checks",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("source", String(200), nullable=False),
    Column("checked_at", String(32), nullable=False),
    Column("outcome", String(20), nullable=False),  # baseline, changed, unchanged, not_modified, failed
    Column("detail", Text, nullable=False, server_default=""),
    Index("ix_checks_source", "source", "id"),
)

# One digest per channel and day, recorded when posted (a second run the same day posts nothing).
digests = Table(
    "digests",
    metadata,
    Column("channel", String(200), primary_key=True),
    Column("day", String(10), primary_key=True),
    Column("posted_at", String(32), nullable=False),
    Column("ts", String(64), nullable=False, server_default=""),
)

# Per-host politeness shared by processes and machines (state.hostlease): leased request slots...
host_slots = Table(
    "host_slots",
    metadata,
    Column("host", String(300), primary_key=True),
    Column("slot", Integer, primary_key=True),
    Column("holder", String(80), nullable=False, server_default=""),
    Column("until", Float, nullable=False, server_default="0"),  # epoch seconds
)
# ...and the next moment a request to the host may start.
host_pace = Table(
    "host_pace",
    metadata,
    Column("host", String(300), primary_key=True),
    Column("next_start", Float, nullable=False, server_default="0"),
)

# Every text a source has shown (a block, an item's title), with when it first appeared and when it
# disappeared (NULL: still there), for `rulewatch search`. Found by trigrams: SQLite's FTS5 trigram
# index (history_fts, brought up to date by each search, not by the cycle: see state.search),
# PostgreSQL's pg_trgm GIN index (search_ddl).
history_texts = Table(
    "history_texts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("source", String(200), nullable=False),
    Column("text_hash", String(64), nullable=False),
    Column("text", Text, nullable=False),
    Column("first_seen", String(32), nullable=False),
    Column("first_snapshot_id", Integer, nullable=False),
    Column("gone_at", String(32), nullable=True),
    Column("gone_snapshot_id", Integer, nullable=True),
    Index("ix_history_texts_source", "source", "text_hash"),
)
HISTORY_FTS = "history_fts"  # SQLite's FTS5 index of history_texts.text (and its shadow tables)
HISTORY_FTS_MARK = "history_fts_indexed"  # the last history_texts.id the FTS5 index holds


def search_ddl(dialect: str) -> list[str]:
    """The trigram index of history_texts for this database: created with the tables and by
    migration 0004. PostgreSQL's needs the pg_trgm extension (search_extension_ddl)."""
    if dialect == "sqlite":
        return [
            f"CREATE VIRTUAL TABLE IF NOT EXISTS {HISTORY_FTS} USING fts5(text, content='history_texts', "
            "content_rowid='id', tokenize='trigram')",
            f"CREATE TABLE IF NOT EXISTS {HISTORY_FTS_MARK} (one INTEGER PRIMARY KEY CHECK (one = 1), "
            "upto INTEGER NOT NULL)",
            f"INSERT OR IGNORE INTO {HISTORY_FTS_MARK} (one, upto) VALUES (1, 0)",
        ]
    if dialect == "postgresql":
        return ["CREATE INDEX IF NOT EXISTS ix_history_texts_trgm ON history_texts USING gin (text gin_trgm_ops)"]
    return []


SEARCH_EXTENSION_DDL = "CREATE EXTENSION IF NOT EXISTS pg_trgm"


# A rule's life: a final version linked to its draft for comment (detection.lineage), with how surely
# and by what (rin, docket, name). One row per pair of alerts.
lineage = Table(
    "lineage",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("draft_alert_id", Integer, ForeignKey("alerts.id"), nullable=False),
    Column("final_alert_id", Integer, ForeignKey("alerts.id"), nullable=False),
    Column("score", Float, nullable=False),
    Column("method", String(20), nullable=False),
    Column("linked_at", String(32), nullable=False),
    UniqueConstraint("draft_alert_id", "final_alert_id", name="uq_lineage_pair"),
)


# The rules the alerts are about (the Rule aggregate): a rule is known by its key (rin:…, docket:…,
# name:…, or subject:SOURCE:SUBJECT; detection.rules decides), holds its alerts with their roles (its
# versions and the changes to them), and is named by its latest alert's title. A rule merged into
# another (lineage linked its final to that rule's draft) keeps its row, so its key still finds the rule.
rules = Table(
    "rules",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("key", Text, nullable=False),
    Column("name", Text, nullable=False, server_default=""),
    Column("first_alert_id", Integer, ForeignKey("alerts.id"), nullable=True),
    Column("last_alert_id", Integer, ForeignKey("alerts.id"), nullable=True),
    Column("merged_into", Integer, ForeignKey("rules.id"), nullable=True),
    Column("created_at", String(32), nullable=False),
    Column("updated_at", String(32), nullable=False),
    UniqueConstraint("key", name="uq_rules_key"),
)

# Each alert about a rule, once: its rule, its role there (a core.model.RuleRole), and its source and
# subject, by which a later alert about the same item or page finds the rule again.
rule_alerts = Table(
    "rule_alerts",
    metadata,
    Column("alert_id", Integer, ForeignKey("alerts.id"), primary_key=True),
    Column("rule_id", Integer, ForeignKey("rules.id"), nullable=False),
    Column("role", String(20), nullable=False),
    Column("source", String(200), nullable=False, server_default=""),
    Column("subject", Text, nullable=False, server_default=""),
    Index("ix_rule_alerts_rule", "rule_id", "alert_id"),
    Index("ix_rule_alerts_subject", "source", "subject", "alert_id"),
    Index("ix_rule_alerts_role", "role", "alert_id"),
)

# Work an upgrade left for rulewatch itself, done the next time it opens the database: a migration
# cannot decide what detection decides (0008 leaves `file_rules`: file the alerts recorded before rules).
upgrade_tasks = Table(
    "upgrade_tasks",
    metadata,
    Column("name", String(40), primary_key=True),
)

# Triage: what the team decided about each rule (state.triage). One row per rule with its current state,
# and every decision as an event that is never updated or deleted (triggers refuse both: the audit trail).
triage = Table(
    "triage",
    metadata,
    Column("rule_id", Integer, ForeignKey("rules.id"), primary_key=True),
    Column("state", String(20), nullable=False),
    Column("owner", String(200), nullable=False, server_default=""),
    Column("reason", Text, nullable=False, server_default=""),
    Column("note", Text, nullable=False, server_default=""),
    Column("snoozed_until", String(10), nullable=True),
    Column("alert_id", Integer, ForeignKey("alerts.id"), nullable=True),
    Column("updated_by", String(200), nullable=False, server_default=""),
    Column("updated_via", String(20), nullable=False, server_default=""),
    Column("updated_at", String(32), nullable=False),
)

triage_events = Table(
    "triage_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("rule_id", Integer, ForeignKey("rules.id"), nullable=False),
    Column("alert_id", Integer, ForeignKey("alerts.id"), nullable=True),
    Column("actor", String(200), nullable=False),
    Column("via", String(20), nullable=False),
    Column("from_state", String(20), nullable=False),
    Column("to_state", String(20), nullable=False),
    Column("owner", String(200), nullable=False, server_default=""),
    Column("reason", Text, nullable=False, server_default=""),
    Column("note", Text, nullable=False, server_default=""),
    Column("snoozed_until", String(10), nullable=True),
    Column("at", String(32), nullable=False),
    Index("ix_triage_events_at", "at", "id"),
)

# The web workspace's accounts (state.users): removed by marking, never deleted, so names are not reused
# and what a removed account decided keeps its name. Logins are recorded to slow and stop guessing.
users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(100), nullable=False, unique=True),
    Column("role", String(20), nullable=False),
    Column("password_hash", Text, nullable=False),
    Column("created_at", String(32), nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("removed_at", String(32), nullable=True),
)

logins = Table(
    "logins",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False),
    Column("address", String(100), nullable=False),
    Column("ok", Boolean, nullable=False),
    Column("at", String(32), nullable=False),
    Index("ix_logins_name_at", "name", "at"),
    Index("ix_logins_address_at", "address", "at"),
)

APPEND_ONLY = ("triage_events",)


def append_only_ddl(dialect: str) -> list[str]:
    """Triggers that refuse UPDATE and DELETE on the audit tables (APPEND_ONLY)."""
    statements = []
    for table in APPEND_ONLY:
        if dialect == "postgresql":
            statements += [
                "CREATE OR REPLACE FUNCTION rulewatch_append_only() RETURNS trigger LANGUAGE plpgsql AS "
                "$$ BEGIN RAISE EXCEPTION USING MESSAGE = TG_TABLE_NAME || "
                "' is append-only: its rows are never changed or removed'; END $$",
                f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}",
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION rulewatch_append_only()",
            ]
        else:
            for action in ("UPDATE", "DELETE"):
                statements.append(
                    f"CREATE TRIGGER IF NOT EXISTS {table}_no_{action.lower()} BEFORE {action} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: its rows are never changed or removed'); END")
    return statements
