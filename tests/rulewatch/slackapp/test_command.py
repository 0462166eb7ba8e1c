"""`rulewatch slack-app` as a user runs it: a process serving Slack's Request URL, stopped by SIGTERM,
killed mid-click without the decisions and their audit trail disagreeing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from fakeslack import FakeSlack
from slackdesk import delivered_app, free_port, healthy, posted_alerts, wait_for
from slackpayloads import click, send

from rulewatch.services.triage import audit, standing
from rulewatch.state import Store

pytestmark = pytest.mark.slow


def _start(env: dict[str, str], port: int) -> subprocess.Popen[str]:
    process = subprocess.Popen([sys.executable, "-m", "rulewatch", "slack-app", "--port", str(port)],
                               env={**os.environ, **env}, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if not wait_for(lambda: healthy(port) or process.poll() is not None, 60) or process.poll() is not None:
        out, err = process.communicate(timeout=10)
        pytest.fail(f"slack-app did not start: {out}\n{err}")
    return process


def test_the_command_serves_clicks_and_stops_on_sigterm(database_url: str, slack: FakeSlack, tmp_path: Path) -> None:
    app, env = delivered_app(database_url, slack, tmp_path / "home")
    (alert_id, ts), _ = posted_alerts(app)
    app.close()
    port = free_port()
    process = _start(env, port)
    try:
        status, _ = send(f"http://127.0.0.1:{port}/slack/events", click(alert_id, "triage:applicable", "U0JANE",
                                                                      "C-ALERTS", ts))
        assert status == 200
        store = Store(database_url)
        try:
            assert wait_for(lambda: audit(store))[0].to_state == "applicable"
        finally:
            store.close()
    finally:
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=30)
    # uvicorn shuts down gracefully, then ends by the signal it was sent, as a service manager expects.
    assert process.returncode in (0, -signal.SIGTERM) and "Traceback" not in err


def test_without_its_signing_secret_the_command_says_what_to_set(database_url: str, slack: FakeSlack,
                                                                  tmp_path: Path) -> None:
    app, env = delivered_app(database_url, slack, tmp_path / "home")
    app.close()
    env.pop("SLACK_SIGNING_SECRET")
    done = subprocess.run([sys.executable, "-m", "rulewatch", "slack-app", "--port", str(free_port())],
                          env={**os.environ, **env}, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "SLACK_SIGNING_SECRET" in done.stderr and "--socket" in done.stderr


def test_killed_mid_click_the_state_and_the_audit_trail_agree(database_url: str, slack: FakeSlack,
                                                             tmp_path: Path) -> None:
    app, env = delivered_app(database_url, slack, tmp_path / "home")
    posted = posted_alerts(app)
    app.close()
    port = free_port()
    process = _start(env, port)
    url = f"http://127.0.0.1:{port}/slack/events"
    states = [("triage:applicable", {}), ("triage:assign", {"type": "users_select", "selected_user": "U0BOB"}),
              ("triage:snooze", {"type": "datepicker", "selected_date": "2099-05-01"})]
    clicks = [click(alert_id, action, "U0JANE", "C-ALERTS", ts, **extra)
              for _ in range(10) for action, extra in states for alert_id, ts in posted]

    def storm() -> None:
        for payload in clicks:
            try:
                send(url, payload)
            except OSError:
                return  # the app is gone

    sender = threading.Thread(target=storm)
    sender.start()
    store = Store(database_url)
    try:
        wait_for(lambda: len(audit(store)) >= 4)  # killed while clicks are still arriving
        process.kill()
        process.wait(timeout=30)
        sender.join(60)
        trail = audit(store)
        assert trail, "nothing was recorded before the kill"
        last_word = {}
        for event in trail:
            last_word[event.rule_id] = event.to_state
        for row in standing(store, app.settings.today()):
            assert row.row.state == last_word.get(row.row.rule_id, "new"), (row, trail)
        by_rule: dict[int, list] = {}
        for event in trail:
            by_rule.setdefault(event.rule_id, []).append(event)
        for chain in by_rule.values():
            assert chain[0].from_state == "new"
            assert all(b.from_state == a.to_state for a, b in zip(chain, chain[1:], strict=False))
    finally:
        store.close()
        if process.poll() is None:
            process.kill()
