"""A TEXT rule's hints only skip texts its pattern cannot match: masking with them equals masking
with every pattern tried on every text."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from rulewatch.core.noise import PLACEHOLDER, TEXT, rules
from rulewatch.detection.noise import mask, normalise

# Pieces every pattern is built from, in several cases and widths, and plain rule text around them.
PIECES = [
    "更新时间", "发布日期", "最后更新", "时间", "日期", "截止日期", "Last Updated", "MODIFIED", "Published on",
    "posted at", "As  of", "generated", "Retrieved", "浏览次数", "阅读", "点击量", "访问", "已有", "人阅读", "第",
    "位访客", "查看", "评论", "views", "Reads", "HITS", "visitors", "Clicks", "comments", "likes", "shares",
    "downloads", "page views", "you are visitor no.", "ago", "Just now", "just  now", "分钟前", "刚刚", "rendered in",
    "served in", "页面生成时间", "耗时", "ms", "秒", "v=", "build = ", "ver=", "＝", "：", ":", "时", "分",
    "2024-03-01", "2024年3月1日", "12:30", "１２：３０", "3/1/2024", "Mar 1, 2024", "1 March 2024", "1532", "(1,532)",
    "【", "】", "0f3a9c2e4b5d6e7f8a", "123e4567-e89b-12d3-a456-426614174000", " ", "\u3000", "\n", "，", "。",
    "银行业金融机构应当", "第八条", "Article 5", "the operator shall report", "安全可控", "十五个工作日内",
]


def _mask_without_hints(text: str) -> tuple[str, frozenset[str]]:
    text = normalise(text)
    kinds = set()
    for rule in rules(TEXT):
        text, n = rule.pattern.subn(PLACEHOLDER, text)
        if n:
            kinds.add(rule.kind)
    return text, frozenset(kinds)


@settings(max_examples=3000, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=12))
def test_hints_never_change_what_is_masked(pieces: list[str]) -> None:
    text = "".join(pieces)
    masked = mask(text)
    assert (masked.text, masked.kinds) == _mask_without_hints(text)


def test_every_text_rule_says_what_its_matches_hold() -> None:
    """Only the token rule (any hex run) has no literal every match holds: it names a pattern instead."""
    unhinted = [rule.kind for rule in rules(TEXT) if not rule.hints]
    assert unhinted == ["token"]
    assert all(rule.needs is not None for rule in rules(TEXT) if not rule.hints)
    assert all(hint == hint.lower() for rule in rules(TEXT) for hint in rule.hints)


@settings(max_examples=2000, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("0123456789abcdefABCDEFgxyz-_ 中。=") + ["\u2400"]), max_size=60))
def test_a_rules_needs_holds_wherever_its_pattern_matches(text: str) -> None:
    for rule in rules(TEXT):
        if rule.needs is not None:
            for match in rule.pattern.finditer(text):
                assert rule.needs.search(match.group()), (rule.kind, match.group())
