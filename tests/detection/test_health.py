"""Health decisions, pure: an error page in disguise, a repeal notice, and the notices a source earns."""

from __future__ import annotations

import pytest

from rulewatch.core.model import Block, Document
from rulewatch.detection.compare import compare
from rulewatch.detection.health import SourceHealth, collapsed
from rulewatch.detection.judge import judge
from rulewatch.detection.relevance import Taxonomy

RULE = Document(kind="page", url="u", title="网络安全事件报告管理办法", blocks=[
    Block(f"第{n}条 银行业金融机构应当按照规定报告网络安全事件，并对供应商开展安全审查。", key=f"第{n}条") for n in range(1, 21)])


@pytest.mark.parametrize("notice", ["本办法已废止。", "本办法自2027年1月1日起废止", "This rule has been repealed.",
                                    "本通知已失效", "Withdrawn by the agency."])
def test_a_rule_that_shrinks_into_a_repeal_notice_is_a_change(notice: str) -> None:
    repealed = Document(kind="page", url="u", title=RULE.title, blocks=[Block(notice)])
    assert collapsed(RULE, repealed) is None
    change = compare(RULE, repealed)
    verdict = judge(change, RULE, repealed, Taxonomy.load())
    assert change.substantive and verdict.relevant and verdict.findings


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


NOTICE = Document(kind="page", url="u", title="关于开展网络安全检查的通知", blocks=[
    Block("各银行业金融机构：为落实网络安全工作要求，现就开展2026年网络安全检查有关事项通知如下。"),
    Block("一、检查范围包括核心业务系统、互联网应用和外包服务。"),
    Block("二、请于2026年11月30日前报送自查报告，并说明防火墙策略和入侵检测配置情况。"),
    Block("三、联系人：科技监管处，电话：010-00000000。")])


@pytest.mark.parametrize(("title", "text"), [
    ("Attention Required! | Example CDN", "Sorry, you have been blocked. You are unable to access example.gov.cn. "
                                          "Cloud security service. Ray ID: 8a1b2c3d4e5f6a7b Your IP: 203.0.113.9"),
    ("", "您的访问请求被拦截。网站防火墙检测到疑似攻击行为。事件ID：a3f9c2d17b8e4f60。"),
    ("访问受限", "当前访问疑似黑客攻击，已被网站云盾拦截。请求ID：203.0.113.77-1733650000"),
    ("403 Forbidden", "Request blocked by the web application firewall. Reference #18.4f2e1b17.1733650000.9a1b2c"),
])
def test_a_short_page_replaced_by_a_block_page_is_a_failure(title: str, text: str) -> None:
    """Recognised by shape (says it blocked, by what, with an id), and by the drop from the last good
    size, whichever vendor wrote it: a short notice replaced by one must not alert 'Amended' twice."""
    blocked = Document(kind="page", url="u", title=title, blocks=[Block(text)])
    problem = collapsed(NOTICE, blocked)
    assert problem is not None and problem.reason == "collapsed" and "block page" in str(problem)


def test_a_short_security_notice_that_names_firewalls_is_not_a_block_page() -> None:
    amended = Document(kind="page", url="u", title=NOTICE.title, blocks=[*NOTICE.blocks[:3]])
    assert collapsed(NOTICE, amended) is None
    assert collapsed(None, NOTICE) is None


def test_a_list_that_comes_back_as_a_page_failed() -> None:
    from rulewatch.core.model import Item

    listed = Document(kind="list", url="u", items=[Item(id=str(i), title=f"关于第{i}批产品目录的公告") for i in range(10)],
                      metadata={"reader": "3"})
    block = Document(kind="page", url="u", title="提示", blocks=[Block("请稍后再试")], metadata={"reader": "3"})
    problem = collapsed(listed, block)
    assert problem is not None and "10 items are all gone" in str(problem)
    assert collapsed(listed, Document(kind="page", url="u", blocks=[Block("正文" * 100)], metadata={"reader": "4"})) is None


def test_a_short_notice_that_shrinks_to_a_handful_of_characters_failed() -> None:
    short = Document(kind="page", url="u", title="通知", blocks=[Block("各单位：请于2026年11月30日前报送网络安全自查报告，逾期未报送的，予以通报。")])
    problem = collapsed(short, Document(kind="page", url="u", title="通知", blocks=[Block("暂无")]))
    assert problem is not None and problem.reason == "collapsed"


def test_a_page_that_loses_most_of_its_blocks_at_once_is_a_suspected_partial_render() -> None:
    from rulewatch.detection.health import partial_render

    half = Document(kind="page", url="u", title=RULE.title, blocks=RULE.blocks[:6])
    assert "lost 14 of its 20 blocks" in partial_render(RULE, half)
    rewritten = Document(kind="page", url="u", title=RULE.title,
                         blocks=[Block(f"第{n}条 新的条文内容第{n}项。") for n in range(1, 8)])
    assert partial_render(RULE, rewritten) == ""  # new text in place of the old: a real rewrite
    assert partial_render(RULE, Document(kind="page", url="u", title=RULE.title, blocks=RULE.blocks[:15])) == ""
    assert partial_render(None, half) == ""
