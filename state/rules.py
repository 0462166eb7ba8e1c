"""The rules the alerts are about (the Rule aggregate, filed by state.filing as each alert is recorded),
read by lineage, the calendar, reminders, the digest and the dossier, and the lineage links between a
rule's draft and its final."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from rulewatch.core.model import Alert
from rulewatch.state import schema
from rulewatch.state.filing import file_recorded, link, pending_tasks
from rulewatch.state.prepared import insert_ignoring_duplicates
from rulewatch.state.records import AlertHead, alert_from_row, chunks, utcnow

if TYPE_CHECKING:
    from rulewatch.state.database import Database
    from rulewatch.state.recorder import Recorder

_R, _RA, _A = schema.rules, schema.rule_alerts, schema.alerts
_HEAD = select(_A.c.id, _A.c.kind, _A.c.title, _A.c.severity_reasons, _A.c.rule_ids, _A.c.publisher)
_FILED = select(_RA.c.rule_id, _A).join(_A, _A.c.id == _RA.c.alert_id)  # alerts with the rule each is filed under


@dataclass(frozen=True, slots=True)
class RuleRecord:
    """A rule as stored: its key, its name (its latest alert's title) and its alerts with their roles,
    oldest first."""

    id: int
    key: str
    name: str
    created_at: str
    updated_at: str
    alerts: tuple[tuple[int, str], ...]  # (alert id, role)

    def alert_ids(self, *roles: str) -> list[int]:
        return [alert_id for alert_id, role in self.alerts if not roles or role in roles]


class Rules:
    """The rules and the lineage links between their drafts and finals (a repository of the Store):
    reading them, linking a final to its draft; filing a new alert is the recorder's."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def rule_of(self, alert_ids: Sequence[int]) -> dict[int, int]:
        """The rule each of these alerts is filed under (alerts about no rule are left out)."""
        found: dict[int, int] = {}
        with self.db.engine.connect() as conn:
            for chunk in chunks(list(alert_ids)):
                found.update((int(a), int(r)) for a, r in conn.execute(
                    select(_RA.c.alert_id, _RA.c.rule_id).where(_RA.c.alert_id.in_(chunk))))
        return found

    def get(self, rule_ids: Iterable[int]) -> list[RuleRecord]:
        """These rules with their alerts, in the order of their ids."""
        wanted = sorted(set(rule_ids))
        if not wanted:
            return []
        with self.db.engine.connect() as conn:
            rows = conn.execute(select(_R).where(_R.c.id.in_(wanted)).order_by(_R.c.id)).mappings().all()
            members: dict[int, list[tuple[int, str]]] = {}
            for alert_id, rule_id, role in conn.execute(
                    select(_RA.c.alert_id, _RA.c.rule_id, _RA.c.role).where(_RA.c.rule_id.in_(wanted))
                    .order_by(_RA.c.alert_id)):
                members.setdefault(int(rule_id), []).append((int(alert_id), str(role)))
        return [RuleRecord(r["id"], r["key"], r["name"], r["created_at"], r["updated_at"],
                           tuple(members.get(r["id"], ()))) for r in rows]

    def filed_alerts(self) -> list[tuple[int, Alert]]:
        """Every alert filed under a rule, with its rule's id, oldest first."""
        return self._filed(_FILED)

    def dated_alerts(self) -> list[tuple[int, Alert]]:
        """The alerts filed under a rule that name key dates, with their rule's id, oldest first: a
        rule's key dates are the latest its alerts state."""
        return self._filed(_FILED.where(_A.c.key_dates != "[]", _A.c.muted_by.is_(None)))

    def _filed(self, query: Any) -> list[tuple[int, Alert]]:
        with self.db.engine.connect() as conn:
            return [(int(r["rule_id"]), alert_from_row(r)) for r in conn.execute(query.order_by(_A.c.id)).mappings()]

    def draft_heads(self) -> list[AlertHead]:
        """The heads of the alerts filed as drafts for comment (what a final may be linked to), oldest
        first."""
        query = _HEAD.join(_RA, _RA.c.alert_id == _A.c.id).where(_RA.c.role == "draft").order_by(_A.c.id)
        with self.db.engine.connect() as conn:
            return _heads(conn, query)

    def alert_heads(self, ids: list[int]) -> list[AlertHead]:
        """These alerts' heads (kind, title, severity reasons, rule ids), oldest first."""
        found: list[AlertHead] = []
        with self.db.engine.connect() as conn:
            for chunk in chunks(ids):
                found += _heads(conn, _HEAD.where(_A.c.id.in_(chunk)))
        return sorted(found, key=lambda head: head.outbox_id)

    def add_lineage(self, draft_id: int, final_id: int, score: float, method: str, reply: Alert,
                    certain: bool = True) -> bool:
        """Link a final to its draft and put the draft thread's reply in the outbox, in one transaction;
        False (and nothing written) when the pair was linked before. Only a `certain` link files the
        final under the draft's rule: a link the thread asks about keeps the two rules apart."""
        def write(recorder: Recorder) -> bool:
            row = {"draft_alert_id": draft_id, "final_alert_id": final_id, "score": score, "method": method,
                   "linked_at": utcnow()}
            added = insert_ignoring_duplicates(recorder.conn.dialect.name, schema.lineage).run(recorder.conn, row)
            if added.rowcount != 1:
                return False
            if certain:
                link(recorder.conn, draft_id, final_id)  # the final's rule is the draft's from now on
            recorder.add_alerts_once([reply])
            return True
        return self.db.write(write)

    def lineage(self) -> list[dict[str, Any]]:
        """Every link, oldest first: draft and final alert ids, score, method, when."""
        t = schema.lineage
        with self.db.engine.connect() as conn:
            return [dict(r) for r in conn.execute(select(t).order_by(t.c.id)).mappings()]

    def file_recorded(self, filed: Iterable[tuple[int, Alert]], links: Iterable[tuple[int, int]]) -> int:
        """File the alerts recorded before rules under their rules, with their lineage links, in one
        transaction (state.filing.file_recorded)."""
        return self.db.write(lambda recorder: file_recorded(recorder.conn, filed, links))

    def pending_tasks(self) -> set[str]:
        """The upgrade tasks left for rulewatch itself (state.schema.upgrade_tasks): one small read."""
        with self.db.engine.connect() as conn:
            return pending_tasks(conn)

    def count(self) -> int:
        """How many rules (merged ones not counted)."""
        with self.db.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(_R).where(_R.c.merged_into.is_(None)))
                       .scalar() or 0)


def _heads(conn: Connection, query: Any) -> list[AlertHead]:
    return [AlertHead(r[0], r[1], r[2], tuple(json.loads(r[3])), tuple(json.loads(r[4])), r[5] or "")
            for r in conn.execute(query)]
