"""Issue 19, finding 2: text that a database refuses never takes down a batch.

NUL characters (in a JSON title, a page's text, an HTTP reason phrase) are made storable at the
store's boundary on every path; a result the database still refuses (here a CHECK constraint a test
adds to PostgreSQL) fails only its own source, and the rest of its batch is written."""

from __future__ import annotations

import json
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler

import pytest

from rulewatch.config import Source
from rulewatch.core.model import HostPolicy
from rulewatch.runner import SourceOutcome
from rulewatch.scrapers.fetch import FetchSettings
from rulewatch.state import Store
from tests.cycles import cycle
from tests.faultserver import FaultServer, respond

FAST = FetchSettings(host_policy=HostPolicy(4, 0.0), connect_timeout=1, read_timeout=2, total_timeout=5, max_retries=0)
PAGE = ("<html><head><meta charset='utf-8'><title>网络安全办法</title></head><body><div class='content'>"
        "<h1>网络安全办法</h1><p>第一条 运营者应当在{hours}内报告网络安全事件{nul}。</p>"
        "<p>第二条 本办法自发布之日起施行。</p></div></body></html>")


def _records(titles: list[str]) -> bytes:
    rows = [{"docId": n, "docTitle": t, "publishDate": f"2026-11-{n:02d}", "note": "a\u0000b"} for n, t in
            enumerate(titles, start=1)]
    return json.dumps({"data": {"rows": rows}}).encode()


def _nul_reason(h: BaseHTTPRequestHandler) -> None:
    h.wfile.write(b"HTTP/1.1 503 Busy\x00now\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")


@pytest.fixture
def site() -> Iterator[FaultServer]:
    server = FaultServer()
    server.routes["/robots.txt"] = respond(b"", status=404)
    yield server
    server.stop()


def _cycle(store: Store, sources: list[Source]) -> dict[str, SourceOutcome]:
    return cycle(store, sources, FAST)


def _sources(site: FaultServer) -> list[Source]:
    return [Source(name=n, url=site.url(f"/{n}"), alert_on="any", follow=False) for n in ("api", "page", "busy")]


def test_nul_characters_are_stored_as_replacement_characters(site: FaultServer, store: Store) -> None:
    site.routes["/api"] = respond(_records(["关于网络安全\u0000检查的通知"]), content_type="application/json")
    site.routes["/page"] = respond(PAGE.format(hours="二十四小时", nul="").encode())
    site.routes["/busy"] = respond(PAGE.format(hours="一小时", nul="").encode())
    assert {o.status for o in _cycle(store, _sources(site)).values()} == {"baseline"}

    site.routes["/api"] = respond(_records(["关于网络安全\u0000检查的通知", "数据\u0000出境评估办法"]),
                                  content_type="application/json")
    site.routes["/page"] = respond(PAGE.format(hours="两小时", nul="\x00").encode())
    site.routes["/busy"] = _nul_reason
    outcomes = _cycle(store, _sources(site))
    assert outcomes["api"].status == "changed" and outcomes["page"].status == "changed"
    assert outcomes["busy"].status == "failed"
    titles = [a.title for a in store.outbox.alerts(pending_only=True)]
    assert "数据\ufffd出境评估办法" in titles or "数据出境评估办法" in titles
    assert all("\x00" not in t for t in titles)


@pytest.mark.postgres
def test_a_result_the_database_refuses_fails_only_its_source(site: FaultServer, database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("the refusal is a PostgreSQL CHECK constraint")
    store = Store(database_url)
    try:
        site.routes["/api"] = respond(_records(["关于网络安全检查的通知"]), content_type="application/json")
        site.routes["/page"] = respond(PAGE.format(hours="二十四小时", nul="").encode())
        site.routes["/busy"] = respond(PAGE.format(hours="一小时", nul="").encode())
        assert {o.status for o in _cycle(store, _sources(site)).values()} == {"baseline"}
        with store.writer.begin() as conn:
            conn.exec_driver_sql("ALTER TABLE alerts ADD CONSTRAINT no_poison CHECK (position('POISON' in title) = 0)")

        site.routes["/api"] = respond(_records(["关于网络安全检查的通知", "POISON 办法"]), content_type="application/json")
        site.routes["/page"] = respond(PAGE.format(hours="两小时", nul="").encode())
        site.routes["/busy"] = respond(PAGE.format(hours="三小时", nul="").encode())
        outcomes = _cycle(store, _sources(site))
        assert outcomes["api"].status == "failed"
        assert outcomes["api"].error.startswith("not_recorded: ")
        assert outcomes["page"].status == "changed" and outcomes["busy"].status == "changed"
        assert sorted(a.source for a in store.outbox.alerts(pending_only=True)) == ["busy", "page"]
    finally:
        store.close()
