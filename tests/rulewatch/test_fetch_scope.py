"""Issue 19, finding 13: links a list carries and redirects a page answers with stay on the source's
site, and never reach an internal address unless the source itself is on one.

The test servers all listen on 127.0.0.1, so a public source is simulated by name only: the
resolver answers 127.0.0.1 for `rules.public-regulator.test` when urllib3 connects, while rulewatch's
scope check is told the name is public, as it would be on the real web."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest

from rulewatch.app import App
from rulewatch.config import Source
from rulewatch.core import errors
from rulewatch.core.model import HostPolicy
from rulewatch.detection.relevance import Taxonomy
from rulewatch.runner import run_cycle
from rulewatch.scrapers import urls
from rulewatch.scrapers.fetch import Fetcher, FetchSettings
from rulewatch.scrapers.urls import FetchScope
from rulewatch.settings import Settings
from rulewatch.state import Store
from tests.faultserver import FaultServer, redirect_to, respond

PUBLIC = "rules.public-regulator.test"
SECRET = "AKIA-FAKE-METADATA-CREDENTIAL"


@pytest.fixture
def public_name(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    real = socket.getaddrinfo

    def resolve(host: Any, *args: Any, **kwargs: Any) -> Any:
        return real("127.0.0.1" if host == PUBLIC else host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    monkeypatch.setitem(urls._RESOLVED, PUBLIC, False)  # what DNS says of it on the real web
    yield PUBLIC


@pytest.fixture
def servers() -> Iterator[tuple[FaultServer, FaultServer]]:
    site, metadata = FaultServer(), FaultServer()
    for server in (site, metadata):
        server.routes["/robots.txt"] = respond(b"", status=404)
    metadata.routes["/latest/meta-data"] = respond(f"<html><body><p>{SECRET}</p></body></html>".encode())
    yield site, metadata
    site.stop()
    metadata.stop()


def _list(links: list[tuple[str, str]]) -> bytes:
    rows = "".join(f'<li><a href="{u}">{t}</a><span>2026-11-2{n}</span></li>' for n, (u, t) in enumerate(links))
    return f"<html><head><meta charset='utf-8'><title>通知</title></head><body><ul>{rows}</ul></body></html>".encode()


def test_scope_rules() -> None:
    links = FetchScope(frozenset({"www.cac.gov.cn"}), internal=False)
    assert links.refusal("https://cac.gov.cn/a.htm") == ""  # the same site
    assert "not the source's site" in links.refusal("https://www.gov.cn/a.htm")
    assert "private, loopback or link-local" in FetchScope(None, internal=False).refusal("http://169.254.169.254/x")
    assert "private" in FetchScope(None, internal=False).refusal("http://[::ffff:10.0.0.1]/x")
    assert "loopback" in FetchScope(None, internal=False).refusal("http://[::1]:8080/x")  # bracketed, with a port
    assert links.refusal("https://www.cac.gov.cn:8443/a.htm") == ""  # the site, on another port
    assert FetchScope(None, internal=True).refusal("http://127.0.0.1:8080/x") == ""


def test_a_public_source_never_follows_a_link_to_an_internal_address(
    public_name: str, servers: tuple[FaultServer, FaultServer], tmp_path: Any
) -> None:
    site, metadata = servers
    url = f"http://{public_name}:{site.port}/list"
    items = [(f"http://{public_name}:{site.port}/d/{n}.html", f"关于网络安全检查的第{n}号通知") for n in range(3)]
    site.routes["/list"] = respond(_list(items))
    for n in range(3):
        site.routes[f"/d/{n}.html"] = respond(b"<html><body><p>detail</p></body></html>")
    store = Store(f"sqlite:///{tmp_path / 'state.db'}")
    settings = replace(Settings.from_env({"RULEWATCH_HOST_DELAY": "0"}), failing_after=3)
    fetcher = Fetcher(FetchSettings(host_policy=HostPolicy(4, 0.0), max_retries=0))
    source = Source(name="public", url=url, alert_on="any")
    try:
        app = App(settings, store=store, fetcher=fetcher, taxonomy=Taxonomy.load())
        assert [o.status for o in run_cycle(app, [source]).outcomes] == ["baseline"]
        bait = (metadata.url("/latest/meta-data"), "关于网络安全检查的最新通知")
        site.routes["/list"] = respond(_list([bait, *items]))
        assert [o.status for o in run_cycle(app, [source]).outcomes] == ["changed"]
        alerts = store.outbox.alerts()
        assert [a.title for a in alerts] == ["关于网络安全检查的最新通知"]  # the item is still alerted...
        assert SECRET not in json.dumps([a.to_json() for a in alerts], ensure_ascii=False)  # ...never its page
        assert metadata.hits.get("/latest/meta-data", 0) == 0
    finally:
        fetcher.close()
        store.close()


def test_a_public_source_never_follows_a_redirect_to_an_internal_address(
    public_name: str, servers: tuple[FaultServer, FaultServer]
) -> None:
    site, metadata = servers
    site.routes["/moved"] = redirect_to(metadata.url("/latest/meta-data"))
    scope = FetchScope.of_source(f"http://{public_name}:{site.port}/moved", links=False)
    with pytest.raises(errors.OutOfScope, match="private, loopback or link-local"):
        Fetcher(FetchSettings(max_retries=0)).fetch(f"http://{public_name}:{site.port}/moved", scope=scope)
    assert metadata.hits.get("/latest/meta-data", 0) == 0
