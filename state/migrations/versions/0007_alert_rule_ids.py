"""Alerts carry their rulemaking ids (rin:…, docket:…, from a list item's record fields), so a final
is linked to its draft without reading stored pages: before this, each cycle with a Federal Register
final decompressed the snapshot of every earlier draft.

Alerts about list items written before get their ids from the snapshot their change recorded (once,
here); every other alert gets none.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import json
import zlib
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_ID_FIELDS = (("regulation_id_numbers", "rin:"), ("docket_ids", "docket:"))  # as detection.lineage.rule_ids


def _ids(fields: dict[str, str]) -> list[str]:
    out: list[str] = []
    for name, prefix in _ID_FIELDS:
        values = {part.strip().upper() for part in str(fields.get(name, "")).split(",") if part.strip()}
        out += [f"{prefix}{v}" for v in sorted(values)]
    return out


def upgrade() -> None:
    with op.batch_alter_table("alerts") as batch:
        batch.add_column(sa.Column("rule_ids", sa.Text, nullable=False, server_default="[]"))
    conn = op.get_bind()
    rows = conn.execute(sa.text(
        "SELECT a.id, a.subject, c.new_snapshot_id FROM alerts a JOIN changes c ON c.id = a.change_id "
        "WHERE a.kind IN ('new_item', 'changed_item') ORDER BY c.new_snapshot_id")).all()
    items: dict[str, dict[str, Any]] = {}
    read = None
    for alert_id, subject, snapshot_id in rows:
        if snapshot_id != read:  # alerts of one list snapshot share it: read once
            blob = conn.execute(sa.text("SELECT b.data FROM blobs b JOIN snapshots s ON s.blob_hash = b.hash "
                                        "WHERE s.id = :id"), {"id": snapshot_id}).scalar()
            document = json.loads(zlib.decompress(blob)) if blob is not None else {}
            items = {str(i.get("id")): i for i in document.get("items", [])}
            read = snapshot_id
        item = items.get(subject)
        ids = _ids({str(k): str(v) for k, v in item.get("fields", [])}) if item else []
        if ids:
            conn.execute(sa.text("UPDATE alerts SET rule_ids = :ids WHERE id = :id"),
                         {"ids": json.dumps(ids), "id": alert_id})


def downgrade() -> None:
    raise NotImplementedError("rulewatch does not downgrade: restore a backup instead (README, Upgrades)")
