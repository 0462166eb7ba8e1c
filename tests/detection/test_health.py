"""Health decisions, pure: an error page in disguise, a repeal notice, and the notices a source earns."""

from __future__ import annotations

import pytest

from core.model import Block, Document
from detection.compare import compare
from detection.health import SourceHealth, collapsed
from detection.judge import judge
from detection.relevance import Taxonomy

RULE = Document(kind="page", url="u", title="网络安全事件报告管理办法", blocks=[
    Block(f"第{n}条 银行业金融机构应当按照规定报告网络安全事件，并对供应商开展安全审查。", key=f"第{n}条") for n in range(1, 21)])


@pytest.mark.parametrize("notice", ["本办法已废止。", "本办法自2027年1月1日起废止", "This rule has been repealed.",
                                    "本通知已失效", "Withdrawn by the agency."])
def test_a_rule_that_shrinks_into_a_repeal_notice_is_a_change(notice: str) -> None:
    repealed = Document(kind="page", url="u", title=RULE.title, blocks=[Block(notice)])
    assert collapsed(RULE, repealed) is None
    change = compare(RULE, repealed)
    verdict = judge(change, RULE, repealed, Taxonomy.load())
    assert change.substantive and verdict.relevant and verdict.alerts


@pytest.mark.parametrize("stub", ["系统维护中，请稍后访问。", "Service temporarily unavailable", "页面不存在"])
def test_a_page_that_shrinks_into_anything_else_is_an_error_page(stub: str) -> None:
    problem = collapsed(RULE, Document(kind="page", url="u", title="", blocks=[Block(stub)]))
    assert problem is not None and problem.reason == "collapsed"


def test_notices_once_per_outage() -> None:
    health = SourceHealth(notify_after=3)
    assert health.failing("s", "u", 2, "timeout", notified=False) is None
    notice = health.failing("s", "u", 3, "timeout", notified=False)
    assert notice is not None and notice.kind == "source_failing" and notice.subject == "health:s"
    assert health.failing("s", "u", 4, "timeout", notified=True) is None
    assert health.recovered("s", "u", 4, notified=False) is None
    recovered = health.recovered("s", "u", 4, notified=True)
    assert recovered is not None and recovered.kind == "source_recovered" and "after 4 failures" in recovered.added


@pytest.mark.parametrize("invisible", ["\u200b", "\u200d", "\u2060", "\ufeff", "\u00ad", "\u202e", "\x1a"])
def test_invisible_characters_neither_hide_a_keyword_nor_make_a_change(invisible: str) -> None:
    old = Document(kind="page", url="u", title="办法", blocks=[Block("第一条 运营者应当报告网络安全事件。")])
    hidden = Document(kind="page", url="u", title="办法", blocks=[Block(f"第一条 运营者应当报告网络{invisible}安全事件。")])
    assert not compare(old, hidden).substantive  # nothing a reader can see changed
    amended = Document(kind="page", url="u", title="办法", blocks=[
        Block(f"第一条 运营者应当在两小时内报告网络{invisible}安全事件。")])
    change = compare(old, amended)
    verdict = judge(change, old, amended, Taxonomy.load())
    assert change.substantive and verdict.relevant and "网络安全" in verdict.matched_terms
