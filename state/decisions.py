"""A triage decision, and recording one inside the caller's transaction: its event in the append-only
audit trail and the rule's new current state. The Triage repository (state.triage) records people's
decisions; filing (state.filing) reopens a decided rule when a new alert about it is recorded."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.engine import Connection

from rulewatch.state import schema
from rulewatch.state.prepared import Prepared

NEW = "new"  # the state of a rule nobody has decided about yet
_T, _E = schema.triage, schema.triage_events
_CURRENT = Prepared(select(_T.c.state).where(_T.c.rule_id == bindparam("b_rule")))
_EVENT = Prepared(insert(_E))


@dataclass(frozen=True, slots=True)
class Decision:
    """A decision about a rule, as recorded."""

    rule_id: int
    alert_id: int | None
    actor: str
    via: str  # slack, cli, web, detection
    from_state: str
    to_state: str
    owner: str = ""
    reason: str = ""
    note: str = ""
    snoozed_until: str | None = None
    at: str = ""
    id: int | None = None

    def by_line(self) -> str:
        return f"{self.actor} ({self.via})"

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "rule_id": self.rule_id, "alert_id": self.alert_id, "actor": self.actor,
                "via": self.via, "from": self.from_state, "to": self.to_state, "owner": self.owner or None,
                "reason": self.reason or None, "note": self.note or None, "snoozed_until": self.snoozed_until,
                "at": self.at}


def record(conn: Connection, decision: Decision) -> int:
    """The event, and the rule's current state, in the caller's transaction; the event's id."""
    event_id = _EVENT.insert(conn, {
        "rule_id": decision.rule_id, "alert_id": decision.alert_id, "actor": decision.actor, "via": decision.via,
        "from_state": decision.from_state, "to_state": decision.to_state, "owner": decision.owner,
        "reason": decision.reason, "note": decision.note, "snoozed_until": decision.snoozed_until,
        "at": decision.at})
    values = {"state": decision.to_state, "owner": decision.owner, "reason": decision.reason,
              "note": decision.note, "snoozed_until": decision.snoozed_until, "alert_id": decision.alert_id,
              "updated_by": decision.actor, "updated_via": decision.via, "updated_at": decision.at}
    updated = conn.execute(update(_T).where(_T.c.rule_id == decision.rule_id).values(**values))
    if updated.rowcount == 0:
        conn.execute(insert(_T).values(rule_id=decision.rule_id, **values))
    return event_id


def reopen(conn: Connection, rule_id: int, alert_id: int, role: str, now: str) -> bool:
    """A new alert about a rule someone decided about reopens the decision (state "new"), as an event
    by rulewatch itself that says which alert did it. False when there was nothing to reopen."""
    row = _CURRENT.first(conn, {"b_rule": rule_id})
    if row is None or row["state"] == NEW:
        return False
    record(conn, Decision(rule_id, alert_id, "rulewatch", "detection", str(row["state"]), NEW,
                           reason=f"reopened by alert #{alert_id} ({role or 'a new finding'})", at=now))
    return True
