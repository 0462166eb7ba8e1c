"""The Rule aggregate: alerts name the rule they are about and their role in its life (alerts.rule_key,
alerts.rule_role), and the rules and rule_alerts tables file each alert under its rule.

Which rule an alert recorded before this revision is about is detection's to decide (its name, its
rulemaking ids, its lineage links), which a migration cannot import: the revision leaves the task
`file_rules` in upgrade_tasks, and rulewatch files those alerts, with their links, in one transaction
the first time it opens the database (rulewatch.lineage.file_recorded; `rulewatch db upgrade` does it
too). Nothing is rewritten but the new columns and tables.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("alerts") as batch:
        batch.add_column(sa.Column("rule_key", sa.Text, nullable=False, server_default=""))
        batch.add_column(sa.Column("rule_role", sa.Text, nullable=False, server_default=""))
    op.create_table(
        "rules",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("key", sa.Text, nullable=False),
        sa.Column("name", sa.Text, nullable=False, server_default=""),
        sa.Column("first_alert_id", sa.Integer, sa.ForeignKey("alerts.id"), nullable=True),
        sa.Column("last_alert_id", sa.Integer, sa.ForeignKey("alerts.id"), nullable=True),
        sa.Column("merged_into", sa.Integer, sa.ForeignKey("rules.id"), nullable=True),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.Column("updated_at", sa.String(32), nullable=False),
        sa.UniqueConstraint("key", name="uq_rules_key"),
    )
    op.create_table(
        "rule_alerts",
        sa.Column("alert_id", sa.Integer, sa.ForeignKey("alerts.id"), primary_key=True),
        sa.Column("rule_id", sa.Integer, sa.ForeignKey("rules.id"), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("source", sa.String(200), nullable=False, server_default=""),
        sa.Column("subject", sa.Text, nullable=False, server_default=""),
    )
    op.create_index("ix_rule_alerts_rule", "rule_alerts", ["rule_id", "alert_id"])
    op.create_index("ix_rule_alerts_subject", "rule_alerts", ["source", "subject", "alert_id"])
    op.create_index("ix_rule_alerts_role", "rule_alerts", ["role", "alert_id"])
    op.create_table("upgrade_tasks", sa.Column("name", sa.String(40), primary_key=True))
    op.execute("INSERT INTO upgrade_tasks (name) VALUES ('file_rules')")


def downgrade() -> None:
    raise NotImplementedError("rulewatch does not downgrade: restore a backup instead (README, Upgrades)")
