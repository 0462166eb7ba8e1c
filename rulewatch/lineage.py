"""Linking a final version to its draft for comment, and telling the draft's thread.

After a cycle, each new alert about a rule that is not itself a draft is matched against the drafts
seen before (detection.lineage). A link is written with a reply for the draft's Slack thread, in one
transaction, once per pair: "Final version published: ..., 7 articles changed since the draft, 2 added,
1 removed", with the article-by-article comparison of the two texts (the same compare() as any
change). A link that is not certain asks instead: "Is this the final version of ...?".
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from rulewatch.core.model import Alert, Block, Document, Finding, InlineRun
from rulewatch.core.text import article_key
from rulewatch.detection.lineage import CERTAIN_SCORE, LineageMatch, in_order, match, rule_name
from rulewatch.detection.rules import RULE_KINDS, filed
from rulewatch.detection.severity import reads_as_draft
from rulewatch.state import Store
from rulewatch.state.records import AlertHead


def rule_text(store: Store, alert: Alert) -> Document | None:
    """The rule's text as the store kept it for an alert: its page, or its list item's detail text
    (a snapshot is decompressed to read it)."""
    doc = store.snapshots.alert_document(alert)
    if doc is None or doc.kind != "list":
        return doc
    item = next((i for i in doc.items if i.id == alert.subject), None)
    if item is None:
        return None
    lines = [line for line in item.detail.splitlines() if line.strip() and line.strip() != "…"]
    return Document(kind="page", url=item.url, title=item.title,
                    blocks=[Block(t, article_key(t)) for t in lines]) if lines else None


def draft_vs_final(draft_doc: Document, final_doc: Document) -> tuple[str, tuple[InlineRun, ...]]:
    """How the final's text differs from the draft's: a count of articles, and the styled runs."""
    # Imported here: a cycle links finals after every change, and only a found link compares texts.
    from rulewatch.detection.compare import compare
    from rulewatch.detection.explain import change_runs

    change = compare(draft_doc, final_doc)
    counts = {kind: sum(1 for t in change.text if t.kind == kind) for kind in ("changed", "added", "removed")}
    summary = (f"{counts['changed']} articles changed since the draft, {counts['added']} added, "
               f"{counts['removed']} removed")
    return summary, change_runs(change.text)


def reply(draft: Alert, final: Alert, found: LineageMatch, draft_doc: Document | None,
          final_doc: Document | None) -> Alert:
    """The message for the draft's thread: the final's arrival and what changed since the draft, or a
    question when the match is not certain."""
    base = {"kind": "final_published", "subject": draft.subject, "title": final.title, "url": final.url,
            "topics": final.topics or draft.topics, "publisher": final.publisher, "published": final.published}
    envelope = {"source": draft.source, "channel": draft.channel,
                "idempotency_key": f"lineage:{draft.outbox_id}:{final.outbox_id}"}
    if not found.certain:
        question = (f"Is this the final version of {draft.title}?\n{final.title}\n{final.url}\n"
                    f"(matched by {found.method}, score {found.score:.2f})")
        return Alert.entered(Finding(added=question, **base), **envelope)  # type: ignore[arg-type]
    lines = [f"Final version published: {final.title}", final.url]
    runs: tuple[InlineRun, ...] = ()
    if draft_doc is not None and final_doc is not None:
        summary, runs = draft_vs_final(draft_doc, final_doc)
        lines.append(summary)
    else:
        lines.append("the draft's text was not kept, so the two cannot be compared")
    answer = Finding(added="\n".join(lines), change_inline=runs, gloss_en=f"matched to the draft by {found.method}",
                     key_dates=final.key_dates, **base)  # type: ignore[arg-type]
    return Alert.entered(answer, **envelope)


def link_finals(store: Store, alert_ids: Iterable[int]) -> list[int]:
    """Link the finals among these new alerts to their drafts; the ids of the drafts linked."""
    # Titles and the rulemaking ids the alerts carry: whole alerts, and stored pages, are read only for
    # a pair that matches (a cycle of 250 changed pages read all 250 alerts back for nothing).
    finals = [h for h in store.rules.alert_heads(list(alert_ids))
              if h.kind in RULE_KINDS and not reads_as_draft(h.title, h.severity_reasons)]
    if not finals:
        return []
    drafts = store.rules.draft_heads()  # filed as drafts for comment when they were recorded
    linked = []
    for final in finals:
        best: tuple[LineageMatch, AlertHead] | None = None
        for draft in (d for d in drafts if d.outbox_id < final.outbox_id):
            found = match(draft.title, draft.rule_ids, final.title, final.rule_ids,
                          same_publisher=_same_publisher(draft, final))
            if found is not None and (best is None or found.score > best[0].score):
                best = (found, draft)
        if best is None:
            continue
        found, head = best
        draft_alert, final_alert = store.outbox.by_id([head.outbox_id, final.outbox_id])  # oldest first
        message = reply(draft_alert, final_alert, found, rule_text(store, draft_alert), rule_text(store, final_alert))
        if store.rules.add_lineage(draft_alert.outbox_id, final_alert.outbox_id, found.score, found.method, message,
                                   certain=found.certain):
            linked.append(draft_alert.outbox_id)
    return linked


def _same_publisher(draft: AlertHead, final: AlertHead) -> bool:
    """Whether one publisher issued both (unknown on either side counts as the same: older alerts)."""
    a, b = draft.publisher.strip().casefold(), final.publisher.strip().casefold()
    return not a or not b or a == b


def file_recorded(store: Store) -> int:
    """File the alerts recorded before rules existed (the upgrade task schema 0008 leaves) under their
    rules, as detection.rules files new ones, with their lineage links: once, in one transaction. How
    many alerts were filed (0 when there was nothing to do)."""
    from rulewatch.state.filing import FILE_RULES

    if FILE_RULES not in store.rules.pending_tasks():
        return 0
    alerts = [(a.outbox_id, filed(a)) for a in store.outbox.alerts(newest_first=False)]
    links = [(int(link["draft_alert_id"]), int(link["final_alert_id"])) for link in store.rules.lineage()
             if float(link["score"]) >= CERTAIN_SCORE]
    return store.rules.file_recorded(alerts, links)


# ---- the dossier: a rule's life in one view -------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LifeEvent:
    day: str  # ISO day
    what: str  # draft, comment deadline, final, amended, withdrawn, effective, repeal, ...
    title: str
    source: str
    alert_id: int | None
    url: str = ""

    def to_json(self) -> dict[str, object]:
        return {"date": self.day, "event": self.what, "title": self.title, "source": self.source,
                "alert_id": self.alert_id, "url": self.url}


@dataclass(frozen=True, slots=True)
class Dossier:
    name: str
    events: tuple[LifeEvent, ...]
    links: tuple[dict[str, Any], ...]  # lineage rows between the rule's alerts, each with "certain"
    draft_vs_final: tuple[InlineRun, ...] = ()
    summary: str = ""  # "3 articles changed since the draft, 0 added, 1 removed"
    closest: str = ""  # the rule's name, when the query named it only loosely (closest_rules)

    def to_json(self) -> dict[str, object]:
        return {"name": self.name, "events": [e.to_json() for e in self.events], "lineage": list(self.links),
                "draft_vs_final": [{"text": r.text, "op": r.op} for r in self.draft_vs_final], "summary": self.summary,
                "closest_name": self.closest}


_EVENT = {"new_item": "published", "changed_text": "amended", "title_changed": "retitled", "changed_item": "updated",
          "removed_item": "withdrawn"}
_DATE_EVENT = {"comment_deadline": "comment deadline", "effective": "takes effect",
               "compliance_deadline": "compliance due", "repeal": "repeals a rule"}


TYPO_SCORE = 85  # rapidfuzz ratio (0-100) at which a name differing by a character or two is the rule meant
MIN_LOOSE_CHARS = 4  # a shorter query is matched as a plain substring only


@dataclass(frozen=True, slots=True)
class FiledAlerts:
    """Every alert filed under a rule, oldest first, and the rule each is filed under: what find_rule
    and closest_rules look through (a year's outbox takes about a second to read, so a lookup reads it
    once and passes it on)."""

    alerts: list[Alert]
    rule_of: dict[int, int]


def rule_alerts(store: Store) -> FiledAlerts:
    filed_alerts = store.rules.filed_alerts()
    return FiledAlerts([a for _, a in filed_alerts], {a.outbox_id: rule for rule, a in filed_alerts})


def closest_rules(rules: FiledAlerts, query: str, limit: int = 5) -> list[str]:
    """Names of the rules (rule_alerts) `query` names loosely, closest first: its characters in order
    with words left out (数据安全办法 for 银行保险机构数据安全管理办法, "incident reporting cloud" for the
    Federal Register's title), or the name with a slip of a character or two (rapidfuzz ratio TYPO_SCORE)."""
    from rapidfuzz import fuzz

    wanted = rule_name(query)
    if len(wanted) < MIN_LOOSE_CHARS:
        return []
    names = dict.fromkeys(rule_name(a.title) for a in rules.alerts)
    scored = []
    for name in names:
        if name and in_order(wanted, name):
            scored.append((100.0 + len(wanted) / len(name), name))  # left-out words beat slips
        elif (score := fuzz.ratio(wanted, name)) >= TYPO_SCORE:
            scored.append((score, name))
    return [name for _, name in sorted(scored, key=lambda pair: (-pair[0], pair[1]))[:limit]]


MAX_CHOICES = 10  # rules a query that fits several lists to choose from


@dataclass(frozen=True, slots=True)
class RuleChoice:
    """One of the rules a query fits: its name as its latest alert titles it, who published it, and an
    alert id that names it alone."""

    name: str
    source: str
    publisher: str
    alert_id: int
    alerts: int


class SeveralRules(LookupError):
    """A query fits more than one rule (two publishers' 数据安全管理办法, or 管理办法 itself): a dossier
    never merges rules, so the caller offers the choices."""

    def __init__(self, query: str, count: int, choices: tuple[RuleChoice, ...]) -> None:
        super().__init__(f"{count} rules fit {query!r}")
        self.query, self.count, self.choices = query, count, choices


def find_rule(rules: FiledAlerts, query: str) -> list[Alert]:
    """The alerts about the rule `query` names (an alert id, or words of its name: the draft wrapper and
    《》 do not matter), oldest first. When the words fit several rules, the one whose name they are
    exactly; else SeveralRules."""
    if query.isdigit():
        seed = [a for a in rules.alerts if a.outbox_id == int(query)]
    else:
        wanted = rule_name(query)
        seed = [a for a in rules.alerts if wanted and wanted in rule_name(a.title)]
        if len({rules.rule_of[a.outbox_id] for a in seed}) > 1:
            exact = [a for a in seed if rule_name(a.title) == wanted]
            if len({rules.rule_of[a.outbox_id] for a in exact}) == 1:
                seed = exact
    by_rule: dict[int, list[Alert]] = {}
    for a in rules.alerts:
        by_rule.setdefault(rules.rule_of[a.outbox_id], []).append(a)
    wanted_rules = list(dict.fromkeys(rules.rule_of[a.outbox_id] for a in seed))
    if len(wanted_rules) > 1:
        groups = sorted((by_rule[r] for r in wanted_rules), key=lambda g: -g[-1].outbox_id)  # newest first
        choices = tuple(RuleChoice(rule_name(g[-1].title) or g[-1].title, g[-1].source, g[-1].publisher,
                                   g[-1].outbox_id, len(g)) for g in groups[:MAX_CHOICES])
        raise SeveralRules(query, len(wanted_rules), choices)
    return by_rule.get(wanted_rules[0], []) if wanted_rules else []


def dossier(store: Store, query: str, rules: FiledAlerts | None = None) -> Dossier | None:
    """The life of the rule `query` names, or None when no alert is about it; SeveralRules when it fits
    more than one. `rules`: rule_alerts(store), when the caller has read them already."""
    rules = rule_alerts(store) if rules is None else rules
    alerts = find_rule(rules, query)
    closest = ""
    if not alerts and not query.isdigit():
        loose = closest_rules(rules, query, limit=2)
        if len(loose) == 1:  # one rule named loosely: that one; several: the caller offers them
            closest = loose[0]
            alerts = find_rule(rules, closest)
    if not alerts:
        return None
    ids = {a.outbox_id for a in alerts}
    # Only a certain link makes a final; one the thread asked about stays a question.
    links = tuple({**{k: v for k, v in link.items() if k != "id"}, "certain": float(link["score"]) >= CERTAIN_SCORE}
                  for link in store.rules.lineage() if link["draft_alert_id"] in ids or link["final_alert_id"] in ids)
    finals = {int(link["final_alert_id"]) for link in links if link["certain"]}
    asked = {int(link["final_alert_id"]) for link in links} - finals
    events: list[LifeEvent] = []
    # A key date is the rule's, not each alert's: the latest alert that states a role's date says it
    # (an amendment that moves the effective date replaces the old one; ten alerts repeating a
    # deadline show it once).
    dated: dict[str, tuple[Alert, list[str]]] = {}
    for a in sorted(alerts, key=lambda alert: alert.outbox_id):
        what = "draft for comment" if reads_as_draft(a.title, a.severity_reasons) and a.kind == "new_item" else \
            "final version" if a.outbox_id in finals else \
            "final? (unconfirmed)" if a.outbox_id in asked else _EVENT.get(a.kind, a.kind)
        events.append(LifeEvent(a.detected_at[:10], what, a.title, a.source, a.outbox_id, a.url))
        stated: dict[str, list[str]] = {}
        for kd in a.key_dates:
            if kd.date and kd.role in _DATE_EVENT and kd.date not in stated.setdefault(kd.role, []):
                stated[kd.role].append(kd.date)
        dated.update({role: (a, days) for role, days in stated.items()})
    events += [LifeEvent(day, _DATE_EVENT[role], a.title, a.source, a.outbox_id, a.url)
               for role, (a, days) in dated.items() for day in days]
    runs: tuple[InlineRun, ...] = ()
    summary = ""
    certain = [link for link in links if link["certain"]]
    if certain:
        by_id = {a.outbox_id: a for a in alerts}
        draft, final = by_id.get(int(certain[-1]["draft_alert_id"])), by_id.get(int(certain[-1]["final_alert_id"]))
        if draft is not None and final is not None:
            old, new = rule_text(store, draft), rule_text(store, final)
            if old is not None and new is not None:
                summary, runs = draft_vs_final(old, new)
    unique = sorted(dict.fromkeys(events), key=lambda e: (e.day, e.alert_id or 0))
    return Dossier(rule_name(alerts[-1].title) or alerts[-1].title, tuple(unique), links, runs, summary, closest)
