"""The CLI end to end against real local servers and a real SQLite state."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from rulewatch.cli import build_parser, main

RULE_V1 = """<html><head><meta charset="utf-8"><title>网络安全事件报告办法</title></head><body>
<div class="nav"><a href="/">首页</a></div><div class="content"><h1>网络安全事件报告办法</h1>
<div class="info">发布时间：2026-11-20 09:12:44 浏览次数：{views}</div>
<p>第一条 为了规范网络安全事件报告，制定本办法。</p><p>第二条 本办法适用于银行业金融机构。</p>
<p>第三条 发生重大网络安全事件的，应当在{hours}内报告。</p></div></body></html>"""
FARM = """<html><head><meta charset="utf-8"><title>农业保险办法</title></head><body><div class="content">
<h1>农业保险办法</h1><p>第一条 为了规范农业保险，制定本办法。</p><p>第二条 保险机构应当在{days}内支付赔款。</p>
<p>第三条 本办法自发布之日起施行。</p></div></body></html>"""


def serve(httpserver: HTTPServer, path: str, body: str, status: int = 200) -> None:
    httpserver.clear_all_handlers()  # type: ignore[no-untyped-call]
    httpserver.expect_request(path).respond_with_data(body.encode(), status=status, content_type="text/html")


def sources_file(tmp_path: Path, **urls: str) -> str:
    lines = ["sources:"] + [f"  - name: {n}\n    url: {u}" for n, u in urls.items()]
    path = tmp_path / "sources.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


def alerts_json(capsys: pytest.CaptureFixture[str]) -> list[dict[str, object]]:
    capsys.readouterr()
    assert main(["alerts", "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_baseline_then_change_then_alert(httpserver: HTTPServer, tmp_path: Path, rw_env: dict[str, str],
                                         capsys: pytest.CaptureFixture[str]) -> None:
    httpserver.expect_request("/robots.txt").respond_with_data("", status=404)
    src = sources_file(tmp_path, rule=httpserver.url_for("/rule"), farm=httpserver.url_for("/farm"))
    httpserver.expect_request("/rule").respond_with_data(RULE_V1.format(views=1, hours="二十四小时"), content_type="text/html")
    httpserver.expect_request("/farm").respond_with_data(FARM.format(days="十日"), content_type="text/html")
    assert main(["run", "--sources", src]) == 0
    out = capsys.readouterr().out
    assert "rule: baseline" in out and "2 of 2 sources checked" in out
    assert alerts_json(capsys) == []  # the first sight alerts on nothing

    httpserver.clear_all_handlers()  # type: ignore[no-untyped-call]
    httpserver.expect_request("/robots.txt").respond_with_data("", status=404)
    httpserver.expect_request("/rule").respond_with_data(RULE_V1.format(views=2, hours="两小时"), content_type="text/html")
    httpserver.expect_request("/farm").respond_with_data(FARM.format(days="七日"), content_type="text/html")
    assert main(["run", "--sources", src]) == 0
    out = capsys.readouterr().out
    assert "Amended: 网络安全事件报告办法" in out  # console delivery without Slack
    (alert,) = alerts_json(capsys)
    assert alert["source"] == "rule" and alert["kind"] == "changed_text"
    assert "两小时" in str(alert["added"]) and "二十四小时" in str(alert["removed"])
    assert alert["topics"] == ["cybersecurity"] and alert["matched_terms"]
    assert str(alert["detected_at"]).endswith("Z") and alert["delivered_at"]
    assert "浏览次数" not in json.dumps(alert, ensure_ascii=False)
    # what changed, by when, in English, how much it matters, and who published it
    assert [r["op"] for r in alert["change_inline"]] == ["same", "removed", "added", "same"]
    assert alert["gloss_en"].startswith("Art.") and "24 hours → 2 hours" in alert["gloss_en"]
    assert alert["severity"]["level"] in ("high", "medium") and alert["severity"]["reasons"]
    assert alert["publisher"] == "localhost" and isinstance(alert["key_dates"], list)

    assert main(["history", "farm"]) == 0
    assert "not relevant: 1 text changed" in capsys.readouterr().out  # recorded, not alerted
    assert main(["diff", "rule"]) == 0
    diff = capsys.readouterr().out
    assert "- 第三条 发生重大网络安全事件的，应当在二十四小时内报告。" in diff
    assert "+ 第三条 发生重大网络安全事件的，应当在两小时内报告。" in diff


def test_a_failing_source_does_not_stop_the_others(httpserver: HTTPServer, tmp_path: Path, rw_env: dict[str, str],
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    httpserver.expect_request("/ok").respond_with_data(FARM.format(days="十日"), content_type="text/html")
    httpserver.expect_request("/gone").respond_with_data("nope", status=404)
    httpserver.expect_request("/wall").respond_with_data(
        "<html><script>var wzwschallenge='x'</script></html>", content_type="text/html")
    src = sources_file(tmp_path, ok=httpserver.url_for("/ok"), gone=httpserver.url_for("/gone"),
                       wall=httpserver.url_for("/wall"))
    assert main(["run", "--sources", src]) == 1
    out = capsys.readouterr().out
    assert "FAIL gone: http_status: HTTP 404" in out and "FAIL wall: challenge:" in out and "ok   ok: baseline" in out
    assert main(["history", "wall"]) == 0
    history = capsys.readouterr().out
    assert "snapshots:\nrecent checks:" in history  # a challenge page never becomes a snapshot


def test_bad_configuration_exits_2_and_writes_nothing(tmp_path: Path, rw_env: dict[str, str],
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("sources:\n  - name: a\n    url: ftp://x\n", encoding="utf-8")
    assert main(["run", "--sources", str(bad)]) == 2
    assert "bad.yaml:2: entry 1 ('a'): field 'url'" in capsys.readouterr().err
    assert not Path(rw_env["RULEWATCH_HOME"]).exists()
    assert main(["run", "--sources", str(tmp_path / "nope.yaml")]) == 2
    assert main(["run", "--sources", str(bad), "--only", "zzz"]) == 2


@pytest.mark.parametrize("variable, text, says", [
    ("RULEWATCH_TOPICS", "topics:\n  cloud: 7\n", "topic 'cloud'"),
    ("RULEWATCH_GLOSSARY", "terms: [1, 2]\n", "'terms:' mapping"),
])
def test_a_broken_table_file_stops_the_run_before_any_source_is_fetched(
        variable: str, text: str, says: str, httpserver: HTTPServer, tmp_path: Path, rw_env: dict[str, str],
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """The bundled tables load on the first changed page; a user's own file is read before anything."""
    table = tmp_path / "table.yaml"
    table.write_text(text, encoding="utf-8")
    monkeypatch.setenv(variable, str(table))
    serve(httpserver, "/rule", RULE_V1.format(views=1, hours="两小时"))
    assert main(["run", "--sources", sources_file(tmp_path, rule=httpserver.url_for("/rule"))]) == 2
    err = capsys.readouterr().err
    assert str(table) in err and says in err
    assert httpserver.log == []


def test_only_checks_the_named_sources(httpserver: HTTPServer, tmp_path: Path, rw_env: dict[str, str],
                                       capsys: pytest.CaptureFixture[str]) -> None:
    httpserver.expect_request("/a").respond_with_data(FARM.format(days="十日"), content_type="text/html")
    src = sources_file(tmp_path, a=httpserver.url_for("/a"), b=httpserver.url_for("/b"))
    assert main(["run", "--sources", src, "--only", "a"]) == 0
    assert "1 of 1 sources checked" in capsys.readouterr().out


def test_sources_check_shows_what_was_extracted(httpserver: HTTPServer, tmp_path: Path, rw_env: dict[str, str],
                                                capsys: pytest.CaptureFixture[str]) -> None:
    httpserver.expect_request("/rule").respond_with_data(RULE_V1.format(views=1, hours="两小时"), content_type="text/html")
    src = sources_file(tmp_path, rule=httpserver.url_for("/rule"))
    assert main(["sources", "--sources", src, "--check"]) == 0
    out = capsys.readouterr().out
    assert "ok   rule: HTTP 200 html -> page, 5 blocks, 0 items" in out
    # What an alert would quote: the title, then the first lines of text.
    lines = [line.strip() for line in out.splitlines()]
    title = lines.index("title: 网络安全事件报告办法")
    assert lines[title + 1].startswith("text:  ") and len([x for x in lines if x.startswith("text:  ")]) == 3


def test_sources_check_shows_items_and_says_what_looks_wrong(
    httpserver: HTTPServer, tmp_path: Path, rw_env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    data = Path(__file__).resolve().parents[1] / "data" / "realshapes"
    httpserver.expect_request("/list").respond_with_data((data / "list_flip_v1.html").read_bytes(), content_type="text/html")
    httpserver.expect_request("/angular").respond_with_data((data / "js_rendered.html").read_bytes(),
                                                            content_type="text/html")
    src = sources_file(tmp_path, list=httpserver.url_for("/list"), angular=httpserver.url_for("/angular"))
    assert main(["sources", "--sources", src, "--check"]) == 1
    out = capsys.readouterr().out
    assert "item:  关于开展2026年银行业网络安全检查的通知 (2026-10-20) http://" in out
    assert "FAIL angular: looks_wrong: " in out and "fetcher: browser" in out


def test_every_command_has_help() -> None:
    parser = build_parser()
    commands = parser._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    for name in commands:
        with pytest.raises(SystemExit) as info:
            main([name, "--help"])
        assert info.value.code == 0


def test_offline_run_reports_each_source_on_one_line_without_traceback(tmp_path: Path) -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    src = sources_file(tmp_path, one=f"http://127.0.0.1:{port}/a", two=f"http://127.0.0.1:{port}/b")
    exe = Path(sys.executable).parent / "rulewatch"
    env = {"RULEWATCH_HOME": str(tmp_path / "home"), "PATH": "/usr/bin:/bin", "NO_PROXY": "127.0.0.1"}
    proc = subprocess.run([str(exe), "run", "--sources", src], capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stdout + proc.stderr
    fails = [line for line in proc.stdout.splitlines() if line.startswith("FAIL")]
    assert len(fails) == 2 and all("connection: Connection refused" in f for f in fails)
    assert "rulewatch demo" in proc.stdout


def test_db_current_and_upgrade(rw_env: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    from sqlalchemy import create_engine, text

    from rulewatch.state import migrate

    assert main(["db", "current"]) == 0
    assert "empty" in capsys.readouterr().out
    assert main(["db", "upgrade"]) == 0
    assert f"created: now at revision {migrate.SCHEMA_HEAD}" in capsys.readouterr().out
    assert main(["db", "current"]) == 0
    assert "up to date" in capsys.readouterr().out
    engine = create_engine(f"sqlite:///{Path(rw_env['RULEWATCH_HOME']).absolute() / 'rulewatch.db'}")
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0099'"))
    engine.dispose()
    assert main(["db", "current"]) == 0
    assert "newer than this rulewatch knows" in capsys.readouterr().out
    assert main(["alerts"]) == 2  # refused, with the reason
    assert "upgrade rulewatch on this machine" in capsys.readouterr().err.lower()


def _one_change(httpserver: HTTPServer, tmp_path: Path) -> str:
    """A baseline run, then a page whose rule changed: one alert recorded by the second `run`."""
    httpserver.expect_request("/robots.txt").respond_with_data("", status=404)
    src = sources_file(tmp_path, rule=httpserver.url_for("/rule"))
    serve(httpserver, "/rule", RULE_V1.format(views=1, hours="二十四小时"))
    assert main(["run", "--sources", src, "--no-deliver"]) == 0
    serve(httpserver, "/rule", RULE_V1.format(views=2, hours="两小时"))
    return src


def test_without_a_sink_a_run_leaves_its_alerts_pending_and_says_so(
    httpserver: HTTPServer, tmp_path: Path, rw_env: dict[str, str], capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("RULEWATCH_SINK")  # as on a worker set up without Slack: nobody reads stdout
    src = _one_change(httpserver, tmp_path)
    assert main(["run", "--sources", src]) == 0  # the cycle did its work; its alert waits
    captured = capsys.readouterr()
    assert "Amended: " not in captured.out  # printed is not delivered
    assert "1 alert(s): no sink is configured, so they stay pending" in captured.err
    assert main(["alerts", "--pending"]) == 0 and "PENDING" in capsys.readouterr().out
    assert main(["deliver"]) == 1  # asked to deliver, and could not
    monkeypatch.setenv("RULEWATCH_SINK", "console")  # chosen: now the console is delivery
    assert main(["deliver"]) == 0
    assert "Amended: " in capsys.readouterr().out
    assert main(["alerts", "--pending"]) == 0 and "no pending alerts" in capsys.readouterr().out


@pytest.mark.parametrize("env, variable", [({"SLACK_BOT_TOKEN": "xoxb-test-token-123"}, "SLACK_CHANNEL"),
                                           ({"SLACK_CHANNEL": "#compliance"}, "SLACK_BOT_TOKEN")])
def test_a_half_slack_configuration_stops_the_run_before_it_records(
    httpserver: HTTPServer, tmp_path: Path, rw_env: dict[str, str], capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], variable: str,
) -> None:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    src = sources_file(tmp_path, rule=httpserver.url_for("/rule"))
    assert main(["run", "--sources", src]) == 2
    assert variable in capsys.readouterr().err
    assert httpserver.log == []  # nothing fetched, nothing recorded


def test_resend_posts_chosen_alerts_again(httpserver: HTTPServer, tmp_path: Path, rw_env: dict[str, str],
                                          capsys: pytest.CaptureFixture[str]) -> None:
    src = _one_change(httpserver, tmp_path)
    assert main(["run", "--sources", src]) == 0
    (alert,) = alerts_json(capsys)
    assert main(["deliver"]) == 0 and "Amended: " not in capsys.readouterr().out  # nothing pending
    assert main(["deliver", "--resend", str(alert["id"])]) == 0
    assert capsys.readouterr().out.count("Amended: ") == 1
    assert main(["deliver", "--resend", "999"]) == 2
    assert "no alert #999" in capsys.readouterr().err


def test_small_things_users_hit(httpserver: HTTPServer, tmp_path: Path, rw_env: dict[str, str],
                                capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    src = _one_change(httpserver, tmp_path)
    # PREFECT_API_URL in the environment does not turn a run into a flow run (this one answers nothing).
    monkeypatch.setenv("PREFECT_API_URL", "http://127.0.0.1:9/api")
    assert main(["run", "-v", "--sources", src]) == 0
    capsys.readouterr()
    parser = build_parser()  # -v before or after the command
    assert parser.parse_args(["run", "-v"]).verbose and parser.parse_args(["-v", "run"]).verbose
    assert not parser.parse_args(["run"]).verbose
    assert main(["alerts", "--limit", "0", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []
    assert main(["diff", "nosuch"]) == 2
    assert "no source 'nosuch' has been checked" in capsys.readouterr().err


def test_history_into_a_closed_pipe_ends_quietly(httpserver: HTTPServer, tmp_path: Path, rw_env: dict[str, str]) -> None:
    src = _one_change(httpserver, tmp_path)
    exe = Path(sys.executable).parent / "rulewatch"
    subprocess.run([str(exe), "run", "-q", "--no-deliver", "--sources", src], check=True, capture_output=True)
    # The reader is gone before the command writes a line (as `| head` is, once it has its lines).
    proc = subprocess.Popen([str(exe), "history", "rule"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 0 and "Traceback" not in err and "BrokenPipe" not in err


@pytest.mark.parametrize("case", ["ok", "by name", "wrong token", "unknown channel", "not configured"])
def test_slack_test_checks_token_and_channel_and_posts_a_sample(
    rw_env: dict[str, str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, case: str,
) -> None:
    from fakeslack import FakeSlack

    with FakeSlack("xoxb-test-token-123") as slack:
        if case != "not configured":
            monkeypatch.setenv("SLACK_API_BASE_URL", slack.base_url)
            monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-wrong" if case == "wrong token" else "xoxb-test-token-123")
            channel = {"by name": "#alerts", "unknown channel": "#compliance"}.get(case, "C-ALERTS")
            monkeypatch.setenv("SLACK_CHANNEL", channel)
        code = main(["slack-test"])
        captured = capsys.readouterr()
        if case in ("ok", "by name"):
            assert code == 0 and "token: ok, bot rulewatch in Compliance" in captured.out
            (message,) = slack.posted("C-ALERTS")
            assert message["text"].startswith("Amended: rulewatch test:") and "posted: a sample alert" in captured.out
            # the layout of a real alert: its severity and why, its English line, its key date
            shown = json.dumps(message["blocks"], ensure_ascii=False)
            assert "HIGH" in shown.upper() and "reporting deadline 24 hours → 2 hours" in shown
            assert "Takes effect" in shown
        elif case == "wrong token":
            assert code == 1 and "invalid_auth" in captured.err and "check SLACK_BOT_TOKEN" in captured.err
        elif case == "unknown channel":
            assert code == 1 and "/invite @rulewatch" in captured.err
        else:
            assert code == 2 and "no Slack bot is configured" in captured.err
        if case != "ok" and case != "by name":
            assert slack.posted("C-ALERTS") == []


@pytest.mark.parametrize("url, says", [
    ("nonsense", "rulewatch keeps its state in SQLite or PostgreSQL"),
    ("mysql://a/b", "rulewatch keeps its state in SQLite or PostgreSQL"),
    ("postgresql+psycopg://u:hidden-pw@127.0.0.1:9/x", "cannot open the database postgresql+psycopg://u:***@"),
])
def test_a_bad_database_url_is_one_line(rw_env: dict[str, str], capsys: pytest.CaptureFixture[str],
                                        monkeypatch: pytest.MonkeyPatch, url: str, says: str) -> None:
    monkeypatch.setenv("RULEWATCH_DATABASE_URL", url)
    assert main(["alerts"]) == 2
    err = capsys.readouterr().err
    assert says in err and "Traceback" not in err and "hidden-pw" not in err and len(err.strip().splitlines()) == 1


def test_routes_to_unknown_topics_are_refused(httpserver: HTTPServer, tmp_path: Path, rw_env: dict[str, str],
                                              capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test-token-123")
    monkeypatch.setenv("SLACK_CHANNEL", "C-ALERTS")
    monkeypatch.setenv("RULEWATCH_TOPIC_CHANNELS", "cybersecurity=C-SEC,cyber=C-OTHER")
    src = sources_file(tmp_path, rule=httpserver.url_for("/rule"))
    assert main(["run", "--sources", src]) == 2
    assert "RULEWATCH_TOPIC_CHANNELS routes unknown topic(s) cyber" in capsys.readouterr().err


def test_history_diff_and_sources_speak_json(httpserver: HTTPServer, tmp_path: Path, rw_env: dict[str, str],
                                             capsys: pytest.CaptureFixture[str]) -> None:
    src = _one_change(httpserver, tmp_path)
    assert main(["run", "--sources", src]) == 0
    capsys.readouterr()
    assert main(["history", "rule", "--json"]) == 0
    history = json.loads(capsys.readouterr().out)
    assert history["source"]["name"] == "rule" and len(history["snapshots"]) == 2 and len(history["changes"]) == 1
    assert [c["outcome"] for c in history["checks"]][:2] == ["changed", "baseline"]
    assert main(["diff", "rule", "--json"]) == 0
    diff = json.loads(capsys.readouterr().out)
    assert diff["substantive"] and diff["change"]["text"][0]["new"].endswith("两小时内报告。")
    assert main(["sources", "--sources", src, "--json"]) == 0
    (source,) = json.loads(capsys.readouterr().out)
    assert source["name"] == "rule" and source["group"] == "default" and "hourly" in source["schedule"]


@pytest.mark.slow
def test_a_run_into_a_closed_pipe_records_every_change(tmp_path: Path, rw_env: dict[str, str]) -> None:
    """`rulewatch run | head` (issue 19, finding 18): the reader leaves, and the cycle still records all
    its changes, past its first write batch; console alerts nobody saw stay pending."""
    from rulewatch.runner import RECORD_BATCH
    from tests.faultserver import FaultServer, respond

    server = FaultServer()
    server.routes["/robots.txt"] = respond(b"", status=404)
    names = [f"rule{n:03d}" for n in range(RECORD_BATCH + 50)]  # more than one write batch
    for name in names:
        server.routes[f"/{name}"] = respond(RULE_V1.format(views=1, hours="二十四小时").encode())
    src = sources_file(tmp_path, **{name: server.url(f"/{name}") for name in names})
    exe = Path(sys.executable).parent / "rulewatch"
    env = {**os.environ, **rw_env, "RULEWATCH_SINK": "console"}
    try:
        subprocess.run([str(exe), "run", "-q", "--sources", src], check=True, capture_output=True, env=env)
        for name in names:
            server.routes[f"/{name}"] = respond(RULE_V1.format(views=2, hours="两小时").encode())
        proc = subprocess.Popen([str(exe), "run", "--sources", src], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, env=env)
        assert proc.stdout is not None and proc.stderr is not None
        proc.stdout.close()  # the reader is gone before the first line (as `head` is, once it has its lines)
        err = proc.stderr.read().decode()
        assert proc.wait(timeout=120) in (0, 1) and "Traceback" not in err, err
        shown = subprocess.run([str(exe), "alerts", "--json"], check=True, capture_output=True, env=env)
        alerts = json.loads(shown.stdout)
        assert sorted(a["source"] for a in alerts) == names  # every change recorded
        assert all(a["delivered_at"] is None for a in alerts)  # the console could not show them
    finally:
        server.stop()


@pytest.mark.slow
def test_ctrl_c_stops_promptly_and_keeps_what_was_checked(tmp_path: Path, rw_env: dict[str, str]) -> None:
    """Issue 19, finding 12: Ctrl-C used to fetch the rest of the cycle and then throw it all away."""
    import signal
    import time as clock

    from rulewatch.state import Store
    from tests.faultserver import FaultServer, respond

    page = RULE_V1.format(views=1, hours="二十四小时").encode()

    def slow_page(h):  # type: ignore[no-untyped-def]
        clock.sleep(0.3)
        respond(page)(h)

    server = FaultServer()
    server.routes["/robots.txt"] = respond(b"", status=404)
    names = [f"rule{n:02d}" for n in range(80)]
    for name in names:
        server.routes[f"/{name}"] = slow_page
    src = sources_file(tmp_path, **{name: server.url(f"/{name}") for name in names})
    exe = Path(sys.executable).parent / "rulewatch"
    env = {**os.environ, **rw_env, "RULEWATCH_WORKERS": "2", "RULEWATCH_HOST_CONCURRENCY": "2"}
    try:
        proc = subprocess.Popen([str(exe), "run", "--no-deliver", "--sources", src], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, env=env, text=True)
        assert proc.stdout is not None
        printed = [proc.stdout.readline()]  # the first batch is recorded (about a second in)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
        printed += out.splitlines()
        assert proc.returncode == 130 and "interrupted" in err and "Traceback" not in err, err
        fetched = sum(server.hits.get(f"/{name}", 0) for name in names)
        assert fetched < len(names)  # the rest of the cycle was not fetched
        store = Store(f"sqlite:///{Path(rw_env['RULEWATCH_HOME']) / 'rulewatch.db'}")
        try:
            recorded = [s for s in store.sources.all() if s.last_snapshot_id is not None]
        finally:
            store.close()
        ok_lines = [line for line in printed if line.startswith("ok   ")]
        assert len(recorded) >= len(ok_lines) >= 1
        assert len(recorded) >= fetched - 2  # every finished check was kept, but the two under way
    finally:
        server.stop()


@pytest.mark.parametrize("service", ["up", "down"])
def test_a_cycle_adds_the_machine_translation_and_a_down_service_loses_no_alert(
        service: str, httpserver: HTTPServer, tmp_path: Path, rw_env: dict[str, str],
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from fakeopenai import FakeOpenAI

    fake = FakeOpenAI()
    fake.mode = "ok" if service == "up" else "error"
    monkeypatch.setenv("RULEWATCH_TRANSLATE_URL", fake.url)
    monkeypatch.setenv("RULEWATCH_TRANSLATE_MODEL", "qwen")
    try:
        src = sources_file(tmp_path, rule=httpserver.url_for("/rule"))
        for hours in ("二十四小时", "两小时"):
            httpserver.clear_all_handlers()  # type: ignore[no-untyped-call]
            httpserver.expect_request("/robots.txt").respond_with_data("", status=404)
            httpserver.expect_request("/rule").respond_with_data(RULE_V1.format(views=1, hours=hours),
                                                                 content_type="text/html")
            assert main(["run", "--sources", src]) == 0
        (alert,) = alerts_json(capsys)
    finally:
        fake.close()
    assert alert["gloss_en"]  # the offline English line is there either way
    if service == "up":
        assert alert["machine_translation"] == "Art. 8: report within two hours."
        assert "两小时" in fake.requests[0]["body"]["messages"][-1]["content"]
    else:
        assert alert["machine_translation"] == "" and len(fake.requests) == 1


def test_a_draft_with_a_comment_deadline_reaches_the_calendar_and_its_reminders(
        httpserver: HTTPServer, tmp_path: Path, rw_env: dict[str, str], monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    from datetime import UTC, date, datetime, timedelta

    from icalendar import Calendar

    deadline = date.today() + timedelta(days=20)
    page = ("<html><head><meta charset='utf-8'><title>数据安全管理办法（征求意见稿）</title></head><body>"
            "<div class='content'><h1>数据安全管理办法（征求意见稿）</h1><p>第一条 为了保障网络安全和数据安全，制定本办法。</p>"
            "<p>第二条 银行业金融机构应当建立数据安全管理制度。</p>{extra}</div></body></html>")
    src = sources_file(tmp_path, draft=httpserver.url_for("/draft"))
    feed = tmp_path / "www" / "rulewatch.atom"
    monkeypatch.setenv("RULEWATCH_FEED_FILE", str(feed))
    for extra in ("", f"<p>意见反馈截止时间为{deadline.year}年{deadline.month}月{deadline.day}日。</p>"):
        httpserver.clear_all_handlers()  # type: ignore[no-untyped-call]
        httpserver.expect_request("/robots.txt").respond_with_data("", status=404)
        httpserver.expect_request("/draft").respond_with_data(page.format(extra=extra), content_type="text/html")
        assert main(["run", "--sources", src]) == 0
    # each cycle that alerted rewrote the feed; `feed --atom` prints the same entries
    import xml.etree.ElementTree as ET

    (entry,) = ET.fromstring(feed.read_bytes()).findall("{http://www.w3.org/2005/Atom}entry")
    assert "数据安全管理办法" in (entry.findtext("{http://www.w3.org/2005/Atom}title") or "")
    capsys.readouterr()
    assert main(["feed", "--atom"]) == 0
    assert len(ET.fromstring(capsys.readouterr().out.encode()).findall("{http://www.w3.org/2005/Atom}entry")) == 1
    assert main(["calendar", "--json"]) == 0
    (entry,) = json.loads(capsys.readouterr().out)
    assert entry["role"] == "comment_deadline" and entry["date"] == deadline.isoformat()
    assert entry["title"] == "数据安全管理办法（征求意见稿）" and entry["url"] == httpserver.url_for("/draft")
    assert main(["calendar"]) == 0
    assert f"{deadline.isoformat()} (in 20 days) Comments due: 数据安全管理办法" in capsys.readouterr().out
    ics = tmp_path / "deadlines.ics"
    assert main(["calendar", "--ics", str(ics)]) == 0
    (event,) = Calendar.from_ical(ics.read_bytes()).walk("VEVENT")
    assert event.decoded("DTSTART") == deadline
    assert main(["search", "意见反馈截止"]) == 0
    assert f"draft                since {datetime.now(UTC).date().isoformat()}" in capsys.readouterr().out
    assert main(["search", "数据", "--json", "--source", "draft"]) == 0
    assert {h["source"] for h in json.loads(capsys.readouterr().out)} == {"draft"}
    assert main(["calendar", "--days", "10"]) == 0
    assert "no deadlines in the next 10 days" in capsys.readouterr().out

    monkeypatch.setenv("RULEWATCH_SINK", "console")
    week_before = (deadline - timedelta(days=7)).isoformat()
    assert main(["deliver"]) == 0
    capsys.readouterr()
    assert main(["remind", "--today", week_before]) == 0
    out = capsys.readouterr().out
    assert "=== Reminder: 数据安全管理办法（征求意见稿）" in out and "1 reminder(s) due, 1 new" in out
    assert main(["remind", "--today", week_before]) == 0
    assert "1 reminder(s) due, 0 new; 0 alert(s) delivered" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exited:
        main(["remind", "--today", "next week"])
    assert exited.value.code == 2


def test_search_says_when_early_versions_are_not_indexed_and_db_reindex_search_indexes_them(
        httpserver: HTTPServer, tmp_path: Path, rw_env: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    from sqlalchemy import text

    from rulewatch.state import Store

    serve(httpserver, "/a", FARM.format(days="十日"))
    assert main(["run", "--sources", sources_file(tmp_path, a=httpserver.url_for("/a"))]) == 0
    store = Store(f"sqlite:///{tmp_path / 'home' / 'rulewatch.db'}")
    try:  # as a database from before schema 0004: its versions stored, none indexed for search
        with store.writer.begin() as conn:
            conn.execute(text("DELETE FROM history_texts"))
    finally:
        store.close()
    capsys.readouterr()
    assert main(["search", "农业保险"]) == 0
    out, err = capsys.readouterr()
    assert "no stored text holds '农业保险'" in out
    assert "early versions of a were stored before search existed" in err and "rulewatch db reindex-search" in err
    assert main(["db", "reindex-search"]) == 0
    assert "search rebuilt from 1 stored version(s) of 1 source(s)" in capsys.readouterr().out
    assert main(["search", "农业保险", "--json"]) == 0
    out, err = capsys.readouterr()
    assert [hit["source"] for hit in json.loads(out)] == ["a", "a"] and err == ""


def test_digest_with_no_sink_says_so_and_fails(tmp_path: Path, rw_env: dict[str, str], monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    """Outside a terminal with no sink configured it printed nothing and exited 0."""
    monkeypatch.delenv("RULEWATCH_SINK", raising=False)
    assert main(["digest"]) == 2
    err = capsys.readouterr().err
    assert "no digest posted: no sink is configured, so nothing is posted: set SLACK_BOT_TOKEN" in err


def test_times_read_as_a_person_reads_them() -> None:
    from zoneinfo import ZoneInfo

    from rulewatch.cli.base import local_time

    assert local_time("2026-12-06T22:15:01.123456Z", ZoneInfo("Asia/Shanghai")) == "2026-12-07 06:15 CST"
    assert local_time("2026-12-06T22:15:01.123456Z", None) == "2026-12-06 22:15 UTC"
    assert local_time(None, None) == "never" and local_time("", None) == "never"


def test_a_servers_escape_sequences_never_reach_the_terminal(tmp_path: Path, rw_env: dict[str, str],
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    """A reason phrase carrying ESC sequences (clear the screen, print a forged "all sources ok") printed
    raw in `run` and `history`."""
    from tests.faultserver import FaultServer

    def forged(h: object) -> None:
        from http.server import BaseHTTPRequestHandler

        assert isinstance(h, BaseHTTPRequestHandler)
        h.wfile.write(b"HTTP/1.1 503 \x1b[2J\x1b[H\x9b31mall sources ok\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")

    server = FaultServer()
    server.routes["/robots.txt"] = lambda h: h.wfile.write(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
    server.routes["/rule"] = forged
    try:
        src = sources_file(tmp_path, rule=server.url("/rule"))
        assert main(["run", "--sources", src]) == 1
        assert main(["history", "rule"]) == 0
    finally:
        server.stop()
    out = capsys.readouterr()
    assert "\x1b" not in out.out + out.err and "\x9b" not in out.out + out.err
    assert "[2J[Hall sources ok" in out.out or "all sources ok" in out.out  # the words stay, inert


def test_deliver_counts_what_is_left_in_the_outbox(tmp_path: Path, rw_env: dict[str, str], monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    """With the channel stopped at its first alert, `deliver` said "1 left pending" when 3 were."""
    from fakeslack import FakeSlack

    from rulewatch.core.model import Document, Item
    from rulewatch.detection.compare import compare
    from rulewatch.detection.judge import judge
    from rulewatch.detection.relevance import Taxonomy
    from rulewatch.state import Store

    Path(rw_env["RULEWATCH_HOME"]).mkdir(parents=True, exist_ok=True)
    store = Store(f"sqlite:///{Path(rw_env['RULEWATCH_HOME']).absolute() / 'rulewatch.db'}")
    try:
        titles = ["基线通知"]
        lst = lambda ts: Document(kind="list", url="http://x/l", items=[Item(id=t, title=t, url=f"http://x/{n}")  # noqa: E731
                                                                         for n, t in enumerate(ts)])
        store.record_success(name="s", url="http://x/l", document=lst(titles), etag="", last_modified="",
                             change=None, verdict=None)
        for i in range(3):
            old, titles = lst(titles), [f"关于政府采购第{i}批信息技术产品的通知", *titles]
            change = compare(old, lst(titles))
            store.record_success(name="s", url="http://x/l", document=lst(titles), etag="", last_modified="",
                                 change=change, verdict=judge(change, old, lst(titles), Taxonomy.load()))
        waiting = len(store.outbox.alerts(pending_only=True))
    finally:
        store.close()
    assert waiting >= 3
    with FakeSlack("xoxb-test-token-123") as slack:
        monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test-token-123")
        monkeypatch.setenv("SLACK_CHANNEL", "C-MISSING")
        monkeypatch.setenv("SLACK_API_BASE_URL", slack.base_url)
        monkeypatch.delenv("RULEWATCH_SINK", raising=False)
        assert main(["deliver"]) == 1
    assert f"0 alert(s) delivered, {waiting} left pending" in capsys.readouterr().out


@pytest.mark.parametrize(("argv", "says"), [
    (["calendar", "--days", "-3"], "-3 is negative"),
    (["search", "x", "--limit", "-1"], "-1 is negative"),
    (["search", "a\udcff"], "is not valid UTF-8 text"),
    (["dossier", "\udce9\u7ba1\u7406\u529e\u6cd5"], "is not valid UTF-8 text"),
])
def test_arguments_that_cannot_work_are_refused_in_one_line(rw_env: dict[str, str], capsys: pytest.CaptureFixture[str],
                                                            argv: list[str], says: str) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(argv)
    assert stopped.value.code == 2 and says in capsys.readouterr().err


def test_a_far_horizon_and_the_last_day_of_the_calendar_do_not_crash() -> None:
    from datetime import UTC, date, datetime

    from rulewatch.alerts.calendar import Deadline, to_ics, upcoming

    last = Deadline(day="9999-12-31", role="effective", title="办法", url="", publisher="p", source="s",
                    subject="办法", evidence="", article="", alert_id=1)
    assert upcoming([last], date(2026, 12, 6), 10**12) == [last]
    assert b"DTSTART;VALUE=DATE:99991231" in to_ics([last], datetime(2026, 12, 6, tzinfo=UTC))


@pytest.mark.parametrize("configured", ["#alerts", "C-ALERTS", "C-ALERTS no scope"])
def test_alerts_name_the_channel_people_know_not_its_id(
    rw_env: dict[str, str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, configured: str,
) -> None:
    """`alerts` showed `slack C-ALERTS`; it shows `slack #alerts`, whether the channel was configured by
    name or by ID (Slack asked once); without the scope to ask, the ID, and delivery goes on."""
    from fakeslack import FakeSlack, Fault
    from outbox import record_alerts

    from rulewatch.core.model import Alert
    from rulewatch.state import Store

    home = Path(rw_env["RULEWATCH_HOME"])
    home.mkdir(parents=True)
    store = Store(f"sqlite:///{home / 'rulewatch.db'}")
    record_alerts(store, [Alert(kind="new_item", title=f"关于政府采购第{n}批产品的通知", url=f"http://x/{n}", source="ccgp",
                                subject=f"i{n}") for n in range(3)])
    store.close()
    with FakeSlack("xoxb-test-token-123") as slack:
        if configured.endswith("no scope"):
            slack.faults.append(Fault("conversations.info", error="missing_scope"))
        for name, value in {"SLACK_API_BASE_URL": slack.base_url, "SLACK_BOT_TOKEN": "xoxb-test-token-123",
                            "SLACK_CHANNEL": configured.split()[0]}.items():
            monkeypatch.setenv(name, value)
        assert main(["deliver"]) == 0
        asked = [method for method, _, _ in slack.requests if method == "conversations.info"]
    assert len(slack.posted("C-ALERTS")) == 3
    assert len(asked) == (1 if configured == "C-ALERTS" or configured.endswith("no scope") else 0)
    capsys.readouterr()
    assert main(["alerts"]) == 0
    shown = "slack C-ALERTS" if configured.endswith("no scope") else "slack #alerts"
    out = capsys.readouterr().out
    assert out.count(f" {shown}]") == 3 and "C-ALERTS" not in out.replace(shown, ""), out
    assert main(["alerts", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    slack_deliveries = [d for a in listed for d in a["deliveries"] if d["sink"] == "slack"]
    assert {d["channel_name"] for d in slack_deliveries} == ({None} if configured.endswith("no scope") else {"#alerts"})
    assert {d["channel"] for d in slack_deliveries} == {"C-ALERTS"}  # the ID stays, for threads and links
