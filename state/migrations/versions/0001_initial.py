"""The schema as rulewatch 0.1 created it before migrations existed (sources, snapshots, changes, the
alert outbox, checks, digests, per-host politeness). A database from that time has these tables and no
alembic_version: state.migrate recognises it and stamps it with this revision.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

from alembic import op
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

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# Frozen here as they were: later revisions change the schema, never this definition.
metadata = MetaData()

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

# The outbox: an alert is written with its snapshot, and marked delivered only after Slack said so.
alerts = Table(
    "alerts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("idempotency_key", String(300), nullable=False),
    Column("source", String(200), nullable=False),
    Column("change_id", Integer, ForeignKey("changes.id"), nullable=True),
    Column("kind", String(40), nullable=False),
    Column("title", Text, nullable=False),
    Column("url", Text, nullable=False),
    Column("topics", Text, nullable=False),  # JSON list
    Column("matched_terms", Text, nullable=False),  # JSON list
    Column("added", Text, nullable=False, server_default=""),
    Column("removed", Text, nullable=False, server_default=""),
    Column("article", Text, nullable=False, server_default=""),
    Column("subject", Text, nullable=False, server_default=""),
    Column("channel", String(200), nullable=False, server_default=""),
    Column("detected_at", String(32), nullable=False),
    Column("delivered_at", String(32), nullable=True),
    Column("delivered_channel", String(200), nullable=True),
    Column("delivered_ts", String(64), nullable=True),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("claimed_until", String(32), nullable=True),  # a delivery lease: one sender at a time
    Column("last_error", Text, nullable=False, server_default=""),
    UniqueConstraint("idempotency_key", name="uq_alerts_idempotency_key"),
    Index("ix_alerts_pending", "delivered_at", "id"),
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


def upgrade() -> None:
    metadata.create_all(op.get_bind())


def downgrade() -> None:
    raise NotImplementedError("rulewatch does not downgrade: restore a backup instead (README, Upgrades)")
