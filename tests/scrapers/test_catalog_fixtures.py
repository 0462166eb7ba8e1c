"""Responses shaped like the catalog's real sources (written from their documented structure) extract
into the expected kind, items and text. Cases live in tests/data/sources/."""

from __future__ import annotations

from pathlib import Path

import pytest

from rulewatch.config import load_sources
from scrapers.extract import ExtractOptions, extract

DATA = Path(__file__).parents[1] / "data" / "sources"
ROOT = Path(__file__).parents[2]
CATALOG = {s.name: s for s in load_sources(ROOT / "sources.yaml")}

CASES = [
    # file, content type, catalog source whose options apply, kind, item count, first title, first url prefix
    ("nfra_list.json", "application/json;charset=UTF-8", "nfra-rules", "list", 3, "银行保险机构数据安全管理办法",
     "https://www.nfra.gov.cn/cn/view/pages/governmentDetail.html?docId=1188001&itemId=928"),
    ("cac_list.html", "text/html", "cac-policy", "list", 4, "网络数据安全管理条例", "https://www.cac.gov.cn/2024-09/30/"),
    ("pboc_list_gbk.html", "text/html", "pboc-rules", "list", 3, "中国人民银行业务领域数据安全管理办法",
     "http://www.pbc.gov.cn/tiaofasi/144941/144957/5394012/"),
    ("federal_register.json", "application/json; charset=utf-8", "us-federal-register-cyber", "list", 2,
     "Cyber Incident Reporting for Critical Infrastructure Act (CIRCIA) Reporting Requirements",
     "https://www.federalregister.gov/documents/2024/04/04/2024-06526/"),
    ("federal_register_empty.json", "application/json; charset=utf-8", "us-federal-register-cyber", "list", 0, "", ""),
]


@pytest.mark.parametrize(("name", "ctype", "source", "kind", "count", "title", "url"), CASES, ids=[c[0] for c in CASES])
def test_catalog_shaped_response(name: str, ctype: str, source: str, kind: str, count: int, title: str, url: str) -> None:
    src = CATALOG[source]
    doc = extract((DATA / name).read_bytes(), ctype, src.url, src.extract_options())
    assert doc.kind == kind and len(doc.items) == count
    if count:
        assert doc.items[0].title == title and doc.items[0].url.startswith(url)
        assert doc.items[0].date
        assert all("热点" not in i.title and "宣传周" not in i.title for i in doc.items)


def test_nfra_detail_api_gives_the_rule_text() -> None:
    src = CATALOG["nfra-rules"]
    url = src.detail_url.format(id="1188001")
    doc = extract((DATA / "nfra_detail.json").read_bytes(), "application/json", url, ExtractOptions(kind="page"))
    assert doc.kind == "page" and doc.title == "银行保险机构数据安全管理办法"
    assert [b.key for b in doc.blocks] == ["第一章", "第一条", "第二条", "第三条"]
