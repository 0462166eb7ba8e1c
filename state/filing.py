"""Filing alerts under their rules, inside the recorder's transaction: a new alert under the rule its
subject was filed under before, else the rule of its key, else a new rule; a final linked to its draft
into the draft's rule; the alerts recorded before rules, once, after the upgrade to schema 0008.

Storage decides nothing about what a rule is: the key and the role come with the alert (detection
sets Alert.rule_key and Alert.rule_role). The repository that reads rules is state.rules."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.engine import Connection

from rulewatch.core.model import Alert
from rulewatch.state import schema
from rulewatch.state.decisions import reopen
from rulewatch.state.prepared import Prepared
from rulewatch.state.records import utcnow

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
MAX_INDEXED_CHARS = 600  # of a key or subject: 2,400 bytes at most in UTF-8, within any btree's row


def file_alert(conn: Connection, alert_id: int, alert: Alert, now: str | None = None) -> int | None:
    """File a recorded alert under its rule, in the caller's transaction: the rule's id, or None when
    the alert is about no rule (it names no role)."""
    if not alert.rule_role:
        return None
    now = now or utcnow()
    # Indexed: PostgreSQL takes a few KB per index row, and one hostile page's subject could be more.
    subject = (alert.subject or alert.url)[:MAX_INDEXED_CHARS]
    # A merge moves its rule's filed alerts along, so the subject's last rule is never a merged one;
    # a merged rule's key still names it, through merged_into.
    found = _BY_SUBJECT.first(conn, {"b_source": alert.source, "b_subject": subject})
    rule_id = int(found["rule_id"]) if found else None
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
        reopen(conn, rule_id, alert_id, alert.rule_role, now)  # a decided rule has news: decide again
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
        reopen(conn, keep, final_alert_id, "final", now or utcnow())
    return keep


def merge(conn: Connection, keep: int, other: int, now: str | None = None) -> None:
    """Rule `other` is rule `keep`: its alerts move over, and its key finds `keep` from now on."""
    now = now or utcnow()
    conn.execute(update(_RA).where(_RA.c.rule_id == other).values(rule_id=keep))
    conn.execute(update(_R).where(_R.c.id == other).values(merged_into=keep, updated_at=now))
    last = conn.execute(select(func.max(_RA.c.alert_id)).where(_RA.c.rule_id == keep)).scalar()
    name = conn.execute(select(_A.c.title).where(_A.c.id == last)).scalar() if last is not None else None
    conn.execute(update(_R).where(_R.c.id == keep).values(
        last_alert_id=last, updated_at=now, **({"name": name} if name is not None else {})))


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
