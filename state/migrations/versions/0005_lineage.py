"""A rule's life: the lineage table links a final version's alert to its draft's.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "lineage",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("draft_alert_id", sa.Integer, sa.ForeignKey("alerts.id"), nullable=False),
        sa.Column("final_alert_id", sa.Integer, sa.ForeignKey("alerts.id"), nullable=False),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("method", sa.String(20), nullable=False),
        sa.Column("linked_at", sa.String(32), nullable=False),
        sa.UniqueConstraint("draft_alert_id", "final_alert_id", name="uq_lineage_pair"),
    )


def downgrade() -> None:
    raise NotImplementedError("rulewatch does not downgrade: restore a backup instead (README, Upgrades)")
