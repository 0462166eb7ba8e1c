"""The watched sources' state: validators, failures, the block shapes learned, the checks log (a
repository of the Store; the recorder writes it)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from rulewatch.state import schema
from rulewatch.state.records import SourceState

if TYPE_CHECKING:
    from rulewatch.state.database import Database


class Sources:
    """Reading each source's state."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def get(self, name: str) -> SourceState | None:
        """One source's state with its block-shape history, or None before its first check."""
        v = schema.volatility
        with self.db.engine.connect() as conn:
            row = conn.execute(select(schema.sources).where(schema.sources.c.name == name)).mappings().first()
            history = conn.execute(select(v.c.shape, v.c.changes, v.c.first_compare).where(v.c.source == name)).all()
        return _source_state(row, [(s, c, f) for s, c, f in history]) if row is not None else None

    def all(self) -> list[SourceState]:
        """Every source's state with its block-shape history, in two queries (a cycle reads them all
        up front)."""
        v = schema.volatility
        with self.db.engine.connect() as conn:
            rows = conn.execute(select(schema.sources).order_by(schema.sources.c.name)).mappings().all()
            shapes: dict[str, list[tuple[str, int, int]]] = {}
            for source, shape, changes, first in conn.execute(
                    select(v.c.source, v.c.shape, v.c.changes, v.c.first_compare)):
                shapes.setdefault(source, []).append((shape, changes, first))
        return [_source_state(row, shapes.get(row["name"], ())) for row in rows]

    def last_changes(self) -> dict[str, str]:
        """Each source's last relevant change (when it was detected), in one query."""
        c = schema.changes
        query = select(c.c.source, func.max(c.c.detected_at)).where(c.c.relevant.is_(True)).group_by(c.c.source)
        with self.db.engine.connect() as conn:
            return {str(name): str(at) for name, at in conn.execute(query)}

    def recent_checks(self, name: str, limit: int = 20) -> list[tuple[str, str, str]]:
        c = schema.checks
        with self.db.engine.connect() as conn:
            rows = conn.execute(
                select(c.c.checked_at, c.c.outcome, c.c.detail)
                .where(c.c.source == name)
                .order_by(c.c.id.desc())
                .limit(limit)
            )
            return [(r[0], r[1], r[2]) for r in rows]


def _source_state(row: Any, shape_history: Iterable[tuple[str, int, int]] = ()) -> SourceState:
    return SourceState(
        name=row["name"], url=row["url"], etag=row["etag"], last_modified=row["last_modified"],
        last_snapshot_id=row["last_snapshot_id"], consecutive_failures=row["consecutive_failures"],
        last_error=row["last_error"], last_checked_at=row["last_checked_at"],
        last_success_at=row["last_success_at"], failing_notified=bool(row["failing_notified"]),
        compares=row["compares"] or 0, shape_history=tuple(sorted(shape_history)),
    )
