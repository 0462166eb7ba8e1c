"""robots.txt is read once per host, even by threads that ask at once, and only its first 500 KiB
(issue 19, finding 9: an 18.6 MB robots.txt read by 8 threads at once reached 7 GB)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from rulewatch.core import errors
from rulewatch.core.model import HostPolicy
from rulewatch.scrapers.fetch import ROBOTS_MAX_BYTES, Fetcher, FetchSettings
from tests.faultserver import FaultServer, respond

HUGE_ROBOTS = (b"User-agent: *\nDisallow: /private/\n" + b"# padding\n" * (ROBOTS_MAX_BYTES // 5)
               + b"User-agent: *\nDisallow: /late/\n")


def test_a_huge_robots_txt_is_read_once_and_only_its_head() -> None:
    assert len(HUGE_ROBOTS) > 2 * ROBOTS_MAX_BYTES
    server = FaultServer()
    server.routes["/robots.txt"] = respond(HUGE_ROBOTS, content_type="text/plain")
    server.routes["/late/rule.html"] = respond(b"<html><body><p>rule</p></body></html>")
    server.routes["/private/rule.html"] = respond(b"<html><body><p>secret</p></body></html>")
    fetcher = Fetcher(FetchSettings(max_retries=0, host_policy=HostPolicy(8, 0.0)))
    try:
        with ThreadPoolExecutor(8) as pool:
            bodies = list(pool.map(lambda _: fetcher.fetch(server.url("/late/rule.html")), range(8)))
        assert all(b.body.startswith(b"<html>") for b in bodies)  # type: ignore[union-attr]
        assert server.hits["/robots.txt"] == 1  # eight threads, one read
        with pytest.raises(errors.RobotsDisallowed):  # the rules at its head still apply
            fetcher.fetch(server.url("/private/rule.html"))
        assert server.hits["/robots.txt"] == 1
    finally:
        fetcher.close()
        server.stop()
