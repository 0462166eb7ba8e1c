"""Key dates of a rule, found in its text: when it takes effect, when comments close, when an obligation
must be met, and what it repeals. Pure and deterministic.

A date is only a key date when its sentence gives it a role: 2025年1月1日发布 (a publication stamp), the
year in a document number (银保监发〔2021〕15号) and a bare "30日" are never key dates. Dates are read in
Chinese (2025年1月1日, 二〇二五年十二月三十一日, full-width digits, 12月31日 with the publication year)
and English (January 1, 2026; 1 January 2026; 2026-01-01); 发布之日 and "date of publication" resolve to
the publication date when it is known, and "30 days after publication" to that date plus 30 days.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, timedelta

from rulewatch.core.model import KeyDate, KeyDateRole
from rulewatch.core.text import CJK_CHARACTER, article_key, nfkc

MAX_DATES = 12  # key dates one alert carries; a long rule names its few real deadlines many times
MAX_SCAN_CHARS = 200_000  # text read for dates: a rule's own text, never a whole site
MAX_EVIDENCE = 300

_CN_DIGITS = {"〇": 0, "零": 0, "○": 0, "O": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6,
              "七": 7, "八": 8, "九": 9}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000}
_CN_NUM = "〇零○一二三四五六七八九十"
_MONTHS = {m: i for i, names in enumerate(
    [("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"), ("may",), ("june", "jun"),
     ("july", "jul"), ("august", "aug"), ("september", "sept", "sep"), ("october", "oct"),
     ("november", "nov"), ("december", "dec")], start=1) for m in names}
_MONTH = r"(?P<mon>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"

_DATE = re.compile(
    rf"(?P<cn>(?P<cy>\d{{4}}|[{_CN_NUM}]{{4}})\s*年\s*(?P<cm>\d{{1,2}}|[{_CN_NUM}]{{1,3}})\s*月\s*"
    rf"(?P<cd>\d{{1,2}}|[{_CN_NUM}]{{1,3}})\s*[日号])"
    rf"|(?P<md>(?<![\d年{_CN_NUM}])(?P<mm>\d{{1,2}}|[{_CN_NUM}]{{1,3}})\s*月\s*(?P<mdd>\d{{1,2}}|[{_CN_NUM}]{{1,3}})\s*[日号])"
    r"|(?P<iso>(?<![\d./-])(?P<iy>(?:19|20)\d\d)(?P<sep>[-/.])(?P<im>\d{1,2})(?P=sep)(?P<id>\d{1,2})(?![\d/-]|\.\d))"
    rf"|(?P<en1>\b{_MONTH}\s+(?P<ed1>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<ey1>\d{{4}})\b)"
    rf"|(?P<en2>\b(?P<ed2>\d{{1,2}})(?:st|nd|rd|th)?\s+{_MONTH.replace('mon', 'mon2')}\s+(?P<ey2>\d{{4}})\b)",
    re.IGNORECASE,
)
_PUBLICATION = re.compile(
    r"(?:发布|公布|印发|颁布|公告)之日(?:起(?P<cnn>\d{1,3}|[一二三四五六七八九十百]{1,4})(?:个)?(?:日|天)后)?"
    r"|(?:(?P<enn>\d{1,3})\s+days?\s+after\s+(?:the\s+date\s+of\s+)?publication"
    r"|(?:upon|on\s+the\s+date\s+of)\s+publication)",
    re.IGNORECASE,
)

# Roles, by the words around a date in its clause (checked in this order).
_COMMENT = re.compile(r"意见|征求|反馈|comments?\b|comment\s+period", re.IGNORECASE)
_EFFECTIVE_AFTER = re.compile(r"^\s*(?:起|开始)?\s*(?:正式)?(?:施行|实施|生效|执行)|^\s*(?:起|开始)\s*试行")
_EFFECTIVE_BEFORE = re.compile(
    r"(?:effective(?:\s+date)?(?:\s+(?:on|as\s+of|is|beginning|starting))?|takes?\s+effect(?:\s+on)?|"
    r"(?:enter|entered|enters)\s+into\s+force(?:\s+on)?|becomes?\s+effective(?:\s+on)?|apply\s+from)\s*[:,]?\s*$",
    re.IGNORECASE)
_EFFECTIVE_SHALL = re.compile(r"^\s*[,，]?\s*(?:and\s+)?(?:shall|will)\s+(?:take\s+effect|enter\s+into\s+force|"
                              r"become\s+effective|apply)", re.IGNORECASE)
_DEADLINE_AFTER = re.compile(r"^\s*(?:以前|之前|前)")
_DEADLINE_BEFORE = re.compile(
    r"(?:no\s+later\s+than|not\s+later\s+than|on\s+or\s+before|by|before|until|compliance\s+date(?:\s+is)?|"
    r"(?:closes?|closing|ends?)(?:\s+on)?)"
    r"(?:\s+\d{1,2}(?::\d\d)?\s*[ap]\.?m\.?(?:\s+[A-Z]{1,4}T)?,?)?(?:\s+on)?\s*$", re.IGNORECASE)
# "The compliance date for this rule is March 1, 2028", "compliance with § 1.5 is required beginning",
# "must comply by", "Compliance date:": a compliance deadline, read over the words before the date.
_COMPLIANCE_BEFORE = re.compile(
    r"(?:compliance\s+date(?:\s+(?:for|of)\s+[^.;]{1,60}?)?(?:\s+(?:is|will\s+be|shall\s+be))?"
    r"|compliance\s+(?:with\s+[^;]{1,80}?\s+)?(?:is|will\s+be|shall\s+be)\s+required"
    r"(?:\s+(?:beginning|starting|from|on|as\s+of|by|no\s+later\s+than))?(?:\s+on)?"
    r"|(?:must|shall)\s+(?:be\s+in\s+)?compl(?:y|iance)(?:\s+with\s+[^;]{1,80}?)?\s+(?:by|no\s+later\s+than|"
    r"beginning|starting|on\s+or\s+before)(?:\s+on)?)\s*[:,]?\s*$",
    re.IGNORECASE)
_DEADLINE_CN = re.compile(r"截止")  # 截止 is a deadline; 截至 ("as of") is not
_RECURRING = re.compile(r"(?:每年|每季度|每月|每半年|annually|each\s+year)\s*$", re.IGNORECASE)
_OBLIGATION_EN = re.compile(r"\b(?:must|shall|required|comply|compliance|complete|submit|report|implement)\b",
                            re.IGNORECASE)
_REPEAL = re.compile(r"废止|停止执行|不再执行|\brepeal(?:ed|s)?\b|\brescind(?:ed|s)?\b",
                     re.IGNORECASE)
# 本办法已于2025年6月1日废止, 自2026年1月1日起废止: the day a rule stops applying.
_REPEAL_AFTER = re.compile(r"^\s*(?:起|开始)?\s*(?:正式|同时)?(?:废止|停止执行|不再执行|失效)")
_REPEAL_EN_DATE = re.compile(r"(?:repeal(?:ed|s)?|rescind(?:ed|s)?)\s+(?:effective|as\s+of|on)\s*$", re.IGNORECASE)
_PUBLISHED_CUE = re.compile(r"^\s*(?:发布|印发|公布|签发|成文)|(?:published|issued|dated|signed)\s*(?:on)?\s*[:,]?\s*$",
                            re.IGNORECASE)
_SENTENCE = re.compile(r"[^。；;！？!?\n]+[。；;！？!?]?")
_EN_SENTENCE_END = re.compile(r"\.\s+(?=[A-Z(])")
# Words an English sentence does not end at, though a full stop and a capital follow (No. 5, Jan. 1, U.S. Code).
_ABBREVIATIONS = frozenset({"no", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov",
                            "dec", "art", "arts", "sec", "secs", "fed", "reg", "inc", "co", "st", "vol", "pt",
                            "s", "u.s", "mr", "ms", "dr", "e.g", "i.e", "etc", "cf", "para", "p", "pp"})
# Words without which a block holds no key date: one quick scan of literals skips most blocks before the
# date patterns (whose alternatives are costly to try at every position) run.
_CANDIDATE = re.compile(r"[年月废]|之日|停止执行|不再执行|ublication|UBLICATION|epeal|EPEAL|escind|ESCIND|\d\d\d\d")


def _may_hold_a_date(text: str) -> bool:
    return _CANDIDATE.search(text) is not None
_CLAUSE_BREAK = re.compile(r"[,，、:：]")
_CITED_TITLE = re.compile(r"《[^《》]{0,200}》|〈[^〈〉]{0,200}〉")  # a date inside a cited title is its name
CLAUSE_DISTANCE = 100  # how far a clause break sets a comment cue from a date, in characters


@dataclass(frozen=True, slots=True)
class _Found:
    day: str  # ISO date, or "" for a month and day whose year is not known
    start: int
    end: int


def cn_number(text: str) -> int | None:
    """A number written in digits or Chinese numerals: 12, 十二, 三十一, 二〇二五 (digit by digit), 一百二十,
    两小时's 两, 三千."""
    if text.isdigit():
        return int(text)
    if text and all(c in _CN_DIGITS for c in text):
        value = 0
        for c in text:
            value = value * 10 + _CN_DIGITS[c]
        return value
    total, current = 0, 0
    for c in text:
        if c in _CN_DIGITS:
            current = _CN_DIGITS[c]
        elif c in _CN_UNITS:
            total += (current or 1) * _CN_UNITS[c]
            current = 0
        else:
            return None
    return total + current


def _iso(year: int | None, month: int | None, day: int | None) -> str:
    if year is None or month is None or day is None:
        return ""
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return ""


def _parse_published(published: str) -> date | None:
    try:
        return date.fromisoformat(published[:10]) if published else None
    except ValueError:
        return None


def _dates_in(sentence: str, published: date | None) -> list[_Found]:
    found: list[_Found] = []
    for m in _DATE.finditer(sentence):
        if _RECURRING.search(sentence[max(0, m.start() - 6):m.start()]):
            continue  # 每年3月31日前: a date every year, not one day a calendar can hold
        if m.group("cn"):
            day = _iso(cn_number(m.group("cy")), cn_number(m.group("cm")), cn_number(m.group("cd")))
        elif m.group("md"):
            # 12月31日: the year is the publication's (or the next, for a day already past then).
            if published is None:
                continue
            day = _iso(published.year, cn_number(m.group("mm")), cn_number(m.group("mdd")))
            if day and day < published.isoformat():
                day = _iso(published.year + 1, cn_number(m.group("mm")), cn_number(m.group("mdd")))
        elif m.group("iso"):
            day = _iso(int(m.group("iy")), int(m.group("im")), int(m.group("id")))
        elif m.group("en1"):
            day = _iso(int(m.group("ey1")), _MONTHS[m.group("mon").lower()], int(m.group("ed1")))
        else:
            day = _iso(int(m.group("ey2")), _MONTHS[m.group("mon2").lower()], int(m.group("ed2")))
        if day:
            found.append(_Found(day, m.start(), m.end()))
    for m in _PUBLICATION.finditer(sentence):
        # 发布之日 with no known publication date is still a key date: "on publication", day unknown.
        after = m.group("cnn") or m.group("enn")
        shift = (cn_number(after) or 0) if after else 0
        day = (published + timedelta(days=shift)).isoformat() if published else ""
        found.append(_Found(day, m.start(), m.end()))
    return sorted(found, key=lambda f: f.start)


def _clause_before(sentence: str, start: int) -> str:
    """The words before a date, back to the previous clause break (at most 40 characters)."""
    # A label's own colon (截止日期：, Effective date:) belongs to the date, not to an earlier clause.
    head = sentence[max(0, start - 40):start].rstrip(" :：")
    parts = _CLAUSE_BREAK.split(head)
    return parts[-1] if parts else head


def _role(sentence: str, found: _Found, deadline: bool, commented: bool) -> KeyDateRole | None:
    """The role a date plays in its sentence; `deadline`: its words make it one (_is_deadline);
    `commented`: a comment cue of the sentence is its own (_commented)."""
    before = _clause_before(sentence, found.start)
    after = sentence[found.end:found.end + 30]
    wide_before = sentence[max(0, found.start - 120):found.start]
    if _PUBLISHED_CUE.search(after[:4]) or _PUBLISHED_CUE.search(before):
        return None
    if _COMPLIANCE_BEFORE.search(wide_before):
        return "compliance_deadline"
    if _REPEAL_AFTER.search(after):
        return "repeal"
    if _EFFECTIVE_AFTER.search(after) or _EFFECTIVE_BEFORE.search(before) or _EFFECTIVE_SHALL.search(after):
        return "effective"
    if _REPEAL_EN_DATE.search(before):
        return "effective"
    if not deadline:
        return None
    if commented:
        return "comment_deadline"
    if CJK_CHARACTER.search(sentence) or _OBLIGATION_EN.search(sentence):
        return "compliance_deadline"
    return None


def _is_deadline(sentence: str, found: _Found) -> bool:
    before = _clause_before(sentence, found.start)
    after = sentence[found.end:found.end + 30]
    return bool(_DEADLINE_AFTER.search(after) or _DEADLINE_BEFORE.search(before)
                or _DEADLINE_CN.search(before + after[:6]))


def _commented(sentence: str, deadlines: list[_Found]) -> set[_Found]:
    """The deadlines that the sentence's comment cues belong to: each cue to the nearest one, a clause
    break counting as CLAUSE_DISTANCE characters. 请于1月31日前反馈意见，各机构应于6月30日前完成整改 gives
    comments the first day only; 现公开征求意见，截止日期为1月31日 gives them the one deadline there is."""
    if not deadlines:
        return set()
    return {min(deadlines, key=lambda found: _apart(sentence, found, cue.start(), cue.end()))
            for cue in _COMMENT.finditer(sentence)}


def _apart(sentence: str, found: _Found, start: int, end: int) -> int:
    """How far a cue (start, end) sits from a date: the characters between, a clause break counting more."""
    lo, hi = (found.end, start) if found.end <= start else (end, found.start)
    gap = sentence[lo:hi] if lo < hi else ""
    return len(gap) + CLAUSE_DISTANCE * len(_CLAUSE_BREAK.findall(gap))


def _sentences(text: str) -> Iterable[str]:
    for chunk in _SENTENCE.findall(text):
        yield from (s for s in _english_sentences(chunk) if s.strip())


def _english_sentences(chunk: str) -> list[str]:
    """English sentences end at ". " before a capital, except after an abbreviation (No., Jan., U.S.)."""
    out: list[str] = []
    start = 0
    for m in _EN_SENTENCE_END.finditer(chunk):
        last_word = chunk[start:m.start()].rsplit(None, 1)[-1:] or [""]
        word = last_word[0].lstrip("(").lower()
        if word in _ABBREVIATIONS or (len(word) == 1 and word.isalpha()):
            continue
        out.append(chunk[start:m.start() + 1])
        start = m.end()
    out.append(chunk[start:])
    return out


def _article(block_key: str, block_text: str) -> str:
    if block_key:
        return block_key
    return article_key(block_text)


def sentence_key_dates(sentence: str, published: date | None, article: str = "") -> list[KeyDate]:
    """The key dates one sentence sets."""
    evidence = sentence.strip()[:MAX_EVIDENCE]
    cited = [m.span() for m in _CITED_TITLE.finditer(sentence)]
    founds = [f for f in _dates_in(sentence, published) if not any(lo <= f.start < hi for lo, hi in cited)]
    deadlines = [f for f in founds if _is_deadline(sentence, f)]
    commented = _commented(sentence, deadlines)
    out: list[KeyDate] = []
    effective = ""
    for found in founds:
        role = _role(sentence, found, found in deadlines, found in commented)
        if role is None:
            continue
        if role == "effective":
            effective = effective or found.day
        out.append(KeyDate(role, found.day, evidence, article))
    dated_repeal = any(kd.role == "repeal" for kd in out)
    if not dated_repeal and _REPEAL.search(sentence) and not re.search(r"意见|comment", sentence, re.IGNORECASE):
        out.append(KeyDate("repeal", effective, evidence, article))
    return out


def find_key_dates(blocks: Iterable[tuple[str, str]], published: str = "") -> tuple[KeyDate, ...]:
    """The key dates in a document's blocks ((article key, text) pairs), in reading order, each once.

    `published` (an ISO date) resolves 发布之日, "upon publication" and 12月31日 without a year."""
    pub = _parse_published(published)
    out: list[KeyDate] = []
    seen: set[tuple[str, str]] = set()
    budget = MAX_SCAN_CHARS
    for key, raw in blocks:
        if budget <= 0 or len(out) >= MAX_DATES:
            break
        scanned, budget = raw[:budget], budget - len(raw)
        if not _may_hold_a_date(scanned):
            continue
        text = nfkc(scanned)
        if not _DATE.search(text) and not _PUBLICATION.search(text) and not _REPEAL.search(text):
            continue
        article = _article(key, text)
        for sentence in _sentences(text):
            for kd in sentence_key_dates(sentence, pub, article):
                if (kd.role, kd.date) in seen and kd.role != "repeal":
                    continue
                seen.add((kd.role, kd.date))
                out.append(kd)
    # A repeal in a sentence of its own (原《…》同时废止) takes effect with the rule.
    effective = next((kd.date for kd in out if kd.role == "effective" and kd.date), "")
    out = [replace(kd, date=effective) if kd.role == "repeal" and not kd.date else kd for kd in out]
    return tuple(out[:MAX_DATES])


def field_key_dates(fields: Iterable[tuple[str, str]]) -> tuple[KeyDate, ...]:
    """Key dates a structured record names (the Federal Register's effective_on, comments_close_on)."""
    roles: dict[str, KeyDateRole] = {"effective_on": "effective", "effective_date": "effective",
                                     "comments_close_on": "comment_deadline", "comment_date": "comment_deadline",
                                     "compliance_date": "compliance_deadline"}
    out = []
    for name, value in fields:
        role = roles.get(name.lower())
        day = value.strip()[:10]
        if role and _parse_published(day):
            out.append(KeyDate(role, day, f"{name}: {value.strip()}"))
    return tuple(out)


def kept_with_key_dates(text: str, limit: int) -> str:
    """`text` cut to `limit` characters, followed by the sentences past the cut that set key dates
    (at most MAX_DATES): a rule's effective date sits in its last article, past any opening kept."""
    if len(text) <= limit:
        return text
    opening, rest = text[:limit], text[limit:]
    sentences = list(dict.fromkeys(kd.evidence for kd in find_key_dates([("", rest)]) if kd.evidence))
    return opening + ("\n…\n" + "\n".join(sentences) if sentences else "")
