"""Catalog health: the verdict on what a source gave when read once."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from rulewatch.config import Source
from rulewatch.core.model import Block, Document, Item
from rulewatch.services.sourcecheck import BROKEN, OK, WARN, Reading, judge, report

LIST = Source(name="l", url="https://x.example/list", kind="list")
AUTO = Source(name="a", url="https://x.example/a")


def items(n: int, *, dated: bool = True, linked: bool = True) -> list[Item]:
    return [Item(id=str(i), title=f"关于网络安全事件报告的通知之{i}", url=f"https://x.example/{i}" if linked else "",
                 date=f"2026-11-0{i + 1}" if dated else "") for i in range(n)]


@pytest.mark.parametrize(("source", "doc", "verdict", "problem"), [
    (AUTO, Document(kind="list", url="u", items=items(3)), OK, ""),
    (LIST, Document(kind="list", url="u"), BROKEN, "0 items"),
    (LIST, Document(kind="page", url="u", blocks=[Block(text="x" * 500)]), BROKEN, "read as a page"),
    (AUTO, Document(kind="page", url="u", blocks=[Block(text="x" * 500)]), OK, ""),
    (AUTO, Document(kind="page", url="u", blocks=[Block(text="请启用JavaScript")]), WARN, "JavaScript shell"),
    (AUTO, Document(kind="list", url="u", items=items(3, dated=False)), WARN, "no item has a date"),
    (AUTO, Document(kind="list", url="u", items=items(3, linked=False)), WARN, "3 of 3 items have no link"),
])
def test_judge(source: Source, doc: Document, verdict: str, problem: str) -> None:
    got, why = judge(source, doc)
    assert got == verdict and problem in why


def test_the_report_names_broken_then_doubtful_entries_only() -> None:
    readings = [Reading("fine", "https://a/", OK), Reading("emptied", "https://b/", BROKEN, "0 items"),
                Reading("thin", "https://c/", WARN, "only 12 characters")]
    message = report(readings, "2026-12-07")
    assert message.headline == "rulewatch catalog check: 1 of 3 sources read as expected, 1 broken, 1 doubtful"
    assert [s.label for s in message.sections] == ["Broken: fix these sources", "Doubtful: look at these"]
    assert "emptied" in message.sections[0].plain and "fine" not in message.sections[0].plain + message.sections[1].plain
    assert report([Reading("fine", "https://a/", OK)]).sections == ()


def test_sources_check_prints_each_verdict_and_fails_on_a_broken_entry(
    httpserver: HTTPServer, tmp_path: Path, rw_env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    from rulewatch.cli import main

    httpserver.expect_request("/list").respond_with_data(
        "<html><head><title>通知公告</title></head><body><div>栏目调整中</div></body></html>", content_type="text/html")
    httpserver.expect_request("/api").respond_with_json({"rows": [
        {"id": i, "title": f"关于开展第{i}批网络安全审查的公告", "url": f"/doc/{i}"} for i in range(3)]})
    src = tmp_path / "sources.yaml"
    src.write_text(f"sources:\n  - name: emptied\n    url: {httpserver.url_for('/list')}\n    kind: list\n"
                   f"  - name: undated\n    url: {httpserver.url_for('/api')}\n", encoding="utf-8")
    assert main(["sources", "--sources", str(src), "--check"]) == 1
    out = capsys.readouterr().out
    assert "FAIL emptied: HTTP 200 html -> list, 0 blocks, 0 items" in out and "(0 items: the list is empty" in out
    assert "WARN undated: HTTP 200 json -> list, 0 blocks, 3 items" in out and "(no item has a date" in out
    assert out.rstrip().endswith("rulewatch catalog check: 0 of 2 sources read as expected, 1 broken, 1 doubtful")
