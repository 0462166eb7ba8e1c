"""The name of the channel a delivery went to (#reg-alerts), beside its ID (C0123…), which threads need
and people do not read. Deliveries made before show their ID.

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("deliveries", sa.Column("channel_name", sa.String(200), nullable=False, server_default=""))


def downgrade() -> None:
    raise NotImplementedError("rulewatch does not downgrade: restore a backup instead (README, Upgrades)")
