"""Indexes for reading a long outbox: an alert's source (`alerts --source`, the Slack thread of a
subject) and its detection time (the daily digest's last day). Measured on a year of hourly cycles
(43,800 alerts, bench/history_bench.py): `alerts --source` 6.6 ms and the digest's day 13.3 ms were
scans of the whole table.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_alerts_source", "alerts", ["source", "subject", "id"])
    op.create_index("ix_alerts_detected_at", "alerts", ["detected_at"])


def downgrade() -> None:
    raise NotImplementedError("rulewatch does not downgrade: restore a backup instead (README, Upgrades)")
