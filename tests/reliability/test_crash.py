"""SIGKILL the cycle process at several points and restart it: every real change is alerted exactly
once, and the database stays consistent."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from fakeslack import FakeSlack, Fault
from faultserver import FaultServer, respond, stall

EXE = Path(sys.executable).parent / "rulewatch"
TOKEN = "xoxb-test-token-123"
V1 = "<html><body><div class='content'><h1>网络安全事件报告办法</h1><p>第一条 为了规范网络安全事件报告，制定本办法。</p><p>第二条 发生重大网络安全事件的，应当在二十四小时内报告。</p></div></body></html>"
V2 = V1.replace("二十四小时", "两小时")


def wait_for(predicate: Callable[[], bool], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError("timed out")


def expire(db: Path) -> None:
    """Every delivery lease in the database, run out."""
    with sqlite3.connect(db, timeout=30) as conn:
        conn.execute("UPDATE deliveries SET claimed_until = '2000-01-01T00:00:00.000000Z' "
                     "WHERE claimed_until IS NOT NULL")


def rows(db: Path, sql: str) -> list[tuple[object, ...]]:
    if not db.exists():
        return []
    with sqlite3.connect(db, timeout=30) as conn:
        try:
            return list(conn.execute(sql))
        except sqlite3.OperationalError:
            return []  # the schema is not there yet


@pytest.mark.slow
@pytest.mark.parametrize("point", ["at_start", "during_fetch", "after_snapshot_write", "during_delivery"])
def test_kill_and_restart_alerts_exactly_once(point: str, tmp_path: Path) -> None:
    site = FaultServer()
    site.routes["/robots.txt"] = respond(b"", status=404)
    site.routes["/rule"] = respond(V1.encode())
    src = tmp_path / "sources.yaml"
    src.write_text(f"sources:\n  - name: rule\n    url: {site.url('/rule')}\n", encoding="utf-8")
    db = tmp_path / "home" / "rulewatch.db"
    with FakeSlack(TOKEN) as slack:
        env = dict(os.environ, RULEWATCH_HOME=str(tmp_path / "home"), RULEWATCH_HOST_DELAY="0",
                   SLACK_BOT_TOKEN=TOKEN, SLACK_CHANNEL="C-ALERTS", SLACK_API_BASE_URL=slack.base_url)
        cmd = [str(EXE), "run", "--sources", str(src)]
        assert subprocess.run(cmd, env=env, capture_output=True, timeout=120).returncode == 0  # baseline

        site.routes["/rule"] = respond(V2.encode())
        if point == "during_fetch":
            site.routes["/rule"] = stall(20)
        if point in ("after_snapshot_write", "during_delivery"):
            slack.fail(Fault("chat.postMessage", delay=3))
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if point == "at_start":
            time.sleep(0.2)
        elif point == "during_fetch":
            wait_for(lambda: site.hits.get("/rule", 0) >= 2)
        elif point == "after_snapshot_write":
            wait_for(lambda: bool(rows(db, "select id from alerts")))
        else:
            wait_for(lambda: any(m == "chat.postMessage" for m, _, _ in slack.requests))
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)

        site.routes["/rule"] = respond(V2.encode())
        # The dead sender's delivery lease (longer than any request it may have had in flight: the slow
        # Slack answers in 3 s) runs out: the requests end, then the clock is moved past the lease in the
        # database, rather than waiting the lease's minutes.
        time.sleep(3.5)
        expire(db)
        rerun = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
        assert rerun.returncode == 0, rerun.stdout + rerun.stderr
        wait_for(lambda: len(slack.posted()) >= 1, 10)
        time.sleep(0.5)
        assert len(slack.posted()) == 1, [m["text"] for m in slack.posted()]
        assert rows(db, "select count(*) from alerts") == [(1,)]
        assert rows(db, "select count(*) from alerts where delivered_at is null") == [(0,)]
        assert rows(db, "select count(*) from snapshots") == [(2,)]
        assert rows(db, "select count(*) from changes") == [(1,)]
        assert rows(db, "pragma integrity_check") == [("ok",)]
    site.stop()
