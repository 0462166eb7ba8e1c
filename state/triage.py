"""What the team decided about each rule, and the audit trail of every decision (a repository of the
Store). A decision is written in one transaction with the rule's row locked (two people deciding at once
queue there): its event (who,
when, through what, from which state to which, the reason or note) and the new current state. Events
are never updated or deleted (the database refuses: state.schema.append_only_ddl).

Which decisions are allowed is the use case's (rulewatch.services.triage); this module records them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from rulewatch.state import schema
from rulewatch.state.decisions import NEW, Decision, record
from rulewatch.state.records import utcnow

_T, _E, _R, _RA = schema.triage, schema.triage_events, schema.rules, schema.rule_alerts

if TYPE_CHECKING:
    from rulewatch.state.database import Database


@dataclass(frozen=True, slots=True)
class TriageRow:
    """A rule with its current decision (state "new" and no one's when nobody decided yet)."""

    rule_id: int
    name: str
    alert_id: int  # the rule's latest alert
    state: str
    owner: str
    reason: str
    note: str
    snoozed_until: str | None
    updated_by: str
    updated_at: str
    updated_via: str = ""


class Triage:
    """Reading and recording decisions."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def decide(self, decision: Decision, keep_owner: bool = False) -> Decision | None:
        """Record `decision` (its from_state, and with `keep_owner` the current owner when it names
        none, are read here, under the rule's lock), with the rule's new current state, in one
        transaction. None, and nothing written, when the rule is already in that state with the same
        owner, reason, note and date (a double click)."""
        def write(recorder: Any) -> Decision | None:
            conn: Connection = recorder.conn
            if conn.dialect.name == "postgresql":  # the rule's row always exists: two deciders queue on it
                conn.execute(select(_R.c.id).where(_R.c.id == decision.rule_id).with_for_update())
            row = conn.execute(select(_T).where(_T.c.rule_id == decision.rule_id)).mappings().first()
            before = str(row["state"]) if row is not None else NEW
            owner = str(row["owner"] or "") if keep_owner and row is not None and not decision.owner else decision.owner
            if row is not None and (before, row["owner"], row["reason"], row["note"], row["snoozed_until"]) == (
                    decision.to_state, owner, decision.reason, decision.note, decision.snoozed_until):
                return None
            recorded = replace(decision, owner=owner, from_state=before, at=decision.at or utcnow())
            return replace(recorded, id=record(conn, recorded))
        result: Decision | None = self.db.write(write)
        return result

    def rows(self) -> list[TriageRow]:
        """Every rule (merged ones aside) with its current decision, the most recently active first."""
        return self._rows(_R.c.merged_into.is_(None))

    def row(self, rule_id: int) -> TriageRow | None:
        """One rule with its current decision."""
        found = self._rows(_R.c.id == rule_id)
        return found[0] if found else None

    def _rows(self, where: Any) -> list[TriageRow]:
        latest = (select(_RA.c.rule_id, func.max(_RA.c.alert_id).label("alert_id"))
                  .group_by(_RA.c.rule_id).subquery())
        query = (select(_R.c.id, _R.c.name, latest.c.alert_id, _T.c.state, _T.c.owner, _T.c.reason, _T.c.note,
                        _T.c.snoozed_until, _T.c.updated_by, _T.c.updated_at, _T.c.updated_via)
                 .join(latest, latest.c.rule_id == _R.c.id)
                 .outerjoin(_T, _T.c.rule_id == _R.c.id)
                 .where(where)
                 .order_by(latest.c.alert_id.desc()))
        with self.db.engine.connect() as conn:
            return [TriageRow(r[0], r[1], int(r[2]), r[3] or NEW, r[4] or "", r[5] or "", r[6] or "", r[7],
                              r[8] or "", r[9] or "", r[10] or "") for r in conn.execute(query)]

    def events(self, since: str = "", rule_id: int | None = None) -> list[Decision]:
        """Every decision recorded (since `since`, an ISO time or day; about one rule), oldest first."""
        query = select(_E).order_by(_E.c.id)
        if since:
            query = query.where(_E.c.at >= since)
        if rule_id is not None:
            query = query.where(_E.c.rule_id == rule_id)
        with self.db.engine.connect() as conn:
            return [Decision(r["rule_id"], r["alert_id"], r["actor"], r["via"], r["from_state"], r["to_state"],
                             r["owner"], r["reason"], r["note"], r["snoozed_until"], r["at"], r["id"])
                    for r in conn.execute(query).mappings()]


