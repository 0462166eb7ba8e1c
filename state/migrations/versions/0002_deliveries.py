"""Delivery per alert and sink (alerts fan out to every configured sink): the deliveries table, with
the leases that were the alerts' own claimed_until. Alerts delivered before become deliveries of the
sink that took them, so follow-ups still reply in their threads.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # First: SQLite drops a column by copying the table, which it refuses once another table refers to it.
    with op.batch_alter_table("alerts") as batch:
        batch.drop_column("claimed_until")
    deliveries = op.create_table(
        "deliveries",
        sa.Column("alert_id", sa.Integer, sa.ForeignKey("alerts.id"), primary_key=True),
        sa.Column("sink", sa.String(40), primary_key=True),
        sa.Column("channel", sa.String(200), nullable=False, server_default=""),
        sa.Column("ts", sa.String(64), nullable=False, server_default=""),
        sa.Column("delivered_at", sa.String(32), nullable=True),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("claimed_until", sa.String(32), nullable=True),
        sa.Column("last_error", sa.Text, nullable=False, server_default=""),
    )
    alerts = sa.table("alerts", sa.column("id"), sa.column("delivered_channel"), sa.column("delivered_ts"),
                      sa.column("delivered_at"), sa.column("attempts"))
    # Before sinks fanned out, one sink took each alert: the console, a Slack webhook, or the Slack bot.
    sink = sa.case((alerts.c.delivered_channel == "console", "console"),
                   (alerts.c.delivered_channel == "webhook", "slack-webhook"), else_="slack")
    op.execute(deliveries.insert().from_select(
        ["alert_id", "sink", "channel", "ts", "delivered_at", "attempts"],
        sa.select(alerts.c.id, sink, sa.func.coalesce(alerts.c.delivered_channel, ""),
                  sa.func.coalesce(alerts.c.delivered_ts, ""), alerts.c.delivered_at, alerts.c.attempts)
        .where(alerts.c.delivered_at.is_not(None)),
    ))


def downgrade() -> None:
    raise NotImplementedError("rulewatch does not downgrade: restore a backup instead (README, Upgrades)")
