"""JSON APIs: record arrays found by shape, fields by name, HTML inside records, volatile fields dropped."""

from __future__ import annotations

import json

import pytest

from rulewatch.core.errors import ExtractError
from rulewatch.scrapers.extract import ExtractOptions, extract
from rulewatch.scrapers.extract.jsondoc import extract_json

NFRA_LIST = {
    "rptCode": 200, "msg": "成功",
    "data": {"total": 2, "rows": [
        {"docId": 1163521, "docSubtitle": "银行保险机构数据安全管理办法", "publishDate": "2024-12-27 17:51:00",
         "docFileUrl": "", "viewCount": 35012, "builddate": "2024-12-27"},
        {"docId": 1163400, "docSubtitle": "关于加强银行业金融机构网络安全管理的通知", "publishDate": "2024-12-20 10:00:00",
         "docFileUrl": "", "viewCount": 1200, "builddate": "2024-12-20"},
    ]},
    "timestamp": "1763600000123", "requestId": "c3f1a9e2-55aa-4c1e-9b1f-0d2e7c9a1b11",
}
URL = "https://www.nfra.gov.cn/cbircweb/DocInfo/SelectDocByItemIdAndChild?itemId=928&pageSize=18&pageIndex=1"


def as_bytes(data: object) -> bytes:
    return json.dumps(data, ensure_ascii=False).encode()


def test_nfra_rows_become_items_without_counters() -> None:
    doc = extract(as_bytes(NFRA_LIST), "application/json;charset=UTF-8", URL)
    assert doc.kind == "list"
    first = doc.items[0]
    assert first.id == "1163521" and first.title == "银行保险机构数据安全管理办法" and first.date == "2024-12-27"
    assert "viewCount" not in first.field_map()
    assert doc.metadata["volatile_fields"] == "viewCount"


def test_url_template_builds_item_links() -> None:
    opts = ExtractOptions(url_template="https://www.nfra.gov.cn/cn/view/pages/governmentDetail.html?docId={docId}&itemId=928")
    doc = extract(as_bytes(NFRA_LIST), "application/json", URL, opts)
    assert doc.items[0].url == "https://www.nfra.gov.cn/cn/view/pages/governmentDetail.html?docId=1163521&itemId=928"


def test_url_template_naming_a_missing_field_is_a_clear_error() -> None:
    with pytest.raises(ExtractError, match="url_template"):
        extract(as_bytes(NFRA_LIST), "application/json", URL, ExtractOptions(url_template="https://x.example/{nope}"))


def test_federal_register_results() -> None:
    data = {"count": 2, "description": "Documents matching cybersecurity", "total_pages": 1, "results": [
        {"title": "Cyber Incident Reporting for Critical Infrastructure Act (CIRCIA) Reporting Requirements",
         "type": "Proposed Rule", "abstract": "CISA proposes reporting requirements.", "document_number": "2024-06526",
         "html_url": "https://www.federalregister.gov/documents/2024/04/04/2024-06526/cyber-incident",
         "publication_date": "2024-04-04", "agencies": [{"name": "CISA"}]},
        {"title": "Federal Acquisition Regulation: Cyber Threat and Incident Reporting", "type": "Proposed Rule",
         "abstract": "...", "document_number": "2023-22236", "html_url": "https://www.federalregister.gov/d/2023-22236",
         "publication_date": "2023-10-03"},
    ]}
    doc = extract(as_bytes(data), "application/json; charset=utf-8", "https://www.federalregister.gov/api/v1/documents.json")
    assert [i.id for i in doc.items] == ["2024-06526", "2023-22236"]
    assert doc.items[0].url.startswith("https://www.federalregister.gov/documents/2024/04/04/")
    assert doc.items[0].field_map()["abstract"] == "CISA proposes reporting requirements."


def test_search_with_no_hits_has_no_results_key_and_is_an_empty_list() -> None:
    data = {"count": 0, "description": "Documents matching nothing", "total_pages": 0}
    doc = extract(as_bytes(data), "application/json", "https://www.federalregister.gov/api/v1/documents.json")
    assert doc.kind == "list" and doc.items == []


def test_detail_record_with_html_field_becomes_a_page() -> None:
    data = {"rptCode": 200, "data": {"docId": 1163521, "docTitle": "银行保险机构数据安全管理办法", "viewCount": 9,
                                     "docClob": "<div><p>第一条 为了规范数据处理活动。</p><p>第二条 适用范围。</p></div>"}}
    doc = extract(as_bytes(data), "application/json", "https://www.nfra.gov.cn/cbircweb/DocInfo/SelectByDocId?docId=1")
    assert doc.kind == "page" and doc.title == "银行保险机构数据安全管理办法"
    assert [b.key for b in doc.blocks] == ["第一条", "第二条"]


def test_items_path_override() -> None:
    data = {"a": {"b": [{"name": "x-one", "code": "1"}, {"name": "x-two", "code": "2"}]}, "other": [{"title": "t"}] * 5}
    doc = extract(as_bytes(data), "application/json", URL, ExtractOptions(items_path="a.b"))
    assert [i.title for i in doc.items] == ["x-one", "x-two"]
    with pytest.raises(ExtractError, match="items_path"):
        extract(as_bytes(data), "application/json", URL, ExtractOptions(items_path="a.missing"))


def test_malformed_json_names_line_and_column() -> None:
    with pytest.raises(ExtractError, match="line 2 column"):
        extract(b'{"data":\n {"rows": [1,}', "application/json", URL)


@pytest.mark.parametrize("key", ["viewCount", "view_count", "clickNum", "readCount", "hits", "pv", "browseTimes",
                                 "commentCount", "likes", "requestId", "timestamp", "nonce", "downloadCount"])
def test_volatile_field_names(key: str) -> None:
    from rulewatch.scrapers.extract.jsondoc import is_volatile_key

    assert is_volatile_key(key)


@pytest.mark.parametrize("key", ["docId", "docTitle", "publishDate", "document_number", "page_count", "type", "abstract"])
def test_stable_field_names(key: str) -> None:
    from rulewatch.scrapers.extract.jsondoc import is_volatile_key

    assert not is_volatile_key(key)


def test_short_lists_of_values_are_fields_and_lists_of_records_are_not() -> None:
    """The Federal Register's docket_ids and regulation_id_numbers (asked for with fields[]) are lists."""
    data = {"count": 1, "results": [{
        "title": "Cyber Incident Reporting for Critical Infrastructure; Proposed Rule", "type": "Proposed Rule",
        "document_number": "2026-01234", "html_url": "https://www.federalregister.gov/d/2026-01234",
        "publication_date": "2026-11-20", "comments_close_on": "2026-12-21", "effective_on": None,
        "docket_ids": ["CISA-2026-0001", "CISA-2026-0002"], "regulation_id_numbers": ["1670-AA04"],
        "agencies": [{"name": "Homeland Security Department"}], "page_ids": list(range(40)),
    }]}
    (item,) = extract(as_bytes(data), "application/json", "https://www.federalregister.gov/api/v1/documents.json").items
    fields = dict(item.fields)
    assert fields["docket_ids"] == "CISA-2026-0001, CISA-2026-0002"
    assert fields["regulation_id_numbers"] == "1670-AA04" and fields["comments_close_on"] == "2026-12-21"
    assert "agencies" not in fields and "page_ids" not in fields and "effective_on" not in fields


# A CMS list API (the JPaaS "build/unit" answer many ministries use) that carries its rows as HTML.
FRAGMENT_ANSWER = {"success": True, "message": "", "data": {"html": (
    '<div class="page-content"><ul>'
    '<li><span class="fr">2026-09-19</span><a href="/gzcy/yjzj/art/2026/art_0001.html" title="关于公开征求《工业互联网'
    '安全分类分级管理办法（征求意见稿）》意见的通知">关于公开征求《工业互联网安全分类分级管理办法（征求意见稿）》意见的通知</a>'
    '<span class="endtime" style="display:none">1792339200000</span></li>'
    '<li><span class="fr">2026-09-02</span><a href="/gzcy/yjzj/art/2026/art_0002.html">关于《电信领域数据安全事件'
    '应急预案（征求意见稿）》公开征求意见的通知</a></li>'
    '<li><span class="fr">2026-08-15</span><a href="/gzcy/yjzj/art/2026/art_0003.html">关于公开征求《网络产品'
    '安全漏洞收集平台备案管理办法（修订草案）》意见的通知</a></li>'
    '<li class="border-line"></li></ul></div>')}}


@pytest.mark.parametrize("options", [ExtractOptions(), ExtractOptions(html_path="data.html")],
                         ids=["found", "html_path"])
def test_an_html_fragment_inside_json_is_read_as_the_list_it_is(options: ExtractOptions) -> None:
    doc = extract_json(json.dumps(FRAGMENT_ANSWER, ensure_ascii=False),
                       "https://www.miit.gov.cn/api-gateway/jpaas-publish-server/front/page/build/unit?x=1", options)
    assert doc.kind == "list" and len(doc.items) == 3
    first = doc.items[0]
    assert first.title.startswith("关于公开征求《工业互联网安全分类分级管理办法")
    assert first.url == "https://www.miit.gov.cn/gzcy/yjzj/art/2026/art_0001.html" and first.date == "2026-09-19"


def test_html_path_that_is_not_a_string_is_named() -> None:
    with pytest.raises(ExtractError, match="html_path 'data.rows' is not a string"):
        extract_json(json.dumps(FRAGMENT_ANSWER), "https://x.example/", ExtractOptions(html_path="data.rows"))


def test_a_number_of_thousands_of_digits_is_an_extract_error_not_a_crash() -> None:
    with pytest.raises(ExtractError, match="JSON not read: Exceeds the limit"):
        extract_json('{"n": ' + "9" * 5000 + "}", "https://x.example/")
