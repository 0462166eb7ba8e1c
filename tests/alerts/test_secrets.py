"""The Slack token never appears in output, logs, errors or repr."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from fakeslack import FakeSlack, Fault
from pytest_httpserver import HTTPServer

from rulewatch.alerts.sinks import make_sinks
from rulewatch.alerts.slack import slack_token
from rulewatch.settings import Settings

TOKEN = "xoxb-test-token-123"
EXE = Path(sys.executable).parent / "rulewatch"


def test_settings_and_sinks_do_not_show_the_token() -> None:
    env = {"SLACK_BOT_TOKEN": TOKEN, "SLACK_CHANNEL": "C1",
           "RULEWATCH_WEBHOOK_URL": "https://hooks.example/hooks-secret-path", "RULEWATCH_WEBHOOK_SECRET": TOKEN}
    settings = Settings.from_env(env)
    sinks = make_sinks(settings.env) + make_sinks({"SLACK_WEBHOOK_URL": "https://hooks.slack.com/hooks-secret-path"})
    for text in (repr(settings), str(settings), repr(sinks), f"{slack_token(env)}"):
        assert TOKEN not in text and "hooks-secret-path" not in text
    assert slack_token(env).reveal() == TOKEN


PAGE = "<html><head><title>网络安全管理办法</title></head><body><div class='content'><h1>网络安全管理办法</h1>{}</div></body></html>"


@pytest.mark.parametrize("token", [TOKEN, "xoxb-wrong"])
def test_cli_output_never_contains_the_token(httpserver: HTTPServer, tmp_path: Path, token: str) -> None:
    with FakeSlack(TOKEN) as slack:
        slack.fail(Fault("chat.postMessage", status=500, error="internal_error"))
        src = tmp_path / "sources.yaml"
        src.write_text(f"sources:\n  - name: rule\n    url: {httpserver.url_for('/rule')}\n", encoding="utf-8")
        env = dict(os.environ, RULEWATCH_HOME=str(tmp_path / "home"), RULEWATCH_HOST_DELAY="0",
                   SLACK_BOT_TOKEN=token, SLACK_CHANNEL="C-ALERTS", SLACK_API_BASE_URL=slack.base_url)
        outputs = []
        for paragraphs in (["<p>第一条 内容。</p>"], ["<p>第一条 内容。</p>", "<p>第二条 应当在两小时内报告。</p>"]):
            httpserver.clear_all_handlers()  # type: ignore[no-untyped-call]
            httpserver.expect_request("/rule").respond_with_data(PAGE.format("".join(paragraphs)), content_type="text/html")
            for cmd in (["-v", "run", "--sources", str(src)], ["-v", "deliver"], ["alerts", "--pending"],
                        ["alerts", "--json"]):
                proc = subprocess.run([str(EXE), *cmd], capture_output=True, text=True, env=env, timeout=120)
                outputs.append(proc.stdout + proc.stderr)
    everything = "\n".join(outputs)
    assert token not in everything
    if token == "xoxb-wrong":
        assert "invalid_auth" in everything  # the error is reported, without the credential
    logging.getLogger("test").info("checked %d outputs", len(outputs))


@pytest.mark.parametrize("variable", ["SLACK_WEBHOOK_URL", "RULEWATCH_WEBHOOK_URL"])
@pytest.mark.parametrize("url", ["http://[hooks-secret-path/x", "https://hooks.example:99999/hooks-secret-path",
                                 "https://hooks.example/hooks-secret-path\nX-Injected: 1", "ftp://hooks-secret-path/x"])
def test_a_malformed_webhook_url_is_refused_at_start_without_showing_it(variable: str, url: str) -> None:
    """Issue 19, finding 14: a malformed webhook URL crashed the first delivery with a traceback."""
    from rulewatch.core.errors import SettingsError

    with pytest.raises(SettingsError) as caught:
        make_sinks({variable: url})
    assert variable in str(caught.value) and "hooks-secret-path" not in str(caught.value)
