"""An English line for a Chinese change, built offline and deterministically from what the change is
made of: the article, each changed quantity with its unit, a change of modality, changed key dates,
and the glossary's English for the terms it names. Never a word-by-word translation: a word outside
the glossary is left out, not guessed.

    Art. 4 · reporting deadline 24 hours → 2 hours · shall (应当) · terms: cybersecurity incident (网络安全事件)

The same facts (block_facts) feed severity: a shortened deadline or a new prohibition weighs more.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from rulewatch.core.errors import TaxonomyError
from rulewatch.core.model import TextChange
from rulewatch.core.text import CJK_CHARACTER, article_key, nfkc
from rulewatch.detection.dates import cn_number, find_key_dates
from rulewatch.detection.tables import bundled_table, user_table

MAX_TERMS = 4  # glossary terms one line names; more is a word list, not a summary
MAX_LINES = 5  # changed blocks glossed in one alert; the rest are counted
_SPACES = re.compile(r"\s+")

QuantityKind = Literal["time", "share", "money", "count"]
Modality = Literal["", "may", "is encouraged to", "shall", "shall not"]
_MODAL_RANK: dict[str, int] = {"": 0, "may": 1, "is encouraged to": 1, "shall": 2, "shall not": 3}

# ---- quantities ------------------------------------------------------------------------------------

_NUMBER = r"(?P<num>\d+(?:\.\d+)?|[〇零一二两三四五六七八九十百千]+)"
# (pattern, English unit, kind, hours per unit for time)
_UNITS: tuple[tuple[str, str, QuantityKind, float], ...] = (
    (r"个?工作日", "working days", "time", 24.0),
    (r"个?小时", "hours", "time", 1.0),
    (r"分钟", "minutes", "time", 1 / 60),
    (r"个月", "months", "time", 720.0),
    (r"[日天]", "days", "time", 24.0),
    (r"(?:个)?年", "years", "time", 8760.0),
    (r"个百分点", "percentage points", "share", 1.0),
    (r"[%％]", "%", "share", 1.0),
    (r"万元", "yuan", "money", 1e4),
    (r"亿元", "yuan", "money", 1e8),
    (r"元", "yuan", "money", 1.0),
)
_QUANTITY = re.compile(
    rf"(?<!第){_NUMBER}\s*(?P<unit>" + "|".join(f"(?:{p})" for p, *_ in _UNITS) + ")"
)
_UNIT_PATTERNS = [(re.compile(p + "$"), en, kind, scale) for p, en, kind, scale in _UNITS]
# Dates are key dates, reported as such: their 年/月/日 are not quantities.
_CN_DIGIT = "〇零一二三四五六七八九十"
_DATE_LIKE = re.compile(rf"(?:\d{{4}}|[{_CN_DIGIT}]{{4}})\s*年(?:\s*[\d{_CN_DIGIT}]{{1,3}}\s*月"
                        rf"(?:\s*[\d{_CN_DIGIT}]{{1,3}}\s*[日号])?)?|[\d{_CN_DIGIT}]{{1,3}}\s*月\s*[\d{_CN_DIGIT}]{{1,3}}\s*[日号]")
# What a quantity measures, by the words near it (checked in order).
_LABELS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"报告|报送|通报|上报|report", re.IGNORECASE), "reporting deadline"),
    (re.compile(r"整改|remedia", re.IGNORECASE), "remediation deadline"),
    (re.compile(r"保存|留存|存储|保留|retain|retention", re.IGNORECASE), "retention period"),
    (re.compile(r"罚款|处罚|fine", re.IGNORECASE), "fine"),
    (re.compile(r"比例|占比|份额|不低于|达到|share|quota", re.IGNORECASE), "share"),
    (re.compile(r"评估|审计|检查|assess|audit", re.IGNORECASE), "assessment interval"),
)
_DEFAULT_LABEL: dict[QuantityKind, str] = {"time": "time limit", "share": "share", "money": "amount", "count": "number"}


@dataclass(frozen=True, slots=True)
class Quantity:
    """A number with its unit as the text states it (二十四小时: 24 hours)."""

    value: float
    unit: str  # English
    kind: QuantityKind
    scale: float  # in the kind's base unit (hours for time), to compare 3 days with 24 hours
    label: str

    @property
    def base(self) -> float:
        return self.value * self.scale


@dataclass(frozen=True, slots=True)
class QuantityChange:
    """A quantity the change moved: a deadline, a share, an amount."""

    old: Quantity
    new: Quantity

    @property
    def tightened(self) -> bool:
        """Stricter for whoever must comply: less time to act (but records kept longer), a higher share
        or a larger fine."""
        if self.new.kind == "time" and self.new.label != "retention period":
            return self.new.base < self.old.base
        return self.new.base > self.old.base

    def english(self) -> str:
        return f"{self.new.label} {_amount(self.old)} → {_amount(self.new)}"


def _number(value: float) -> str:
    return f"{int(value):,}" if value == int(value) else f"{value:,g}"


def _amount(q: Quantity) -> str:
    """24 hours, 1 year, 75%, CNY 500,000."""
    if q.kind == "money":
        return f"CNY {_number(q.base)}"
    if q.unit == "%":
        return f"{_number(q.value)}%"
    unit = q.unit[:-1] if q.value == 1 and q.unit.endswith("s") else q.unit
    return f"{_number(q.value)} {unit}"


def quantities(text: str) -> list[Quantity]:
    """The quantities a text states, in order; dates and ordinals (第四条) are not quantities."""
    text = _DATE_LIKE.sub(lambda m: "#" * len(m.group()), nfkc(text))
    out = []
    for m in _QUANTITY.finditer(text):
        raw = m.group("num")
        value = float(raw) if raw[0].isdigit() else cn_number(raw)
        if value is None or (m.group("unit").endswith("年") and value >= 1900):
            continue  # 2025年: a year, not a period of years
        unit, kind, scale = next((en, k, s) for p, en, k, s in _UNIT_PATTERNS if p.match(m.group("unit")))
        near = text[max(0, m.start() - 16):m.end() + 12]
        label = next((name for pattern, name in _LABELS if pattern.search(near)
                      and (kind == "time" or name not in ("reporting deadline", "remediation deadline",
                                                          "retention period", "assessment interval"))),
                     _DEFAULT_LABEL[kind])
        out.append(Quantity(float(value), unit, kind, scale, label))
    return out


def quantity_changes(old: str, new: str) -> list[QuantityChange]:
    """Quantities of one kind, paired in order, whose amount differs between the two texts."""
    before, after = quantities(old), quantities(new)
    out = []
    for kind in ("time", "share", "money"):
        olds = [q for q in before if q.kind == kind]
        news = [q for q in after if q.kind == kind]
        out += [QuantityChange(a, b) for a, b in zip(olds, news, strict=False) if a.base != b.base]
    return out


# ---- modality --------------------------------------------------------------------------------------

_MODALS: tuple[tuple[re.Pattern[str], Modality], ...] = (
    (re.compile(r"不得|禁止|严禁|不准"), "shall not"),
    (re.compile(r"\b(?:shall|must|may)\s+not\b|\bprohibited\b", re.IGNORECASE), "shall not"),
    (re.compile(r"应当|必须|应于|应在|应按"), "shall"),
    (re.compile(r"\b(?:shall|must|is\s+required\s+to|are\s+required\s+to)\b", re.IGNORECASE), "shall"),
    (re.compile(r"鼓励"), "is encouraged to"),
    (re.compile(r"可以"), "may"),
    (re.compile(r"\bmay\b", re.IGNORECASE), "may"),
)


def modality(text: str) -> tuple[Modality, str]:
    """The strongest modal a text uses, with the words that say it (应当): shall not > shall > may."""
    best: tuple[Modality, str] = ("", "")
    for pattern, modal in _MODALS:
        m = pattern.search(text)
        if m and _MODAL_RANK[modal] > _MODAL_RANK[best[0]]:
            best = (modal, m.group())
    return best


def _count(text: str, modal: Modality) -> int:
    return sum(len(p.findall(text)) for p, name in _MODALS if name == modal)


# ---- glossary --------------------------------------------------------------------------------------


class Glossary:
    """Chinese terms and their English, matched longest first on NFKC text without spaces."""

    def __init__(self, terms: dict[str, str]) -> None:
        self.terms = {nfkc(k).replace(" ", ""): v for k, v in terms.items()}
        ordered = sorted(self.terms, key=len, reverse=True)
        self._pattern = re.compile("|".join(map(re.escape, ordered))) if ordered else None

    def find(self, text: str) -> list[tuple[str, str]]:
        """The glossary's terms in `text`, in order of first appearance, each once, as (Chinese, English)."""
        if self._pattern is None:
            return []
        seen: dict[str, str] = {}
        for m in self._pattern.finditer(_SPACES.sub("", nfkc(text))):
            seen.setdefault(m.group(), self.terms[m.group()])
        return list(seen.items())

    @classmethod
    def load(cls, extra: Path | None = None) -> Glossary:
        """The bundled glossary, extended (and overridden) by `extra`, a YAML file of the same shape."""
        terms = _parse(bundled_table("glossary.yaml"), "detection/glossary.yaml")
        if extra is not None:
            terms.update(_parse(user_table(extra, "the glossary"), str(extra)))
        return cls(terms)


def _parse(data: object, where: str) -> dict[str, str]:
    if not isinstance(data, dict) or not isinstance(data.get("terms"), dict):
        raise TaxonomyError(f"{where}: expected a mapping with a 'terms:' mapping of Chinese term: English")
    out = {}
    for zh, en in data["terms"].items():
        if not isinstance(zh, str) or not isinstance(en, str) or not zh.strip() or not en.strip():
            raise TaxonomyError(f"{where}: term {zh!r}: both the term and its English must be non-empty text")
        out[zh.strip()] = en.strip()
    return out


# ---- facts and the line ----------------------------------------------------------------------------

_ARTICLE_EN = re.compile(r"第([一二三四五六七八九十百千零〇两\d]+)([条章节款])")
_ARTICLE_WORD = {"条": "Art.", "章": "Ch.", "节": "Sec.", "款": "Para."}
ROLE_EN = {"effective": "effective date", "comment_deadline": "comment deadline",
            "compliance_deadline": "compliance deadline", "repeal": "repeal"}


def article_english(key: str) -> str:
    """第四条 -> Art. 4, 第二章 -> Ch. 2; English keys (Article 5, § 3) as they are."""
    m = _ARTICLE_EN.fullmatch(key.replace(" ", ""))
    if not m:
        return key
    number = cn_number(m.group(1))
    return f"{_ARTICLE_WORD[m.group(2)]} {number}" if number is not None else key


@dataclass(frozen=True, slots=True)
class BlockFacts:
    """What one changed block is made of, for the English line and for severity."""

    article: str  # in English (Art. 4), or ""
    kind: str  # added, removed, changed
    chinese: bool
    quantities: tuple[QuantityChange, ...] = ()
    dates: tuple[str, ...] = ()  # changed key dates, in English
    modality_old: tuple[Modality, str] = ("", "")
    modality_new: tuple[Modality, str] = ("", "")
    new_prohibition: bool = False
    new_obligation: bool = False
    terms: tuple[tuple[str, str], ...] = ()  # what the change names: an amended block's new terms
    context: tuple[tuple[str, str], ...] = ()  # an amended block's terms that did not change: what it is about


def block_facts(change: TextChange, glossary: Glossary) -> BlockFacts:
    old, new = change.old, change.new
    changed = _terms_changed(change, glossary)
    dates: tuple[str, ...] = ()
    if change.kind == "changed":
        before = {(d.role, d.date) for d in find_key_dates([("", old)])}
        after = {(d.role, d.date) for d in find_key_dates([("", new)])}
        old_by_role = {role: day for role, day in before - after}
        dates = tuple(
            f"{ROLE_EN[role]} {old_by_role[role] or '?'} → {day or '?'}" if role in old_by_role
            else f"{ROLE_EN[role]} {day or 'set'}"
            for role, day in sorted(after - before))
    return BlockFacts(
        article=article_english(change.key or article_key(new or old)),
        kind=change.kind,
        chinese=bool(CJK_CHARACTER.search(old + new)),
        quantities=tuple(quantity_changes(old, new)) if change.kind == "changed" else (),
        dates=dates,
        modality_old=modality(old),
        modality_new=modality(new),
        new_prohibition=_count(new, "shall not") > _count(old, "shall not"),
        new_obligation=_count(new, "shall") > _count(old, "shall"),
        terms=tuple(changed[:MAX_TERMS]),
        context=tuple(t for t in glossary.find(new) if t not in changed)[:MAX_TERMS] if not changed and
        change.kind == "changed" else (),
    )


def _terms_changed(change: TextChange, glossary: Glossary) -> list[tuple[str, str]]:
    """The glossary terms a block's change is about: for an amended block, those the new text names more
    often than the old (an unchanged sentence around the change names its terms in both, and they are
    not news); for an added or removed block, all its terms."""
    if change.kind != "changed":
        return glossary.find(change.new or change.old)
    old, new = _SPACES.sub("", nfkc(change.old)), _SPACES.sub("", nfkc(change.new))
    return [(zh, en) for zh, en in glossary.find(change.new) if new.count(zh) > old.count(zh)]


def gloss_line(facts: BlockFacts) -> str:
    """One block's English line; "" for a block in English (it needs none)."""
    if not facts.chinese:
        return ""
    parts = []
    head = facts.article
    if facts.kind != "changed":
        head = f"{head} {facts.kind}".strip()
    if head:
        parts.append(head)
    parts += [q.english() for q in facts.quantities]
    parts += list(facts.dates)
    (old_modal, old_words), (new_modal, new_words) = facts.modality_old, facts.modality_new
    if facts.new_prohibition and facts.kind == "changed":
        parts.append(f"new prohibition: shall not ({new_words})")  # the strongest modal of the new text
    elif facts.kind == "changed" and old_modal and new_modal and old_modal != new_modal:
        parts.append(f"{old_modal} ({old_words}) → {new_modal} ({new_words})")
    elif new_modal and facts.kind != "removed":
        parts.append(f"{new_modal} ({new_words})")
    if facts.terms:
        parts.append(_terms(facts.terms))
    elif facts.context:  # the change names no term of its own: say what the article is about, as such
        parts.append(_terms(facts.context, "about"))
    return " · ".join(parts)


def _terms(terms: Sequence[tuple[str, str]], label: str = "terms") -> str:
    return f"{label}: " + ", ".join(f"{en} ({zh})" for zh, en in terms)


def gloss_text_changes(facts: list[BlockFacts]) -> str:
    """The English lines of an alert's changed blocks, at most MAX_LINES, the rest counted."""
    lines = [line for line in map(gloss_line, facts) if line]
    if len(lines) > MAX_LINES:
        lines = lines[:MAX_LINES] + [f"… and {len(lines) - MAX_LINES} more changed blocks"]
    return "\n".join(lines)


def gloss_title(title: str, glossary: Glossary, what: str) -> str:
    """The English line for a list item (a new, withdrawn or changed entry) with a Chinese title."""
    if not CJK_CHARACTER.search(title):
        return ""
    terms = glossary.find(title)[:MAX_TERMS]
    parts = [what] + ([_terms(terms)] if terms else [])
    return " · ".join(parts)
