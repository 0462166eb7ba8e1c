"""Mutes (what the team said is never applicable: alerts like it are recorded, not posted) and what a
message mentions: the mutes table, alerts.muted_by (the mute that caught an alert) and alerts.notify
(Slack user ids a nudge mentions). Every alert recorded before is unmuted and mentions no one.

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mutes",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("source", sa.String(200), nullable=False),
        sa.Column("terms", sa.Text, nullable=False, server_default="[]"),
        sa.Column("title_pattern", sa.Text, nullable=False, server_default=""),
        sa.Column("reason", sa.Text, nullable=False, server_default=""),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("created_via", sa.String(20), nullable=False),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.Column("from_alert_id", sa.Integer, nullable=True),
        sa.Column("removed_at", sa.String(32), nullable=True),
        sa.Column("removed_by", sa.String(200), nullable=False, server_default=""),
    )
    op.create_index("ix_mutes_source", "mutes", ["source", "id"])
    # Plain ADD COLUMN on both databases (no table rebuild under the alerts' foreign keys).
    op.add_column("alerts", sa.Column("notify", sa.Text, nullable=False, server_default="[]"))
    op.add_column("alerts", sa.Column("muted_by", sa.Integer, nullable=True))


def downgrade() -> None:
    raise NotImplementedError("rulewatch does not downgrade: restore a backup instead (README, Upgrades)")
