"""Alerts explain themselves: the exact change as styled runs, key dates, an English line, severity
with its reasons, the publisher and publication date, and an optional machine translation. Alerts
written before get empty values.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_LISTS = ("change_inline", "key_dates", "severity_reasons")  # JSON lists
_TEXTS = ("gloss_en", "severity", "publisher", "published", "machine_translation")


def upgrade() -> None:
    with op.batch_alter_table("alerts") as batch:
        for name in _LISTS:
            batch.add_column(sa.Column(name, sa.Text, nullable=False, server_default="[]"))
        for name in _TEXTS:
            batch.add_column(sa.Column(name, sa.Text, nullable=False, server_default=""))


def downgrade() -> None:
    raise NotImplementedError("rulewatch does not downgrade: restore a backup instead (README, Upgrades)")
