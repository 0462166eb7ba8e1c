"""Content-Encoding is undone by rulewatch itself, under the body cap and the total deadline
(issue 19, finding 7): an endless stream of empty deflate blocks stops at the deadline, a bomb at
the cap, and the encodings real servers send (gzip members, raw deflate, trailing junk) read right."""

from __future__ import annotations

import gzip
import time
import zlib
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler

import pytest

from rulewatch.core import errors
from rulewatch.scrapers.fetch import Fetcher, FetchSettings
from tests.faultserver import FaultServer, respond, slow_drip, slow_headers

TEXT = ("<html><body><p>" + "第一条 运营者应当在二十四小时内报告网络安全事件。" * 50 + "</p></body></html>").encode()


def _encoded(body: bytes, encoding: str) -> BaseHTTPRequestHandler:
    return respond(body, headers={"Content-Encoding": encoding})  # type: ignore[return-value]


def _endless_empty_deflate(h: BaseHTTPRequestHandler) -> None:
    """A deflate stream that never ends and never yields a byte: empty stored blocks, forever (15 s)."""
    h.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Encoding: deflate\r\n"
                  b"Transfer-Encoding: chunked\r\n\r\n")
    compressor = zlib.compressobj()
    head = compressor.compress(b"<html>") + compressor.flush(zlib.Z_SYNC_FLUSH)
    h.wfile.write(b"%x\r\n%s\r\n" % (len(head), head))
    empty = compressor.flush(zlib.Z_SYNC_FLUSH) or b"\x00\x00\x00\xff\xff"
    block = empty * 20
    stop = time.monotonic() + 15
    try:
        while time.monotonic() < stop:
            h.wfile.write(b"%x\r\n%s\r\n" % (len(block), block))
            h.wfile.flush()
            time.sleep(0.005)
    except OSError:
        pass  # the client gave up, as it should


@pytest.fixture(scope="module")
def site() -> Iterator[FaultServer]:
    server = FaultServer()
    raw_deflate = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    routes = {
        "/gzip": _encoded(gzip.compress(TEXT), "gzip"),
        "/deflate": _encoded(zlib.compress(TEXT), "deflate"),
        "/raw-deflate": _encoded(raw_deflate.compress(TEXT) + raw_deflate.flush(), "deflate"),
        "/members": _encoded(gzip.compress(TEXT[:500]) + gzip.compress(TEXT[500:]), "gzip"),
        "/trailing-junk": _encoded(gzip.compress(TEXT) + b"\x00junk after the member", "gzip"),
        "/corrupt": _encoded(b"\x1f\x8b\x08\x00not gzip at all", "gzip"),
        "/bomb": _encoded(gzip.compress(b"\x00" * 30_000_000), "gzip"),
        "/endless": _endless_empty_deflate,
    }
    server.routes.update(routes)  # type: ignore[arg-type]
    yield server
    server.stop()


def _fetcher(**settings: object) -> Fetcher:
    return Fetcher(FetchSettings(**{"max_retries": 0, "respect_robots": False, **settings}))  # type: ignore[arg-type]


@pytest.mark.parametrize("path", ["/gzip", "/deflate", "/raw-deflate", "/members", "/trailing-junk"])
def test_encoded_bodies_read_whole(site: FaultServer, path: str) -> None:
    resp = _fetcher().fetch(site.url(path))
    assert resp.body == TEXT  # type: ignore[union-attr]


def test_a_corrupt_body_is_an_extract_error(site: FaultServer) -> None:
    with pytest.raises(errors.ExtractError, match="corrupt"):
        _fetcher().fetch(site.url("/corrupt"))


def test_a_bomb_stops_at_the_cap(site: FaultServer) -> None:
    with pytest.raises(errors.BodyTooLarge, match="once decompressed"):
        _fetcher(max_body_bytes=1_000_000).fetch(site.url("/bomb"))


def test_endless_empty_deflate_blocks_stop_at_the_deadline(site: FaultServer) -> None:
    """Before, urllib3's decoder looped inside one read for as long as the server went on (here 15 s,
    then a truncation); the deadline must end it instead."""
    with pytest.raises(errors.FetchTimeout):
        _fetcher(total_timeout=1.0).fetch(site.url("/endless"))


def test_the_total_timeout_is_per_check_not_per_attempt() -> None:
    """A slow drip used to be retried with a fresh 90 s each time (3 x 90 s); the budget is the check's."""
    server = FaultServer()
    server.routes["/drip"] = slow_drip
    try:
        with pytest.raises(errors.FetchTimeout, match="in all"):
            _fetcher(total_timeout=1.0, max_retries=2).fetch(server.url("/drip"))
        assert server.hits["/drip"] == 1  # the budget was spent by the first attempt: no retry
    finally:
        server.stop()


def test_headers_dripped_slower_than_the_deadline_stop_at_it() -> None:
    """Issue 19, finding 8 (slowloris): urllib3's timeouts apply per read, so a header drip went on
    as long as the server liked; the check's deadline now covers the headers too."""
    server = FaultServer()
    server.routes["/slow-headers"] = slow_headers
    try:
        with pytest.raises(errors.FetchTimeout, match="headers still arriving"):
            _fetcher(total_timeout=1.5, read_timeout=1.0).fetch(server.url("/slow-headers"))
        assert server.hits["/slow-headers"] == 1
    finally:
        server.stop()
