"""Triage clicks over Socket Mode: the real slack_bolt handler connects to a local websocket server that
speaks Slack's envelope protocol (hello, then envelopes the client must acknowledge by id)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fakeslack import FakeSlack
from slackdesk import delivered_app, posted_alerts, wait_for
from slackpayloads import click
from websockets.exceptions import ConnectionClosed
from websockets.sync.server import ServerConnection, serve

from rulewatch.services.triage import audit
from rulewatch.slackapp.serve import bolt_app, socket_handler

APP_TOKEN = "xapp-1-A1-test"


class SlackSocket:
    """Slack's side of a Socket Mode connection: says hello, sends the envelopes queued, keeps acks."""

    def __init__(self) -> None:
        self.envelopes: list[dict[str, Any]] = []
        self.acks: list[dict[str, Any]] = []
        self.server = serve(self._session, "127.0.0.1", 0)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.sent = 0

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.server.socket.getsockname()[1]}/link/?ticket=t1"

    def _session(self, connection: ServerConnection) -> None:
        connection.send(json.dumps({"type": "hello", "num_connections": 1,
                                    "connection_info": {"app_id": "A1"}}))
        for envelope in self.envelopes:
            connection.send(json.dumps(envelope))
            self.sent += 1
        try:
            for raw in connection:
                self.acks.append(json.loads(raw))
        except ConnectionClosed:  # the client went away: the test is over
            pass

    def queue(self, payload: dict[str, Any], envelope_id: str) -> None:
        self.envelopes.append({"envelope_id": envelope_id, "type": "interactive", "payload": payload,
                               "accepts_response_payload": False, "retry_attempt": 0, "retry_reason": ""})


@pytest.fixture
def slack_socket() -> Iterator[SlackSocket]:
    socket = SlackSocket()
    socket.thread.start()
    yield socket
    socket.server.shutdown()


def test_a_click_over_socket_mode_is_acknowledged_and_recorded(database_url: str, slack: FakeSlack,
                                                                slack_socket: SlackSocket, tmp_path: Path) -> None:
    app, env = delivered_app(database_url, slack, tmp_path / "home", SLACK_APP_TOKEN=APP_TOKEN)
    env.pop("SLACK_SIGNING_SECRET")  # Socket Mode needs none: nothing comes in over HTTP
    slack.app_token, slack.socket_url = APP_TOKEN, slack_socket.url
    (alert_id, ts), _ = posted_alerts(app)
    slack_socket.queue(click(alert_id, "triage:applicable", "U0JANE", "C-ALERTS", ts), "env-1")
    slack_socket.queue(click(alert_id, "triage:applicable", "U0JANE", "C-ALERTS", ts), "env-2")  # a retry
    with app:
        handler = socket_handler(bolt_app(app, env, socket=True), env)
        handler.connect()
        try:
            acked = wait_for(lambda: len(slack_socket.acks) >= 2 and slack_socket.acks)
            assert sorted(a["envelope_id"] for a in acked) == ["env-1", "env-2"]  # each acknowledged, in any order
            recorded = wait_for(lambda: audit(app.store))
            assert [(e.actor, e.via, e.to_state) for e in recorded] == [("Jane Doe (U0JANE)", "slack", "applicable")]
            updated = wait_for(lambda: (slack.message("C-ALERTS", ts) or {}).get("edits", 0) >= 2)
            assert updated
        finally:
            handler.close()
    opened = [r for r in slack.requests if r[0] == "apps.connections.open"]
    assert opened and opened[0][2]["Authorization"] == f"Bearer {APP_TOKEN}"


def test_socket_mode_without_an_app_token_says_what_to_set(database_url: str, slack: FakeSlack,
                                                           tmp_path: Path) -> None:
    from rulewatch.core.errors import SettingsError

    app, env = delivered_app(database_url, slack, tmp_path / "home")
    with app, pytest.raises(SettingsError, match="SLACK_APP_TOKEN"):
        socket_handler(bolt_app(app, env, socket=True), env)
