"""The Prefect flows, run by the Prefect engine under a (session-scoped) test harness."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from rulewatch.config import Source
from rulewatch.flows.check import RunFailed, batches, check_sources, deliver_alerts
from rulewatch.state import Store

PAGE = """<html><head><meta charset="utf-8"><title>网络安全审查办法</title></head><body><div class="content">
<h1>网络安全审查办法</h1><p>第一条 为了确保关键信息基础设施供应链安全，制定本办法。</p>
<p>第二条 运营者采购网络产品和服务的，应当预判安全风险。</p><p>第三条 {rule}</p></div></body></html>"""


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[None]:
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


def test_batches_group_hosts_and_stay_few() -> None:
    sources = [Source(name=f"s{i}", url=f"https://h{i % 7}.example/{i}") for i in range(500)]
    groups = batches(sources)
    assert len(groups) == 4 and sum(len(g) for g in groups) == 500
    hosts_per_batch = [{s.url.split("/")[2] for s in g} for g in groups]
    for a in range(4):
        for b in range(a + 1, 4):
            assert not hosts_per_batch[a] & hosts_per_batch[b]


@pytest.mark.slow
def test_check_sources_flow_records_alerts_and_delivers(
    prefect_harness: None, httpserver: HTTPServer, tmp_path: Path, rw_env: dict[str, str]
) -> None:
    src = tmp_path / "sources.yaml"
    src.write_text(f"sources:\n  - name: cac\n    url: {httpserver.url_for('/rule')}\n    group: regulators\n"
                   f"  - name: other\n    url: {httpserver.url_for('/other')}\n    group: news\n", encoding="utf-8")
    httpserver.expect_request("/rule").respond_with_data(PAGE.format(rule="本办法自发布之日起施行。"),
                                                         content_type="text/html")
    first = check_sources(sources_file=str(src), group="regulators")
    assert first == {"checked": 1, "failed": [], "alerts": []}

    httpserver.clear_all_handlers()  # type: ignore[no-untyped-call]
    httpserver.expect_request("/rule").respond_with_data(PAGE.format(rule="本办法自2027年1月1日起施行。"),
                                                         content_type="text/html")
    second = check_sources(sources_file=str(src), only=["cac"], deliver=False)
    assert second["checked"] == 1 and len(second["alerts"]) == 1

    store = Store(f"sqlite:///{Path(rw_env['RULEWATCH_HOME']).absolute() / 'rulewatch.db'}")
    try:
        (pending,) = store.outbox.alerts(pending_only=True)
        assert pending.kind == "changed_text" and "2027年1月1日" in pending.added
        assert deliver_alerts() == {"delivered": [pending.id], "failed": []}
        assert deliver_alerts() == {"delivered": [], "failed": []}  # idempotent
    finally:
        store.close()

    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        keys = {a.key for a in client.read_artifacts()}
        kinds = {a.type for a in client.read_artifacts()}
    assert "rulewatch-cycle" in keys and {"table", "markdown"} <= kinds


@pytest.mark.slow
def test_failures_end_the_runs_failed_with_their_result(
    prefect_harness: None, httpserver: HTTPServer, tmp_path: Path, rw_env: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("RULEWATCH_SINK")  # a worker started without any sink
    src = tmp_path / "sources.yaml"
    src.write_text(f"sources:\n  - name: cac\n    url: {httpserver.url_for('/rule')}\n"
                   f"  - name: gone\n    url: {httpserver.url_for('/gone')}\n", encoding="utf-8")
    httpserver.expect_request("/rule").respond_with_data(PAGE.format(rule="本办法自发布之日起施行。"),
                                                         content_type="text/html")
    httpserver.expect_request("/gone").respond_with_data("gone", status=404)
    state = check_sources(sources_file=str(src), return_state=True)
    assert state.is_failed() and "1 of 2 source(s) failed: gone" in str(state.message)
    failure = state.result(raise_on_failure=False)  # an exception Prefect can raise, the result inside
    assert isinstance(failure, RunFailed) and str(failure) == "1 of 2 source(s) failed: gone"
    assert failure.result == {"checked": 1, "failed": ["gone"], "alerts": []}

    httpserver.clear_all_handlers()  # type: ignore[no-untyped-call]
    httpserver.expect_request("/rule").respond_with_data(PAGE.format(rule="本办法自2027年1月1日起施行。"),
                                                         content_type="text/html")
    state = check_sources(sources_file=str(src), only=["cac"], return_state=True)
    assert state.is_failed() and "no sink is configured" in str(state.message)  # not "delivered to console"
    state = deliver_alerts(return_state=True)
    assert state.is_failed() and "1 alert(s): no sink is configured, so they stay pending" in str(state.message)
    store = Store(f"sqlite:///{Path(rw_env['RULEWATCH_HOME']).absolute() / 'rulewatch.db'}")
    try:
        assert len(store.outbox.alerts(pending_only=True)) == 1
    finally:
        store.close()


@pytest.mark.slow
def test_the_slack_token_can_come_from_a_prefect_secret_block(prefect_harness: None) -> None:
    from prefect.blocks.system import Secret

    from rulewatch.alerts.sinks import make_sinks
    from rulewatch.alerts.slack import SlackSink, slack_token
    from rulewatch.core.errors import SecretBlockError

    Secret(value="xoxb-test-token-123").save("rulewatch-slack-token", overwrite=True)
    env = {"SLACK_BOT_TOKEN_BLOCK": "rulewatch-slack-token", "SLACK_CHANNEL": "C-ALERTS"}
    assert slack_token(env).reveal() == "xoxb-test-token-123"
    (sink,) = make_sinks(env)
    assert isinstance(sink, SlackSink)
    missing = {"SLACK_BOT_TOKEN_BLOCK": "no-such-block", "SLACK_CHANNEL": "C-ALERTS"}
    with pytest.raises(SecretBlockError, match="no-such-block"):
        make_sinks(missing)


def test_serve_builds_the_same_schedules_as_prefect_yaml() -> None:
    import yaml

    from rulewatch.flows.serve import deployments

    prefect_yaml = Path(__file__).parents[2] / "prefect.yaml"
    served = {d.name: d for d in deployments("sources.yaml", prefect_yaml=str(prefect_yaml))}
    declared = yaml.safe_load(prefect_yaml.read_text(encoding="utf-8"))["deployments"]
    # Its own names: serving never replaces the work-pool deployments `prefect deploy` made.
    assert set(served) == {f"serve-{d['name']}" for d in declared}
    for d in declared:
        served_one = served[f"serve-{d['name']}"]
        if "parameters" in d and "groups" in d["parameters"]:
            assert served_one.parameters["groups"] == d["parameters"]["groups"] and served_one.parameters["deliver"]
        for declared_schedule, runner_schedule in zip(d["schedules"], served_one.schedules, strict=True):
            schedule = runner_schedule.schedule
            if "cron" in declared_schedule:
                assert schedule.cron == declared_schedule["cron"] and schedule.timezone == declared_schedule["timezone"]
            else:
                assert schedule.interval.total_seconds() == declared_schedule["interval"]


def test_serve_refuses_without_a_prefect_server(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from rulewatch.cli import main

    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    assert main(["serve", "--sources", str(Path(__file__).parents[2] / "sources.yaml")]) == 2
    assert "prefect server start" in capsys.readouterr().err


@pytest.mark.slow
def test_catalog_check_posts_the_broken_entries_and_fails(
    prefect_harness: None, httpserver: HTTPServer, tmp_path: Path, rw_env: dict[str, str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    from rulewatch.flows.check import catalog_check

    src = tmp_path / "sources.yaml"
    src.write_text(f"sources:\n  - name: rule\n    url: {httpserver.url_for('/rule')}\n"
                   f"  - name: emptied\n    url: {httpserver.url_for('/list')}\n    kind: list\n"
                   f"  - name: gone\n    url: {httpserver.url_for('/gone')}\n", encoding="utf-8")
    httpserver.expect_request("/rule").respond_with_data(PAGE.format(rule="本办法自发布之日起施行。"),
                                                         content_type="text/html")
    httpserver.expect_request("/list").respond_with_data(
        "<html><head><title>通知公告</title></head><body><div class='list'>栏目调整中</div></body></html>",
        content_type="text/html")
    httpserver.expect_request("/gone").respond_with_data("gone", status=404)
    state = catalog_check(sources_file=str(src), return_state=True)
    assert state.is_failed() and "1 of 3 sources read as expected, 2 broken" in str(state.message)
    result = state.result(raise_on_failure=False).result
    assert result["broken"] == ["emptied", "gone"] and result["posted_to"] == ["console"]
    posted = capsys.readouterr().out  # the console sink (RULEWATCH_SINK=console in rw_env) posts the report
    assert "Broken: fix these sources" in posted
    assert "• emptied: 0 items" in posted and "• gone: http_status: HTTP 404" in posted and "• rule" not in posted
    assert not (Path(rw_env["RULEWATCH_HOME"]) / "rulewatch.db").exists()  # a check of the catalog records nothing


@pytest.mark.slow
def test_a_flow_run_given_sources_it_does_not_have_fails_naming_them(
    prefect_harness: None, httpserver: HTTPServer, tmp_path: Path, rw_env: dict[str, str]
) -> None:
    """`prefect deployment run 'check-sources/hourly' --param only='["nfra-rules"]'` on a file without it
    ended Completed having checked nothing; the CLI refused the same with exit 2."""
    src = tmp_path / "sources.yaml"
    src.write_text(f"sources:\n  - name: cac\n    url: {httpserver.url_for('/rule')}\n", encoding="utf-8")
    state = check_sources(sources_file=str(src), only=["nfra-rules"], return_state=True)
    assert state.is_failed() and "no source named nfra-rules" in str(state.message)
    assert httpserver.log == []
