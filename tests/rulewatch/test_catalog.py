"""Every entry of the bundled catalog, fetched as rulewatch fetches it from a local server answering with
a fixture of its real answer's shape, reads the items it should.

The server stands in for the real hosts through HTTP_PROXY (https entries are asked over http) and, like
the real sites, refuses a request that lacks what the site needs (a Referer, a form POST, the cookie its
first page sets, a browser's User-Agent): an entry that forgets an option fails here. Cases live in
tests/data/catalog/cases.yaml; an entry without a case fails too.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote

import pytest
import yaml

from rulewatch.config import Source, load_sources
from rulewatch.core.model import HostPolicy
from rulewatch.scrapers.extract import ExtractOptions, extract
from rulewatch.scrapers.fetch import Fetcher, FetchSettings
from rulewatch.scrapers.fetch import Response as FetchResponse

ROOT = Path(__file__).parents[2]
DATA = ROOT / "tests" / "data" / "catalog"
CATALOG = {s.name: s for s in load_sources(ROOT / "sources.yaml")}
CASES: dict[str, dict[str, Any]] = yaml.safe_load((DATA / "cases.yaml").read_text(encoding="utf-8"))
SESSION_COOKIE = "rw_visit=seen"  # what each site's first page sets, in this stand-in


def over_http(url: str) -> str:
    return "http://" + url.split("://", 1)[1] if url else url


def same_url(asked: str, url: str) -> bool:
    """Whether a request's target is `url` (asked over http), however its characters were quoted."""
    return bool(url) and unquote(asked) == unquote(over_http(url))


class StandIn(BaseHTTPRequestHandler):
    """Answers each catalog entry's URL with its fixture, when the request carries what the site needs."""

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        self._answer(b"")

    def do_POST(self) -> None:  # noqa: N802
        self._answer(self.rfile.read(int(self.headers.get("Content-Length") or 0)))

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass

    def _answer(self, body: bytes) -> None:
        url = self.path
        if any(same_url(url, s.cookie_url) for s in CATALOG.values()):
            return self._send(200, b"<html><body>column page</body></html>", "text/html", SESSION_COOKIE)
        matching = [name for name, s in CATALOG.items() if same_url(url, s.url) and name in CASES]
        if not matching:
            return self._send(404, b"not found", "text/plain")
        refusals = {name: self._refusal(CASES[name].get("requires", {}), body) for name in matching}
        name = next((n for n, why in refusals.items() if not why), "")
        if not name:
            return self._send(403, "; ".join(refusals.values()).encode(), "text/plain")
        case = CASES[name]
        self._send(200, (DATA / case["answer"]).read_bytes(), case["content_type"])

    def _refusal(self, needs: dict[str, Any], body: bytes) -> str:
        """Why the real site would refuse this request, or ""."""
        if self.command != needs.get("method", "GET"):
            return f"method {self.command}"
        form = dict(parse_qsl(body.decode("ascii")))
        if any(form.get(k) != str(v) for k, v in needs.get("form", {}).items()):
            return f"form {form}"
        missing = [h for h in needs.get("headers", []) if not self.headers.get(h)]
        if missing:
            return f"no {', '.join(missing)}"
        if needs.get("cookie") and SESSION_COOKIE not in (self.headers.get("Cookie") or ""):
            return "no session cookie"
        if needs.get("user_agent") and needs["user_agent"] not in (self.headers.get("User-Agent") or ""):
            return "firewall: not a browser"
        return ""

    def _send(self, status: int, body: bytes, content_type: str, cookie: str = "") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        if cookie:
            self.send_header("Set-Cookie", f"{cookie}; Path=/; HttpOnly")
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture(scope="module")
def stand_in() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), StandIn)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def fetcher(stand_in: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Fetcher]:
    for name in ("http_proxy", "HTTP_PROXY"):
        monkeypatch.setenv(name, stand_in)
    for name in ("no_proxy", "NO_PROXY"):
        monkeypatch.setenv(name, "127.0.0.1,localhost")
    f = Fetcher(FetchSettings(host_policy=HostPolicy(4, 0.0), respect_robots=True, total_timeout=10))
    yield f
    f.close()


def test_every_catalog_entry_has_a_case() -> None:
    assert sorted(set(CATALOG) - set(CASES)) == []
    assert sorted(set(CASES) - set(CATALOG)) == []  # no case left behind by a removed entry


def test_every_catalog_entry_is_scheduled_and_explained() -> None:
    text = (ROOT / "sources.yaml").read_text(encoding="utf-8")
    deployed = yaml.safe_load((ROOT / "prefect.yaml").read_text(encoding="utf-8"))["deployments"]
    groups = {g for d in deployed for g in (d.get("parameters") or {}).get("groups") or []}
    for source in CATALOG.values():
        assert source.group in groups, f"{source.name}: group {source.group!r} has no deployment"
        assert source.publisher, f"{source.name}: no publisher"
        start = text.index(f"- name: {source.name}\n")
        line_before = text[:start].rstrip().splitlines()[-1].strip()
        entry = text[start:].split("\n  - name:", 1)[0]
        assert line_before.startswith("#") or "\n    # " in entry, f"{source.name}: no comment saying what it watches"


@pytest.mark.parametrize("name", sorted(CASES))
def test_catalog_entry_reads_its_real_shape(name: str, fetcher: Fetcher) -> None:
    source: Source = CATALOG[name]
    case = CASES[name]
    asked = source.model_copy(update={"url": over_http(source.url), "cookie_url": over_http(source.cookie_url)})
    resp = fetcher.fetch(asked.url, request=asked.request({}))
    assert isinstance(resp, FetchResponse)
    doc = extract(resp.body, resp.content_type, source.url, source.extract_options())
    expect = case["expect"]
    assert doc.kind == expect["kind"]
    assert len(doc.items) == expect["items"], [i.title for i in doc.items]
    first = doc.items[0]
    assert (first.title, first.date, first.url) == (expect["title"], expect["date"], expect["url"])
    assert all(item.date for item in doc.items), "every item has its date"
    assert len({item.id for item in doc.items}) == len(doc.items)


def test_an_entry_without_what_its_site_needs_is_refused(fetcher: Fetcher) -> None:
    """The stand-in is strict: the same entry without its options gets the site's refusal."""
    from rulewatch.core.errors import HTTPStatusError

    source = CATALOG["cac-normative"]
    with pytest.raises(HTTPStatusError, match="403"):
        fetcher.fetch(over_http(source.url))


def test_the_readme_catalog_table_lists_every_entry() -> None:
    readme = "\n".join((ROOT / name).read_text(encoding="utf-8") for name in ("README.md", "docs/reference.md"))
    table = readme.split("### The bundled catalog", 1)[1].split("\n### ", 1)[0]
    listed = {line.split("|")[1].strip().strip("`") for line in table.splitlines() if line.startswith("| `")}
    assert listed == set(CATALOG)


def test_nfra_detail_api_gives_the_rule_text() -> None:
    """NFRA's document API (the entries' detail_url), in its real shape: the rule's HTML in docClob beside
    the column breadcrumb (listTwoItem) and attachment lists, read as the rule's articles."""
    source = CATALOG["nfra-rules"]
    url = source.detail_url.format(id="1188001")
    doc = extract((DATA / "nfra_detail.json").read_bytes(), "application/json", url, ExtractOptions(kind="page"))
    assert doc.kind == "page" and doc.title == "银行保险机构数据安全管理办法"
    assert [b.key for b in doc.blocks] == ["第一章", "第一条", "第二条", "第三条"]


def test_a_federal_register_search_with_no_hits_is_an_empty_list() -> None:
    source = CATALOG["us-federal-register-cyber"]
    doc = extract((DATA / "federal_register_empty.json").read_bytes(), "application/json; charset=utf-8",
                  source.url, source.extract_options())
    assert doc.kind == "list" and doc.items == []
