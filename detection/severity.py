"""How much an alert matters: high, medium or low, with the reasons that add up to it.

Each signal that holds adds its weight from a documented table (detection/severity.yaml, which users
override with RULEWATCH_SEVERITY); the sum picks the level. Pure: the caller passes today's date.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Literal

from rulewatch.core.errors import TaxonomyError
from rulewatch.core.model import KeyDate, SeverityLevel
from rulewatch.detection.gloss import BlockFacts
from rulewatch.detection.lineage import is_draft
from rulewatch.detection.tables import bundled_table, user_table

Stage = Literal["final", "draft", "news"]
EFFECTIVE_SOON_DAYS = 30
COMMENTS_CLOSE_SOON_DAYS = 14

# A title that names a rule or notice; or a body built of articles (two article numbers at least).
_RULE_TITLE = re.compile(r"办法|规定|条例|细则|指引|指南|通知|决定|公告|意见|规则|标准|"
                         # English: a document's own kind, not a headline that mentions rules
                         r"\b(?:(?:interim\s+)?final\s+rules?|executive\s+order|requirements|regulations?\s+\(|"
                         r"directive\s+\(|standards?\s+for|rules?\s+of|guidance\s+(?:on|for)|notice\s+of)\b",
                         re.IGNORECASE)
_ARTICLE_MARK = re.compile(r"第[一二三四五六七八九十百零〇\d]+条|\bArticle\s+\d+|§\s*\d+")


@dataclass(frozen=True, slots=True)
class SeverityWeights:
    """The table of weights and level thresholds."""

    high: int
    medium: int
    signals: dict[str, int]
    issuers: dict[str, int]
    topics: dict[str, int]

    @classmethod
    def load(cls, extra: Path | None = None) -> SeverityWeights:
        """The bundled table, with `extra` (a YAML file of the same shape) replacing values key by key."""
        data = _parse(bundled_table("severity.yaml"), "detection/severity.yaml", known=None)
        if extra is not None:
            override = user_table(extra, "the severity table")
            for section, values in _parse(override, str(extra), known=data["signals"]).items():
                data[section].update(values)
        levels = data["levels"]
        # medium equal to high is a choice (two levels only); medium above high, or at 0, is a typo
        if not 0 < levels["medium"] <= levels["high"] <= MAX_WEIGHT:
            raise TaxonomyError(f"{extra or 'detection/severity.yaml'}: levels: medium ({levels['medium']}) must be "
                                f"above 0 and at most high ({levels['high']}), and high at most {MAX_WEIGHT}")
        return cls(levels["high"], levels["medium"], data["signals"], data["issuers"], data["topics"])

    def level(self, score: int) -> SeverityLevel:
        return "high" if score >= self.high else "medium" if score >= self.medium else "low"


MAX_WEIGHT = 100  # a weight or threshold beyond this is a typo (the bundled ones are single digits)


def _parse(data: Any, where: str, known: dict[str, int] | None) -> dict[str, dict[str, int]]:
    if not isinstance(data, dict):
        raise TaxonomyError(f"{where}: expected a mapping with levels, signals, issuers and topics")
    out: dict[str, dict[str, int]] = {"levels": {}, "signals": {}, "issuers": {}, "topics": {}}
    for section, values in data.items():
        if section not in out:
            raise TaxonomyError(f"{where}: unknown section {section!r} (expected {', '.join(out)})")
        if not isinstance(values, dict):
            raise TaxonomyError(f"{where}: {section}: expected a mapping of name: whole number")
        for name, weight in values.items():
            if not isinstance(weight, int) or isinstance(weight, bool):
                raise TaxonomyError(f"{where}: {section}.{name}: {weight!r} is not a whole number")
            if abs(weight) > MAX_WEIGHT:
                raise TaxonomyError(f"{where}: {section}.{name}: {weight} is beyond ±{MAX_WEIGHT}, the range "
                                    "in which weights add up to levels")
            if section == "levels" and name not in ("high", "medium"):
                raise TaxonomyError(f"{where}: levels.{name}: the levels are high and medium")
            if section == "signals" and known is not None and name not in known:
                raise TaxonomyError(f"{where}: signals.{name}: no such signal (known: {', '.join(sorted(known))})")
            out[section][str(name)] = weight
    return out


@dataclass(frozen=True, slots=True)
class Severity:
    level: SeverityLevel
    reasons: tuple[str, ...]
    score: int


def document_stage(title: str, text: str = "", issuer: str = "") -> Stage:
    """What a document is: a draft for comment, an adopted rule, or news (a press source, or a
    publication that reads as no rule at all)."""
    if is_draft(title, text):
        return "draft"
    if issuer == "press":
        return "news"
    if _RULE_TITLE.search(title) or len(_ARTICLE_MARK.findall(text[:20_000], 0)) >= 2:
        return "final"
    return "news"


_STAGE_SIGNAL = {"final": "final_rule", "draft": "draft_for_comment", "news": "news"}
_STAGE_LABEL = {"final": "an adopted rule or notice", "draft": "a draft for comment", "news": "news, not a rule"}
# How an alert's reasons say it is a draft: a Federal Register proposed rule says so in its record's
# type, not in its title, and the reason is what the stored alert keeps of that.
DRAFT_REASON = _STAGE_LABEL["draft"]


def reads_as_draft(title: str, reasons: tuple[str, ...]) -> bool:
    """Whether a stored alert is about a draft for comment: by its title, or by its severity reasons."""
    return is_draft(title) or any(r.startswith(DRAFT_REASON) for r in reasons)


def rate(
    *,
    stage: Stage,
    facts: Sequence[BlockFacts] = (),
    key_dates: Sequence[KeyDate] = (),
    withdrawn: bool = False,
    issuer: str = "",
    topics: Sequence[str] = (),
    today: date,
    weights: SeverityWeights,
) -> Severity:
    """The alert's level and the reasons for it, strongest first."""
    found: dict[str, list[str]] = {}  # signal -> what made it hold; each signal counts once

    def signal(name: str, label: str) -> None:
        found.setdefault(name, []).append(label)

    # What a news article reports (a "must", a deadline) binds no one: only a rule's own text weighs.
    for f in facts if stage != "news" else ():
        where = f" in {f.article}" if f.article else ""
        for q in f.quantities:
            if q.tightened:
                name = "deadline_tightened" if q.new.kind == "time" and q.new.label != "retention period" \
                    else "quantity_tightened"
                signal(name, f"{q.english()}{where}")
        if f.new_prohibition:
            signal("new_prohibition", f"new prohibition ({f.modality_new[1]}){where}")
        elif f.new_obligation and f.kind != "removed":
            signal("new_obligation", f"new obligation ({f.modality_new[1]}){where}")
        for moved in f.dates:
            signal("key_date_changed", f"{moved}{where}")
    if withdrawn:
        signal("withdrawn", "withdrawn from its list")
    for kd in key_dates:
        if kd.role == "repeal":
            signal("repeal", "repeals a rule" + (f" from {kd.date}" if kd.date else ""))
            break
    _soon(key_dates, today, signal)
    signal(_STAGE_SIGNAL[stage], _STAGE_LABEL[stage])  # last: on a tie, what the change does is named first
    weighted = [(_label(labels), weights.signals.get(name, 0)) for name, labels in found.items()]
    if issuer in weights.issuers:
        weighted.append((f"issuer: {issuer}", weights.issuers[issuer]))
    topic_weights = [(weights.topics.get(t, 0), t) for t in topics]
    if topic_weights:
        weight, topic = max(topic_weights)
        weighted.append((f"topic: {topic}", weight))
    score = sum(w for _, w in weighted)
    reasons = tuple(f"{label} ({w:+d})" for label, w in sorted(weighted, key=lambda lw: -lw[1]))
    return Severity(weights.level(score), reasons, score)


def _label(labels: list[str]) -> str:
    unique = list(dict.fromkeys(labels))
    return unique[0] + (f" (and {len(unique) - 1} more)" if len(unique) > 1 else "")


def _soon(key_dates: Sequence[KeyDate], today: date, signal: Callable[[str, str], None]) -> None:
    """The first effective date or deadline falling soon, and a consultation closing soon."""
    for role, name, days, label in (
        ("effective", "effective_within_30_days", EFFECTIVE_SOON_DAYS, "takes effect"),
        ("compliance_deadline", "effective_within_30_days", EFFECTIVE_SOON_DAYS, "compliance due"),
        ("comment_deadline", "comment_deadline_within_14_days", COMMENTS_CLOSE_SOON_DAYS, "comments close"),
    ):
        for kd in key_dates:
            if kd.role == role and kd.date:
                left = (date.fromisoformat(kd.date) - today).days
                if 0 <= left <= days:
                    signal(name, f"{label} {kd.date}, in {left} days")
                    break
