"""Snapshots and changes as stored: a source's versions, a snapshot's document, the change an alert was
raised on (a repository of the Store)."""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from rulewatch.core.model import Alert, Document
from rulewatch.state import schema
from rulewatch.state.recorder import read_document
from rulewatch.state.records import ChangeRecord, SnapshotRecord, stored_document

if TYPE_CHECKING:
    from rulewatch.state.database import Database


class Snapshots:
    """Reading what was fetched and compared."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def document(self, snapshot_id: int) -> Document:
        return stored_document(self.blob(snapshot_id))

    def blob(self, snapshot_id: int) -> bytes:
        """A snapshot's document as stored (stored_document() reads it): what a cycle's analysis
        worker decodes itself, off the thread that fetched the page."""
        with self.db.engine.connect() as conn:
            row = read_document(conn, snapshot_id)
        if row is None:
            raise KeyError(f"no snapshot {snapshot_id}")
        return bytes(row["data"])

    def latest(self, name: str) -> Document | None:
        """The document a source's last check stored, or None before it has one."""
        with self.db.engine.connect() as conn:
            last = conn.execute(select(schema.sources.c.last_snapshot_id)
                                .where(schema.sources.c.name == name)).scalar()
        return self.document(last) if last is not None else None

    def of(self, name: str) -> list[SnapshotRecord]:
        s, b = schema.snapshots, schema.blobs
        with self.db.engine.connect() as conn:
            rows = conn.execute(
                select(s, b.c.size).join(b, b.c.hash == s.c.blob_hash).where(s.c.source == name).order_by(s.c.id)
            ).mappings()
            return [SnapshotRecord(r["id"], r["source"], r["taken_at"], r["kind"], r["title"], r["blocks"],
                                   r["items"], r["size"]) for r in rows]

    def changes(self, name: str) -> list[ChangeRecord]:
        c = schema.changes
        with self.db.engine.connect() as conn:
            rows = conn.execute(select(c).where(c.c.source == name).order_by(c.c.id)).mappings()
            return [ChangeRecord(r["id"], r["source"], r["old_snapshot_id"], r["new_snapshot_id"],
                                 r["detected_at"], r["summary"], bool(r["relevant"])) for r in rows]

    def alert_document(self, alert: Alert) -> Document | None:
        """The document an alert was raised on: the snapshot its change recorded."""
        if alert.change_id is None:
            return None
        c = schema.changes
        with self.db.engine.connect() as conn:
            snapshot_id = conn.execute(select(c.c.new_snapshot_id).where(c.c.id == alert.change_id)).scalar()
        return self.document(snapshot_id) if snapshot_id is not None else None

    def change_record(self, change_id: int) -> dict[str, Any] | None:
        """A change as stored (its detail JSON included), or None."""
        c = schema.changes
        with self.db.engine.connect() as conn:
            row = conn.execute(select(c).where(c.c.id == change_id)).mappings().first()
        return dict(row) if row is not None else None

    def stored(self, snapshot_id: int) -> StoredSnapshot:
        """A snapshot exactly as stored: when it was taken, its content hash, and its canonical bytes
        (whose SHA-256 is that hash)."""
        s, b = schema.snapshots, schema.blobs
        with self.db.engine.connect() as conn:
            row = conn.execute(select(s.c.id, s.c.source, s.c.taken_at, s.c.blob_hash, b.c.data)
                               .join(b, b.c.hash == s.c.blob_hash).where(s.c.id == snapshot_id)).first()
        if row is None:
            raise KeyError(f"no snapshot {snapshot_id}")
        return StoredSnapshot(row[0], row[1], row[2], row[3], zlib.decompress(row[4]))


@dataclass(frozen=True, slots=True)
class StoredSnapshot:
    id: int
    source: str
    taken_at: str
    content_hash: str  # SHA-256 of `canonical`
    canonical: bytes  # the document as canonical JSON
