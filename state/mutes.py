"""The mutes the team set, and the alerts each caught (a repository of the Store). A mute is removed by
marking it so, never deleted: the alerts it caught keep naming it. Which findings a mute catches is
core.mute's; the recorder reads the mutes in force through state.muting."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select, update

from rulewatch.core.mute import Mute
from rulewatch.state import schema
from rulewatch.state.muting import mute_of
from rulewatch.state.records import utcnow

if TYPE_CHECKING:
    from rulewatch.state.database import Database

_M, _A = schema.mutes, schema.alerts
@dataclass(frozen=True, slots=True)
class MuteRow:
    """A mute as the team set it, with what it caught."""

    mute: Mute
    reason: str
    created_by: str
    created_via: str
    created_at: str
    from_alert_id: int | None
    removed_at: str | None
    removed_by: str
    caught: int

    def to_json(self) -> dict[str, Any]:
        m = self.mute
        return {"id": m.id, "source": m.source, "terms": list(m.terms), "title_pattern": m.title_pattern or None,
                "what": m.what, "reason": self.reason, "created_by": self.created_by, "created_via": self.created_via,
                "created_at": self.created_at, "from_alert_id": self.from_alert_id, "removed_at": self.removed_at,
                "removed_by": self.removed_by or None, "caught": self.caught}


class Mutes:
    """Setting, listing and removing mutes."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def add(self, mute: Mute, reason: str, by: str, via: str, from_alert_id: int | None) -> int:
        """Record a mute (its id is the database's); the new id."""
        def write(recorder: Any) -> int:
            result = recorder.conn.execute(_M.insert().values(
                source=mute.source, terms=json.dumps(list(mute.terms), ensure_ascii=False),
                title_pattern=mute.title_pattern, reason=reason, created_by=by, created_via=via,
                created_at=utcnow(), from_alert_id=from_alert_id))
            return int(result.inserted_primary_key[0])
        new_id: int = self.db.write(write)
        return new_id

    def remove(self, mute_id: int, by: str) -> bool:
        """Stop a mute (it stays listed, removed); False when there is no such mute in force."""
        def write(recorder: Any) -> bool:
            done = recorder.conn.execute(update(_M).where(_M.c.id == mute_id, _M.c.removed_at.is_(None))
                                         .values(removed_at=utcnow(), removed_by=by))
            return bool(done.rowcount)
        removed: bool = self.db.write(write)
        return removed

    def rows(self, include_removed: bool = False) -> list[MuteRow]:
        """The mutes (in force only, unless asked), oldest first, with how many alerts each caught."""
        return self._rows(None if include_removed else _M.c.removed_at.is_(None))

    def get(self, mute_id: int) -> MuteRow | None:
        """One mute, in force or removed."""
        found = self._rows(_M.c.id == mute_id)
        return found[0] if found else None

    def _rows(self, where: Any) -> list[MuteRow]:
        caught = (select(_A.c.muted_by, func.count().label("n")).where(_A.c.muted_by.is_not(None))
                  .group_by(_A.c.muted_by).subquery())
        query = select(_M, caught.c.n).outerjoin(caught, caught.c.muted_by == _M.c.id).order_by(_M.c.id)
        if where is not None:
            query = query.where(where)
        with self.db.engine.connect() as conn:
            return [MuteRow(mute_of(r), r["reason"], r["created_by"], r["created_via"], r["created_at"],
                            r["from_alert_id"], r["removed_at"], r["removed_by"] or "", int(r["n"] or 0))
                    for r in conn.execute(query).mappings()]

