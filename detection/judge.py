"""judge(Change) -> Verdict: is the change substantive, is it relevant, and which alerts does it raise.

A change is relevant when its own text names a watched topic, or when it sits in a document that is
about one (an amended article of a cybersecurity rule matters even if the sentence names no keyword).
For list items, the item's title and fields count as its own text; a followed detail page counts when
it is about a topic. Alerts carry only the substantive text, never what was set aside as noise.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from rulewatch.core.model import WINDOW, Change, Document, Finding, Item, ItemChange, Verdict
from rulewatch.detection.explain import ExplainContext, explain_item, explain_text
from rulewatch.detection.lineage import rule_ids
from rulewatch.detection.relevance import Matches, Taxonomy
from rulewatch.detection.rules import filed

DETAIL_OPENING_CHARS = 400
AlertOn = Literal["relevant", "any"]


@dataclass(frozen=True, slots=True)
class RelevancePolicy:
    """A source's say in relevance: narrow to some topics, or alert on every substantive change."""

    topics: tuple[str, ...] = ()
    alert_on: AlertOn = "relevant"


def judge(
    change: Change,
    old: Document,
    new: Document,
    taxonomy: Taxonomy,
    policy: RelevancePolicy | None = None,
    context: ExplainContext | None = None,
) -> Verdict:
    """The verdict on a change, with each finding explained (detection.explain) for `context`: the
    source's publisher and today's date (by default, the bundled tables and the local date)."""
    policy = policy or RelevancePolicy()
    context = context or ExplainContext.default()
    if not change.substantive:
        noise = [f"ignored {i.what}: {i.why}" for i in change.ignored] or ["no change"]
        return Verdict(substantive=False, relevant=False, reasons=noise)
    findings: list[Finding] = []
    reasons: list[str] = []
    if change.text or change.title:
        draft = _text_finding(change, new, taxonomy, policy)
        if draft:
            findings.append(explain_text(draft, change.text, new, context))
        else:
            reasons.append("text changed, but neither the change nor the document names a watched topic")
    templates = _template_values(new) if change.items else frozenset()
    window = bool(new.metadata.get(WINDOW))
    for item_change in change.items:
        if item_change.kind == "moved_off":
            continue
        if window and item_change.kind == "removed":
            # A feed keeps a window of recent entries: one that leaves it was not withdrawn.
            reasons.append(f"item {item_change.item.title!r} left the feed's window of recent entries")
            continue
        draft = _item_finding(item_change, new, taxonomy, policy, templates)
        if draft:
            findings.append(explain_item(draft, item_change, context))
        else:
            reasons.append(f"item {item_change.kind} {item_change.item.title!r} names no watched topic")
    findings = [filed(f) for f in findings]  # each names its rule and its role there: the recorder files it
    topics = tuple(sorted({t for f in findings for t in f.topics}))
    terms = tuple(sorted({t for f in findings for t in f.matched_terms}))
    return Verdict(True, bool(findings), topics, terms, findings, reasons)


@dataclass(frozen=True, slots=True)
class _Decision:
    topics: tuple[str, ...]
    terms: tuple[str, ...]  # the change's own terms first, then the document's


def _decide(own: Matches, context: Matches, policy: RelevancePolicy) -> _Decision | None:
    own, context = own.only(policy.topics), context.only(policy.topics)
    topics = tuple(sorted(set(own.topics) | set(context.topics)))
    if not topics and policy.alert_on != "any":
        return None
    terms = tuple(dict.fromkeys(own.all_terms() + context.all_terms()))
    return _Decision(topics, terms)


def _document_context(doc: Document, taxonomy: Taxonomy) -> Matches:
    """The topics a document as a whole is about: its title, or a body that names them repeatedly."""
    return taxonomy.match(doc.title).merge(taxonomy.match(doc.text).about())


def _text_finding(change: Change, new: Document, taxonomy: Taxonomy, policy: RelevancePolicy) -> Finding | None:
    removed = [t.old for t in change.text if t.kind in ("removed", "changed")]
    added = [t.new for t in change.text if t.kind in ("added", "changed")]
    if change.title:
        removed.insert(0, change.title[0])
        added.insert(0, change.title[1])
    own = taxonomy.match("\n".join(removed + added))
    found = _decide(own, _document_context(new, taxonomy), policy)
    if found is None:
        return None
    articles = [t.key for t in change.text if t.key]
    only_title = change.title and not change.text
    return Finding(
        kind="title_changed" if only_title else "changed_text",
        title=new.title or new.url,
        url=new.url,
        topics=found.topics,
        matched_terms=found.terms,
        added="\n".join(added),
        removed="\n".join(removed),
        article=", ".join(dict.fromkeys(articles)),
        subject=new.url,
    )


TEMPLATE_SENTENCE_CHARS = 16  # a repeated value this long that reads as a sentence is template text
TEMPLATE_CHARS = 60  # ...and any repeated value this long
TEMPLATE_MIN_ITEMS = 3
TEMPLATE_SHARE = 0.05
_SENTENCE_MARK = re.compile(r"[。，；！？]|[,;.!?](?:\s|$)")


def _sentence_like(value: str) -> bool:
    if len(value) >= TEMPLATE_CHARS:
        return True
    return len(value) >= TEMPLATE_SENTENCE_CHARS and bool(_SENTENCE_MARK.search(value))


def _template_values(doc: Document) -> frozenset[str]:
    """Field values a list repeats across many of its items: boilerplate sentences ("Apply mitigations
    per vendor instructions...", an impact statement chosen from a few), which say nothing about one
    item and are never topic evidence. Short labels (a category, an agency's name) are the item's own."""
    counts: dict[str, int] = {}
    for item in doc.items:
        for value in {v for _, v in item.fields if _sentence_like(v)}:
            counts[value] = counts.get(value, 0) + 1
    least = max(TEMPLATE_MIN_ITEMS, TEMPLATE_SHARE * len(doc.items))
    return frozenset(v for v, n in counts.items() if n >= least)


def _item_text(item: Item, templates: frozenset[str] = frozenset()) -> str:
    return "\n".join([item.title, *(v for _, v in item.fields if v not in templates)])


def _describe(item: Item) -> str:
    lines = [item.title]
    if item.date:
        lines.append(item.date)
    if item.url:
        lines.append(item.url)
    if item.detail:
        opening = item.detail[:DETAIL_OPENING_CHARS]
        lines.append(opening + ("…" if len(item.detail) > DETAIL_OPENING_CHARS else ""))
    return "\n".join(lines)


def _item_finding(
    change: ItemChange, doc: Document, taxonomy: Taxonomy, policy: RelevancePolicy,
    templates: frozenset[str] = frozenset(),
) -> Finding | None:
    item = change.item
    own = taxonomy.match(_item_text(item, templates))
    if change.old is not None:
        own = own.merge(taxonomy.match(_item_text(change.old, templates)))
    context = taxonomy.match(item.detail).about() if item.detail else Matches()
    found = _decide(own, context, policy)
    if found is None:
        return None
    # A withdrawn item links to the page it had, or to nothing: never to the list (an API endpoint).
    url = item.url or ("" if change.kind == "removed" else doc.url)
    base = {"title": item.title or item.id, "url": url, "topics": found.topics,
            "matched_terms": found.terms, "subject": item.id, "rule_ids": rule_ids(item.field_map(), item.id)}
    if change.kind == "added":
        return Finding(kind="new_item", added=_describe(item), **base)  # type: ignore[arg-type]
    if change.kind == "removed":
        return Finding(kind="removed_item", removed=_describe(item), **base)  # type: ignore[arg-type]
    removed = "\n".join(f"{name}: {old}" for name, old, _ in change.fields)
    added = "\n".join(f"{name}: {new}" for name, _, new in change.fields)
    return Finding(kind="changed_item", added=added, removed=removed, **base)  # type: ignore[arg-type]
