"""Issue 14 end to end: a source of each real-page defect, `rulewatch run` twice (or three times),
then `alerts --json`: changes are alerted, noise is not, failures are failures (never a change, and
their recovery is not one either)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rulewatch.cli import EXIT_OK, EXIT_SOURCE_FAILED, main
from tests.faultserver import FaultServer, respond

DATA = Path(__file__).resolve().parents[1] / "data" / "realshapes"
TYPES = {".html": "text/html", ".json": "application/json"}


def _file(name: str, old: str = "", new: str = "") -> tuple[bytes, str]:
    path = DATA / name
    body = path.read_bytes()
    if old:
        assert old.encode() in body
        body = body.replace(old.encode(), new.encode())
    return body, TYPES[path.suffix]


# source name -> the bodies served on each run (v1, v2, v3)
VERSIONS = {
    "stray-tags": [_file("stray_end_tags.html"), _file("stray_end_tags.html", "二十四小时", "十二小时"),
                   _file("stray_end_tags.html", "二十四小时", "十二小时")],
    "catalog": [_file("records_unfamiliar_v1.json"), _file("records_unfamiliar_v2.json"),
                _file("records_unfamiliar_v2.json")],
    "columns": [_file("sibling_arrays_v1.json"), _file("sibling_arrays_v2.json"), _file("sibling_arrays_v2.json")],
    "penalty": [_file("meta_title.html"), _file("meta_title.html", "罚款80万元", "罚款90万元"),
                _file("meta_title.html", "罚款80万元", "罚款90万元")],
    "furniture": [_file("article_furniture_v1.html"), _file("article_furniture_v2.html"),
                  _file("article_furniture_v2.html")],
    "flipping": [_file("list_flip_v1.html"), _file("list_flip_v2.html"), _file("list_flip_v1.html")],
    "stub": [_file("short_notice.html"), _file("maintenance_stub.html"), _file("short_notice.html")],
    "damaged": [_file("short_notice.html"), _file("damaged_utf8.html"), _file("short_notice.html")],
}


def _serve(server: FaultServer, run: int) -> None:
    for name, bodies in VERSIONS.items():
        body, content_type = bodies[run]
        server.routes[f"/{name}"] = respond(body, content_type=content_type)


def _alerts(capsys: pytest.CaptureFixture[str]) -> list[dict[str, object]]:
    capsys.readouterr()
    assert main(["alerts", "--json"]) == 0
    return [a for a in json.loads(capsys.readouterr().out) if a["kind"] not in ("source_failing", "source_recovered")]


@pytest.mark.slow
def test_each_real_shape_alerts_right_end_to_end(tmp_path: Path, rw_env: dict[str, str],
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    server = FaultServer()
    server.routes["/robots.txt"] = respond(b"", status=404, content_type="text/plain")
    lines = ["sources:"]
    for name in VERSIONS:
        lines += [f"  - name: {name}", f"    url: {server.url('/' + name)}", "    alert_on: any", "    follow: false"]
    sources = tmp_path / "sources.yaml"
    sources.write_text("\n".join(lines) + "\n", encoding="utf-8")
    try:
        _serve(server, 0)
        assert main(["run", "--no-deliver", "--sources", str(sources)]) == EXIT_OK
        assert _alerts(capsys) == []  # a baseline alerts on nothing

        _serve(server, 1)
        assert main(["run", "--no-deliver", "--sources", str(sources)]) == EXIT_SOURCE_FAILED
        out = capsys.readouterr().out
        assert "FAIL stub: maintenance:" in out and "FAIL damaged: undecodable:" in out
        by_source: dict[str, list[dict[str, object]]] = {}
        for alert in _alerts(capsys):
            by_source.setdefault(str(alert["source"]), []).append(alert)
        assert sorted(by_source) == ["catalog", "columns", "penalty", "stray-tags"]
        assert all(len(alerts) == 1 for alerts in by_source.values()), by_source
        assert "十二小时" in str(by_source["stray-tags"][0]["added"])
        assert by_source["catalog"][0]["title"] == "Umbrella Bank Core Connector Hard-coded Credentials"
        assert by_source["columns"][0]["title"] == "金融机构关键信息基础设施安全可控采购指引（征求意见稿）"
        assert "行政处罚信息公开表（示罚决字〔2026〕7号）" in str(by_source["penalty"][0]["title"])

        _serve(server, 2)  # the stub and the damaged body recover; the list flips back
        assert main(["run", "--no-deliver", "--sources", str(sources)]) == EXIT_OK
        assert len(_alerts(capsys)) == 4  # nothing new: a recovery is not a change
    finally:
        server.stop()


@pytest.mark.slow
def test_a_source_behind_a_cookie_wall_is_watched_through_the_browser(
    tmp_path: Path, rw_env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("playwright.sync_api", reason="the browser extra is not installed")
    from rulewatch.scrapers.browser import BrowserUnavailable, find_browser

    try:
        find_browser()
    except BrowserUnavailable as exc:
        pytest.skip(str(exc))
    from tests.scrapers.test_browser import PASS, WALL

    server = FaultServer()
    server.routes["/robots.txt"] = respond(b"", status=404, content_type="text/plain")

    def walled(body: bytes):  # type: ignore[no-untyped-def]
        return lambda h: respond(body if PASS in (h.headers.get("Cookie") or "") else WALL)(h)

    sources = tmp_path / "sources.yaml"
    sources.write_text(f"sources:\n  - name: walled\n    url: {server.url('/notice')}\n    fetcher: browser\n"
                       f"  - name: plain\n    url: {server.url('/notice')}\n", encoding="utf-8")
    try:
        server.routes["/notice"] = walled((DATA / "article_furniture_v1.html").read_bytes())
        assert main(["run", "--no-deliver", "--sources", str(sources)]) == EXIT_SOURCE_FAILED
        out = capsys.readouterr().out
        assert "FAIL plain: challenge:" in out and "walled: baseline" in out
        server.routes["/notice"] = walled((DATA / "article_furniture_v3.html").read_bytes())
        assert main(["run", "--no-deliver", "--sources", str(sources)]) == EXIT_SOURCE_FAILED
        alerts = _alerts(capsys)
        assert [a["source"] for a in alerts] == ["walled"]
        assert "2026年7月15日" in str(alerts[0]["added"])
    finally:
        server.stop()


@pytest.mark.slow
def test_a_source_that_looks_wrong_fails_and_earns_the_health_notice(
    tmp_path: Path, rw_env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    server = FaultServer()
    server.routes["/robots.txt"] = respond(b"", status=404, content_type="text/plain")
    server.routes["/detail"] = respond((DATA / "js_rendered.html").read_bytes())
    sources = tmp_path / "sources.yaml"
    sources.write_text(f"sources:\n  - name: rendered\n    url: {server.url('/detail')}\n", encoding="utf-8")
    try:
        for _ in range(3):
            assert main(["run", "--no-deliver", "--sources", str(sources)]) == EXIT_SOURCE_FAILED
            assert "FAIL rendered: looks_wrong: " in capsys.readouterr().out
        assert main(["alerts", "--json"]) == 0
        notices = json.loads(capsys.readouterr().out)
        assert [a["kind"] for a in notices] == ["source_failing"]
        assert "looks_wrong" in str(notices[0]["added"]) and "fetcher: browser" in str(notices[0]["added"])
    finally:
        server.stop()
