"""Each kind of volatile value, in Chinese and English, is masked; rule dates and numbers are not."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rulewatch.core.text import CJK_TEXT, nfkc, strip_invisible
from rulewatch.detection.noise import mask, normalise

_WS_RUN = re.compile(r"\s+")

VOLATILE = [
    ("timestamp", "更新时间：2026-11-20 09:12:44", "更新时间：2026-11-27 16:41:03"),
    ("timestamp", "发布日期：2026年11月20日", "发布日期：2026年11月27日"),
    ("timestamp", "Last updated: Nov 20, 2026 09:12 UTC", "Last updated: Nov 27, 2026 16:41 UTC"),
    ("timestamp", "Fri, 20 Nov 2026 09:12:44 +0000", "Fri, 27 Nov 2026 16:41:03 +0000"),
    ("timestamp", "Generated 2026-11-20T09:12:44Z", "Generated 2026-11-27T16:41:03Z"),
    ("counter", "浏览次数：1532", "浏览次数：2718"),
    ("counter", "阅读量 1,532 次", "阅读量 2,718 次"),
    ("counter", "Views: 1532", "Views: 2718"),
    ("counter", "Page views 1,532", "Page views 2,718"),
    ("timestamp", "Updated 20/11/2026 09:12", "Updated 27/11/2026 16:41"),
    ("counter", "1.5k views", "2.7k views"),
    ("counter", "已有1532人阅读", "已有2718人阅读"),
    ("counter", "【点击数：1532】", "【点击数：2718】"),
    ("counter", "阅读 (1,532)", "阅读 (2,718)"),
    ("counter", "您是第1532位访问者", "您是第2718位访问者"),
    ("counter", "comments (12)", "comments (15)"),
    ("render_time", "Page generated in 0.123 seconds", "Page generated in 0.088 seconds"),
    ("render_time", "页面生成时间：0.123秒", "页面生成时间：0.088秒"),
    ("relative_time", "3 hours ago", "5 minutes ago"),
    ("relative_time", "发布于 3小时前", "发布于 刚刚"),
    ("token", "session 9f8e7d6c5b4a39281706f5e4d3c2b1a0", "session 0a1b2c3d4e5f60718293a4b5c6d7e8f9"),
    ("token", "req c3f1a9e2-55aa-4c1e-9b1f-0d2e7c9a1b11", "req 7d0b2f4c-91ee-4a53-8e6d-3c5a2b1f0e99"),
    ("build_id", "style.css?v=20261120a", "style.css?v=20261127b"),
]


@pytest.mark.parametrize(("kind", "before", "after"), VOLATILE)
def test_volatile_values_mask_to_the_same_text(kind: str, before: str, after: str) -> None:
    a, b = mask(before), mask(after)
    assert a.text == b.text
    assert kind in a.kinds


SUBSTANTIVE = [
    ("第八条 本办法自2027年1月1日起施行。", "第八条 本办法自2027年7月1日起施行。"),
    ("应当在事件发生后二十四小时内报告", "应当在事件发生后两小时内报告"),
    ("应当在24小时内报告", "应当在2小时内报告"),
    ("raise the share to 50 percent by 2027", "raise the share to 75 percent by 2030"),
    ("effective January 1, 2027", "effective July 1, 2027"),
    ("Comments are due by December 1, 2026.", "Comments are due by December 15, 2026."),
    ("Consumer reviews: 30 days after purchase", "Consumer reviews: 60 days after purchase"),
    ("The rule takes effect on 01/07/2027.", "The rule takes effect on 01/10/2027."),
    # A rule's own labelled dates are key dates, not update stamps.
    ("反馈意见截止日期：2026年6月12日", "反馈意见截止日期：2026年6月30日"),
    ("施行日期：2027年1月1日", "施行日期：2027年7月1日"),
    ("生效日期：2027-01-01", "生效日期：2027-07-01"),
]


@pytest.mark.parametrize(("before", "after"), SUBSTANTIVE)
def test_dates_and_numbers_in_rule_text_are_substantive(before: str, after: str) -> None:
    assert mask(before).text != mask(after).text


def test_metadata_line_is_only_volatile_but_a_rule_is_not() -> None:
    assert mask("更新时间：2026-11-20 09:12:44 浏览次数：1532").only_volatile
    assert mask("Last updated: Nov 27, 2026 16:41 UTC Views: 2718").only_volatile
    assert not mask("第八条 更新时间：2026-11-20 起，银行应当报告。").only_volatile
    assert not mask("第八条 本办法自2027年1月1日起施行。").only_volatile


def test_whitespace_and_full_width_forms_are_normalised() -> None:
    assert normalise("第 八 条　本办法\n  自发布之日起施行。") == normalise("第八条本办法自发布之日起施行。")
    assert normalise("ＡＢＣ  123") == "ABC 123"


@settings(max_examples=3000, deadline=None)
@given(st.text(alphabet=st.sampled_from(list(" \t\n\u3000\xa0ab1中文，。、「」：:Ａ\u200b")), max_size=20))
def test_normalise_drops_space_next_to_cjk_and_squashes_the_rest(text: str) -> None:
    """The one-pass normalise equals its definition: whitespace runs to one space, then the spaces
    next to a CJK character removed."""
    expected = _WS_RUN.sub(" ", nfkc(strip_invisible(text)))
    expected = re.sub(rf"\s+(?=[{CJK_TEXT}])|(?<=[{CJK_TEXT}])\s+", "", expected).strip()
    assert normalise(text) == expected
