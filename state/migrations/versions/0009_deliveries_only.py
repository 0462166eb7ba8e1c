"""An alert no longer keeps a copy of its first sink's delivery (alerts.delivered_channel and
alerts.delivered_ts): where each sink put it is in the deliveries table, which revision 0002 filled from
those columns, and which every delivery since has written. `rulewatch alerts --json` shows the
deliveries from there.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Native DROP COLUMN (SQLite 3.35+, PostgreSQL): a rebuilt alerts table would have to drop the old
    # one under the foreign keys of deliveries, lineage and rule_alerts.
    # An SQLite older than 3.35 keeps the two columns, unused (nullable: nothing writes them any more).
    bind = op.get_bind()
    if bind.dialect.name == "sqlite" and bind.dialect.dbapi.sqlite_version_info < (3, 35):  # type: ignore[union-attr]
        return
    for column in ("delivered_channel", "delivered_ts"):
        op.execute(f"ALTER TABLE alerts DROP COLUMN {column}")


def downgrade() -> None:
    raise NotImplementedError("rulewatch does not downgrade: restore a backup instead (README, Upgrades)")
