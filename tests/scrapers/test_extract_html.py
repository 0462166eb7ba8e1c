"""HTML extraction: main content without furniture, lists with absolute clean URLs, overrides, walls."""

from __future__ import annotations

import pytest

from rulewatch.core.errors import ChallengePage, EmptyBody, ExtractError, NotADocument
from rulewatch.scrapers.extract import ExtractOptions, extract
from rulewatch.scrapers.extract.html import extract_html

BASE = "http://regulator.example/rules/index.html"

PAGE = """<!DOCTYPE html><html><head><title>Site | Rule</title><style>p{}</style>
<script>var token="abc";</script></head><body>
<div id="header" class="header"><a href="/">Home</a><a href="/rules/">Rules</a></div>
<nav><a href="/a">A</a></nav>
<form action="/search"><input type="hidden" name="_csrf" value="0a1b2c3d4e5f6071"><input name="q"></form>
<div class="wrap"><div class="left-content">
 <h1>数据安全管理办法</h1>
 <div class="info">发布时间：2026-11-20 09:12:44</div>
 <p>第一条 为了规范数据处理活动，制定本办法。</p>
 <p>第二条 本办法适用于银行业金融机构。</p>
 <p style="display:none">hidden tracking text</p>
 <div class="adbox" id="ad-slot-1"><img src="/ad.gif" alt="ad"> Buy now</div>
</div>
<div class="right-sidebar"><h3>热点</h3><ul><li><a href="/n1">网络安全宣传周</a></li><li><a href="/n2">采购新闻</a></li></ul></div>
</div><div class="footer">版权所有 © 2026</div></body></html>"""


def test_page_main_content_only() -> None:
    doc = extract_html(PAGE, BASE)
    assert doc.kind == "page"
    assert doc.title == "数据安全管理办法"
    texts = [b.text for b in doc.blocks]
    assert "第一条 为了规范数据处理活动，制定本办法。" in texts
    joined = "\n".join(texts)
    for furniture in ("Home", "网络安全宣传周", "采购新闻", "版权所有", "Buy now", "hidden tracking", "abc", "0a1b2c"):
        assert furniture not in joined


def test_article_numbers_become_block_keys() -> None:
    doc = extract_html(PAGE, BASE)
    assert [b.key for b in doc.blocks if b.key] == ["第一条", "第二条"]


def test_english_sections_are_keys_too() -> None:
    html = "<html><body><div><p>§ 1. Scope of this part and the rest of the text.</p><p>Article 2 Definitions used here.</p></div></body></html>"
    assert [b.key for b in extract_html(html, BASE).blocks] == ["§ 1", "Article 2"]


LIST = """<html><head><meta charset="utf-8"><title>政策法规</title></head><body>
<div class="nav"><a href="/">首页</a></div>
<div class="main"><div class="pages-date">更新时间：2026-11-20 09:12:44</div><ul class="list">
<li><a href="detail/5000.html?t=1763600000&spm=a.b.c" title="关于加强银行业金融机构网络安全管理的通知">关于加强银行业金融机构网络安全管理的...</a><span>2026-11-19</span></li>
<li><a href="detail/4997.html">关于做好新市民金融服务工作的通知</a><span>2026年11月18日</span></li>
<li><a href="/rules/detail/4994.html?">关于印发2027年度统计调查制度的通知</a><span>2026/11/17</span></li>
<li><a href="javascript:void(0)">关于一个没有链接的通知文件标题</a><span>2026-11-16</span></li>
</ul><div class="page">1 / 12 下一页</div></div>
<div class="sidebar"><ul><li><a href="/n/1">热点一则新闻标题</a></li><li><a href="/n/2">热点二则新闻标题</a></li>
<li><a href="/n/3">热点三则新闻标题</a></li></ul></div></body></html>"""


def test_list_items_have_absolute_clean_urls_titles_and_dates() -> None:
    doc = extract_html(LIST, BASE)
    assert doc.kind == "list"
    first, second, third, fourth = doc.items
    assert first.url == "http://regulator.example/rules/detail/5000.html"  # t= and spm= are gone
    assert first.title == "关于加强银行业金融机构网络安全管理的通知"  # full title attribute beats the truncated text
    assert first.date == "2026-11-19" and second.date == "2026-11-18" and third.date == "2026-11-17"
    assert third.url == "http://regulator.example/rules/detail/4994.html"
    assert fourth.url == "" and fourth.id == fourth.title  # a javascript: link is never followed
    assert all("热点" not in i.title for i in doc.items)


def test_list_selector_override() -> None:
    doc = extract_html(LIST, BASE, ExtractOptions(items="div.sidebar li"))
    assert [i.title for i in doc.items] == ["热点一则新闻标题", "热点二则新闻标题", "热点三则新闻标题"]


def test_select_and_exclude_override() -> None:
    doc = extract_html(PAGE, BASE, ExtractOptions(kind="page", select="div.left-content", exclude=("div.info",)))
    assert doc.blocks[0].text == "数据安全管理办法"
    assert not any("发布时间" in b.text for b in doc.blocks)


def test_selector_that_matches_nothing_is_a_clear_error() -> None:
    with pytest.raises(ExtractError, match="matched nothing"):
        extract_html(PAGE, BASE, ExtractOptions(select="div.nope"))


def test_whole_page_aspnet_form_is_kept() -> None:
    body = "<p>第一条 内容。</p>" * 30
    html = f"<html><body><form id='form1' action='x.aspx'><div class='content'>{body}</div></form></body></html>"
    assert len(extract_html(html, BASE).blocks) == 30


@pytest.mark.parametrize(
    "html",
    [
        "<html><head><script>var wzwschallenge='abc';</script></head><body></body></html>",
        "<html><body><noscript>Please enable JavaScript</noscript><script>document.cookie='x=1';location.reload()</script></body></html>",
        "<html><head><title>Just a moment...</title></head><body><div id='cf-browser-verification'></div></body></html>",
    ],
)
def test_challenge_pages_are_not_documents(html: str) -> None:
    with pytest.raises(ChallengePage):
        extract_html(html, BASE)


def test_error_page_served_with_200_is_not_a_document() -> None:
    with pytest.raises(NotADocument):
        extract_html("<html><head><title>404 Not Found</title></head><body><h1>Not Found</h1></body></html>", BASE)


def test_empty_and_blank_bodies() -> None:
    with pytest.raises(EmptyBody):
        extract(b"   ", "text/html", BASE)
    with pytest.raises(EmptyBody):
        extract(b"<html><body><div> </div></body></html>", "text/html", BASE)


def test_paragraphs_cut_right_when_the_page_uses_private_use_characters() -> None:
    # Paragraph boundaries are marked with a private-use character while blocks are cut; a page that
    # uses such characters itself (some Chinese sites do, for rare glyphs) must keep its text whole.
    html = ("<html><body><div class='content'><h1>标题\ue000一</h1>"
            "<p>第一条 甲\ue000乙\ue001丙。</p><p>第二条 丁<br>戊</p><ul><li>己</li><li>庚<b>辛</b>壬</li></ul>"
            "</div></body></html>")
    doc = extract_html(html, BASE, ExtractOptions(kind="page"))
    assert [b.text for b in doc.blocks] == ["标题\ue000一", "第一条 甲\ue000乙\ue001丙。", "第二条 丁", "戊", "己", "庚辛壬"]
    assert [b.key for b in doc.blocks][1:3] == ["第一条", "第二条"]


def test_selector_is_case_insensitive_on_tags_and_cached() -> None:
    html = "<html><body><DIV class='rule'><P>第一条 甲。</P></DIV><div class='x'><p>其他</p></div></body></html>"
    for _ in range(2):
        doc = extract_html(html, BASE, ExtractOptions(kind="page", select="DIV.rule"))
        assert [b.text for b in doc.blocks] == ["第一条 甲。"]


def _boxes_of_two() -> str:
    boxes = "".join(
        f"<div class='box'><section><h5><a href='/a/{i}.html'>关于第{i}批安全可控产品目录的公告</a></h5><p>2026-10-{i:02d}</p></section>"
        f"<section><h5><a href='/b/{i}.html'>关于第{i}批信息系统备案情况的通报</a></h5><p>2026-09-{i:02d}</p></section></div>"
        for i in range(1, 8))
    return f"<html><body><div class='content'>{boxes}</div></body></html>"


def test_boxes_holding_several_records_are_read_as_their_records() -> None:
    doc = extract_html(_boxes_of_two(), "https://www.example.gov.cn/tzgg/")
    assert doc.kind == "list" and len(doc.items) == 14
    assert doc.items[1].title == "关于第1批信息系统备案情况的通报" and doc.items[1].date == "2026-09-01"


def test_a_list_that_yields_no_items_from_dozens_of_dated_links_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    """`kind: list` on records of a shape rulewatch does not recognise (simulated: no group is found)
    must not read as an empty list forever: the page holds dozens of dated links, so it says it is blind."""
    from rulewatch.core.errors import LooksWrong
    from rulewatch.scrapers.extract import html as html_module

    monkeypatch.setattr(html_module, "_candidate_groups", lambda root, least=3: [])
    with pytest.raises(LooksWrong, match="14 dated links"):
        extract_html(_boxes_of_two(), "https://www.example.gov.cn/tzgg/", ExtractOptions(kind="list"))


@pytest.mark.parametrize(("text", "trail"), [
    ("当前位置： 首页 > 网信政务 > 政策法规 > 部门规章", True),
    ("您现在的位置：首页 > 正文", True),
    ("首页 / 政务公开 / 通知公告", True),
    ("You are here: Home » Rules", True),
    ("当前位置：", True),
    ("首页 > 第一条 为了规范数据处理活动，保障数据安全，促进数据开发利用，保护个人、组织的合法权益，制定本办法。", False),
    ("第一条 为了规范数据处理活动，制定本办法。", False),
    ("Home office equipment rules apply to contractors.", False),
])
def test_breadcrumb_trails_are_told_from_text(text: str, trail: bool) -> None:
    from rulewatch.scrapers.extract.html import is_trail

    assert is_trail(text) is trail


SCRIPTED_LIST = """<html><head><title>征求意见</title></head><body><div class="nav"><a href="/">首页</a></div>
<table class="list">
<tr><td><a href="javascript:void(0)" onclick="jumpDetail('8a1f0001','2')">信息安全技术 关键信息基础设施安全保护要求（征求意见稿）</a></td><td>2026-09-01</td></tr>
<tr><td><a onclick="jumpDetail('8a1f0002','2')">信息安全技术 网络安全事件报告指南（征求意见稿）</a></td><td>2026-08-20</td></tr>
<tr data-id="8a1f0003"><td><a href="#">信息安全技术 数据出境安全评估规范（征求意见稿）</a></td><td>2026-08-02</td></tr>
</table></body></html>"""


def test_link_pattern_builds_links_that_exist_only_in_script() -> None:
    options = ExtractOptions(kind="list", link_pattern=r"(?:jumpDetail\('|^)(?P<id>[0-9a-f]{8})",
                             url_template="https://std.example.org/detail?id={id}")
    doc = extract_html(SCRIPTED_LIST, "https://std.example.org/drafts", options)
    assert [i.url for i in doc.items] == [f"https://std.example.org/detail?id=8a1f000{n}" for n in (1, 2, 3)]
    assert [i.date for i in doc.items] == ["2026-09-01", "2026-08-20", "2026-08-02"]
    # without the pattern the same rows have no links to follow
    assert not any(i.url.startswith("https://std.example.org/detail") for i in extract_html(
        SCRIPTED_LIST, "https://std.example.org/drafts", ExtractOptions(kind="list")).items)


def test_link_pattern_without_a_template_takes_its_first_group_as_a_relative_link() -> None:
    html = SCRIPTED_LIST.replace("jumpDetail('8a1f0001','2')", "openDoc('/std/8a1f0001.html')")
    doc = extract_html(html, "https://std.example.org/drafts/",
                       ExtractOptions(kind="list", link_pattern=r"openDoc\('([^']+)'"))
    assert doc.items[0].url == "https://std.example.org/std/8a1f0001.html"


def test_a_template_naming_a_group_the_pattern_lacks_is_a_clear_error() -> None:
    with pytest.raises(ExtractError, match="url_template .* names a group link_pattern lacks"):
        extract_html(SCRIPTED_LIST, "https://std.example.org/", ExtractOptions(
            link_pattern=r"jumpDetail\('(\w+)'", url_template="https://std.example.org/d?id={code}"))
