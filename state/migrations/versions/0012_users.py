"""The web workspace's accounts (users: removed by marking, names never reused) and the record of
login attempts that slows and stops guessing (logins).

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(100), nullable=False, unique=True),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("password_hash", sa.Text, nullable=False),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("removed_at", sa.String(32), nullable=True),
    )
    op.create_table(
        "logins",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("address", sa.String(100), nullable=False),
        sa.Column("ok", sa.Boolean, nullable=False),
        sa.Column("at", sa.String(32), nullable=False),
    )
    op.create_index("ix_logins_name_at", "logins", ["name", "at"])
    op.create_index("ix_logins_address_at", "logins", ["address", "at"])


def downgrade() -> None:
    raise NotImplementedError("rulewatch does not downgrade: restore a backup instead (README, Upgrades)")
