"""Fetching against real local HTTP servers: validators, retries, caps, redirects, robots, politeness."""

from __future__ import annotations

import socket
import time

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from rulewatch.core import errors
from rulewatch.core.model import HostPolicy
from rulewatch.scrapers.fetch import Fetcher, FetchSettings, NotModified, Validators
from rulewatch.scrapers.fetch import Response as FetchResponse

FAST = FetchSettings(host_policy=HostPolicy(4, 0.0), backoff_base=0.01, respect_robots=False,
                     connect_timeout=2, read_timeout=1, total_timeout=5)


def fetcher(**overrides: object) -> Fetcher:
    from dataclasses import replace

    return Fetcher(replace(FAST, **overrides))  # type: ignore[arg-type]


def test_ok_returns_body_headers_and_server_validators(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/page").respond_with_data(
        "<p>hello</p>", content_type="text/html", headers={"ETag": '"v1"', "Last-Modified": "Tue, 17 Nov 2026 08:00:00 GMT"}
    )
    resp = fetcher().fetch(httpserver.url_for("/page"))
    assert isinstance(resp, FetchResponse)
    assert resp.status == 200 and resp.body == b"<p>hello</p>"
    assert resp.validators == Validators('"v1"', "Tue, 17 Nov 2026 08:00:00 GMT")
    assert "rulewatch" in httpserver.log[0][0].headers["User-Agent"]


def test_conditional_request_sends_the_servers_own_validators_and_304_is_not_modified(httpserver: HTTPServer) -> None:
    seen: list[dict[str, str]] = []

    def handler(request: Request) -> Response:
        seen.append(dict(request.headers))
        if request.headers.get("If-None-Match") == '"v1"':
            return Response(status=304, headers={"ETag": '"v1"'})
        return Response("body", headers={"ETag": '"v1"'})

    httpserver.expect_request("/doc").respond_with_handler(handler)
    f = fetcher()
    first = f.fetch(httpserver.url_for("/doc"))
    assert isinstance(first, FetchResponse)
    second = f.fetch(httpserver.url_for("/doc"), Validators('"v1"', "Mon, 16 Nov 2026 00:00:00 GMT"))
    assert isinstance(second, NotModified)
    assert seen[1]["If-Modified-Since"] == "Mon, 16 Nov 2026 00:00:00 GMT"  # the server's value, not our clock
    assert second.validators.etag == '"v1"'


def test_retry_after_is_honoured_then_success(httpserver: HTTPServer) -> None:
    calls: list[float] = []

    def handler(request: Request) -> Response:
        calls.append(time.monotonic())
        if len(calls) == 1:
            return Response("busy", status=503, headers={"Retry-After": "1"})
        return Response("ok")

    httpserver.expect_request("/r").respond_with_handler(handler)
    resp = fetcher().fetch(httpserver.url_for("/r"))
    assert isinstance(resp, FetchResponse) and resp.body == b"ok"
    assert len(calls) == 2 and calls[1] - calls[0] >= 0.9


def test_429_without_retry_after_backs_off_and_gives_up_with_a_clear_error(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/limited").respond_with_data("slow down", status=429)
    with pytest.raises(errors.HTTPStatusError) as info:
        fetcher(max_retries=2).fetch(httpserver.url_for("/limited"))
    assert info.value.status == 429 and "429" in info.value.describe()
    assert len(httpserver.log) == 3


def test_retry_after_longer_than_the_cap_fails_now(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/later").respond_with_data("", status=503, headers={"Retry-After": "3600"})
    with pytest.raises(errors.HTTPStatusError):
        fetcher().fetch(httpserver.url_for("/later"))
    assert len(httpserver.log) == 1


def test_4xx_is_not_retried(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/gone").respond_with_data("no", status=404)
    with pytest.raises(errors.HTTPStatusError) as info:
        fetcher().fetch(httpserver.url_for("/gone"))
    assert info.value.status == 404 and len(httpserver.log) == 1


def test_body_over_the_cap_stops_with_too_large(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/big").respond_with_data(b"x" * 5000)
    with pytest.raises(errors.BodyTooLarge):
        fetcher(max_body_bytes=1000).fetch(httpserver.url_for("/big"))


def test_chunked_body_over_the_cap_stops_while_reading(httpserver: HTTPServer) -> None:
    def stream(request: Request) -> Response:
        return Response((b"y" * 1000 for _ in range(50)), headers={"Content-Type": "text/plain"})

    httpserver.expect_request("/stream").respond_with_handler(stream)
    with pytest.raises(errors.BodyTooLarge):
        fetcher(max_body_bytes=10_000).fetch(httpserver.url_for("/stream"))


def test_read_timeout(httpserver: HTTPServer) -> None:
    def slow(request: Request) -> Response:
        time.sleep(1.5)
        return Response("late")

    httpserver.expect_request("/slow").respond_with_handler(slow)
    with pytest.raises(errors.FetchTimeout):
        fetcher(read_timeout=0.3, max_retries=0).fetch(httpserver.url_for("/slow"))


def test_redirect_loop_is_capped(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/a").respond_with_data("", status=302, headers={"Location": "/b"})
    httpserver.expect_request("/b").respond_with_data("", status=302, headers={"Location": "/a"})
    with pytest.raises(errors.TooManyRedirects):
        fetcher().fetch(httpserver.url_for("/a"))


def test_redirect_is_followed_and_final_url_kept(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/old").respond_with_data("", status=301, headers={"Location": "/new"})
    httpserver.expect_request("/new").respond_with_data("moved here")
    resp = fetcher().fetch(httpserver.url_for("/old"))
    assert isinstance(resp, FetchResponse) and resp.final_url.endswith("/new")


def test_redirect_to_a_file_url_is_refused(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/evil").respond_with_data("", status=302, headers={"Location": "file:///etc/passwd"})
    with pytest.raises(errors.BadURL):
        fetcher().fetch(httpserver.url_for("/evil"))


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.org/x", "javascript:alert(1)", "gopher://x"])
def test_only_http_urls_are_fetched(url: str) -> None:
    with pytest.raises(errors.BadURL):
        fetcher().fetch(url)


def test_connection_refused() -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    with pytest.raises(errors.ConnectFailed) as info:
        fetcher(max_retries=1).fetch(f"http://127.0.0.1:{port}/")
    assert "refused" in str(info.value).lower()


def test_robots_txt_disallow_is_honoured(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/robots.txt").respond_with_data("User-agent: *\nDisallow: /private/\n")
    httpserver.expect_request("/private/rule.html").respond_with_data("secret")
    httpserver.expect_request("/public.html").respond_with_data("public")
    f = fetcher(respect_robots=True)
    with pytest.raises(errors.RobotsDisallowed):
        f.fetch(httpserver.url_for("/private/rule.html"))
    assert isinstance(f.fetch(httpserver.url_for("/public.html")), FetchResponse)
    paths = [req.path for req, _ in httpserver.log]
    assert "/private/rule.html" not in paths and paths.count("/robots.txt") == 1


def test_missing_robots_txt_allows_everything(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/robots.txt").respond_with_data("", status=404)
    httpserver.expect_request("/x").respond_with_data("x")
    assert isinstance(fetcher(respect_robots=True).fetch(httpserver.url_for("/x")), FetchResponse)


def test_per_host_delay_spaces_requests(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/p").respond_with_data("p")
    f = fetcher(host_policy=HostPolicy(2, 0.2))
    started = time.monotonic()
    for _ in range(4):
        f.fetch(httpserver.url_for("/p"))
    assert time.monotonic() - started >= 0.6  # 4 starts, at least 0.2 s apart


def test_per_host_concurrency_is_capped() -> None:
    import threading
    from concurrent.futures import ThreadPoolExecutor

    def peak_with(policy: HostPolicy) -> int:
        active, peak, lock = [0], [0], threading.Lock()

        def handler(request: Request) -> Response:
            with lock:
                active[0] += 1
                peak[0] = max(peak[0], active[0])
            time.sleep(0.1)
            with lock:
                active[0] -= 1
            return Response("ok")

        with HTTPServer(threaded=True) as server:
            server.expect_request("/c").respond_with_handler(handler)
            f = fetcher(host_policy=policy)
            with ThreadPoolExecutor(8) as pool:
                list(pool.map(lambda _: f.fetch(server.url_for("/c")), range(8)))
        return peak[0]

    assert peak_with(HostPolicy(2, 0.0)) == 2
    assert peak_with(HostPolicy(8, 0.0)) > 2  # the server itself would take more at once


def test_proxies_from_the_environment_are_honoured(httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch) -> None:
    # The "proxy" is our local server: a request for another host must arrive there.
    httpserver.expect_request("/via-proxy").respond_with_data("proxied")
    monkeypatch.setenv("http_proxy", f"http://127.0.0.1:{httpserver.port}")
    monkeypatch.setenv("no_proxy", "localhost")
    resp = fetcher().fetch("http://rules.example.invalid/via-proxy")
    assert isinstance(resp, FetchResponse) and resp.body == b"proxied"


def test_no_proxy_hosts_go_direct(httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch) -> None:
    httpserver.expect_request("/direct").respond_with_data("direct")
    monkeypatch.setenv("http_proxy", "http://127.0.0.1:9")  # nothing listens there
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    resp = fetcher().fetch(httpserver.url_for("/direct").replace("localhost", "127.0.0.1"))
    assert isinstance(resp, FetchResponse) and resp.body == b"direct"


def test_pages_read_to_the_end_reuse_the_connection() -> None:
    """A body read to its end hands the connection back: a host's pages share one connection
    (a new one per page would cost a TCP and TLS handshake each)."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    connections: list[int] = []

    class KeepAlive(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def setup(self) -> None:
            super().setup()
            connections.append(1)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass

        def do_GET(self) -> None:  # noqa: N802
            if self.headers.get("If-None-Match") == '"v1"':
                self.send_response(304)
                self.send_header("ETag", '"v1"')
                self.end_headers()
                return
            body = b"<p>rule text</p>" * 2000
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("ETag", '"v1"')
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), KeepAlive)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        f = fetcher()
        for n in range(5):
            resp = f.fetch(f"http://127.0.0.1:{server.server_address[1]}/page/{n}")
            assert isinstance(resp, FetchResponse) and len(resp.body) == 32_000
            assert isinstance(f.fetch(resp.url, resp.validators), NotModified)
        assert len(connections) == 1
    finally:
        server.shutdown()
        server.server_close()


def _self_signed(tmp_path: object) -> tuple[str, str]:
    import datetime
    import ipaddress
    from pathlib import Path

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "rulewatch test")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    folder = Path(str(tmp_path))
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return str(cert_file), str(key_file)


def test_https_certificates_are_verified_against_the_configured_ca_bundle(
    tmp_path: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    import ssl

    cert_file, key_file = _self_signed(tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    with HTTPServer(host="127.0.0.1", ssl_context=context) as server:
        server.expect_request("/rules").respond_with_data("<p>secure rules</p>")
        url = f"https://127.0.0.1:{server.port}/rules"
        for variable in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE"):
            monkeypatch.delenv(variable, raising=False)
        with pytest.raises(errors.ConnectFailed, match="(?i)certificate"):
            fetcher().fetch(url)  # an unknown issuer is refused, not trusted
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", cert_file)
        resp = fetcher().fetch(url)
        assert isinstance(resp, FetchResponse) and resp.body == b"<p>secure rules</p>"


@pytest.mark.parametrize(("value", "kept"), [('"abc-123"', True), ('W/"5f2e"', True), ('"a\x00b"', False),
                                              ("Tue, 01 Dec 2026 10:00:00 GMT", True), ('"a\x1bb"', False)])
def test_a_validator_with_a_control_character_is_never_sent_back(value: str, kept: bool) -> None:
    """A NUL in an ETag was stored as U+FFFD and sent back in If-None-Match: the source failed every check."""
    from rulewatch.scrapers.fetch import _sendable

    assert (_sendable(value) == value) is kept and (kept or _sendable(value) == "")
