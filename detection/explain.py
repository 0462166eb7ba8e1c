"""What an alert means: the exact change as styled runs, its key dates, an English line, its severity,
and who published it when. Pure: judge() calls explain_text / explain_item with an ExplainContext that
holds the glossary, the severity table, the source's publisher and today's date.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from functools import lru_cache

from rulewatch.core.model import Document, Finding, InlineRun, Item, ItemChange, KeyDate, TextChange
from rulewatch.core.text import find_date
from rulewatch.detection.dates import field_key_dates, find_key_dates
from rulewatch.detection.gloss import ROLE_EN, BlockFacts, Glossary, block_facts, gloss_text_changes, gloss_title
from rulewatch.detection.severity import SeverityWeights, Stage, document_stage, rate

CONTEXT_CHARS = 60  # unchanged text kept on each side of a change, back to the sentence it sits in
MAX_INLINE_CHARS = 1500  # of an alert's styled runs; the full text stays in the thread file
_SENTENCE_END = re.compile(r"[。；;！？!?]|\.\s")
_PUBLISHED_LABEL = re.compile(r"(?:发布时间|发布日期|成文日期|印发日期|公布日期|published(?:\s+on)?|publication\s+date|"
                              r"date\s+of\s+publication)\s*[:：]?\s*", re.IGNORECASE)
_PUBLISHED_SCAN_BLOCKS = 40
# Literals only, no IGNORECASE: the pattern runs on every block of a page with an alert.
_DOCUMENT_DATE_CUES = re.compile("施行|实施|生效|执行|意见|征求|ffective|FFECTIVE|force|omment|OMMENT|ublication")


@dataclass(frozen=True, slots=True)
class ExplainContext:
    """What explaining needs beyond the change: reference data, and the source and day it is for."""

    glossary: Glossary
    weights: SeverityWeights
    today: date
    publisher: str = ""  # the publisher's name as readers know it (NFRA), not the source's internal name
    issuer: str = "regulator"  # a key of the severity table's issuers

    @classmethod
    def default(cls, today: date | None = None, publisher: str = "", issuer: str = "regulator") -> ExplainContext:
        glossary, weights = _bundled()
        return cls(glossary, weights, today or date.today(), publisher, issuer)


@lru_cache(maxsize=1)
def _bundled() -> tuple[Glossary, SeverityWeights]:
    return Glossary.load(), SeverityWeights.load()


# ---- the exact change ------------------------------------------------------------------------------


def focus(runs: Sequence[InlineRun], context: int = CONTEXT_CHARS) -> tuple[InlineRun, ...]:
    """The runs with unchanged text cut to the sentences around each change (at most `context`
    characters on each side), so the reader sees each changed sentence once."""
    out: list[InlineRun] = []
    last = len(runs) - 1
    for n, run in enumerate(runs):
        if run.op != "same":
            out.append(run)
            continue
        text = run.text
        before = _head(text, context) if n > 0 else ""  # the end of the sentence a change is in
        after = _tail(text, context) if n < last else ""  # the start of the sentence the next is in
        if n > 0 and n < last and len(text) <= 2 * context + 3:
            kept = text
        elif n > 0 and n < last:
            kept = f"{before} … {after}"
        else:
            kept = before or after
        if kept:
            out.append(InlineRun(kept, "same"))
    return tuple(out)


def _head(text: str, limit: int) -> str:
    m = _SENTENCE_END.search(text, 0, limit + 1)
    return text[:m.end()].rstrip() if m else (text if len(text) <= limit else text[:limit].rstrip() + "…")


def _tail(text: str, limit: int) -> str:
    start = max(0, len(text) - limit)
    ends = list(_SENTENCE_END.finditer(text, start))
    # the sentence holding the change starts after the last sentence end before it
    if ends and ends[-1].end() < len(text):
        return text[ends[-1].end():].lstrip()
    return text if start == 0 else "…" + text[start:].lstrip()


def change_runs(changes: Sequence[TextChange]) -> tuple[InlineRun, ...]:
    """An alert's styled runs: each changed block focused on its changes, whole added and removed
    blocks, one block per line, cut at MAX_INLINE_CHARS."""
    out: list[InlineRun] = []
    size = 0
    for change in changes:
        runs = focus(change.inline) if change.kind == "changed" else (
            (InlineRun(change.new, "added"),) if change.kind == "added" else (InlineRun(change.old, "removed"),))
        if out:
            runs = (InlineRun("\n", "same"), *runs)
        for run in runs:
            if size + len(run.text) > MAX_INLINE_CHARS:
                out.append(InlineRun(run.text[:max(0, MAX_INLINE_CHARS - size)] + "…", run.op))
                return tuple(out)
            out.append(run)
            size += len(run.text)
    return tuple(out)


# ---- dates and publication -------------------------------------------------------------------------


def document_published(doc: Document) -> str:
    """The day a page says it was published (发布时间：…), as ISO, or ""."""
    for block in doc.blocks[:_PUBLISHED_SCAN_BLOCKS]:
        m = _PUBLISHED_LABEL.search(block.text)
        if m:
            day = find_date(block.text[m.end():m.end() + 40])
            if day:
                return day
    return ""


def _merge(*groups: Sequence[KeyDate]) -> tuple[KeyDate, ...]:
    seen: set[tuple[str, str]] = set()
    out = []
    for group in groups:
        for kd in group:
            if (kd.role, kd.date) not in seen:
                seen.add((kd.role, kd.date))
                out.append(kd)
    return tuple(out)


# ---- alerts ----------------------------------------------------------------------------------------


def explain_text(alert: Finding, changes: Sequence[TextChange], doc: Document, context: ExplainContext) -> Finding:
    """A text alert with its runs, dates, English line, severity and publication."""
    published = document_published(doc)
    changed_blocks = [(c.key, c.new or c.old) for c in changes if c.kind != "removed"]
    # The rule's own effective date and comment deadline, wherever its text states them: only blocks
    # with their cue words are read (a rule of 200 articles names them once or twice).
    cued = [(b.key, b.text) for b in doc.blocks if _DOCUMENT_DATE_CUES.search(b.text)]
    document_dates = [kd for kd in find_key_dates(cued, published) if kd.role in ("effective", "comment_deadline")]
    key_dates = _merge(find_key_dates(changed_blocks, published), document_dates)
    facts = [block_facts(c, context.glossary) for c in changes]
    gloss = gloss_text_changes(facts)
    if not gloss and alert.kind == "title_changed":
        gloss = gloss_title(doc.title, context.glossary, "title changed")
    stage = document_stage(doc.title, doc.text, context.issuer)
    severity = rate(stage=stage, facts=facts, key_dates=key_dates, issuer=context.issuer, topics=alert.topics,
                    today=context.today, weights=context.weights)
    return replace(alert, change_inline=change_runs(changes), key_dates=key_dates, gloss_en=gloss,
                   severity=severity.level, severity_reasons=severity.reasons, publisher=context.publisher,
                   published=published)


_ITEM_WHAT = {"added": "new entry", "removed": "withdrawn", "changed": "entry changed"}
_STAGE_WHAT: dict[Stage, str] = {"draft": "draft for comment", "final": "", "news": ""}


def explain_item(alert: Finding, change: ItemChange, context: ExplainContext) -> Finding:
    """A list item's alert with its dates (from its detail page and fields), English line and severity."""
    item: Item = change.item
    field_text = " ".join(v for _, v in item.fields)
    # Structured dates first (effective_on), then those a field's text or the detail page states
    # (the Federal Register's "dates": "Comments must be received on or before ...").
    texts = [("", value) for _, value in item.fields] + [("", item.detail)]
    key_dates = _merge(field_key_dates(item.fields), find_key_dates(texts, item.date)) \
        if change.kind != "removed" else ()
    stage = document_stage(f"{item.title} {field_text}", item.detail, context.issuer)
    moved = _moved_field_dates(change)
    what = " · ".join(filter(None, [_ITEM_WHAT.get(change.kind, ""), _STAGE_WHAT[stage], *moved]))
    gloss = gloss_title(item.title, context.glossary, what) or " · ".join(moved)
    facts = [BlockFacts(article="", kind="changed", chinese=False, dates=moved)] if moved else []
    severity = rate(stage=stage, facts=facts, key_dates=key_dates, withdrawn=change.kind == "removed",
                    issuer=context.issuer, topics=alert.topics, today=context.today, weights=context.weights)
    return replace(alert, key_dates=key_dates, gloss_en=gloss, severity=severity.level,
                   severity_reasons=severity.reasons, publisher=context.publisher, published=item.date)


def _moved_field_dates(change: ItemChange) -> tuple[str, ...]:
    """Key dates a changed record's fields moved (the Federal Register's comments_close_on), in English."""
    before = {d.role: d.date for d in field_key_dates([(name, old) for name, old, _ in change.fields])}
    after = {d.role: d.date for d in field_key_dates([(name, new) for name, _, new in change.fields])}
    return tuple(f"{ROLE_EN[role]} {before.get(role) or '?'} → {day}"
                 for role, day in after.items() if before.get(role) != day)
