"""Every kind of fault a source can throw: the source is marked failed with a clear reason, no
snapshot is written, the other sources' checks and alerts go on, and no change or false "removed"
alert follows when the good page returns."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from faultserver import FaultServer, redirect_to, reset_mid_body, respond, slow_drip, stall, truncated
from pytest_httpserver import HTTPServer

from rulewatch.config import Source
from rulewatch.core.model import HostPolicy
from rulewatch.scrapers.fetch import FetchSettings
from rulewatch.state import Store
from tests.cycles import cycle as run_one_cycle

ARTICLES = "".join(f"<p>第{n}条 银行业金融机构应当落实网络安全等级保护制度，定期开展第{n}项安全评估。</p>" for n in range(1, 9))
GOOD = f"<html><head><meta charset='utf-8'><title>网络安全管理办法</title></head><body><div class='content'><h1>网络安全管理办法</h1>{ARTICLES}</div></body></html>".encode()
LIST_V1 = "".join(f'<li><a href="/d/{n}.html">关于做好第{n}批网络安全检查工作的通知</a><span>2026-11-{n:02d}</span></li>' for n in range(20, 10, -1))
OTHER_V1 = "<html><body><div class='content'><h1>采购管理办法</h1><p>第一条 银行业金融机构采购信息技术产品，应当开展供应商评估。</p><p>第二条 本办法自发布之日起施行。</p></div></body></html>"
OTHER_V2 = OTHER_V1.replace("第二条 本办法自发布之日起施行。", "第二条 优先采购安全可控产品。</p><p>第三条 本办法自发布之日起施行。")
BILLION_LAUGHS = b"""<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">
<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;">]><rss version="2.0"><channel><title>&c;</title></channel></rss>"""

# fault name -> (how the victim misbehaves, the reason tag its failure must carry)
FAULTS = {
    "http_500": (respond(b"oops", status=500), "http_status"),
    "http_502": (respond(b"bad gateway", status=502), "http_status"),
    "http_503": (respond(b"busy", status=503), "http_status"),
    "http_504": (respond(b"timeout", status=504), "http_status"),
    "http_429_retry_after": (respond(b"slow down", status=429, headers={"Retry-After": "1"}), "http_status"),
    "http_429_plain": (respond(b"slow down", status=429), "http_status"),
    "connection_refused": (None, "connection"),
    "reset_mid_body": (reset_mid_body, "truncated"),
    "read_timeout": (stall(3), "timeout"),
    "slow_drip": (slow_drip, "timeout"),
    "truncated_body": (truncated, "truncated"),
    "redirect_loop": (redirect_to("/victim"), "redirects"),
    "body_over_cap": (respond(b"<html><body>" + b"x" * 300_000 + b"</body></html>"), "too_large"),
    "empty_200": (respond(b""), "empty_body"),
    "challenge_page": (respond(b"<html><script>var wzwschallenge='1';document.cookie='a=b';</script></html>"), "challenge"),
    "error_page_200": (respond(b"<html><head><title>404 Not Found</title></head><body>Not Found</body></html>"), "not_a_document"),
    "shrunk_to_stub": (respond("<html><body><div class='content'><p>暂无内容</p></div></body></html>".encode()), "collapsed"),
    "maintenance_stub": (respond("<html><body><div class='content'><p>系统维护中</p></div></body></html>".encode()),
                         "maintenance"),
    "invalid_charset_bytes": (respond(bytes(range(128, 256)) * 40, content_type="text/html; charset=utf-8"), "undecodable"),
    "malformed_json": (respond(b'{"data": {"rows": [1, 2,', content_type="application/json"), "extract"),
    "hostile_xml": (respond(BILLION_LAUGHS, content_type="application/rss+xml"), "extract"),
    "pdf_that_is_not": (respond(b"%PDF-1.7 this is not a pdf", content_type="application/pdf"), "extract"),
}

FAST = FetchSettings(host_policy=HostPolicy(4, 0.0), connect_timeout=1, read_timeout=1, total_timeout=3,
                     max_body_bytes=200_000, max_retries=1, backoff_base=0.05, max_retry_after=2)


@pytest.fixture
def victim() -> Iterator[FaultServer]:
    server = FaultServer()
    server.routes["/robots.txt"] = respond(b"", status=404)
    yield server
    server.stop()


def cycle(store: Store, sources: list[Source]):  # type: ignore[no-untyped-def]
    return run_one_cycle(store, sources, FAST)


@pytest.mark.parametrize("kind", ["page", "list"])
@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_fault_is_a_failure_not_a_change(fault: str, kind: str, victim: FaultServer, httpserver: HTTPServer,
                                         store: Store) -> None:
    good = GOOD if kind == "page" else f"<html><body><ul class='list'>{LIST_V1}</ul></body></html>".encode()
    victim.routes["/victim"] = respond(good)
    httpserver.expect_request("/other").respond_with_data(OTHER_V1, content_type="text/html")
    sources = [Source(name="victim", url=victim.url("/victim")), Source(name="other", url=httpserver.url_for("/other"))]
    assert {o.status for o in cycle(store, sources).values()} == {"baseline"}

    # The victim fails while the other source changes.
    behaviour, reason = FAULTS[fault]
    if behaviour is None:
        victim.stop()
    else:
        victim.routes["/victim"] = behaviour
    httpserver.clear_all_handlers()  # type: ignore[no-untyped-call]
    httpserver.expect_request("/other").respond_with_data(OTHER_V2, content_type="text/html")
    outcomes = cycle(store, sources)
    assert outcomes["victim"].status == "failed"
    assert outcomes["victim"].error.startswith(reason), outcomes["victim"].error
    assert outcomes["other"].status == "changed" and len(outcomes["other"].alert_ids) == 1
    assert len(store.snapshots.of("victim")) == 1

    # The good page returns: nothing to report.
    if behaviour is None:
        victim.restart()
    victim.routes["/victim"] = respond(good)
    outcomes = cycle(store, sources)
    assert outcomes["victim"].status in ("unchanged", "not_modified")
    assert [a.source for a in store.outbox.alerts()] == ["other"]
    assert len(store.snapshots.of("victim")) == 1


def test_a_flapping_source_alerts_on_nothing(victim: FaultServer, store: Store) -> None:
    sources = [Source(name="victim", url=victim.url("/victim"))]
    for n in range(8):
        victim.routes["/victim"] = respond(GOOD) if n % 2 == 0 else respond(b"busy", status=503)
        outcome = cycle(store, sources)["victim"]
        assert outcome.status == ("failed" if n % 2 else ("baseline" if n == 0 else "unchanged"))
    assert store.outbox.alerts() == [] and len(store.snapshots.of("victim")) == 1


def test_a_source_down_for_good_gets_one_notice_and_one_recovery(victim: FaultServer, store: Store) -> None:
    sources = [Source(name="victim", url=victim.url("/victim"))]
    victim.routes["/victim"] = respond(GOOD)
    cycle(store, sources)
    victim.routes["/victim"] = respond(b"busy", status=503)
    for _ in range(6):
        cycle(store, sources)
    victim.routes["/victim"] = respond(GOOD)
    cycle(store, sources)
    cycle(store, sources)
    assert [a.kind for a in store.outbox.alerts(newest_first=False)] == ["source_failing", "source_recovered"]


HALF = GOOD.replace(ARTICLES.encode(), "".join(ARTICLES.split("</p>")[:2]).encode() + b"</p>")


def test_a_partial_render_is_suspected_then_cleared_or_confirmed(victim: FaultServer, store: Store) -> None:
    """A CMS that renders half a rule page one day: a suspected render failure (no snapshot, no alert)
    that the full page clears; the same loss on two checks in a row is a real change and alerts."""
    sources = [Source(name="victim", url=victim.url("/victim"))]
    victim.routes["/victim"] = respond(GOOD)
    assert cycle(store, sources)["victim"].status == "baseline"
    victim.routes["/victim"] = respond(HALF)
    outcome = cycle(store, sources)["victim"]
    assert outcome.status == "failed" and outcome.error.startswith("partial:"), outcome.error
    victim.routes["/victim"] = respond(GOOD)
    assert cycle(store, sources)["victim"].status in ("unchanged", "not_modified")
    assert store.outbox.alerts() == [] and len(store.snapshots.of("victim")) == 1

    victim.routes["/victim"] = respond(HALF)
    assert cycle(store, sources)["victim"].status == "failed"
    confirmed = cycle(store, sources)["victim"]
    assert confirmed.status == "changed" and len(confirmed.alert_ids) == 1
    assert len(store.snapshots.of("victim")) == 2
