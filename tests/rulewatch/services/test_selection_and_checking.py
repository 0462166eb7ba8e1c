"""The use cases every front end calls: which sources a run checks, and what a check's result means."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from rulewatch.app import App
from rulewatch.core.errors import ConfigError, UsageError
from rulewatch.partition import Partition
from rulewatch.services.checking import OFFLINE_HINT, check
from rulewatch.services.selection import select_sources
from rulewatch.services.sending import deliver

PAGE = ("<html><head><title>网络安全审查办法</title></head><body><h1>网络安全审查办法</h1>"
        "<p>第一条 为了确保关键信息基础设施供应链安全，制定本办法。</p><p>第二条 运营者采购网络产品。</p></body></html>")


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "sources.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def app(rw_env: dict[str, str]) -> App:
    return App.from_env()


def test_select_by_name_group_and_partition(tmp_path: Path, app: App) -> None:
    src = write(tmp_path, "sources:\n" + "".join(
        f"  - name: s{i}\n    url: https://x{i}.example/\n    group: {'news' if i % 2 else 'regulators'}\n"
        for i in range(10)))
    with app:
        assert [s.name for s in select_sources(app, src, only=["s3", "s4"])] == ["s3", "s4"]
        assert {s.group for s in select_sources(app, src, groups=["news"])} == {"news"}
        assert select_sources(app, src, groups=["default"]) == []  # an empty group is no error
        parts = [select_sources(app, src, partition=Partition(k, 3)) for k in (1, 2, 3)]
        assert sorted(s.name for p in parts for s in p) == sorted(f"s{i}" for i in range(10))
        with pytest.raises(ConfigError, match="no source named nope, gone"):
            select_sources(app, src, only=["s1", "nope", "gone"])


def test_a_check_says_what_it_means(httpserver: HTTPServer, tmp_path: Path, app: App) -> None:
    httpserver.expect_request("/rule").respond_with_data(PAGE, content_type="text/html")
    src = write(tmp_path, f"sources:\n  - name: rule\n    url: {httpserver.url_for('/rule')}\n"
                          f"  - name: gone\n    url: {httpserver.url_for('/gone')}\n")
    with app:
        seen: list[str] = []
        result = check(app, select_sources(app, src), deliver=False, on_outcome=lambda o: seen.append(o.name))
        assert sorted(seen) == ["gone", "rule"] and result.delivery is None
        assert [o.name for o in result.failed] == ["gone"] and result.exit_code == 1
        assert result.summary() == "1 of 2 sources checked, 1 failed, 0 new alert(s)" and result.notes == []


def test_a_check_that_reaches_nothing_says_the_machine_may_be_offline(tmp_path: Path, app: App) -> None:
    src = write(tmp_path, "sources:\n  - name: a\n    url: http://127.0.0.1:9/a\n  - name: b\n    url: http://127.0.0.1:9/b\n")
    with app:
        result = check(app, select_sources(app, src), deliver=False)
    assert result.exit_code == 1 and result.notes == [OFFLINE_HINT]


def test_resending_an_unknown_alert_is_refused_and_sends_nothing(app: App) -> None:
    with app, pytest.raises(UsageError, match="no alert #41, #42"):
        deliver(app, [41, 42])


def test_the_cli_reaches_the_flows_by_entry_point_only() -> None:
    from rulewatch.cli.plugins import plugin

    prefect = plugin("prefect", "run --prefect")
    assert callable(prefect.run_check) and callable(prefect.serve_all)
    assert callable(plugin("slack-app", "slack-app").run)
    with pytest.raises(UsageError, match="needs no-such-plugin: pip install 'rulewatch\\[no-such-plugin\\]'"):
        plugin("no-such-plugin", "serve")


def test_a_resend_with_one_unknown_id_requeues_none(app: App) -> None:
    from rulewatch.core.model import Alert
    from tests.outbox import record_alerts

    with app:
        record_alerts(app.store, [Alert(kind="new_item", title="关于网络安全审查的公告", url="http://x/a")])
        (alert,) = app.store.outbox.alerts()
        app.store.outbox.complete(alert.outbox_id)
        with pytest.raises(UsageError, match="no alert #999"):
            deliver(app, [alert.outbox_id, 999])
        assert app.store.outbox.alerts(pending_only=True) == []  # the known one was not queued again either
