"""scrapers.headers reads a header block exactly as http.client (through email.parser) does, and the
fetcher's connections use it."""

from __future__ import annotations

import http.client
import io
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rulewatch.core.model import HostPolicy
from rulewatch.scrapers.deadline import DeadlinedHTTPConnection
from rulewatch.scrapers.fetch import Fetcher, FetchSettings, NotModified, Validators
from rulewatch.scrapers.headers import PlainHeadersResponse, parse_headers


def _both(block: bytes) -> tuple[http.client.HTTPMessage, http.client.HTTPMessage]:
    return parse_headers(io.BytesIO(block)), http.client.parse_headers(io.BytesIO(block))


def _same(ours: http.client.HTTPMessage, stdlib: http.client.HTTPMessage) -> None:
    assert ours.items() == stdlib.items()
    assert [type(d) for d in ours.defects] == [type(d) for d in stdlib.defects]
    assert ours.get_payload() == stdlib.get_payload()
    assert ours.get_unixfrom() == stdlib.get_unixfrom()


@pytest.mark.parametrize("block", [
    b"Server: nginx\r\nETag: \"6752a3c0-4e20\"\r\nLast-Modified: Sat, 05 Dec 2026 17:00:00 GMT\r\n\r\n",
    b"Set-Cookie: a=1\r\nSet-Cookie: b=2\r\nX-Empty:\r\nX-Blank:   \r\nX-Trailing: v  \r\n\r\n",
    b"Content-Type: text/html; charset=GBK\nContent-Length: 12\n\n",  # bare LF line ends
    b"X-Folded: one\r\n two\r\n\tthree\r\nNext: 1\r\n\r\n",  # obsolete line folding
    b"Good: 1\r\nno colon here\r\nLater: 2\r\n\r\n",  # a broken line: the rest is unparsed data
    b": no name\r\nX: 1\r\n\r\n",
    b" leading continuation\r\nX: 1\r\n\r\n",
    b"From someone\r\nX: 1\r\n\r\n",  # a Unix "From " line
    b"X: a\rb\r\nY: 2\r\n\r\n",  # a lone CR inside a value
    b"X: caf\xe9 \x85 end\r\n\r\n",  # Latin-1 bytes, NEL among them
    b"Name With Space: 1\r\n\r\n",
    b"X: 1\r\n",  # the stream ends without the blank line
    b"\r\n",
    b"",
])
def test_a_header_block_reads_as_the_stdlib_reads_it(block: bytes) -> None:
    _same(*_both(block))


_PIECES = st.sampled_from(["X-A", "ETag", ":", " ", "\t", "v", "\r", "\n", "\r\n", "From ", "é", "=", '"'])


@settings(max_examples=1500, deadline=None)
@given(st.lists(st.lists(_PIECES, max_size=8).map("".join), max_size=6))
def test_any_header_block_reads_as_the_stdlib_reads_it(lines: list[str]) -> None:
    block = "".join(line + "\r\n" for line in lines).encode("latin-1") + b"\r\n"
    _same(*_both(block))


def test_too_many_headers_are_refused_as_by_the_stdlib() -> None:
    block = b"".join(b"X-%d: 1\r\n" % n for n in range(101)) + b"\r\n"
    with pytest.raises(http.client.HTTPException, match="more than 100 headers"):
        parse_headers(io.BytesIO(block))
    with pytest.raises(http.client.LineTooLong):
        parse_headers(io.BytesIO(b"X: " + b"a" * 70_000 + b"\r\n\r\n"))


_STAMP = "Sat, 05 Dec 2026 17:00:00 GMT"
_BODY = "第八条 网络安全事件应当在二十四小时内报告。".encode("gbk")
_FIELDS = {"Content-Type": "text/plain; charset=GBK", "Last-Modified": _STAMP,
           "X-Folded": "one\r\n two"}  # a folded field: this block is read the email.parser way


class _Handler(BaseHTTPRequestHandler):
    """A GBK page under Last-Modified only: a 304 once the client sends it back."""

    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass

    def do_GET(self) -> None:  # noqa: N802
        fresh = self.headers.get("If-Modified-Since") == _STAMP
        self.send_response(304 if fresh else 200)
        for name, value in _FIELDS.items():
            self.send_header(name, value)
        self.send_header("Content-Length", "0" if fresh else str(len(_BODY)))
        self.end_headers()
        if not fresh:
            self.wfile.write(_BODY)


def test_the_fetchers_connections_read_headers_this_way() -> None:
    assert DeadlinedHTTPConnection.response_class is PlainHeadersResponse
    assert PlainHeadersResponse.begin is not http.client.HTTPResponse.begin  # this Python's begin, rebound
    assert http.client.parse_headers.__module__ == "http.client"  # other clients in the process keep theirs
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/rule"
        fetcher = Fetcher(FetchSettings(host_policy=HostPolicy(2, 0), respect_robots=False))
        first = fetcher.fetch(url)
        assert not isinstance(first, NotModified)
        assert first.body.decode("gbk").startswith("第八条")
        assert first.headers["content-type"] == "text/plain; charset=GBK"
        assert first.headers["x-folded"] == "one two"  # unfolded by urllib3, as before
        assert first.validators == Validators("", _STAMP)
        again = fetcher.fetch(url, first.validators)  # the same kept-alive connection, a 304
        assert isinstance(again, NotModified) and again.validators.last_modified == _STAMP
        fetcher.close()
    finally:
        server.shutdown()
        server.server_close()

