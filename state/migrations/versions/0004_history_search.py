"""Search over history: every text a source has shown, with when it appeared and disappeared, and its
trigram index (SQLite FTS5; PostgreSQL pg_trgm when the extension can be created). Texts are indexed
from this revision on.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from rulewatch.state.search import create_search_index

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "history_texts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("source", sa.String(200), nullable=False),
        sa.Column("text_hash", sa.String(64), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("first_seen", sa.String(32), nullable=False),
        sa.Column("first_snapshot_id", sa.Integer, nullable=False),
        sa.Column("gone_at", sa.String(32), nullable=True),
        sa.Column("gone_snapshot_id", sa.Integer, nullable=True),
    )
    op.create_index("ix_history_texts_source", "history_texts", ["source", "text_hash"])
    create_search_index(op.get_bind())


def downgrade() -> None:
    raise NotImplementedError("rulewatch does not downgrade: restore a backup instead (README, Upgrades)")
