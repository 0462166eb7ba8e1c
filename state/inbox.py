"""The alerts as the web's inbox pages through them: newest first, each with the rule it is filed under
and that rule's current decision, filtered in the database so a page costs the same after a year
(a repository of the Store). What the states mean is the triage use case's; this module filters on
what is stored, given today's day for snoozes that ended."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, func, or_, select

from rulewatch.core.model import Alert
from rulewatch.state import schema
from rulewatch.state.decisions import NEW
from rulewatch.state.records import alert_from_row
from rulewatch.state.search import like_pattern

if TYPE_CHECKING:
    from rulewatch.state.database import Database

_A, _RA, _T = schema.alerts, schema.rule_alerts, schema.triage


@dataclass(frozen=True, slots=True)
class InboxEntry:
    alert: Alert
    rule_id: int | None
    state: str  # the stored state ("" for an alert about no rule; "new" when nobody decided)
    owner: str
    snoozed_until: str | None


class InboxReader:
    """Pages of alerts with their rules' decisions."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def page(self, *, today: str, severity: str = "", state: str = "", owner: str = "", topic: str = "",
             source: str = "", since: str = "", text: str = "", offset: int = 0, limit: int = 100) -> list[InboxEntry]:
        """Up to `limit` alerts from `offset`, newest first, as filtered (`state` as it stands `today`)."""
        query = (select(_A, _RA.c.rule_id.label("filed_rule"), _T.c.state.label("triage_state"),
                        _T.c.owner.label("triage_owner"), _T.c.snoozed_until.label("triage_until"))
                 .outerjoin(_RA, _RA.c.alert_id == _A.c.id).outerjoin(_T, _T.c.rule_id == _RA.c.rule_id))
        where: list[Any] = []
        if severity:
            where.append(_A.c.severity == severity)
        if source:
            where.append(_A.c.source == source)
        if since:
            where.append(_A.c.detected_at >= since)
        if text:
            where.append(_A.c.title.like(like_pattern(text), escape="\\"))
        if topic:
            where.append(_A.c.topics.like(like_pattern(f'"{topic}"'), escape="\\"))
        if owner:
            where.append(_T.c.owner == owner)
        if state:
            ended = and_(_T.c.state == "snoozed", _T.c.snoozed_until <= today)
            if state == NEW:
                where.append(and_(_RA.c.rule_id.is_not(None), or_(_T.c.state.is_(None), _T.c.state == NEW, ended)))
            elif state == "snoozed":
                where.append(and_(_T.c.state == "snoozed", _T.c.snoozed_until > today))
            else:
                where.append(_T.c.state == state)
        query = query.where(*where).order_by(_A.c.id.desc()).offset(max(0, offset)).limit(limit)
        with self.db.engine.connect() as conn:
            rows = conn.execute(query).mappings().all()
        return [InboxEntry(alert_from_row(r), r["filed_rule"],
                           (r["triage_state"] or NEW) if r["filed_rule"] is not None else "",
                           r["triage_owner"] or "", r["triage_until"]) for r in rows]

    def choices(self) -> tuple[list[str], list[str], list[str]]:
        """What the filters offer: the sources, the topics and the owners there are."""
        import json

        with self.db.engine.connect() as conn:
            sources = [r[0] for r in conn.execute(select(_A.c.source).distinct().order_by(_A.c.source))]
            topic_lists = [r[0] for r in conn.execute(select(_A.c.topics).distinct())]
            owners = [r[0] for r in conn.execute(select(_T.c.owner).where(_T.c.owner != "").distinct()
                                                 .order_by(_T.c.owner))]
        topics = sorted({t for raw in topic_lists for t in json.loads(raw or "[]")})
        return sources, topics, owners

    def versions(self) -> tuple[int, str]:
        """What changes when the calendar would: the newest alert, and the last time a rule changed."""
        with self.db.engine.connect() as conn:
            newest = conn.execute(select(func.max(_A.c.id))).scalar() or 0
            touched = conn.execute(select(func.max(schema.rules.c.updated_at))).scalar() or ""
        return int(newest), str(touched)
