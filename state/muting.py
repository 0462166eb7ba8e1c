"""Reading the mutes in force inside the recorder's transaction: which mute catches a finding is
core.mute's; the repository that sets and lists mutes is state.mutes."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.engine import Connection

from rulewatch.core.mute import Mute
from rulewatch.state import schema

_M = schema.mutes
_ACTIVE_FOR = (select(_M.c.id, _M.c.source, _M.c.terms, _M.c.title_pattern)
               .where(_M.c.source == bindparam("b_source"), _M.c.removed_at.is_(None)).order_by(_M.c.id))


def mute_of(row: Any) -> Mute:
    return Mute(int(row["id"]), str(row["source"]), tuple(json.loads(row["terms"] or "[]")), row["title_pattern"] or "")


def active_mutes(conn: Connection, source: str) -> list[Mute]:
    """A source's mutes in force, oldest first, inside the caller's transaction (the recorder's)."""
    return [mute_of(r) for r in conn.execute(_ACTIVE_FOR, {"b_source": source}).mappings()]
