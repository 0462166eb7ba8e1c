"""The browser fetcher (issue 14, defect 8): a page behind a JavaScript cookie wall is read in Chromium,
with the HTTP fetcher's robots rules, size cap and timeout. Runs where Playwright and a Chromium are
installed (`make test` installs Playwright; Debian's `chromium` package gives the browser)."""

from __future__ import annotations

from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from rulewatch.core import errors
from rulewatch.scrapers.browser import BrowserFetcher, BrowserUnavailable, find_browser
from rulewatch.scrapers.extract import extract
from rulewatch.scrapers.fetch import Fetcher, FetchSettings
from tests.faultserver import FaultServer, respond, stall

DATA = Path(__file__).resolve().parents[1] / "data" / "realshapes"
WALL = (DATA / "js_challenge.html").read_bytes()
PAGE = (DATA / "article_furniture_v1.html").read_bytes()
PASS = "wall_pass=" + format(7 * 191 + 13, "x")


def _cookie_wall(h: BaseHTTPRequestHandler) -> None:
    """The page for a client that ran the wall's script (it carries the cookie), else the wall."""
    respond(PAGE if PASS in (h.headers.get("Cookie") or "") else WALL)(h)


def _browser_or_skip() -> str:
    pytest.importorskip("playwright.sync_api", reason="the browser extra is not installed")
    try:
        return find_browser()
    except BrowserUnavailable as exc:
        pytest.skip(str(exc))


@pytest.fixture(scope="module")
def site() -> Iterator[FaultServer]:
    server = FaultServer()
    server.routes["/robots.txt"] = respond(b"User-agent: *\nDisallow: /private/\n", content_type="text/plain")
    server.routes["/wall"] = _cookie_wall
    server.routes["/private/wall"] = _cookie_wall
    server.routes["/hangs"] = stall(20)
    server.routes["/missing"] = respond(b"gone", status=404, content_type="text/plain")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[BrowserFetcher]:
    _browser_or_skip()
    fetcher = BrowserFetcher(Fetcher(FetchSettings(total_timeout=20, max_retries=0)))
    yield fetcher
    fetcher.close()


def test_http_fetcher_sees_only_the_wall(site: FaultServer) -> None:
    resp = Fetcher(FetchSettings(max_retries=0)).fetch(site.url("/wall"))
    with pytest.raises(errors.ChallengePage):
        extract(resp.body, resp.content_type, resp.final_url)


@pytest.mark.slow
def test_browser_passes_the_cookie_wall(site: FaultServer, browser: BrowserFetcher) -> None:
    resp = browser.fetch(site.url("/wall"))
    doc = extract(resp.body, resp.content_type, resp.final_url)
    assert doc.title == "关于开展金融业信息系统安全可控评估的通知"
    assert "2026年6月30日前报送评估报告" in doc.text
    assert site.hits["/wall"] >= 2  # the wall, then the page after the script's reload


@pytest.mark.slow
def test_browser_obeys_robots_txt(site: FaultServer, browser: BrowserFetcher) -> None:
    before = site.hits.get("/private/wall", 0)
    with pytest.raises(errors.RobotsDisallowed):
        browser.fetch(site.url("/private/wall"))
    assert site.hits.get("/private/wall", 0) == before


@pytest.mark.slow
def test_browser_reports_an_error_status(site: FaultServer, browser: BrowserFetcher) -> None:
    with pytest.raises(errors.HTTPStatusError) as caught:
        browser.fetch(site.url("/missing"))
    assert caught.value.status == 404


@pytest.mark.slow
def test_browser_keeps_the_size_cap(site: FaultServer) -> None:
    _browser_or_skip()
    small = BrowserFetcher(Fetcher(FetchSettings(max_body_bytes=1000, total_timeout=20, max_retries=0)))
    try:
        with pytest.raises(errors.BodyTooLarge):
            small.fetch(site.url("/wall"))
    finally:
        small.close()


@pytest.mark.slow
def test_browser_keeps_the_total_timeout(site: FaultServer) -> None:
    _browser_or_skip()
    quick = BrowserFetcher(Fetcher(FetchSettings(total_timeout=2, max_retries=0)))
    try:
        with pytest.raises(errors.FetchTimeout):
            quick.fetch(site.url("/hangs"))
    finally:
        quick.close()


def test_a_missing_browser_says_how_to_install_one(site: FaultServer) -> None:
    with pytest.raises(BrowserUnavailable, match="apt-get install chromium"):
        find_browser({"RULEWATCH_BROWSER": "/nonexistent/chromium"})
    missing = BrowserFetcher(Fetcher(FetchSettings(max_retries=0)), executable="/nonexistent/chromium")
    try:
        with pytest.raises(BrowserUnavailable) as caught:
            missing.fetch(site.url("/wall"))
        assert caught.value.reason == "browser_missing"
        with pytest.raises(BrowserUnavailable):  # the failure is remembered, not retried per page
            missing.fetch(site.url("/wall"))
    finally:
        missing.close()


def _needs_referer(h: BaseHTTPRequestHandler) -> None:
    """A page that only a visitor from the column page, looking like a browser, is shown."""
    ok = h.headers.get("Referer") == "https://www.example.gov/column.html" and "Mozilla" in (
        h.headers.get("User-Agent") or "")
    respond(PAGE if ok else b"<html><body>403 refused</body></html>", status=200 if ok else 403)(h)


@pytest.mark.slow
def test_browser_sends_the_sources_headers_and_user_agent(site: FaultServer, browser: BrowserFetcher) -> None:
    from rulewatch.scrapers.request import RequestSpec

    site.routes["/guarded"] = _needs_referer
    spec = RequestSpec(headers=(("Referer", "https://www.example.gov/column.html"),), user_agent="browser")
    resp = browser.fetch(site.url("/guarded"), request=spec)
    assert extract(resp.body, resp.content_type, resp.final_url).title == "关于开展金融业信息系统安全可控评估的通知"
    with pytest.raises(errors.HTTPStatusError, match="403"):
        browser.fetch(site.url("/guarded"))  # without them, the site's refusal


NOSY = b"""<html><head><meta charset="utf-8"><title>\xe5\x85\xb3\xe4\xba\x8e\xe6\x95\xb0\xe6\x8d\xae\xe5\xae\x89\xe5\x85\xa8\xe7\x9a\x84\xe9\x80\x9a\xe7\x9f\xa5</title></head>
<body><h1>Notice on data security</h1><p>Article 1. Operators shall report incidents within two hours.</p>
<div id="leak">none</div><iframe src="INTERNAL/frame"></iframe>
<script>fetch("INTERNAL/secret").then(r => r.text()).then(t => { document.getElementById("leak").textContent = t; })
  .catch(() => {});</script>
<script src="INTERNAL/script.js"></script></body></html>"""


@pytest.mark.slow
def test_a_pages_scripts_and_frames_cannot_reach_an_internal_address(
    site: FaultServer, browser: BrowserFetcher, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The browser loaded whatever the page's scripts and frames asked for: an external page's fetch()
    read a loopback service, and its secret reached the stored snapshot. Here 127.0.0.1 stands for a
    public site and `localhost` for the internal service it must not reach."""
    from rulewatch.scrapers import urls
    from rulewatch.scrapers.urls import FetchScope

    internal = FaultServer()
    internal.routes["/secret"] = respond(b"TOKEN-s3cret-from-the-metadata-service", content_type="text/plain")
    internal.routes["/frame"] = respond(b"<p>TOKEN-in-a-frame</p>")
    internal.routes["/script.js"] = respond(b"document.body.append('TOKEN-by-script')", content_type="text/javascript")
    try:
        base = internal.url("").rstrip("/").replace("127.0.0.1", "localhost")
        site.routes["/nosy"] = respond(NOSY.replace(b"INTERNAL", base.encode()))
        monkeypatch.setattr(urls, "is_internal_host", lambda name: name == "localhost")
        scope = FetchScope(None, internal=False)  # a public source's scope
        resp = browser.fetch(site.url("/nosy"), scope=scope)
        assert b"TOKEN" not in resp.body and b"Operators shall report" in resp.body
        assert internal.hits == {}  # not one request reached the internal service
    finally:
        internal.stop()


LOOPS = (b"<html><head><meta charset='utf-8'><title>loops</title></head><body><p>Article 1. A page whose script "
         b"never yields once loaded.</p><script>window.addEventListener('load', () => setTimeout(() => "
         b"{ while (true) {} }, 20))</script></body></html>")


@pytest.mark.slow
def test_a_page_that_never_lets_go_does_not_wedge_the_browser_for_the_others(site: FaultServer) -> None:
    """One page that loops after load held the browser: every browser source after it in the cycle
    timed out too. Now that page times out alone and a new browser serves the next."""
    _browser_or_skip()
    site.routes["/loops"] = respond(LOOPS)
    browser = BrowserFetcher(Fetcher(FetchSettings(total_timeout=3, connect_timeout=1, max_retries=0)))
    try:
        with pytest.raises(errors.FetchTimeout, match="held by .* past its time"):
            browser.fetch(site.url("/loops"))
        resp = browser.fetch(site.url("/wall"))
        assert extract(resp.body, resp.content_type, resp.final_url).title == "关于开展金融业信息系统安全可控评估的通知"
        assert browser.restarts == 1
    finally:
        browser.close()
