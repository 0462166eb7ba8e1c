"""The one table of noise: values that change between fetches and say nothing about the rule, in
every place they occur. Each row is one kind, with the scopes it applies to:

- TEXT: a value inside page text (a view counter, an update stamp), masked before comparing;
- JSON_KEY: a JSON record's field whose value is noise (a request id, a counter), left out of items;
- URL_PARAM: a query parameter that identifies a visit or a build, not a resource, dropped from links;
- LIST_FIELD: a list item's field whose change is never news (a counter), ignored when compared.

Dates and numbers inside the rule text itself (an effective date, a deadline) are never noise: only
labelled or clock-shaped values are. Adding a kind of noise is one row here and one case in
tests/data/noise/.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Scope = Literal["text", "json_key", "url_param", "list_field"]
TEXT: Scope = "text"
JSON_KEY: Scope = "json_key"
URL_PARAM: Scope = "url_param"
LIST_FIELD: Scope = "list_field"


@dataclass(frozen=True, slots=True)
class NoiseRule:
    """One kind of noise: where it applies, its pattern (searched in text; matched whole against a
    name, see name_key), and the reason reported when it is ignored.

    `hints` are lower-case strings of which every match in (normalised) text holds at least one: a
    text holding none is not searched. Most blocks of a rule hold none, and the patterns, tried at
    every position, cost more than the rest of masking together (tests/core/test_noise_hints.py).
    `needs`, for a rule no literal can hint at, is a simpler pattern every match holds a match of,
    searched first (a character-class scan the regex engine runs in C)."""

    kind: str
    scopes: Scope | frozenset[Scope]
    pattern: re.Pattern[str]
    description: str
    hints: tuple[str, ...] = ()
    needs: re.Pattern[str] | None = None

    def may_match(self, lowered: str) -> bool:
        """Whether the pattern can match a text whose lower-cased form is `lowered`."""
        return not self.hints or any(hint in lowered for hint in self.hints)

    def applies_to(self, scope: Scope) -> bool:
        return scope == self.scopes if isinstance(self.scopes, str) else scope in self.scopes


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
    # A bare 时间/日期 labels a stamp, but not a rule's own date (截止日期, 生效日期, 施行日期: key dates).
    r"(?:更新时间|更新日期|发布时间|发布日期|生成时间|修改时间|最后更新|"
    r"(?<!截止)(?<!生效)(?<!施行)(?<!实施)(?<!执行)(?<!废止)(?<!反馈)(?:时间|日期)|"
    r"last\s+updated|last\s+modified|updated(?:\s+on|\s+at)?|modified|published(?:\s+on|\s+at)?|"
    r"posted(?:\s+on|\s+at)?|as\s+of|generated(?:\s+on|\s+at)?|retrieved)"
)
_COUNTER_LABEL = (
    r"(?:浏览|阅读|点击|访问|查看|围观|人气|访问量|浏览量|阅读量|点击量|点击率|在线人数|评论|点赞|转发)"
    r"(?:次数|数|量|人次)?"
)


NOISE_RULES: tuple[NoiseRule, ...] = (
    NoiseRule(
        "timestamp", TEXT,
        re.compile(rf"{_TIMESTAMP_LABEL}\s*[:：]?\s*{_DATE}(?:[\sT,]*{_TIME})?", re.IGNORECASE),
        "a labelled publication or update stamp outside the rule text",
        ("时间", "日期", "最后更新", "updated", "modified", "published", "posted", "as of", "generated", "retrieved"),
    ),
    NoiseRule(
        "timestamp", TEXT,
        re.compile(rf"{_DATE}[\sT,]*{_TIME}"),
        "a date with a time of day (a clock reading, not a rule date)",
        (":", "：", "时"),
    ),
    NoiseRule(
        "counter", TEXT,
        # 浏览次数：1532 / 阅读 (1,532) / 【点击数：1532】 / 已有1532人阅读 / 您是第1532位访问者
        re.compile(
            rf"{_COUNTER_LABEL}\s*[:：]?\s*[(（\[【]?\s*\d[\d,]*\s*[)）\]】]?\s*(?:次|人次|人)?"
            r"|已有\s*\d[\d,]*\s*(?:人|位)?\s*(?:阅读|浏览|访问|查看|点击)"
            r"|第\s*\d[\d,]*\s*位\s*访(?:问|客)者?",
            re.IGNORECASE,
        ),
        "a view/click counter",
        ("浏览", "阅读", "点击", "访", "查看", "围观", "人气", "在线人数", "评论", "点赞", "转发"),
    ),
    NoiseRule(
        "counter", TEXT,
        re.compile(
            r"\b(?:page\s*views?|views?|reads?|hits|visits|clicks|visitors|comments|likes|shares|downloads)"
            r"\s*[:：(]\s*\d[\d,.]*\s*[kKmM]?\)?"
            r"|\b(?:page\s*)?views\s+\d[\d,]*\b"
            r"|\b\d[\d,.]*\s*[kKmM]?\s+(?:views|reads|hits|visits|visitors|clicks|comments|likes|shares)\b"
            r"|\byou are visitor (?:no\.?|number|#)?\s*\d[\d,]*",
            re.IGNORECASE,
        ),
        "a view/click counter",
        ("view", "read", "hits", "visit", "click", "comment", "like", "share", "download"),
    ),
    NoiseRule(
        "relative_time", TEXT,
        re.compile(
            r"\b\d+\s*(?:seconds?|secs?|minutes?|mins?|hours?|hrs?|days?|weeks?)\s+ago\b|\bjust\s+now\b"
            r"|\d+\s*(?:秒|分钟|小时|天|周)前|刚刚",
            re.IGNORECASE,
        ),
        "a relative time",
        ("ago", "just", "前", "刚刚"),
    ),
    NoiseRule(
        "render_time", TEXT,
        re.compile(
            r"(?:page\s+)?(?:generated|rendered|processed|served)\s+in\s+\d+(?:\.\d+)?\s*(?:ms|milliseconds?|s|sec|seconds?)\b"
            r"|(?:页面)?(?:生成|执行|加载|耗|用)时(?:间)?\s*[:：]?\s*\d+(?:\.\d+)?\s*(?:毫秒|秒|ms|s)",
            re.IGNORECASE,
        ),
        "how long the server took to build the page",
        ("generated", "rendered", "processed", "served", "时"),
    ),
    NoiseRule(
        "token", TEXT,
        re.compile(
            r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b"
            r"|\b(?=[0-9a-fA-F]*\d)(?=[0-9a-fA-F]*[a-fA-F])[0-9a-fA-F]{16,}\b"
        ),
        "a token, session id or hash",
        needs=re.compile(r"[0-9a-fA-F]{8}"),  # both forms start with 8 hex digits: half the pattern's cost
    ),
    NoiseRule(
        "build_id", TEXT,
        re.compile(r"\b(?:v|ver|version|build|rev|cb|_)\s*=\s*[\w.-]+", re.IGNORECASE),
        "a build or cache-busting id",
        ("=",),
    ),
    NoiseRule(
        "counter", frozenset({JSON_KEY, LIST_FIELD}),
        re.compile(
            r"(?:view|views|click|clicks|hit|hits|read|reads|visit|visits|browse|pv|uv|readnum|likes?|shares?|comments?"
            r"|favou?rites?|collects?|downloads?)"
            r"(?:count|counts|num|number|cnt|times|total)?"
        ),
        "a view/click counter field",
    ),
    NoiseRule(
        "request_id", JSON_KEY,
        re.compile(r"requestid|traceid|spanid|reqid|nonce|token|csrf|csrftoken|servertime|timestamp|ts|t|rnd|random|"
                   r"elapsed|took|costtime|responsetime|serverip|hostname|cachekey|etag|signature|sign"),
        "a field describing the request, not the record",
    ),
    NoiseRule(
        "tracking", URL_PARAM,
        re.compile(r"utm_\w+|spm|scm|from|source|share_token|fbclid|gclid|dclid|yclid|msclkid|mc_[ce]id|_ga|_gl"),
        "a campaign or tracking parameter",
    ),
    NoiseRule(
        "cache_buster", URL_PARAM,
        re.compile(r"v|ver|version|t|ts|_|_t|r|timestamp|time|rnd|rand|random|nocache|cb|cachebust|cache"),
        "a build or cache-busting parameter",
    ),
    NoiseRule(
        "signed_url", URL_PARAM,
        re.compile(r"x-amz-[\w-]+|x-goog-[\w-]+|signature|awsaccesskeyid|key-pair-id"),
        "a signature of a pre-signed download link, new on every page build",
    ),
    NoiseRule(
        "session", URL_PARAM,
        re.compile(r"sessionid|jsessionid|phpsessid|sid|token|csrf|_csrf|nonce"),
        "a session or one-time token",
    ),
)

PLACEHOLDER = "\u2400"  # ␀: never occurs in scraped text; masked values become it
# What is left of a line once its volatile values are gone, when it was only a metadata line.
LABEL_ONLY = re.compile(
    rf"{_TIMESTAMP_LABEL}|{_COUNTER_LABEL}|来源|作者|编辑|责任编辑|字号|打印|关闭|分享|大|中|小|"
    r"source|author|by|views?|reads?|hits|visits|clicks|comments|likes|shares|[\s\W_]|" + PLACEHOLDER,
    re.IGNORECASE,
)


def rules(scope: Scope) -> tuple[NoiseRule, ...]:
    """The rules of one scope, in table order."""
    return tuple(rule for rule in NOISE_RULES if rule.applies_to(scope))


def name_key(scope: Scope, name: str) -> str:
    """A name as its scope's rules match it: URL parameters lower-cased; JSON keys and list fields also
    without '_', '-' or other separators (so viewCount, view_count and VIEW-COUNT are one name)."""
    lowered = name.lower()
    return lowered if scope == URL_PARAM else re.sub(r"[^a-z0-9]", "", lowered)


def noisy_name(scope: Scope, name: str) -> NoiseRule | None:
    """The rule that makes a JSON key, URL parameter or list field noise, or None."""
    key = name_key(scope, name)
    for rule in rules(scope):
        if rule.pattern.fullmatch(key):
            return rule
    return None
