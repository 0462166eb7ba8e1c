"""The rules the alerts are about: filed as each alert is recorded, read by lineage, the calendar,
reminders, the digest and the dossier.

The recorder files an alert that names a role in a rule's life (Alert.rule_role, which detection sets)
in the same transaction that puts it into the outbox: under the rule its subject (a list item, a page)
was filed under before, else the rule of its key, else a new rule. Storage decides nothing about what
a rule is: the key and the role come with the alert.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.engine import Connection

from rulewatch.core.model import Alert
from rulewatch.state import schema
from rulewatch.state.prepared import Prepared
from rulewatch.state.records import AlertHead, alert_from_row, utcnow

if TYPE_CHECKING:
    from sqlalchemy import Engine

_R, _RA, _A = schema.rules, schema.rule_alerts, schema.alerts
SUBJECT_KEY = "subject:"  # the key of a rule known only by its subject: subject:SOURCE:SUBJECT
_BY_SUBJECT = Prepared(select(_RA.c.rule_id)
                       .where(_RA.c.source == bindparam("b_source"), _RA.c.subject == bindparam("b_subject"))
                       .order_by(_RA.c.alert_id.desc()).limit(1))
_BY_KEY = Prepared(select(_R.c.id, _R.c.merged_into).where(_R.c.key == bindparam("b_key")))
_MERGED_INTO = Prepared(select(_R.c.merged_into).where(_R.c.id == bindparam("b_id")))
_TOUCH = Prepared(update(_R).where(_R.c.id == bindparam("b_id")))
_FILE = Prepared(schema.rule_alerts.insert())
_NEW_RULE = Prepared(schema.rules.insert())
IN_LIST_MAX = 500
MAX_INDEXED_CHARS = 600  # of a key or subject: 2,400 bytes at most in UTF-8, within any btree's row


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


def file_alert(conn: Connection, alert_id: int, alert: Alert, now: str | None = None) -> int | None:
    """File a recorded alert under its rule, in the caller's transaction: the rule's id, or None when
    the alert is about no rule (it names no role)."""
    if not alert.rule_role:
        return None
    now = now or utcnow()
    # Indexed: PostgreSQL takes a few KB per index row, and one hostile page's subject could be more.
    subject = (alert.subject or alert.url)[:MAX_INDEXED_CHARS]
    found = _BY_SUBJECT.first(conn, {"b_source": alert.source, "b_subject": subject})
    rule_id = _followed(conn, int(found["rule_id"])) if found else None
    key = (alert.rule_key or f"{SUBJECT_KEY}{alert.source}:{subject}")[:MAX_INDEXED_CHARS]
    if rule_id is None:
        by_key = _BY_KEY.first(conn, {"b_key": key})
        if by_key is not None:
            rule_id = _followed(conn, int(by_key["id"]))
    if rule_id is None:
        rule_id = _NEW_RULE.insert(conn, {"key": key, "name": alert.title, "first_alert_id": alert_id,
                                          "last_alert_id": alert_id, "created_at": now, "updated_at": now})
    else:
        _TOUCH.run(conn, {"b_id": rule_id, "name": alert.title, "last_alert_id": alert_id, "updated_at": now})
    _FILE.run(conn, {"alert_id": alert_id, "rule_id": rule_id, "role": alert.rule_role, "source": alert.source,
                     "subject": subject})
    return rule_id


def _followed(conn: Connection, rule_id: int) -> int:
    """The rule a rule was merged into (through any chain of merges), or itself."""
    for _ in range(100):  # merges chain rarely; a cycle in them would be a bug, not a reason to hang
        row = _MERGED_INTO.first(conn, {"b_id": rule_id})
        if row is None or row["merged_into"] is None:
            return rule_id
        rule_id = int(row["merged_into"])
    return rule_id


def link(conn: Connection, draft_alert_id: int, final_alert_id: int, now: str | None = None) -> int | None:
    """A final linked to its draft (lineage): the final's rule joins the draft's, and the final's role
    becomes "final". The draft's rule id, or None when the draft was never filed."""
    rows = dict(conn.execute(select(_RA.c.alert_id, _RA.c.rule_id)
                             .where(_RA.c.alert_id.in_((draft_alert_id, final_alert_id)))).all())
    if draft_alert_id not in rows:
        return None
    keep = _followed(conn, int(rows[draft_alert_id]))
    if final_alert_id in rows:
        other = _followed(conn, int(rows[final_alert_id]))
        if other != keep:
            merge(conn, keep, other, now)
        conn.execute(update(_RA).where(_RA.c.alert_id == final_alert_id).values(role="final", rule_id=keep))
    return keep


def merge(conn: Connection, keep: int, other: int, now: str | None = None) -> None:
    """Rule `other` is rule `keep`: its alerts move over, and its key finds `keep` from now on."""
    conn.execute(update(_RA).where(_RA.c.rule_id == other).values(rule_id=keep))
    conn.execute(update(_R).where(_R.c.id == other).values(merged_into=keep, updated_at=now or utcnow()))
    last = conn.execute(select(func.max(_RA.c.alert_id)).where(_RA.c.rule_id == keep)).scalar()
    name = conn.execute(select(_A.c.title).where(_A.c.id == last)).scalar() if last is not None else None
    conn.execute(update(_R).where(_R.c.id == keep).values(
        last_alert_id=last, updated_at=now or utcnow(), **({"name": name} if name is not None else {})))


class Rules:
    """Reading the rules (the repository of the Rule aggregate); writing is the recorder's."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def rule_of(self, alert_ids: Sequence[int]) -> dict[int, int]:
        """The rule each of these alerts is filed under (alerts about no rule are left out)."""
        found: dict[int, int] = {}
        with self.engine.connect() as conn:
            for start in range(0, len(alert_ids), IN_LIST_MAX):
                chunk = list(alert_ids[start:start + IN_LIST_MAX])
                found.update((int(a), int(r)) for a, r in conn.execute(
                    select(_RA.c.alert_id, _RA.c.rule_id).where(_RA.c.alert_id.in_(chunk))))
        return found

    def get(self, rule_ids: Iterable[int]) -> list[RuleRecord]:
        """These rules with their alerts, in the order of their ids."""
        wanted = sorted(set(rule_ids))
        if not wanted:
            return []
        with self.engine.connect() as conn:
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
        query = select(_RA.c.rule_id, _A).join(_A, _A.c.id == _RA.c.alert_id).order_by(_A.c.id)
        with self.engine.connect() as conn:
            return [(int(r["rule_id"]), alert_from_row(r)) for r in conn.execute(query).mappings()]

    def dated_alerts(self) -> list[tuple[int, Alert]]:
        """The alerts filed under a rule that name key dates, with their rule's id, oldest first: a
        rule's key dates are the latest its alerts state."""
        query = (select(_RA.c.rule_id, _A).join(_A, _A.c.id == _RA.c.alert_id)
                 .where(_A.c.key_dates != "[]").order_by(_A.c.id))
        with self.engine.connect() as conn:
            return [(int(r["rule_id"]), alert_from_row(r)) for r in conn.execute(query).mappings()]

    def draft_heads(self) -> list[AlertHead]:
        """The heads of the alerts filed as drafts for comment (what a final may be linked to), oldest
        first."""
        query = (select(_A.c.id, _A.c.kind, _A.c.title, _A.c.severity_reasons, _A.c.rule_ids)
                 .join(_RA, _RA.c.alert_id == _A.c.id).where(_RA.c.role == "draft").order_by(_A.c.id))
        with self.engine.connect() as conn:
            return [AlertHead(r[0], r[1], r[2], tuple(json.loads(r[3])), tuple(json.loads(r[4])))
                    for r in conn.execute(query)]

    def pending_tasks(self) -> set[str]:
        """The upgrade tasks left for rulewatch itself (state.schema.upgrade_tasks): one small read."""
        with self.engine.connect() as conn:
            return pending_tasks(conn)

    def count(self) -> int:
        """How many rules (merged ones not counted)."""
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(_R).where(_R.c.merged_into.is_(None)))
                       .scalar() or 0)


FILE_RULES = "file_rules"  # the upgrade task revision 0008 leaves: file the alerts recorded before rules


def pending_tasks(conn: Connection) -> set[str]:
    """The upgrade tasks left for rulewatch itself (state.schema.upgrade_tasks)."""
    return {str(r[0]) for r in conn.execute(select(schema.upgrade_tasks.c.name))}


def file_recorded(conn: Connection, filed: Iterable[tuple[int, Alert]], links: Iterable[tuple[int, int]]) -> int:
    """The alerts recorded before rules, filed (each with the rule key and role detection gave it, in
    the order they were recorded), then their lineage links applied, and the task done: in the caller's
    transaction, so an interrupted upgrade files nothing and is done again. How many alerts were filed."""
    done = {int(r[0]) for r in conn.execute(select(_RA.c.alert_id))}
    count = 0
    for alert_id, alert in filed:
        if alert_id in done or not alert.rule_role:
            continue
        conn.execute(update(_A).where(_A.c.id == alert_id).values(rule_key=alert.rule_key, rule_role=alert.rule_role))
        file_alert(conn, alert_id, alert)
        count += 1
    for draft_id, final_id in links:
        link(conn, draft_id, final_id)
    conn.execute(schema.upgrade_tasks.delete().where(schema.upgrade_tasks.c.name == FILE_RULES))
    return count
