"""A source's request options against a real local server: headers, User-Agent, form POSTs, the cookie jar,
secrets kept to their host, and robots.txt and the body cap applied to all of them."""

from __future__ import annotations

from dataclasses import replace

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from rulewatch.core import errors
from rulewatch.core.model import HostPolicy
from rulewatch.scrapers.fetch import Fetcher, FetchSettings, Validators
from rulewatch.scrapers.fetch import Response as FetchResponse
from rulewatch.scrapers.request import BROWSER_USER_AGENT, RequestSpec, set_cookies

FAST = FetchSettings(host_policy=HostPolicy(4, 0.0), backoff_base=0.01, respect_robots=False,
                     connect_timeout=2, read_timeout=1, total_timeout=5)


def fetcher(**overrides: object) -> Fetcher:
    return Fetcher(replace(FAST, **overrides))  # type: ignore[arg-type]


def test_a_sources_headers_and_user_agent_are_sent(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/api").respond_with_data("{}", content_type="application/json")
    spec = RequestSpec(headers=(("Referer", "https://www.example.gov/search/zcwjk.html"),
                                ("X-Requested-With", "XMLHttpRequest")), user_agent="browser")
    fetcher().fetch(httpserver.url_for("/api"), request=spec)
    sent = httpserver.log[0][0].headers
    assert sent["Referer"] == "https://www.example.gov/search/zcwjk.html"
    assert sent["X-Requested-With"] == "XMLHttpRequest"
    # the browser's string first (what a firewall looks for), our contact URL still after it
    assert sent["User-Agent"].startswith(BROWSER_USER_AGENT) and "rulewatch" in sent["User-Agent"]


def test_browser_only_user_agent_and_a_plain_request_keeps_ours(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/a").respond_with_data("x")
    f = fetcher()
    f.fetch(httpserver.url_for("/a"), request=RequestSpec(user_agent="browser-only"))
    f.fetch(httpserver.url_for("/a"))
    assert httpserver.log[0][0].headers["User-Agent"] == BROWSER_USER_AGENT
    assert httpserver.log[1][0].headers["User-Agent"].startswith("rulewatch/")


def test_a_form_post_sends_its_body_and_no_validators(httpserver: HTTPServer) -> None:
    seen: list[Request] = []

    def handler(request: Request) -> Response:
        seen.append(request)
        return Response('{"list": []}', content_type="application/json")

    httpserver.expect_request("/cms/JsonList", method="POST").respond_with_handler(handler)
    spec = RequestSpec(method="POST", form=(("channelCode", "A0937"), ("perPage", "20"), ("pageno", "1")))
    resp = fetcher().fetch(httpserver.url_for("/cms/JsonList"), Validators('"v1"', ""), request=spec)
    assert isinstance(resp, FetchResponse) and resp.status == 200
    request = seen[0]
    assert request.form.to_dict() == {"channelCode": "A0937", "perPage": "20", "pageno": "1"}
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert "If-None-Match" not in request.headers


def test_a_post_redirected_with_303_is_followed_by_a_get(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/submit", method="POST").respond_with_response(
        Response(status=303, headers={"Location": "/result"}))
    httpserver.expect_request("/result", method="GET").respond_with_data("<p>done</p>", content_type="text/html")
    resp = fetcher().fetch(httpserver.url_for("/submit"), request=RequestSpec(method="POST", form=(("a", "1"),)))
    assert isinstance(resp, FetchResponse) and resp.body == b"<p>done</p>"
    assert [entry[0].method for entry in httpserver.log] == ["POST", "GET"]


def test_cookies_from_the_first_page_are_carried_to_the_api_of_the_same_host_and_cycle(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/list/index.html").respond_with_response(Response(
        "<html>shell</html>", headers=[("Set-Cookie", "wzws_sid=abc123; Path=/; HttpOnly"),
                                       ("Set-Cookie", "lang=zh")]))

    def api(request: Request) -> Response:
        if request.cookies.get("wzws_sid") != "abc123":
            return Response("refused", status=403)
        return Response('{"data": {"html": ""}}', content_type="application/json")

    httpserver.expect_request("/api").respond_with_handler(api)
    spec = RequestSpec(cookies=True, cookie_url=httpserver.url_for("/list/index.html"))
    f = fetcher()
    assert isinstance(f.fetch(httpserver.url_for("/api"), request=spec), FetchResponse)
    assert isinstance(f.fetch(httpserver.url_for("/api"), request=spec), FetchResponse)
    paths = [entry[0].path for entry in httpserver.log]
    assert paths == ["/list/index.html", "/api", "/api"]  # the cookie page once per host and cycle
    assert "lang=zh" in httpserver.log[1][0].headers["Cookie"]
    f.new_cycle()  # a new cycle forgets the cookies and visits the page again
    f.fetch(httpserver.url_for("/api"), request=spec)
    assert [entry[0].path for entry in httpserver.log][3:] == ["/list/index.html", "/api"]


def test_cookies_are_neither_kept_nor_sent_for_a_source_without_the_option(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/a").respond_with_response(Response("x", headers={"Set-Cookie": "s=1"}))
    f = fetcher()
    f.fetch(httpserver.url_for("/a"), request=RequestSpec(cookies=True))
    f.fetch(httpserver.url_for("/a"))
    assert "Cookie" not in httpserver.log[1][0].headers
    f.fetch(httpserver.url_for("/a"), request=RequestSpec(cookies=True))
    assert httpserver.log[2][0].headers["Cookie"] == "s=1"


def test_a_secret_header_goes_to_the_sources_host_only(httpserver: HTTPServer) -> None:
    other = HTTPServer(host="localhost", port=0)
    other.start()
    try:
        other.expect_request("/elsewhere").respond_with_data("<p>moved</p>", content_type="text/html")
        httpserver.expect_request("/page").respond_with_response(
            Response(status=302, headers={"Location": other.url_for("/elsewhere").replace("127.0.0.1", "localhost")}))
        spec = RequestSpec(headers=(("Referer", "https://www.example.gov/"),),
                           secret_headers=(("Authorization", "Bearer s3cret"),))
        resp = fetcher().fetch(httpserver.url_for("/page"), request=spec)
        assert isinstance(resp, FetchResponse)
        assert httpserver.log[0][0].headers["Authorization"] == "Bearer s3cret"
        moved = other.log[0][0].headers
        assert "Authorization" not in moved and moved["Referer"] == "https://www.example.gov/"
    finally:
        other.clear()
        other.stop()


def test_robots_txt_rules_a_post_and_a_cookie_page_too(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/robots.txt").respond_with_data("User-agent: *\nDisallow: /private\n")
    f = fetcher(respect_robots=True)
    with pytest.raises(errors.RobotsDisallowed):
        f.fetch(httpserver.url_for("/private/api"), request=RequestSpec(method="POST", form=(("a", "1"),)))
    with pytest.raises(errors.RobotsDisallowed):
        f.fetch(httpserver.url_for("/api"), request=RequestSpec(cookies=True,
                                                                cookie_url=httpserver.url_for("/private/index")))
    assert [entry[0].path for entry in httpserver.log] == ["/robots.txt"]


def test_the_body_cap_holds_for_a_post(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/big", method="POST").respond_with_data("x" * 5000)
    with pytest.raises(errors.BodyTooLarge):
        fetcher(max_body_bytes=1000).fetch(httpserver.url_for("/big"), request=RequestSpec(method="POST"))


def test_a_failing_cookie_page_says_which_page_failed(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/index.html").respond_with_data("gone", status=404)
    spec = RequestSpec(cookies=True, cookie_url=httpserver.url_for("/index.html"))
    with pytest.raises(errors.HTTPStatusError, match="the cookie page .*/index.html: HTTP 404"):
        fetcher().fetch(httpserver.url_for("/api"), request=spec)


@pytest.mark.parametrize(("headers", "expected"), [
    (["a=1; Path=/; HttpOnly", "b=2"], {"a": "1", "b": "2"}),
    (['q="quoted value"; Max-Age=60'], {"q": "quoted value"}),
    (["we:ird=3; Path=/"], {"we:ird": "3"}),  # a name SimpleCookie refuses, read as browsers do
    (["no pair at all"], {}),
])
def test_set_cookie_values_are_read_as_browsers_read_them(headers: list[str], expected: dict[str, str]) -> None:
    assert set_cookies(headers) == expected


def test_sources_of_one_host_wait_for_its_cookie_page_rather_than_ask_without_it(httpserver: HTTPServer) -> None:
    import threading
    import time

    def column(request: Request) -> Response:
        time.sleep(0.3)  # a slow first page: the host's other sources start meanwhile
        return Response("<html>column</html>", headers={"Set-Cookie": "sid=1"})

    def api(request: Request) -> Response:
        return Response("{}" if request.cookies.get("sid") == "1" else "refused", status=200 if request.cookies else 403)

    httpserver.expect_request("/column").respond_with_handler(column)
    httpserver.expect_request("/api").respond_with_handler(api)
    spec = RequestSpec(cookies=True, cookie_url=httpserver.url_for("/column"))
    f = fetcher()
    results: list[object] = []

    def one() -> None:
        try:
            results.append(f.fetch(httpserver.url_for("/api"), request=spec))
        except errors.FetchError as exc:
            results.append(exc)

    threads = [threading.Thread(target=one) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(isinstance(r, FetchResponse) for r in results), results
    assert [entry[0].path for entry in httpserver.log].count("/column") == 1
