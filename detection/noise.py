"""Values that are volatile by nature: they change between fetches and say nothing about the rule.

Each kind is one small rule, registered explicitly in VOLATILE_RULES, that replaces what it recognises
with a placeholder. Text is compared in its masked form, so a view counter or a "last updated" stamp
never makes a change, while a date or number inside the rule text itself (an effective date, a
deadline) is left alone: only labelled or clock-shaped values are masked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from core.text import CJK_TEXT, nfkc

_DATE = (
    r"(?:\d{4}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}\s*日?"
    r"|(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]*,?\s+\d{1,2}\s+[A-Z][a-z]{2,8}\.?\s+\d{4}"
    r"|[A-Z][a-z]{2,8}\.?\s+\d{1,2},?\s+\d{4}"
    r"|\d{1,2}/\d{1,2}/\d{4}"
    r"|\d{1,2}\s+[A-Z][a-z]{2,8}\.?\s+\d{4})"
)
_TIME = (
    r"(?:\d{1,2}\s*[:：时]\s*\d{2}(?:\s*[:：分]\s*\d{2}\s*秒?)?(?:\s*[AaPp]\.?[Mm]\.?)?"
    r"(?:\s*(?:UTC|GMT|CST|[+-]\d{2}:?\d{2}|Z))?)"
)
_TIMESTAMP_LABEL = (
    r"(?:更新时间|更新日期|发布时间|发布日期|生成时间|修改时间|最后更新|时间|日期|"
    r"last\s+updated|last\s+modified|updated(?:\s+on|\s+at)?|modified|published(?:\s+on|\s+at)?|"
    r"posted(?:\s+on|\s+at)?|as\s+of|generated(?:\s+on|\s+at)?|retrieved)"
)
_COUNTER_LABEL = (
    r"(?:浏览|阅读|点击|访问|查看|围观|人气|访问量|浏览量|阅读量|点击量|点击率|在线人数|评论|点赞|转发)"
    r"(?:次数|数|量|人次)?"
)


@dataclass(frozen=True, slots=True)
class VolatileRule:
    """One kind of volatile value: a pattern and the name reported when it is ignored."""

    kind: str
    pattern: re.Pattern[str]
    description: str


VOLATILE_RULES: tuple[VolatileRule, ...] = (
    VolatileRule(
        "timestamp",
        re.compile(rf"{_TIMESTAMP_LABEL}\s*[:：]?\s*{_DATE}(?:[\sT,]*{_TIME})?", re.IGNORECASE),
        "a labelled publication or update stamp outside the rule text",
    ),
    VolatileRule(
        "timestamp",
        re.compile(rf"{_DATE}[\sT,]*{_TIME}"),
        "a date with a time of day (a clock reading, not a rule date)",
    ),
    VolatileRule(
        "counter",
        # 浏览次数：1532 / 阅读 (1,532) / 【点击数：1532】 / 已有1532人阅读 / 您是第1532位访问者
        re.compile(
            rf"{_COUNTER_LABEL}\s*[:：]?\s*[(（\[【]?\s*\d[\d,]*\s*[)）\]】]?\s*(?:次|人次|人)?"
            r"|已有\s*\d[\d,]*\s*(?:人|位)?\s*(?:阅读|浏览|访问|查看|点击)"
            r"|第\s*\d[\d,]*\s*位\s*访(?:问|客)者?",
            re.IGNORECASE,
        ),
        "a view/click counter",
    ),
    VolatileRule(
        "counter",
        re.compile(
            r"\b(?:page\s*views?|views?|reads?|hits|visits|clicks|visitors|comments|likes|shares|downloads)"
            r"\s*[:：(]\s*\d[\d,.]*\s*[kKmM]?\)?"
            r"|\b(?:page\s*)?views\s+\d[\d,]*\b"
            r"|\b\d[\d,.]*\s*[kKmM]?\s+(?:views|reads|hits|visits|visitors|clicks|comments|likes|shares)\b"
            r"|\byou are visitor (?:no\.?|number|#)?\s*\d[\d,]*",
            re.IGNORECASE,
        ),
        "a view/click counter",
    ),
    VolatileRule(
        "relative_time",
        re.compile(
            r"\b\d+\s*(?:seconds?|secs?|minutes?|mins?|hours?|hrs?|days?|weeks?)\s+ago\b|\bjust\s+now\b"
            r"|\d+\s*(?:秒|分钟|小时|天|周)前|刚刚",
            re.IGNORECASE,
        ),
        "a relative time",
    ),
    VolatileRule(
        "render_time",
        re.compile(
            r"(?:page\s+)?(?:generated|rendered|processed|served)\s+in\s+\d+(?:\.\d+)?\s*(?:ms|milliseconds?|s|sec|seconds?)\b"
            r"|(?:页面)?(?:生成|执行|加载|耗|用)时(?:间)?\s*[:：]?\s*\d+(?:\.\d+)?\s*(?:毫秒|秒|ms|s)",
            re.IGNORECASE,
        ),
        "how long the server took to build the page",
    ),
    VolatileRule(
        "token",
        re.compile(
            r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b"
            r"|\b(?=[0-9a-fA-F]*\d)(?=[0-9a-fA-F]*[a-fA-F])[0-9a-fA-F]{16,}\b"
        ),
        "a token, session id or hash",
    ),
    VolatileRule(
        "build_id",
        re.compile(r"\b(?:v|ver|version|build|rev|cb|_)\s*=\s*[\w.-]+", re.IGNORECASE),
        "a build or cache-busting id",
    ),
)

PLACEHOLDER = "\u2400"  # ␀: never occurs in scraped text
_LABEL_ONLY = re.compile(
    rf"{_TIMESTAMP_LABEL}|{_COUNTER_LABEL}|来源|作者|编辑|责任编辑|字号|打印|关闭|分享|大|中|小|"
    r"source|author|by|views?|reads?|hits|visits|clicks|comments|likes|shares|[\s\W_]|" + PLACEHOLDER,
    re.IGNORECASE,
)
_SPACE_NEAR_CJK = re.compile(rf"\s+(?=[{CJK_TEXT}])|(?<=[{CJK_TEXT}])\s+")
_WS = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class Masked:
    """Text with its volatile values replaced, and the kinds that were found."""

    text: str
    kinds: frozenset[str]

    @property
    def only_volatile(self) -> bool:
        """True when nothing but labels and volatile values is left: a metadata line."""
        return bool(self.kinds) and not _LABEL_ONLY.sub("", self.text)


def normalise(text: str) -> str:
    """Compare text as a reader would: NFKC, whitespace collapsed, no spaces next to CJK characters."""
    text = nfkc(text)
    return _SPACE_NEAR_CJK.sub("", _WS.sub(" ", text)).strip()


def mask(text: str) -> Masked:
    """The normalised text with every volatile value replaced by a placeholder."""
    text = normalise(text)
    kinds = set()
    for rule in VOLATILE_RULES:
        text, n = rule.pattern.subn(PLACEHOLDER, text)
        if n:
            kinds.add(rule.kind)
    return Masked(text, frozenset(kinds))


def describe(kind: str) -> str:
    for rule in VOLATILE_RULES:
        if rule.kind == kind:
            return rule.description
    return kind
